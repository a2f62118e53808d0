"""Time to sweep 10,000 due rungs of the escalation ladder (督办), with 100,000 cases stored.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_routing \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \\
        python bench/sweep.py                         # --stored 100000 --deadlines 10000
    python bench/sweep.py --deadlines 20000 --batch 1000

Runs against the configured database and broker, like bench/routing.py (a
PostgreSQL database must be named bench_…; the broker's queue must be empty,
or --purge).

What it does:

1. migrates and tops the database up to --stored cases (`seed_demo --cases N`);
2. sweeps until nothing is due, so the seeded cases' own overdue deadlines do
   not count in the measurement;
3. adds --deadlines open deadlines (accept and resolve) on existing open cases
   with bulk_create, each due between 1 and 60 minutes ago (escalate_at =
   due_at), spread over the rungs of the ladder (`disputes.rules.clocks`):
   --mix gives the share at each level, by default 40% at level 0 (the
   handler's reminder), 20% at level 1 (the department head), 20% at level 2
   (the nearest supervisors: an automatic 督办单 and the colour raised) and 20%
   at level 3 (the next level up: another 督办单);
4. times one `deadlines_sweep` call, as the beat entry runs it: every row takes
   its next rung (an event on the case's timeline, inbox items queued to the
   broker on commit, and at the supervisor rungs an order with its number, its
   ORDER_ISSUED event and its inbox items). It prints the total, the rows per
   second and p50/p95 per deadline (the sweep works in batches of --batch rows,
   one transaction each: a deadline's time is its batch's time shared by its
   rows; --per-row sweeps one row per transaction instead, for comparison);
5. cancels the added deadlines (so a later run or sweep never meets them) and
   empties the queue of the notification messages the sweep sent.

The last line printed is one JSON object:
{"scenario": "sweep", "cases": <stored>, "deadlines": …, "seconds": …, "p50_ms": …, "p95_ms": …, "per_s": …}
"""

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common as common  # noqa: E402


def clear_due_rows() -> int:
    from disputes import services

    swept = 0
    for _ in range(8):  # one rung per row per sweep; the ladder has up to five
        n = services.deadlines_sweep(max_rows=1_000_000)
        swept += n
        if not n:
            break
    return swept


def add_deadlines(n: int, *, rng: random.Random, mix: list[float]) -> list[int]:
    from django.utils import timezone

    from disputes.models import Deadline, Dispute
    from disputes.rules.enums import DeadlineKind, Status
    from grids.areas import ancestor_paths
    from grids.models import StaffProfile
    from grids.roles import SUPERVISOR

    handling = [Status.DISPATCHED, Status.ACCEPTED, Status.IN_MEDIATION, Status.REOPENED]
    rows_of = list(Dispute.objects.filter(status__in=handling).order_by("?").values_list("pk", "area_path")[:n])
    if not rows_of:
        sys.exit("No open cases to put deadlines on: seed_demo stored none?")
    cases = [pk for pk, _path in rows_of]
    # How many levels over each case have supervisors: a level the ladder cannot climb has no rung to take,
    # so a deadline is put only at a level whose next rung exists (every added row is one due rung).
    supervised = set(StaffProfile.objects.filter(role=SUPERVISOR).values_list("area__path", flat=True))
    tiers = {pk: sum(p in supervised for p in ancestor_paths(path)) for pk, path in rows_of}
    now = timezone.now()
    rows = []
    levels = list(range(len(mix)))
    for i in range(n):
        due = now - timedelta(seconds=rng.randrange(60, 3600))
        kind = rng.choice((DeadlineKind.ACCEPT, DeadlineKind.RESOLVE))
        case = cases[i % len(cases)]
        level = min(rng.choices(levels, weights=mix)[0], 1 + tiers[case])
        rows.append(Deadline(dispute_id=case, kind=kind, due_at=due, escalate_at=due, escalation_level=level))
    created = Deadline.objects.bulk_create(rows, batch_size=2000)
    return [d.pk for d in created]


