"""附件: the uploads a submission brings, checked before anything is stored.

Every door that takes files (the public form, the public API, the staff walk-in
page) hands them to `check_attachments`: count, size, the real type sniffed from
the content, and no active content. The intake service stores what passes
(`disputes.services.intake`); `attachment_path` says where a stored file lives.
"""

import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filetype
import pypdf
from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError

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


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes
    content_type: str


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


def _display_name(f: Any) -> str:
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
