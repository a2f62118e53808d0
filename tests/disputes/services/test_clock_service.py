"""时限 and 督办: deadlines from the service levels, pausing, and the sweeper's escalation ladder.

Time is frozen with time-machine (tick=False) and moved by hand, so every due
date can be asserted exactly. The sweeper is called as the beat entry calls it.
"""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections, transaction
from django.utils import timezone

from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from core.models import Notification
from disputes import services, tasks
from disputes.models import Deadline, Dispute, DiversionRule, ServiceLevelSetting, SupervisionOrder
from disputes.rules import clocks, triage
from disputes.rules.enums import Channel, Colour, DeadlineKind, EventKind, Outcome, PartyRole, Status
from disputes.services import intake as intake_services
from grids.models import Role, StaffProfile
from tests.factories import DepartmentFactory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
WHITE = clocks.DEFAULT_SERVICE_LEVELS[Colour.WHITE]
WHITE_GAP = clocks.LADDER_GAP[Colour.WHITE]
QUIET = "隔壁装修噪音扰民，晚上十点后仍在施工。"
THREAT = "对方扬言要砍死我全家。"
LADDER_EVENTS = (EventKind.DEADLINE_REMINDER, EventKind.ESCALATED, EventKind.COLOUR_RAISED)
# remind the mediator, remind the head, township supervisors (+ order, colour), county supervisors (+ order).
FULL_LADDER = [
    EventKind.DEADLINE_REMINDER,
    EventKind.DEADLINE_REMINDER,
    EventKind.ESCALATED,
    EventKind.COLOUR_RAISED,
    EventKind.ESCALATED,
]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(tree, category, departments, make_staff):
    DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])
    head = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"])
    StaffProfile.objects.filter(user=head).update(is_head=True)
    return {
        "head": head,
        "mediator": make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"]),
        "clerk": make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"]),
        "dispatcher": make_staff(Role.DISPATCHER, area=tree.town_a),
        "caller": make_staff(Role.CALLBACK_CALLER, area=tree.town_a),
        # The nearest supervisor is told; the county's and the other township's are not.
        "supervisor": make_staff(Role.SUPERVISOR, area=tree.town_a),
        "county_supervisor": make_staff(Role.SUPERVISOR, area=tree.county),
        "b_supervisor": make_staff(Role.SUPERVISOR, area=tree.town_b),
    }


def routed(tree, category, *, description=QUIET, phone="13900139000") -> Dispute:
    case = services.dispute_submit(
        category=category,
        description=description,
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[{"role": PartyRole.APPLICANT, "name": "李四", "phone": phone}],
    )
    return services.dispute_route(dispute_id=case.pk)


def open_deadline(case: Dispute, kind: str) -> Deadline:
    return Deadline.objects.open().get(dispute=case, kind=kind)


def ladder(case: Dispute) -> list[str]:
    return list(case.events.filter(kind__in=LADDER_EVENTS).values_list("kind", flat=True))


def notified(kind: str, case: Dispute) -> set:
    return set(Notification.objects.filter(kind=kind, dispute_id=case.pk).values_list("recipient_user", flat=True))


# --- Due dates from the service levels ------------------------------------------------------------


def test_without_rows_the_defaults_apply(clock, tree, category, people):
    case = routed(tree, category)

    assert case.status == Status.DISPATCHED
    accept = open_deadline(case, DeadlineKind.ACCEPT)
    assert (accept.due_at, accept.escalate_at, accept.escalation_level) == (
        NOW + WHITE.accept_within,
        NOW + WHITE.accept_within,
        0,
    )
    assert Dispute.objects.get(pk=case.pk).next_due_at == NOW + WHITE.accept_within


