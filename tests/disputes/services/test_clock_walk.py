"""Every open case has a running clock (issue 19): a walk over the transition table through the services.

Each edge of the lifecycle table that leads to a state that is not final is
taken on a fresh case (brought to the edge's source by the shortest way from
the submission), and the case must then have an open, running deadline of the
state's kind, which is also its `next_due_at`. The one intended exception is a
pause on a party (`dispute_pause_clock`): asserted too.
"""

from collections import deque

import pytest

from core.actors import Actor
from disputes import services
from disputes.models import Deadline, Dispute, DiversionRule
from disputes.rules import lifecycle
from disputes.rules.enums import FINAL_STATUSES, Channel, DeadlineKind, Outcome, PartyRole, Status
from grids.models import Role
from tests.factories import DepartmentFactory

S = Status
# The clock each state waits on (docs/design.md, "Every open state has a running clock").
CLOCK = {
    S.SUBMITTED: DeadlineKind.DISPATCH,
    S.TRIAGED: DeadlineKind.DISPATCH,
    S.RETURNED: DeadlineKind.DISPATCH,
    S.DISPATCHED: DeadlineKind.ACCEPT,
    S.ACCEPTED: DeadlineKind.RESOLVE,
    S.IN_MEDIATION: DeadlineKind.RESOLVE,
    S.REOPENED: DeadlineKind.RESOLVE,
    S.AWAITING_CALLBACK: DeadlineKind.CALLBACK,
}
# Reported is never left standing: the report-back schedules the callback in the same transaction.
THROUGH = {"report_back": S.AWAITING_CALLBACK}
SKIPPED = {"await_callback"}  # taken inside dispute_report_back


def _edges() -> list[tuple[str, str]]:
    return [
        (source, action)
        for action, t in lifecycle.TRANSITIONS.items()
        for source in sorted(t.sources)
        if action not in SKIPPED and THROUGH.get(action, t.target) not in FINAL_STATUSES
    ]


def _paths() -> dict[str, list[str]]:
    """The shortest way from the submission to each state the table reaches (withdrawals lead nowhere open)."""
    paths = {S.SUBMITTED: []}
    todo = deque([S.SUBMITTED])
    while todo:
        status = todo.popleft()
        for action, t in lifecycle.TRANSITIONS.items():
            target = THROUGH.get(action, t.target)
            if status in t.sources and action not in SKIPPED and target not in paths:
                paths[target] = [*paths[status], action]
                todo.append(target)
    return paths


PATHS = _paths()
EDGES = _edges()


def test_the_walk_reaches_every_state_that_is_not_final():
    reached = set(PATHS) - FINAL_STATUSES
    assert reached == set(CLOCK), "a state without a clock, or a clock for a state nobody reaches"
    assert S.REPORTED not in PATHS


