"""The escalation ladder (`clocks.next_step`): every kind, colour and level, as a table."""

from datetime import UTC, datetime, timedelta

import pytest

from disputes.rules import clocks
from disputes.rules.enums import Colour, DeadlineKind

DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HANDLING = (DeadlineKind.DISPATCH, DeadlineKind.ACCEPT, DeadlineKind.RESOLVE)
SHORT = (DeadlineKind.CALLBACK, DeadlineKind.JUDICIAL_CONFIRMATION, DeadlineKind.PERFORMANCE)
GAP = {Colour.RED: timedelta(hours=2), Colour.YELLOW: timedelta(days=1), Colour.WHITE: timedelta(days=2)}


def test_every_kind_is_on_one_of_the_two_ladders():
    assert set(HANDLING) | set(SHORT) == set(DeadlineKind.values)
    assert clocks.NO_COLOUR_RUNG == frozenset(SHORT)
    assert clocks.LADDER_GAP == GAP


def handling_table(tiers: int, factor: int = 2):
    """(level, action, new level, next_at in gaps after due or None, tier, raise colour, order) for `tiers` levels."""
    rows = [
        (0, clocks.REMIND, 1, 1, 0, False, False),
        (1, clocks.REMIND_HEAD, 2, 2 if tiers else None, 0, False, False),
    ]
    for tier in range(tiers):
        last = tier == tiers - 1
        rows.append(
            (2 + tier, clocks.ESCALATE, 3 + tier, None if last else 2 + (tier + 1) * factor, tier, tier == 0, True)
        )
    return rows


@pytest.mark.parametrize("kind", HANDLING)
@pytest.mark.parametrize("colour", list(Colour))
@pytest.mark.parametrize("tiers", [0, 1, 2, 3])
def test_the_handling_ladder(kind, colour, tiers):
    gap = GAP[colour]
    table = handling_table(tiers)
    for level, action, new_level, gaps, tier, raise_colour, order in table:
        step = clocks.next_step(kind=kind, colour=colour, level=level, due=DUE, tiers=tiers)
        assert step == clocks.Step(
            action,
            new_level,
            None if gaps is None else DUE + gaps * gap,
            tier=tier,
            raise_colour=raise_colour,
            order=order,
        ), (level, step)
    # And then nothing, however long the sweeper keeps asking.
    end = table[-1][2]
    for level in (end, end + 1, 9):
        assert clocks.next_step(kind=kind, colour=colour, level=level, due=DUE, tiers=tiers) is None


def test_the_upper_gap_factor_spaces_the_supervisor_levels():
    gap = GAP[Colour.YELLOW]
    steps = [
        clocks.next_step(kind="accept", colour=Colour.YELLOW, level=level, due=DUE, tiers=3, upper_factor=5)
        for level in (2, 3, 4)
    ]
    assert [s.next_at for s in steps] == [DUE + 7 * gap, DUE + 12 * gap, None]
    assert [s.tier for s in steps] == [0, 1, 2]
    assert [s.raise_colour for s in steps] == [True, False, False], "the colour goes up at the first only"


@pytest.mark.parametrize("kind", SHORT)
@pytest.mark.parametrize("colour", list(Colour))
@pytest.mark.parametrize("tiers", [0, 1, 3])
def test_the_short_ladder_reminds_then_tells_the_nearest_supervisors(kind, colour, tiers):
    first = clocks.next_step(kind=kind, colour=colour, level=0, due=DUE, tiers=tiers)
    second = clocks.next_step(kind=kind, colour=colour, level=1, due=DUE, tiers=tiers)
    assert first == clocks.Step(clocks.REMIND, 1, DUE + GAP[colour])
    assert second == clocks.Step(clocks.ESCALATE, 2, None)
    assert not second.order and not second.raise_colour
    assert clocks.next_step(kind=kind, colour=colour, level=2, due=DUE, tiers=tiers) is None


@pytest.mark.parametrize(
    ("kind", "level", "tiers"),
    [("resolve", 3, 1), ("accept", 5, 3), ("dispatch", 2, 0), ("callback", 2, 3), ("performance", 2, 1)],
)
def test_ladder_ends(kind, level, tiers):
    assert clocks.next_step(kind=kind, colour=Colour.WHITE, level=level, due=DUE, tiers=tiers) is None


def test_dispatch_windows_by_colour():
    assert clocks.DEFAULT_DISPATCH_WITHIN == {
        Colour.RED: timedelta(minutes=30),
        Colour.YELLOW: timedelta(hours=4),
        Colour.WHITE: timedelta(hours=24),
    }
    for colour, level in clocks.DEFAULT_SERVICE_LEVELS.items():
        assert clocks.dispatch_window(level, colour) == clocks.DEFAULT_DISPATCH_WITHIN[colour]
    # A level made without the new field (the admin's rows before it) takes the colour's default.
    bare = clocks.ServiceLevel(timedelta(hours=1), timedelta(days=1), None)
    assert bare.dispatch_within is None
    assert clocks.dispatch_window(bare, Colour.RED) == timedelta(minutes=30)
    own = clocks.ServiceLevel(timedelta(hours=1), timedelta(days=1), None, timedelta(minutes=10))
    assert clocks.dispatch_window(own, Colour.RED) == timedelta(minutes=10)