def test_deadlines_follow_the_service_level_rows(clock, tree, category, people, departments, settings):
    settings.RED_CASES_NEED_HUMAN_DISPATCH = False
    red = ServiceLevelSetting.objects.create(
        colour=Colour.RED, accept_within=timedelta(hours=1), resolve_within=timedelta(days=2)
    )
    case = routed(tree, category, description=THREAT)
    assert (case.colour, case.status) == (Colour.RED, Status.DISPATCHED)
    assert open_deadline(case, DeadlineKind.ACCEPT).due_at == NOW + timedelta(hours=1)

    clock.move_to(NOW + timedelta(minutes=30))
    services.dispute_transition(dispute=case, action="accept", actor=Actor.for_user(people["mediator"]))
    assert open_deadline(case, DeadlineKind.RESOLVE).due_at == NOW + timedelta(minutes=30) + timedelta(days=2)
    assert Deadline.objects.get(dispute=case, kind=DeadlineKind.ACCEPT).done_at == NOW + timedelta(minutes=30)

    # The admin shortens the red clocks: the next deadline opened follows the new row.
    red.accept_within = timedelta(minutes=20)
    red.save()
    clock.move_to(NOW + timedelta(hours=1))
    services.dispute_transition(
        dispute=case,
        action="transfer",
        actor=Actor.for_user(people["mediator"]),
        reason="属于朝阳洲",
        data={"department": departments["b"]},
    )
    assert open_deadline(case, DeadlineKind.ACCEPT).due_at == NOW + timedelta(hours=1, minutes=20)
    # The transfer cancelled the running resolve clock.
    assert not Deadline.objects.open().filter(dispute=case, kind=DeadlineKind.RESOLVE).exists()


def test_a_yellow_row_does_not_change_white_cases(clock, tree, category, people):
    ServiceLevelSetting.objects.create(
        colour=Colour.YELLOW, accept_within=timedelta(hours=5), resolve_within=timedelta(days=5)
    )

    case = routed(tree, category)

    assert open_deadline(case, DeadlineKind.ACCEPT).due_at == NOW + WHITE.accept_within


# --- Pause and resume -----------------------------------------------------------------------------


def test_a_paused_clock_is_not_due_and_not_swept(clock, tree, category, people):
    case = routed(tree, category)
    clock.move_to(NOW + timedelta(hours=1))

    services.dispute_pause_clock(dispute=case, actor=Actor.for_user(people["mediator"]), reason="等待医院诊断证明")

    accept = open_deadline(case, DeadlineKind.ACCEPT)
    assert accept.paused_at == NOW + timedelta(hours=1)
    assert Dispute.objects.get(pk=case.pk).next_due_at is None
    event = case.events.get(kind=EventKind.CLOCK_PAUSED)
    assert (event.reason, event.is_public) == ("等待医院诊断证明", True)

    clock.move_to(NOW + WHITE.accept_within + 3 * WHITE_GAP)
    assert services.deadlines_sweep(now=timezone.now()) == 0
    assert ladder(case) == []
    assert not Notification.objects.filter(kind="deadline_reminder").exists()


def test_resume_moves_the_due_date_by_the_pause(clock, tree, category, people):
    case = routed(tree, category)
    due = NOW + WHITE.accept_within
    clock.move_to(NOW + timedelta(hours=1))
    services.dispute_pause_clock(dispute=case, actor=Actor.for_user(people["mediator"]), reason="当事人住院")
    clock.move_to(NOW + timedelta(days=4))  # past the original due date

    services.dispute_resume_clock(dispute=case, actor=Actor.for_user(people["mediator"]))

    paused_for = timedelta(days=4) - timedelta(hours=1)
    accept = open_deadline(case, DeadlineKind.ACCEPT)
    assert (accept.paused_at, accept.due_at, accept.escalate_at, accept.paused_seconds) == (
        None,
        due + paused_for,
        due + paused_for,
        int(paused_for.total_seconds()),
    )
    assert Dispute.objects.get(pk=case.pk).next_due_at == due + paused_for
    assert case.events.filter(kind=EventKind.CLOCK_RESUMED, is_public=True).count() == 1
    # Nothing is due now; the reminder comes when the moved due date is reached.
    assert services.deadlines_sweep(now=timezone.now()) == 0
    clock.move_to(due + paused_for)
    assert services.deadlines_sweep(now=timezone.now()) == 1
    assert ladder(case) == [EventKind.DEADLINE_REMINDER]


