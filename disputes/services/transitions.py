"""六步闭环: the one door through which a case's status changes, and each action's effects.

`dispute_transition` locks the case, checks the transition table
(`disputes.rules.lifecycle`), the actor's jurisdiction and the handler rule,
applies the action's row of the effects table (`disputes.rules.effects`: the
deadlines it finishes, cancels and opens) around the action's own effect
(department, mediator, dates, notifications), writes the event and returns the
case. Anything else raises ApplicationError in the user's language and changes
nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.casework import transitions as refusal
from core.exceptions import ApplicationError, PermissionDeniedError
from core.notifications import notify_staff
from disputes.callbacks import rating_url
from disputes.models import CaseEvent, Dispute, DisputeAssist, RoutingReturn, WithdrawalRequest
from disputes.rules import effects as effect_rules
from disputes.rules import lifecycle
from disputes.rules import triage as triage_rules
from disputes.rules.enums import Colour, EventKind, Outcome
from disputes.services.casefile import (
    DisputeRef,
    check_department_serves,
    check_handler,
    check_jurisdiction,
    lock_visible,
    notify_applicants,
)
from disputes.services.deadlines import (
    deadlines_close_for,
    deadlines_open_for,
    dispatch_clock_retime,
    dispute_refresh_next_due,
)
from disputes.services.handover import return_notices, transfer_notices
from disputes.services.leader import leader_needed_notify
from disputes.services.outcomes import outcome_apply
from disputes.services.triage import triage_facts
from grids import roles
from grids.models import Department

REFUSALS: dict[str, Callable[[], str]] = {
    refusal.UNKNOWN_ACTION: lambda: _("This action does not exist."),
    refusal.WRONG_STATE: lambda: _("This action is not possible while the case is “%(status)s”."),
    refusal.WRONG_ROLE: lambda: _("Your role may not take this action."),
    refusal.REASON_REQUIRED: lambda: _("Please give a reason for this action."),
}


@dataclass
class TransitionContext:
    """What an action's effect works on: the locked case, who acts, when, and what the caller supplied."""

    dispute: Dispute
    actor: Actor
    now: datetime
    data: dict[str, Any]
    event_data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def dispute_transition(
    *,
    dispute: DisputeRef,
    action: str,
    actor: Actor,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> Dispute:
    """Apply one action of the transition table to a case (see the module docstring)."""
    data = dict(data or {})
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        result = lifecycle.check_transition(status=case.status, action=action, role=actor.role, reason=reason)
        if isinstance(result, str):
            message = REFUSALS[result]() % {"status": case.get_status_display()}
            error_class = PermissionDeniedError if result == refusal.WRONG_ROLE else ApplicationError
            raise error_class(message, code=result)
        transition = result
        check_handler(handled_case(case, action), actor, action)
        if action == "withdraw":
            check_withdrawal_approved(case, data)

        now = timezone.now()
        ctx = TransitionContext(dispute=case, actor=actor, now=now, data=data, reason=reason)
        from_status = case.status
        deadlines = effect_rules.EFFECTS[action]
        deadlines_close_for(dispute=case, effect=deadlines, now=now)
        effect = EFFECTS.get(action)
        if effect is not None:
            effect(ctx)
        deadlines_open_for(dispute=case, effect=deadlines, now=now)
        case.status = transition.target
        dispute_refresh_next_due(dispute=case)
        case.save()
        CaseEvent.objects.create(
            dispute=case,
            at=now,
            actor=actor.user,
            actor_role=actor.role,
            kind=EventKind.TRANSITION,
            action=action,
            from_status=from_status,
            to_status=transition.target,
            reason=reason,
            data=ctx.event_data,
            is_public=transition.public,
        )
    return case


def handled_case(case: Dispute, action: str) -> Dispute:
    """The case whose handlers may take `action` on `case`: a duplicate is merged by the earlier case's."""
    if action == "merge_duplicate" and case.duplicate_of is not None:
        return case.duplicate_of
    return case


# --- Each action's own effect (its deadlines are its row of disputes.rules.effects) ---------------------


def _department_from(ctx: TransitionContext) -> Department:
    department = ctx.data.get("department")
    if isinstance(department, int):
        department = Department.objects.filter(pk=department, is_active=True).first()
    if department is None:
        raise ApplicationError(
            _("Choose the department that should handle the case."),
            code="department_required",
            extra={"field": "department"},
        )
    # A person chooses among the departments serving the place; the platform follows the diversion list.
    if ctx.actor.is_staff_member:
        check_department_serves(ctx.dispute, department)
    chosen: Department = department
    return chosen


def _effect_triage(ctx: TransitionContext) -> None:
    case = ctx.dispute
    result = triage_rules.triage(triage_facts(case, now=ctx.now))
    old_colour = case.colour
    case.colour = result.colour
    # The dispatch clock runs the colour's window from the submission (red: 30 minutes).
    dispatch_clock_retime(dispute=case, old_colour=old_colour, now=ctx.now)
    case.triage_reasons = result.reasons_as_dicts()
    ctx.event_data.update({"colour": Colour(result.colour).code, "reasons": case.triage_reasons})
    # 包案: a red case asks the supervisors of its area to name its leader.
    leader_needed_notify([case])


def _effect_dispatch(ctx: TransitionContext) -> None:
    case = ctx.dispute
    department = _department_from(ctx)
    case.lead_department = department
    case.assigned_mediator = None
    rule = ctx.data.get("rule")
    case.routing_rule = rule
    ctx.event_data["department"] = department.pk
    ctx.event_data["department_name"] = department.name
    notify_applicants(
        case,
        kind="dispatched",
        message=lambda: (
            _("Your case %(number)s has been sent to %(department)s, which will handle it.")
            % {"number": case.tracking_number_display, "department": department.display_name}
        ),
    )
    if rule is not None:
        ctx.event_data["rule"] = rule.pk
        # 联合调解: the rule's assisting departments join the case from the start.
        for assisting in rule.assisting_departments.all():
            if assisting.pk != department.pk:
                DisputeAssist.objects.get_or_create(dispute=case, department=assisting)


def _effect_transfer(ctx: TransitionContext) -> None:
    department = ctx.data.get("department")
    if department is not None and getattr(department, "pk", department) == ctx.dispute.lead_department_id:
        raise ApplicationError(
            _("This department already leads the case."), code="already_lead", extra={"field": "department"}
        )
    ctx.event_data["from_department"] = ctx.dispute.lead_department_id
    _effect_dispatch(ctx)
    # The new lead department hears of it in its inbox (its heads, else its staff).
    if ctx.dispute.lead_department is not None:
        transfer_notices(ctx.dispute, ctx.dispute.lead_department)


def _effect_accept(ctx: TransitionContext) -> None:
    case = ctx.dispute
    # The accepting handler becomes the mediator; an admin accepting for a department does not.
    if case.assigned_mediator_id is None and ctx.actor.user is not None and ctx.actor.role in roles.HANDLERS:
        case.assigned_mediator = ctx.actor.user
        ctx.event_data["mediator"] = ctx.actor.user.pk
    if case.lead_department is not None:
        department = case.lead_department
        notify_applicants(
            case,
            kind="accepted",
            message=lambda: (
                _("%(department)s has accepted your case %(number)s. A mediator will contact you.")
                % {"number": case.tracking_number_display, "department": department.display_name}
            ),
        )


def _effect_return(ctx: TransitionContext) -> None:
    case = ctx.dispute
    ctx.event_data["from_department"] = case.lead_department_id
    # A routing miss: counted per department and per diversion rule on the dashboard.
    if case.lead_department_id is not None:
        RoutingReturn.objects.create(
            dispute=case,
            department_id=case.lead_department_id,
            rule_id=case.routing_rule_id,
            reason=ctx.reason,
            at=ctx.now,
        )
    # The dispatchers of its area hear of it, with the reason, in their inbox.
    return_notices(case, department_id=case.lead_department_id, reason=ctx.reason)
    case.routing_rule = None
    case.lead_department = None
    case.assigned_mediator = None


def _effect_report_back(ctx: TransitionContext) -> None:
    case = ctx.dispute
    outcome = ctx.data.get("outcome")
    if outcome not in Outcome.values:
        raise ApplicationError(
            _("Choose the outcome of the case."), code="outcome_required", extra={"field": "outcome"}
        )
    case.outcome = outcome
    case.reported_at = ctx.now
    # A new report-back awaits its own callback: an earlier "dissatisfied" no longer stands.
    case.callback_result = ""
    ctx.event_data["outcome"] = outcome
    # The outcome's own rules (an agreement for "agreement", what was agreed for an oral agreement: the
    # report-back's remarks; the court's or police's number for a referral).
    data = {**ctx.data, "remarks": ctx.reason}
    outcome_apply(case=case, outcome=outcome, data=data, now=ctx.now, event_data=ctx.event_data, actor=ctx.actor)


def _effect_close(ctx: TransitionContext) -> None:
    ctx.dispute.closed_at = ctx.now
    _record_callback_result(ctx)


def _record_callback_result(ctx: TransitionContext) -> None:
    """回访's verdict (data["callback_result"], a CallbackResult code) on the case and its event."""
    result = ctx.data.get("callback_result")
    if result:
        ctx.dispute.callback_result = result
        ctx.event_data["callback_result"] = result


def _effect_reopen(ctx: TransitionContext) -> None:
    case = ctx.dispute
    case.reopened_count += 1
    case.closed_at = None
    case.outcome = ""
    _record_callback_result(ctx)
    _notify_reopened(case)


def _notify_reopened(case: Dispute) -> None:
    """Back to the same department and mediator: tell the mediator (or the department) and the applicant."""
    if case.assigned_mediator_id is not None:
        handlers = get_user_model().objects.filter(pk=case.assigned_mediator_id, is_active=True)
    elif case.lead_department_id is not None:
        handlers = get_user_model().objects.filter(staff__department_id=case.lead_department_id, is_active=True)
    else:
        handlers = get_user_model().objects.none()
    with translation.override(settings.LANGUAGE_CODE):
        body = _("Case %(number)s has been reopened after the callback: please handle it again.") % {
            "number": case.tracking_number_display
        }
    for user in handlers.order_by("pk")[:20]:
        notify_staff(user=user, kind="reopened", body=body, dispute_id=case.pk)
    notify_applicants(
        case,
        kind="reopened",
        message=lambda: (
            _("Your case %(number)s has been reopened and will be handled again. A mediator will contact you.")
            % {"number": case.tracking_number_display}
        ),
    )


def check_withdrawal_approved(case: Dispute, data: dict[str, Any]) -> None:
    """撤回 only applies an approved request of the applicant's (disputes.services.withdrawal passes it in
    data["withdrawal_request"]): no page, API, channel or bulk action withdraws a case without one."""
    request = data.get("withdrawal_request")
    approved = (
        isinstance(request, WithdrawalRequest)
        and request.dispute_id == case.pk
        and WithdrawalRequest.objects.filter(
            pk=request.pk, dispute=case, state=WithdrawalRequest.State.APPROVED
        ).exists()
    )
    if not approved:
        raise PermissionDeniedError(
            _(
                "A case is withdrawn only at the applicant's request, approved by a supervisor: "
                "record the applicant's request instead."
            ),
            code="withdrawal_needs_approval",
        )


def _effect_withdraw(ctx: TransitionContext) -> None:
    ctx.dispute.closed_at = ctx.now
    ctx.dispute.outcome = Outcome.WITHDRAWN
    ctx.event_data["withdrawal_request"] = ctx.data["withdrawal_request"].pk


def _effect_merge_duplicate(ctx: TransitionContext) -> None:
    """Close a suspected duplicate into the earlier case it is linked to (data["into"]: that case's pk).

    Only through `services.duplicates.dispute_merge_duplicate`, which writes the
    merge's events and moves the text and files; the earlier case must be the
    one the duplicate is linked to and one the actor may see.
    """
    case = ctx.dispute
    into = ctx.data.get("into")
    original = case.duplicate_of
    if original is None or getattr(into, "pk", into) != original.pk:
        raise ApplicationError(
            _("This case is not marked as a possible duplicate of that case."), code="not_a_duplicate"
        )
    check_jurisdiction(original, ctx.actor)
    case.closed_at = ctx.now
    # Counted like a withdrawal: it is neither resolved nor failed, its dispute is the earlier case's.
    case.outcome = Outcome.WITHDRAWN
    ctx.event_data["merged_into"] = original.tracking_number


# The actions with an effect of their own beyond their deadlines ("start_mediation", "resume" and
# "await_callback" change the status and their deadlines only).
EFFECTS: dict[str, Callable[[TransitionContext], None]] = {
    "merge_duplicate": _effect_merge_duplicate,
    "triage": _effect_triage,
    "dispatch": _effect_dispatch,
    "transfer": _effect_transfer,
    "accept": _effect_accept,
    "return": _effect_return,
    "report_back": _effect_report_back,
    "close": _effect_close,
    "reopen": _effect_reopen,
    "withdraw": _effect_withdraw,
}


# --- 反馈: the report-back and its callback, in one step -------------------------------------------------


def dispute_report_back(
    *,
    dispute: DisputeRef,
    actor: Actor,
    outcome: str,
    reason: str = "",
    referral_reference: str = "",
    signed_on: date | None = None,
    effective_on: date | None = None,
) -> Dispute:
    """反馈: record the outcome and open the 7-day callback in one step.

    `referral_reference` is the court's case number (litigation) or the police's reference (police).
    `signed_on` / `effective_on`: for an agreement whose current version is not signed yet, the day it was
    signed and the day it takes effect (today unless given: `services.outcomes.outcome_apply`).
    """
    with transaction.atomic():
        case = dispute_transition(
            dispute=dispute,
            action="report_back",
            actor=actor,
            reason=reason,
            data={
                "outcome": outcome,
                "referral_reference": referral_reference,
                "signed_on": signed_on,
                "effective_on": effective_on,
            },
        )
        case = dispute_transition(dispute=case, action="await_callback", actor=Actor.system())
        _notify_outcome(case)
        return case


def _notify_outcome(case: Dispute) -> None:
    """The result in plain words and the rating link (回访 by the resident), to each applicant with a phone."""
    url = rating_url(case)
    notify_applicants(
        case,
        kind="reported",
        message=lambda: (
            _("Your case %(number)s has a result: %(outcome)s. Are you satisfied? Tell us here: %(url)s")
            % {"number": case.tracking_number_display, "outcome": Outcome(case.outcome).label, "url": url}
        ),
    )
