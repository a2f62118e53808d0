"""员工操作: the one registry of what staff do to a case — each action's label, form, service and who may.

One row per action. `may` is the rule (the same checks its service applies:
role, handler, state, a clock to pause); `actions_for(user, case)` answers
"which of them now" for the case page (which offers exactly those with a
`form`) and for the staff API (the case's `allowed_actions`). Transition
rows read the lifecycle table (`disputes.rules.lifecycle.TRANSITIONS`) plus
the handler check of `dispute_transition`; the others repeat their service's
checks. Jurisdiction is not a rule here: the doors only load cases through
`disputes.selectors.dispute_get_for`.

The services decide again when an action is posted; this table only says what
to offer. The one exception is `description`, whose service checks only that
the case may be seen and is open: its doors call `check_door` first.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from core.actors import Actor
from core.exceptions import ApplicationError
from core.types import RequestUser
from disputes import services
from disputes.models import Agreement, Deadline, Dispute
from disputes.rules import lifecycle
from disputes.rules.enums import FINAL_STATUSES, Outcome
from disputes.services.casefile import holds_case
from disputes.services.queue import queue_bulk
from disputes.staff import case_forms
from grids import roles

type Label = str | Promise


class Asking:
    """What the rules read about one user and one case, each read at most once."""

    def __init__(self, user: RequestUser | None, case: Dispute, deadlines: list[Deadline] | None = None) -> None:
        self.user = user
        self.case = case
        self.actor = Actor.for_user(user)
        self.role = self.actor.role
        self.staff = self.actor.is_staff_member
        self.finished = case.status in FINAL_STATUSES
        self._deadlines = deadlines

    @cached_property
    def holds(self) -> bool:
        """Handlers act only on the cases they hold (assigned mediator, lead department); other roles pass."""
        return self.role not in roles.HANDLERS or holds_case(self.case, self.actor)

    @cached_property
    def transitions(self) -> frozenset[str]:
        return frozenset(lifecycle.allowed_actions(self.case.status, self.role))

    @cached_property
    def clocks(self) -> list[Deadline]:
        """The case's open pausable clocks (from the caller's deadlines when it read them)."""
        if self._deadlines is None:
            self._deadlines = list(Deadline.objects.open().filter(dispute=self.case, kind__in=services.PAUSABLE))
        return [d for d in self._deadlines if d.is_open and d.kind in services.PAUSABLE]

    @cached_property
    def duplicate(self) -> frozenset[str]:
        return services.duplicate_actions(user=self.user, case=self.case)

    @cached_property
    def has_agreement(self) -> bool:
        if Dispute.agreement.is_cached(self.case):
            return getattr(self.case, "agreement", None) is not None
        return Agreement.objects.filter(dispute=self.case).exists()

    def passes(self, check: Callable[[Dispute, Actor], None]) -> bool:
        """A service's check (which raises its refusal) as a yes/no."""
        try:
            check(self.case, self.actor)
        except ApplicationError:
            return False
        return True


type Rule = Callable[[Asking], bool]


# --- The rules ------------------------------------------------------------------------------------------


def by_table(key: str) -> Rule:
    """A transition: the lifecycle table allows it to this role now, and a handler holds the case."""
    return lambda ask: ask.holds and key in ask.transitions


def anyone_on_the_case(ask: Asking) -> bool:
    """A note: every staff member who may see the case (assisting departments too)."""
    return True


def assists(ask: Asking) -> bool:
    return ask.holds and not ask.finished and ask.role in services.ASSIST_ROLES


def overrides_colour(ask: Asking) -> bool:
    return ask.holds and not ask.finished and ask.role in services.OVERRIDE_ROLES


def keeps_clocks(ask: Asking) -> bool:
    return ask.holds and (ask.role in roles.HANDLERS or ask.role in services.CLOCK_ROLES)


def pauses(ask: Asking) -> bool:
    return keeps_clocks(ask) and any(d.paused_at is None for d in ask.clocks)


def resumes_clock(ask: Asking) -> bool:
    return keeps_clocks(ask) and any(d.paused_at is not None for d in ask.clocks)


def works_sessions(ask: Asking) -> bool:
    return ask.holds and ask.role in services.CASE_WORK_ROLES and ask.case.status in services.SESSION_STATES


