"""API: the supervisor's dashboard — every figure, table and drill-down the page shows, for other screens.

A centre's own big screen, reporting system or the dashboard's charts read the same
numbers as the page, from the same functions: the figures are
`disputes.dashboard.selectors` (the rollup table), the tables `tables.build_table`
serialised by `Table.as_json()`, the list behind a count
`disputes.dashboard.drilldown`. Nothing is computed here.

Jurisdiction as on the page: only supervisors (their area and below) and
administrators (the whole tree) read it; anyone else gets 403, an area outside
the reader's 404. Every read runs inside `reporting_reads()` (the replica when
there is one).

Caching as on the page: what every reader of an area sees alike (figures,
tables but the overdue list, child areas) is built once per area, period and
language and kept in the shared cache under the rollups' version, so a refresh
shows at once. Those answers carry an ETag; a client that sends it back in
If-None-Match gets 304 with no body until the rollups are refreshed. The overdue
list and the case list follow the reader and are read on every request.

The period is chosen by the page's query parameters (`PeriodForm`): `kind`
(month, quarter, year, custom) with `month` (2026-11), `quarter` (2026-Q4),
`year` (2026) or `start`/`end` (days, both included); without `kind`, the
parameter given names it; none at all is the current month. An invalid period
is a 400 naming each wrong field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import http_date, urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core import caching
from core.api import INVALID_CURSOR, ErrorSerializer
from core.exceptions import ApplicationError, PermissionDeniedError
from core.replica import reporting_reads
from disputes import statistics
from disputes.dashboard import drilldown, rollups, selectors, tables
from disputes.dashboard.conversions import conversion_counts
from disputes.dashboard.periods import KIND_CHOICES, Period, PeriodForm
from disputes.rules.enums import Colour
from disputes.statistics import LABELS, Figures, Rate
from grids.models import Area

# As long as the page keeps its shared part (disputes.staff.dashboard): the key holds the rollups'
# version, so a refresh is seen at once whatever is left of this.
CACHE_SECONDS = 300
PERIOD_FIELDS = tuple(PeriodForm.base_fields)
IMPLIED_KINDS = (("custom", ("start", "end")), ("quarter", ("quarter",)), ("year", ("year",)))

# --- Figures -------------------------------------------------------------------------------------------

# The headline figures, in the order the page lists them. Each is a `Figures` property (or a count).
FIGURE_NAMES = (
    "submitted",
    "concluded",
    "resolved",
    "resolution_rate",
    "in_progress",
    "resolution_rate_concluded",
    "mediation_success_rate",
    "callback_satisfaction",
    "callback_satisfaction_cases",
    "on_time_rate",
    "referred_to_police",
    "repeat_disputes",
    "reopened_share",
    "return_rate",
    "average_days",
    "median_days",
    "per_10k",
    "overdue",
)
# The counts 口径说明 does not list (statistics.DEFINITIONS), defined here for the API.
COUNT_DEFINITIONS = {
    "concluded": gettext_lazy(
        "Cases reported back in the period with an outcome (agreement, resolved otherwise, litigation, police)."
    ),
    "resolved": gettext_lazy("Cases reported back in the period as resolved (by agreement or otherwise)."),
}


def definition(name: str) -> tuple[str, str]:
    """(the centres' own name, the definition in one sentence) of a figure, as 口径说明 states it."""
    found = statistics.DEFINITIONS_BY_KEY.get(name)
    if found is not None:
        return found.term, found.text()
    return "", str(COUNT_DEFINITIONS.get(name, ""))


def figure_data(figures: Figures, name: str) -> dict[str, Any]:
    """One figure: its label, its number (a rate as a fraction 0..1), the page's text and its parts."""
    label = str(LABELS.get(name, name))
    value: Any = (
        figures.overdue
        if name == "overdue"
        else (getattr(figures, name) if hasattr(type(figures), name) else figures[name])
    )
    data: dict[str, Any] = {"label": label, "numerator": None, "denominator": None, "percent": False}
    if isinstance(value, Rate):
        data.update(value=value.value, text=value.display(), numerator=value.numerator)
        data.update(denominator=value.denominator, percent=True)
    elif name == "average_days":
        data.update(value=_rounded(value), text=figures.average_days_display())
        data.update(denominator=figures["resolved"])
    elif name == "median_days":
        data.update(value=_rounded(value), text=figures.median_days_display(), denominator=figures["resolved"])
    elif name == "per_10k":
        data.update(value=_rounded(value, 2), text=figures.per_10k_display(), numerator=figures["submitted"])
        data.update(denominator=figures.population or None)
    else:
        data.update(value=value, text=tables.cell_text(value))
    data["term"], data["definition"] = definition(name)
    return data


def _rounded(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


# --- Reading the request ---------------------------------------------------------------------------------


def area_for(request, code: str | None) -> Area:
    """The area the reader asked for, under the page's jurisdiction: 403 for a role without a dashboard,
    404 for an area outside theirs (or none)."""
    if selectors.dashboard_home_area(request.user) is None:
        raise PermissionDeniedError(_("Only supervisors and administrators see the dashboard."), code="wrong_role")
    return selectors.dashboard_area(request.user, code)


def period_for(request) -> Period:
    """The period the query names, as the page's form reads it; a 400 naming each wrong field."""
    data = {name: request.query_params[name] for name in PERIOD_FIELDS if name in request.query_params}
    if not data:
        return PeriodForm().period()
    if "kind" not in data:
        # The kind the other parameters name (`year=2026` alone is that year); a month otherwise.
        data["kind"] = next(
            (kind for kind, names in IMPLIED_KINDS if any(name in data for name in names)),
            "month",
        )
    form = PeriodForm(data)
    if not form.is_valid():
        raise ValidationError({field: [str(message) for message in errors] for field, errors in form.errors.items()})
    return form.period()


def page_url(area: Area, period: Period) -> str:
    """The dashboard page of an area and period."""
    return f"{reverse('disputes:dashboard_area', args=[area.code])}?{urlencode(period.query())}"


def api_url(name: str, period: Period, *args: str) -> str:
    return f"{reverse(f'api:{name}', args=args)}?{urlencode(period.query())}"


def case_url(tracking_number: str) -> str:
    return reverse("disputes:case", args=[tracking_number])


def area_data(area: Area) -> dict[str, Any]:
    return {
        "code": area.code,
        "name": area.display_name,
        "level": area.level,
        "level_name": str(area.get_level_display()),
        "population": area.population,
    }


def period_data(period: Period) -> dict[str, Any]:
    return {
        "kind": period.kind,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "last_day": period.last_day.isoformat(),
        "label": period.label,
        "query": period.query(),
    }


def as_of() -> datetime:
    """When the rollups were last refreshed (数据截至); now when that is not recorded."""
    return rollups.refreshed_at() or timezone.now()


def _etag_matches(header: str, etag: str) -> bool:
    given = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return etag in given or "*" in given


def shared(request, part: str, area: Area, period: Period, build: Callable[[], dict]) -> Response:
    """An answer every reader of the area sees alike, cached under the rollups' version, with an ETag.

    Without a version (the cache is down or empty) nothing can tell a refresh: no ETag then.
    """
    version = rollups.version()
    key = f"dashboard-api:{version}:{part}:{area.pk}:{period.kind}:{period.start}:{period.end}:{get_language()}"
    headers = {"Cache-Control": "private, no-cache", "Vary": "Accept-Language, Cookie"}
    if version != "0":
        headers["ETag"] = f'"dashboard-{hashlib.sha256(key.encode()).hexdigest()[:24]}"'
        if _etag_matches(request.headers.get("If-None-Match", ""), headers["ETag"]):
            return Response(status=304, headers=headers)
    body = caching.get(key)
    if body is None:
        body = build()
        caching.set(key, body, CACHE_SECONDS)
    refreshed = rollups.refreshed_at()
    if refreshed is not None:
        headers["Last-Modified"] = http_date(refreshed.timestamp())
    return Response(body, headers=headers)


def cached_figures(area: Area, period: Period) -> Figures:
    """The area's Figures, kept like the answers (the overdue list's total reads them)."""
    key = f"dashboard-api:{rollups.version()}:figures-object:{area.pk}:{period.kind}:{period.start}:{period.end}"
    figures = caching.get(key)
    if figures is None:
        figures = selectors.area_figures(area, period)
        caching.set(key, figures, CACHE_SECONDS)
    return figures


# --- Serializers (the schema; answers are built as plain dicts) -----------------------------------------


class AreaSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text=gettext_lazy("In the reader's language."))
    level = serializers.IntegerField(help_text=gettext_lazy("1 city, 2 district, 3 township, 4 village, 5 grid."))
    level_name = serializers.CharField()
    population = serializers.IntegerField()


class PeriodSerializer(serializers.Serializer):
    # A plain string in the schema: "kind" names other choice sets elsewhere in the API.
    kind = serializers.CharField(help_text=gettext_lazy("month, quarter, year or custom."))
    start = serializers.DateField(help_text=gettext_lazy("The first day counted."))
    end = serializers.DateField(help_text=gettext_lazy("The day after the last day counted."))
    last_day = serializers.DateField(help_text=gettext_lazy("The last day counted."))
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    query = serializers.DictField(
        child=serializers.CharField(), help_text=gettext_lazy("The query parameters that select this period again.")
    )


class FigureSerializer(serializers.Serializer):
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label
        help_text=gettext_lazy("The figure's name, in the reader's language.")
    )
    value = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("The number; a rate as a fraction from 0 to 1; null when undefined.")
    )
    text = serializers.CharField(help_text=gettext_lazy("As the page shows it (97.5%, —)."))
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    percent = serializers.BooleanField(help_text=gettext_lazy("true: the value is a rate, shown as a percentage."))
    term = serializers.CharField(help_text=gettext_lazy("The centres' own name for the figure (化解率（受理口径）)."))
    definition = serializers.CharField(help_text=gettext_lazy("What is counted, over what, by which date."))


