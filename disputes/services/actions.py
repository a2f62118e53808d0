"""What this user may do on a case now: exactly the actions its services would accept, for the case page
(which shows nothing else) and the API."""

from core.actors import Actor
from core.exceptions import ApplicationError
from core.types import RequestUser
from disputes.models import Agreement, Deadline, Dispute
from disputes.rules import lifecycle
from disputes.rules.enums import FINAL_STATUSES, Outcome
from disputes.services.assignment import ASSIST_ROLES
from disputes.services.casefile import check_handler
from disputes.services.deadlines import PAUSABLE
from disputes.services.duplicates import duplicate_actions
from disputes.services.edits import CLOCK_ROLES
from disputes.services.mediation import SESSION_STATES
from disputes.services.outcomes import AGREEMENT_EDIT_STATES, CASE_WORK_ROLES, PERFORMANCE_STATES
from disputes.services.triage import OVERRIDE_ROLES
from grids import roles

# The transition-table actions the case page offers ("triage", "await_callback" are the platform's;
# "close" and "reopen" belong to the callback).
PAGE_TRANSITIONS = ("dispatch", "accept", "return", "start_mediation", "resume", "transfer", "report_back", "withdraw")


def _holds(case: Dispute, actor: Actor) -> bool:
    """The services' own handler check (assigned mediator or lead department's staff), as a yes/no."""
    try:
        check_handler(case, actor)
    except ApplicationError:
        return False
    return True


def _has_agreement(case: Dispute) -> bool:
    """Whether the case has an agreement, from the loaded relation when the caller selected it."""
    if Dispute.agreement.is_cached(case):
        return getattr(case, "agreement", None) is not None
    return Agreement.objects.filter(dispute=case).exists()


def case_actions(*, user: RequestUser | None, case: Dispute, deadlines: list[Deadline] | None = None) -> frozenset[str]:
    """The case-page actions `user` may take on `case` now: exactly those the services would accept.

    Transition actions come from the lifecycle table (`allowed_actions`) plus the
    handler check `dispute_transition` applies; the others repeat the checks of
    their service (role, handler, state, a clock to pause). Jurisdiction is the
    caller's: the page only loads cases `disputes_visible_to(user)` returns.
    `deadlines`, all of the case's deadlines when the caller has read them
    already, saves reading its clocks again.
    """
    actor = Actor.for_user(user)
    if not actor.is_staff_member:
        return frozenset()
    role = actor.role
    holds = role not in roles.HANDLERS or _holds(case, actor)
    finished = case.status in FINAL_STATUSES
    actions: set[str] = {"note"}
    if holds:
        actions |= {a for a in lifecycle.allowed_actions(case.status, role) if a in PAGE_TRANSITIONS}
        if not finished and role in ASSIST_ROLES:
            actions.add("assistance")
        if not finished and role in OVERRIDE_ROLES:
            actions.add("colour")
        if role in roles.HANDLERS or role in CLOCK_ROLES:
            if deadlines is None:
                deadlines = list(Deadline.objects.open().filter(dispute=case, kind__in=PAUSABLE))
            clocks = [d for d in deadlines if d.is_open and d.kind in PAUSABLE]
            if any(d.paused_at is None for d in clocks):
                actions.add("pause")
            if any(d.paused_at is not None for d in clocks):
                actions.add("resume_clock")
        if role in CASE_WORK_ROLES:
            if case.status in SESSION_STATES:
                actions.add("session")
            if case.status in AGREEMENT_EDIT_STATES:
                actions.add("agreement")
            if case.status in PERFORMANCE_STATES and case.outcome == Outcome.AGREEMENT and _has_agreement(case):
                actions.add("performance")
    if case.duplicate_of_id is not None:
        # Decided by the earlier case's handlers, whether or not they hold this one.
        actions |= duplicate_actions(user=user, case=case)
    return frozenset(actions)