@pytest.fixture
def world(tree, category, departments, make_staff, settings):
    settings.RED_CASES_NEED_HUMAN_DISPATCH = True
    DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])
    return {
        "tree": tree,
        "category": category,
        "a": departments["a"],
        "county": DepartmentFactory(name="西湖区矛调中心", area=tree.county),
        "mediator": Actor.for_user(make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"])),
        "dispatcher": Actor.for_user(make_staff(Role.DISPATCHER, area=tree.town_a)),
        "caller": Actor.for_user(make_staff(Role.CALLBACK_CALLER, area=tree.town_a)),
    }


def take(world, case: Dispute, action: str) -> Dispute:
    handler = world["mediator"]
    if action == "report_back":
        return services.dispute_report_back(dispute=case, actor=handler, outcome=Outcome.RESOLVED_OTHERWISE)
    actor, data, reason = handler, {}, ""
    if action == "triage":
        actor = Actor.system()
    elif action == "dispatch":
        actor, data = world["dispatcher"], {"department": world["a"]}
    elif action == "transfer":
        data, reason = {"department": world["county"]}, "涉及多个街道"
    elif action == "return":
        reason = "不属本所"
    elif action == "reopen":
        actor, reason = world["caller"], "当事人不满意"
    elif action == "close":
        actor, data = world["caller"], {"callback_result": "satisfied"}
    return services.dispute_transition(dispute=case, action=action, actor=actor, reason=reason, data=data)


def fresh_case(world, status: str) -> Dispute:
    case = services.dispute_submit(
        category=world["category"],
        description="隔壁装修噪音扰民，晚上十点后仍在施工。",
        grid=world["tree"].grid_a,
        channel=Channel.WEB,
        parties=[{"role": PartyRole.APPLICANT, "name": "李四", "phone": "13900139000"}],
    )
    for action in PATHS[status]:
        case = take(world, case, action)
    assert case.status == status
    return case


def assert_running_clock(case: Dispute) -> None:
    case.refresh_from_db()
    running = Deadline.objects.open().filter(dispute=case, paused_at__isnull=True)
    assert CLOCK[case.status] in set(running.values_list("kind", flat=True)), case.status
    assert case.next_due_at is not None
    assert case.next_due_at == min(running.values_list("due_at", flat=True))


@pytest.mark.parametrize(("source", "action"), EDGES, ids=[f"{a}-from-{s}" for s, a in EDGES])
def test_after_every_step_the_case_has_a_running_clock(world, source, action):
    case = fresh_case(world, source)
    if source not in FINAL_STATUSES:  # a closed case is reopened: it has no clock until then
        assert_running_clock(case)

    case = take(world, case, action)

    assert_running_clock(case)


@pytest.mark.parametrize("status", [S.ACCEPTED, S.IN_MEDIATION, S.REOPENED])
def test_a_pause_on_a_party_stops_the_handling_clock_on_purpose(world, status):
    case = fresh_case(world, status)
    services.dispute_pause_clock(dispute=case, actor=world["mediator"], reason="等待伤情鉴定")
    case.refresh_from_db()

    # The intended exception: the resolve clock is open but paused, and nothing is due.
    resolve = Deadline.objects.open().get(dispute=case, kind=DeadlineKind.RESOLVE)
    assert resolve.paused_at is not None
    assert not Deadline.objects.open().filter(dispute=case, paused_at__isnull=True).exists()
    assert case.next_due_at is None

    services.dispute_resume_clock(dispute=case, actor=world["mediator"])
    assert_running_clock(case)


# --- Cases already waiting when the dispatch clock came (migration disputes 0017) ---------------------


def test_the_backfill_gives_waiting_cases_without_one_a_dispatch_clock(world):
    import importlib
    from datetime import timedelta

    from django.apps import apps

    from disputes.models import RoutingReturn
    from disputes.rules.clocks import DEFAULT_DISPATCH_WITHIN
    from disputes.rules.enums import Colour

    backfill = importlib.import_module("disputes.migrations.0017_dispatch_clock_backfill")
    red = fresh_case(world, S.TRIAGED)
    returned = fresh_case(world, S.RETURNED)
    dispatched = fresh_case(world, S.DISPATCHED)
    # As before the release: no dispatch clock on the waiting cases, and the red one red.
    Deadline.objects.filter(kind=DeadlineKind.DISPATCH).delete()
    Dispute.objects.filter(pk__in=[red.pk, returned.pk]).update(next_due_at=None)
    Dispute.objects.filter(pk=red.pk).update(colour=Colour.RED)
    back_at = RoutingReturn.objects.get(dispute=returned).at

    backfill.open_dispatch_clocks(apps, None)
    backfill.open_dispatch_clocks(apps, None)  # a second run adds nothing

    clocks = {
        d.dispute_id: d
        for d in Deadline.objects.open().filter(kind=DeadlineKind.DISPATCH, dispute__in=[red, returned, dispatched])
    }
    assert set(clocks) == {red.pk, returned.pk}
    red.refresh_from_db()
    assert clocks[red.pk].due_at == red.submitted_at + timedelta(minutes=30)
    returned.refresh_from_db()
    window = DEFAULT_DISPATCH_WITHIN[returned.colour]
    assert clocks[returned.pk].due_at == back_at + window  # from the return, the case's colour's window
    assert red.next_due_at == clocks[red.pk].due_at
    assert clocks[red.pk].escalate_at == clocks[red.pk].due_at  # the ladder's first rung is the due date
