"""回访: the verdict of a satisfaction callback, the same for cases and petitions. Pure.

Unanswered calls end a round as unreachable only when they are spread out: three
calls in the same minute say nothing about whether the party can be reached. A
call counts (`unanswered_counted`) when it comes at least `Spread.min_gap` after
the previous counted one, and when the calls still to come could spread the
counted ones over `Spread.min_days` local days; the round ends unreachable at the
`MAX_UNANSWERED`-th counted call. `next_counting_at` is when the next unanswered
call would count, for the form and the API.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The third counted unanswered call of a round ends it as unreachable.
MAX_UNANSWERED = 3
# A caller's remarks on one attempt are kept to this many characters.
MAX_REMARKS = 1000


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class CallbackResult(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Unreachable")


SATISFIED_RESULTS = frozenset({CallbackResult.SATISFIED, CallbackResult.BASICALLY_SATISFIED})


@dataclass(frozen=True)
class Spread:
    """How unanswered calls must be spread to count: `min_gap` after the previous counted call, over at least
    `min_days` different days in `tz` (settings CALLBACK_UNREACHABLE_MIN_GAP_HOURS / _MIN_DAYS, `spread_rule`)."""

    min_gap: timedelta
    min_days: int
    tz: tzinfo

    @property
    def days_needed(self) -> int:
        # More days than counted calls could never be reached: the round would never end.
        return max(1, min(self.min_days, MAX_UNANSWERED))


def spread_rule() -> Spread:
    """The spread the settings ask for, in the site's time zone (the one function here that reads settings)."""
    return Spread(
        min_gap=timedelta(hours=settings.CALLBACK_UNREACHABLE_MIN_GAP_HOURS),
        min_days=settings.CALLBACK_UNREACHABLE_MIN_DAYS,
        tz=timezone.get_default_timezone(),
    )


@dataclass(frozen=True)
class Counted:
    """The unanswered calls of a round that count towards "unreachable"."""

    count: int = 0
    days: int = 0  # the different local days they fall on
    last_at: datetime | None = None  # the latest counted call


def _day(at: datetime, tz: tzinfo) -> date:
    return at.astimezone(tz).date()


def unanswered_counted(times: Sequence[datetime], *, rule: Spread) -> Counted:
    """Which of a round's unanswered calls (`times`, any order) count towards "unreachable"."""
    counted = Counted()
    last_day: date | None = None
    for at in sorted(times):
        if counted.count >= MAX_UNANSWERED:
            break
        if counted.last_at is not None and at - counted.last_at < rule.min_gap:
            continue  # too soon after the last counted call
        day = _day(at, rule.tz)
        days = counted.days + (0 if day == last_day else 1)
        # Counting it must leave enough calls to reach the days needed (else only a call on another day counts).
        if rule.days_needed - days > MAX_UNANSWERED - (counted.count + 1):
            continue
        counted = Counted(count=counted.count + 1, days=days, last_at=at)
        last_day = day
    return counted


def next_counting_at(counted: Counted, *, rule: Spread) -> datetime | None:
    """When the next unanswered call would count; None when any time would (no call counted yet, or none left)."""
    if counted.last_at is None or counted.count >= MAX_UNANSWERED:
        return None
    at = counted.last_at + rule.min_gap
    if rule.days_needed - counted.days > MAX_UNANSWERED - (counted.count + 1):
        # The calls left cannot all fall on the last counted day: the next must be on a later day.
        next_day = _day(counted.last_at, rule.tz) + timedelta(days=1)
        at = max(at, datetime.combine(next_day, time.min, tzinfo=rule.tz))
    return at


def verdict(*, reached: bool, satisfaction: str, unanswered: int) -> str | None:
    """What one attempt decides (a `CallbackResult` value), or None while another call is still to be made.

    `unanswered` is the number of the round's unanswered calls that count (`unanswered_counted(...).count`),
    this one included.
    """
    if not reached:
        return CallbackResult.UNREACHABLE.value if unanswered >= MAX_UNANSWERED else None
    return CallbackResult(satisfaction).value


def attempt_problem(*, reached: bool, satisfaction: str) -> str | None:
    """A refusal code for an attempt that cannot be recorded as given, else None."""
    if reached and satisfaction not in Satisfaction.values:
        return "satisfaction_required"
    if not reached and satisfaction:
        return "satisfaction_forbidden"
    return None