def test_a_pause_after_the_first_rung_moves_the_next_rung_too(clock, tree, category, people):
    case = routed(tree, category)
    due = NOW + WHITE.accept_within
    clock.move_to(due)
    assert services.deadlines_sweep(now=due) == 1
    assert open_deadline(case, DeadlineKind.ACCEPT).escalate_at == due + WHITE_GAP

    clock.move_to(due + timedelta(hours=2))
    services.dispute_pause_clock(dispute=case, actor=Actor.for_user(people["dispatcher"]), reason="等待鉴定")
    clock.move_to(due + timedelta(hours=12))
    services.dispute_resume_clock(dispute=case, actor=Actor.for_user(people["dispatcher"]))

    accept = open_deadline(case, DeadlineKind.ACCEPT)
    assert (accept.due_at, accept.escalate_at, accept.escalation_level, accept.paused_seconds) == (
        due + timedelta(hours=10),
        due + WHITE_GAP + timedelta(hours=10),
        1,
        10 * 3600,
    )
    clock.move_to(due + WHITE_GAP)
    assert services.deadlines_sweep(now=timezone.now()) == 0
    clock.move_to(due + WHITE_GAP + timedelta(hours=10))
    assert services.deadlines_sweep(now=timezone.now()) == 1
    assert ladder(case) == [EventKind.DEADLINE_REMINDER, EventKind.DEADLINE_REMINDER]
    assert notified("head_reminder", case) == {people["head"].pk}


def test_two_pauses_add_up(clock, tree, category, people):
    case = routed(tree, category)
    actor = Actor.for_user(people["mediator"])
    for start in (timedelta(hours=1), timedelta(hours=10)):
        clock.move_to(NOW + start)
        services.dispute_pause_clock(dispute=case, actor=actor, reason="等待材料")
        clock.move_to(NOW + start + timedelta(hours=3))
        services.dispute_resume_clock(dispute=case, actor=actor)

    accept = open_deadline(case, DeadlineKind.ACCEPT)
    assert (accept.due_at, accept.paused_seconds) == (NOW + WHITE.accept_within + timedelta(hours=6), 6 * 3600)


def test_pause_and_resume_refusals(clock, tree, category, people, make_staff):
    case = routed(tree, category)
    mediator = Actor.for_user(people["mediator"])
    other_department = make_staff(Role.MEDIATOR, area=tree.town_a, department=DepartmentFactory(area=tree.town_a))

    with pytest.raises(ApplicationError) as no_reason:
        services.dispute_pause_clock(dispute=case, actor=mediator, reason=" ")
    with pytest.raises(ApplicationError) as nothing_paused:
        services.dispute_resume_clock(dispute=case, actor=mediator)
    with pytest.raises(PermissionDeniedError) as not_theirs:
        services.dispute_pause_clock(dispute=case, actor=Actor.for_user(other_department), reason="等待")
    with pytest.raises(PermissionDeniedError) as caller:
        services.dispute_pause_clock(dispute=case, actor=Actor.for_user(people["caller"]), reason="等待")
    services.dispute_pause_clock(dispute=case, actor=mediator, reason="等待")
    with pytest.raises(ApplicationError) as twice:
        services.dispute_pause_clock(dispute=case, actor=mediator, reason="等待")

    assert [e.value.code for e in (no_reason, nothing_paused, not_theirs, caller, twice)] == [
        "reason_required",
        "nothing_to_resume",
        "not_handler",
        "wrong_role",
        "nothing_to_pause",
    ]
    assert case.events.filter(kind=EventKind.CLOCK_PAUSED).count() == 1


