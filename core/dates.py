"""The dates a request may name: from the year EARLIEST_YEAR to LATEST_YEAR.

Python's dates end at the years 1 and 9999, and a moment near either end cannot
be moved to another time zone (midnight of 0001-01-01 in Beijing is still in
the year 0 in UTC): a query or a stored value built from one fails deep in the
database layer with an OverflowError, a 500 for what is a typo. Every door
checks the dates a person or a client sends against this range before using
them and refuses the rest with a 400 that says the range. The range is far
wider than any case, petition or report can need.
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

EARLIEST_YEAR = 1900
LATEST_YEAR = 2999


def is_in_range(value: date) -> bool:
    """Whether a date (or a datetime, in its own time zone) lies in the years the portal accepts."""
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


def out_of_range_message() -> str:
    """The refusal, in the active language."""
    return _("Dates must be between the years %(earliest)d and %(latest)d.") % {
        "earliest": EARLIEST_YEAR,
        "latest": LATEST_YEAR,
    }


def long_date(value: date | datetime | None) -> str:
    """2027年1月15日 (no zero padding) in Chinese, 15 January 2027 in English; "" for no date.

    The one written date of documents and sentences (agreements, orders, notices): never 2027-01-15.
    A datetime is read in the site's time zone.
    """
    if value is None:
        return ""
    day = timezone.localtime(value).date() if isinstance(value, datetime) else value
    if (get_language() or "").startswith("zh"):
        return f"{day.year}年{day.month}月{day.day}日"
    return date_format(day, "j F Y")