def edits_agreement(ask: Asking) -> bool:
    return ask.holds and ask.role in services.CASE_WORK_ROLES and ask.case.status in services.AGREEMENT_EDIT_STATES


def records_performance(ask: Asking) -> bool:
    case = ask.case
    return (
        ask.holds
        and ask.role in services.CASE_WORK_ROLES
        and case.status in services.PERFORMANCE_STATES
        and case.outcome == Outcome.AGREEMENT
        and ask.has_agreement
    )


def decides_duplicate(key: str) -> Rule:
    """Merge or dismiss a suspected duplicate: decided by the earlier case's handlers, whether or not they
    hold this one (`services.duplicate_actions`)."""
    return lambda ask: ask.case.duplicate_of_id is not None and key in ask.duplicate


def corrects_facts(ask: Asking) -> bool:
    """The description, the people and money at stake: whoever may add a party (`services.check_scale_editor`:
    the case's handlers, the dispatchers and supervisors of its area, administrators), on an open case."""
    return not ask.finished and ask.passes(services.check_scale_editor)


def adds_party(ask: Asking) -> bool:
    return not ask.finished and ask.passes(services.check_party_adder)


def assigns(ask: Asking) -> bool:
    return ask.role in services.ASSIGN_ROLES and ask.case.status in services.ASSIGNABLE_STATUSES


# --- The table ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffAction:
    key: str
    label: Label
    may: Rule
    service: Callable[..., Any]
    form: type[forms.Form] | None = None  # the case page's form; None: not offered on the case page
    done: Label = ""  # the page's message after it worked
    api: str = ""  # the URL name (namespace "api") of its door in the staff API
    simple: bool = False  # a button: the form has no field
    danger: bool = False
    transition: bool = False  # a row of the lifecycle table (the API's `transitions/`)
    # The check its doors make before calling a service that does not make it itself.
    door_check: Callable[[Dispute, Actor], None] | None = None


def _transition(key: str, done: Label = "", form: type[forms.Form] | None = None, **kw: Any) -> StaffAction:
    return StaffAction(
        key=key,
        label=lifecycle.TRANSITIONS[key].label,
        may=by_table(key),
        service=services.dispute_transition,
        form=form,
        done=done,
        api="case-transition",
        transition=True,
        **kw,
    )


