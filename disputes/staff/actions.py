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
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from core.actors import Actor
from core.exceptions import ApplicationError
from core.types import RequestUser
from disputes import services
from disputes.models import Agreement, AgreementVersion, Deadline, Dispute, WithdrawalRequest
from disputes.rules import lifecycle
from disputes.rules.enums import FINAL_STATUSES, Outcome
from disputes.services import leader, supervision, withdrawal
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
    def withdrawal_pending(self) -> bool:
        """撤回: a request of the applicant's awaits the supervisor."""
        return WithdrawalRequest.objects.filter(dispute=self.case, state=WithdrawalRequest.State.PENDING).exists()

    @cached_property
    def agreement_version(self) -> AgreementVersion | None:
        """The current version of the case's agreement (协议版本), None without an agreement."""
        if not self.has_agreement:
            return None
        return (
            AgreementVersion.objects.filter(agreement__dispute=self.case, agreement__version=models.F("version"))
            .only("frozen_at", "signed_on")
            .first()
        )

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


def prints_for_signature(ask: Asking) -> bool:
    """打印签署稿: the current version is a draft (printing it for signature freezes it)."""
    version = ask.agreement_version
    return edits_agreement(ask) and ask.has_agreement and (version is None or version.frozen_at is None)


def signs_agreement(ask: Asking) -> bool:
    """签署: the current version is not signed yet, while the case is handled (the report-back signs it too)."""
    version = ask.agreement_version
    return edits_agreement(ask) and ask.has_agreement and (version is None or version.signed_on is None)


def applies_judicial(ask: Asking) -> bool:
    """申请司法确认: `services.check_judicial_apply` (reported back by a signed agreement, none pending)."""
    return ask.holds and ask.case.outcome == Outcome.AGREEMENT and ask.passes(services.check_judicial_apply)


def decides_judicial(ask: Asking) -> bool:
    """记录法院裁定: an application awaits the court (`services.check_judicial_decide`)."""
    return ask.holds and ask.case.outcome == Outcome.AGREEMENT and ask.passes(services.check_judicial_decide)


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


def never(ask: Asking) -> bool:
    """No door takes it directly (`withdraw`: only by approving the applicant's request)."""
    return False


def records_withdrawal(ask: Asking) -> bool:
    """撤回: staff who may record the applicant's request, on an open case with none pending."""
    return (
        ask.role in withdrawal.RECORD_ROLES
        and ask.holds
        and ask.case.status in withdrawal.OPEN_STATES
        and not ask.withdrawal_pending
    )


def decides_withdrawal(ask: Asking) -> bool:
    """A supervisor of the case's area (or an administrator), when a request awaits them."""
    return ask.withdrawal_pending and ask.passes(withdrawal.check_withdrawal_decider)


def issues_orders(ask: Asking) -> bool:
    """发督办单: a supervisor or an administrator who sees the case, while it is open (`supervision.order_issue`)."""
    return ask.role in supervision.ISSUE_ROLES and not ask.finished


def names_leader(ask: Asking) -> bool:
    """包案: a supervisor whose area covers the open case, or an administrator (`leader.leader_set`)."""
    return ask.role in leader.LEADER_ROLES and ask.passes(leader.check_leader_setter)


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
    # 协议版本: printing the draft for signature freezes it; the signing records its dates (the 30-day window).
    StaffAction(
        "print_for_signature",
        gettext_lazy("Print the agreement for signature"),
        prints_for_signature,
        services.agreement_print_for_signature,
        F.EmptyForm,
        gettext_lazy("This version of the agreement is frozen for signature: a later change makes a new version."),
        api="case-agreement-print",
        simple=True,
    ),
    StaffAction(
        "agreement_sign",
        gettext_lazy("Record the signing of the agreement"),
        signs_agreement,
        services.agreement_sign,
        F.AgreementSignForm,
        gettext_lazy("The signing of the agreement has been recorded."),
        api="case-agreement-sign",
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
    # 司法确认 (disputes.services.judicial): the parties' application to the court, and the court's ruling.
    StaffAction(
        "judicial_apply",
        gettext_lazy("Record an application for judicial confirmation"),
        applies_judicial,
        services.judicial_apply,
        F.JudicialApplyForm,
        gettext_lazy("The application for judicial confirmation has been recorded."),
        api="case-judicial",
    ),
    StaffAction(
        "judicial_decide",
        gettext_lazy("Record the court's ruling"),
        decides_judicial,
        services.judicial_decide,
        F.JudicialDecisionForm,
        gettext_lazy("The court's ruling has been recorded."),
        api="case-judicial-decision",
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
        F.PauseForm,
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
    # 撤回 (disputes.services.withdrawal): the applicant's request, recorded, then a supervisor's decision.
    StaffAction(
        "withdrawal_request",
        gettext_lazy("Record the applicant's request to withdraw"),
        records_withdrawal,
        withdrawal.withdrawal_request,
        F.WithdrawalRequestForm,
        gettext_lazy("The applicant's request has been recorded: it awaits the supervisor's approval."),
        api="case-withdrawal",
        danger=True,
    ),
    StaffAction(
        "withdrawal_decide",
        gettext_lazy("Approve or refuse the applicant's withdrawal"),
        decides_withdrawal,
        withdrawal.withdrawal_decide_pending,
        F.WithdrawalDecisionForm,
        gettext_lazy("The decision on the withdrawal has been recorded."),
        api="case-withdrawal-decision",
        danger=True,
    ),
    # 督办 (disputes.services.supervision): an order to a department or a person to sign for and answer.
    StaffAction(
        "order",
        gettext_lazy("Issue a supervision order"),
        issues_orders,
        supervision.order_issue,
        F.OrderForm,
        gettext_lazy("The supervision order has been issued."),
        api="case-orders",
    ),
    # 包案 (disputes.services.leader): the leader in charge who answers for the case.
    StaffAction(
        "leader",
        gettext_lazy("Name the leader in charge"),
        names_leader,
        leader.leader_set,
        F.LeaderForm,
        gettext_lazy("The leader in charge has been named."),
        api="case-leader",
    ),
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
    # 撤回 is applied only by approving the applicant's request (its API door: withdrawal/decision/).
    StaffAction(
        "withdraw",
        lifecycle.TRANSITIONS["withdraw"].label,
        never,
        services.dispute_transition,
        api="case-withdrawal-decision",
        transition=True,
    ),
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
