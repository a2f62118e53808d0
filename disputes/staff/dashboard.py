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
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from core import caching
from core.replica import reporting_reads
from disputes import links
from disputes.dashboard import drilldown, exports, ledger, rollups, selectors, tables
from disputes.dashboard.periods import PeriodForm
from disputes.selectors.overdue import long_overdue_cases, long_overdue_days
from disputes.staff import bigscreen, ranking_notice

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


# Everything on the page but the overdue list is the same for every supervisor who opens an
# area: the figures and tables come from the rollups, which change only when beat refreshes
# them (every five minutes). That part is rendered once per area, period and language and kept
# in the shared cache under the rollups' version, so a refresh shows at once. The overdue list
# follows the reader's jurisdiction and is read on every view.
SHARED_CACHE_SECONDS = 300
TABLE_TEMPLATE = "disputes/staff/dashboard_table.html"
OVERDUE = "overdue"


def _section(key: str, table, area, query: str) -> dict:
    export = reverse("disputes:dashboard_export", args=[area.code, key, "FMT"])
    return {
        "table": table,
        "csv": export.replace("FMT", "csv") + f"?{query}",
        "xlsx": export.replace("FMT", "xlsx") + f"?{query}",
        # 排名通报: the ranking section links to the printable monthly notice (disputes.staff.ranking_notice).
        "notice": ranking_notice.notice_link(key, area, query),
    }


def _shared_part(request, area, period, query, area_link, case_link) -> dict:
    """{"figures", "tables": {key: HTML} for every table but the overdue list, "petitions": HTML}."""
    key = f"dashboard:{rollups.version()}:{area.pk}:{period.kind}:{period.start}:{period.end}:{get_language()}"
    shared = caching.get(key)
    if shared is not None:
        return shared
    figures = selectors.area_figures(area, period)
    breakdowns = selectors.breakdown_rows(area, period)
    html = {}
    for name in tables.TABLE_KEYS:
        if name == OVERDUE:
            continue
        table = tables.build_table(
            name,
            user=request.user,
            area=area,
            period=period,
            area_link=area_link,
            case_link=case_link,
            figures=figures,
            breakdowns=breakdowns,
        )
        html[name] = render_to_string(TABLE_TEMPLATE, {"section": _section(name, table, area, query)})
    petitions = _petition_section(area, period)
    shared = {
        "figures": figures,
        # 司法确认: applications and the court's decisions in the period (two indexed counts).
        "judicial": selectors.judicial_counts(area, period),
        "tables": html,
        "petitions": render_to_string("petitions/dashboard_section.html", {"p": petitions}) if petitions else "",
    }
    caching.set(key, shared, SHARED_CACHE_SECONDS)
    return shared


@login_required
@require_GET
def dashboard(request, code: str | None = None):
    with reporting_reads():
        home, area, form, period, query, area_link, case_link = _context(request, code)
        shared = _shared_part(request, area, period, query, area_link, case_link)
        overdue = tables.overdue_table(request.user, area, case_link, shared["figures"].overdue)
        # 久拖未决: a district's and the city's list of cases overdue for N days (settings), with who holds them.
        long_days = long_overdue_days(area)
        long_overdue = long_overdue_cases(user=request.user, area=area, days=long_days) if long_days else []
        trail = selectors.area_trail(area, home)
    sections = [
        render_to_string(TABLE_TEMPLATE, {"section": _section(OVERDUE, overdue, area, query)})
        if name == OVERDUE
        else shared["tables"][name]
        for name in tables.TABLE_KEYS
    ]
    # The compact layout: the trend, the ranking one level down and the overdue list on the first
    # screen beside the headline cards (bigscreen.first_screen), the other tables below.
    first_screen, other_sections = bigscreen.first_screen(area, dict(zip(tables.TABLE_KEYS, sections, strict=True)))
    return render(
        request,
        "disputes/staff/dashboard.html",
        {
            "first_screen": first_screen,
            "other_sections": other_sections,
            "as_of": bigscreen.data_as_of(),
            "chart_words": bigscreen.chart_words(),
            "screen_url": f"{reverse('disputes:dashboard_screen_area', args=[area.code])}?{query}",
            "area": area,
            "trail": trail,
            "trail_query": query,
            "form": form,
            "period": period,
            "figures": shared["figures"],
            "judicial": shared["judicial"],
            "withdrawn_url": f"{reverse('disputes:dashboard_withdrawn', args=[area.code])}?{query}",
            # 下钻: the case list behind each headline count, e.g. {{ drill.registered_open }} (drilldown.Links).
            "drill": drilldown.Links(area, period),
            # HTML from render_to_string: safe strings, still safe after the cache's round trip.
            "sections": sections,
            "petitions": shared["petitions"],
            "long_overdue": long_overdue,
            "long_overdue_days": long_days,
        },
    )


def _petition_section(area, period) -> dict:
    """信访: the petition figures of the same area and period (petitions.statistics, cached SQL aggregates)."""
    return links.petition_dashboard_section(area, period)


@login_required
@require_GET
def dashboard_export(request, code: str, table: str, fmt: str):
    if table not in tables.TABLE_KEYS or fmt not in EXPORT_FORMATS:
        raise Http404
    with reporting_reads():
        _home, area, _form, period, _query, area_link, case_link = _context(request, code)
        if table == OVERDUE:
            # Every overdue case of the area, streamed in pages (the page lists the most urgent few).
            built = tables.Table(OVERDUE, str(tables.OVERDUE_TITLE), tables.overdue_columns())
            rows = (tables.overdue_cells(r) for r in ledger.overdue_rows(request.user, area))
            sheet = exports.table_sheet(built, key=table, area_name=area.display_name, period=period, rows=rows)
        else:
            built = tables.build_table(
                table, user=request.user, area=area, period=period, area_link=area_link, case_link=case_link
            )
            sheet = exports.table_sheet(built, key=table, area_name=area.display_name, period=period)
    filename = exports.file_name(area.display_name, period, sheet.name)
    return exports.response(sheet, fmt, filename, fallback=f"{area.code}_{period.slug}_{table}")


@login_required
@require_GET
def dashboard_withdrawn(request, code: str):
    """撤回: the period's withdrawn cases in the area, behind the dashboard's figure (number, category, how the
    applicant asked, who approved, when)."""
    with reporting_reads():
        home, area, form, period, query, _area_link, _case_link = _context(request, code)
        rows = selectors.withdrawn_rows(request.user, area, period)
        trail = selectors.area_trail(area, home)
    return render(
        request,
        "disputes/staff/dashboard_withdrawn.html",
        {
            "area": area,
            "trail": trail,
            "trail_query": query,
            "period": period,
            "rows": rows,
            "truncated": len(rows) >= selectors.WITHDRAWN_LIST_LIMIT,
            "limit": selectors.WITHDRAWN_LIST_LIMIT,
            "back": f"{reverse('disputes:dashboard_area', args=[area.code])}?{query}",
        },
    )


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/<str:code>/withdrawn/", dashboard_withdrawn, name="dashboard_withdrawn"),
    path("dashboard/<str:code>/", dashboard, name="dashboard_area"),
    path("dashboard/<str:code>/export/<str:table>.<str:fmt>", dashboard_export, name="dashboard_export"),
]