# --- The escalation ladder (督办) ----------------------------------------------------------------


def test_the_ladder_reminds_then_climbs_to_the_head_and_up_the_tree(clock, tree, category, people):
    case = routed(tree, category)
    assert case.assigned_mediator == people["mediator"]
    deadline = open_deadline(case, DeadlineKind.ACCEPT)
    due = deadline.due_at

    # Not yet due.
    clock.move_to(due - timedelta(seconds=1))
    assert services.deadlines_sweep(now=timezone.now()) == 0

    # Rung 1 at the due date: the assigned mediator is reminded.
    clock.move_to(due)
    assert services.deadlines_sweep(now=due) == 1
    reminder = case.events.get(kind=EventKind.DEADLINE_REMINDER)
    assert reminder.data == {"deadline": deadline.pk, "kind": "accept", "level": 1, "due_at": due.isoformat()}
    assert (reminder.at, reminder.actor_role) == (due, "system")
    assert notified("deadline_reminder", case) == {people["mediator"].pk}
    # Each rung once: sweeping again at the same instant does nothing.
    assert services.deadlines_sweep(now=due) == 0
    assert ladder(case) == [EventKind.DEADLINE_REMINDER]

    # Rung 2, one gap later: the lead department's head.
    clock.move_to(due + WHITE_GAP - timedelta(seconds=1))
    assert services.deadlines_sweep(now=timezone.now()) == 0
    clock.move_to(due + WHITE_GAP)
    assert services.deadlines_sweep(now=timezone.now()) == 1
    head = case.events.filter(kind=EventKind.DEADLINE_REMINDER).last()
    assert (head.data["level"], head.data["rung"], head.data["department"]) == (
        2,
        "remind_head",
        people["head"].staff.department_id,
    )
    assert notified("head_reminder", case) == {people["head"].pk}
    assert services.deadlines_sweep(now=timezone.now()) == 0

    # Rung 3, another gap later: the township's supervisors, an automatic order, the colour up one step.
    clock.move_to(due + 2 * WHITE_GAP)
    assert services.deadlines_sweep(now=timezone.now()) == 1
    escalated = case.events.get(kind=EventKind.ESCALATED)
    order = SupervisionOrder.objects.get(dispute=case)
    assert (escalated.data["level"], escalated.data["to_area"], escalated.data["order"]) == (
        3,
        tree.town_a.pk,
        order.document_number,
    )
    assert (order.issuing_area, order.is_automatic, order.to_department_id) == (
        tree.town_a,
        True,
        people["head"].staff.department_id,
    )
    assert notified("escalated", case) == {people["supervisor"].pk}
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW
    assert case.triage_reasons[-1] == {"rule": "escalated", "colour": "yellow", "params": {"deadline": "accept"}}
    raised = case.events.get(kind=EventKind.COLOUR_RAISED)
    assert raised.reason == triage.reason_text({"rule": "escalated"})
    assert (raised.data["from_colour"], raised.data["colour"], raised.data["level"]) == ("white", "yellow", 3)
    assert services.deadlines_sweep(now=timezone.now()) == 0

    # Rung 4, two gaps later: the county's supervisors, with their own order. The county is the top
    # level with supervisors in this tree: the ladder ends there.
    clock.move_to(due + 4 * WHITE_GAP)
    assert services.deadlines_sweep(now=timezone.now()) == 1
    assert notified("escalated", case) == {people["supervisor"].pk, people["county_supervisor"].pk}
    assert list(
        SupervisionOrder.objects.filter(dispute=case).values_list("issuing_area", flat=True).order_by("pk")
    ) == [
        tree.town_a.pk,
        tree.county.pk,
    ]

    # The ladder has ended: nothing more, however late; the colour went up once only.
    clock.move_to(due + timedelta(days=60))
    assert services.deadlines_sweep(now=timezone.now()) == 0
    deadline.refresh_from_db()
    assert (deadline.escalation_level, deadline.escalate_at, deadline.done_at) == (4, None, None)
    assert ladder(case) == FULL_LADDER
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW
    assert Notification.objects.filter(dispute_id=case.pk, kind="deadline_reminder").count() == 1
    assert Notification.objects.filter(dispute_id=case.pk, kind="head_reminder").count() == 1
    assert Notification.objects.filter(dispute_id=case.pk, kind="escalated").count() == 2


