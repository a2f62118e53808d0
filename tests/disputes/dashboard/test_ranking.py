"""排名通报: the composite score on constructed rollups, ties and equal ranks, small areas left unranked,
the change on last month, ranking by the handling department's area, and the dashboard's table."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import translation

from disputes.dashboard import ranking, selectors, tables
from disputes.dashboard.periods import month_period
from disputes.dashboard.ranking import Basis, composite
from disputes.models import DisputeRollup
from disputes.rules.enums import Colour
from disputes.statistics import COUNT_FIELDS, STATE_FIELDS
from grids.models import AreaLevel
from tests.factories import DepartmentFactory, area_child

pytestmark = pytest.mark.django_db

MONTH = date(2026, 11, 1)
LAST = date(2026, 10, 1)
WEIGHTS = {"resolution": 30, "on_time": 25, "satisfaction": 20, "overdue": 15, "repeat": 10}


def counts(**values) -> dict:
    base = dict.fromkeys((*COUNT_FIELDS, *STATE_FIELDS), 0)
    base.update(values)
    return base


def good(registered: int = 10, resolved: int | None = None, **values) -> dict:
    """A month where every case is resolved on time, to be spoiled by `values`."""
    resolved = registered if resolved is None else resolved
    return {
        "registered": registered,
        "submitted": registered,
        "registered_resolved": resolved,
        "concluded": registered,
        "on_time": registered,
        **values,
    }


def month_row(area_path: str, day: date = MONTH, dimension: str = "all", value: str = "", **values) -> None:
    DisputeRollup.objects.create(
        grain=DisputeRollup.Grain.MONTH, day=day, area_path=area_path, dimension=dimension, value=value, **values
    )


def by_name(rows):
    return {row.area.name: row for row in rows}


# --- The score ------------------------------------------------------------------------------------------


def test_composite_is_the_weighted_mean_of_the_components_points():
    c = counts(
        registered=10,
        registered_resolved=9,  # resolution 90
        on_time=8,
        concluded=9,
        open_overdue=1,  # on time 8 / 10 = 80; overdue 1 per 10 → 100 - 10 = 90
        parties_satisfied=15,
        parties_reached=20,  # satisfaction 75
        repeat=2,
        submitted=20,  # 10 repeat per 100 → 90
    )
    score, points = composite(c, WEIGHTS)
    assert {k: float(v) for k, v in points.items()} == {
        "resolution": 90.0,
        "on_time": 80.0,
        "satisfaction": 75.0,
        "overdue": 90.0,
        "repeat": 90.0,
    }
    assert score == Decimal("84.50")  # (30×90 + 25×80 + 20×75 + 15×90 + 10×90) / 100


def test_a_component_with_nothing_to_count_is_left_out_and_the_weights_rescaled():
    c = counts(registered=10, registered_resolved=9, on_time=8, concluded=9, open_overdue=1, repeat=2, submitted=20)
    score, points = composite(c, WEIGHTS)
    assert "satisfaction" not in points
    assert score == Decimal("86.88")  # (2700 + 2000 + 1350 + 900) / 80 = 86.875, half up


def test_penalties_floor_at_zero_and_a_weight_of_zero_drops_a_component():
    c = counts(registered=5, registered_resolved=5, open_overdue=9, submitted=5)
    score, points = composite(c, {"resolution": 50, "overdue": 50, "repeat": 0})
    assert points["overdue"] == 0 and "repeat" not in points
    assert score == Decimal("50.00")


@override_settings(RANKING_WEIGHTS={"resolution": 40, "on_time": 60, "bogus": 99})
def test_weights_come_from_the_settings():
    assert ranking.weights() == {"resolution": 40, "on_time": 60}
    with translation.override("en"):
        assert ranking.weights_text() == "Resolution rate 40, On-time rate 60"


# --- Ranks, ties, small areas ---------------------------------------------------------------------------


@pytest.fixture
def towns(tree):
    """Three more townships in 西湖区 beside the tree's two: five in all."""
    extra = [
        area_child(tree.county, code=f"36010300{i}", name=name) for i, name in ((3, "丁镇"), (4, "戊镇"), (5, "己镇"))
    ]
    return [tree.town_a, tree.town_b, *extra]


