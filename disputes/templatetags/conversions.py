"""The 民转刑 / 刑转命 panels other pages include: `{% case_conversions case as panel %}` on the case page and
`{% dash_conversions area period %}` on the dashboard (the counts, the change on last year, links to the register)."""

from typing import Any

from django import template

from disputes.dashboard.conversions import CRIMINAL, HOMICIDE, conversion_counts
from disputes.dashboard.periods import Period
from grids.models import Area

register = template.Library()


@register.simple_tag(takes_context=True)
def case_conversions(context: Any, case: Any) -> dict:
    """The case's conversions as the reader may see them, and whether they may record one."""
    from disputes.staff.conversions import case_conversions_panel

    request = context.get("request")
    if request is None:
        return {"rows": [], "may_record": False, "record_url": ""}
    return case_conversions_panel(request.user, case)


@register.inclusion_tag("disputes/staff/_dash_conversions.html")
def dash_conversions(area: Area, period: Period) -> dict:
    """民转刑 and 刑转命 of the dashboard's area and period, with the same period last year (one indexed query)."""
    from disputes.staff.conversions import register_url

    return {
        "counts": conversion_counts(area, period),
        "criminal_url": register_url(area, period, conversion_kind=CRIMINAL),
        "homicide_url": register_url(area, period, conversion_kind=HOMICIDE),
    }