def test_a_long_overdue_deadline_climbs_one_rung_per_sweep(clock, tree, category, people):
    case = routed(tree, category)
    clock.move_to(NOW + timedelta(days=30))

    counts = [services.deadlines_sweep(now=timezone.now()) for _ in range(5)]

    assert counts == [1, 1, 1, 1, 0]
    assert ladder(case) == FULL_LADDER


def test_without_a_mediator_the_departments_staff_are_reminded(clock, tree, category, people):
    case = routed(tree, category)
    services.dispute_transition(
        dispute=case, action="return", actor=Actor.for_user(people["mediator"]), reason="不属本所"
    )
    services.dispute_transition(
        dispute=case,
        action="dispatch",
        actor=Actor.for_user(people["dispatcher"]),
        data={"department": people["clerk"].staff.department},
    )
    case.refresh_from_db()
    assert case.assigned_mediator_id is None

    clock.move_to(NOW + WHITE.accept_within)
    assert services.deadlines_sweep(now=timezone.now()) == 1

    assert notified("deadline_reminder", case) == {people["mediator"].pk, people["clerk"].pk, people["head"].pk}


def test_a_red_case_climbs_faster(clock, tree, category, people, settings):
    settings.RED_CASES_NEED_HUMAN_DISPATCH = False
    case = routed(tree, category, description=THREAT)
    due = open_deadline(case, DeadlineKind.ACCEPT).due_at
    red_gap = clocks.LADDER_GAP[Colour.RED]

    clock.move_to(due)
    services.deadlines_sweep(now=timezone.now())
    clock.move_to(due + red_gap)
    services.deadlines_sweep(now=timezone.now())
    clock.move_to(due + 2 * red_gap)
    services.deadlines_sweep(now=timezone.now())

    case.refresh_from_db()
    # Red is the top: the supervisor rung is taken but the colour cannot go higher.
    assert case.colour == Colour.RED
    assert ladder(case) == [EventKind.DEADLINE_REMINDER, EventKind.DEADLINE_REMINDER, EventKind.ESCALATED]
    assert "escalated" not in {r["rule"] for r in case.triage_reasons}


def test_callback_deadlines_stop_after_the_supervisor_rung(clock, tree, category, people):
    case = routed(tree, category)
    mediator = Actor.for_user(people["mediator"])
    services.dispute_transition(dispute=case, action="accept", actor=mediator)
    services.dispute_transition(
        dispute=case, action="report_back", actor=mediator, data={"outcome": Outcome.RESOLVED_OTHERWISE}
    )
    services.dispute_transition(dispute=case, action="await_callback", actor=Actor.system())
    callback = open_deadline(case, DeadlineKind.CALLBACK)
    due = NOW + timedelta(days=7)
    assert callback.due_at == due

    swept = []
    for at in (due, due + WHITE_GAP, due + 2 * WHITE_GAP, due + timedelta(days=30)):
        clock.move_to(at)
        swept.append(services.deadlines_sweep(now=timezone.now()))

    assert swept == [1, 1, 0, 0]
    assert ladder(case) == [EventKind.DEADLINE_REMINDER, EventKind.ESCALATED]
    # The callers of the area are reminded (the mediator's work is done).
    assert notified("deadline_reminder", case) == {people["caller"].pk}
    assert notified("escalated", case) == {people["supervisor"].pk}
    callback.refresh_from_db()
    assert (callback.escalation_level, callback.escalate_at) == (2, None)
    case.refresh_from_db()
    assert case.colour == Colour.WHITE


