"""Benchmark: the supervisor's dashboard over a million cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dashboard python bench/dashboard.py

Fills the bench_ database with `seed_demo --cases N` (1,000,000 by default; kept
between runs), then in one run:

1. rebuilds every rollup from scratch (`rollups.rebuild_all`, set-based SQL);
2. requests the whole dashboard page of the city for the last 12 whole months,
   as an admin, in-process through Django's test client (the full view: every
   table, the overdue list, the template), `--requests` times after a warm-up;
3. the same for a township, as that township's supervisor;
4. computes the same figures the naive way, with COUNT … GROUP BY over the
   cases table (headline counts, on-time with its deadline subquery, the four
   breakdowns, the drill-down and the 12-month trend), and prints the ratio of
   its time to the city page's median.

Figures are printed last as one JSON line.
"""

import argparse
import importlib.util
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

# Python puts bench/ first on sys.path, where a helper named like a standard module
# would shadow it: take bench/ off the path and load _common by file.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
_spec = importlib.util.spec_from_file_location("_common", BENCH / "_common.py")
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="Cases stored before measuring.")
    parser.add_argument("--requests", type=int, default=60, help="Page requests per scenario (after 3 warm-ups).")
    parser.add_argument("--naive-runs", type=int, default=3, help="Runs of the naive query (the median is kept).")
    return parser.parse_args()


def naive_figures(city_path: str, start, end) -> None:
    """The dashboard's figures straight from the cases table: what the rollups replace."""
    from django.db.models import Count, Exists, F, OuterRef, Q
    from django.db.models.functions import Substr, TruncMonth

    from disputes.models import CaseEvent, Deadline, Dispute, RoutingReturn

    cases = Dispute.objects.filter(area_path__startswith=city_path)
    submitted = cases.filter(submitted_at__gte=start, submitted_at__lt=end)
    late = Deadline.objects.filter(
        dispute=OuterRef("pk"), kind="resolve", cancelled_at__isnull=True, done_at__gt=F("due_at")
    )
    concluded = Q(outcome__in=["agreement", "oral_agreement", "resolved_otherwise", "litigation", "police"])
    resolved = Q(outcome__in=["agreement", "oral_agreement", "resolved_otherwise"])
    reported = cases.filter(reported_at__gte=start, reported_at__lt=end).annotate(late=Exists(late))
    counts = {
        "submitted": Count("pk"),
        "repeat": Count("pk", filter=Q(triage_reasons__icontains="repeat_dispute")),
    }
    list(submitted.aggregate(**counts).items())
    outcome_counts = {
        "concluded": Count("pk", filter=concluded),
        "resolved": Count("pk", filter=resolved),
        "agreement": Count("pk", filter=Q(outcome="agreement")),
        "police": Count("pk", filter=Q(outcome="police")),
        "on_time": Count("pk", filter=concluded & Q(late=False)),
        "reached": Count("pk", filter=Q(callback_result__in=["satisfied", "basically_satisfied", "dissatisfied"])),
        "satisfied": Count("pk", filter=Q(callback_result__in=["satisfied", "basically_satisfied"])),
    }
    reported.aggregate(**outcome_counts)
    for dimension in ("lead_department", "category", "colour", "channel"):
        list(submitted.values(dimension).annotate(n=Count("pk")).order_by())
        list(reported.values(dimension).annotate(**outcome_counts).order_by())
    child_length = len(city_path) + 4
    list(submitted.annotate(p=Substr("area_path", 1, child_length)).values("p").annotate(n=Count("pk")).order_by())
    list(reported.annotate(p=Substr("area_path", 1, child_length)).values("p").annotate(**outcome_counts).order_by())
    list(submitted.annotate(m=TruncMonth("submitted_at")).values("m").annotate(n=Count("pk")).order_by())
    list(reported.annotate(m=TruncMonth("reported_at")).values("m").annotate(**outcome_counts).order_by())
    CaseEvent.objects.filter(at__gte=start, at__lt=end, kind="transition", action__in=["dispatch", "transfer"]).count()
    list(RoutingReturn.objects.filter(at__gte=start, at__lt=end).values("department").annotate(n=Count("pk")))


def time_page(client, url: str, params: dict, requests: int, before=None) -> list[float]:
    """`before` runs ahead of each timed request, untimed (e.g. a new rollup version: a cold cache)."""
    for _ in range(3):
        response = client.get(url, params, secure=True)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    timings = []
    for _ in range(requests):
        if before is not None:
            before()
        started = time.perf_counter()
        response = client.get(url, params, secure=True)
        timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    return timings


