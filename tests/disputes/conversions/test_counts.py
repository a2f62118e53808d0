"""The register's counts (this period, the same period last year, the change; by kind) against a straight count of
the rows, for several areas and periods; the list follows the reader's area; a police referral is not counted."""

import random
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disputes.dashboard import conversions as register
from disputes.dashboard.periods import Period, month_period, quarter_period, year_period
from disputes.models import CriminalConversion
from disputes.rules.enums import Outcome, Status
from grids.models import Role
from tests.disputes.cases import case_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(tree, category, departments):
    """60 conversions spread over both townships, 2024–2026 (29 February 2024 among them), both kinds."""
    rng = random.Random(20)
    days = [date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28), date(2025, 12, 31), date(2026, 1, 1)]
    days += [date(2024, 1, 1) + timedelta(days=rng.randrange(0, 1060)) for _ in range(55)]
    made = []
    for i, day in enumerate(days):
        grid = tree.grid_a if i % 3 else tree.grid_b
        case = case_in(Status.CLOSED, grid=grid, category=category, department=departments["a"])
        made.append(
            CriminalConversion.objects.create(
                dispute=case,
                kind="homicide" if i % 4 == 0 else "criminal",
                area_path=case.area_path,
                police_case_number=f"A{i}",
                occurred_on=day,
                reported_on=day,
                summary="后续发生刑事案件",
            )
        )
    return made


def straight(rows, path: str, start: date, end: date, kind: str) -> int:
    return sum(1 for r in rows if r.area_path.startswith(path) and start <= r.occurred_on < end and r.kind == kind)


PERIODS = [
    year_period(2026),
    year_period(2025),
    quarter_period(2026, 1),
    month_period(date(2025, 2, 1)),
    month_period(date(2024, 2, 1)),
    Period("custom", date(2025, 2, 27), date(2025, 3, 2)),
    Period("custom", date(2025, 11, 15), date(2026, 1, 2)),
]


@pytest.mark.postgres
@pytest.mark.parametrize("period", PERIODS, ids=[p.label for p in PERIODS])
def test_the_counts_match_a_straight_count(rows, tree, period):
    before = register.last_year(period)
    for area in (tree.city, tree.county, tree.town_a, tree.town_b, tree.grid_a):
        counts = register.conversion_counts(area, period)
        expected = register.ConversionCounts(
            criminal=straight(rows, area.path, period.start, period.end, "criminal"),
            homicide=straight(rows, area.path, period.start, period.end, "homicide"),
            criminal_last_year=straight(rows, area.path, before.start, before.end, "criminal"),
            homicide_last_year=straight(rows, area.path, before.start, before.end, "homicide"),
        )
        assert counts == expected, (area.name, period.label)
        assert counts.criminal_change == expected.criminal - expected.criminal_last_year
        assert counts.homicide_change == expected.homicide - expected.homicide_last_year


def test_the_counts_are_not_all_zero(rows, tree):
    """The straight count above is not vacuous: the city's 2025 has rows of both kinds, and so has 2024."""
    counts = register.conversion_counts(tree.city, year_period(2025))

    assert counts.criminal > 0 and counts.homicide > 0
    assert counts.criminal_last_year > 0 and counts.homicide_last_year > 0
    assert counts.total == counts.criminal + counts.homicide


def test_last_year_of_a_leap_day():
    period = Period("custom", date(2024, 2, 29), date(2024, 3, 1))

    before = register.last_year(period)

    assert (before.start, before.end) == (date(2023, 2, 28), date(2023, 3, 1))
    assert register.last_year(month_period(date(2026, 3, 1))) == month_period(date(2025, 3, 1))


def test_one_query_for_the_counts(rows, tree):
    with CaptureQueriesContext(connection) as queries:
        register.conversion_counts(tree.county, year_period(2026))

    assert len(queries) == 1


@pytest.mark.postgres
def test_the_counts_read_the_area_day_index(rows, tree):
    """The plan of the counts' query, with sequential scans off, uses conversion_area_day (prefix + days)."""
    from django.db import connection as db

    qs = CriminalConversion.objects.filter(
        area_path__startswith=tree.town_a.path, occurred_on__gte=date(2026, 1, 1), occurred_on__lt=date(2027, 1, 1)
    )
    with db.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "conversion_area_day" in plan


def test_the_list_follows_the_reader_and_the_filters(rows, tree, make_staff):
    town_a = make_staff(Role.SUPERVISOR, area=tree.town_a)
    admin = make_staff(Role.ADMIN, area=tree.city)
    mediator = make_staff(Role.MEDIATOR, area=tree.town_a)
    period = year_period(2025)

    mine = list(register.conversion_list(town_a, tree.town_a, period))
    # Asking for the county does not widen a township supervisor's list.
    wider = list(register.conversion_list(town_a, tree.county, period))
    everything = list(register.conversion_list(admin, tree.city, period))
    homicides = list(register.conversion_list(admin, tree.city, period, kind="homicide"))

    assert mine and all(r.area_path.startswith(tree.town_a.path) for r in mine)
    assert {r.pk for r in wider} == {r.pk for r in mine}
    assert len(everything) == straight(rows, "", period.start, period.end, "criminal") + straight(
        rows, "", period.start, period.end, "homicide"
    )
    assert homicides and all(r.kind == "homicide" for r in homicides)
    assert [r.occurred_on for r in everything] == sorted((r.occurred_on for r in everything), reverse=True)
    assert list(register.conversion_list(mediator, tree.town_a, period)) == []


def test_reviewed_filter(rows, tree, make_staff):
    admin = make_staff(Role.ADMIN, area=tree.city)
    first = rows[5]
    CriminalConversion.objects.filter(pk=first.pk).update(review_missed="x", reviewed_at=first.recorded_at)
    period = Period("custom", date(2024, 1, 1), date(2027, 1, 1))

    reviewed = list(register.conversion_list(admin, tree.city, period, reviewed=register.REVIEWED))
    pending = list(register.conversion_list(admin, tree.city, period, reviewed=register.NOT_REVIEWED))

    assert [r.pk for r in reviewed] == [first.pk]
    assert len(pending) == len(rows) - 1


def test_a_police_referral_is_not_counted(tree, category, departments):
    case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"], outcome=Outcome.POLICE)

    counts = register.conversion_counts(tree.city, Period("custom", date(2000, 1, 1), date(2100, 1, 1)))

    assert counts.total == 0
