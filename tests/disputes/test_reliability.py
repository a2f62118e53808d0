"""Routing survives a dead broker, a killed worker and two workers racing, with real Celery on Redis.

Each test starts `celery worker` processes against the test database (see the
`live_worker` fixture) and proves the promise of the timeline: every step of
every case happens exactly once, and nothing submitted is lost.

Bounded: every wait has an explicit timeout, and the fixture kills whatever
workers a test started, even when it fails.
"""

import base64
import json
import random
import signal
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count

from disputes import selectors, services, tasks
from disputes.models import CaseEvent, Dispute, DiversionRule
from disputes.rules.enums import OPEN_STATUSES, Channel, EventKind, PartyRole, Status
from disputes.services import intake as intake_services
from grids.models import Role, StaffProfile
from tests.conftest import celery_broker, require_service, wait_for
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Nothing listens on port 1: connecting is refused at once, like a broker that is down.
DEAD_BROKER = "redis://127.0.0.1:1/0"
ROUTE = "disputes.tasks.route_dispute"
# Short, so a message whose worker was killed comes back within the test's bound.
VISIBILITY = {"CELERY_VISIBILITY_TIMEOUT": "5"}


@pytest.fixture(autouse=True)
def redis_broker():
    require_service(
        settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")),
        "this test needs CELERY_BROKER_URL=redis://...",
    )


@pytest.fixture
def rule(tree, category, departments):
    return DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])


def submit(tree, category, n: int = 0) -> Dispute:
    return services.dispute_submit(
        category=category,
        description="隔壁装修噪音扰民，晚上十点后仍在施工。",
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[{"role": PartyRole.APPLICANT, "name": "王五", "phone": f"137{n:08d}"}],
    )


def submit_unpublished(tree, category, n: int, monkeypatch) -> list[int]:
    """`n` submitted cases whose routing task was never sent (the test sends it when it wants)."""
    with monkeypatch.context() as m:
        m.setattr(intake_services, "routing_enqueue", lambda pk: None)
        return [submit(tree, category, i).pk for i in range(n)]


def routed_count(ids: list[int]) -> int:
    return Dispute.objects.filter(pk__in=ids).exclude(status=Status.SUBMITTED).count()


def step_counts(ids: list[int]) -> Counter:
    return Counter(
        CaseEvent.objects.filter(dispute_id__in=ids, kind=EventKind.TRANSITION).values_list("dispute_id", "action")
    )


def assert_each_step_once(ids: list[int]) -> None:
    steps = step_counts(ids)
    wrong = {pk: {a: steps[(pk, a)] for a in ("submit", "triage", "dispatch")} for pk in ids}
    wrong = {pk: c for pk, c in wrong.items() if c != {"submit": 1, "triage": 1, "dispatch": 1}}
    assert wrong == {}, f"cases whose timeline does not show each step once: {wrong}"
    assert not Dispute.objects.filter(pk__in=ids).exclude(status=Status.DISPATCHED).exists()


def logs(*workers) -> str:
    return "\n\n".join(f"--- worker {w.process.pid}\n{w.log()[-4000:]}" for w in workers)


# --- a) The broker is down when the resident submits ------------------------------------------------


def test_a_case_submitted_while_the_broker_is_down_is_routed_by_the_sweeper(
    live_worker, tree, category, rule, settings
):
    with celery_broker(DEAD_BROKER):
        case = submit(tree, category)
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED, "the case is stored even though routing could not be queued"

    # The broker is back and a worker runs; nothing was queued, so nothing happens by itself.
    worker = live_worker()
    time.sleep(1)
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    # A fresh case is left to its own task for a while (UNROUTED_AFTER_MINUTES, 5 by default).
    assert tasks.sweep_unrouted() == 0

    # What beat runs every minute, once the case is old enough.
    settings.UNROUTED_AFTER_MINUTES = 0
    assert tasks.sweep_unrouted() == 1

    def dispatched():
        case.refresh_from_db()
        return case.status == Status.DISPATCHED

    wait_for(dispatched, timeout=30, what="the swept case to be dispatched", explain=worker.log)
    assert_each_step_once([case.pk])
    assert case.lead_department == rule.lead_department


# --- b) A worker is killed in the middle of routing ------------------------------------------------------

KILL_CASES = 100


def _hold_rows(model, pks, holding: threading.Event, release: threading.Event) -> None:
    """In another connection: lock these rows until `release` is set."""
    try:
        with transaction.atomic():
            list(model.objects.select_for_update().filter(pk__in=pks))
            holding.set()
            release.wait(timeout=60)
    finally:
        connections.close_all()


