"""登记: how a resident's or a channel's submission becomes a case.

Shared by the public form, the public API, the staff walk-in page, the machine
channels and Open311, so every door validates and stores the same way. The
case and its attachments are stored in one transaction before anything else
can fail; routing and the confirmation SMS follow on commit.
"""

import hashlib
import io
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import filetype
import pypdf
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError
from core.notifications import notify_sms
from disputes import services
from disputes.models import Attachment, CaseEvent, Category, ChannelKey, Dispute, Party
from disputes.rules.enums import OPEN_STATUSES, EventKind, PartyRole, Status
from disputes.scale import clean_scale
from grids.models import Area

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Sniffed from the content, never from the name or the browser's claim.
ALLOWED_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
}
# Markup or script inside what claims to be a photo: a polyglot made for a browser or a viewer
# that guesses the type. The download view already answers with the sniffed type, `attachment`
# and `nosniff`; refusing these too keeps them off the staff's machines. An HTML parser runs a
# tag wherever it meets one, so the check looks for any tag that can run or load something and
# for event-handler attributes, not only for a few page-level tags (a GIF carrying
# `<svg onload=...>` passed the old list). Tag names must be followed by what ends one, so a
# genuine 3 MB phone photo meets a match by chance about once in 5,000 (`<svg` is most of
# that; `<img` is left to the event-handler and `javascript:` patterns that make it harmful).
# Searched in the lower-cased bytes, each pattern on its own: one starting with a fixed
# byte is found by a fast scan (a 10 MB photo in well under a second), an alternation of
# all of them would test every position.
IMAGE_TAGS = re.compile(
    rb"<(?:script|html|iframe|frame|frameset|object|embed|applet|svg|math|body|image|video|audio|source"
    rb"|meta|link|style|base|form|input|button|details|marquee|template|!doctype|!entity)[\s/>=]|<\?php"
)
IMAGE_URL_SCHEMES = (b"javascript:", b"vbscript:", b"livescript:", b"data:text/html")
# An event-handler attribute (` onload=`, `/onerror =`): the byte before it is checked apart.
IMAGE_HANDLER = re.compile(rb"on[a-z]{3,}\s*=")
IMAGE_HANDLER_BEFORE = frozenset(b" \t\n\r\f/\"'")
# Names in a PDF that run, launch, submit or carry something: scripts, programs, embedded
# files, rich media, forms that send data out, XFA forms and the additional actions (/AA)
# that fire them on open, close or page views. Compared after the parser has decoded the
# name (`/S/Java#53cript` is /JavaScript) and on every object, those packed in compressed
# object streams included.
PDF_ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/FileAttachment",
        "/GoToE",
        "/RichMedia",
        "/SubmitForm",
        "/ImportData",
        "/XFA",
        "/AA",
    }
)
# The long ones are also looked for in the raw bytes (names decoded), for objects a viewer
# might find by scanning the file that the cross-reference table leaves out.
PDF_RAW_NAMES = frozenset(name for name in PDF_ACTIVE_NAMES if len(name) > 6)
PDF_NAME = re.compile(rb"/([^\s/\[\]<>(){}%\x00]{6,127})")
# The parser reads about 2,000 objects a second on a busy server; a letter, a receipt or a
# scanned agreement has tens to a few thousand. More is refused rather than tying up a worker
# (five such files must stay well inside gunicorn's 30 s timeout).
MAX_PDF_OBJECTS = 5_000
# Cases still being worked: a submission by the same people is linked to one of these for staff to review.
DUPLICATE_STATUSES = OPEN_STATUSES | {Status.REPORTED, Status.AWAITING_CALLBACK}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class IntakeResult:
    dispute: Dispute
    created: bool  # a new case was stored (False: a resent machine record, answered with its case)


class PdfTooComplex(Exception):
    """More objects than MAX_PDF_OBJECTS: not read, refused."""


