"""Time to sweep 10,000 due deadlines (督办), with 100,000 cases stored.

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
3. adds --deadlines open deadlines (accept and resolve, escalation level 0)
   on existing open cases with bulk_create, each due between 1 and 60 minutes
   ago, escalate_at = due_at, as `deadline_open` makes them;
4. times one `deadlines_sweep` call, as the beat entry runs it: every row takes
   its first rung (an event on the case's timeline and a notification to the
   handlers, queued to the broker on commit). It prints the total, the rows per
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
    for _ in range(5):  # one rung per row per sweep; the ladder has three
        n = services.deadlines_sweep(max_rows=1_000_000)
        swept += n
        if not n:
            break
    return swept


def add_deadlines(n: int, *, rng: random.Random) -> list[int]:
    from django.utils import timezone

    from disputes.models import Deadline, Dispute
    from disputes.rules.enums import DeadlineKind, Status

    handling = [Status.DISPATCHED, Status.ACCEPTED, Status.IN_MEDIATION, Status.REOPENED]
    cases = list(Dispute.objects.filter(status__in=handling).order_by("?").values_list("pk", flat=True)[:n])
    if not cases:
        sys.exit("No open cases to put deadlines on: seed_demo stored none?")
    now = timezone.now()
    rows = []
    for i in range(n):
        due = now - timedelta(seconds=rng.randrange(60, 3600))
        kind = rng.choice((DeadlineKind.ACCEPT, DeadlineKind.RESOLVE))
        rows.append(Deadline(dispute_id=cases[i % len(cases)], kind=kind, due_at=due, escalate_at=due))
    created = Deadline.objects.bulk_create(rows, batch_size=2000)
    return [d.pk for d in created]


def timed_sweep(batch: int, *, per_row: bool) -> tuple[int, float, list[float]]:
    """One deadlines_sweep as beat runs it; returns (rungs, seconds, seconds per deadline).

    deadlines_sweep takes the due rows in batches of `batch`, one transaction
    each; a deadline's time is its batch's time shared by the rows in it. With
    `per_row`, each row is swept alone (one transaction per row) for comparison.
    """
    from django.utils import timezone

    from disputes import services

    escalate = services.deadlines_escalate
    shares: list[float] = []

    def timed(*, deadline_ids, **kwargs):
        started = time.perf_counter()
        try:
            return escalate(deadline_ids=deadline_ids, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            shares.extend([elapsed / len(deadline_ids)] * len(deadline_ids))

    services.deadlines_escalate = timed
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
        services.deadlines_escalate = escalate
    return taken, total, shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stored", type=int, default=100_000, help="Cases stored before the run (topped up).")
    parser.add_argument("--deadlines", type=int, default=10_000, help="Due deadlines to sweep (measured).")
    parser.add_argument("--batch", type=int, default=500, help="deadlines_sweep's batch size.")
    parser.add_argument("--per-row", action="store_true", help="Sweep row by row, one transaction each (to compare).")
    parser.add_argument("--purge", action="store_true", help="Empty the broker's queue first if it is not empty.")
    parser.add_argument("--any-database", action="store_true", help="Allow a PostgreSQL database not named bench_….")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    db = common.configure(allow_any_database=args.any_database)
    common.prepare(args.stored)
    common.setup_django()

    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from config.celery_app import app
    from core.models import Notification
    from disputes.models import CaseEvent, Deadline, Dispute

    common.require_empty_queue(purge=args.purge)
    stored = Dispute.objects.count()
    common.log(f"{stored:,} cases stored. Sweeping what the seeded cases have due…")
    common.log(f"  {clear_due_rows():,} rungs taken.")
    app.control.purge()

    rng = random.Random(args.seed if args.seed is not None else time.time_ns())
    ids = add_deadlines(args.deadlines, rng=rng)
    common.log(f"Added {len(ids):,} due deadlines on {min(len(ids), stored):,} or fewer open cases. Sweeping…")
    events_before = CaseEvent.objects.count()
    notifications_before = Notification.objects.count()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        taken, total, per_row = timed_sweep(args.batch, per_row=args.per_row)
    events = CaseEvent.objects.count() - events_before
    notifications = Notification.objects.count() - notifications_before
    queued = common.queue_length()
    common.log(
        f"Swept {taken:,} rungs in {total:.1f} s: {events:,} events, {notifications:,} notifications, "
        f"{queued:,} messages queued, {len(queries):,} queries."
    )
    rungs = dict(Deadline.objects.filter(pk__in=ids).values_list("escalation_level").annotate(n=Count("pk")).order_by())
    Deadline.objects.filter(pk__in=ids).update(cancelled_at=timezone.now())
    app.control.purge()

    figures = {
        "scenario": "sweep",
        "cases": stored,
        "deadlines": len(ids),
        "swept": taken,
        "seconds": round(total, 2),
        "p50_ms": common.ms(common.percentile(per_row, 50)),
        "p95_ms": common.ms(common.percentile(per_row, 95)),
        "per_s": round(taken / total, 1) if total else 0.0,
        "queries_per_deadline": round(len(queries) / len(ids), 2) if ids else 0,
        "notifications": notifications,
        "levels": {str(k): v for k, v in sorted(rungs.items())},
        "batch": 1 if args.per_row else args.batch,
        "db": db["ENGINE"].rsplit(".", 1)[-1],
    }
    common.emit(figures)


if __name__ == "__main__":
    main()
