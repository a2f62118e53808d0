"""SLA clock maths: when a deadline falls due, and what a pause does to it.

Clocks run on calendar time, weekends and public holidays included: a red
case that threatens violence does not wait for Monday, and the published
figures (受理/办结时限) are in calendar days. Centres that want working days
can lengthen the per-colour windows in the admin.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import ngettext

from disputes.rules.enums import Colour


@dataclass(frozen=True)
class ServiceLevel:
    accept_within: timedelta
    resolve_within: timedelta
    follow_up_every: timedelta | None


DEFAULT_SERVICE_LEVELS: dict[int, ServiceLevel] = {
    Colour.RED: ServiceLevel(timedelta(hours=2), timedelta(days=3), timedelta(days=1)),
    Colour.YELLOW: ServiceLevel(timedelta(hours=24), timedelta(days=15), timedelta(days=7)),
    Colour.WHITE: ServiceLevel(timedelta(days=3), timedelta(days=30), None),
}


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
# When a deadline passes, the sweeper climbs one rung at a time: remind the
# handler, then tell the area's supervisor, then raise the colour. The gap
# between rungs scales with urgency.
REMIND = "remind_handler"
ESCALATE = "escalate_supervisor"
RAISE_COLOUR = "raise_colour"

LADDER_GAP: dict[int, timedelta] = {
    Colour.RED: timedelta(hours=2),
    Colour.YELLOW: timedelta(days=1),
    Colour.WHITE: timedelta(days=2),
}
# Deadlines that are not about the handling itself stop before the colour rung.
NO_COLOUR_RUNG = frozenset({"callback", "judicial_confirmation", "performance"})


@dataclass(frozen=True)
class Step:
    action: str
    level: int
    next_at: datetime | None  # when the next rung is due; None when the ladder ends here


def next_step(*, kind: str, colour: int, level: int, due: datetime) -> Step | None:
    """The rung to take now for a deadline at `level` that the sweeper found due, or None if none is left."""
    gap = LADDER_GAP[Colour(colour)]
    last_level = 2 if kind in NO_COLOUR_RUNG else 3
    if level >= last_level:
        return None
    if level == 0:
        return Step(REMIND, 1, due + gap)
    if level == 1:
        return Step(ESCALATE, 2, due + 2 * gap if last_level == 3 else None)
    return Step(RAISE_COLOUR, 3, None)


def time_left_words(due: datetime, now: datetime) -> str:
    """剩 2 天 / 已超期 3 小时: the largest whole unit (days, hours, then minutes).

    The one wording of time left for the case page and the queue alike.
    """
    seconds = (due - now).total_seconds()
    left = abs(seconds)
    if seconds >= 0:
        if left >= 86400:
            n = int(left // 86400)
            return ngettext("%(count)d day left", "%(count)d days left", n) % {"count": n}
        if left >= 3600:
            n = int(left // 3600)
            return ngettext("%(count)d hour left", "%(count)d hours left", n) % {"count": n}
        n = max(int(left // 60), 1)
        return ngettext("%(count)d minute left", "%(count)d minutes left", n) % {"count": n}
    if left >= 86400:
        n = int(left // 86400)
        return ngettext("%(count)d day overdue", "%(count)d days overdue", n) % {"count": n}
    if left >= 3600:
        n = int(left // 3600)
        return ngettext("%(count)d hour overdue", "%(count)d hours overdue", n) % {"count": n}
    n = max(int(left // 60), 1)
    return ngettext("%(count)d minute overdue", "%(count)d minutes overdue", n) % {"count": n}