def check_attachments(files: list[Any]) -> list[CheckedFile]:
    """Read and check uploads before anything is stored: count, size, real type and active content."""
    if len(files) > MAX_ATTACHMENTS:
        raise ApplicationError(
            _("At most %(count)d attachments are allowed.") % {"count": MAX_ATTACHMENTS}, code="too_many_files"
        )
    checked = []
    for f in files:
        size = getattr(f, "size", None)
        if size is not None and size > MAX_ATTACHMENT_BYTES:
            raise ApplicationError(_("Each attachment must be 10 MB or smaller."), code="file_too_large")
        content = f.read(MAX_ATTACHMENT_BYTES + 1)
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise ApplicationError(_("Each attachment must be 10 MB or smaller."), code="file_too_large")
        kind = filetype.guess(content)
        if kind is None or kind.mime not in ALLOWED_TYPES:
            raise ApplicationError(
                _("“%(name)s” is not a photo (JPEG, PNG, WebP, GIF) or a PDF.") % {"name": _display_name(f)},
                code="file_type",
            )
        if kind.mime == "application/pdf":
            try:
                active = _pdf_has_active_content(content)
            except PdfTooComplex:
                raise ApplicationError(
                    _(
                        "“%(name)s” has too many parts to be checked. Please print it as a new PDF with fewer pages "
                        "or send photos of the pages instead."
                    )
                    % {"name": _display_name(f)},
                    code="file_type",
                ) from None
            except Exception as exc:  # whatever the parser cannot read, a viewer may read differently
                # The class only: a parser's message can quote the resident's document.
                logger.info("attachment refused: a PDF the parser cannot read (%s)", type(exc).__name__)
                raise ApplicationError(
                    _("“%(name)s” could not be read as a PDF. Please save or print it as a new PDF and try again.")
                    % {"name": _display_name(f)},
                    code="file_type",
                ) from None
            if active:
                raise ApplicationError(
                    _(
                        "“%(name)s” contains scripts, actions, forms or embedded files, which are not accepted. "
                        "Please print it as a new PDF or send a photo of it instead."
                    )
                    % {"name": _display_name(f)},
                    code="file_type",
                )
        elif _has_active_content(content, kind.mime):
            raise ApplicationError(
                _("“%(name)s” is not a photo (JPEG, PNG, WebP, GIF) or a PDF.") % {"name": _display_name(f)},
                code="file_type",
            )
        checked.append(
            CheckedFile(name=download_name(_display_name(f), kind.mime), content=content, content_type=kind.mime)
        )
    return checked


def _has_active_content(content: bytes, mime: str) -> bool:
    """Markup in an image's bytes, or in what a GIF decoder reads out of its comment and extension blocks."""
    if mime == "application/pdf":
        return _pdf_has_active_content(content)
    if _has_markup(content):
        return True
    # A GIF's comments are cut into blocks of up to 255 bytes, each behind a length byte;
    # joined again they are what a viewer or a metadata tool shows.
    return mime == "image/gif" and _has_markup(_gif_extension_text(content))


def _has_markup(content: bytes) -> bool:
    lowered = content.lower()
    if IMAGE_TAGS.search(lowered) or any(scheme in lowered for scheme in IMAGE_URL_SCHEMES):
        return True
    return any(
        m.start() > 0 and lowered[m.start() - 1] in IMAGE_HANDLER_BEFORE for m in IMAGE_HANDLER.finditer(lowered)
    )


def _gif_extension_text(content: bytes) -> bytes:
    """The joined data of a GIF's extension blocks (comments, application and plain-text blocks)."""
    out = bytearray()
    if len(content) < 13:
        return bytes(out)
    pos = 13
    if content[10] & 0x80:  # global colour table
        pos += 3 * (2 ** ((content[10] & 0x07) + 1))
    while pos < len(content):
        block = content[pos]
        if block == 0x3B:  # trailer
            break
        if block == 0x21:  # extension: label, then data sub-blocks
            pos, data = _gif_sub_blocks(content, pos + 2)
            out += data + b"\n"
        elif block == 0x2C:  # image: descriptor, optional colour table, LZW code size, data sub-blocks
            if pos + 10 > len(content):
                break
            packed = content[pos + 9]
            pos += 10
            if packed & 0x80:
                pos += 3 * (2 ** ((packed & 0x07) + 1))
            pos, _data = _gif_sub_blocks(content, pos + 1)
        else:
            break
    return bytes(out)


def _gif_sub_blocks(content: bytes, pos: int) -> tuple[int, bytes]:
    data = bytearray()
    while pos < len(content):
        size = content[pos]
        pos += 1
        if size == 0:
            break
        data += content[pos : pos + size]
        pos += size
    return pos, bytes(data)


