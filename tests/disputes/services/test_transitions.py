"""The transition service against its table: every action × status × role.

The expectations come from `lifecycle.TRANSITIONS` (its sources and roles), plus
the one rule the table cannot express: handling actions belong to the lead
department's staff or the assigned mediator (`not_handler`).

The area tree, departments and users are built once for this module inside a
transaction that is rolled back at the end; each test adds only its case, in
the savepoint pytest-django wraps it in. That keeps ~1,000 cases fast.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import translation

from core.actors import Actor
from core.casework import effects as casework_effects
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from disputes import services
from disputes.models import CaseEvent, Deadline, Dispute, WithdrawalRequest
from disputes.rules import clocks, lifecycle
from disputes.rules import effects as effect_rules
from disputes.rules.enums import Colour, DeadlineKind, EventKind, Outcome, Status
from grids.models import Role
from tests.disputes.cases import SHAPES, case_in, with_agreement
from tests.factories import CategoryFactory, DepartmentFactory, StaffFactory, UserFactory, area_child, area_root

NOW = datetime(2026, 5, 6, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
WHITE = clocks.DEFAULT_SERVICE_LEVELS[Colour.WHITE]
REASON = "当事人要求"
STAFF_ROLES = [r for r in lifecycle.ALL_ROLES if r not in (lifecycle.SYSTEM, lifecycle.RESIDENT)]


# --- Module data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Areas, departments and one user per staff role, kept for the whole module and rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            data = _build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield data
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _build_world() -> SimpleNamespace:
    city = area_root(code="T360100", name="测试市")
    county = area_child(city, code="T360101", name="测试区")
    town_a = area_child(county, code="T36010101", name="甲街道")
    town_b = area_child(county, code="T36010102", name="乙街道")
    village_a = area_child(town_a, code="T3601010101", name="甲社区")
    grid_a = area_child(village_a, code="T360101010101", name="甲社区第一网格")
    dept_a = DepartmentFactory(name="甲街道调委会", area=town_a)
    dept_a2 = DepartmentFactory(name="甲街道派出所", area=town_a)
    dept_b = DepartmentFactory(name="乙街道调委会", area=town_b)
    category = CategoryFactory(code="t-neighbour", name="邻里纠纷")

    def staff(role, *, area, department=None, name=None):
        user = UserFactory(username=name or f"t-{role}")
        StaffFactory(user=user, role=role, area=area, department=department)
        # Load the profile and its area once; the tests reuse these objects.
        user.staff.area.path  # noqa: B018
        return user

    users = {
        Role.MEDIATOR: staff(Role.MEDIATOR, area=town_a, department=dept_a),
        Role.DEPARTMENT_STAFF: staff(Role.DEPARTMENT_STAFF, area=town_a, department=dept_a),
        Role.DISPATCHER: staff(Role.DISPATCHER, area=town_a),
        Role.CALLBACK_CALLER: staff(Role.CALLBACK_CALLER, area=town_a),
        Role.SUPERVISOR: staff(Role.SUPERVISOR, area=town_a),
        Role.ADMIN: staff(Role.ADMIN, area=city),
    }
    # Handlers of another department in the same township: they can see the case, but it is not theirs.
    other_handlers = {
        role: staff(role, area=town_a, department=dept_a2, name=f"t-other-{role}") for role in lifecycle.HANDLERS
    }
    # Staff of township B, who cannot see township A's cases at all.
    outsiders = {role: staff(role, area=town_b, department=dept_b, name=f"t-b-{role}") for role in STAFF_ROLES}
    outsiders.pop(Role.ADMIN)  # an admin sees everything wherever they sit
    return SimpleNamespace(
        city=city,
        town_a=town_a,
        town_b=town_b,
        grid_a=grid_a,
        dept_a=dept_a,
        dept_a2=dept_a2,
        dept_b=dept_b,
        category=category,
        users=users,
        other_handlers=other_handlers,
        outsiders=outsiders,
    )


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def actor_for(world, role: str) -> Actor:
    if role == lifecycle.SYSTEM:
        return Actor.system()
    if role == lifecycle.RESIDENT:
        return Actor.resident()
    return Actor.for_user(world.users[role])


def make_case(world, status: str, **fields) -> Dispute:
    return case_in(
        status,
        grid=world.grid_a,
        category=world.category,
        department=world.dept_a,
        mediator=world.users[Role.MEDIATOR],
        now=NOW,
        **fields,
    )


def case_for(world, action: str, status: str) -> Dispute:
    """A case in `status` to take `action` on: for merge_duplicate, a suspected duplicate of an earlier case."""
    if action != "merge_duplicate":
        return make_case(world, status)
    return make_case(world, status, duplicate_of=make_case(world, Status.IN_MEDIATION))


def arguments(world, action: str, case: Dispute | None = None) -> dict:
    """What a caller supplies for this action: a reason if it needs one, a department, an outcome, the earlier case."""
    kwargs = {"reason": REASON if lifecycle.TRANSITIONS[action].needs_reason else ""}
    if action == "merge_duplicate" and case is not None:
        kwargs["data"] = {"into": case.duplicate_of_id}
    if action == "withdraw" and case is not None:
        # 撤回 applies the applicant's request a supervisor approved (disputes.services.withdrawal).
        approved = WithdrawalRequest.objects.create(
            dispute=case, via="phone", reason=REASON, state=WithdrawalRequest.State.APPROVED, area_path=case.area_path
        )
        kwargs["data"] = {"withdrawal_request": approved}
    if action == "dispatch":
        kwargs["data"] = {"department": world.dept_a}
    elif action == "transfer":
        kwargs["data"] = {"department": world.dept_a2}
    elif action == "report_back":
        kwargs["data"] = {"outcome": Outcome.RESOLVED_OTHERWISE}
    return kwargs


@dataclass(frozen=True)
class Snapshot:
    case: dict
    events: list
    deadlines: list

    @classmethod
    def of(cls, case: Dispute) -> "Snapshot":
        return cls(
            case=Dispute.objects.filter(pk=case.pk).values().get(),
            events=list(CaseEvent.objects.filter(dispute=case).values().order_by("id")),
            deadlines=list(Deadline.objects.filter(dispute=case).values().order_by("id")),
        )


def assert_nothing_changed(case: Dispute, before: Snapshot) -> None:
    after = Snapshot.of(case)
    assert after.case == before.case
    assert after.events == before.events
    assert after.deadlines == before.deadlines


def expected_refusal(world, action: str, status: str, role: str) -> str | None:
    """The refusal code the table (and the handler rule) calls for, or None if the action is allowed."""
    transition = lifecycle.TRANSITIONS[action]
    if status not in transition.sources:
        return "wrong_state"
    if role not in transition.roles:
        return "wrong_role"
    if action == "merge_duplicate":
        # Decided by the handlers of the earlier case (in mediation with the same department here).
        return None
    if role in lifecycle.HANDLERS and not SHAPES[status].lead and not SHAPES[status].mediator:
        # Nobody handles a case before it is dispatched (or after it was returned).
        return "not_handler"
    return None


# --- The effects of each action, on the deadlines and on the case ---------------------------


@dataclass(frozen=True)
class Effect:
    done: frozenset = frozenset()  # open deadlines of these kinds are marked done
    cancelled: frozenset = frozenset()  # … or cancelled
    opens: tuple[str, timedelta] | None = None  # a new deadline (kind, due in)


ALL_KINDS = frozenset(DeadlineKind.values)


def _expected(row: casework_effects.Effect) -> Effect:
    """A row of the effects table (disputes.rules.effects) as this module checks it against the database."""
    done = ALL_KINDS if row.finishes == casework_effects.ALL else frozenset(row.finishes)
    cancelled = ALL_KINDS if row.cancels == casework_effects.ALL else frozenset(row.cancels)
    assert len(row.opens) <= 1, "each action opens at most one deadline"
    return Effect(done=done, cancelled=cancelled - done, opens=(row.opens[0], None) if row.opens else None)


# The one table the services apply (and the demo generator walks); each action's row is checked below.
EFFECTS = {action: _expected(row) for action, row in effect_rules.EFFECTS.items()}
DUE_IN = {
    "dispatch": WHITE.dispatch_within,
    "accept": WHITE.accept_within,
    "resolve": WHITE.resolve_within,
    "callback": timedelta(days=settings.CALLBACK_DUE_DAYS),
}


def test_every_action_has_an_expected_effect():
    assert set(EFFECTS) == set(lifecycle.TRANSITIONS)
    assert set(effect_rules.EFFECTS) == set(lifecycle.TRANSITIONS)


def test_an_open_callback_deadline_means_the_case_awaits_its_callback():
    """disputes.selectors.callbacks.callback_queue relies on this instead of filtering on the status.

    The one way in opens the CALLBACK deadline, every way out finishes it, and no
    other action opens one (with test_every_action_has_an_expected_effect and the
    effects checked action by action below, the deadline cannot outlive the status).
    """
    waiting = Status.AWAITING_CALLBACK
    into = {a for a, t in lifecycle.TRANSITIONS.items() if t.target == waiting}
    out = {a for a, t in lifecycle.TRANSITIONS.items() if waiting in t.sources and t.target != waiting}
    assert into == {"await_callback"} and out == {"close", "reopen"}
    assert {a for a, e in EFFECTS.items() if e.opens and e.opens[0] == DeadlineKind.CALLBACK} == into
    for action in out:
        assert DeadlineKind.CALLBACK in EFFECTS[action].done | EFFECTS[action].cancelled, action


def assert_deadline_effects(action: str, before: Snapshot, case: Dispute) -> None:
    effect = EFFECTS[action]
    after = {d["id"]: d for d in Deadline.objects.filter(dispute=case).values()}
    for old in before.deadlines:
        new = after.pop(old["id"])
        was_open = old["done_at"] is None and old["cancelled_at"] is None
        if was_open and old["kind"] in effect.done:
            assert (new["done_at"], new["cancelled_at"]) == (NOW, None), old["kind"]
        elif was_open and old["kind"] in effect.cancelled:
            assert (new["done_at"], new["cancelled_at"]) == (None, NOW), old["kind"]
        else:
            assert (new["done_at"], new["cancelled_at"], new["due_at"]) == (
                old["done_at"],
                old["cancelled_at"],
                old["due_at"],
            ), old["kind"]
    opened = sorted((d["kind"], d["due_at"]) for d in after.values())
    if effect.opens is None:
        assert opened == []
    else:
        kind = effect.opens[0]
        assert opened == [(kind, NOW + DUE_IN[kind])]


def assert_case_effects(world, action: str, status: str, role: str, before: dict, case: Dispute) -> None:
    actor_user = world.users.get(role)
    kept = {"lead_department_id", "assigned_mediator_id", "outcome", "reported_at", "closed_at", "reopened_count"}
    changes: dict = {}
    if action in ("dispatch", "transfer"):
        department = world.dept_a if action == "dispatch" else world.dept_a2
        changes = {"lead_department_id": department.pk, "assigned_mediator_id": None}
    elif action == "accept":
        # The accepting handler becomes the mediator; an admin accepting for the department does not.
        mediator = actor_user.pk if role in lifecycle.HANDLERS else None
        changes = {"assigned_mediator_id": before["assigned_mediator_id"] or mediator}
    elif action == "return":
        changes = {"lead_department_id": None, "assigned_mediator_id": None}
    elif action == "report_back":
        changes = {"outcome": Outcome.RESOLVED_OTHERWISE, "reported_at": NOW}
    elif action == "close":
        changes = {"closed_at": NOW}
    elif action == "reopen":
        changes = {"reopened_count": before["reopened_count"] + 1, "closed_at": None, "outcome": ""}
    elif action in ("withdraw", "merge_duplicate"):
        changes = {"closed_at": NOW, "outcome": Outcome.WITHDRAWN}
    stored = Dispute.objects.filter(pk=case.pk).values().get()
    expected = {key: changes.get(key, before[key]) for key in kept}
    assert {key: stored[key] for key in kept} == expected
    if action == "reopen":
        assert stored["lead_department_id"] == world.dept_a.pk, "a reopened case goes back to the same department"


def assert_next_due(case: Dispute) -> None:
    running = Deadline.objects.open().filter(dispute=case, paused_at__isnull=True).order_by("due_at").first()
    stored = Dispute.objects.values_list("next_due_at", flat=True).get(pk=case.pk)
    assert stored == (running.due_at if running else None)
    assert case.next_due_at == stored


# --- The whole table ------------------------------------------------------------------------

MATRIX = [
    pytest.param(action, status, role, id=f"{action}-{status}-{role}")
    for action in lifecycle.TRANSITIONS
    for status in Status.values
    for role in lifecycle.ALL_ROLES
]


@pytest.mark.parametrize(("action", "status", "role"), MATRIX)
def test_transition_table(world, db, action, status, role):
    case = case_for(world, action, status)
    before = Snapshot.of(case)
    actor = actor_for(world, role)
    refusal = expected_refusal(world, action, status, role)

    if refusal is not None:
        with pytest.raises(ApplicationError) as caught:
            services.dispute_transition(dispute=case.pk, action=action, actor=actor, **arguments(world, action, case))
        assert caught.value.code == refusal
        expected_class = ApplicationError if refusal == "wrong_state" else PermissionDeniedError
        assert type(caught.value) is expected_class
        assert str(caught.value.message)
        assert_nothing_changed(case, before)
        return

    transition = lifecycle.TRANSITIONS[action]
    result = services.dispute_transition(dispute=case, action=action, actor=actor, **arguments(world, action, case))

    assert result.status == transition.target
    assert Dispute.objects.get(pk=case.pk).status == transition.target
    events = list(CaseEvent.objects.filter(dispute=case).order_by("id"))
    assert len(events) == len(before.events) + 1
    event = events[-1]
    assert (event.kind, event.action, event.from_status, event.to_status, event.actor_role) == (
        EventKind.TRANSITION,
        action,
        status,
        transition.target,
        role,
    )
    assert event.actor_id == (actor.user.pk if actor.user else None)
    assert event.at == NOW
    assert event.reason == arguments(world, action)["reason"]
    assert event.is_public == transition.public
    assert_deadline_effects(action, before, case)
    assert_case_effects(world, action, status, role, before.case, result)
    assert_next_due(result)


# --- Refusals the matrix does not cover -------------------------------------------------------

NEEDS_REASON = [
    pytest.param(action, status, id=f"{action}-{status}")
    for action, t in lifecycle.TRANSITIONS.items()
    if t.needs_reason
    for status in sorted(t.sources)
]


@pytest.mark.parametrize("reason", ["", "   \n"], ids=["empty", "blank"])
@pytest.mark.parametrize(("action", "status"), NEEDS_REASON)
def test_actions_that_need_a_reason_refuse_without_one(world, db, action, status, reason):
    case = make_case(world, status)
    before = Snapshot.of(case)
    kwargs = {**arguments(world, action), "reason": reason}
    with pytest.raises(ApplicationError) as caught:
        services.dispute_transition(dispute=case, action=action, actor=actor_for(world, Role.ADMIN), **kwargs)
    assert caught.value.code == "reason_required"
    assert_nothing_changed(case, before)


HANDLER_ACTIONS = [
    pytest.param(action, status, role, id=f"{action}-{status}-{role}")
    for action, t in lifecycle.TRANSITIONS.items()
    for status in sorted(t.sources)
    for role in sorted(lifecycle.HANDLERS)
    if role in t.roles and SHAPES[status].lead
]


def test_handler_actions_exist():
    assert len(HANDLER_ACTIONS) >= 10


@pytest.mark.parametrize(("action", "status", "role"), HANDLER_ACTIONS)
def test_a_handler_of_another_department_is_refused(world, db, action, status, role):
    case = case_for(world, action, status)
    before = Snapshot.of(case)
    other = Actor.for_user(world.other_handlers[role])
    with pytest.raises(PermissionDeniedError) as caught:
        services.dispute_transition(dispute=case, action=action, actor=other, **arguments(world, action, case))
    assert caught.value.code == "not_handler"
    assert_nothing_changed(case, before)


@pytest.mark.parametrize("role", sorted(lifecycle.HANDLERS))
def test_the_assigned_mediator_holds_the_case_whatever_their_department(world, db, role):
    helper = world.other_handlers[role]
    case = make_case(world, Status.ACCEPTED, assigned_mediator=helper)
    result = services.dispute_transition(dispute=case, action="start_mediation", actor=Actor.for_user(helper))
    assert result.status == Status.IN_MEDIATION


@pytest.mark.parametrize("role", [pytest.param(r, id=r) for r in STAFF_ROLES if r != Role.ADMIN])
def test_staff_outside_the_area_get_not_found(world, db, role):
    """Jurisdiction comes before the table: a case elsewhere is answered as if it did not exist."""
    case = make_case(world, Status.TRIAGED)
    before = Snapshot.of(case)
    with pytest.raises(NotFoundError) as caught:
        services.dispute_transition(
            dispute=case,
            action="withdraw",
            actor=Actor.for_user(world.outsiders[role]),
            reason=REASON,
        )
    assert caught.value.code == "not_found"
    assert_nothing_changed(case, before)


def test_unknown_action(world, db):
    case = make_case(world, Status.SUBMITTED)
    before = Snapshot.of(case)
    with pytest.raises(ApplicationError) as caught:
        services.dispute_transition(dispute=case, action="teleport", actor=Actor.system())
    assert caught.value.code == "unknown_action"
    assert_nothing_changed(case, before)


def test_missing_case(world, db):
    with pytest.raises(NotFoundError):
        services.dispute_transition(dispute=987_654_321, action="triage", actor=Actor.system())


@pytest.mark.parametrize(
    ("action", "status", "data", "code"),
    [
        ("dispatch", Status.TRIAGED, {}, "department_required"),
        ("transfer", Status.ACCEPTED, {}, "department_required"),
        ("report_back", Status.IN_MEDIATION, {}, "outcome_required"),
        ("report_back", Status.IN_MEDIATION, {"outcome": "won_the_lottery"}, "outcome_required"),
        # Only a case linked as a possible duplicate, into the case it is linked to (disputes.services.duplicates).
        ("merge_duplicate", Status.SUBMITTED, {}, "not_a_duplicate"),
    ],
)
def test_actions_that_need_data_refuse_without_it(world, db, action, status, data, code):
    case = make_case(world, status)
    before = Snapshot.of(case)
    with pytest.raises(ApplicationError) as caught:
        services.dispute_transition(
            dispute=case, action=action, actor=actor_for(world, Role.ADMIN), reason=REASON, data=data
        )
    assert caught.value.code == code
    assert_nothing_changed(case, before)


def test_dispatch_accepts_a_department_id(world, db):
    case = make_case(world, Status.TRIAGED)
    result = services.dispute_transition(
        dispute=case, action="dispatch", actor=Actor.system(), data={"department": world.dept_b.pk}
    )
    assert result.lead_department_id == world.dept_b.pk


def test_dispatch_refuses_an_inactive_department(world, db):
    inactive = DepartmentFactory(name="已撤销的调委会", area=world.town_a, is_active=False)
    case = make_case(world, Status.TRIAGED)
    before = Snapshot.of(case)
    with pytest.raises(ApplicationError) as caught:
        services.dispute_transition(
            dispute=case, action="dispatch", actor=Actor.system(), data={"department": inactive.pk}
        )
    assert caught.value.code == "department_required"
    assert_nothing_changed(case, before)


# --- Language of the refusal --------------------------------------------------------------------


def test_refusals_speak_the_users_language(world, db):
    case = make_case(world, Status.CLOSED)
    messages = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            with pytest.raises(ApplicationError) as caught:
                services.dispute_transition(dispute=case, action="accept", actor=actor_for(world, Role.MEDIATOR))
            expected = translation.gettext("This action is not possible while the case is “%(status)s”.") % {
                "status": translation.pgettext("case status", "Closed")
            }
            messages[language] = str(caught.value.message)
            assert messages[language] == expected
    assert messages["en"] == "This action is not possible while the case is “Closed”."
    if messages["zh-hans"] != messages["en"]:
        # Once the Chinese catalogue is compiled, the default language reads Chinese.
        assert any("\u4e00" <= ch <= "\u9fff" for ch in messages["zh-hans"])


def test_wrong_role_message_in_english(world, db):
    case = make_case(world, Status.SUBMITTED)
    with translation.override("en"), pytest.raises(PermissionDeniedError) as caught:
        services.dispute_transition(dispute=case, action="triage", actor=Actor.resident())
    assert str(caught.value.message) == "Your role may not take this action."


# --- next_due_at -----------------------------------------------------------------------------------


def test_next_due_ignores_paused_and_finished_deadlines(world, db):
    case = make_case(world, Status.ACCEPTED)
    Deadline.objects.create(dispute=case, kind=DeadlineKind.PERFORMANCE, due_at=NOW + timedelta(hours=1), paused_at=NOW)
    Deadline.objects.create(
        dispute=case, kind=DeadlineKind.JUDICIAL_CONFIRMATION, due_at=NOW + timedelta(hours=2), done_at=NOW
    )
    result = services.dispute_transition(dispute=case, action="start_mediation", actor=actor_for(world, Role.MEDIATOR))
    resolve = Deadline.objects.open().get(dispute=case, kind=DeadlineKind.RESOLVE)
    assert result.next_due_at == resolve.due_at == NOW + timedelta(days=20)


def test_next_due_follows_the_case_through_the_loop(world, db):
    """submit → triage → dispatch → accept → start → report back (+ callback) → reopen → resume → … → close."""
    handler = actor_for(world, Role.MEDIATOR)
    case = make_case(world, Status.SUBMITTED)
    steps = [
        ("triage", Actor.system(), {}, None),
        ("dispatch", actor_for(world, Role.DISPATCHER), {"department": world.dept_a}, WHITE.accept_within),
        ("accept", handler, {}, WHITE.resolve_within),
        ("start_mediation", handler, {}, WHITE.resolve_within),
    ]
    for action, actor, data, due_in in steps:
        case = services.dispute_transition(dispute=case, action=action, actor=actor, data=data)
        assert case.next_due_at == (NOW + due_in if due_in else None), action
    case = services.dispute_report_back(
        dispute=case, actor=handler, outcome=Outcome.LITIGATION, referral_reference="（2026）赣0103民初1234号"
    )
    assert case.next_due_at == NOW + timedelta(days=settings.CALLBACK_DUE_DAYS)
    case = services.dispute_transition(dispute=case, action="reopen", actor=Actor.resident(), reason="不满意")
    assert case.next_due_at == NOW + WHITE.resolve_within
    case = services.dispute_transition(dispute=case, action="resume", actor=handler)
    with_agreement(case)
    case = services.dispute_report_back(dispute=case, actor=handler, outcome=Outcome.AGREEMENT)
    case = services.dispute_transition(dispute=case, action="close", actor=actor_for(world, Role.CALLBACK_CALLER))
    # Closed, with only the parties' window for judicial confirmation (司法确认) still open: signed and in
    # effect on the day of the report-back (6 May), until the end of the 30th day after it.
    judicial = datetime(2026, 6, 6, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert settings.JUDICIAL_CONFIRMATION_DAYS == 30
    assert (case.status, case.next_due_at, case.reopened_count) == (Status.CLOSED, judicial, 1)
    # The report-back's signing of the agreement (an AGREEMENT_FROZEN and an AGREEMENT_SIGNED event) has no action.
    assert list(CaseEvent.objects.filter(dispute=case).exclude(action="").values_list("action", flat=True)) == [
        "triage",
        "dispatch",
        "accept",
        "start_mediation",
        "report_back",
        "await_callback",
        "reopen",
        "resume",
        "report_back",
        "await_callback",
        "close",
    ]


# --- dispute_report_back ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.IN_MEDIATION])
def test_report_back_schedules_the_callback_in_one_call(world, db, status):
    case = make_case(world, status)
    with_agreement(case)
    mediator = world.users[Role.MEDIATOR]
    result = services.dispute_report_back(
        dispute=case, actor=Actor.for_user(mediator), outcome=Outcome.AGREEMENT, reason="双方签署调解协议"
    )
    assert result.status == Status.AWAITING_CALLBACK
    assert (result.outcome, result.reported_at) == (Outcome.AGREEMENT, NOW)
    events = list(CaseEvent.objects.filter(dispute=case).order_by("id"))
    assert [(e.kind, e.action, e.from_status, e.to_status, e.actor_role, e.actor_id) for e in events[:2]] == [
        # The report-back signs the agreement's current version (today) and freezes it, in its transaction.
        (EventKind.AGREEMENT_FROZEN, "", "", "", Role.MEDIATOR, mediator.pk),
        (EventKind.AGREEMENT_SIGNED, "", "", "", Role.MEDIATOR, mediator.pk),
    ]
    events = events[2:]
    assert [(e.action, e.from_status, e.to_status, e.actor_role, e.actor_id) for e in events] == [
        ("report_back", status, Status.REPORTED, Role.MEDIATOR, mediator.pk),
        ("await_callback", Status.REPORTED, Status.AWAITING_CALLBACK, lifecycle.SYSTEM, None),
    ]
    callback = Deadline.objects.open().get(dispute=case, kind=DeadlineKind.CALLBACK)
    assert callback.due_at == NOW + timedelta(days=settings.CALLBACK_DUE_DAYS)
    assert not Deadline.objects.open().filter(dispute=case, kind=DeadlineKind.RESOLVE).exists()
    assert result.next_due_at == callback.due_at


def test_callback_is_due_seven_days_after_the_report_by_default():
    assert settings.CALLBACK_DUE_DAYS == 7


def test_report_back_without_an_outcome_changes_nothing(world, db):
    case = make_case(world, Status.IN_MEDIATION)
    before = Snapshot.of(case)
    with pytest.raises(ApplicationError) as caught:
        services.dispute_report_back(dispute=case, actor=actor_for(world, Role.MEDIATOR), outcome="")
    assert caught.value.code == "outcome_required"
    assert_nothing_changed(case, before)


def test_report_back_by_a_non_handler_changes_nothing(world, db):
    case = make_case(world, Status.IN_MEDIATION)
    before = Snapshot.of(case)
    with pytest.raises(PermissionDeniedError) as caught:
        services.dispute_report_back(dispute=case, actor=actor_for(world, Role.DISPATCHER), outcome=Outcome.AGREEMENT)
    assert caught.value.code == "wrong_role"
    assert_nothing_changed(case, before)
