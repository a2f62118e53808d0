"""六步闭环: the transition table of the closed loop.

register → dispatch → accept → handle → report back → evaluate. Each action
names the states it may start from, the state it leads to, and who may take it.
`disputes.services.transitions.dispute_transition` is the only code that applies it; the deadlines
each action opens and closes are `disputes.rules.effects`.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.casework.transitions import Transition, TransitionTable
from core.casework.transitions import transition as _t
from disputes.rules.enums import Status
from grids.roles import (
    ADMIN,
    ALL_ROLES,
    CALLBACK_CALLER,
    DEPARTMENT_STAFF,
    DISPATCHER,
    HANDLERS,
    MEDIATOR,
    RESIDENT,
    SUPERVISOR,
    SYSTEM,
)

__all__ = [
    "ADMIN",
    "ALL_ROLES",
    "CALLBACK_CALLER",
    "DEPARTMENT_STAFF",
    "DISPATCHER",
    "HANDLERS",
    "MEDIATOR",
    "RESIDENT",
    "SUPERVISOR",
    "SYSTEM",
    "TRANSITIONS",
    "Transition",
    "allowed_actions",
    "check_transition",
]

S = Status
TRANSITIONS = TransitionTable(
    (
        _t("triage", {S.SUBMITTED}, S.TRIAGED, {SYSTEM, DISPATCHER, SUPERVISOR}, _("Triage")),
        _t("dispatch", {S.TRIAGED, S.RETURNED}, S.DISPATCHED, {SYSTEM, DISPATCHER, SUPERVISOR}, _("Dispatch")),
        _t("accept", {S.DISPATCHED}, S.ACCEPTED, HANDLERS, _("Accept")),
        _t(
            "return",
            {S.DISPATCHED, S.ACCEPTED},
            S.RETURNED,
            HANDLERS,
            _("Return to dispatch"),
            needs_reason=True,
        ),
        _t(
            "transfer",
            {S.DISPATCHED, S.ACCEPTED, S.IN_MEDIATION},
            S.DISPATCHED,
            {DISPATCHER, SUPERVISOR, *HANDLERS},
            _("Transfer to another department"),
            needs_reason=True,
        ),
        _t("start_mediation", {S.ACCEPTED}, S.IN_MEDIATION, HANDLERS, _("Start mediation")),
        _t("report_back", {S.ACCEPTED, S.IN_MEDIATION}, S.REPORTED, HANDLERS, _("Report back with an outcome")),
        _t("await_callback", {S.REPORTED}, S.AWAITING_CALLBACK, {SYSTEM}, _("Schedule the callback")),
        _t(
            "close",
            {S.AWAITING_CALLBACK},
            S.CLOSED,
            {SYSTEM, CALLBACK_CALLER, SUPERVISOR},
            # 归档: the close after the callback (办结 is the report-back).
            pgettext_lazy("case action", "Close"),
        ),
        _t(
            "reopen",
            {S.AWAITING_CALLBACK, S.CLOSED},
            S.REOPENED,
            {SYSTEM, RESIDENT, CALLBACK_CALLER, SUPERVISOR},
            _("Reopen after dissatisfaction"),
            needs_reason=True,
        ),
        _t("resume", {S.REOPENED}, S.IN_MEDIATION, HANDLERS, _("Resume mediation")),
        # 撤回: only on the applicant's request, approved by a supervisor of the case's area
        # (disputes.services.withdrawal applies it; dispute_transition refuses it without an approved request).
        _t(
            "withdraw",
            {S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.RETURNED, S.ACCEPTED, S.IN_MEDIATION, S.REOPENED},
            S.WITHDRAWN,
            {SYSTEM, SUPERVISOR},
            _("Withdraw"),
            needs_reason=True,
        ),
        # 疑似重复: staff close a suspected duplicate into the earlier case it repeats (services.duplicates).
        # Its handler check is made against that earlier case, not this one (services.transitions.handled_case).
        _t(
            "merge_duplicate",
            {S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.RETURNED, S.ACCEPTED, S.IN_MEDIATION, S.REOPENED},
            S.WITHDRAWN,
            {DISPATCHER, SUPERVISOR, *HANDLERS},
            _("Merge into the earlier case"),
            needs_reason=True,
        ),
    ),
    always={ADMIN},
)


def allowed_actions(status: str, role: str) -> list[str]:
    """The actions `role` may take on a case in `status`, in table order."""
    return TRANSITIONS.allowed_actions(status, role)


def check_transition(*, status: str, action: str, role: str, reason: str = "") -> Transition | str:
    """The transition if allowed, else a refusal code: unknown_action, wrong_state, wrong_role, reason_required."""
    return TRANSITIONS.check(status=status, action=action, role=role, reason=reason)
