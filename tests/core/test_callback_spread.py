"""回访: unanswered calls count towards "unreachable" only when spread over hours and days (the pure rule)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.casework.callbacks import (
    MAX_UNANSWERED,
    CallbackResult,
    Counted,
    Spread,
    next_counting_at,
    spread_rule,
    unanswered_counted,
    verdict,
)

TZ = ZoneInfo("Asia/Shanghai")
RULE = Spread(min_gap=timedelta(hours=4), min_days=2, tz=TZ)


def t(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026, local time."""
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("times", "count", "days"),
    [
        ([], 0, 0),
        ([t(8, 10)], 1, 1),
        # The field's case: three calls in the same minute are one.
        ([t(8, 10, 30), t(8, 10, 30), t(8, 10, 31)], 1, 1),
        # Within 4 hours of the last counted call: not counted; exactly 4 hours: counted.
        ([t(8, 10), t(8, 13, 59)], 1, 1),
        ([t(8, 10), t(8, 14)], 2, 1),
        # The gap is from the last *counted* call, not the last call.
        ([t(8, 10), t(8, 13), t(8, 14)], 2, 1),
        # Three calls hours apart on one day: the third would leave no call for a second day.
        ([t(8, 8), t(8, 12), t(8, 16)], 2, 1),
        ([t(8, 8), t(8, 12), t(8, 16), t(9, 9)], 3, 2),
        # Spread over two days from the start.
        ([t(8, 10), t(9, 10), t(9, 14)], 3, 2),
        ([t(8, 22), t(9, 1)], 1, 1),  # a new day, but under 4 hours later
        ([t(8, 22), t(9, 2)], 2, 2),
        # Given in any order.
        ([t(9, 9), t(8, 8), t(8, 12)], 3, 2),
        # Never more than MAX_UNANSWERED.
        ([t(8, 8), t(9, 8), t(10, 8), t(11, 8)], MAX_UNANSWERED, 3),
    ],
)
def test_which_unanswered_calls_count(times, count, days):
    counted = unanswered_counted(times, rule=RULE)
    assert (counted.count, counted.days) == (count, days)


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([], None),  # the first call always counts
        ([t(8, 10, 30)], t(8, 14, 30)),
        ([t(8, 10, 30), t(8, 10, 31)], t(8, 14, 30)),
        # Two counted on one day: the last must be on another day (and 4 hours on).
        ([t(8, 8), t(8, 12)], t(9, 0)),
        ([t(8, 8), t(8, 22)], t(9, 2)),
        # Two days already: 4 hours after the last.
        ([t(8, 10), t(9, 10)], t(9, 14)),
        ([t(8, 8), t(9, 8), t(10, 8)], None),  # the round is over
    ],
)
def test_when_the_next_unanswered_call_counts(times, expected):
    assert next_counting_at(unanswered_counted(times, rule=RULE), rule=RULE) == expected


def test_the_next_counting_moment_counts_and_a_minute_before_does_not():
    for times in ([t(8, 10)], [t(8, 8), t(8, 12)], [t(8, 23), t(9, 1)]):
        before = unanswered_counted(times, rule=RULE)
        at = next_counting_at(before, rule=RULE)
        assert at is not None
        assert unanswered_counted([*times, at], rule=RULE).count == before.count + 1
        assert unanswered_counted([*times, at - timedelta(minutes=1)], rule=RULE).count == before.count


@pytest.mark.parametrize(
    ("min_days", "times", "count"),
    [
        (1, [t(8, 8), t(8, 12), t(8, 16)], 3),  # one day is enough
        (3, [t(8, 8), t(8, 12)], 1),  # each counted call on its own day
        (3, [t(8, 8), t(9, 8), t(10, 8)], 3),
        (9, [t(8, 8), t(9, 8), t(10, 8)], 3),  # more days than calls: as many days as calls
    ],
)
def test_the_days_setting(min_days, times, count):
    rule = Spread(min_gap=timedelta(hours=4), min_days=min_days, tz=TZ)
    assert unanswered_counted(times, rule=rule).count == count


def test_local_days_are_the_site_time_zone_s():
    # 23:00 and 03:00 (next day) in Shanghai are the same UTC day: two local days.
    rule = Spread(min_gap=timedelta(hours=4), min_days=2, tz=TZ)
    assert unanswered_counted([t(8, 23), t(9, 3)], rule=rule).days == 2


@pytest.mark.parametrize(
    ("reached", "satisfaction", "counted", "expected"),
    [
        (False, "", 0, None),
        (False, "", MAX_UNANSWERED - 1, None),
        (False, "", MAX_UNANSWERED, CallbackResult.UNREACHABLE),
        (True, "satisfied", 0, CallbackResult.SATISFIED),
        (True, "dissatisfied", MAX_UNANSWERED, CallbackResult.DISSATISFIED),
    ],
)
def test_the_verdict_reads_the_counted_calls(reached, satisfaction, counted, expected):
    assert verdict(reached=reached, satisfaction=satisfaction, unanswered=counted) == expected


def test_the_rule_comes_from_the_settings(settings):
    settings.CALLBACK_UNREACHABLE_MIN_DAYS = 3
    settings.CALLBACK_UNREACHABLE_MIN_GAP_HOURS = 6
    rule = spread_rule()
    assert (rule.min_gap, rule.min_days) == (timedelta(hours=6), 3)
    assert Counted() == unanswered_counted([], rule=rule)
