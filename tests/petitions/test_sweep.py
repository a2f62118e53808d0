"""The statutory clocks swept by beat, with time travel: remind before the date, escalate after it."""

from datetime import datetime, timedelta

import pytest
import time_machine

from core.actors import Actor
from core.models import Notification
from grids.models import Role
from petitions import services
from petitions.models import Petition, PetitionDeadline
from petitions.rules import TZ, DeadlineKind, EventKind, Status
from petitions.tasks import sweep_petition_deadlines

# Received on Monday 2 March 2026 at 10:00, Beijing time.
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


def at(days: float):
    return time_machine.travel(NOW + timedelta(days=days), tick=False)


def kinds(petition) -> list[str]:
    return list(petition.events.values_list("kind", flat=True))


def test_the_acceptance_clock_reminds_at_day_14_and_escalates_at_day_16(register, clerk, supervisor_a, staff_a):
    with at(0):
        petition = register()
    with at(11):
        assert sweep_petition_deadlines() == 0
    with at(14):
        assert sweep_petition_deadlines() == 1
        # Nothing more until the due date has passed.
        assert sweep_petition_deadlines() == 0
    deadline = PetitionDeadline.objects.get(petition=petition)
    assert deadline.escalation_level == 1 and deadline.escalated_at is None
    assert kinds(petition) == [EventKind.REGISTERED, EventKind.DEADLINE_REMINDER]
    # The receiving office (no handling department yet) is reminded; supervisors not yet.
    assert set(
        Notification.objects.filter(kind="petition_deadline_reminder").values_list("recipient_user", flat=True)
    ) == {clerk.pk}
    assert not Notification.objects.filter(kind="petition_escalated").exists()

    with at(16):
        assert sweep_petition_deadlines() == 1
        assert sweep_petition_deadlines() == 0
    deadline.refresh_from_db()
    assert deadline.escalation_level == 2 and deadline.escalated_at == NOW + timedelta(days=16)
    assert deadline.escalate_at is None
    assert kinds(petition)[-1] == EventKind.ESCALATED
    # The nearest supervisors of the area (township A's), not the admin.
    escalated_to = set(Notification.objects.filter(kind="petition_escalated").values_list("recipient_user", flat=True))
    assert escalated_to == {supervisor_a.pk, staff_a[Role.SUPERVISOR].pk}
    with at(40):
        assert sweep_petition_deadlines() == 0


def test_a_decision_in_time_stops_the_clock(register, clerk, departments):
    with at(0):
        petition = register()
    with at(13):
        services.petition_decide(
            petition=petition, actor=Actor.for_user(clerk), decision="not_accept", reason="不予受理"
        )
    with at(16):
        assert sweep_petition_deadlines() == 0
    assert not petition.events.filter(kind__in=[EventKind.DEADLINE_REMINDER, EventKind.ESCALATED]).exists()


def test_the_handling_clock_escalates_after_60_days_and_an_extension_restarts_it(
    register, clerk, departments, make_staff, tree, supervisor_a
):
    handler = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"])
    with at(0):
        petition = services.petition_decide(
            petition=register(), actor=Actor.for_user(clerk), decision="accept", handling_department=departments["a"]
        )
    with at(52):
        assert sweep_petition_deadlines() == 0
    with at(60):
        assert sweep_petition_deadlines() == 1
    assert Notification.objects.filter(kind="petition_deadline_reminder", recipient_user=handler).count() == 1
    with at(61):
        assert sweep_petition_deadlines() == 1
    handle = PetitionDeadline.objects.get(petition=petition, kind=DeadlineKind.HANDLE)
    assert handle.escalation_level == 2 and handle.escalated_at is not None

    with at(62):
        services.petition_extend(petition=petition, actor=Actor.for_user(supervisor_a), days=30, reason="情况复杂")
        assert sweep_petition_deadlines() == 0
    handle.refresh_from_db()
    assert handle.escalation_level == 0 and handle.escalated_at is None
    with at(84):
        assert sweep_petition_deadlines() == 1  # reminded 7 days before the new date (day 91)
    with at(92):
        assert sweep_petition_deadlines() == 1
    assert kinds(petition).count(EventKind.ESCALATED) == 2


def test_the_review_window_lapses_and_the_petition_closes(register, clerk, departments, staff_a):
    with at(0):
        petition = services.petition_decide(
            petition=register(), actor=Actor.for_user(clerk), decision="accept", handling_department=departments["a"]
        )
        services.petition_reply(
            petition=petition, actor=Actor.for_user(staff_a[Role.DEPARTMENT_STAFF]), text="补偿款已发放。"
        )
    with at(1):
        # A dissatisfied petitioner at the callback: the reply stands and the review window stays open.
        services.petition_callback_record_attempt(
            petition=petition,
            actor=Actor.for_user(staff_a[Role.CALLBACK_CALLER]),
            reached=True,
            satisfaction="dissatisfied",
        )
    with at(30):
        assert sweep_petition_deadlines() == 0
    with at(32):
        assert sweep_petition_deadlines() == 1
    petition.refresh_from_db()
    assert petition.status == Status.CLOSED and petition.closed_at == NOW + timedelta(days=32)
    assert petition.events.last().action == "close" and petition.events.last().actor_role == "system"
    assert not PetitionDeadline.objects.open().filter(petition=petition).exists()


def test_the_sweep_works_in_batches(register, clerk, category):
    with at(0):
        for i in range(5):
            register(petitioners=[{"name": f"村民{i}", "phone": f"1350000000{i}"}], matter=f"事项{i}" * 20)
    with at(14):
        assert services.petition_deadlines_sweep(batch=2) == 5
    assert PetitionDeadline.objects.filter(escalation_level=1).count() == 5
    assert Petition.objects.count() == 5


def test_the_beat_runs_the_sweep_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-petition-deadlines"]
    assert entry["task"] == "petitions.tasks.sweep_petition_deadlines"
    assert entry["schedule"] == timedelta(minutes=1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_petitions_another_transaction_holds(register):
    import threading

    from django.db import connection, transaction

    with at(0):
        petition = register()
    locked = threading.Event()
    release = threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Petition.objects.select_for_update().get(pk=petition.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        with at(14):
            assert services.petition_deadlines_sweep() == 0
    finally:
        release.set()
        holder.join()
    with at(14):
        assert services.petition_deadlines_sweep() == 1