FiguresSerializer = type(
    "DashboardFiguresSerializer",
    (serializers.Serializer,),
    {name: FigureSerializer() for name in FIGURE_NAMES},
)


class JudicialSerializer(serializers.Serializer):
    applied = serializers.IntegerField(help_text=gettext_lazy("司法确认 applications made in the period."))
    confirmed = serializers.IntegerField(help_text=gettext_lazy("Confirmed by the court in the period."))
    rejected = serializers.IntegerField(help_text=gettext_lazy("Rejected by the court in the period."))


class ConversionsSerializer(serializers.Serializer):
    criminal = serializers.IntegerField(help_text=gettext_lazy("民转刑: disputes that later became a criminal case."))
    homicide = serializers.IntegerField(help_text=gettext_lazy("刑转命: disputes that later became a homicide."))
    criminal_last_year = serializers.IntegerField(help_text=gettext_lazy("The same period a year before."))
    homicide_last_year = serializers.IntegerField()
    criminal_change = serializers.IntegerField(help_text=gettext_lazy("Change on the same period a year before."))
    homicide_change = serializers.IntegerField()


class HeadlineLinksSerializer(serializers.Serializer):
    page = serializers.CharField(help_text=gettext_lazy("The dashboard page of this area and period."))
    children = serializers.CharField()
    tables = serializers.DictField(child=serializers.CharField(), help_text=gettext_lazy("Table key → its address."))


