"""仪表盘: the supervisor's dashboard page and its CSV/XLSX exports.

Thin: figures come from `disputes.dashboard.selectors` (the rollup table) and
are laid out by `disputes.dashboard.tables`, which the exports reuse. All reads
run inside `reporting_reads()`, so they go to the read replica when one is set.
GET only: the period picker is a plain form and works without JavaScript.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from config.db_router import reporting_reads
from disputes.dashboard import exports, selectors, tables
from disputes.dashboard.periods import PeriodForm

EXPORT_FORMATS = ("csv", "xlsx")


def _context(request, code: str | None):
    home = selectors.dashboard_home_area(request.user)
    if home is None:
        raise PermissionDenied
    area = selectors.dashboard_area(request.user, code)
    form = PeriodForm(request.GET or None)
    period = form.period()
    query = urlencode(period.query())

    def area_link(child) -> str:
        return f"{reverse('disputes:dashboard_area', args=[child.code])}?{query}"

    def case_link(tracking_number: str) -> str:
        return reverse("disputes:case", args=[tracking_number])

    return home, area, form, period, query, area_link, case_link


@login_required
@require_GET
def dashboard(request, code: str | None = None):
    with reporting_reads():
        home, area, form, period, query, area_link, case_link = _context(request, code)
        figures = selectors.area_figures(area, period)
        breakdowns = selectors.breakdown_rows(area, period)
        built = {
            key: tables.build_table(
                key,
                user=request.user,
                area=area,
                period=period,
                area_link=area_link,
                case_link=case_link,
                figures=figures,
                breakdowns=breakdowns,
            )
            for key in tables.TABLE_KEYS
        }
        trail = selectors.area_trail(area, home)
        petitions = _petition_section(area, period)
    export_base = reverse("disputes:dashboard_export", args=[area.code, "TABLE", "FMT"])
    sections = [
        {
            "table": table,
            "csv": export_base.replace("TABLE", key).replace("FMT", "csv") + f"?{query}",
            "xlsx": export_base.replace("TABLE", key).replace("FMT", "xlsx") + f"?{query}",
        }
        for key, table in built.items()
    ]
    return render(
        request,
        "disputes/staff/dashboard.html",
        {
            "area": area,
            "trail": trail,
            "trail_query": query,
            "form": form,
            "period": period,
            "figures": figures,
            "headline": sections[0],
            "sections": sections[1:],
            "petitions": petitions,
        },
    )


def _petition_section(area, period) -> dict:
    """信访: the petition figures of the same area and period (petitions.statistics, cached SQL aggregates)."""
    from petitions import statistics as petition_statistics

    return petition_statistics.petition_section(area, period)


@login_required
@require_GET
def dashboard_export(request, code: str, table: str, fmt: str):
    if table not in tables.TABLE_KEYS or fmt not in EXPORT_FORMATS:
        raise Http404
    with reporting_reads():
        _home, area, _form, period, _query, area_link, case_link = _context(request, code)
        built = tables.build_table(
            table, user=request.user, area=area, period=period, area_link=area_link, case_link=case_link
        )
    filename = f"{area.name}_{area.code}_{period.slug}_{table}"
    if fmt == "csv":
        return exports.csv_response(built, filename)
    return exports.xlsx_response(built, filename)


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/<str:code>/", dashboard, name="dashboard_area"),
    path("dashboard/<str:code>/export/<str:table>.<str:fmt>", dashboard_export, name="dashboard_export"),
]
