"""SLA clock maths: when a deadline falls due, and what a pause does to it.

Clocks run on calendar time, weekends and public holidays included: a red
case that threatens violence does not wait for Monday, and the published
figures (受理/办结时限) are in calendar days. Centres that want working days
can lengthen the per-colour windows in the admin.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

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
