"""A worker killed (SIGKILL) in the middle of the deadline sweep loses no rung and doubles none.

A real `celery worker` process sweeps ~1,100 due deadlines spread over the
rungs of the ladder (reminders, the head, the supervisor levels with their
automatic 督办单). It is killed as soon as the first batch has committed; the
batch in flight rolls back with its connection. A new worker sweeps again:
every deadline then has taken exactly its one due rung, with one event, its
inbox items and, at the supervisor rungs, one order.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import Notification
from disputes import tasks
from disputes.models import CaseEvent, Deadline, Dispute, SupervisionOrder
from disputes.rules.enums import Channel, Colour, DeadlineKind, EventKind, Status
from disputes.rules.tracking import new_tracking_number
from grids.models import Role, StaffProfile
from tests.conftest import require_service, wait_for

BATCH = 500  # deadlines_sweep's batch: one transaction each
LEVELS = (0, 1, 2, 3, 4)  # mediator, head, township, county, city
PER_LEVEL = 220  # 1,100 deadlines: two whole batches and a part
LADDER_KINDS = (EventKind.DEADLINE_REMINDER, EventKind.ESCALATED)


@pytest.fixture
def due_rows(tree, category, departments, make_staff):
    mediator = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"])
    head = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"])
    StaffProfile.objects.filter(user=head).update(is_head=True)
    supervisors = {area.pk: make_staff(Role.SUPERVISOR, area=area) for area in (tree.town_a, tree.county, tree.city)}
    now = timezone.now()
    cases = Dispute.objects.bulk_create(
        Dispute(
            tracking_number=new_tracking_number(),
            category=category,
            description="隔壁装修噪音扰民。",
            grid=tree.grid_a,
            area_path=tree.grid_a.path,
            channel=Channel.WEB,
            status=Status.DISPATCHED,
            colour=Colour.WHITE,
            lead_department=departments["a"],
            assigned_mediator=mediator,
            submitted_at=now - timedelta(days=3),
        )
        for _ in range(PER_LEVEL * len(LEVELS))
    )
    # Due a minute ago at each level: exactly one rung is due (the next is a white gap, 2 days, later).
    due = now - timedelta(minutes=1)
    rows = Deadline.objects.bulk_create(
        Deadline(
            dispute=case,
            kind=DeadlineKind.ACCEPT,
            due_at=due,
            escalate_at=due,
            escalation_level=LEVELS[i % len(LEVELS)],
        )
        for i, case in enumerate(cases)
    )
    return {
        "start": {d.pk: d.escalation_level for d in rows},
        "mediator": mediator,
        "head": head,
        "supervisors": supervisors,
        "tiers": [tree.town_a.pk, tree.county.pk, tree.city.pk],
    }


def ladder_events():
    return CaseEvent.objects.filter(kind__in=LADDER_KINDS)


@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_loses_and_doubles_no_rung(live_worker, due_rows):
    require_service(
        settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")),
        "this test needs CELERY_BROKER_URL=redis://...",
    )
    start = due_rows["start"]
    worker = live_worker()
    tasks.sweep_deadlines.delay()

    # Killed as soon as the first batch has committed: the next one is in flight.
    taken_before_kill = wait_for(
        lambda: ladder_events().count(), timeout=60, interval=0.02, what="the first batch", explain=worker.log
    )
    worker.kill()
    after_kill = ladder_events().count()
    assert after_kill < len(start), "the sweep finished before the kill: nothing was interrupted"
    # Only whole batches are stored: the one in flight rolled back with its connection.
    assert after_kill % BATCH == 0 and after_kill >= taken_before_kill

    worker = live_worker()
    tasks.sweep_deadlines.delay()
    wait_for(
        lambda: not Deadline.objects.open().filter(escalate_at__lte=timezone.now()).exists(),
        timeout=90,
        what="every due rung to be taken",
        explain=worker.log,
    )
    wait_for(lambda: worker.succeeded("disputes.tasks.sweep_deadlines") >= 1, timeout=30, explain=worker.log)

    # Every deadline took exactly its one due rung.
    climbed = dict(Deadline.objects.values_list("pk", "escalation_level"))
    assert climbed == {pk: level + 1 for pk, level in start.items()}
    per_deadline = Counter(ladder_events().values_list("data__deadline", flat=True))
    assert set(per_deadline) == set(start) and set(per_deadline.values()) == {1}

    count = Counter(start.values())
    supervisor_rungs = count[2] + count[3] + count[4]
    # One automatic order per supervisor rung, from the office of its level, each with its ORDER_ISSUED event.
    orders = list(SupervisionOrder.objects.values_list("dispute_id", "issuing_area_id", "is_automatic"))
    assert len(orders) == supervisor_rungs == len({o[0] for o in orders})
    level_of_case = dict(Deadline.objects.values_list("dispute_id", "escalation_level"))
    assert all(area == due_rows["tiers"][level_of_case[case] - 3] and auto for case, area, auto in orders)
    assert CaseEvent.objects.filter(kind=EventKind.ORDER_ISSUED).count() == supervisor_rungs
    assert CaseEvent.objects.filter(kind=EventKind.COLOUR_RAISED).count() == count[2]
    # The inbox items, one per rung and recipient, none twice.
    inbox = Counter(Notification.objects.filter(channel=Notification.Channel.STAFF).values_list("kind", flat=True))
    assert inbox["deadline_reminder"] == count[0]
    assert inbox["head_reminder"] == count[1]
    assert inbox["escalated"] == supervisor_rungs
    assert inbox["supervision_order"] == supervisor_rungs
    pairs = Counter(
        Notification.objects.filter(kind__in=["deadline_reminder", "head_reminder", "escalated"]).values_list(
            "dispute_id", "recipient_user_id"
        )
    )
    assert set(pairs.values()) == {1}
