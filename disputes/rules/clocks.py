"""SLA clock maths: when a deadline falls due, and what a pause does to it.

Clocks run on calendar time, weekends and public holidays included: a red
case that threatens violence does not wait for Monday, and the published
figures (受理/办结时限) are in calendar days. Centres that want working days
can lengthen the per-colour windows in the admin.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from core import durations
from disputes.rules.enums import Colour


@dataclass(frozen=True)
class ServiceLevel:
    accept_within: timedelta
    resolve_within: timedelta
    follow_up_every: timedelta | None
    # 派单时限: from submission (or a return) to dispatch. None: the colour's default (DEFAULT_DISPATCH_WITHIN).
    dispatch_within: timedelta | None = None


# A case waits for dispatch (submitted, triaged, returned) on this clock: red within 30 minutes.
DEFAULT_DISPATCH_WITHIN: dict[int, timedelta] = {
    Colour.RED: timedelta(minutes=30),
    Colour.YELLOW: timedelta(hours=4),
    Colour.WHITE: timedelta(hours=24),
}

DEFAULT_SERVICE_LEVELS: dict[int, ServiceLevel] = {
    Colour.RED: ServiceLevel(
        timedelta(hours=2), timedelta(days=3), timedelta(days=1), DEFAULT_DISPATCH_WITHIN[Colour.RED]
    ),
    Colour.YELLOW: ServiceLevel(
        timedelta(hours=24), timedelta(days=15), timedelta(days=7), DEFAULT_DISPATCH_WITHIN[Colour.YELLOW]
    ),
    Colour.WHITE: ServiceLevel(timedelta(days=3), timedelta(days=30), None, DEFAULT_DISPATCH_WITHIN[Colour.WHITE]),
}


def dispatch_window(level: ServiceLevel, colour: int) -> timedelta:
    """The dispatch clock's window: the level's own, or the colour's default."""
    return level.dispatch_within or DEFAULT_DISPATCH_WITHIN[Colour(colour)]


def due_at(start: datetime, window: timedelta) -> datetime:
    return start + window


def resume_due_at(due: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """A paused clock resumes with the same time left: the due date moves by the pause."""
    return due + max(resumed_at - paused_at, timedelta(0))


def time_left(due: datetime, now: datetime) -> timedelta:
    return due - now


def is_overdue(due: datetime, now: datetime, *, done: bool = False) -> bool:
    return not done and now > due


# --- The escalation ladder (督办) ---------------------------------------------------------
# When a deadline passes, the sweeper climbs one rung at a time (one rung per
# sweep). For the handling clocks (dispatch, accept, resolve):
#
#   rung 1  remind the handler (mediator, else the lead department, else the dispatchers);
#   rung 2  remind the lead department's head(s) (skipped: no department, or no head);
#   rung 3  the area's supervisors (the nearest level up the tree that has any), with an
#           automatic 督办单 from that level's office, and the case's colour raised once;
#   rung 4… the supervisors of the next level up that has any (township → district → city),
#           each with its own automatic 督办单, until the top; then the ladder ends and the
#           case stays on the city's 久拖未决 list.
#
# The other deadlines (callback, judicial confirmation, performance) are not about the
# handling: rung 1 reminds, rung 2 tells the nearest supervisors, and the ladder ends there
# (no colour, no order, no climb up the tree: the case is already reported back, and a
# long-overdue one shows on the district's and the city's 久拖未决 lists).
#
# The gap between rungs scales with urgency; the supervisor rungs above the first are
# `upper_factor` gaps apart (settings.LADDER_UPPER_GAP_FACTOR): a district or a city needs
# longer than a township to act on an order.
REMIND = "remind_handler"
REMIND_HEAD = "remind_head"
ESCALATE = "escalate_supervisor"

LADDER_GAP: dict[int, timedelta] = {
    Colour.RED: timedelta(hours=2),
    Colour.YELLOW: timedelta(days=1),
    Colour.WHITE: timedelta(days=2),
}
DEFAULT_UPPER_GAP_FACTOR = 2
# Deadlines that are not about the handling itself: the short ladder.
NO_COLOUR_RUNG = frozenset({"callback", "judicial_confirmation", "performance"})
# The rung of the first supervisor level on the handling ladder.
FIRST_SUPERVISOR_LEVEL = 3


@dataclass(frozen=True)
class Step:
    action: str
    level: int
    next_at: datetime | None  # when the next rung is due; None when the ladder ends here
    # ESCALATE: which supervisor level is told, 0 the nearest that has supervisors, 1 the next one up …
    tier: int = 0
    raise_colour: bool = False  # the case's colour goes up one step (once per case: the service checks)
    order: bool = False  # an automatic 督办单 from the tier's office


def next_step(
    *, kind: str, colour: int, level: int, due: datetime, tiers: int = 1, upper_factor: int = DEFAULT_UPPER_GAP_FACTOR
) -> Step | None:
    """The rung to take now for a deadline at `level` that the sweeper found due, or None if none is left.

    `tiers`: how many levels of the area tree above the case have supervisors
    (the handling ladder climbs them one by one; 0 ends it after the head).
    Every rung's time is the due date plus whole gaps, so a sweep's batch stores
    its rungs with a few grouped updates (`core.casework.sweep.save_rungs`).
    """
    gap = LADDER_GAP[Colour(colour)]
    if kind in NO_COLOUR_RUNG:
        if level == 0:
            return Step(REMIND, 1, due + gap)
        if level == 1:
            return Step(ESCALATE, 2, None)
        return None
    if level == 0:
        return Step(REMIND, 1, due + gap)
    if level == 1:
        return Step(REMIND_HEAD, 2, due + 2 * gap if tiers > 0 else None)
    tier = level - (FIRST_SUPERVISOR_LEVEL - 1)
    if tier >= tiers:
        return None
    last = tier + 1 >= tiers
    next_at = None if last else due + 2 * gap + (tier + 1) * upper_factor * gap
    return Step(ESCALATE, level + 1, next_at, tier=tier, raise_colour=tier == 0, order=True)


def time_left_words(due: datetime, now: datetime) -> str:
    """剩余2天 / 已超期3小时: the one wording of time left, `core.durations.time_left_words`."""
    return durations.time_left_words(due, now)
