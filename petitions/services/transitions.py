"""The one door through which a petition's status changes, and the decisions built on it.

`petition_transition` locks the row, checks the table (`petitions.rules.TRANSITIONS`),
the role and the jurisdiction, applies the action's own changes and its effect
on the clocks (`petitions.rules.EFFECTS`), and writes the timeline entry.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.casework.transitions import REASON_REQUIRED, UNKNOWN_ACTION, WRONG_ROLE, WRONG_STATE
from core.exceptions import ApplicationError, PermissionDeniedError
from grids.models import Department
from petitions import rules
from petitions.models import Petition
from petitions.rules import EventKind
from petitions.selectors import petition_get_for
from petitions.services.deadlines import deadlines_apply, next_due_refresh
from petitions.services.events import event_record

REFUSALS: dict[str, Callable[[], str]] = {
    UNKNOWN_ACTION: lambda: _("This action does not exist."),
    WRONG_STATE: lambda: _("This action is not possible while the petition is “%(status)s”."),
    WRONG_ROLE: lambda: _("Your role may not take this action."),
    REASON_REQUIRED: lambda: _("Please give a reason for this action."),
}


def refuse(code: str, petition: Petition) -> NoReturn:
    """Raise the refusal for a code of the transition checker (403 for the role, else 400)."""
    message = REFUSALS[code]() % {"status": petition.get_status_display()}
    error_class = PermissionDeniedError if code == WRONG_ROLE else ApplicationError
    raise error_class(message, code=code)


def require_role(actor: Actor, roles: frozenset[str]) -> None:
    if actor.role not in roles:
        raise PermissionDeniedError(_("Your role may not take this action."), code=WRONG_ROLE)


def petition_lock(actor: Actor, ref: Petition | int | str) -> Petition:
    """The petition's row, locked, if the actor may act on it (the platform and non-staff actors: any).

    Call inside a transaction. Outside the actor's jurisdiction: NotFoundError, as for a missing petition.
    """
    return petition_get_for(actor.user if actor.is_staff_member else None, ref, lock=True)


@dataclass
class Context:
    """One transition under way: what the action's own step reads and adds to the timeline entry."""

    petition: Petition
    actor: Actor
    now: datetime
    data: dict[str, Any]
    event_data: dict[str, Any] = field(default_factory=dict)


def petition_transition(
    *, petition: Petition | int, action: str, actor: Actor, reason: str = "", data: dict[str, Any] | None = None
) -> Petition:
    """Apply one action of `rules.TRANSITIONS`: lock the row, check table, role and jurisdiction, write the event."""
    with transaction.atomic():
        locked = petition_lock(actor, petition)
        return transition_apply(locked, action=action, actor=actor, reason=reason, data=dict(data or {}))


def transition_apply(petition: Petition, *, action: str, actor: Actor, reason: str, data: dict[str, Any]) -> Petition:
    """The transition on a row the caller has locked (the door's inside, for services built on it)."""
    result = rules.check_transition(status=petition.status, action=action, role=actor.role, reason=reason)
    if isinstance(result, str):
        refuse(result, petition)
    now = timezone.now()
    ctx = Context(petition=petition, actor=actor, now=now, data=data)
    from_status = petition.status
    step = STEPS.get(action)
    if step is not None:
        step(ctx)
    deadlines_apply(petition=petition, effect=rules.EFFECTS[action], now=now)
    petition.status = result.target
    if result.target in rules.FINAL_STATUSES:
        petition.closed_at = now
    next_due_refresh(petition)
    petition.save()
    event_record(
        petition,
        actor,
        EventKind.TRANSITION,
        now=now,
        action=action,
        from_status=from_status,
        to_status=result.target,
        reason=reason,
        data=ctx.event_data,
    )
    return petition


# --- What each action changes on the petition itself (its clocks: rules.EFFECTS) -----------------------


def _accept(ctx: Context) -> None:
    p = ctx.petition
    department = ctx.data.get("handling_department") or p.handling_department or p.receiving_office
    p.handling_department = department
    p.accepted_at = ctx.now
    ctx.event_data["handling_department"] = department.pk


def _refer(ctx: Context) -> None:
    body = (ctx.data.get("referred_to") or "").strip()
    if not body:
        raise ApplicationError(_("Name the body the petition is referred to."), code="referred_to_required")
    ctx.petition.referred_to = body
    ctx.event_data["referred_to"] = body


def _reply(ctx: Context) -> None:
    text = (ctx.data.get("reply_text") or "").strip()
    if not text:
        raise ApplicationError(_("Write the reply to the petitioner."), code="reply_required")
    p = ctx.petition
    p.reply_text = text
    p.replied_at = ctx.now
    p.callback_result = ""


def _request_review(ctx: Context) -> None:
    ctx.petition.review_requested = True


def _to_dispute(ctx: Context) -> None:
    dispute = ctx.data.get("dispute")
    if dispute is None:
        raise ApplicationError(_("Use “Turn into a dispute case” to create the case."), code="dispute_required")
    ctx.petition.dispute = dispute
    ctx.event_data.update({"dispute": dispute.pk, "dispute_tracking_number": dispute.tracking_number})


STEPS: dict[str, Callable[[Context], None]] = {
    "accept": _accept,
    "refer": _refer,
    "reply": _reply,
    "request_review": _request_review,
    "to_dispute": _to_dispute,
}


# --- Built on the door ---------------------------------------------------------------------------------

DECISIONS = rules.DECISIONS


def petition_decide(
    *,
    petition: Petition | int,
    actor: Actor,
    decision: str,
    reason: str = "",
    handling_department: Department | None = None,
    referred_to: str = "",
) -> Petition:
    """受理决定: accept (opens the 60-day handling clock), not accept with a reason, or refer to the competent body."""
    if decision not in DECISIONS:
        raise ApplicationError(_("This action does not exist."), code=UNKNOWN_ACTION)
    data = {"handling_department": handling_department, "referred_to": referred_to}
    return petition_transition(petition=petition, action=decision, actor=actor, reason=reason, data=data)


def petition_reply(*, petition: Petition | int, actor: Actor, text: str) -> Petition:
    """书面答复: closes the handling clock and opens the petitioner's 30-day window to ask for a review."""
    return petition_transition(petition=petition, action="reply", actor=actor, data={"reply_text": text})
