"""The figures as the centres count them (issue 20), on a handful of cases whose every figure is known:
化解率 by registration with 在办, oral agreements, 满意率 by parties, open overdue cases against the on-time
rate at a past month's end and now, withdrawn and merged cases left out of the registered.

Each figure is checked twice: against the number written here, and against the brute force
(`tests/disputes/dashboard/brute.py`) for several areas × periods.
"""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from disputes.dashboard import rollups, selectors
from disputes.dashboard.periods import Period, month_period, quarter_period, year_period
from disputes.models import CallbackAttempt, Deadline
from disputes.rules.enums import Outcome, PartyRole, Status
from disputes.statistics import COUNT_FIELDS, STATE_FIELDS, Figures
from tests.disputes.cases import case_in
from tests.disputes.dashboard.brute import BruteForce
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db
OCTOBER = month_period(date(2026, 10, 1))
NOVEMBER = month_period(date(2026, 11, 1))


def at(day: int, month: int = 10, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=timezone.get_current_timezone())


def resolve_deadline(case, due_at, **fields) -> Deadline:
    return Deadline.objects.create(dispute=case, kind="resolve", due_at=due_at, **fields)


def attempt(case, when, *, party=None, reached=True, satisfaction="satisfied") -> CallbackAttempt:
    return CallbackAttempt.objects.create(
        dispute=case, at=when, party=party, reached=reached, satisfaction=satisfaction if reached else ""
    )


@pytest.fixture
def cases(tree, category, departments):
    """Nine cases submitted in October in township A, one reported back today (see the module's docstring)."""
    now = timezone.now()
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"], "now": now}
    made = {}
    # An oral agreement reported back on 10 October; two parties called back, the respondent twice.
    made["oral"] = case_in(
        Status.CLOSED,
        submitted_at=at(2),
        reported_at=at(10),
        closed_at=at(12, hour=12),
        outcome=Outcome.ORAL_AGREEMENT,
        callback_result="satisfied",
        **a,
    )
    applicant = PartyFactory(dispute=made["oral"], role=PartyRole.APPLICANT)
    respondent = PartyFactory(dispute=made["oral"], role=PartyRole.RESPONDENT, name="李四")
    third = PartyFactory(dispute=made["oral"], role=PartyRole.THIRD_PARTY, name="王五")
    assert applicant.pk  # the attempts naming no party count as this applicant's
    attempt(made["oral"], at(9), party=third)  # before the report-back: not counted
    attempt(made["oral"], at(11), party=None, satisfaction="satisfied")
    attempt(made["oral"], at(11, hour=15), party=respondent, reached=False)
    attempt(made["oral"], at(12), party=respondent, satisfaction="dissatisfied")  # the respondent's latest
    # A written agreement reported back on 12 October; one call, the applicant satisfied.
    made["written"] = case_in(
        Status.CLOSED,
        submitted_at=at(3),
        reported_at=at(12),
        closed_at=at(14),
        outcome=Outcome.AGREEMENT,
        callback_result="basically_satisfied",
        **a,
    )
    PartyFactory(dispute=made["written"], role=PartyRole.APPLICANT)
    attempt(made["written"], at(13), satisfaction="basically_satisfied")
    # Referred to litigation, reported back in October.
    made["litigation"] = case_in(
        Status.CLOSED, submitted_at=at(4), reported_at=at(20), closed_at=at(25), outcome=Outcome.LITIGATION, **a
    )
    # Still being worked, its resolve deadline passed on 20 October: overdue at every month's end since.
    made["open_overdue"] = case_in(Status.IN_MEDIATION, submitted_at=at(1), **a)
    Deadline.objects.filter(dispute=made["open_overdue"]).delete()
    resolve_deadline(made["open_overdue"], at(20))
    # Overdue at the end of October, reported back late on 5 November.
    made["late"] = case_in(
        Status.CLOSED,
        submitted_at=at(5),
        reported_at=at(5, month=11),
        closed_at=at(9, month=11),
        outcome=Outcome.RESOLVED_OTHERWISE,
        **a,
    )
    resolve_deadline(made["late"], at(25), done_at=at(5, month=11))
    # Withdrawn by the applicant, and a duplicate merged into the oral agreement's case: not registered.
    made["withdrawn"] = case_in(Status.WITHDRAWN, submitted_at=at(6), closed_at=at(7), **a)
    made["merged"] = case_in(
        Status.WITHDRAWN, submitted_at=at(6, hour=11), closed_at=at(7), duplicate_of=made["oral"], **a
    )
    # Transferred: the first resolve deadline cancelled before it fell due, the new one not due yet.
    made["transferred"] = case_in(Status.ACCEPTED, submitted_at=at(7), **a)
    Deadline.objects.filter(dispute=made["transferred"]).delete()
    resolve_deadline(made["transferred"], at(15), cancelled_at=at(14))
    resolve_deadline(made["transferred"], now + timedelta(days=20))
    # Waiting on a party since before its deadline fell due: the clock is stopped, not overdue.
    made["paused"] = case_in(Status.IN_MEDIATION, submitted_at=at(8), **a)
    Deadline.objects.filter(dispute=made["paused"]).delete()
    resolve_deadline(made["paused"], at(20), paused_at=at(18))
    # Reported back on time just now (this month), submitted in township B.
    made["today"] = case_in(
        Status.AWAITING_CALLBACK,
        submitted_at=now - timedelta(minutes=2),
        reported_at=now - timedelta(minutes=1),
        outcome=Outcome.AGREEMENT,
        **{**a, "grid": tree.grid_b, "department": departments["b"]},
    )
    resolve_deadline(made["today"], now + timedelta(days=3), done_at=now - timedelta(minutes=1))
    made["now"] = now
    rollups.rebuild_all(now=now)
    return made