class HeadlineSerializer(serializers.Serializer):
    area = AreaSerializer()
    period = PeriodSerializer()
    as_of = serializers.DateTimeField(help_text=gettext_lazy("When the figures were last refreshed (数据截至)."))
    figures = FiguresSerializer()
    judicial = JudicialSerializer()
    conversions = ConversionsSerializer(
        help_text=gettext_lazy("民转刑 and 刑转命, by the day of the crime (the target is zero).")
    )
    links = HeadlineLinksSerializer()


class CellSerializer(serializers.Serializer):
    text = serializers.CharField(help_text=gettext_lazy("As the page shows it."))
    value = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("The number (a rate as a fraction from 0 to 1), or null for text.")
    )
    percent = serializers.BooleanField()
    link = serializers.CharField(allow_null=True, help_text=gettext_lazy("The page behind the cell, or null."))


class RowSerializer(serializers.Serializer):
    cells = CellSerializer(many=True)
    link = serializers.CharField(allow_null=True, help_text=gettext_lazy("Where the row's first cell leads."))


class ChartSerializer(serializers.Serializer):
    bars = serializers.ListField(child=serializers.IntegerField(), help_text=gettext_lazy("Columns drawn as bars."))
    rates = serializers.ListField(
        child=serializers.IntegerField(), help_text=gettext_lazy("Columns drawn as a rate line.")
    )


class TableSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=tables.TABLE_KEYS)
    title = serializers.CharField()
    note = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = RowSerializer(many=True)
    chart = ChartSerializer()
    area = AreaSerializer()
    period = PeriodSerializer()
    as_of = serializers.DateTimeField()


class ChildSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField()
    population = serializers.IntegerField()
    submitted = serializers.IntegerField()
    resolution_rate = serializers.FloatField(allow_null=True, help_text=gettext_lazy("A fraction from 0 to 1."))
    resolution_rate_text = serializers.CharField()
    overdue = serializers.IntegerField(help_text=gettext_lazy("Open cases past a deadline now."))
    link = serializers.CharField(help_text=gettext_lazy("The child area's dashboard page."))
    api = serializers.CharField(help_text=gettext_lazy("The child area's figures in this API."))


class ChildrenSerializer(serializers.Serializer):
    area = AreaSerializer()
    period = PeriodSerializer()
    as_of = serializers.DateTimeField()
    results = ChildSerializer(many=True)


class AreaLinkSerializer(AreaSerializer):
    api = serializers.CharField(help_text=gettext_lazy("The area's figures in this API."))
    has_children = serializers.BooleanField(help_text=gettext_lazy("Whether the figures go further down."))


class AreasSerializer(serializers.Serializer):
    home = AreaLinkSerializer(help_text=gettext_lazy("The area the reader's dashboard opens on."))
    results = AreaLinkSerializer(many=True, help_text=gettext_lazy("The areas right below it."))


PERIOD_PARAMETERS = [
    OpenApiParameter(
        "kind",
        OpenApiTypes.STR,
        enum=[code for code, _label in KIND_CHOICES],
        description="month, quarter, year or custom; when missing, the kind of the parameter given, else month.",
    ),
    OpenApiParameter("month", OpenApiTypes.STR, description="kind=month: the month, 2026-11."),
    OpenApiParameter("quarter", OpenApiTypes.STR, description="kind=quarter: the quarter, 2026-Q4."),
    OpenApiParameter("year", OpenApiTypes.INT, description="kind=year: the year, 2026."),
    OpenApiParameter("start", OpenApiTypes.DATE, description="kind=custom: the first day."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="kind=custom: the last day (included)."),
]
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="The ETag of a previous answer: 304 while the figures are unchanged.",
)
NOT_MODIFIED = OpenApiResponse(description=gettext_lazy("The figures did not change since the answer with this ETag."))
FORBIDDEN = OpenApiResponse(ErrorSerializer, description=gettext_lazy("Not a supervisor or an administrator."))
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=gettext_lazy("No such area in your jurisdiction."))
INVALID_PERIOD = OpenApiResponse(ErrorSerializer, description=gettext_lazy("An invalid period; `fields` names each."))


# --- The views -------------------------------------------------------------------------------------------


class DashboardAreasApi(APIView):
    """仪表盘: where the reader's dashboard opens (their area; the whole tree for administrators) and the
    areas right below it."""

    @extend_schema(operation_id="v1_dashboard_areas_retrieve", responses={200: AreasSerializer, 403: FORBIDDEN})
    def get(self, request):
        with reporting_reads():
            home = area_for(request, None)
            children = list(Area.objects.get_children(home).order_by("path")) if selectors.can_drill(home) else []

            def link(area: Area) -> dict[str, Any]:
                data = area_data(area)
                data["api"] = reverse("api:dashboard-area", args=[area.code])
                data["has_children"] = selectors.can_drill(area) and not area.is_leaf()
                return data

            body = {"home": link(home), "results": [link(child) for child in children]}
        return Response(body)


