"""Benchmark: the case ledger (台账) export of 100,000 cases, as CSV and as XLSX.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ledger python bench/ledger_export.py

Fills the bench_ database with `seed_demo --cases N` (1,000,000 by default; kept
between runs), picks the period (a custom range of whole days, ending on the last
registration day) that holds at least `--rows` cases of the city, then, as the
demo administrator (who handles none of them, so every row is masked: the most
work per row), requests the ledger in-process through Django's test client (the
full view: jurisdiction, the access log, the streamed body) `--runs` times per
format and reads the body to the end, measuring:

- the time to the first byte (the first chunk of the streamed body) and to the
  first rows (the first chunk that carries case rows);
- the total time for the whole file, and rows per second, with the CPU time of this
  process (the web worker's share; PostgreSQL's is apart) beside it, since on a
  shared machine the wall time follows the load;
- the process's resident memory: before the first export and the highest seen
  while streaming (sampled from /proc/self/status after every chunk; the
  process's peak RSS from getrusage as well).

Targets (issue 20): first byte < 1 s, 100,000 rows < 30 s, memory < 300 MB.
Figures are printed last as one JSON line.
"""

import argparse
import importlib.util
import os
import resource
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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--cases",
        type=int,
        default=int(os.environ.get("BENCH_CASES", 1_000_000)),
        help="Cases stored before measuring ($BENCH_CASES; default 1,000,000).",
    )
    parser.add_argument("--rows", type=int, default=100_000, help="Cases the exported period holds (at least).")
    parser.add_argument("--runs", type=int, default=3, help="Exports per format (after one warm-up of a month).")
    parser.add_argument("--any-database", action="store_true", help="Allow a PostgreSQL database not named bench_….")
    return parser.parse_args()


def rss_mb() -> float:
    """The process's resident memory now, in MB (Linux), or its peak where /proc is absent."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def pick_period(area, rows: int):
    """The shortest range of whole local days, ending on the last registration day, holding ≥ `rows` cases."""
    from datetime import timedelta

    from django.utils import timezone

    from disputes.dashboard.periods import Period
    from disputes.models import Dispute

    cases = Dispute.objects.filter(area_path__startswith=area.path)
    last = cases.order_by("-submitted_at").values_list("submitted_at", flat=True).first()
    nth = cases.order_by("-submitted_at").values_list("submitted_at", flat=True)[rows - 1 : rows].first()
    if last is None or nth is None:
        sys.exit(f"Fewer than {rows:,} cases stored under {area.name}: raise --cases.")
    start = timezone.localtime(nth).date()
    end = timezone.localtime(last).date() + timedelta(days=1)
    return Period("custom", start, end)


def export_once(client, url: str, rows_chunk: int) -> dict:
    """One export read to the end: times (s) to the first byte, to the first rows (chunk `rows_chunk`: the second,
    after the CSV's title and header or the workbook's fixed parts), to the end; bytes; the highest RSS seen."""
    started = time.perf_counter()
    cpu = time.process_time()
    response = client.get(url, secure=True)
    if response.status_code != 200 or not response.streaming:
        sys.exit(f"{url} answered {response.status_code}")
    marks: list[float] = []
    size = 0
    high = rss_mb()
    for chunk in response.streaming_content:
        if len(marks) <= rows_chunk:
            marks.append(time.perf_counter() - started)
        size += len(chunk)
        high = max(high, rss_mb())
    response.close()
    total = time.perf_counter() - started
    return {
        "first_byte": marks[0] if marks else total,
        "first_rows": marks[rows_chunk] if len(marks) > rows_chunk else total,
        "total": total,
        "cpu": time.process_time() - cpu,
        "bytes": size,
        "rss": high,
    }


def main() -> None:
    args = parse_args()
    os.environ.setdefault("TWO_FACTOR_REQUIRED", "0")
    _common.configure(allow_any_database=args.any_database)
    _common.prepare(args.cases)
    _common.setup_django()

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils.http import urlencode

    from disputes.dashboard import ledger
    from disputes.models import Dispute
    from grids.models import Area

    stored = Dispute.objects.count()
    city = Area.objects.get_first_root_node()
    period = pick_period(city, args.rows)
    rows = Dispute.objects.filter(
        area_path__startswith=city.path,
        submitted_at__gte=ledger.local_midnight(period.start),
        submitted_at__lt=ledger.local_midnight(period.end),
    ).count()
    _common.log(f"{stored:,} cases stored; the ledger of {city.name} for {period.label} holds {rows:,} cases.")

    admin = get_user_model().objects.get(username="admin")
    client = Client()
    client.force_login(admin)
    base = reverse("disputes:dashboard_ledger", args=[city.code, "FMT"])
    query = urlencode(period.query())
    # A warm-up of a small month (imports, the first connection, the catalogue).
    export_once(client, base.replace("FMT", "csv") + f"?kind=month&month={period.start:%Y-%m}", 0)

    before = rss_mb()
    figures: dict = {
        "scenario": "ledger_export",
        "database": connection.vendor,
        "cases": stored,
        "rows": rows,
        "period": period.label,
        "runs": args.runs,
        "rss_before_mb": round(before, 1),
    }
    totals_all: list[float] = []
    for fmt, rows_chunk in (("csv", 1), ("xlsx", 1)):
        url = base.replace("FMT", fmt) + f"?{query}"
        results = []
        for run in range(args.runs):
            result = export_once(client, url, rows_chunk)
            results.append(result)
            _common.log(
                f"  {fmt} run {run + 1}: first byte {result['first_byte'] * 1000:.0f} ms, first rows "
                f"{result['first_rows'] * 1000:.0f} ms, all {rows:,} rows {result['total']:.1f} s, "
                f"(CPU of this process {result['cpu']:.1f} s), {result['bytes'] / 1e6:.1f} MB, "
                f"RSS {result['rss']:.0f} MB"
            )
        totals = [r["total"] for r in results]
        totals_all += totals
        figures.update(
            {
                f"{fmt}_first_byte_ms": _common.ms(max(r["first_byte"] for r in results)),
                f"{fmt}_first_rows_ms": _common.ms(max(r["first_rows"] for r in results)),
                f"{fmt}_p50_s": round(statistics.median(totals), 2),
                f"{fmt}_max_s": round(max(totals), 2),
                f"{fmt}_cpu_s": round(statistics.median(r["cpu"] for r in results), 2),
                f"{fmt}_rows_per_s": round(rows / statistics.median(totals)),
                f"{fmt}_mb": round(results[-1]["bytes"] / 1e6, 1),
                f"{fmt}_rss_high_mb": round(max(r["rss"] for r in results), 1),
            }
        )
    figures.update(
        {
            "p50_ms": _common.ms(statistics.median(totals_all)),
            "p95_ms": _common.ms(_common.percentile(totals_all, 95)),
            "per_s": round(rows / statistics.median(totals_all)),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    )
    _common.emit(figures)


if __name__ == "__main__":
    main()
