"""登记: how a resident's or a channel's submission becomes a case.

One service for every door: the public form and the staff walk-in page
(`disputes.views`), the public API, Open311 and the machine channels
(`channel_intake`, which also owns the channels' Idempotency-Key). Each door
checks what was typed its own way; from here on they validate and store alike.
The case and its attachments are stored in one transaction before anything else
can fail; routing and the confirmation SMS follow on commit. The answer is an
`IntakeResult`: the case, and whether it is new or a record already stored.
"""

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import dates
from core.actors import SYSTEM, Actor
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from core.notifications import notify_sms
from disputes.intake import CheckedFile, attachment_path, check_attachments
from disputes.models import Attachment, CaseEvent, Category, ChannelKey, Dispute, IdempotencyRecord, Party
from disputes.rules import effects as effect_rules
from disputes.rules.enums import Channel, EventKind, PartyRole, Status
from disputes.rules.tracking import new_tracking_number
from disputes.scale import clean_scale
from disputes.selectors.duplicates import find_duplicate
from disputes.selectors.intake import dispute_by_source, idempotency_record
from disputes.services.casefile import event_new
from disputes.services.deadlines import deadlines_open_for
from disputes.services.parties import party_fields
from disputes.services.routing import routing_enqueue
from grids.models import Area, AreaLevel

MAX_IDEMPOTENCY_KEY = 100  # IdempotencyRecord.key


@dataclass(frozen=True)
class IntakeResult:
    """What a door answers with: the case, and whether it is new.

    `created` is False for a record already stored (a resent source id, or a
    concurrent request that stored it first). Nothing else: in particular nothing
    that tells a case linked as a possible duplicate from any other.
    """

    dispute: Dispute
    created: bool


@dataclass(frozen=True)
class ChannelIntakeResult(IntakeResult):
    """A machine channel's answer: also whether its Idempotency-Key named an earlier request (`replayed`)."""

    replayed: bool = False


@dataclass(frozen=True)
class Submission:
    """A machine channel's record, as its serializer checked it (`channel_intake` reads it)."""

    category: Category
    description: str
    grid: Area
    parties: list[dict[str, Any]]
    occurred_at: datetime | None = None
    occurred_place: str = ""
    source_id: str = ""
    people_involved: Any = None
    people_band: str = ""
    amount: Any = None
    amount_band: str = ""


def check_channel_key_area(*, channel_key: ChannelKey | None, grid: Area) -> None:
    """A key limited to an area (a county's 110 link) files cases in that area only."""
    area = channel_key.area if channel_key is not None else None
    if area is None:
        return
    if not grid.path.startswith(area.path):
        raise PermissionDeniedError(
            _("This API key may only hand over cases in %(area)s.") % {"area": area.display_name},
            code="outside_key_area",
        )


# --- Storing the case ---------------------------------------------------------------------------------