def test_october_by_the_centres_definitions(tree, cases):
    figures = selectors.area_figures(tree.town_a, OCTOBER)
    # 受理口径: 9 submitted, less the withdrawn and the merged duplicate.
    assert figures["submitted"] == 9
    assert figures["registered"] == 7
    # Resolved now: the oral and the written agreement, and the case resolved late in November.
    assert figures.resolution_rate.numerator == 3 and figures.resolution_rate.denominator == 7
    assert figures.resolution_rate.display() == "42.9%"
    # 在办: still being worked (reported back and awaiting the callback would be 办结, not 在办).
    assert figures.in_progress == 3
    # 办结口径: the three reported back in October, two resolved.
    assert (figures.resolution_rate_concluded.numerator, figures.resolution_rate_concluded.denominator) == (2, 3)
    # 调解成功率 counts the oral agreement with the written one.
    assert figures["oral_agreement"] == 1 and figures["agreement"] == 1
    assert (figures.mediation_success_rate.numerator, figures.mediation_success_rate.denominator) == (2, 3)
    # 满意率 by parties: the oral case's applicant (satisfied) and respondent (dissatisfied at the last call),
    # the written case's applicant; the third party was called before the report-back only.
    assert (figures.callback_satisfaction.numerator, figures.callback_satisfaction.denominator) == (2, 3)
    assert (figures.callback_satisfaction_cases.numerator, figures.callback_satisfaction_cases.denominator) == (2, 2)
    # 按期办结率: three reported back on time, two open and overdue at 31 October's end.
    assert figures["open_overdue"] == 2
    assert (figures.on_time_rate.numerator, figures.on_time_rate.denominator) == (3, 5)
    assert figures.on_time_rate.display() == "60.0%"


def test_open_overdue_is_a_state_at_the_period_end(tree, cases):
    november = selectors.area_figures(tree.town_a, NOVEMBER)
    # The late case was reported back on 5 November: concluded late, no longer open at the month's end.
    assert november["concluded"] == 1 and november["on_time"] == 0
    assert november["open_overdue"] == 1
    assert november.on_time_rate.display() == "0.0%"
    # A quarter reads its last month's end (or now), never the months summed (2 + 1 + …): one case is still
    # open and overdue, since 20 October.
    assert selectors.area_figures(tree.town_a, quarter_period(2026, 4))["open_overdue"] == 1
    # A custom range ending inside November reads the end of November.
    custom = Period("custom", date(2026, 10, 5), date(2026, 11, 15))
    assert selectors.area_figures(tree.town_a, custom)["open_overdue"] == 1
    assert (
        selectors.area_figures(tree.town_a, Period("custom", date(2026, 9, 1), date(2026, 10, 20)))["open_overdue"] == 2
    )  # the end of October
    # The month rows hold the state at each month's end, whatever the breakdown.
    rows = selectors.dimension_rows(tree.town_a, OCTOBER, "department")
    assert {r.value: r.figures["open_overdue"] for r in rows if r.figures["open_overdue"]} == {
        str(cases["open_overdue"].lead_department_id): 2
    }
    children = dict(selectors.child_rows(tree.county, OCTOBER))
    assert children[tree.town_a]["open_overdue"] == 2 and children[tree.town_b]["open_overdue"] == 0


