"""Time left and time overdue in words: 剩余2小时 / 已超期95天 ("2 hours left" / "95 days overdue").

The one wording of a deadline's distance for every page (case page, queue, callback worklists of
disputes and petitions): a single unit, never a chain such as "3 months, 1 week" (Django's timesince,
which in Chinese reads "3 月，1 周", that is "March, one week"). Centres count time limits in days,
hours and minutes, so:

- days for a distance of one day or more, hours for one hour or more, minutes below;
- time left is rounded to the nearest unit (half up; the unit is the one the rounded value lands
  in), so a 2-hour limit set a few seconds ago reads "2 hours left" (剩余2小时), not "1 hour left"
  (the floor of 1 h 59 min 59 s), and 23 h 40 min reads "1 day left";
- time overdue counts whole elapsed units (floor), so "3 days overdue" means three full days have
  passed, as the centres count 超期天数;
- never 0: less than a minute is "1 minute".
"""

from datetime import datetime

from django.utils.translation import ngettext

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def _unit(seconds: float, *, nearest: bool) -> tuple[str, int]:
    """("day" | "hour" | "minute", count) for a non-negative distance in seconds."""
    if nearest:
        # The unit is the one the rounded value lands in: 59 min 40 s is "1 hour", 23 h 40 min "1 day".
        if seconds >= DAY - HOUR / 2:
            return "day", int((seconds + DAY / 2) // DAY)
        if seconds >= HOUR - MINUTE / 2:
            return "hour", int((seconds + HOUR / 2) // HOUR)
        return "minute", max(int((seconds + MINUTE / 2) // MINUTE), 1)
    if seconds >= DAY:
        return "day", int(seconds // DAY)
    if seconds >= HOUR:
        return "hour", int(seconds // HOUR)
    return "minute", max(int(seconds // MINUTE), 1)


def time_left_words(due: datetime, now: datetime) -> str:
    """剩余2天 / 已超期3小时: the distance from `now` to `due` in its largest whole unit (see the module)."""
    seconds = (due - now).total_seconds()
    if seconds >= 0:
        unit, n = _unit(seconds, nearest=True)
        if unit == "day":
            return ngettext("%(count)d day left", "%(count)d days left", n) % {"count": n}
        if unit == "hour":
            return ngettext("%(count)d hour left", "%(count)d hours left", n) % {"count": n}
        return ngettext("%(count)d minute left", "%(count)d minutes left", n) % {"count": n}
    unit, n = _unit(-seconds, nearest=False)
    if unit == "day":
        return ngettext("%(count)d day overdue", "%(count)d days overdue", n) % {"count": n}
    if unit == "hour":
        return ngettext("%(count)d hour overdue", "%(count)d hours overdue", n) % {"count": n}
    return ngettext("%(count)d minute overdue", "%(count)d minutes overdue", n) % {"count": n}
