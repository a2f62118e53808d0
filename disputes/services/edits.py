"""Edits to a case beside its status: the description, internal notes, and pausing its handling clocks."""

from datetime import datetime
from typing import cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from disputes.models import CaseEvent, Deadline, Dispute
from disputes.rules import clocks, pauses
from disputes.rules.enums import EventKind
from disputes.services.casefile import DisputeRef, check_handler, event_record, lock_visible, refuse_if_finished
from disputes.services.deadlines import PAUSABLE, dispute_refresh_next_due
from disputes.services.parties import check_party_adder
from disputes.services.triage import dispute_retriage
from grids import roles

# Who may pause a case's clocks besides its handlers.
CLOCK_ROLES = frozenset({roles.DISPATCHER, roles.SUPERVISOR, roles.ADMIN})


def dispute_update_description(*, dispute: DisputeRef, actor: Actor, description: str) -> Dispute:
    """The description is corrected or completed: the old text stays on the timeline, triage runs again.

    Who may: whoever may add a party (`parties.check_party_adder`): handlers, the area's dispatchers and
    supervisors, administrators.
    """
    description = (description or "").strip()
    if not description:
        raise ApplicationError(
            _("Please describe what happened."), code="description_required", extra={"field": "description"}
        )
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        refuse_if_finished(case)
        # The facts of the case: whoever may add a party may correct what happened (every door).
        check_party_adder(case, actor)
        previous = case.description
        case.description = description
        case.save(update_fields=["description", "updated_at"])
        event_record(case, actor, EventKind.DESCRIPTION_EDITED, data={"previous": previous})
        return dispute_retriage(dispute=case, actor=actor, cause="description_edited")


def dispute_add_note(*, dispute: DisputeRef, actor: Actor, text: str) -> CaseEvent:
    """An internal note: anyone who may see the case (assisting departments too). Never shown to residents."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("The note is empty."), code="note_empty", extra={"field": "text"})
    if not actor.is_staff_member:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        return event_record(case, actor, EventKind.NOTE, reason=text)


def check_clock_keeper(case: Dispute, actor: Actor) -> None:
    """Who may pause and resume a case's clocks: its handlers, or a dispatcher, supervisor or administrator."""
    if actor.role in roles.HANDLERS:
        check_handler(case, actor, "clock")
    elif actor.role not in CLOCK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")


def dispute_pause_clock(*, dispute: DisputeRef, actor: Actor, reason: str, category: str = "") -> Dispute:
    """The case waits on a party (e.g. a document, a hospital stay): its handling clocks stop.

    `category` (`disputes.rules.pauses.PauseReason`, "other" when empty) is what the resident is told;
    the free-text `reason` stays with staff."""
    category = category or pauses.PauseReason.OTHER
    if category not in pauses.PauseReason.values:
        raise ApplicationError(
            _("Choose why the clock is paused."), code="invalid_pause_reason", extra={"field": "category"}
        )
    if not (reason or "").strip():
        raise ApplicationError(
            _("Please give a reason for this action."), code="reason_required", extra={"field": "reason"}
        )
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_clock_keeper(case, actor)
        now = timezone.now()
        paused = (
            Deadline.objects.open()
            .filter(dispute=case, kind__in=PAUSABLE, paused_at__isnull=True)
            .update(paused_at=now, updated_at=now)
        )
        if not paused:
            raise ApplicationError(_("No running clock to pause."), code="nothing_to_pause")
        dispute_refresh_next_due(dispute=case)
        case.save(update_fields=["next_due_at", "updated_at"])
        event_record(
            case, actor, EventKind.CLOCK_PAUSED, reason=reason, data={pauses.DATA_KEY: category}, now=now, public=True
        )
    return case


def dispute_resume_clock(*, dispute: DisputeRef, actor: Actor) -> Dispute:
    """The wait is over: each paused deadline moves by the time it was paused."""
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_clock_keeper(case, actor)
        now = timezone.now()
        rows = list(Deadline.objects.open().select_for_update().filter(dispute=case, paused_at__isnull=False))
        if not rows:
            raise ApplicationError(_("No paused clock to resume."), code="nothing_to_resume")
        for d in rows:
            paused_at = cast(datetime, d.paused_at)  # the rows read are paused
            shift = now - paused_at
            d.due_at = clocks.resume_due_at(d.due_at, paused_at, now)
            if d.escalate_at is not None:
                d.escalate_at = d.escalate_at + shift
            d.paused_seconds += int(shift.total_seconds())
            d.paused_at = None
            d.save(update_fields=["due_at", "escalate_at", "paused_seconds", "paused_at", "updated_at"])
        dispute_refresh_next_due(dispute=case)
        case.save(update_fields=["next_due_at", "updated_at"])
        event_record(case, actor, EventKind.CLOCK_RESUMED, now=now, public=True)
    return case