class DashboardAreaApi(APIView):
    """仪表盘: the headline figures of an area (and below) over a period, each with its label, number,
    numerator, denominator and definition; 司法确认 counts; when the figures were refreshed."""

    @extend_schema(
        operation_id="v1_dashboard_area_retrieve",
        parameters=[*PERIOD_PARAMETERS, IF_NONE_MATCH],
        responses={200: HeadlineSerializer, 304: NOT_MODIFIED, 400: INVALID_PERIOD, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, code: str):
        with reporting_reads():
            area = area_for(request, code)
            period = period_for(request)
            return shared(request, "area", area, period, lambda: headline_data(area, period))


def headline_data(area: Area, period: Period) -> dict[str, Any]:
    figures = cached_figures(area, period)
    judicial = selectors.judicial_counts(area, period)
    return {
        "area": area_data(area),
        "period": period_data(period),
        "as_of": as_of().isoformat(),
        "figures": {name: figure_data(figures, name) for name in FIGURE_NAMES},
        "judicial": {"applied": judicial.applied, "confirmed": judicial.confirmed, "rejected": judicial.rejected},
        "conversions": conversion_counts(area, period).as_json(),
        "links": {
            "page": page_url(area, period),
            "children": api_url("dashboard-children", period, area.code),
            "tables": {key: api_url("dashboard-table", period, area.code, key) for key in tables.TABLE_KEYS},
        },
    }


class DashboardTableApi(APIView):
    """仪表盘: one of the page's tables (the same rows, the same numbers), cell by cell with the text the page
    shows, the number behind it and where it links. `overdue` is the reader's own list (most urgent first,
    as on the page) and is not cached."""

    @extend_schema(
        parameters=[*PERIOD_PARAMETERS, IF_NONE_MATCH],
        responses={200: TableSerializer, 304: NOT_MODIFIED, 400: INVALID_PERIOD, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, code: str, key: str):
        with reporting_reads():
            area = area_for(request, code)
            if key not in tables.TABLE_KEYS:
                raise Http404
            period = period_for(request)
            if key == "overdue":
                return Response(table_data(request.user, area, period, key))
            return shared(request, f"table:{key}", area, period, lambda: table_data(request.user, area, period, key))


def table_data(user, area: Area, period: Period, key: str) -> dict[str, Any]:
    def area_link(child: Area) -> str:
        return page_url(child, period)

    table = tables.build_table(
        key,
        user=user,
        area=area,
        period=period,
        area_link=area_link,
        case_link=case_url,
        figures=cached_figures(area, period),
    )
    body = table.as_json()
    body.update(area=area_data(area), period=period_data(period), as_of=as_of().isoformat())
    return body


class DashboardChildrenApi(APIView):
    """仪表盘: each area right below this one with its headline figures (for the big screen's map of the
    area tree): submitted, resolution rate, overdue now. Empty below villages (grids are not split)."""

    @extend_schema(
        parameters=[*PERIOD_PARAMETERS, IF_NONE_MATCH],
        responses={200: ChildrenSerializer, 304: NOT_MODIFIED, 400: INVALID_PERIOD, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, code: str):
        with reporting_reads():
            area = area_for(request, code)
            period = period_for(request)
            return shared(request, "children", area, period, lambda: children_data(area, period))


def children_data(area: Area, period: Period) -> dict[str, Any]:
    results = []
    for child, figures in selectors.child_rows(area, period):
        rate = figures.resolution_rate
        results.append(
            {
                "code": child.code,
                "name": child.display_name,
                "level": child.level,
                "population": child.population,
                "submitted": figures["submitted"],
                "resolution_rate": rate.value,
                "resolution_rate_text": rate.display(),
                "overdue": figures.overdue,
                "link": page_url(child, period),
                "api": api_url("dashboard-area", period, child.code),
            }
        )
    return {"area": area_data(area), "period": period_data(period), "as_of": as_of().isoformat(), "results": results}


# --- The cases behind a count -----------------------------------------------------------------------------


MAX_PAGE_SIZE = 100


class CaseRowSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    tracking_number_display = serializers.CharField(help_text=gettext_lazy("In groups of four, for reading aloud."))
    applicant = serializers.CharField(
        help_text=gettext_lazy("The first applicant's name: in clear for those who work the case, masked otherwise.")
    )
    category = serializers.CharField()
    department = serializers.CharField(help_text=gettext_lazy("The lead department (empty: not yet dispatched)."))
    status_label = serializers.CharField()
    colour = serializers.ChoiceField(choices=[c.code for c in Colour])
    colour_label = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    link = serializers.CharField(help_text=gettext_lazy("The case's page."))


class CasesPageSerializer(serializers.Serializer):
    area = AreaSerializer()
    period = PeriodSerializer()
    measure = serializers.ChoiceField(choices=drilldown.MEASURES)
    measure_label = serializers.CharField()
    dimension = serializers.CharField(allow_null=True)
    value = serializers.CharField(allow_null=True)
    total = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("The dashboard's figure for this count (from the rollups).")
    )
    page = serializers.CharField(help_text=gettext_lazy("The same list as a staff page."))
    results = CaseRowSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    next = serializers.CharField(allow_null=True, help_text=gettext_lazy("The next page's address, or null."))


class CasesQuerySerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=drilldown.MEASURES)
    dimension = serializers.ChoiceField(choices=drilldown.DIMENSIONS, required=False, allow_blank=True)
    value = serializers.CharField(required=False, allow_blank=True, max_length=100)
    cursor = serializers.CharField(required=False, max_length=500)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)


