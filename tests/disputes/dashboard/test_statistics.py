"""The definitions on tiny hand-made counts, and the period arithmetic."""

from datetime import date

import pytest

from disputes import statistics as st
from disputes.dashboard.periods import Period, PeriodForm, month_period, quarter_period, year_period


def counts(**given):
    base = dict.fromkeys(st.COUNT_FIELDS + st.STATE_FIELDS, 0)
    base.update(given)
    return base


@pytest.mark.parametrize(
    ("numerator", "denominator", "shown"),
    [(0, 0, "—"), (0, 5, "0.0%"), (195, 200, "97.5%"), (2, 3, "66.7%"), (1, 8, "12.5%"), (1, 1, "100.0%")],
)
def test_rate_display(numerator, denominator, shown):
    rate = st.Rate(numerator, denominator)
    assert rate.display() == shown
    assert rate.fraction() == f"{numerator} / {denominator}"
    assert (rate.value is None) == (denominator == 0)


def test_rates_take_their_own_numerator_and_denominator():
    c = counts(
        submitted=40,
        registered=36,
        registered_resolved=30,
        registered_open=5,
        repeat=4,
        concluded=20,
        resolved=18,
        agreement=15,
        oral_agreement=2,
        police=1,
        on_time=17,
        reopened=2,
        reached=10,
        satisfied=9,
        parties_reached=16,
        parties_satisfied=13,
        dispatched=25,
        returned=5,
        open_overdue=3,
    )
    assert st.resolution_rate(c) == st.Rate(30, 36)
    assert st.in_progress(c) == 5
    assert st.resolution_rate_concluded(c) == st.Rate(18, 20)
    assert st.mediation_success_rate(c) == st.Rate(17, 20)  # written and oral
    assert st.callback_satisfaction(c) == st.Rate(13, 16)  # by parties
    assert st.callback_satisfaction_cases(c) == st.Rate(9, 10)
    assert st.on_time_rate(c) == st.Rate(17, 23)  # the open overdue cases count against it
    assert st.referred_to_police(c) == 1
    assert st.repeat_disputes(c) == st.Rate(4, 40)
    assert st.reopened_share(c) == st.Rate(2, 20)
    assert st.return_rate(c) == st.Rate(5, 25)
    assert st.cases_per_10k(c, 80_000) == 5.0
    assert st.cases_per_10k(c, 0) is None
    figures = st.Figures(c)
    assert figures.resolution_rate.display() == "83.3%" and figures.in_progress == 5
    assert figures.on_time_rate.display() == "73.9%"


def test_the_seeds_example():
    """排查受理343件，调处成功341件，99.4%."""
    assert st.resolution_rate(counts(registered=343, registered_resolved=341)).display() == "99.4%"


def test_open_overdue_keeps_the_on_time_rate_below_100():
    """西湖区 in December: every concluded case on time, 19 open cases overdue."""
    figures = st.Figures(counts(concluded=40, on_time=40, open_overdue=19))
    assert figures.on_time_rate.percent < 100
    assert figures.on_time_rate.fraction() == "40 / 59"
    # Nothing concluded, only overdue open cases: 0%, not a dash.
    assert st.on_time_rate(counts(open_overdue=2)).display() == "0.0%"


def test_open_overdue_is_a_state_not_a_count():
    assert "open_overdue" in st.STATE_FIELDS and "open_overdue" not in st.COUNT_FIELDS


def test_nothing_counted_shows_a_dash_everywhere():
    figures = st.Figures.empty()
    for name in (
        "resolution_rate",
        "resolution_rate_concluded",
        "mediation_success_rate",
        "callback_satisfaction",
        "callback_satisfaction_cases",
        "on_time_rate",
        "repeat_disputes",
        "return_rate",
    ):
        assert getattr(figures, name).display() == "—"
    assert figures.referred_to_police == 0 and figures.in_progress == 0
    assert figures.average_days_display() == "—"
    assert figures.median_days_display() == "—"
    assert figures.per_10k_display() == "—"


def test_days_to_resolve():
    # Three cases: 0.5, 2.5 and 4 days (buckets [0,1), [2,3), [3,5)).
    seconds = [43_200, 216_000, 345_600]
    c = counts(resolved=3, resolve_seconds=sum(seconds))
    for s in seconds:
        c[st.HISTOGRAM_FIELDS[st.bucket_of(s)]] += 1
    assert st.average_days_to_resolve(c) == pytest.approx(7 / 3)
    # Half of 3 is 1.5: the middle case is in [2, 3), holding one case: 2 + (1.5 - 1) / 1 * 1.
    assert st.median_days_to_resolve(c) == pytest.approx(2.5)
    assert st.bucket_of(0) == 0 and st.bucket_of(86_399) == 0 and st.bucket_of(86_400) == 1
    assert st.bucket_of(90 * 86_400) == len(st.DAY_BUCKETS) - 1
    only_long = counts(resolved=1, **{st.HISTOGRAM_FIELDS[-1]: 1})
    assert st.median_days_to_resolve(only_long) == 90.0


def test_period_segments_split_whole_months_from_edge_days():
    period = Period("custom", date(2026, 1, 10), date(2026, 4, 21))
    months, days = period.segments()
    assert months == [date(2026, 2, 1), date(2026, 3, 1)]
    assert days == [(date(2026, 1, 10), date(2026, 2, 1)), (date(2026, 4, 1), date(2026, 4, 21))]
    assert month_period(date(2026, 2, 14)).segments() == ([date(2026, 2, 1)], [])
    assert Period("custom", date(2026, 2, 3), date(2026, 2, 5)).segments() == (
        [],
        [(date(2026, 2, 3), date(2026, 2, 5))],
    )
    assert quarter_period(2026, 4).segments()[0] == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    assert year_period(2025).trend_months()[0] == date(2025, 1, 1)
    assert year_period(2025).slug == "2025" and quarter_period(2026, 4).slug == "2026-Q4"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "month", "month": "2026-03"}, Period("month", date(2026, 3, 1), date(2026, 4, 1))),
        ({"kind": "quarter", "quarter": "2025-Q2"}, Period("quarter", date(2025, 4, 1), date(2025, 7, 1))),
        ({"kind": "year", "year": "2024"}, Period("year", date(2024, 1, 1), date(2025, 1, 1))),
        (
            {"kind": "custom", "start": "2026-01-10", "end": "2026-01-20"},
            Period("custom", date(2026, 1, 10), date(2026, 1, 21)),
        ),
    ],
)
def test_period_form(query, expected):
    form = PeriodForm(query)
    assert form.is_valid(), form.errors
    assert form.period() == expected
    assert PeriodForm(expected.query()).period() == expected


def test_period_form_errors_sit_beside_their_field():
    form = PeriodForm({"kind": "custom", "start": "2026-02-10", "end": "2026-01-01"})
    assert not form.is_valid()
    assert "end" in form.errors
    assert not PeriodForm({"kind": "quarter", "quarter": "2026-Q5"}).is_valid()