def timed_sweep(batch: int, *, per_row: bool) -> tuple[int, float, list[float], float]:
    """One deadlines_sweep as beat runs it; returns (rungs, seconds, seconds per deadline, seconds publishing).

    deadlines_sweep takes the due rows in batches of `batch`, one transaction
    each; a deadline's time is its batch's time shared by the rows in it. With
    `per_row`, each row is swept alone (one transaction per row) for comparison.
    """
    from django.utils import timezone

    from core import notifications
    from disputes import services
    from disputes.services import deadlines as module

    # deadlines_sweep calls the module's own name: the wrapper goes there (the package's re-export is
    # not what it calls), so that the per-deadline shares are measured.
    escalate = module.deadlines_escalate
    queue_many = notifications._queue_many
    shares: list[float] = []
    publishing: list[float] = []

    def timed_queue(ids):
        # The inbox items' delivery messages, published to the broker after each batch commits.
        started = time.perf_counter()
        try:
            return queue_many(ids)
        finally:
            publishing.append(time.perf_counter() - started)

    def timed(*, deadline_ids, **kwargs):
        started = time.perf_counter()
        try:
            return escalate(deadline_ids=deadline_ids, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            shares.extend([elapsed / len(deadline_ids)] * len(deadline_ids))

    module.deadlines_escalate = timed
    notifications._queue_many = timed_queue
    try:
        started = time.perf_counter()
        if per_row:
            now = timezone.now()
            ids = services.deadlines_due(now=now, limit=1_000_000)
            taken = sum(1 for pk in ids if services.deadline_escalate(deadline_id=pk, now=now))
        else:
            taken = services.deadlines_sweep(batch=batch, max_rows=1_000_000)
        total = time.perf_counter() - started
    finally:
        module.deadlines_escalate = escalate
        notifications._queue_many = queue_many
    return taken, total, shares, sum(publishing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stored", type=int, default=100_000, help="Cases stored before the run (topped up).")
    parser.add_argument("--deadlines", type=int, default=10_000, help="Due deadlines to sweep (measured).")
    parser.add_argument("--batch", type=int, default=500, help="deadlines_sweep's batch size.")
    parser.add_argument("--per-row", action="store_true", help="Sweep row by row, one transaction each (to compare).")
    parser.add_argument("--purge", action="store_true", help="Empty the broker's queue first if it is not empty.")
    parser.add_argument("--any-database", action="store_true", help="Allow a PostgreSQL database not named bench_….")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--mix",
        default="40,20,20,20",
        help="Share of the added deadlines at escalation level 0, 1, 2, … (comma-separated weights).",
    )
    args = parser.parse_args()

    db = common.configure(allow_any_database=args.any_database)
    common.prepare(args.stored)
    common.setup_django()

    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from config.celery_app import app
    from core.models import Notification
    from disputes.models import CaseEvent, Deadline, Dispute, SupervisionOrder

    common.require_empty_queue(purge=args.purge)
    stored = Dispute.objects.count()
    common.log(f"{stored:,} cases stored. Sweeping what the seeded cases have due…")
    common.log(f"  {clear_due_rows():,} rungs taken.")
    app.control.purge()

    rng = random.Random(args.seed if args.seed is not None else time.time_ns())
    ids = add_deadlines(args.deadlines, rng=rng, mix=[float(w) for w in args.mix.split(",")])
    common.log(f"Added {len(ids):,} due deadlines on {min(len(ids), stored):,} or fewer open cases. Sweeping…")
    events_before = CaseEvent.objects.count()
    notifications_before = Notification.objects.count()
    orders_before = SupervisionOrder.objects.count()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        taken, total, per_row, publish = timed_sweep(args.batch, per_row=args.per_row)
    events = CaseEvent.objects.count() - events_before
    notifications = Notification.objects.count() - notifications_before
    orders = SupervisionOrder.objects.count() - orders_before
    queued = common.queue_length()
    common.log(
        f"Swept {taken:,} rungs in {total:.1f} s: {events:,} events, {notifications:,} notifications, "
        f"{orders:,} orders, {queued:,} messages queued, {len(queries):,} queries."
    )
    rungs = dict(Deadline.objects.filter(pk__in=ids).values_list("escalation_level").annotate(n=Count("pk")).order_by())
    Deadline.objects.filter(pk__in=ids).update(cancelled_at=timezone.now())
    # The orders the run issued are closed, so no later sweep raises them for a late signature.
    latest = SupervisionOrder.objects.order_by("-pk").values_list("pk", flat=True)[:orders]
    SupervisionOrder.objects.filter(pk__in=list(latest)).update(closed_at=timezone.now(), escalate_at=None)
    app.control.purge()

    figures = {
        "scenario": "sweep",
        "cases": stored,
        "deadlines": len(ids),
        "swept": taken,
        "seconds": round(total, 2),
        # Of which publishing the inbox items' delivery messages to the broker after each commit.
        "publish_seconds": round(publish, 2),
        "p50_ms": common.ms(common.percentile(per_row, 50)),
        "p95_ms": common.ms(common.percentile(per_row, 95)),
        "per_s": round(taken / total, 1) if total else 0.0,
        "queries_per_deadline": round(len(queries) / len(ids), 2) if ids else 0,
        "notifications": notifications,
        "orders": orders,
        "events": events,
        "levels": {str(k): v for k, v in sorted(rungs.items())},
        "batch": 1 if args.per_row else args.batch,
        "db": db["ENGINE"].rsplit(".", 1)[-1],
    }
    common.emit(figures)


if __name__ == "__main__":
    main()