def case_row_data(row: drilldown.CaseRow) -> dict[str, Any]:
    """A row of the staff page's list (`drilldown.case_page`: the same order, the same masking) as JSON."""
    return {
        "tracking_number": row.tracking_number,
        "tracking_number_display": row.tracking_number_display,
        "applicant": row.applicant,
        "category": row.category,
        "department": row.department,
        "status_label": row.status,
        "colour": Colour(row.colour).code,
        "colour_label": row.colour_label,
        "submitted_at": timezone.localtime(row.submitted_at).isoformat(),
        "link": case_url(row.tracking_number),
    }


class DashboardCasesApi(APIView):
    """下钻: the cases behind one count of the dashboard (the area and below, the period, optionally one
    department, category, colour or channel), in the staff page's order (newest event first; overdue: the
    most overdue first), a page at a time; only cases the reader may see, the applicant's name in clear only
    where the reader works the case."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "measure", OpenApiTypes.STR, required=True, enum=list(drilldown.MEASURES), description="The count."
            ),
            OpenApiParameter(
                "dimension",
                OpenApiTypes.STR,
                enum=list(drilldown.DIMENSIONS),
                description="A breakdown: department, category, colour or channel.",
            ),
            OpenApiParameter(
                "value",
                OpenApiTypes.STR,
                description="The breakdown's value: a department or category id, a colour number, a channel code; "
                "empty with dimension=department: not yet dispatched.",
            ),
            *PERIOD_PARAMETERS,
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The previous page's next_cursor."),
            OpenApiParameter(
                "page_size",
                OpenApiTypes.INT,
                description=f"Rows per page (1-{MAX_PAGE_SIZE}, default {drilldown.PAGE_SIZE}).",
            ),
        ],
        responses={200: CasesPageSerializer, 400: INVALID_PERIOD, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, code: str):
        with reporting_reads():
            area = area_for(request, code)
            query = CasesQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            period = period_for(request)
            values = query.validated_data
            measure = values["measure"]
            dimension = values.get("dimension") or None
            value = values.get("value", "") if dimension else None
            cursor = values.get("cursor") or None
            if cursor and not drilldown.cursor_is_valid(cursor):
                raise ApplicationError(INVALID_CURSOR, code="invalid_cursor")
            cases = drilldown.cases_behind(request.user, area, period, measure, dimension, value)
            page = drilldown.case_page(request.user, cases, measure, cursor, values.get("page_size"))
            next_url = None
            if page.next_cursor:
                params = request.query_params.copy()
                params["cursor"] = page.next_cursor
                next_url = f"{request.path}?{params.urlencode()}"
            body = {
                "area": area_data(area),
                "period": period_data(period),
                "measure": measure,
                "measure_label": str(drilldown.MEASURE_LABELS[measure]),
                "dimension": dimension,
                "value": value,
                "total": drilldown.rollup_count(area, period, measure, dimension, value),
                "page": drilldown.cases_url(area, period, measure, dimension, value),
                "results": [case_row_data(row) for row in page.rows],
                "next_cursor": page.next_cursor,
                "next": next_url,
            }
        return Response(body)


urlpatterns = [
    path("dashboard/areas/", DashboardAreasApi.as_view(), name="dashboard-areas"),
    path("dashboard/areas/<str:code>/", DashboardAreaApi.as_view(), name="dashboard-area"),
    path("dashboard/areas/<str:code>/cases/", DashboardCasesApi.as_view(), name="dashboard-cases"),
    path("dashboard/areas/<str:code>/children/", DashboardChildrenApi.as_view(), name="dashboard-children"),
    path("dashboard/areas/<str:code>/tables/<str:key>/", DashboardTableApi.as_view(), name="dashboard-table"),
]
