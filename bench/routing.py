"""Cases routed per second by one Celery worker, with 100,000 cases stored.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_routing \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \\
        python bench/routing.py                       # --stored 100000 --cases 2000
    python bench/routing.py --stored 1000000 --cases 5000 --pool prefork --concurrency 1

Runs against the configured database and broker (DATABASE_URL / CELERY_BROKER_URL,
from the environment or .env; without them SQLite and the filesystem broker under
VAR_DIR). A PostgreSQL database must be named bench_… (created if missing); the
broker's queue must be empty (use a Redis database of the benchmark's own, or
--purge). Measure with Redis: the embedded filesystem broker polls its folder
once a second and hands the worker about one message per poll, so without
CELERY_BROKER_URL the figure is the transport's, not routing's.

What it does:

1. migrates and tops the database up to --stored cases (`seed_demo --cases N`,
   which adds only the difference: a second run is quick);
2. stores --cases new cases through `dispute_submit`, as the web form does, but
   without publishing their routing task; and --in-process more for step 5;
3. publishes one `route_dispute` task per case to the broker, then starts one
   real `celery worker` (prefork, concurrency 1, DEBUG off) and lets it drain
   the queue: triage with the parties' history, the diversion list, the
   dispatch with its deadline and SMS, the mediator assignment;
4. reports the cases routed per second (from the database: the first routing's
   start to the last one's commit) and p50/p95 of each routing task's run time
   in the worker (its "succeeded in" log line), then lets the worker deliver the
   notifications routing queued, and stops it;
5. as a second figure, routes --in-process cases in this process, timing each
   `dispute_route` call and counting its queries.

The last line printed is one JSON object:
{"scenario": "routing", "cases": <stored>, "p50_ms": …, "p95_ms": …, "per_s": …, …}
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common as common  # noqa: E402

STORIES = (
    "楼上邻居装修噪音扰民，晚上十点后仍在施工，多次沟通无果。",
    "在工地干了三个月，老板拖欠工资{n}元至今未付。",
    "借给朋友{n}元，约定半年归还，现已逾期一年拒不还款。",
    "物业公司收费不合理，电梯长期故障无人维修。",
    "邻居在公共楼道堆放杂物，影响通行和消防安全。",
    "夫妻感情不和，因子女抚养问题争执不下。",
    "承包地边界不清，与邻村村民发生争执。",
    "网购商品质量有问题，商家拒绝退货退款。",
    "楼上卫生间漏水，渗到我家天花板，协商赔偿未果。",
    # A few threats: red, which wait for a person (RED_CASES_NEED_HUMAN_DISPATCH).
    "对方喝了酒扬言要砍死我，家里老人孩子都很害怕。",
)
NAMES = "王伟 李娜 张敏 刘强 陈静 杨磊 黄艳 赵军 吴杰 周涛".split()


def make_cases(n: int, *, rng: random.Random) -> tuple[list[int], list[float]]:
    """`n` submitted cases, stored by dispute_submit without publishing their routing task."""
    from disputes import services
    from disputes.models import Category
    from disputes.rules.enums import Channel, PartyRole
    from disputes.services import intake as intake_services
    from grids.models import Area, AreaLevel

    categories = list(Category.objects.filter(is_active=True))
    grids = list(Area.objects.filter(level__gte=AreaLevel.VILLAGE))
    if not categories or not grids:
        sys.exit("No categories or grids: seed_demo did not load the reference data.")
    publish = intake_services.routing_enqueue
    intake_services.routing_enqueue = lambda pk: None
    ids, times = [], []
    try:
        for _ in range(n):
            phone = f"13{rng.randrange(10**9):09d}"
            parties = [{"role": PartyRole.APPLICANT, "name": rng.choice(NAMES), "phone": phone}]
            if rng.random() < 0.6:
                parties.append(
                    {"role": PartyRole.RESPONDENT, "name": rng.choice(NAMES), "phone": f"15{rng.randrange(10**9):09d}"}
                )
            started = time.perf_counter()
            case = services.dispute_submit(
                category=rng.choice(categories),
                description=rng.choice(STORIES).format(n=rng.choice((3000, 8000, 45000))),
                grid=rng.choice(grids),
                channel=Channel.WEB,
                parties=parties,
            )
            times.append(time.perf_counter() - started)
            ids.append(case.pk)
    finally:
        intake_services.routing_enqueue = publish
    return ids, times


def routed(ids: list[int]) -> int:
    from disputes.models import Dispute
    from disputes.rules.enums import Status

    return Dispute.objects.filter(pk__in=ids).exclude(status=Status.SUBMITTED).count()


def routing_span(ids: list[int]) -> float:
    """Seconds from the first routing's start (its triage event) to the last routing's last event."""
    from django.db.models import Max, Min

    from disputes.models import CaseEvent

    events = CaseEvent.objects.filter(dispute_id__in=ids).exclude(action="submit")
    span = events.aggregate(first=Min("at"), last=Max("at"))
    return (span["last"] - span["first"]).total_seconds()


def route_in_process(ids: list[int]) -> tuple[list[float], list[int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from disputes import services

    times, queries = [], []
    for pk in ids:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            services.dispute_route(dispute_id=pk)
            times.append(time.perf_counter() - started)
        queries.append(len(captured))
    return times, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stored", type=int, default=100_000, help="Cases stored before the run (topped up).")
    parser.add_argument("--cases", type=int, default=2_000, help="New cases the worker routes (measured).")
    parser.add_argument("--in-process", type=int, default=200, help="Cases routed in this process (second figure).")
    parser.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900, help="Give up waiting for the worker after this long.")
    parser.add_argument("--purge", action="store_true", help="Empty the broker's queue first if it is not empty.")
    parser.add_argument("--any-database", action="store_true", help="Allow a PostgreSQL database not named bench_….")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    db = common.configure(allow_any_database=args.any_database)
    common.prepare(args.stored)
    common.setup_django()

    from django.conf import settings
    from django.db.models import Count

    from disputes.models import CaseEvent, Dispute
    from disputes.rules.enums import EventKind, Status
    from disputes.tasks import route_dispute

    common.require_empty_queue(purge=args.purge)
    stored = Dispute.objects.count()
    rng = random.Random(args.seed if args.seed is not None else time.time_ns())
    common.log(f"{stored:,} cases stored. Submitting {args.cases:,} + {args.in_process:,} new cases…")
    ids, submit_times = make_cases(args.cases, rng=rng)
    local_ids, _ = make_cases(args.in_process, rng=rng)

    started = time.perf_counter()
    for pk in ids:
        route_dispute.delay(pk)
    publish_s = time.perf_counter() - started

    worker = common.Worker(pool=args.pool, concurrency=args.concurrency)
    try:
        common.log(f"Published {len(ids):,} routing tasks in {publish_s:.1f} s; starting the worker…")
        ready = worker.start()
        deadline = ready + args.timeout
        while (done := routed(ids)) < len(ids):
            if time.monotonic() > deadline:
                sys.exit(f"Only {done} of {len(ids)} cases routed after {args.timeout:.0f} s:\n{worker.log()[-3000:]}")
            time.sleep(0.1)
        wall_s = time.monotonic() - ready
        span_s = routing_span(ids)
        task_times = worker.runtimes("disputes.tasks.route_dispute")
        common.log(f"Routed {len(ids):,} in {span_s:.1f} s ({wall_s:.1f} s wall from the worker's start).")

        # Leave nothing behind: the worker delivers the notifications routing queued.
        common.log("Letting the worker deliver the notifications routing queued…")
        drain_started = time.monotonic()
        while common.queue_length() and time.monotonic() < drain_started + args.timeout:
            time.sleep(0.5)
        notifications = len(worker.runtimes("core.tasks.deliver_notification"))
        drain_s = time.monotonic() - drain_started
    finally:
        worker.stop()

    common.log(f"Routing {len(local_ids):,} cases in this process…")
    local_times, local_queries = route_in_process(local_ids)
    # No worker delivers their notifications now: drop the messages, so the next run starts clean.
    if common.queue_length():
        from config.celery_app import app

        app.control.purge()

    statuses = dict(Dispute.objects.filter(pk__in=ids).values_list("status").annotate(n=Count("pk")))
    assigned = CaseEvent.objects.filter(dispute_id__in=ids, kind=EventKind.ASSIGNED).count()
    figures = {
        "scenario": "routing",
        "cases": stored,
        "routed": len(ids),
        "p50_ms": common.ms(common.percentile(task_times, 50)),
        "p95_ms": common.ms(common.percentile(task_times, 95)),
        "per_s": round(len(ids) / span_s, 1) if span_s else 0.0,
        "wall_per_s": round(len(ids) / wall_s, 1),
        "dispatched": statuses.get(Status.DISPATCHED, 0),
        "triaged": statuses.get(Status.TRIAGED, 0),
        "assigned": assigned,
        "in_process_p50_ms": common.ms(common.percentile(local_times, 50)),
        "in_process_p95_ms": common.ms(common.percentile(local_times, 95)),
        "queries_per_case": round(sum(local_queries) / len(local_queries), 1) if local_queries else 0,
        "submit_p50_ms": common.ms(common.percentile(submit_times, 50)),
        "notifications_per_s": round(notifications / drain_s, 1) if drain_s else 0.0,
        "worker": f"{args.pool} x{args.concurrency}",
        "db": db["ENGINE"].rsplit(".", 1)[-1],
        "broker": settings.CELERY_BROKER_URL.split("://", 1)[0],
    }
    common.emit(figures)


if __name__ == "__main__":
    main()