def dispute_store(
    *,
    category: Category,
    description: str,
    grid: Area,
    channel: str,
    parties: list[dict[str, Any]],
    occurred_at: datetime | None = None,
    occurred_place: str = "",
    source_id: str = "",
    amount: Any = None,
    people_involved: int | None = None,
    people_band: str = "",
    amount_band: str = "",
    actor: Actor | None = None,
    channel_key: ChannelKey | None = None,
) -> IntakeResult:
    """登记: store a new case with its parties and first event, then route it after commit.

    The case is stored before anything else can fail: routing runs in a Celery
    task queued on commit, and a broker outage only delays it (the sweeper
    re-enqueues unrouted cases).

    `channel_key`: the machine channel's API key that hands the case over. It is
    stored with the case; a key limited to an area files cases there only; and a
    `source_id` is the key's own (`selectors.intake.dispute_by_source`): the same id
    from another key is another system's record and makes its own case. A source id
    already stored answers its case, not created.
    """
    actor = actor or Actor.resident()
    description = (description or "").strip()
    if not description:
        raise ApplicationError(_("Please describe what happened."), code="description_required")
    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel."), code="unknown_channel")
    if grid.level < AreaLevel.VILLAGE:
        raise ApplicationError(_("Choose the village, community or grid where it happened."), code="grid_required")
    if not any(p.get("role") == PartyRole.APPLICANT for p in parties):
        raise ApplicationError(_("A case needs at least one applicant."), code="applicant_required")
    if occurred_at is not None and occurred_at > timezone.now() + timedelta(minutes=5):
        raise ApplicationError(_("The date it happened cannot be in the future."), code="future_date")
    if occurred_at is not None and not dates.is_in_range(occurred_at):
        # The year 1 cannot be stored in UTC (core.dates): a 400 here, not an OverflowError in the database layer.
        raise ApplicationError(dates.out_of_range_message(), code="date_out_of_range")
    check_channel_key_area(channel_key=channel_key, grid=grid)

    if source_id:
        existing = dispute_by_source(channel=channel, channel_key=channel_key, source_id=source_id)
        if existing is not None:
            return IntakeResult(dispute=existing, created=False)

    now = timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Dispute.objects.create(
                    tracking_number=new_tracking_number(),
                    category=category,
                    description=description,
                    occurred_at=occurred_at,
                    occurred_place=occurred_place,
                    grid=grid,
                    area_path=grid.path,
                    channel=channel,
                    channel_key=channel_key,
                    source_id=source_id,
                    amount=amount,
                    people_involved=people_involved,
                    # A range and its lower bound in the two fields above (disputes.scale.clean_scale).
                    people_band=people_band,
                    amount_band=amount_band,
                    colour=category.base_colour,
                    submitted_at=now,
                )
                Party.objects.bulk_create([Party(dispute=case, **party_fields(p)) for p in parties])
                # The dispatch clock runs from now, whether or not routing ever runs (a worker outage).
                opened = deadlines_open_for(dispute=case, effect=effect_rules.SUBMIT, now=now)
                case.next_due_at = min(d.due_at for d in opened)
                Dispute.objects.filter(pk=case.pk).update(next_due_at=case.next_due_at)
                CaseEvent.objects.create(
                    dispute=case,
                    at=now,
                    actor=actor.user,
                    actor_role=actor.role,
                    kind=EventKind.TRANSITION,
                    action="submit",
                    to_status=Status.SUBMITTED,
                    data={"channel": channel},
                    is_public=True,
                )
                transaction.on_commit(partial(routing_enqueue, case.pk), robust=True)
            return IntakeResult(dispute=case, created=True)
        except IntegrityError:
            if source_id:
                # dispute_unique_key_source_id (per key) or dispute_unique_source_id (no key): the same scope.
                existing = dispute_by_source(channel=channel, channel_key=channel_key, source_id=source_id)
                if existing is not None:
                    return IntakeResult(dispute=existing, created=False)
            # Otherwise a tracking-number collision (1 in 2^59): draw again.
            continue
    raise ApplicationError(_("The case could not be stored. Please try again."), code="store_failed")


def dispute_submit(
    *,
    category: Category,
    description: str,
    grid: Area,
    channel: str,
    parties: list[dict[str, Any]],
    occurred_at: datetime | None = None,
    occurred_place: str = "",
    source_id: str = "",
    amount: Any = None,
    people_involved: int | None = None,
    people_band: str = "",
    amount_band: str = "",
    actor: Actor | None = None,
    channel_key: ChannelKey | None = None,
) -> Dispute:
    """`dispute_store`'s case, for callers to whom "already stored" makes no difference (a petition
    converted into a case, the benchmarks); the doors use `dispute_intake`."""
    return dispute_store(
        category=category,
        description=description,
        grid=grid,
        channel=channel,
        parties=parties,
        occurred_at=occurred_at,
        occurred_place=occurred_place,
        source_id=source_id,
        amount=amount,
        people_involved=people_involved,
        people_band=people_band,
        amount_band=amount_band,
        actor=actor,
        channel_key=channel_key,
    ).dispute


