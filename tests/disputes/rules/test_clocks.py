from datetime import UTC, datetime, timedelta

import pytest

from disputes.rules import clocks
from disputes.rules.enums import Colour

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.mark.parametrize(
    ("colour", "accept", "resolve", "follow_up"),
    [
        # DOMAIN.md: red 2 h / 3 days / daily, yellow 24 h / 15 days / weekly, white 3 days / 30 days / none.
        (Colour.RED, 2 * H, 3 * D, D),
        (Colour.YELLOW, 24 * H, 15 * D, 7 * D),
        (Colour.WHITE, 3 * D, 30 * D, None),
    ],
)
def test_default_service_levels(colour, accept, resolve, follow_up):
    level = clocks.DEFAULT_SERVICE_LEVELS[colour]
    assert (level.accept_within, level.resolve_within, level.follow_up_every) == (accept, resolve, follow_up)


def test_every_colour_has_a_default():
    assert set(clocks.DEFAULT_SERVICE_LEVELS) == set(Colour)


def test_more_urgent_colours_have_shorter_clocks():
    red, yellow, white = (clocks.DEFAULT_SERVICE_LEVELS[c] for c in (Colour.RED, Colour.YELLOW, Colour.WHITE))
    assert red.accept_within < yellow.accept_within < white.accept_within
    assert red.resolve_within < yellow.resolve_within < white.resolve_within


@pytest.mark.parametrize(
    ("start", "window", "expected"),
    [
        (T0, 2 * H, T0 + 2 * H),
        # Calendar time: a Saturday start is not pushed to Monday.
        (datetime(2026, 3, 7, 22, 0, tzinfo=UTC), 3 * D, datetime(2026, 3, 10, 22, 0, tzinfo=UTC)),
        (T0, timedelta(0), T0),
    ],
)
def test_due_at(start, window, expected):
    assert clocks.due_at(start, window) == expected


@pytest.mark.parametrize(
    ("due", "paused_at", "resumed_at", "expected"),
    [
        (T0 + 10 * H, T0, T0 + 3 * H, T0 + 13 * H),  # paused 3 h: due 3 h later
        (T0 + 10 * H, T0, T0, T0 + 10 * H),  # no pause
        (T0 + 10 * H, T0 + 20 * H, T0 + 22 * H, T0 + 12 * H),  # paused after it fell due: still moves by the pause
        (T0 + 10 * H, T0 + 5 * H, T0 + 4 * H, T0 + 10 * H),  # resumed "before" paused (clock skew): never earlier
        (T0 + 10 * H, T0, T0 + 2 * D + 30 * timedelta(minutes=1), T0 + 10 * H + 2 * D + timedelta(minutes=30)),
    ],
)
def test_resume_due_at(due, paused_at, resumed_at, expected):
    assert clocks.resume_due_at(due, paused_at, resumed_at) == expected


def test_a_paused_clock_keeps_the_time_that_was_left():
    due = T0 + 10 * H
    paused_at, resumed_at = T0 + 4 * H, T0 + 30 * H
    left_at_pause = clocks.time_left(due, paused_at)
    assert clocks.time_left(clocks.resume_due_at(due, paused_at, resumed_at), resumed_at) == left_at_pause


@pytest.mark.parametrize(
    ("due", "now", "done", "expected"),
    [
        (T0, T0 - timedelta(seconds=1), False, False),
        (T0, T0, False, False),  # due now is not yet overdue
        (T0, T0 + timedelta(seconds=1), False, True),
        (T0, T0 + 30 * D, False, True),
        (T0, T0 + 30 * D, True, False),  # a finished deadline is never overdue
        (T0, T0 - H, True, False),
    ],
)
def test_is_overdue(due, now, done, expected):
    assert clocks.is_overdue(due, now, done=done) is expected


@pytest.mark.parametrize(
    ("due", "now", "expected"),
    [(T0 + H, T0, H), (T0, T0 + H, -H), (T0, T0, timedelta(0))],
)
def test_time_left(due, now, expected):
    assert clocks.time_left(due, now) == expected