def test_done_and_cancelled_deadlines_are_never_swept(clock, tree, category, people):
    accepted = routed(tree, category)
    services.dispute_transition(dispute=accepted, action="accept", actor=Actor.for_user(people["mediator"]))
    withdrawn = routed(tree, category, phone="13700137000")
    services.dispute_transition(
        dispute=withdrawn, action="return", actor=Actor.for_user(people["mediator"]), reason="不属本所"
    )
    done = Deadline.objects.get(dispute=accepted, kind=DeadlineKind.ACCEPT)
    cancelled = Deadline.objects.get(dispute=withdrawn, kind=DeadlineKind.ACCEPT)
    assert done.done_at is not None and cancelled.cancelled_at is not None
    # Their escalate_at is still in the past when the sweeper runs.
    assert done.escalate_at < NOW + timedelta(days=4) and cancelled.escalate_at < NOW + timedelta(days=4)

    clock.move_to(NOW + timedelta(days=4))  # past both accept deadlines, before the resolve deadline
    assert services.deadlines_sweep(now=timezone.now()) == 1

    assert ladder(accepted) == []
    # The returned case waits on its dispatch clock instead (the dispatchers are reminded).
    assert list(Deadline.objects.open().filter(dispute=withdrawn).values_list("kind", "escalation_level")) == [
        (DeadlineKind.DISPATCH, 1)
    ]
    assert not Notification.objects.filter(kind__in=["deadline_reminder", "escalated"], dispute_id=accepted.pk).exists()


def test_the_sweep_returns_the_number_of_rungs_taken(clock, tree, category, people):
    cases = [routed(tree, category, phone=f"1390000000{n}") for n in range(3)]
    clock.move_to(NOW + WHITE.accept_within)

    assert tasks.sweep_deadlines() == 3
    assert tasks.sweep_deadlines() == 0
    assert all(ladder(c) == [EventKind.DEADLINE_REMINDER] for c in cases)


def test_the_sweep_stops_at_max_rows_oldest_first(clock, tree, category, people):
    cases = []
    for n in range(3):
        clock.move_to(NOW + timedelta(hours=n))
        cases.append(routed(tree, category, phone=f"1390000000{n}"))
    clock.move_to(NOW + timedelta(days=4))

    assert services.deadlines_sweep(now=timezone.now(), max_rows=2) == 2

    assert [len(ladder(c)) for c in cases] == [1, 1, 0]


def test_a_backlog_is_swept_whole_even_when_the_oldest_rows_stay_due(clock, tree, category, people):
    """After an outage, rows climb one rung and stay due: they must not hide the rows behind them."""
    old = [routed(tree, category, phone=f"1390000000{n}") for n in range(3)]
    clock.move_to(NOW + timedelta(days=9))
    recent = routed(tree, category, phone="13700137000")
    clock.move_to(NOW + timedelta(days=12, hours=1))  # the recent case's accept deadline has just passed

    taken = services.deadlines_sweep(now=timezone.now(), batch=2)

    assert taken == 4
    assert [ladder(c) for c in [*old, recent]] == [[EventKind.DEADLINE_REMINDER]] * 4


def test_with_staff_copies_on_the_notifications_are_queued_for_delivery_after_commit(
    clock, tree, category, people, monkeypatch, django_capture_on_commit_callbacks, settings
):
    from core import tasks as core_tasks

    settings.STAFF_NOTIFY_SMS = True  # a copy by SMS: each inbox item is also delivered by a task
    sent = []
    monkeypatch.setattr(core_tasks.deliver_notification, "delay", sent.append)
    cases = [routed(tree, category, phone=f"1390000000{n}") for n in range(3)]
    clock.move_to(NOW + WHITE.accept_within)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.deadlines_sweep(now=timezone.now()) == 3
    assert sent == [], "nothing is sent before the sweep's transaction commits"
    for callback in callbacks:
        callback()

    reminders = Notification.objects.filter(kind="deadline_reminder", dispute_id__in=[c.pk for c in cases])
    assert sorted(sent) == sorted(reminders.values_list("pk", flat=True))
    assert len(sent) == 3
    assert set(reminders.values_list("recipient_user", flat=True)) == {people["mediator"].pk}
    assert set(reminders.values_list("channel", "state")) == {(Notification.Channel.STAFF, Notification.State.PENDING)}


