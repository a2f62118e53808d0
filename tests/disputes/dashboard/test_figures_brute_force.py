"""Every dashboard figure equals a brute-force recomputation from the cases, for several areas and periods."""

import io
import statistics as pystats
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from disputes.dashboard import rollups, selectors
from disputes.dashboard.periods import Period, add_months, month_period, quarter_period, year_period
from disputes.statistics import COUNT_FIELDS, DAY_BUCKETS, EMPTY, STATE_FIELDS, Figures
from grids.models import Area, AreaLevel
from tests.disputes.dashboard.brute import BruteForce

pytestmark = pytest.mark.django_db


def _periods(today: date) -> dict[str, Period]:
    last_month = add_months(today.replace(day=1), -1)
    quarter = (last_month.month - 1) // 3 + 1
    return {
        "last month": month_period(last_month),
        "this month": month_period(today),
        "a quarter": quarter_period(last_month.year, quarter),
        "last year": year_period(today.year - 1),
        # Crosses month boundaries at both ends: months from the month rows, the edges from day rows.
        "custom": Period(
            "custom", add_months(today.replace(day=1), -5) + timedelta(days=9), today - timedelta(days=20)
        ),
        "empty": year_period(2010),
    }


def test_every_figure_matches_brute_force():
    call_command("seed_demo", cases=2000, workers=0, force=True, stdout=io.StringIO())
    call_command("rebuild_rollups", stdout=io.StringIO())
    # Again with a fixed "now", so the overdue snapshot and the brute force agree on the moment.
    now = timezone.now()
    rollups.rebuild_all(now=now)
    brute = BruteForce(now)
    assert len(brute.cases) == 2000

    city = Area.objects.get_first_root_node()
    district = Area.objects.filter(level=AreaLevel.COUNTY).order_by("path").first()
    township = Area.objects.filter(level=AreaLevel.TOWNSHIP, path__startswith=district.path).order_by("path").last()
    village = Area.objects.filter(level=AreaLevel.VILLAGE, path__startswith=township.path).order_by("path").first()
    empty = Area.objects.add_child(
        district, create_kwargs={"code": "360103999", "name": "空白乡", "level": AreaLevel.TOWNSHIP, "population": 0}
    )
    areas = {"city": city, "district": district, "township": township, "village": village, "empty": empty}
    periods = _periods(timezone.localdate())

    checked_nonzero = 0
    for area_name, area in areas.items():
        for period_name, period in periods.items():
            where = f"{area_name} / {period_name}"
            expected = brute.total(area.path, period.start, period.end)
            figures = selectors.area_figures(area, period)
            assert figures.counts == expected, where
            assert figures.overdue == brute.overdue(area.path, now).get("", 0), where
            checked_nonzero += expected["concluded"] > 0

            # The derived figures, from the same counts by the definitions.
            mirror = Figures(expected, area.population)
            for name in (
                "resolution_rate",
                "resolution_rate_concluded",
                "mediation_success_rate",
                "callback_satisfaction",
                "callback_satisfaction_cases",
                "on_time_rate",
                "repeat_disputes",
                "reopened_share",
                "return_rate",
            ):
                assert getattr(figures, name) == getattr(mirror, name), (where, name)
                if getattr(figures, name).denominator == 0:
                    assert getattr(figures, name).display() == EMPTY, (where, name)
            assert figures.referred_to_police == mirror.referred_to_police == expected["police"], where
            assert figures.in_progress == mirror.in_progress == expected["registered_open"], where
            days = brute.resolve_days(area.path, period.start, period.end)
            if days:
                assert figures.average_days == pytest.approx(sum(days) / len(days), abs=1 / 86_400), where
                # The histogram's median lies in the bucket that holds the true median.
                true_median = pystats.median_low(days)
                lower = max(b[0] for b in DAY_BUCKETS if b[0] <= true_median)
                upper = next((b[1] for b in DAY_BUCKETS if b[0] == lower), None) or 10**6
                assert lower <= figures.median_days <= upper, where
            else:
                assert figures.average_days is None and figures.average_days_display() == EMPTY, where
                assert figures.median_days is None and figures.median_days_display() == EMPTY, where
            if area.population:
                assert figures.per_10k == pytest.approx(expected["submitted"] * 10_000 / area.population), where
            else:
                assert figures.per_10k_display() == EMPTY

            # Breakdowns: every department, category, colour and channel row.
            if area_name in ("city", "township", "empty"):
                for dimension in ("department", "category", "colour", "channel"):
                    got = selectors.dimension_rows(area, period, dimension)
                    rows = {r.value: r.figures.counts for r in got if any(r.figures.counts.values())}
                    assert rows == brute.counts(area.path, period.start, period.end, dimension=dimension), (
                        where,
                        dimension,
                    )
                    overdue = {r.value: r.figures.overdue for r in got if r.figures.overdue}
                    assert overdue == brute.overdue(area.path, now, dimension=dimension), (where, dimension)

            # Drill-down: a row per child area, each equal to the child's own brute force.
            for child, child_figures in selectors.child_rows(area, period):
                assert child_figures.counts == brute.total(child.path, period.start, period.end), (where, child.code)
                assert child_figures.overdue == brute.overdue(child.path, now).get("", 0), (where, child.code)
    assert checked_nonzero >= 10  # the comparison was not vacuous
    assert brute.overdue(city.path, now)[""] > 0

    # The drill-down covers every child and sums to the parent.
    period = periods["last year"]
    rows = selectors.child_rows(district, period)
    assert {child.pk for child, _ in rows} == set(Area.objects.get_children(district).values_list("pk", flat=True))
    summed = {name: sum(f[name] for _, f in rows) for name in (*COUNT_FIELDS, *STATE_FIELDS)}
    assert summed == selectors.area_figures(district, period).counts, "children sum to the parent"
    assert selectors.child_rows(village, period) == []  # rollups stop at villages

    # The 12-month trend, month by month.
    for month, figures in selectors.trend_rows(city, periods["last month"]):
        assert figures.counts == brute.total(city.path, month, add_months(month, 1)), month

    # 排名通报 by where the cases are: each township's counts for the month (the order, by the published
    # composite, is tested with the ranking).
    ranking = selectors.ranking_rows(city, periods["last month"], AreaLevel.TOWNSHIP, "area")
    month = periods["last month"]
    assert len(ranking) == Area.objects.filter(level=AreaLevel.TOWNSHIP).count()
    for row in ranking:
        expected = brute.total(row.area.path, month.start, month.end)
        got = {name: row.figures.counts.get(name, 0) for name in COUNT_FIELDS}
        assert got == {name: expected[name] for name in COUNT_FIELDS}, ("ranking", row.area.code)
    assert next(row for row in ranking if row.area == empty).rank is None