def main() -> None:
    args = parse_args()
    _common.configure()
    _common.prepare(args.cases)
    _common.setup_django()

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from disputes.dashboard import rollups
    from disputes.dashboard.periods import Period, add_months
    from disputes.models import Dispute, DisputeRollup
    from grids.models import Area, AreaLevel, Role, StaffProfile

    stored = Dispute.objects.count()
    _common.log(f"{stored:,} cases stored. Rebuilding every rollup from scratch…")
    result = rollups.rebuild_all()
    _common.log(f"  {result.day_rows:,} day rows, {result.month_rows:,} month rows in {result.seconds:.1f} s")

    today = timezone.localdate()
    this_month = today.replace(day=1)
    period = Period("custom", add_months(this_month, -12), this_month)
    params = period.query()

    admin = get_user_model().objects.filter(is_superuser=True, is_active=True).first()
    city = Area.objects.get_first_root_node()
    if admin is None:
        sys.exit("The demo data has no superuser.")
    # The demo city has supervisors at city and district level only: add one for the
    # busiest township (in the bench database only).
    townships = Area.objects.filter(level=AreaLevel.TOWNSHIP)
    busiest = (
        DisputeRollup.objects.filter(
            dimension="all", grain=DisputeRollup.Grain.MONTH, area_path__in=townships.values("path")
        )
        .values("area_path")
        .annotate(n=Sum("submitted"))
        .order_by("-n")
        .first()
    )
    township = townships.get(path=busiest["area_path"])
    user, _ = get_user_model().objects.get_or_create(username="bench-township-supervisor")
    supervisor, _ = StaffProfile.objects.update_or_create(
        user=user, defaults={"role": Role.SUPERVISOR, "area": township}
    )

    client = Client()
    client.force_login(admin)
    _common.log(f"City dashboard ({city.name}, {period.label}), {args.requests} requests…")
    city_times = time_page(client, reverse("disputes:dashboard"), params, args.requests)

    # The same figures through the REST API (disputes/dashboard/api.py): the headline figures, the
    # children for the big screen and the 12-month trend, cached as the page is, then each from a
    # cold cache (a new rollup version before every request, as after a refresh).
    api_urls = [
        reverse("api:dashboard-area", args=[city.code]),
        reverse("api:dashboard-children", args=[city.code]),
        reverse("api:dashboard-table", args=[city.code, "trend"]),
    ]
    _common.log(f"City dashboard through the API ({len(api_urls)} endpoints), {args.requests} requests each…")
    api_times = {url: time_page(client, url, params, args.requests) for url in api_urls}
    api_cold = {url: time_page(client, url, params, args.requests, before=rollups._bump_version) for url in api_urls}

    client = Client()
    client.force_login(supervisor.user)
    _common.log(f"Township dashboard ({supervisor.area.name}), {args.requests} requests…")
    township_times = time_page(client, reverse("disputes:dashboard"), params, args.requests)

    _common.log(f"Naive COUNT … GROUP BY over the cases, {args.naive_runs} runs…")
    start = timezone.make_aware(timezone.datetime.combine(period.start, timezone.datetime.min.time()))
    end = start + timedelta(days=(period.end - period.start).days)
    naive = []
    for _ in range(args.naive_runs):
        started = time.perf_counter()
        naive_figures(city.path, start, end)
        naive.append(time.perf_counter() - started)

    p50 = statistics.median(city_times)
    naive_ms = statistics.median(naive) * 1000
    figures = {
        "scenario": "dashboard",
        "database": connection.vendor,
        "cases": stored,
        "rollup_rows": DisputeRollup.objects.count(),
        "requests": args.requests,
        "p50_ms": _common.ms(p50),
        "p95_ms": _common.ms(_common.percentile(city_times, 95)),
        "per_s": round(len(city_times) / sum(city_times), 1),
        "township_p50_ms": _common.ms(statistics.median(township_times)),
        "township_p95_ms": _common.ms(_common.percentile(township_times, 95)),
        "rebuild_s": round(result.seconds, 1),
        "naive_ms": round(naive_ms, 1),
        "ratio": round(naive_ms / (p50 * 1000), 1),
    }
    for url in api_urls:
        name = url.rstrip("/").split("/")[-1] if "tables" in url or "children" in url else "area"
        figures[f"api_{name}_p95_ms"] = _common.ms(_common.percentile(api_times[url], 95))
        figures[f"api_{name}_cold_p95_ms"] = _common.ms(_common.percentile(api_cold[url], 95))
    _common.emit(figures)


if __name__ == "__main__":
    main()
