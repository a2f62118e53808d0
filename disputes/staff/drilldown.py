"""下钻: the list of cases behind a number on the dashboard, and one breakdown value by area and month.

* `dashboard/<code>/cases/?measure=…&<period>[&dimension=…&value=…]`: the cases a count adds up
  (`disputes.dashboard.drilldown.cases_behind`), 50 a page in keyset order (no COUNT over the cases:
  the total is the dashboard's own figure, read from the rollups), with a title saying what the number
  is ("西湖区 2026-11 在办 19件") and a link back.
* `dashboard/<code>/by/?dimension=…&value=…&<period>`: a department, category, colour or channel
  drilled into: the area's children and the last 12 months for that value, every count a link.

Jurisdiction as the dashboard's: a supervisor sees their area and below, admins all; anyone else 403;
an area outside 404. The applicant's name is in clear only for a reader who works the case.
"""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.replica import reporting_reads
from disputes.dashboard import drilldown, selectors, tables
from disputes.dashboard.periods import PeriodForm

TABLE_TEMPLATE = "disputes/staff/dashboard_table.html"


def _area_and_period(request, code: str):
    home = selectors.dashboard_home_area(request.user)
    if home is None:
        raise PermissionDenied
    area = selectors.dashboard_area(request.user, code)
    period = PeriodForm(request.GET or None).period()
    return home, area, period


def _breakdown(request) -> tuple[str | None, str | None]:
    dimension = request.GET.get("dimension") or None
    if dimension is None or dimension == "all":
        return None, None
    if dimension not in drilldown.DIMENSIONS:
        raise Http404
    return dimension, request.GET.get("value", "")


def title_of(area, period, measure: str, dimension: str | None, value_label: str, total: int | None) -> str:
    """ "西湖区 2026-11 在办 19件"; with a breakdown value: "西湖区 2026-11 婚姻家庭 在办 19件"."""
    what = f"{value_label} {drilldown.MEASURE_LABELS[measure]}" if dimension else str(drilldown.MEASURE_LABELS[measure])
    if total is None:
        return _("%(area)s %(period)s %(what)s") % {"area": area.display_name, "period": period.label, "what": what}
    return _("%(area)s %(period)s %(what)s: %(count)s cases") % {
        "area": area.display_name,
        "period": period.label,
        "what": what,
        "count": total,
    }


@login_required
@require_GET
def dashboard_cases(request, code: str):
    measure = request.GET.get("measure", "")
    if not drilldown.is_drillable(measure):
        raise Http404
    with reporting_reads():
        home, area, period = _area_and_period(request, code)
        dimension, value = _breakdown(request)
        total = drilldown.rollup_count(area, period, measure, dimension, value)
        cases = drilldown.cases_behind(request.user, area, period, measure, dimension, value)
        page = drilldown.case_page(request.user, cases, measure, request.GET.get("after") or None)
        value_label = drilldown.dimension_label(dimension, value)
        trail = selectors.area_trail(area, home)
    query = period.query()
    base = {"measure": measure, **query}
    if dimension:
        base.update(dimension=dimension, value=value or "")
        back = drilldown.dimension_url(area, period, dimension, value)
    else:
        back = f"{reverse('disputes:dashboard_area', args=[area.code])}?{urlencode(query)}"
    here = f"{reverse('disputes:dashboard_cases', args=[area.code])}"
    return render(
        request,
        "disputes/staff/dashboard_cases.html",
        {
            "area": area,
            "trail": trail,
            "trail_query": urlencode(query),
            "period": period,
            "title": title_of(area, period, measure, dimension, value_label, total),
            "measure": measure,
            "total": total,
            "events": measure in drilldown.EVENTS,
            "page": page,
            "first_url": f"{here}?{urlencode(base)}" if request.GET.get("after") else "",
            "next_url": f"{here}?{urlencode({**base, 'after': page.next_cursor})}" if page.next_cursor else "",
            "back": back,
        },
    )


def _cases_url(area, period, dimension: str, value: str | None, measure: str) -> str:
    return drilldown.cases_url(area, period, measure, dimension, value)


def value_tables(area, period, dimension: str, value: str | None) -> list[tables.Table]:
    """The area's children and the last 12 months for one breakdown value; counts link to their cases."""
    columns = (*tables.CORE_COLUMNS, tables.OVERDUE_COLUMN)
    by_area = tables.Table("areas", _("By area"), tables.headers_of([_("Area")], columns))
    for child, figures in drilldown.value_child_rows(area, period, dimension, value):
        by_area.add(
            [child.display_name, *tables.cells_of(figures, columns)],
            drilldown.dimension_url(child, period, dimension, value) if selectors.can_drill(child) else None,
            drilldown.row_links(columns, 1, figures, partial(_cases_url, child, period, dimension, value)),
        )
    trend_columns = tables.CORE_COLUMNS
    by_month = tables.Table("trend", _("The last 12 months"), tables.headers_of([_("Month")], trend_columns))
    for month, figures in drilldown.value_trend_rows(area, period, dimension, value):
        month_period = drilldown.month_period(month)
        by_month.add(
            [month.strftime("%Y-%m"), *tables.cells_of(figures, trend_columns)],
            drilldown.dimension_url(area, month_period, dimension, value),
            drilldown.row_links(trend_columns, 1, figures, partial(_cases_url, area, month_period, dimension, value)),
        )
    return [by_area, by_month]


@login_required
@require_GET
def dashboard_dimension(request, code: str):
    with reporting_reads():
        home, area, period = _area_and_period(request, code)
        dimension, value = _breakdown(request)
        if dimension is None:
            raise Http404
        value_label = drilldown.dimension_label(dimension, value)
        built = value_tables(area, period, dimension, value)
        trail = selectors.area_trail(area, home)
    query = period.query()
    sections = [render_to_string(TABLE_TEMPLATE, {"section": {"table": table}}) for table in built]
    return render(
        request,
        "disputes/staff/dashboard_dimension.html",
        {
            "area": area,
            "trail": trail,
            "trail_query": urlencode({"dimension": dimension, "value": value or "", **query}),
            "period": period,
            "dimension_title": str(tables.DIMENSION_TITLES[dimension][1]),
            "value_label": value_label,
            "sections": sections,
            "back": f"{reverse('disputes:dashboard_area', args=[area.code])}?{urlencode(query)}#{dimension}",
        },
    )


urlpatterns = [
    path("dashboard/<str:code>/cases/", dashboard_cases, name="dashboard_cases"),
    path("dashboard/<str:code>/by/", dashboard_dimension, name="dashboard_dimension"),
]