def counted(rows: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The rows that count anything."""
    return {key: counts for key, counts in rows.items() if any(counts.values())}


def test_recent_refresh_matches_a_full_rebuild_and_sees_changes():
    """The beat refresh rebuilds only the last days, exactly, without counting anything twice."""
    from disputes.dashboard import rollups
    from disputes.models import Dispute, DisputeRollup

    call_command("seed_demo", cases=600, workers=0, force=True, stdout=io.StringIO())
    rollups.rebuild_all()
    full = sorted(DisputeRollup.objects.values_list("grain", "day", "area_path", "dimension", "value", "submitted"))
    rollups.refresh_recent()
    again = sorted(DisputeRollup.objects.values_list("grain", "day", "area_path", "dimension", "value", "submitted"))
    assert again == full

    # Cases submitted in the last three days switch channel: only days inside the window are touched.
    today = timezone.localdate()
    recent = Dispute.objects.filter(submitted_at__gte=timezone.now() - timedelta(days=3))
    assert recent.exists()
    recent.update(channel="open311")
    rollups.refresh_recent()
    brute = BruteForce()
    city = Area.objects.get_first_root_node()
    for period in (month_period(today), Period("custom", today - timedelta(days=40), today + timedelta(days=1))):
        # A channel whose only rows in the period are the open-now ones (its overdue cases) has a row of
        # zero counts on the dashboard; the brute force makes a row only where it counts something.
        rows = {r.value: r.figures.counts for r in selectors.dimension_rows(city, period, "channel")}
        assert counted(rows) == counted(brute.counts(city.path, period.start, period.end, dimension="channel"))
        assert "open311" in counted(rows)
