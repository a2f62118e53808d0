"""Benchmark: the dashboard's petition figures (petitions.statistics) over 100,000 petitions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_petitions python bench/petitions.py

Seeds the demo places (seed_demo), then tops the petitions table up to
`--petitions` rows spread over every village and grid and over the last two
years, each with its acceptance deadline and, for the accepted ones, a handling
deadline (bulk inserts, no services: the figures read only these columns).
Then times the three reads of the dashboard's petition section — the headline
figures, the row per child area and the 12-month trend — for the city over a
year and for a township over a month, and prints the medians as one JSON line.
"""

import argparse
import importlib.util
import random
import statistics as stats
import sys
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from functools import partial
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
_spec = importlib.util.spec_from_file_location("_common", BENCH / "_common.py")
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)


def fill(wanted: int) -> None:
    from django.utils import timezone

    from disputes.models import Category
    from grids.models import Area, AreaLevel, Department
    from petitions.models import Petition, PetitionDeadline
    from petitions.rules import TZ, DeadlineKind, Status, period_end

    have = Petition.objects.count()
    if have >= wanted:
        return
    rng = random.Random(7)  # noqa: S311 - test data
    areas = list(Area.objects.filter(level__gte=AreaLevel.VILLAGE).values_list("pk", "path"))
    categories = list(Category.objects.values_list("pk", flat=True))
    office = Department.objects.order_by("pk").first()
    today = timezone.localdate()
    _common.log(f"Adding {wanted - have:,} petitions…")
    batch = 5000
    for start in range(have, wanted, batch):
        rows = []
        for i in range(start, min(start + batch, wanted)):
            area_id, path = rng.choice(areas)
            received = today - timedelta(days=rng.randrange(730))
            decided = rng.random() < 0.95
            rows.append(
                Petition(
                    tracking_number=f"B{i:015d}",
                    form="visit",
                    matter="bench",
                    area_id=area_id,
                    area_path=path,
                    category_id=rng.choice(categories),
                    receiving_office=office,
                    received_on=received,
                    status=Status.ACCEPTED if decided else Status.REGISTERED,
                    is_repeat=rng.random() < 0.05,
                    accepted_at=datetime.combine(received + timedelta(days=rng.randrange(20)), dtime(10), TZ)
                    if decided
                    else None,
                )
            )
        Petition.objects.bulk_create(rows)
        deadlines = []
        for p in rows:
            due = period_end(p.received_on, 15)
            deadlines.append(
                PetitionDeadline(petition=p, kind=DeadlineKind.DECIDE_ACCEPTANCE, due_at=due, done_at=p.accepted_at)
            )
            if p.accepted_at:
                hdue = period_end(p.accepted_at.date(), 60)
                done = p.accepted_at + timedelta(days=rng.randrange(80))
                deadlines.append(PetitionDeadline(petition=p, kind=DeadlineKind.HANDLE, due_at=hdue, done_at=done))
        PetitionDeadline.objects.bulk_create(deadlines)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE petitions_petition; ANALYZE petitions_petitiondeadline")


def timed(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return stats.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--petitions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    _common.configure()
    _common.prepare(0)
    _common.setup_django()
    fill(args.petitions)

    from django.utils import timezone

    from disputes.dashboard.periods import Period, month_period
    from grids.models import Area, AreaLevel
    from petitions import statistics
    from petitions.models import Petition

    city = Area.objects.get_first_root_node()
    township = Area.objects.filter(level=AreaLevel.TOWNSHIP).order_by("path").first()
    today = timezone.localdate()
    year = Period("custom", today - timedelta(days=365), today + timedelta(days=1))
    month = month_period(today.replace(day=1) - timedelta(days=1))
    figures = {"petitions": Petition.objects.count()}
    for label, area, period in (("city_year", city, year), ("township_month", township, month)):
        for name, read in (
            ("figures", statistics.petition_figures),
            ("children", statistics.petition_child_rows),
            ("trend", statistics.petition_trend),
        ):
            figures[f"{label}_{name}_ms"] = _common.ms(timed(partial(read, area, period), args.runs))
    _common.emit(figures)


if __name__ == "__main__":
    main()
