"""The petition's transition table and who may take the actions around it. Pure: no ORM, no I/O.

The table is the casework kernel's (`core.casework.transitions`); the roles are
the one vocabulary of `grids.roles`. The administrator may take every action.
"""

from django.utils.translation import gettext_lazy as _

from core.casework.callbacks import MAX_REMARKS
from core.casework.transitions import Transition, TransitionTable, transition
from grids.roles import ADMIN, CALLBACK_CALLER, DEPARTMENT_STAFF, DISPATCHER, MEDIATOR, OFFICE, SUPERVISOR, SYSTEM
from petitions.rules.enums import Status

__all__ = [
    "ADMIN",
    "CALLBACK_CALLER",
    "CALLBACK_ROLES",
    "CONVERT_ROLES",
    "DECISIONS",
    "DEPARTMENT_STAFF",
    "DISPATCHER",
    "EXTENSION_APPROVERS",
    "GROUP_AT",
    "LETTER_ROLES",
    "MAX_REMARKS",
    "MEDIATOR",
    "OFFICE",
    "REGISTER_ROLES",
    "SUPERVISOR",
    "SYSTEM",
    "TRANSITIONS",
    "Transition",
    "allowed_actions",
    "check_transition",
]

REGISTER_ROLES = frozenset({DISPATCHER, DEPARTMENT_STAFF, SUPERVISOR, ADMIN})
# Extensions need the head of the office (经本机关负责人批准): supervisors here.
EXTENSION_APPROVERS = frozenset({SUPERVISOR, ADMIN})
LETTER_ROLES = frozenset({DISPATCHER, DEPARTMENT_STAFF, SUPERVISOR, ADMIN})
CONVERT_ROLES = frozenset({DISPATCHER, DEPARTMENT_STAFF, SUPERVISOR, ADMIN})
# 回访: who phones the petitioner after the written reply (as for a dispute's callback).
CALLBACK_ROLES = frozenset({CALLBACK_CALLER, SUPERVISOR, ADMIN})
# The longest remarks kept on a callback attempt (as for a dispute's).
# 集体访: five or more petitioners.
GROUP_AT = 5

S = Status
TRANSITIONS = TransitionTable(
    [
        transition("accept", {S.REGISTERED}, S.ACCEPTED, OFFICE, _("Accept")),
        transition("not_accept", {S.REGISTERED}, S.NOT_ACCEPTED, OFFICE, _("Do not accept"), needs_reason=True),
        transition("refer", {S.REGISTERED}, S.REFERRED, OFFICE, _("Refer to the competent body"), needs_reason=True),
        transition("reply", {S.ACCEPTED}, S.REPLIED, {DEPARTMENT_STAFF, SUPERVISOR}, _("Reply in writing")),
        transition("request_review", {S.REPLIED}, S.REVIEW_REQUESTED, OFFICE, _("Record a request for review")),
        transition(
            "close", {S.REPLIED, S.REVIEW_REQUESTED}, S.CLOSED, {SYSTEM, DEPARTMENT_STAFF, SUPERVISOR}, _("Close")
        ),
        transition(
            "to_dispute",
            {S.REGISTERED, S.ACCEPTED},
            S.CONVERTED,
            OFFICE,
            _("Turn into a dispute case"),
            needs_reason=True,
        ),
    ],
    always={ADMIN},
)

# 受理决定: the three answers to a registered petition.
DECISIONS = frozenset({"accept", "not_accept", "refer"})


def allowed_actions(status: str, role: str) -> list[str]:
    """The actions `role` may take on a petition in `status`, in table order."""
    return TRANSITIONS.allowed_actions(status, role)


def check_transition(*, status: str, action: str, role: str, reason: str = "") -> Transition | str:
    """The transition if allowed, else a refusal code: unknown_action, wrong_state, wrong_role, reason_required."""
    return TRANSITIONS.check(status=status, action=action, role=role, reason=reason)
