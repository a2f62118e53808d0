"""Benchmark: the staff inbox's unread badge, in the header of every staff page (收件箱).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_inbox python bench/inbox.py

Fills the bench_ database with `seed_demo --cases N` (1,000,000 by default, or
$BENCH_CASES; only the difference is added, and kept between runs) and tops the
staff inbox up to `--notifications` staff messages (100,000 by default), spread
over the demo's staff: the dispatcher `paidan` and a few others hold thousands
each (hundreds of them unread, so the count hits its cap), everyone else a
handful; about a fifth are unread. Then, in one run:

1. renders the dispatcher's case queue (/work/) with the badge's context processor
   and without it, and counts the queries of each: the badge must add at most one;
2. times the badge alone (`LazyBadge(request).display`, one COUNT over a LIMIT 100
   subquery of the partial index `notification_unread`), `--calls` times, for the
   heaviest reader and for a typical one;
3. times the summary endpoint the pages poll, answered in full and with 304;
4. prints the query plan's index for the count.

Figures are printed last as one JSON line.
"""

import argparse
import importlib.util
import os
import random
import statistics
import sys
import time
from pathlib import Path

# Python puts bench/ first on sys.path, where a helper named like a standard module
# would shadow it: take bench/ off the path and load _common by file.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
_spec = importlib.util.spec_from_file_location("_common", BENCH / "_common.py")
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)

HEAVY = {"paidan": 8_000, "tiaojie": 5_000, "bumen": 4_000, "zhuguan": 3_000}
KINDS = [
    "assigned",
    "deadline_reminder",
    "head_reminder",
    "escalated",
    "supervision_order",
    "order_escalated",
    "assistance",
    "reopened",
    "transfer",
    "return",
    "leader_set",
    "withdrawal_requested",
    "petition_reminder_letter",
]
UNREAD_SHARE = 0.2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--cases",
        type=int,
        default=int(os.environ.get("BENCH_CASES", 1_000_000)),
        help="Cases stored before measuring ($BENCH_CASES; default 1,000,000).",
    )
    parser.add_argument("--notifications", type=int, default=100_000, help="Staff messages stored before measuring.")
    parser.add_argument("--calls", type=int, default=1_000, help="Timed badge counts per reader.")
    parser.add_argument("--any-database", action="store_true", help="Allow a PostgreSQL database not named bench_….")
    return parser.parse_args()


def top_up_notifications(target: int) -> int:
    """Add staff messages until `target` are stored; returns how many were added."""
    from django.contrib.auth import get_user_model
    from django.db.models import Max, Min
    from django.utils import timezone

    from core.models import Notification
    from disputes.models import Dispute

    staff = Notification.objects.filter(channel=Notification.Channel.STAFF)
    missing = target - staff.count()
    if missing <= 0:
        return 0
    users = list(get_user_model().objects.filter(staff__isnull=False).order_by("pk").values_list("pk", "username"))
    if not users:
        sys.exit("No staff users: run seed_demo first.")
    rng = random.Random(2026 + staff.count())  # noqa: S311 - test data
    heavy = {pk: HEAVY[name] for pk, name in users if name in HEAVY}
    plan: list[int] = []
    for pk, want in heavy.items():
        have = staff.filter(recipient_user_id=pk).count()
        plan += [pk] * max(0, min(want - have, missing - len(plan)))
    light = [pk for pk, _ in users if pk not in heavy]
    while len(plan) < missing:
        plan.append(rng.choice(light))
    rng.shuffle(plan)
    bounds = Dispute.objects.aggregate(low=Min("pk"), high=Max("pk"))
    now = timezone.now()
    batch: list[Notification] = []
    added = 0
    for pk in plan:
        batch.append(
            Notification(
                channel=Notification.Channel.STAFF,
                recipient_user_id=pk,
                kind=rng.choice(KINDS),
                body="案件时限提醒：请及时处理。",
                dispute_id=rng.randint(bounds["low"], bounds["high"]) if bounds["low"] else None,
                state=Notification.State.SENT,
                sent_at=now,
                read_at=None if rng.random() < UNREAD_SHARE else now,
            )
        )
        if len(batch) == 5_000:
            Notification.objects.bulk_create(batch)
            added += len(batch)
            batch = []
            _common.log(f"  … {added:,} of {missing:,} staff messages")
    Notification.objects.bulk_create(batch)
    return added + len(batch)


def count_queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, secure=True)
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}")
    return len(captured)


def time_badge(user, calls: int) -> list[float]:
    from django.test import RequestFactory

    from core.inbox_views import LazyBadge

    request = RequestFactory().get("/work/")
    request.user = user
    for _ in range(20):
        LazyBadge(request).display  # noqa: B018 - warm-up: the property runs the count
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        LazyBadge(request).display  # noqa: B018 - the property runs the count
        timings.append(time.perf_counter() - started)
    return timings