def test_the_on_time_rate_is_below_100_while_open_cases_are_overdue(tree, cases):
    """西湖区 this month: one case reported back on time; one open case overdue since October."""
    this_month = month_period(timezone.localdate(cases["now"]))
    figures = selectors.area_figures(tree.county, this_month)
    assert figures["on_time"] == figures["concluded"] == 1
    assert figures["open_overdue"] == 1
    assert figures.on_time_rate.percent < 100
    assert figures.on_time_rate.display() == "50.0%"
    # The trend's current month reads the same state.
    trend = dict(selectors.trend_rows(tree.county, this_month))
    assert trend[this_month.start]["open_overdue"] == 1
    assert trend[date(2026, 10, 1)]["open_overdue"] == 2


def test_every_new_figure_matches_the_brute_force(tree, cases):
    brute = BruteForce(cases["now"])
    today = timezone.localdate(cases["now"])
    periods = {
        "october": OCTOBER,
        "november": NOVEMBER,
        "this month": month_period(today),
        "q4": quarter_period(2026, 4),
        "year": year_period(2026),
        "custom": Period("custom", date(2026, 10, 5), date(2026, 11, 15)),
    }
    checked = 0
    for area in (tree.city, tree.county, tree.town_a, tree.town_b, tree.village_a):
        for name, period in periods.items():
            where = f"{area.code} / {name}"
            expected = brute.total(area.path, period.start, period.end)
            figures = selectors.area_figures(area, period)
            assert figures.counts == expected, where
            mirror = Figures(expected, area.population)
            for figure in (
                "resolution_rate",
                "resolution_rate_concluded",
                "mediation_success_rate",
                "callback_satisfaction",
                "callback_satisfaction_cases",
                "on_time_rate",
            ):
                assert getattr(figures, figure) == getattr(mirror, figure), (where, figure)
            assert figures.in_progress == mirror.in_progress, where
            checked += bool(expected["registered"] and expected["parties_reached"])
            for dimension in ("department", "colour", "channel"):
                rows = {
                    r.value: r.figures.counts
                    for r in selectors.dimension_rows(area, period, dimension)
                    if any(r.figures.counts.values())
                }
                assert rows == brute.counts(area.path, period.start, period.end, dimension=dimension), (
                    where,
                    dimension,
                )
            for child, child_figures in selectors.child_rows(area, period):
                assert child_figures.counts == brute.total(child.path, period.start, period.end), (where, child.code)
    assert checked >= 10
    # The brute force agrees with the numbers written above.
    october = brute.total(tree.town_a.path, OCTOBER.start, OCTOBER.end)
    assert (october["registered"], october["registered_resolved"], october["registered_open"]) == (7, 3, 3)
    assert (october["parties_reached"], october["parties_satisfied"], october["open_overdue"]) == (3, 2, 2)
    assert set(STATE_FIELDS) <= set(october) and set(COUNT_FIELDS) <= set(october)


def test_a_refresh_keeps_the_past_months_states_and_records_its_time(tree, cases):
    before = timezone.now()
    rollups.refresh_recent(now=cases["now"])
    assert selectors.area_figures(tree.town_a, OCTOBER)["open_overdue"] == 2
    refreshed = rollups.refreshed_at()
    assert refreshed is not None and refreshed.tzinfo is not None
    assert before - timedelta(seconds=1) <= refreshed <= timezone.now() + timedelta(seconds=1)


def test_the_headline_table_and_columns_show_the_centres_figures(tree, cases):
    from django.utils import translation

    from disputes.dashboard import tables

    with translation.override("en"):
        figures = selectors.area_figures(tree.town_a, OCTOBER)
        table = tables.headline_table(figures)
        rows = {row[0]: row[1:] for row in table.rows}
        assert rows["Resolution rate"][0].fraction() == "3 / 7"
        assert rows["Still being worked"][0] == 3
        assert rows["Resolution rate (by report-back)"][0].fraction() == "2 / 3"
        assert rows["Mediation success rate"][0].fraction() == "2 / 3"
        assert rows["Callback satisfaction"][0].fraction() == "2 / 3"
        assert rows["Callback satisfaction (by cases)"][0].fraction() == "2 / 2"
        assert rows["On-time rate"][0].fraction() == "3 / 5"
        assert rows["Open cases overdue at the end of the period"][0] == 2
        assert rows["Referred to the police"][0] == 0
        headers = tables.dimension_table(tree.town_a, OCTOBER, "colour").columns
        assert "Disputes turned criminal" not in headers and "Referred to the police" in headers
        for wanted in (
            "Resolution rate",
            "Still being worked",
            "Resolution rate (by report-back)",
            "Open cases overdue",
        ):
            assert wanted in headers
        trend = tables.trend_table(tree.town_a, OCTOBER)
        bars = [trend.columns[i] for i in trend.chart_bars]
        rates = [trend.columns[i] for i in trend.chart_rates]
        assert bars == ["Cases submitted", "Cases concluded"]
        assert rates == ["Resolution rate", "On-time rate", "Callback satisfaction"]
