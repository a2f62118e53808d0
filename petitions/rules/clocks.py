"""The statutory clocks of a petition (法定时限) and the sweeper's ladder. Pure: no ORM, no I/O.

The periods come from the Petition Work Regulations (信访工作条例, 2022) as
summarised in DOMAIN.md: decide whether to accept within 15 days of receipt;
handle within 60 days of acceptance, extendable once by at most 30 days with
the approval of the office's head; the petitioner may ask for a review within
30 days of the written reply, and the reviewing body answers within 30 days.
Periods are counted in calendar days and a period ends at the end of its last
day (Asia/Shanghai), the way an office counts "15 日内".
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from petitions.rules.enums import DeadlineKind

TZ = ZoneInfo("Asia/Shanghai")
ACCEPTANCE_DAYS = 15
HANDLING_DAYS = 60
MAX_EXTENSION_DAYS = 30
REVIEW_REQUEST_DAYS = 30
REVIEW_OPINION_DAYS = 30

PERIOD_DAYS: dict[str, int] = {
    DeadlineKind.DECIDE_ACCEPTANCE: ACCEPTANCE_DAYS,
    DeadlineKind.HANDLE: HANDLING_DAYS,
    DeadlineKind.REVIEW_REQUEST: REVIEW_REQUEST_DAYS,
    DeadlineKind.REPLY: REVIEW_OPINION_DAYS,
}

# How long before the due date the handling department is reminded (提醒). The
# petitioner's own review window has no reminder: when it lapses the petition closes.
REMIND_BEFORE: dict[str, timedelta] = {
    DeadlineKind.DECIDE_ACCEPTANCE: timedelta(days=3),
    DeadlineKind.HANDLE: timedelta(days=7),
    DeadlineKind.REPLY: timedelta(days=5),
    DeadlineKind.CALLBACK: timedelta(days=2),
}


def period_end(start: date, days: int) -> datetime:
    """The end (local midnight of the next day) of the `days`-th day after `start`."""
    last = start + timedelta(days=days + 1)
    return datetime.combine(last, time.min, tzinfo=TZ)


def local_date(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def due_at(kind: str, *, now: datetime, callback_days: int, start: date | None = None) -> datetime:
    """When a deadline of `kind` opened at `now` falls due.

    A statutory period runs from `start` (the day received, else today); the
    satisfaction callback is due `callback_days` after the moment it opens (the
    same 7 days as a dispute's, settings.CALLBACK_DUE_DAYS).
    """
    if kind == DeadlineKind.CALLBACK:
        return now + timedelta(days=callback_days)
    return period_end(start or local_date(now), PERIOD_DAYS[kind])


REMIND = "remind"
ESCALATE = "escalate"
LAPSE = "lapse"  # the review window ran out: the petition closes


@dataclass(frozen=True)
class Step:
    action: str
    level: int
    next_at: datetime | None


def first_rung(*, kind: str, due: datetime) -> datetime:
    """When the sweeper first acts on a new (or extended) deadline."""
    return due - REMIND_BEFORE.get(kind, timedelta(0))


def next_step(*, kind: str, level: int, due: datetime) -> Step | None:
    """The rung for a deadline the sweeper found due: remind before the date, escalate after it, then stop."""
    if kind == DeadlineKind.REVIEW_REQUEST:
        return Step(LAPSE, 1, None) if level == 0 else None
    if level == 0:
        return Step(REMIND, 1, due)
    if level == 1:
        return Step(ESCALATE, 2, None)
    return None