def time_summary(client, calls: int) -> tuple[list[float], list[float]]:
    url = "/api/v1/inbox/summary/"
    etag = client.get(url, secure=True)["ETag"]
    full, cached = [], []
    for _ in range(calls):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        full.append(time.perf_counter() - started)
        if response.status_code != 200:
            sys.exit(f"summary answered {response.status_code}")
        started = time.perf_counter()
        response = client.get(url, secure=True, headers={"If-None-Match": etag})
        cached.append(time.perf_counter() - started)
        if response.status_code != 304:
            sys.exit(f"summary with its ETag answered {response.status_code}")
    return full, cached


def count_plan(user) -> str:
    from django.db import connection

    from core import inbox

    sql, params = inbox._unread_count_statement("default")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + sql, [user.pk if p == inbox._READER else p for p in params])
        return "\n".join(str(row[0]) for row in cursor.fetchall())


def main() -> None:
    args = parse_args()
    # The dispatcher's pages without a TOTP code in the session (as bench/mixed_load.py): the
    # measured cost is the badge's, the same with or without two-factor sign-in.
    os.environ.setdefault("TWO_FACTOR_REQUIRED", "0")
    _common.configure(allow_any_database=args.any_database)
    _common.prepare(args.cases)
    _common.setup_django()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client, override_settings

    from core import inbox
    from core.models import Notification
    from disputes.models import Dispute

    stored = Dispute.objects.count()
    _common.log(f"{stored:,} cases stored. Topping the inbox up to {args.notifications:,} staff messages…")
    added = top_up_notifications(args.notifications)
    if added and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE core_notification")
    staff = Notification.objects.filter(channel=Notification.Channel.STAFF)
    totals = staff.aggregate(n=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True)))
    users = get_user_model().objects
    heavy = users.get(username="paidan")
    # The median reader among the others (by how many messages they hold).
    light = list(
        staff.exclude(recipient_user__username__in=list(HEAVY))
        .values("recipient_user_id")
        .annotate(n=Count("pk"))
        .order_by("n", "recipient_user_id")
        .values_list("recipient_user_id", flat=True)
    )
    typical = users.get(pk=light[len(light) // 2]) if light else heavy
    heavy_items = staff.filter(recipient_user=heavy).count()
    heavy_unread = staff.filter(recipient_user=heavy, read_at__isnull=True).count()
    _common.log(
        f"  {totals['n']:,} staff messages, {totals['unread']:,} unread; paidan holds {heavy_items:,} "
        f"({heavy_unread:,} unread), a typical reader {staff.filter(recipient_user=typical).count():,}"
    )

    client = Client()
    client.force_login(heavy)
    for _ in range(3):
        count_queries(client, "/work/")
    with_badge = count_queries(client, "/work/")
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    without_processor = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": [p for p in processors if p != "core.inbox_views.inbox_badge"],
            },
        }
    ]
    with override_settings(TEMPLATES=without_processor):
        without_badge = count_queries(client, "/work/")
    added_queries = with_badge - without_badge
    _common.log(f"Queue page queries: {with_badge} with the badge, {without_badge} without (+{added_queries}).")
    if added_queries > 1:
        sys.exit(f"The badge added {added_queries} queries to a staff page (at most 1 allowed).")

    _common.log(f"Badge count, {args.calls} calls per reader…")
    heavy_times = time_badge(heavy, args.calls)
    typical_times = time_badge(typical, args.calls)
    _common.log("Summary endpoint (full and 304), 200 calls each…")
    full, cached = time_summary(client, 200)
    plan = count_plan(heavy) if connection.vendor == "postgresql" else ""
    if plan:
        _common.log("Plan of the count:\n" + plan)

    p50 = statistics.median(heavy_times)
    figures = {
        "scenario": "inbox",
        "database": connection.vendor,
        "cases": stored,
        "notifications": totals["n"],
        "unread": totals["unread"],
        "heavy_reader_items": heavy_items,
        "heavy_reader_unread": heavy_unread,
        "badge_count": inbox.inbox_unread_count(heavy),
        "page_queries_with_badge": with_badge,
        "page_queries_without_badge": without_badge,
        "badge_queries": added_queries,
        "calls": args.calls,
        "p50_ms": _common.ms(p50),
        "p95_ms": _common.ms(_common.percentile(heavy_times, 95)),
        "per_s": round(len(heavy_times) / sum(heavy_times), 1),
        "typical_p50_ms": _common.ms(statistics.median(typical_times)),
        "typical_p95_ms": _common.ms(_common.percentile(typical_times, 95)),
        "summary_p50_ms": _common.ms(statistics.median(full)),
        "summary_304_p50_ms": _common.ms(statistics.median(cached)),
        "uses_unread_index": "notification_unread" in plan if plan else None,
    }
    _common.emit(figures)


if __name__ == "__main__":
    main()