@override_settings(RANKING_WEIGHTS={"resolution": 50, "on_time": 50}, RANKING_MIN_CASES=5)
def test_ties_are_broken_in_the_documented_order_and_equal_areas_share_a_rank(tree, towns):
    a, b, c, d, e = towns
    # a and b: score 85 each; a's resolution rate is higher, so a is above b.
    month_row(a.path, **good(registered_resolved=9, on_time=8))
    month_row(b.path, **good(registered_resolved=8, on_time=9))
    # c and d: equal on score, resolution and on-time rate; d has more cases registered, so d comes first.
    month_row(c.path, **good(registered=10, resolved=10))
    month_row(d.path, **good(registered=20, resolved=20))
    # e: the same as c in every respect: c and e share a rank.
    month_row(e.path, **good(registered=10, resolved=10))

    rows = ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP, Basis.LOCATION).rows
    assert [(r.area.name, r.rank, str(r.score)) for r in rows] == [
        (d.name, 1, "100.00"),
        (c.name, 2, "100.00"),
        (e.name, 2, "100.00"),
        (a.name, 4, "85.00"),
        (b.name, 5, "85.00"),
    ]


@override_settings(RANKING_MIN_CASES=5)
def test_areas_with_too_few_cases_are_listed_unranked_with_the_reason(tree, towns):
    a, b, c, d, e = towns
    month_row(a.path, **good(registered=4))
    month_row(b.path, **good(registered=5, resolved=3))
    rows = by_name(ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP, Basis.LOCATION).rows)
    assert rows[b.name].rank == 1
    assert rows[a.name].rank is None and rows[a.name].score is None
    assert "5" in rows[a.name].unranked_reason
    assert rows[c.name].rank is None  # nothing at all this month
    # The unranked are listed after the ranked.
    listed = ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP, Basis.LOCATION).rows
    assert listed[0].area == b and all(r.rank is None for r in listed[1:])


def test_the_change_on_last_month(tree, towns):
    a, b, c, _d, _e = towns
    month_row(a.path, day=LAST, **good(resolved=8))
    month_row(b.path, day=LAST, **good(resolved=10))
    month_row(a.path, **good(resolved=10))
    month_row(b.path, **good(resolved=9))
    month_row(c.path, **good(resolved=5))  # not ranked last month
    rows = by_name(ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP, Basis.LOCATION).rows)
    assert (rows[a.name].rank, rows[a.name].previous_rank, rows[a.name].change) == (1, 2, 1)
    assert (rows[b.name].rank, rows[b.name].previous_rank, rows[b.name].change) == (2, 1, -1)
    assert rows[b.name].previous_score == Decimal("100.00")
    assert rows[c.name].previous_rank is None and rows[c.name].change is None
    with translation.override("en"):
        assert [rows[n].change_text() for n in (a.name, b.name, c.name)] == ["↑1", "↓1", "New"]
    month_row(c.path, day=LAST, **good(resolved=5))
    rows = by_name(ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP, Basis.LOCATION).rows)
    with translation.override("en"):
        assert rows[c.name].change_text() == "No change"


# --- The basis ------------------------------------------------------------------------------------------


def test_by_the_handling_departments_area_a_county_bureau_counts_for_no_township(tree):
    bureau = DepartmentFactory(name="西湖区住建局", area=tree.county)
    committee_a = DepartmentFactory(name="南浦街道调委会", area=tree.town_a)
    committee_b = DepartmentFactory(name="朝阳洲街道调委会", area=tree.town_b)
    village_committee_b = DepartmentFactory(name="朝阳社区调委会", area=tree.village_b)
    # Where the cases are: town a holds the bureau's 10 unresolved cases besides its own 10 resolved ones.
    month_row(tree.town_a.path, **good(registered=20, resolved=10))
    month_row(tree.town_b.path, **good(registered=20, resolved=15))
    # Who led them (the county's month rows by department), and town b's 2 cases not yet dispatched.
    month_row(tree.county.path, dimension="department", value=str(bureau.pk), **good(resolved=0))
    month_row(tree.county.path, dimension="department", value=str(committee_a.pk), **good(resolved=10))
    month_row(tree.county.path, dimension="department", value=str(committee_b.pk), **good(registered=6, resolved=5))
    month_row(tree.county.path, dimension="department", value=str(village_committee_b.pk), **good(registered=6))
    month_row(tree.town_b.path, dimension="department", value="", **good(registered=2, resolved=0))

    by_location = by_name(ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP, Basis.LOCATION).rows)
    assert by_location[tree.town_a.name].component("resolution").fraction() == "10 / 20"
    assert by_location[tree.town_a.name].rank == 2

    by_handling = by_name(ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP, Basis.HANDLING).rows)
    assert by_handling[tree.town_a.name].component("resolution").fraction() == "10 / 10"
    # Town b: its committee (6, 5 resolved), its village's committee (6, all resolved), its 2 undispatched.
    assert by_handling[tree.town_b.name].component("resolution").fraction() == "11 / 14"
    assert by_handling[tree.town_a.name].rank == 1 and by_handling[tree.town_b.name].rank == 2

    # The defaults: townships by who handled the case, villages by where it is.
    assert ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP).basis == Basis.HANDLING
    assert ranking.ranking(tree.county, MONTH, AreaLevel.VILLAGE).basis == Basis.LOCATION
    default = by_name(selectors.ranking_rows(tree.county, month_period(MONTH), AreaLevel.TOWNSHIP))
    assert default[tree.town_a.name].component("resolution").fraction() == "10 / 10"


