"""领取下一件: the most urgent waiting case of my department, accepted for me; distinct cases under concurrency."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from rest_framework.test import APIClient

from core.actors import Actor
from core.exceptions import PermissionDeniedError
from disputes.models import CaseEvent, Deadline, Dispute
from disputes.rules.enums import Colour, DeadlineKind, EventKind, Status
from disputes.services.queue import queue_take_next
from grids.models import Role
from tests.disputes.workbench.queue_helpers import queued

TAKE_PAGE = "/work/take-next/"
TAKE_API = "/api/v1/queue/take-next/"


def waiting(tree, category, departments, **kw):
    kw.setdefault("grid", tree.grid_a)
    kw.setdefault("department", departments["a"])
    return queued(Status.DISPATCHED, category=category, **kw)


@pytest.mark.django_db
def test_takes_the_most_urgent_waiting_case_of_my_department(tree, category, departments, staff_a, make_staff):
    me = staff_a[Role.MEDIATOR]
    other = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"])
    white = waiting(tree, category, departments, colour=Colour.WHITE, due_in=timedelta(hours=1))
    red_later = waiting(tree, category, departments, colour=Colour.RED, due_in=timedelta(hours=2))
    red_sooner = waiting(tree, category, departments, colour=Colour.RED, due_in=timedelta(hours=1))
    # Not for me: already someone's, another department's, not dispatched.
    someones = waiting(tree, category, departments, colour=Colour.RED, due_in=timedelta(minutes=1))
    Dispute.objects.filter(pk=someones.pk).update(assigned_mediator=other)
    waiting(tree, category, departments, grid=tree.grid_b, department=departments["b"], colour=Colour.RED)
    queued(Status.TRIAGED, grid=tree.grid_a, category=category, colour=Colour.RED)

    taken = [queue_take_next(actor=Actor.for_user(me)) for _ in range(3)]

    assert [c.pk for c in taken[:2]] == [red_sooner.pk, red_later.pk]
    assert taken[2].pk == white.pk
    assert queue_take_next(actor=Actor.for_user(me)) is None
    case = Dispute.objects.get(pk=red_sooner.pk)
    assert case.status == Status.ACCEPTED
    assert case.assigned_mediator == me
    events = list(case.events.order_by("at", "id").values_list("kind", "action", "actor_id"))
    assert (EventKind.ASSIGNED, "", me.pk) in events
    assert (EventKind.TRANSITION, "accept", me.pk) in events
    assert Deadline.objects.open().filter(dispute=case, kind=DeadlineKind.RESOLVE).exists()


@pytest.mark.django_db
def test_dispatched_case_assigned_to_someone_else_is_not_taken(tree, category, departments, staff_a, make_staff):
    other = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"])
    case = waiting(tree, category, departments)
    Dispute.objects.filter(pk=case.pk).update(assigned_mediator=other)
    assert queue_take_next(actor=Actor.for_user(staff_a[Role.MEDIATOR])) is None
    assert Dispute.objects.get(pk=case.pk).status == Status.DISPATCHED


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CALLBACK_CALLER, Role.DISPATCHER, Role.SUPERVISOR])
def test_only_handlers_take_cases(role, tree, category, departments, staff_a):
    case = waiting(tree, category, departments)
    with pytest.raises(PermissionDeniedError):
        queue_take_next(actor=Actor.for_user(staff_a[role]))
    api = APIClient()
    api.force_login(staff_a[role])
    assert api.post(TAKE_API).status_code == 403
    assert Dispute.objects.get(pk=case.pk).status == Status.DISPATCHED
    assert not CaseEvent.objects.filter(dispute=case).exists()


@pytest.mark.django_db
def test_callback_caller_sees_no_take_next_button_and_is_refused_on_the_page(client, staff_a):
    client.force_login(staff_a[Role.CALLBACK_CALLER])
    assert 'action="/work/take-next/"' not in client.get("/work/").content.decode()
    assert client.post(TAKE_PAGE).status_code == 403


@pytest.mark.django_db
def test_page_button_opens_the_taken_case_or_says_nothing_waits(client, tree, category, departments, staff_a):
    me = staff_a[Role.DEPARTMENT_STAFF]
    client.force_login(me)
    nothing = client.post(TAKE_PAGE, follow=True)
    assert nothing.redirect_chain[-1][0] == "/work/"
    assert "No case is waiting for your department right now." in nothing.content.decode() or (
        "没有" in nothing.content.decode()
    )
    case = waiting(tree, category, departments)
    response = client.post(TAKE_PAGE)
    assert response.status_code == 302
    assert response.url.endswith(f"/case/{case.tracking_number}/")
    assert Dispute.objects.get(pk=case.pk).assigned_mediator == me


@pytest.mark.django_db
def test_api_take_next(tree, category, departments, staff_a):
    api = APIClient()
    api.force_login(staff_a[Role.MEDIATOR])
    assert api.post(TAKE_API).json()["case"] is None
    case = waiting(tree, category, departments, applicant="李四")
    body = api.post(TAKE_API).json()
    assert body["case"]["tracking_number"] == case.tracking_number
    assert body["case"]["status"] == "accepted"
    assert body["case"]["applicant"] == "李*"


# --- Concurrency (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED) ---------------------------------------------

MEDIATORS = 6
CASES = 4


def _take(user, results: dict, errors: list, barrier: threading.Barrier) -> None:
    try:
        barrier.wait(timeout=30)
        case = queue_take_next(actor=Actor.for_user(user))
        results[user.pk] = case.pk if case is not None else None
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_mediators_clicking_at_once_get_different_cases(tree, category, departments, make_staff):
    mediators = [make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"]) for _ in range(MEDIATORS)]
    for user in mediators:
        user.staff  # noqa: B018 - load the profile before the threads start
    ids = {waiting(tree, category, departments, colour=Colour.RED, due_in=timedelta(hours=1)).pk for _ in range(CASES)}
    for round_ in range(2):
        results: dict = {}
        errors: list = []
        barrier = threading.Barrier(MEDIATORS)
        threads = [
            threading.Thread(target=_take, args=(user, results, errors, barrier), daemon=True) for user in mediators
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a take-next thread hung"
        assert errors == []
        taken = [pk for pk in results.values() if pk is not None]
        if round_ == 0:
            # Six at once for four cases: each case goes to exactly one mediator, two get nothing.
            assert len(taken) == len(set(taken)) == CASES
            assert set(taken) == ids
        else:
            assert taken == []
    owners = dict(Dispute.objects.filter(pk__in=ids).values_list("pk", "assigned_mediator_id"))
    assert len(set(owners.values())) == CASES
    assert set(Dispute.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.ACCEPTED}
    accepts = CaseEvent.objects.filter(dispute_id__in=ids, action="accept")
    assert accepts.count() == CASES
    assert {(e.dispute_id, e.actor_id) for e in accepts} == set(owners.items())


def _hold_lock(pk: int, locked: threading.Event, release: threading.Event) -> None:
    from django.db import transaction

    try:
        with transaction.atomic():
            Dispute.objects.select_for_update().get(pk=pk)
            locked.set()
            release.wait(timeout=15)
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_case_being_taken_is_skipped_not_waited_for(tree, category, departments, staff_a):
    import time

    first = waiting(tree, category, departments, colour=Colour.RED, due_in=timedelta(hours=1))
    second = waiting(tree, category, departments, colour=Colour.RED, due_in=timedelta(hours=2))
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(first.pk, locked, release), daemon=True)
    holder.start()
    try:
        assert locked.wait(timeout=15)
        started = time.monotonic()
        taken = queue_take_next(actor=Actor.for_user(staff_a[Role.MEDIATOR]))
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=20)
    assert taken.pk == second.pk
    assert waited < 5, f"take-next waited {waited:.1f}s for a locked case"