def _pdf_has_active_content(content: bytes) -> bool:
    """Whether any object of the PDF names an action, script, form or embedded file.

    The parser reads every object the cross-reference names, those in compressed object
    streams included, with names decoded; a file it cannot read raises (and is refused).
    The long names are also sought in the raw bytes for objects outside the table.
    """
    for match in PDF_NAME.finditer(content):
        if _decode_pdf_name(match.group(1)) in PDF_RAW_NAMES:
            return True
    reader = pypdf.PdfReader(io.BytesIO(content), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        # Only a file locked with an owner password alone opens without one; others cannot be checked.
        raise pypdf.errors.FileNotDecryptedError("a password is needed to read this PDF")
    if sum(len(numbers) for numbers in reader.xref.values()) + len(reader.xref_objStm) > MAX_PDF_OBJECTS:
        raise PdfTooComplex
    pending: list[Any] = [reader.trailer]
    for generation, numbers in reader.xref.items():
        pending.extend(pypdf.generic.IndirectObject(number, generation, reader) for number in numbers)
    pending.extend(pypdf.generic.IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    while pending:
        obj = pending.pop()
        if isinstance(obj, pypdf.generic.IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = reader.get_object(obj)
        if isinstance(obj, pypdf.generic.DictionaryObject):  # streams too: their dictionary
            for key, value in obj.items():
                if key in PDF_ACTIVE_NAMES:
                    return True
                pending.append(value)
        elif isinstance(obj, pypdf.generic.ArrayObject):
            pending.extend(obj)
        elif isinstance(obj, pypdf.generic.NameObject) and obj in PDF_ACTIVE_NAMES:
            return True
    return False


def _decode_pdf_name(raw: bytes) -> str:
    """`Java#53cript` -> `/JavaScript` (PDF 1.2+ escapes any byte of a name as #xx)."""
    decoded = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
    return "/" + decoded.decode("latin-1")


def _display_name(f) -> str:
    return Path(getattr(f, "name", "") or "file").name[:200]


def download_name(name: str, content_type: str) -> str:
    """The name a file is offered under: the resident's name, with the extension of what it really is.

    "照片.html" holding a JPEG downloads as "照片.jpg", so a staff member who opens
    the download is never handed a page or a program by its extension. Control
    characters and path separators are dropped.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch != ":")
    stem = Path(cleaned).stem.strip(" .") or "file"
    return f"{stem[:180]}{ALLOWED_TYPES.get(content_type, '.bin')}"


def attachment_path(storage_name: str) -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT) / storage_name[:2] / storage_name


def _store_attachments(case: Dispute, files: list[CheckedFile], written: list[Path]) -> list[Attachment]:
    """Write the files under random names (no extension a server would execute) and record them.

    Paths go into `written` so the caller can remove them if the transaction fails.
    """
    stored: list[Attachment] = []
    for f in files:
        storage_name = secrets.token_hex(16)
        path = attachment_path(storage_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f.content)
        path.chmod(0o600)
        written.append(path)
        stored.append(
            Attachment(
                dispute=case,
                storage_name=storage_name,
                original_name=f.name,
                content_type=f.content_type,
                size=len(f.content),
                sha256=hashlib.sha256(f.content).hexdigest(),
            )
        )
    Attachment.objects.bulk_create(stored)
    return stored


def find_duplicate(*, parties: list[dict[str, Any]]) -> Dispute | None:
    """The same applicant phone with an open case against the same respondent (same phone, or same name).

    Only a hint for staff: anyone who knows a resident's phone and the other side's
    name can make a submission match, so a match is never merged, answered or shown
    to the submitter (see `_flag_duplicate`).
    """
    applicant_phones = {p.get("phone") for p in parties if p.get("role") == PartyRole.APPLICANT and p.get("phone")}
    respondents = [p for p in parties if p.get("role") == PartyRole.RESPONDENT]
    if not applicant_phones or not respondents:
        return None
    # Most applicants have no earlier case at all: one indexed look-up settles that
    # before the query below is built (its ORM compilation costs more than running it).
    if not Party.objects.filter(role=PartyRole.APPLICANT, phone__in=applicant_phones).exists():
        return None
    candidates = Party.objects.filter(
        role=PartyRole.APPLICANT, phone__in=applicant_phones, dispute__status__in=DUPLICATE_STATUSES
    ).values("dispute_id")
    resp_phones = {p.get("phone") for p in respondents if p.get("phone")}
    resp_names = {p.get("name", "").strip() for p in respondents if p.get("name", "").strip()}
    same = Party.objects.filter(role=PartyRole.RESPONDENT, dispute_id__in=candidates)
    match = same.filter(phone__in=resp_phones) if resp_phones else same.none()
    if not match.exists() and resp_names:
        match = same.filter(name__in=resp_names)
    dispute_id = match.order_by("-dispute_id").values_list("dispute_id", flat=True).first()
    return Dispute.objects.filter(pk=dispute_id).first() if dispute_id else None


def dispute_intake(
    *,
    category: Category,
    description: str,
    grid: Area,
    channel: str,
    parties: list[dict[str, Any]],
    occurred_at: datetime | None = None,
    occurred_place: str = "",
    attachments: list[Any] | None = None,
    source_id: str = "",
    amount=None,
    people_involved: int | None = None,
    people_band: str = "",
    amount_band: str = "",
    actor: Actor | None = None,
    channel_key: ChannelKey | None = None,
) -> IntakeResult:
    """Store a submission as a new case; one that looks like an open case of the same people is flagged for staff.

    The answer is the same for a flagged case as for any other: its own tracking
    number, status and confirmation SMS, nothing about the case it resembles.

    `channel_key`: the API key of a machine channel or an Open311 client; a source id
    is the key's own, and a key limited to an area files cases there only
    (see `services.dispute_submit`).

    How many people and how much money: an exact figure or a range (`people_band`,
    `amount_band`), never both for the same thing; a range is stored with its lower
    bound, which triage reads (`disputes.scale.clean_scale`, the same at every door).
    """
    actor = actor or Actor.resident()
    scale = clean_scale(
        people_involved=people_involved, people_band=people_band, amount=amount, amount_band=amount_band
    )
    services.check_channel_key_area(channel_key=channel_key, grid=grid)
    files = check_attachments(list(attachments or []))
    if source_id:
        existing = services.dispute_by_source(channel=channel, channel_key=channel_key, source_id=source_id)
        if existing is not None:
            return IntakeResult(dispute=existing, created=False)
    written: list[Path] = []
    try:
        with transaction.atomic():
            return _intake(
                category=category,
                description=description,
                grid=grid,
                channel=channel,
                parties=parties,
                occurred_at=occurred_at,
                occurred_place=occurred_place,
                files=files,
                source_id=source_id,
                **scale,
                actor=actor,
                written=written,
                channel_key=channel_key,
            )
    except BaseException:
        # Nothing half-saved: the rows rolled back, so the files go too.
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _intake(*, files, written, actor, parties, description, source_id, **fields) -> IntakeResult:
    # Looked up before the new case exists, so it cannot find itself.
    duplicate = find_duplicate(parties=parties)
    case = services.dispute_submit(description=description, parties=parties, source_id=source_id, actor=actor, **fields)
    if getattr(case, "already_stored", False):
        # The same source record was stored by an earlier or concurrent request: nothing new to confirm.
        return IntakeResult(dispute=case, created=False)
    if files:
        _store_attachments(case, files, written)
    if duplicate is not None:
        _flag_duplicate(case, duplicate, actor)
    _confirm_by_sms(case, parties)
    return IntakeResult(dispute=case, created=True)


def _flag_duplicate(case: Dispute, original: Dispute, actor: Actor) -> None:
    """疑似重复: link the new case to the open case it resembles, with an internal event on both timelines.

    Staff merge the two by hand or dismiss the link (disputes.duplicates); the
    submitter is told nothing about it.
    """
    Dispute.objects.filter(pk=case.pk).update(duplicate_of=original)
    case.duplicate_of = original
    now = timezone.now()
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                dispute=case,
                at=now,
                actor=actor.user,
                actor_role=actor.role,
                kind=EventKind.DUPLICATE_SUSPECTED,
                data={"duplicate_of": original.tracking_number},
            ),
            CaseEvent(
                dispute=original,
                at=now,
                actor=actor.user,
                actor_role=actor.role,
                kind=EventKind.DUPLICATE_SUSPECTED,
                data={"duplicate": case.tracking_number},
            ),
        ]
    )


def _confirm_by_sms(case: Dispute, parties: list[dict[str, Any]]) -> None:
    phone = next((p.get("phone") for p in parties if p.get("role") == PartyRole.APPLICANT and p.get("phone")), "")
    if not phone:
        return
    # In the site's language, like every later SMS on the case: a walk-in registered
    # from the English pages must not send the resident an English message.
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "Your dispute has been registered. Tracking number: %(number)s. "
            "Track it at %(url)s with this number and your phone number."
        ) % {"number": case.tracking_number_display, "url": f"{settings.PUBLIC_BASE_URL}/track/"}
    notify_sms(phone=phone, kind="submitted", body=body, dispute_id=case.pk)
