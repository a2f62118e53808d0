"""The ladder never dead-ends (issue 19): the dispatch clock, and a case that climbs to the city.

Time is frozen with time-machine and moved by hand; the sweeper is called as
the beat entry calls it, one rung per sweep.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from core.actors import Actor
from core.models import Notification
from disputes import selectors, services
from disputes.models import CaseEvent, Deadline, Dispute, DiversionRule, ServiceLevelSetting, SupervisionOrder
from disputes.rules import clocks
from disputes.rules.enums import Channel, Colour, DeadlineKind, EventKind, PartyRole, Status
from grids.models import Role, StaffProfile

# 2026-08-12: the day the red case of the issue was dispatched; 115 days later, nothing had happened.
DISPATCHED = datetime(2026, 8, 12, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LATER = DISPATCHED + timedelta(days=115)
QUIET = "隔壁装修噪音扰民，晚上十点后仍在施工。"
THREAT = "对方扬言要砍死我全家。"
LADDER = (EventKind.DEADLINE_REMINDER, EventKind.ESCALATED, EventKind.COLOUR_RAISED)


@pytest.fixture
def clock():
    with time_machine.travel(DISPATCHED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(tree, category, departments, make_staff):
    DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])
    head = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"])
    StaffProfile.objects.filter(user=head).update(is_head=True)
    return {
        "mediator": make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"]),
        "head": head,
        "dispatcher": make_staff(Role.DISPATCHER, area=tree.town_a),
        "town": make_staff(Role.SUPERVISOR, area=tree.town_a),
        "county": make_staff(Role.SUPERVISOR, area=tree.county),
        "city": make_staff(Role.SUPERVISOR, area=tree.city),
        "other_town": make_staff(Role.SUPERVISOR, area=tree.town_b),
    }


def submit(tree, category, *, description=QUIET, phone="13900139000") -> Dispute:
    return services.dispute_submit(
        category=category,
        description=description,
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[{"role": PartyRole.APPLICANT, "name": "李四", "phone": phone}],
    )


def ladder(case: Dispute) -> list[str]:
    return list(case.events.filter(kind__in=LADDER).order_by("pk").values_list("kind", flat=True))


def inbox(case: Dispute, kind: str) -> list[int]:
    return sorted(Notification.objects.filter(dispute_id=case.pk, kind=kind).values_list("recipient_user", flat=True))


def sweep() -> int:
    return services.deadlines_sweep(now=timezone.now())


# --- A red case dispatched 115 days ago, never accepted -------------------------------------------------


@pytest.mark.parametrize("description", [THREAT, QUIET], ids=["red", "white"])
def test_an_unaccepted_case_climbs_to_the_city_once_and_stops(
    clock, tree, category, departments, people, settings, description
):
    settings.RED_CASES_NEED_HUMAN_DISPATCH = True
    case = submit(tree, category, description=description)
    case = services.dispute_route(dispute_id=case.pk)
    if case.status == Status.TRIAGED:  # red: a person dispatches it
        case = services.dispute_transition(
            dispute=case,
            action="dispatch",
            actor=Actor.for_user(people["dispatcher"]),
            data={"department": departments["a"]},
        )
    colour = case.colour
    assert case.status == Status.DISPATCHED
    # Routing names a mediator (white); a person's dispatch leaves it to the department (red).
    reminded = [people["mediator"].pk] if case.assigned_mediator_id else [people["mediator"].pk, people["head"].pk]
    clock.move_to(LATER)

    # One rung per sweep, then nothing.
    assert [sweep() for _ in range(7)] == [1, 1, 1, 1, 1, 0, 0]

    case.refresh_from_db()
    raised = [EventKind.COLOUR_RAISED] if colour != Colour.RED else []
    assert ladder(case) == [
        EventKind.DEADLINE_REMINDER,
        EventKind.DEADLINE_REMINDER,
        EventKind.ESCALATED,
        *raised,
        EventKind.ESCALATED,
        EventKind.ESCALATED,
    ]
    reminders = list(case.events.filter(kind=EventKind.DEADLINE_REMINDER).order_by("pk"))
    assert [e.data.get("rung", clocks.REMIND) for e in reminders] == [clocks.REMIND, clocks.REMIND_HEAD]
    escalations = list(case.events.filter(kind=EventKind.ESCALATED).order_by("pk"))
    assert [e.data["to_area"] for e in escalations] == [tree.town_a.pk, tree.county.pk, tree.city.pk]
    assert [e.data["level"] for e in escalations] == [3, 4, 5]
    # An automatic 督办单 at each supervisor level, from that level's office, to the lead department.
    orders = list(SupervisionOrder.objects.filter(dispute=case).order_by("pk"))
    assert [o.issuing_area_id for o in orders] == [tree.town_a.pk, tree.county.pk, tree.city.pk]
    assert all(o.is_automatic and o.issued_by is None and o.to_department_id == departments["a"].pk for o in orders)
    assert [e.data["order"] for e in escalations] == [o.document_number for o in orders]
    assert case.events.filter(kind=EventKind.ORDER_ISSUED).count() == 3
    # Inbox items: the mediator (or the department), its head, each level's supervisors; the order to the head.
    assert inbox(case, "deadline_reminder") == sorted(reminded)
    assert inbox(case, "head_reminder") == [people["head"].pk]
    assert inbox(case, "escalated") == sorted([people["town"].pk, people["county"].pk, people["city"].pk])
    assert inbox(case, "supervision_order") == [people["head"].pk] * 3
    ladder_items = Notification.objects.filter(
        dispute_id=case.pk, kind__in=["deadline_reminder", "head_reminder", "escalated"]
    )
    assert {n.link for n in ladder_items} == {f"/work/case/{case.tracking_number}/"}
    # The colour went up once (white → yellow), never for a red case.
    expected = Colour.YELLOW if colour == Colour.WHITE else Colour.RED
    assert case.colour == expected
    assert sum(r.get("rule") == "escalated" for r in case.triage_reasons) == (0 if colour == Colour.RED else 1)
    accept = Deadline.objects.get(dispute=case, kind=DeadlineKind.ACCEPT)
    assert (accept.escalation_level, accept.escalate_at, accept.done_at) == (5, None, None)
    # The case stays on the city's 久拖未决 list.
    overdue = selectors.long_overdue_cases(user=people["city"], area=tree.city, days=30, limit=10)
    assert [row.case.pk for row in overdue] == [case.pk]


def test_the_colour_is_raised_once_per_case_across_its_clocks(clock, tree, category, departments, people):
    case = services.dispute_route(dispute_id=submit(tree, category).pk)
    due = Deadline.objects.open().get(dispute=case, kind=DeadlineKind.ACCEPT).due_at
    clock.move_to(due + timedelta(days=30))
    for _ in range(3):
        sweep()
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW
    services.dispute_transition(dispute=case, action="accept", actor=Actor.for_user(people["mediator"]))
    case.refresh_from_db()
    resolve = Deadline.objects.open().get(dispute=case, kind=DeadlineKind.RESOLVE)
    clock.move_to(resolve.due_at + timedelta(days=60))
    while sweep():
        pass
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW, "a second clock's supervisor rung does not raise it again"
    assert case.events.filter(kind=EventKind.COLOUR_RAISED).count() == 1
    assert Deadline.objects.get(pk=resolve.pk).escalation_level == 5


def test_a_department_without_a_head_skips_to_the_supervisors(clock, tree, category, departments, people):
    StaffProfile.objects.filter(user=people["head"]).update(is_head=False)
    case = services.dispute_route(dispute_id=submit(tree, category).pk)
    clock.move_to(LATER)
    assert [sweep(), sweep()] == [1, 1]
    assert ladder(case) == [EventKind.DEADLINE_REMINDER, EventKind.ESCALATED, EventKind.COLOUR_RAISED]
    assert inbox(case, "head_reminder") == []
    assert Deadline.objects.get(dispute=case, kind=DeadlineKind.ACCEPT).escalation_level == 3


# --- The dispatch clock -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "window"),
    [(Colour.RED, timedelta(minutes=30)), (Colour.YELLOW, timedelta(hours=4)), (Colour.WHITE, timedelta(hours=24))],
)
def test_a_submitted_case_has_a_dispatch_clock_by_colour(clock, tree, category, people, colour, window):
    category.base_colour = colour
    category.save()
    case = submit(tree, category)  # routing never ran: the worker is down

    clock_row = Deadline.objects.open().get(dispute=case)
    assert (clock_row.kind, clock_row.due_at, clock_row.escalate_at) == (
        DeadlineKind.DISPATCH,
        DISPATCHED + window,
        DISPATCHED + window,
    )
    assert Dispute.objects.get(pk=case.pk).next_due_at == DISPATCHED + window


def test_the_admins_dispatch_window_applies(clock, tree, category, people):
    ServiceLevelSetting.objects.create(
        colour=Colour.WHITE,
        accept_within=timedelta(days=1),
        resolve_within=timedelta(days=10),
        dispatch_within=timedelta(hours=2),
    )
    case = submit(tree, category)
    assert Deadline.objects.open().get(dispute=case).due_at == DISPATCHED + timedelta(hours=2)


def test_triage_to_red_retimes_the_dispatch_clock_from_the_submission(clock, tree, category, people, settings):
    settings.RED_CASES_NEED_HUMAN_DISPATCH = True
    case = submit(tree, category, description=THREAT)
    assert Deadline.objects.open().get(dispute=case).due_at == DISPATCHED + timedelta(hours=24)
    clock.move_to(DISPATCHED + timedelta(minutes=10))  # the worker comes back

    case = services.dispute_route(dispute_id=case.pk)

    assert (case.status, case.colour) == (Status.TRIAGED, Colour.RED)
    due = DISPATCHED + timedelta(minutes=30)
    assert Deadline.objects.open().get(dispute=case, kind=DeadlineKind.DISPATCH).due_at == due
    assert Dispute.objects.get(pk=case.pk).next_due_at == due


def test_an_override_retimes_the_dispatch_clock(clock, tree, category, people):
    case = submit(tree, category)
    services.dispute_override_colour(
        dispute=case, actor=Actor.for_user(people["dispatcher"]), colour=Colour.RED, reason="当事人情绪激动"
    )
    assert Deadline.objects.open().get(dispute=case).due_at == DISPATCHED + timedelta(minutes=30)
    assert Dispute.objects.get(pk=case.pk).next_due_at == DISPATCHED + timedelta(minutes=30)


def test_dispatch_finishes_the_clock_and_return_opens_a_new_one(clock, tree, category, departments, people):
    case = services.dispute_route(dispute_id=submit(tree, category).pk)
    waited = Deadline.objects.get(dispute=case, kind=DeadlineKind.DISPATCH)
    assert waited.done_at == DISPATCHED
    clock.move_to(DISPATCHED + timedelta(hours=3))
    services.dispute_transition(
        dispute=case, action="return", actor=Actor.for_user(people["mediator"]), reason="不属本所"
    )
    again = Deadline.objects.open().get(dispute=case)
    assert (again.kind, again.due_at) == (DeadlineKind.DISPATCH, DISPATCHED + timedelta(hours=27))


def test_an_overdue_dispatch_clock_reminds_the_dispatchers_and_orders_a_dispatcher(clock, tree, category, people):
    case = submit(tree, category)  # never routed: the worker is down
    clock.move_to(DISPATCHED + timedelta(days=30))
    assert [sweep(), sweep()] == [1, 1]
    assert inbox(case, "deadline_reminder") == [people["dispatcher"].pk]
    # No department: the head's rung is passed over; the township's supervisors get it, the order goes
    # to a dispatcher of the area.
    order = SupervisionOrder.objects.get(dispute=case)
    assert (order.issuing_area_id, order.to_user_id, order.to_department_id) == (
        tree.town_a.pk,
        people["dispatcher"].pk,
        None,
    )
    assert inbox(case, "escalated") == [people["town"].pk]


def test_a_red_case_awaiting_dispatch_sorts_before_the_other_red_cases(
    clock, tree, category, departments, people, settings
):
    settings.RED_CASES_NEED_HUMAN_DISPATCH = False
    dispatched = services.dispute_route(dispute_id=submit(tree, category, description=THREAT).pk)
    assert (dispatched.colour, dispatched.status) == (Colour.RED, Status.DISPATCHED)
    clock.move_to(DISPATCHED + timedelta(minutes=10))
    white = submit(tree, category, phone="13600136000")
    waiting = submit(tree, category, description=THREAT, phone="13700137000")
    settings.RED_CASES_NEED_HUMAN_DISPATCH = True
    waiting = services.dispute_route(dispute_id=waiting.pk)
    assert (waiting.colour, waiting.status) == (Colour.RED, Status.TRIAGED)

    page = selectors.queue_page(user=people["town"], scope=None, params={})

    numbers = [row.tracking_number for row in page.rows]
    assert numbers[:3] == [waiting.tracking_number, dispatched.tracking_number, white.tracking_number]


def test_the_escalation_events_are_written_in_the_sweeps_transaction(clock, tree, category, people):
    """Events, inbox items and orders of a batch are written together, or (a failure) not at all."""
    case = services.dispute_route(dispute_id=submit(tree, category).pk)
    clock.move_to(LATER)
    before = (CaseEvent.objects.count(), Notification.objects.count(), SupervisionOrder.objects.count())
    for _ in range(3):
        sweep()
    after = (CaseEvent.objects.count(), Notification.objects.count(), SupervisionOrder.objects.count())
    assert after[2] - before[2] == 1
    assert after[0] - before[0] == len(ladder(case)) + 1  # + the order's ORDER_ISSUED


def test_a_case_the_ladder_turns_red_asks_for_its_leader(clock, tree, category, departments, people):
    category.base_colour = Colour.YELLOW
    category.save()
    case = services.dispute_route(dispute_id=submit(tree, category).pk)
    assert (case.colour, case.status) == (Colour.YELLOW, Status.DISPATCHED)
    clock.move_to(LATER)
    for _ in range(3):
        sweep()
    case.refresh_from_db()
    assert case.colour == Colour.RED
    # 包案: the supervisors of its township are asked to name a leader, in the sweep's batch.
    assert inbox(case, "leader_needed") == [people["town"].pk]