def test_two_deadlines_of_one_case_each_climb_in_the_same_sweep(clock, tree, category, people):
    case = routed(tree, category)
    services.deadline_open(dispute=case, kind=DeadlineKind.PERFORMANCE, due_at=NOW + timedelta(days=1))
    clock.move_to(NOW + WHITE.accept_within)

    assert services.deadlines_sweep(now=timezone.now(), batch=1) == 2

    reminded = sorted(case.events.filter(kind=EventKind.DEADLINE_REMINDER).values_list("data__kind", flat=True))
    assert reminded == ["accept", "performance"]


def test_deadline_escalate_takes_one_rung_of_one_deadline(clock, tree, category, people):
    case = routed(tree, category)
    deadline = open_deadline(case, DeadlineKind.ACCEPT)

    assert services.deadline_escalate(deadline_id=deadline.pk, now=NOW) is None, "not due yet"
    at = deadline.due_at + 4 * WHITE_GAP
    assert services.deadline_escalate(deadline_id=deadline.pk, now=at) == clocks.REMIND
    assert services.deadline_escalate(deadline_id=deadline.pk, now=at) == clocks.REMIND_HEAD
    assert services.deadline_escalate(deadline_id=deadline.pk, now=at) == clocks.ESCALATE
    assert services.deadline_escalate(deadline_id=deadline.pk, now=at) == clocks.ESCALATE
    assert services.deadline_escalate(deadline_id=deadline.pk, now=at) is None
    assert services.deadline_escalate(deadline_id=987654321, now=at) is None
    assert ladder(case) == FULL_LADDER


# --- Locking (PostgreSQL) ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweeper_skips_a_case_another_transaction_holds(tree, category, people, monkeypatch):
    """SKIP LOCKED: a case being changed right now is looked at on the next sweep, not waited for."""
    monkeypatch.setattr(intake_services, "routing_enqueue", lambda pk: None)
    monkeypatch.setattr("core.notifications._queue", lambda n: None)
    held, free = routed(tree, category), routed(tree, category, phone="13700137000")
    later = timezone.now() + WHITE.accept_within + timedelta(minutes=1)
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Dispute.objects.select_for_update().get(pk=held.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        assert services.deadlines_sweep(now=later) == 1
    finally:
        release.set()
        holder.join(timeout=10)
    assert ladder(held) == [] and ladder(free) == [EventKind.DEADLINE_REMINDER]
    assert services.deadlines_sweep(now=later) == 1
    assert ladder(held) == [EventKind.DEADLINE_REMINDER]


def test_by_default_the_inbox_is_the_delivery_and_no_task_is_queued(
    clock, tree, category, people, monkeypatch, django_capture_on_commit_callbacks
):
    from core import tasks as core_tasks

    sent = []
    monkeypatch.setattr(core_tasks.deliver_notification, "delay", sent.append)
    cases = [routed(tree, category, phone=f"1390000000{n}") for n in range(3)]
    sent.clear()  # the routing's own messages (the resident's SMS among them)
    clock.move_to(NOW + WHITE.accept_within)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.deadlines_sweep(now=timezone.now()) == 3

    reminders = Notification.objects.filter(kind="deadline_reminder", dispute_id__in=[c.pk for c in cases])
    assert sent == []
    assert reminders.count() == 3
    assert set(reminders.values_list("state", "read_at")) == {(Notification.State.SENT, None)}
