from datetime import UTC, datetime, timedelta

import pytest

from disputes.rules import clocks
from disputes.rules.enums import Colour

DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "colour", "level", "action", "new_level", "next_at"),
    [
        ("resolve", Colour.RED, 0, clocks.REMIND, 1, DUE + timedelta(hours=2)),
        ("resolve", Colour.RED, 1, clocks.ESCALATE, 2, DUE + timedelta(hours=4)),
        ("resolve", Colour.RED, 2, clocks.RAISE_COLOUR, 3, None),
        ("accept", Colour.WHITE, 0, clocks.REMIND, 1, DUE + timedelta(days=2)),
        ("accept", Colour.YELLOW, 1, clocks.ESCALATE, 2, DUE + timedelta(days=2)),
        ("callback", Colour.WHITE, 0, clocks.REMIND, 1, DUE + timedelta(days=2)),
        ("callback", Colour.WHITE, 1, clocks.ESCALATE, 2, None),
    ],
)
def test_ladder(kind, colour, level, action, new_level, next_at):
    step = clocks.next_step(kind=kind, colour=colour, level=level, due=DUE)
    assert (step.action, step.level, step.next_at) == (action, new_level, next_at)


@pytest.mark.parametrize(("kind", "level"), [("resolve", 3), ("accept", 3), ("callback", 2), ("performance", 2)])
def test_ladder_ends(kind, level):
    assert clocks.next_step(kind=kind, colour=Colour.WHITE, level=level, due=DUE) is None