T = _transition
F = case_forms
ROWS: tuple[StaffAction, ...] = (
    # In the order a mediator works a case: the case page lists its actions in this order.
    T("accept", gettext_lazy("You have accepted the case."), F.EmptyForm, simple=True),
    T("start_mediation", gettext_lazy("Mediation has started."), F.EmptyForm, simple=True),
    T("resume", gettext_lazy("Mediation has resumed."), F.EmptyForm, simple=True),
    StaffAction(
        "session",
        gettext_lazy("Record a mediation session"),
        works_sessions,
        services.session_record,
        F.SessionForm,
        gettext_lazy("The session has been recorded."),
        api="case-sessions",
    ),
    StaffAction(
        "agreement",
        gettext_lazy("Draft or edit the mediation agreement"),
        edits_agreement,
        services.agreement_save,
        F.AgreementForm,
        gettext_lazy("The agreement has been saved."),
        api="case-agreement",
    ),
    StaffAction(
        "report_back",
        lifecycle.TRANSITIONS["report_back"].label,
        by_table("report_back"),
        services.outcome_report,
        F.ReportBackForm,
        gettext_lazy("The outcome has been reported back."),
        api="case-transition",
        transition=True,
    ),
    StaffAction(
        "performance",
        gettext_lazy("Record the performance of the agreement"),
        records_performance,
        services.agreement_record_performance,
        F.PerformanceForm,
        gettext_lazy("The performance has been recorded."),
        api="case-agreement-performance",
    ),
    StaffAction(
        "description",
        gettext_lazy("Correct or complete the description"),
        corrects_facts,
        services.dispute_update_description,
        F.DescriptionForm,
        gettext_lazy("The description has been saved and the case triaged again."),
        api="case-description",
        door_check=services.check_scale_editor,
    ),
    StaffAction(
        "note",
        gettext_lazy("Add a note"),
        anyone_on_the_case,
        services.dispute_add_note,
        F.NoteForm,
        gettext_lazy("The note has been added."),
        api="case-notes",
    ),
    StaffAction(
        "assistance",
        gettext_lazy("Ask another department for assistance"),
        assists,
        services.dispute_request_assistance,
        F.DepartmentForm,
        gettext_lazy("The department has been asked to assist."),
        api="case-assistance",
    ),
    StaffAction(
        "pause",
        gettext_lazy("Pause the clock while waiting on a party"),
        pauses,
        services.dispute_pause_clock,
        F.ReasonForm,
        gettext_lazy("The clock has been paused."),
        api="case-clock",
    ),
    StaffAction(
        "resume_clock",
        gettext_lazy("Resume the clock"),
        resumes_clock,
        services.dispute_resume_clock,
        F.EmptyForm,
        gettext_lazy("The clock has been resumed."),
        api="case-clock",
        simple=True,
    ),
    StaffAction(
        "colour",
        gettext_lazy("Change the colour"),
        overrides_colour,
        services.dispute_override_colour,
        F.ColourForm,
        gettext_lazy("The colour has been changed."),
        api="case-colour",
    ),
    T("dispatch", gettext_lazy("The case has been dispatched."), F.DepartmentForm),
    T("transfer", gettext_lazy("The case has been transferred."), F.DepartmentForm, danger=True),
    T("return", gettext_lazy("The case has been returned to dispatch."), F.ReasonForm, danger=True),
    T("withdraw", gettext_lazy("The case has been withdrawn."), F.ReasonForm, danger=True),
    # 疑似重复 (disputes.services.duplicates): the label names the earlier case (the page fills it in).
    StaffAction(
        "merge_duplicate",
        gettext_lazy("Merge into the earlier case %(number)s"),
        decides_duplicate("merge_duplicate"),
        services.dispute_merge_duplicate,
        F.ReasonForm,
        gettext_lazy("The case has been merged into the earlier case."),
        api="case-duplicates",
        danger=True,
        transition=True,
    ),
    StaffAction(
        "dismiss_duplicate",
        gettext_lazy("Not a duplicate: remove the link"),
        decides_duplicate("dismiss_duplicate"),
        services.dispute_dismiss_duplicate,
        F.ReasonForm,
        gettext_lazy("The link to the earlier case has been removed."),
        api="case-duplicates",
    ),
    # Not on the case page's list of actions: the platform's and the callback's transitions (the callback
    # page records them), and the actions with a door of their own.
    T("triage"),
    T("await_callback"),
    T("close"),
    T("reopen"),
    StaffAction(
        "scale",
        gettext_lazy("Correct the people involved and the amount at stake"),
        corrects_facts,
        services.dispute_set_scale,
        api="case-scale",
    ),
    StaffAction("add_party", gettext_lazy("Add a party"), adds_party, services.dispute_add_party, api="case-parties"),
    StaffAction("assign", gettext_lazy("Assign to a mediator"), assigns, queue_bulk, api="queue-bulk"),
)
del T, F

ACTIONS: dict[str, StaffAction] = {row.key: row for row in ROWS}
# The case page's actions, in its order: those with a form.
PAGE_ACTIONS: dict[str, StaffAction] = {row.key: row for row in ROWS if row.form is not None}
TRANSITION_ACTIONS = tuple(key for key in lifecycle.TRANSITIONS if key in ACTIONS)


def actions_for(
    user: RequestUser | None,
    case: Dispute,
    *,
    keys: Iterable[str] | None = None,
    deadlines: list[Deadline] | None = None,
) -> frozenset[str]:
    """The actions `user` may take on `case` now (of `keys`, all when None): exactly what the services accept.

    `deadlines`, all of the case's deadlines when the caller has read them already, saves reading its
    clocks again.
    """
    ask = Asking(user, case, deadlines)
    if not ask.staff:
        return frozenset()
    rows = ROWS if keys is None else [ACTIONS[key] for key in keys]
    return frozenset(row.key for row in rows if row.may(ask))


def allowed_transitions(user: RequestUser | None, case: Dispute) -> list[str]:
    """The lifecycle-table actions `user` may take on `case` now, in table order (the API's `allowed_actions`)."""
    allowed = actions_for(user, case, keys=TRANSITION_ACTIONS)
    return [key for key in TRANSITION_ACTIONS if key in allowed]


def check_door(user: RequestUser | None, case: Dispute, key: str) -> None:
    """The check an action's doors make before its service (`door_check`), raising the refusal (403)."""
    check = ACTIONS[key].door_check
    if check is not None:
        check(case, Actor.for_user(user))
