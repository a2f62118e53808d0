"""Benchmark: the list of cases behind a number on the dashboard (下钻), over a million cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_drilldown python bench/drilldown.py
    python bench/drilldown.py --any-database        # a database not named bench_… (it adds a few accounts)

Fills the bench_ database with `seed_demo --cases N` (1,000,000 by default; kept
between runs), rebuilds the rollups when they are empty (or with --rebuild), then
requests the case list page (`disputes:dashboard_cases`) in-process through
Django's test client — the whole view: jurisdiction, the rollup's total for the
title, one page of 50 cases in keyset order, the applicants' names, the template —
for the city (as an admin), the busiest district and the busiest township (as
their supervisors), for three measures: submitted (登记) in the last whole month,
in progress (在办: registered in the last 12 months and still open) and overdue
now (超期). Each of the 9 scenarios: the first page and the page five "next"
links deep, `--requests` times each after warm-ups.

Target: p95 < 300 ms. The last line of stdout is one JSON object:
{"scenario": "drilldown", "cases", "p50_ms", "p95_ms", "per_s", ...} with each
scenario's p95 as extra keys.
"""

import argparse
import importlib.util
import os
import re
import statistics
import sys
import time
from html import unescape
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
_spec = importlib.util.spec_from_file_location("_common", BENCH / "_common.py")
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)

MEASURES = (("submitted", "month"), ("registered_open", "year"), ("overdue", "month"))
DEPTH = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="Cases stored before measuring.")
    parser.add_argument("--requests", type=int, default=20, help="Requests per scenario and depth (after warm-ups).")
    parser.add_argument("--rebuild", action="store_true", help="Rebuild every rollup even when they exist.")
    parser.add_argument("--any-database", action="store_true", help="Allow a PostgreSQL database not named bench_….")
    return parser.parse_args()


def _get(client, url: str) -> str:
    response = client.get(url, secure=True)
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}")
    return response.content.decode()


def _next(html: str) -> str | None:
    found = re.search(r'href="([^"]+)" rel="next"', html)
    return unescape(found.group(1)) if found else None


def time_url(client, url: str, requests: int) -> list[float]:
    for _ in range(2):
        _get(client, url)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        _get(client, url)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    args = parse_args()
    # The supervisors' pages without a TOTP code in the session (as bench/inbox.py): the measured cost is
    # the list's, the same with or without two-factor sign-in.
    os.environ.setdefault("TWO_FACTOR_REQUIRED", "0")
    _common.configure(allow_any_database=args.any_database)
    _common.prepare(args.cases)
    _common.setup_django()

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client
    from django.utils import timezone

    from disputes.dashboard import drilldown, rollups
    from disputes.dashboard.periods import Period, add_months, month_period
    from disputes.models import Dispute, DisputeRollup
    from grids.models import Area, AreaLevel, Role, StaffProfile

    stored = Dispute.objects.count()
    if args.rebuild or not DisputeRollup.objects.exists():
        _common.log(f"{stored:,} cases stored. Rebuilding every rollup…")
        result = rollups.rebuild_all()
        _common.log(f"  {result.day_rows:,} day rows, {result.month_rows:,} month rows in {result.seconds:.1f} s")

    this_month = timezone.localdate().replace(day=1)
    periods = {
        "month": month_period(add_months(this_month, -1)),
        "year": Period("custom", add_months(this_month, -12), this_month),
    }

    def busiest(level: int, under: str = "") -> Area:
        paths = Area.objects.filter(level=level, path__startswith=under).values("path")
        row = (
            DisputeRollup.objects.filter(dimension="all", grain=DisputeRollup.Grain.MONTH, area_path__in=paths)
            .values("area_path")
            .annotate(n=Sum("submitted"))
            .order_by("-n")
            .first()
        )
        return Area.objects.get(path=row["area_path"])

    city = Area.objects.get_first_root_node()
    district = busiest(AreaLevel.COUNTY)
    township = busiest(AreaLevel.TOWNSHIP, district.path)
    admin = get_user_model().objects.filter(is_superuser=True, is_active=True).first()
    if admin is None:
        sys.exit("The demo data has no superuser.")
    readers = {"city": (city, admin)}
    for name, area in (("district", district), ("township", township)):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-{name}-supervisor")
        StaffProfile.objects.update_or_create(user=user, defaults={"role": Role.SUPERVISOR, "area": area})
        readers[name] = (area, user)

    figures: dict = {}
    every: list[float] = []
    for level, (area, user) in readers.items():
        client = Client()
        client.force_login(user)
        for measure, period_name in MEASURES:
            period = periods[period_name]
            url = drilldown.cases_url(area, period, measure)
            total = drilldown.rollup_count(area, period, measure)
            deep = url
            for _ in range(DEPTH):
                following = _next(_get(client, deep))
                if following is None:
                    break
                deep = following
            first = time_url(client, url, args.requests)
            later = time_url(client, deep, args.requests) if deep != url else []
            timings = first + later
            every.extend(timings)
            key = f"{level}_{measure}"
            figures[f"{key}_total"] = total
            figures[f"{key}_p95_ms"] = _common.ms(_common.percentile(timings, 95))
            _common.log(
                f"{level} {area.name} {measure} ({period.label}, {total:,} cases): first page p50 "
                f"{_common.ms(statistics.median(first))} ms, p95 {_common.ms(_common.percentile(first, 95))} ms"
                + (f"; {DEPTH} pages deep p95 {_common.ms(_common.percentile(later, 95))} ms" if later else "")
            )

    result = {
        "scenario": "drilldown",
        "database": connection.vendor,
        "cases": stored,
        "requests": len(every),
        "p50_ms": _common.ms(statistics.median(every)),
        "p95_ms": _common.ms(_common.percentile(every, 95)),
        "per_s": round(len(every) / sum(every), 1),
        **figures,
    }
    _common.emit(result)


if __name__ == "__main__":
    main()
