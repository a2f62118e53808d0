"""工作台's writes: "take next" (领取下一件) and bulk actions (批量操作); the queue's reads are
`disputes.selectors.queue`."""

from dataclasses import dataclass
from typing import cast
from uuid import uuid4

from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from core.types import User
from disputes.models import CaseEvent, Dispute
from disputes.rules.enums import Colour, EventKind
from disputes.rules.tracking import normalise_tracking_number
from disputes.selectors.cases import disputes_visible_to
from disputes.selectors.queue import HANDLER_ROLES, take_next_candidates
from disputes.services.assignment import dispute_assign
from disputes.services.transitions import dispute_transition
from disputes.services.triage import dispute_override_colour
from grids import roles
from grids.models import Department

MAX_BULK = 100
BULK_ROLES = frozenset({roles.DISPATCHER, roles.SUPERVISOR, roles.ADMIN})


def queue_take_next(*, actor: Actor) -> Dispute | None:
    """The most urgent waiting case of the handler's department, accepted by them; None if nothing waits.

    The candidate row is locked with SKIP LOCKED, so two mediators clicking at
    the same moment each get a different case instead of queueing on one row.
    Accepting goes through the transition service (which makes the accepting
    handler the case's mediator and starts the resolve clock).
    """
    if actor.role not in HANDLER_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    with transaction.atomic():
        case = take_next_candidates(user=actor.user).select_for_update(skip_locked=True).first()
        if case is None:
            return None
        CaseEvent.objects.create(
            dispute=case,
            at=timezone.now(),
            actor=actor.user,
            actor_role=actor.role,
            kind=EventKind.ASSIGNED,
            data={"mediator": actor.user.pk, "taken_from_queue": True},
        )
        return dispute_transition(dispute=case, action="accept", actor=actor)


# --- 批量操作: bulk actions ------------------------------------------------------------------------------


class BulkAction(TextChoices):
    ASSIGN = "assign", gettext_lazy("Assign to a mediator")
    TRANSFER = "transfer", gettext_lazy("Transfer to another department")
    COLOUR = "colour", gettext_lazy("Change the colour")


@dataclass(frozen=True)
class BulkResult:
    tracking_number: str
    ok: bool
    code: str = ""
    message: str = ""


def _unique(numbers: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for number in numbers:
        normalised = normalise_tracking_number(number)
        if normalised:
            seen.setdefault(normalised, None)
    return list(seen)


def queue_bulk(
    *,
    actor: Actor,
    action: str,
    tracking_numbers: list[str],
    mediator: User | None = None,
    department: Department | None = None,
    colour: int | None = None,
    reason: str = "",
) -> list[BulkResult]:
    """Apply one action to each selected case, each in its own transaction.

    Every case goes through the same service as a single action (and its
    checks: role, jurisdiction, state), so a case refused stays as it was and
    does not undo the others. Each case changed also gets a BULK event naming
    the batch. Returns one result per case, in the order given.
    """
    if actor.role not in BULK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    numbers = _unique(tracking_numbers)
    if not numbers:
        raise ApplicationError(_("Select at least one case."), code="nothing_selected")
    if len(numbers) > MAX_BULK:
        raise ApplicationError(
            _("Select at most %(max)d cases at a time.") % {"max": MAX_BULK}, code="too_many_selected"
        )
    reason = (reason or "").strip()
    if action == BulkAction.ASSIGN and mediator is None:
        raise ApplicationError(_("Choose the mediator."), code="mediator_required")
    if action == BulkAction.TRANSFER and department is None:
        raise ApplicationError(_("Choose the department that should handle the case."), code="department_required")
    if action == BulkAction.COLOUR and colour not in Colour.values:
        raise ApplicationError(_("Unknown colour."), code="unknown_colour")
    if action in (BulkAction.TRANSFER, BulkAction.COLOUR) and not reason:
        raise ApplicationError(_("Please give a reason for this action."), code="reason_required")
    if action not in BulkAction.values:
        raise ApplicationError(_("This action does not exist."), code="unknown_action")

    found = dict(
        disputes_visible_to(actor.user).filter(tracking_number__in=numbers).values_list("tracking_number", "pk")
    )
    batch = uuid4().hex[:12]
    results = []
    for number in numbers:
        pk = found.get(number)
        if pk is None:
            results.append(BulkResult(number, False, "not_found", _("Case not found.")))
            continue
        try:
            with transaction.atomic():
                _bulk_one(
                    pk=pk,
                    action=action,
                    actor=actor,
                    mediator=mediator,
                    department=department,
                    colour=colour,
                    reason=reason,
                )
                CaseEvent.objects.create(
                    dispute_id=pk,
                    at=timezone.now(),
                    actor=actor.user,
                    actor_role=actor.role,
                    kind=EventKind.BULK,
                    action=action,
                    reason=reason,
                    data={"batch": batch, "cases": len(numbers)},
                )
        except ApplicationError as exc:
            results.append(BulkResult(number, False, exc.code, str(exc.message)))
        else:
            results.append(BulkResult(number, True))
    return results


def _bulk_one(
    *,
    pk: int,
    action: str,
    actor: Actor,
    mediator: User | None,
    department: Department | None,
    colour: int | None,
    reason: str,
) -> None:
    if action == BulkAction.ASSIGN:
        dispute_assign(dispute=pk, actor=actor, mediator=mediator, reason=reason)
    elif action == BulkAction.TRANSFER:
        current = Dispute.objects.filter(pk=pk).values_list("lead_department_id", flat=True).first()
        if department is not None and current == department.pk:  # queue_bulk asked for one
            raise ApplicationError(_("This department already leads the case."), code="already_lead")
        dispute_transition(dispute=pk, action="transfer", actor=actor, reason=reason, data={"department": department})
    else:
        dispute_override_colour(dispute=pk, actor=actor, colour=cast(int, colour), reason=reason)
