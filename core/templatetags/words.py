"""The site's words for people and dates in templates: {{ user|person_name }}, {{ day|long_date }}."""

from datetime import date, datetime
from typing import Any

from django import template

from core import dates, staff_names

register = template.Library()


@register.filter
def person_name(user: Any) -> str:
    """李娟, never the login name huifang (core.staff_names)."""
    return staff_names.person_name(user)


@register.filter
def long_date(value: date | datetime | None) -> str:
    """2027年1月15日, never 2027-01-15 (core.dates.long_date)."""
    return dates.long_date(value)