# --- The one intake service -----------------------------------------------------------------------------


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
    amount: Any = None,
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
    (see `dispute_store`).

    How many people and how much money: an exact figure or a range (`people_band`,
    `amount_band`), never both for the same thing; a range is stored with its lower
    bound, which triage reads (`disputes.scale.clean_scale`, the same at every door).
    """
    actor = actor or Actor.resident()
    scale = clean_scale(
        people_involved=people_involved, people_band=people_band, amount=amount, amount_band=amount_band
    )
    check_channel_key_area(channel_key=channel_key, grid=grid)
    files = check_attachments(list(attachments or []))
    if source_id:
        existing = dispute_by_source(channel=channel, channel_key=channel_key, source_id=source_id)
        if existing is not None:
            return IntakeResult(dispute=existing, created=False)
    written: list[Path] = []
    try:
        with transaction.atomic():
            # Looked up before the new case exists, so it cannot find itself.
            duplicate = find_duplicate(parties=parties)
            result = dispute_store(
                category=category,
                description=description,
                grid=grid,
                channel=channel,
                parties=parties,
                occurred_at=occurred_at,
                occurred_place=occurred_place,
                source_id=source_id,
                **scale,
                actor=actor,
                channel_key=channel_key,
            )
            if not result.created:
                # The same source record was stored by an earlier or concurrent request: nothing new to confirm.
                return result
            case = result.dispute
            if files:
                _store_attachments(case, files, written)
            if duplicate is not None:
                _flag_duplicate(case, duplicate, actor)
            _confirm_by_sms(case, parties)
            return result
    except BaseException:
        # Nothing half-saved: the rows rolled back, so the files go too.
        for path in written:
            path.unlink(missing_ok=True)
        raise


def request_hash(data: Any) -> str:
    """A hash of a request body's content: key order and spacing do not matter, values do."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def channel_intake(
    *, channel_key: ChannelKey, idempotency_key: str, body: Any, read: Callable[[], Submission]
) -> ChannelIntakeResult:
    """多网合一: a machine channel hands over a record; a record sent again never makes a second case.

    - `idempotency_key` (the request's Idempotency-Key header, "" when not sent): stored
      with the case and a hash of `body`. The same key with the same body answers the
      same case (`replayed`); with another body, ConflictError `idempotency_conflict`.
    - the record's `source_id`: a record this key already sent answers that case (`dispute_store`).

    `read` checks the body and gives the record; it is called only when the request is
    not a replay, so a resent request is answered as before whatever has changed since.
    Both hold under concurrency: the case and its IdempotencyRecord are written in one
    transaction, and the unique constraints decide which of two simultaneous requests
    wins. The loser's transaction is rolled back whole (its case too) and it answers
    with the winner's case.
    """
    idempotency_key = idempotency_key.strip()
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise ApplicationError(
            _("The Idempotency-Key header may be at most 100 characters long."), code="invalid_idempotency_key"
        )
    body_hash = request_hash(body)
    if idempotency_key:
        replay = _replay(channel_key, idempotency_key, body_hash)
        if replay is not None:
            return replay
    record = read()
    try:
        with transaction.atomic():
            result = dispute_intake(
                category=record.category,
                description=record.description,
                grid=record.grid,
                channel=channel_key.channel,
                parties=record.parties,
                occurred_at=record.occurred_at,
                occurred_place=record.occurred_place,
                source_id=record.source_id,
                people_involved=record.people_involved,
                people_band=record.people_band,
                amount=record.amount,
                amount_band=record.amount_band,
                actor=Actor(role=SYSTEM, label=channel_key.name),
                channel_key=channel_key,
            )
            if idempotency_key:
                IdempotencyRecord.objects.create(
                    channel_key=channel_key, key=idempotency_key, request_hash=body_hash, dispute=result.dispute
                )
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key committed first; ours is rolled back whole.
        replay = _replay(channel_key, idempotency_key, body_hash) if idempotency_key else None
        if replay is None:
            raise
        return replay
    return ChannelIntakeResult(dispute=result.dispute, created=result.created)


def _replay(channel_key: ChannelKey, idempotency_key: str, body_hash: str) -> ChannelIntakeResult | None:
    earlier = idempotency_record(channel_key=channel_key, key=idempotency_key)
    if earlier is None:
        return None
    if earlier.request_hash != body_hash:
        raise ConflictError(
            _("This Idempotency-Key was already used with a different request body."), code="idempotency_conflict"
        )
    return ChannelIntakeResult(dispute=earlier.dispute, created=False, replayed=True)


# --- What follows a new case -----------------------------------------------------------------------------


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


def _flag_duplicate(case: Dispute, original: Dispute, actor: Actor) -> None:
    """疑似重复: link the new case to the open case it resembles, with an internal event on both timelines.

    Staff merge the two by hand or dismiss the link (services.duplicates); the
    submitter is told nothing about it.
    """
    Dispute.objects.filter(pk=case.pk).update(duplicate_of=original)
    case.duplicate_of = original
    now = timezone.now()
    CaseEvent.objects.bulk_create(
        [
            event_new(
                case, actor, EventKind.DUPLICATE_SUSPECTED, now=now, data={"duplicate_of": original.tracking_number}
            ),
            event_new(
                original, actor, EventKind.DUPLICATE_SUSPECTED, now=now, data={"duplicate": case.tracking_number}
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