# --- Laggards and the table -----------------------------------------------------------------------------


@override_settings(RANKING_NOTICE_LAGGARDS=1)
def test_laggards_are_the_last_ranked_and_any_area_with_red_cases_overdue(tree, towns):
    a, b, c, _d, _e = towns
    month_row(a.path, **good())
    month_row(b.path, **good(resolved=8))
    month_row(c.path, **good(resolved=5))
    DisputeRollup.objects.create(
        grain=DisputeRollup.Grain.NOW,
        day=MONTH,
        area_path=tree.village_a.path,
        dimension="colour",
        value=str(int(Colour.RED)),
        overdue=2,
    )
    assert ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP, Basis.LOCATION).with_red_overdue() == []
    result = ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP, Basis.LOCATION, red_overdue=True)
    assert [(r.area.name, r.red_overdue) for r in result.laggards()] == [(a.name, 2), (c.name, 0)]
    # Never more than the bottom half: with one area ranked, only the red one is named.
    DisputeRollup.objects.filter(area_path__in=[b.path, c.path]).delete()
    result = ranking.ranking(tree.county, MONTH, AreaLevel.TOWNSHIP, Basis.LOCATION, red_overdue=True)
    assert [r.area.name for r in result.laggards(count=3)] == [a.name]


def test_the_dashboard_table_shows_score_change_and_components(tree, towns):
    a, b, *_ = towns
    month_row(a.path, day=LAST, **good(resolved=8))
    month_row(a.path, **good(resolved=9, open_overdue=1, parties_reached=4, parties_satisfied=3))
    month_row(b.path, **good(registered=3))
    with translation.override("en"):
        table = tables.ranking_table(tree.county, month_period(MONTH), AreaLevel.TOWNSHIP, Basis.LOCATION)
    assert "on-time" not in table.title.lower() and table.key == "ranking_townships"
    assert table.columns[:4] == ["Rank", "Area", "Composite score", "Change on last month"]
    assert "Cases registered" in table.columns
    assert "November 2026" in table.note and "Resolution rate 30" in table.note
    first = dict(zip(table.columns, table.rows[0], strict=True))
    assert first["Rank"] == 1 and first["Area"] == a.display_name and first["Rank last month"] == 1
    assert first["Change on last month"] == "No change"
    assert first["Resolution rate"].fraction() == "9 / 10"
    assert first["On-time rate"].fraction() == "10 / 11"
    assert first["Overdue per 100 cases"] == Decimal("10.0")
    last = dict(zip(table.columns, table.rows[-1], strict=True))
    assert last["Rank"] is None and "5" in last["Note"]
    assert "<td" in table.tbody_html()


# --- Against the cases ----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_both_bases_match_a_count_over_the_cases():
    """Seeded cases: each township's cases registered (submitted) in the month, counted case by case, by where
    the case is and by its lead department's area (undispatched cases where they are; a department above
    the township level counts for none), equal the ranking's."""
    import io
    from collections import Counter

    from django.core.management import call_command
    from django.utils import timezone

    from disputes.dashboard import rollups
    from disputes.dashboard.periods import add_months
    from disputes.models import Dispute
    from grids.models import Area

    call_command("seed_demo", cases=800, workers=0, force=True, stdout=io.StringIO())
    rollups.rebuild_all()
    city = Area.objects.get_first_root_node()
    length = AreaLevel.TOWNSHIP * Area.steplen
    months = Counter(
        timezone.localtime(at).date().replace(day=1) for at in Dispute.objects.values_list("submitted_at", flat=True)
    )
    month = max(months, key=lambda m: (months[m], m))  # the busiest month
    end = add_months(month, 1)
    by_location: Counter[str] = Counter()
    by_handling: Counter[str] = Counter()
    for case in Dispute.objects.select_related("lead_department__area"):
        if not (month <= timezone.localtime(case.submitted_at).date() < end):
            continue
        by_location[case.area_path[:length]] += 1
        if case.lead_department is None:
            by_handling[case.area_path[:length]] += 1
        elif len(case.lead_department.area.path) >= length:
            by_handling[case.lead_department.area.path[:length]] += 1
    assert by_location and by_handling
    assert sum(by_handling.values()) < sum(by_location.values())  # the seeds have county departments
    for basis, expected in ((Basis.LOCATION, by_location), (Basis.HANDLING, by_handling)):
        rows = ranking.ranking(city, month, AreaLevel.TOWNSHIP, basis).rows
        got = {row.area.path: row.figures["submitted"] for row in rows if row.figures["submitted"]}
        assert got == dict(expected), basis