def _workers_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _unacked_routing() -> list[int]:
    """The case ids of routing tasks a worker took from Redis and never acknowledged."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    ids = []
    for raw in client.hvals("unacked"):
        message = json.loads(raw)[0]
        if message.get("headers", {}).get("task") == ROUTE:
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            ids.append(args[0])
    return ids


@pytest.mark.postgres
def test_a_worker_killed_mid_routing_loses_nothing_and_repeats_nothing(
    live_worker, tree, category, rule, departments, monkeypatch
):
    """SIGKILL while a routing transaction is open: it rolls back, Redis redelivers, it runs once.

    The worker is caught at a known point: once some cases are routed, the test
    locks the mediators' rows, so the next routing task blocks inside its
    transaction (triage and dispatch written, not committed) waiting to assign
    a mediator. That task is unacknowledged (acks_late) in Redis's `unacked`
    hash. After the kill the open transaction is rolled back, and a new worker
    with the same short visibility timeout restores the message and routes it.

    Left out on purpose: killing a worker at a random instant. kombu's Redis
    transport takes a message off the queue with BRPOP and records it as
    unacknowledged with a second command (kombu#305); a kill between the two
    loses the message from the broker. The case is not lost: it stays
    `submitted`, and beat's `sweep_unrouted` routes it again within minutes.
    """
    mediators = [
        StaffFactory(
            user=UserFactory(), role=Role.MEDIATOR, area=tree.town_a, department=departments["a"], max_open_cases=40
        )
        for _ in range(3)
    ]
    ids = submit_unpublished(tree, category, KILL_CASES, monkeypatch)

    first = live_worker(pool="prefork", concurrency=1, env=VISIBILITY)
    for pk in ids:
        tasks.route_dispute.delay(pk)
    wait_for(lambda: routed_count(ids) >= 5, timeout=30, interval=0.02, what="the first cases to be routed")

    holding, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=_hold_rows, args=(StaffProfile, [m.pk for m in mediators], holding, release), daemon=True
    )
    holder.start()
    try:
        assert holding.wait(timeout=10)
        wait_for(_workers_waiting_on_a_lock, timeout=15, what="the worker to block mid-routing", explain=first.log)
        routed_at_kill = routed_count(ids)
        first.kill()
    finally:
        release.set()
        holder.join(timeout=10)
    assert first.process.returncode == -signal.SIGKILL
    assert 0 < routed_at_kill < KILL_CASES
    in_flight = [pk for pk in _unacked_routing() if pk in ids]
    assert len(in_flight) == 1, f"unacknowledged routing tasks after the kill: {in_flight}"
    # Its transaction was rolled back with the dead connection: nothing of it is left.
    wait_for(lambda: not _workers_waiting_on_a_lock(), timeout=15, what="the dead worker's transaction to end")
    interrupted = Dispute.objects.get(pk=in_flight[0])
    assert interrupted.status == Status.SUBMITTED
    assert list(interrupted.events.values_list("action", flat=True)) == ["submit"]
    assert routed_count(ids) == routed_at_kill

    second = live_worker(pool="prefork", concurrency=1, env=VISIBILITY, purge=False)
    wait_for(
        lambda: routed_count(ids) == KILL_CASES,
        timeout=45,
        what=f"all {KILL_CASES} cases to be routed after the kill ({routed_at_kill} were)",
        explain=lambda: f"{routed_count(ids)} routed\n{logs(first, second)}",
    )

    assert_each_step_once(ids)
    assigned = Counter(
        CaseEvent.objects.filter(dispute_id__in=ids, kind=EventKind.ASSIGNED).values_list("dispute_id", flat=True)
    )
    assert assigned == dict.fromkeys(ids, 1)
    assert in_flight[0] not in _unacked_routing()
    assert selectors.disputes_unrouted(older_than=timedelta(0)) == []


# --- c) Two workers route the same cases at once ----------------------------------------------------------

RACE_CASES = 40
MEDIATORS = 5
MAX_OPEN = 8  # 5 × 8 = 40: room for every case, and not one more


def test_two_workers_routing_the_same_cases_assign_each_once(
    live_worker, tree, category, rule, departments, monkeypatch
):
    mediators = [
        StaffFactory(
            user=UserFactory(),
            role=Role.MEDIATOR,
            area=tree.town_a,
            department=departments["a"],
            max_open_cases=MAX_OPEN,
        ).user
        for _ in range(MEDIATORS)
    ]
    ids = submit_unpublished(tree, category, RACE_CASES, monkeypatch)
    workers = [
        live_worker(pool="threads", concurrency=2),
        live_worker(pool="threads", concurrency=2, purge=False),
    ]

    # Every case is queued twice (a resent task, the sweeper and the submission racing…).
    shuffled = ids[:]
    random.Random(7).shuffle(shuffled)
    for pk in [*ids, *shuffled]:
        tasks.route_dispute.delay(pk)
    wait_for(
        lambda: sum(w.succeeded(ROUTE) for w in workers) >= 2 * RACE_CASES,
        timeout=45,
        what=f"{2 * RACE_CASES} routing tasks to finish",
        explain=lambda: logs(*workers),
    )

    assert all(w.succeeded(ROUTE) > 0 for w in workers), "both workers took part"
    assert_each_step_once(ids)
    assigned = Counter(
        CaseEvent.objects.filter(dispute_id__in=ids, kind=EventKind.ASSIGNED).values_list("dispute_id", flat=True)
    )
    assert assigned == dict.fromkeys(ids, 1)
    load = dict(
        Dispute.objects.filter(assigned_mediator__in=mediators, status__in=OPEN_STATUSES)
        .values_list("assigned_mediator")
        .annotate(n=Count("pk"))
    )
    assert sum(load.values()) == RACE_CASES
    assert max(load.values()) <= MAX_OPEN, load
