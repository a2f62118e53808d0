"""大屏: the dashboard for a centre's wall screen (dark, large type, full screen, refreshing itself).

The page holds the headline figures of its first view (so it shows something before any
script runs) and the addresses of the dashboard API it draws from (disputes.dashboard.api):
the area's headline figures, its children (drawn as a treemap coloured by resolution rate or
by overdue count), the trend, the ranking one level down and the colour table (overdue count
by colour). static/js/bigscreen.js fetches them again every DASHBOARD_SCREEN_REFRESH_SECONDS.
Same jurisdiction as the dashboard: a supervisor's area and below, admins all; other areas 404.
Nothing is fetched from outside the site (no map tiles, no fonts).
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.replica import reporting_reads
from disputes.dashboard import rollups, selectors
from disputes.dashboard.periods import PeriodForm
from grids.models import AreaLevel

DEFAULT_REFRESH_SECONDS = 300


def data_as_of() -> datetime:
    """数据截至: when the rollups were last refreshed; now when that is not recorded."""
    refreshed_at = getattr(rollups, "refreshed_at", None)
    return (refreshed_at() if refreshed_at else None) or timezone.now()


def ranking_key(area) -> str:
    """The ranking one level below the area: townships under a city or district, villages below."""
    return "ranking_villages" if area.level >= AreaLevel.TOWNSHIP else "ranking_townships"


def first_screen(area, sections: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The dashboard's compact layout: ({"trend", "ranking", "overdue"}: section HTML, [the other sections])."""
    keys = {"trend": "trend", "ranking": ranking_key(area), "overdue": "overdue"}
    top = {slot: sections[key] for slot, key in keys.items() if key in sections}
    shown = {keys[slot] for slot in top}
    return top, [html for key, html in sections.items() if key not in shown]


def chart_words() -> dict[str, str]:
    """The words the charts draw on their canvas (axis names, the trend's hint), translated here: the
    dashboard passes them to static/js/dashboard-charts.js as data-word-* attributes."""
    return {
        "count_axis": _("Cases"),
        "rate_axis": _("Rate (%)"),
        "rate_axis_from": _("Rate (%%), from %s%%"),
        "open_month": _("Click to open this month"),
    }


def refresh_seconds() -> int:
    return max(5, int(getattr(settings, "DASHBOARD_SCREEN_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS)))


def _api(name: str, query: str, *args: str) -> str:
    return f"{reverse(f'api:{name}', args=args)}?{query}"


@login_required
@require_GET
def screen(request, code: str | None = None):
    if selectors.dashboard_home_area(request.user) is None:
        raise PermissionDenied
    with reporting_reads():
        area = selectors.dashboard_area(request.user, code)
        form = PeriodForm(request.GET or None)
        period = form.period()
        query = urlencode(period.query())
        figures = selectors.area_figures(area, period)
    sources = {
        "area": _api("dashboard-area", query, area.code),
        "children": _api("dashboard-children", query, area.code),
        "trend": _api("dashboard-table", query, area.code, "trend"),
        "ranking": _api("dashboard-table", query, area.code, ranking_key(area)),
        "colours": _api("dashboard-table", query, area.code, "colour"),
    }
    words = {
        **chart_words(),
        "overdue_column": _("Overdue cases now"),
        "resolution_rate": _("Resolution rate (registered basis)"),
        "on_time_rate": _("On-time rate"),
        "submitted": _("Cases submitted"),
        "by_rate": _("Resolution rate"),
        "by_overdue": _("Overdue cases now"),
        "in_progress": _("%s in progress"),
        "as_of": _("Data as of %s"),
        "failed": _("Could not refresh; showing the figures of %s."),
    }
    return render(
        request,
        "disputes/staff/bigscreen.html",
        {
            "area": area,
            "period": period,
            "figures": figures,
            "as_of": data_as_of(),
            "sources": sources,
            "words": words,
            "refresh_seconds": refresh_seconds(),
            "dashboard_url": f"{reverse('disputes:dashboard_area', args=[area.code])}?{query}",
            "screen_url": reverse("disputes:dashboard_screen_area", args=["__code__"]) + f"?{query}",
        },
    )


urlpatterns = [
    path("dashboard/screen/", screen, name="dashboard_screen"),
    path("dashboard/<str:code>/screen/", screen, name="dashboard_screen_area"),
]
