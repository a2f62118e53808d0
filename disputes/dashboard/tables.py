"""The dashboard's tables, built once and used twice: rendered on the page and written to CSV/XLSX.

Because the page and the exports read the same `Table` objects, an export holds
exactly what the supervisor saw.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from disputes.dashboard import drilldown, ranking, selectors
from disputes.dashboard.periods import Period, month_period
from disputes.statistics import LABELS, Figures, Rate, number_text
from grids.models import Area, AreaLevel

# A cell whose text is a plain number (e.g. "0.40", "12.5"): right-aligned like the numbers.
NUMBER_TEXT = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    # Per row: where its first cell links to (a child area's drill-down, a case), or None.
    links: list[str | None] = field(default_factory=list)
    note: str = ""
    # Drawn beside the table by static/js/dashboard-charts.js: the columns (by index) shown
    # as bars and as a rate line; the table stays the source and works without JavaScript.
    chart_bars: tuple[int, ...] = ()
    chart_rates: tuple[int, ...] = ()
    # Per row: {cell index: URL} for the counts that open the list of cases behind them
    # (disputes.dashboard.drilldown); a rate's link opens the cases of its numerator.
    cell_links: list[dict[int, str]] = field(default_factory=list)

    def add(self, cells: list[Any], link: str | None = None, cell_links: dict[int, str] | None = None) -> None:
        self.rows.append(cells)
        self.links.append(link)
        self.cell_links.append(cell_links or {})

    @property
    def chart_attrs(self) -> str:
        if not self.chart_bars:
            return ""
        bars = ",".join(map(str, self.chart_bars))
        rates = ",".join(map(str, self.chart_rates))
        return mark_safe(f' data-chart-bars="{bars}" data-chart-rates="{rates}"')  # noqa: S308 - integers only  # nosec B308 B703

    def as_json(self) -> dict:
        """The table as the dashboard API serves it (disputes.dashboard.api): each cell's text as the page
        shows it, its number (a rate as a fraction 0..1 with `percent`), and where it links to."""
        rows = []
        for row, link, links in zip(self.rows, self.links, self.cell_links, strict=True):
            cells = []
            for position, value in enumerate(row):
                cell = cell_json(value)
                cell["link"] = links.get(position) or (link if position == 0 else None)
                cells.append(cell)
            rows.append({"cells": cells, "link": link})
        return {
            "key": self.key,
            "title": self.title,
            "note": self.note,
            "columns": list(self.columns),
            "rows": rows,
            "chart": {"bars": list(self.chart_bars), "rates": list(self.chart_rates)},
        }

    def tbody_html(self) -> str:
        """The rows as HTML, built here rather than in a template loop: a city's tables hold
        thousands of cells, and the template engine would spend most of the page's time on them."""
        parts = []
        for row, link, cell_links in zip(self.rows, self.links, self.cell_links, strict=True):
            first = html.escape(cell_text(row[0]))
            cells = [
                f'<th scope="row"><a href="{html.escape(link)}">{first}</a></th>'
                if link
                else f'<th scope="row">{first}</th>'
            ]
            for index, value in enumerate(row[1:], start=1):
                text = html.escape(cell_text(value))
                drill = cell_links.get(index)
                if isinstance(value, Rate):
                    numerator = str(value.numerator)
                    if drill:
                        numerator = f'<a href="{html.escape(drill)}">{numerator}</a>'
                    fraction = f"{numerator} / {value.denominator}"
                    cells.append(f'<td class="num">{text} <small class="fraction">({fraction})</small></td>')
                elif drill:
                    cells.append(f'<td class="num"><a href="{html.escape(drill)}">{text}</a></td>')
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    cells.append(f'<td class="num">{text}</td>')
                elif NUMBER_TEXT.fullmatch(text):
                    # Figures formatted upstream (a mean, a rate per 10,000) line up with the others.
                    cells.append(f'<td class="num">{text}</td>')
                else:
                    cells.append(f"<td>{text}</td>")
            parts.append(f"<tr>{''.join(cells)}</tr>")
        return mark_safe("\n".join(parts))  # noqa: S308 - every value above is escaped  # nosec B308 B703


@dataclass(frozen=True)
class Number:
    """A figure with a fixed number of decimals (每万人, average days): a number in the exports, "—" when None."""

    value: float | None
    places: int = 2

    def __str__(self) -> str:
        return number_text(self.value, self.places)

    def rounded(self) -> float | None:
        """The value rounded half-up as shown (3.25 → 3.3), or None."""
        return None if self.value is None else float(number_text(self.value, self.places))


def cell_text(value: Any) -> str:
    """How a cell reads on the page and in the CSV."""
    if value is None:
        return "—"
    if isinstance(value, Rate):
        return value.display()
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m")
    return str(value)


def cell_json(value: Any) -> dict:
    """One cell for the API: {"text", "value", "percent"}; `value` is a number or null."""
    text = cell_text(value)
    if isinstance(value, Rate):
        return {"text": text, "value": value.value, "percent": True}
    if isinstance(value, bool) or value is None:
        return {"text": text, "value": None, "percent": False}
    if isinstance(value, int | float):
        return {"text": text, "value": value, "percent": False}
    if isinstance(value, Decimal):
        return {"text": text, "value": float(value), "percent": False}
    if isinstance(value, Number):
        return {"text": text, "value": value.rounded(), "percent": False}
    if isinstance(value, str) and NUMBER_TEXT.fullmatch(value):
        # A figure formatted upstream (a mean, a rate per 10,000): still a number for a machine.
        plain = value.replace(",", "")
        return {"text": text, "value": float(plain) if "." in plain else int(plain), "percent": False}
    return {"text": text, "value": None, "percent": False}


# --- Column sets ----------------------------------------------------------------------------------------

# The centres' figures (disputes.statistics.DEFINITIONS): 化解率 by registration (受理口径) with 在办 beside
# it, then by report-back (办结口径, labelled); the on-time rate counting open overdue cases; 满意率 by
# parties with the cases beside it; 移送公安 a count. Rate cells show their fraction, so the counts behind
# them stay visible. Chart indexes below (chart_bars/chart_rates) count these from 1.
CORE_COLUMNS = (
    (_("Cases submitted"), lambda f: f["submitted"]),
    (_("Resolution rate"), lambda f: f.resolution_rate),
    (_("Still being worked"), lambda f: f.in_progress),
    (_("Cases concluded"), lambda f: f["concluded"]),
    (_("Resolution rate (by report-back)"), lambda f: f.resolution_rate_concluded),
    (_("Mediation success rate"), lambda f: f.mediation_success_rate),
    (_("On-time rate"), lambda f: f.on_time_rate),
    (_("Open cases overdue"), lambda f: f["open_overdue"]),
    (_("Callback satisfaction"), lambda f: f.callback_satisfaction),
    (_("Callback satisfaction (by cases)"), lambda f: f.callback_satisfaction_cases),
    (_("Referred to the police"), lambda f: f.referred_to_police),
)
# (bars, rates) of CORE_COLUMNS for the charts: submitted and concluded; 化解率, 按期办结率, 满意率.
CORE_BARS = (1, 4)
CORE_RATES = (2, 7, 9)
OVERDUE_COLUMN = (_("Overdue cases now"), lambda f: f.overdue)
Column = tuple[Any, Callable[[Figures], Any]]


def headers_of(first: list[str], columns: tuple[Column, ...]) -> list[str]:
    return [*first, *(str(label) for label, _ in columns)]


def cells_of(figures: Figures, columns: tuple[Column, ...]) -> list[Any]:
    return [getter(figures) for _, getter in columns]


# --- The tables -----------------------------------------------------------------------------------------


OPEN_OVERDUE_LABEL = _("Open cases overdue at the end of the period")


def headline_table(figures: Figures) -> Table:
    """The figures the centres report, each with its numerator and denominator."""
    table = Table(
        "figures",
        str(_("Headline figures")),
        [str(_("Figure")), str(_("Value")), str(_("Numerator")), str(_("Denominator"))],
    )
    table.add([str(LABELS["submitted"]), figures["submitted"], None, None])
    rate_row = ("resolution_rate", "resolution_rate_concluded", "mediation_success_rate", "callback_satisfaction")
    for key in rate_row:
        rate: Rate = getattr(figures, key)
        table.add([str(LABELS[key]), rate, rate.numerator, rate.denominator])
        if key == "resolution_rate":
            table.add([str(LABELS["in_progress"]), figures.in_progress, None, rate.denominator])
    for key in ("callback_satisfaction_cases", "on_time_rate"):
        rate = getattr(figures, key)
        table.add([str(LABELS[key]), rate, rate.numerator, rate.denominator])
    table.add([str(OPEN_OVERDUE_LABEL), figures["open_overdue"], None, None])
    table.add([str(LABELS["referred_to_police"]), figures.referred_to_police, None, None])
    for key in ("repeat_disputes", "reopened_share", "return_rate"):
        rate = getattr(figures, key)
        table.add([str(LABELS[key]), rate, rate.numerator, rate.denominator])
    resolved = figures["resolved"]
    total_days = round(figures["resolve_seconds"] / 86_400, 1) if resolved else None
    table.add([str(LABELS["average_days"]), Number(figures.average_days, 1), total_days, resolved])
    table.add([str(LABELS["median_days"]), Number(figures.median_days, 1), None, resolved])
    table.add([str(LABELS["per_10k"]), Number(figures.per_10k), figures["submitted"], figures.population or None])
    table.add([str(LABELS["overdue"]), figures.overdue, None, None])
    return table


def areas_table(area: Area, period: Period, link: Callable[[Area], str]) -> Table:
    columns = (*CORE_COLUMNS, (_("Cases per 10,000 residents"), lambda f: Number(f.per_10k)), OVERDUE_COLUMN)
    headers = headers_of([str(_("Area"))], columns)
    table = Table("areas", str(_("By area")), headers, chart_bars=CORE_BARS, chart_rates=CORE_RATES[:1])
    if not selectors.can_drill(area):
        table.note = str(_("Figures are kept down to villages and communities; grids are not split."))
    for child, figures in selectors.child_rows(area, period):
        table.add(
            [child.display_name, *cells_of(figures, columns)],
            link(child),
            drilldown.row_links(columns, 1, figures, lambda m, c=child: drilldown.cases_url(c, period, m)),
        )
    return table


DIMENSION_TITLES = {
    "department": (_("By lead department"), _("Department")),
    "category": (_("By category"), _("Category")),
    "colour": (_("By colour"), _("Colour")),
    "channel": (_("By channel"), _("Channel")),
}


DEPARTMENT_NOTE = _(
    "Returns and dispatches count the department the case was sent to; the other figures its lead department."
)


def dimension_table(area: Area, period: Period, dimension: str, rows=None) -> Table:
    title, first = DIMENSION_TITLES[dimension]
    columns: tuple[Column, ...] = (*CORE_COLUMNS, OVERDUE_COLUMN)
    if dimension == "department":
        columns = (
            (_("Cases dispatched"), lambda f: f["dispatched"]),
            (_("Cases returned"), lambda f: f["returned"]),
            (_("Return rate"), lambda f: f.return_rate),
            *CORE_COLUMNS,
            OVERDUE_COLUMN,
        )
    table = Table(dimension, str(title), headers_of([str(first)], columns))
    offset = 3 if dimension == "department" else 0
    table.chart_bars = tuple(i + offset for i in CORE_BARS)
    table.chart_rates = (CORE_RATES[0] + offset,)
    if dimension == "department":
        table.note = str(DEPARTMENT_NOTE)
    for row in rows if rows is not None else selectors.dimension_rows(area, period, dimension):
        label = row.label if row.value else str(_("Not yet dispatched"))
        table.add(
            [label, *cells_of(row.figures, columns)],
            drilldown.dimension_url(area, period, dimension, row.value),
            drilldown.row_links(
                columns, 1, row.figures, lambda m, v=row.value: drilldown.cases_url(area, period, m, dimension, v)
            ),
        )
    return table


def trend_table(area: Area, period: Period) -> Table:
    columns = CORE_COLUMNS
    table = Table(
        "trend",
        str(_("The last 12 months")),
        headers_of([str(_("Month"))], columns),
        chart_bars=CORE_BARS,
        chart_rates=CORE_RATES,
    )
    for month, figures in selectors.trend_rows(area, period):
        table.add(
            [month.strftime("%Y-%m"), *cells_of(figures, columns)],
            drilldown.month_url(area, month),
            drilldown.row_links(columns, 1, figures, drilldown.Links(area, month_period(month)).__getitem__),
        )
    return table


RANKING_TITLES = {
    AreaLevel.TOWNSHIP: ("ranking_townships", _("Ranking of townships and streets")),
    AreaLevel.VILLAGE: ("ranking_villages", _("Ranking of villages and communities")),
}


def ranking_columns(with_notes: bool = True) -> list[str]:
    columns = [
        str(_("Rank")),
        str(_("Area")),
        str(_("Composite score")),
        str(_("Change on last month")),
        str(_("Rank last month")),
        str(_("Score last month")),
        *(str(component.label) for component in ranking.COMPONENTS),
        str(_("Cases registered")),
        str(pgettext_lazy("ranking", "Note")),
    ]
    return columns if with_notes else columns[:-1]


def ranking_table(
    area: Area, period: Period, level: int, basis: str | None = None, *, with_notes: bool = True
) -> Table:
    """排名通报: the composite score, the change on last month and each component (disputes.dashboard.ranking).
    `with_notes=False` leaves out the note column (why an area is not ranked; the notice says it in words)."""
    return ranking_result_table(ranking.ranking(area, period.ranking_month(), level, basis), with_notes=with_notes)


def ranking_result_table(result: ranking.Ranking, *, with_notes: bool = True) -> Table:
    """`ranking_table` of a ranking already made (an issued notice's, rebuilt from its snapshot)."""
    key, title = RANKING_TITLES[result.level]
    table = Table(key, str(title), ranking_columns(with_notes))
    table.note = str(
        _(
            "Month ranked: %(month)s. Composite score out of 100, weighted: %(weights)s. %(basis)s "
            "Areas with fewer than %(count)s cases registered in the month are not ranked."
        )
    ) % {
        "month": ranking.month_label(result.month),
        "weights": ranking.weights_text(result.weights),
        "basis": ranking.basis_note(result.basis),
        "count": result.min_cases,
    }
    for row in result.rows:
        components = [
            ranking.per_100(row.component(c.key)) if c.penalty else row.component(c.key) for c in ranking.COMPONENTS
        ]
        table.add(
            [
                row.rank,
                row.area.display_name,
                row.score,
                row.change_text(),
                row.previous_rank,
                row.previous_score,
                *components,
                row.registered,
                *([row.unranked_reason or None] if with_notes else []),
            ]
        )
    return table


def overdue_columns() -> list[str]:
    return [
        str(_("Tracking number")),
        str(_("Applicant")),
        str(_("Category")),
        str(_("Lead department")),
        str(_("Status")),
        str(_("Colour")),
        str(_("Due at")),
        str(_("Leader in charge")),
    ]


def overdue_cells(r: selectors.OverdueRow) -> list[Any]:
    """One overdue case's cells: on the page (the short list) and in the export (every case)."""
    return [
        r.tracking_number_display,
        r.applicant,
        r.category,
        r.department,
        r.status,
        r.colour_label,
        r.due_at,
        r.leader or None,  # "—" when nobody leads it
    ]


def overdue_table(user, area: Area, case_link: Callable[[str], str], total: int) -> Table:
    rows = selectors.overdue_cases(user, area, now=timezone.now())
    table = Table("overdue", str(OVERDUE_TITLE), overdue_columns())
    table.note = str(OVERDUE_NOTE) % {"total": total, "shown": len(rows)}
    for r in rows:
        table.add(overdue_cells(r), case_link(r.tracking_number))
    return table


OVERDUE_TITLE = _("Overdue cases")
OVERDUE_NOTE = _(
    "%(total)s open cases were past a deadline at the last refresh; the %(shown)s most urgent are listed, red first."
)


TABLE_KEYS = (
    "figures",
    "areas",
    "department",
    "category",
    "colour",
    "channel",
    "trend",
    "overdue",
    "ranking_townships",
    "ranking_villages",
)


def build_table(
    key: str,
    *,
    user,
    area: Area,
    period: Period,
    area_link: Callable[[Area], str],
    case_link: Callable[[str], str],
    figures: Figures | None = None,
    breakdowns: dict | None = None,
) -> Table:
    """One table by its key; `figures` and `breakdowns` (read once for the page) save reading them again."""
    figures = figures or selectors.area_figures(area, period)
    if key == "figures":
        # Each count opens the cases behind it (下钻).
        labels = {str(OPEN_OVERDUE_LABEL): "open_overdue"}
        return drilldown.link_headline(headline_table(figures), area, period, labels)
    if key == "areas":
        return areas_table(area, period, area_link)
    if key in DIMENSION_TITLES:
        return dimension_table(area, period, key, breakdowns.get(key) if breakdowns else None)
    if key == "trend":
        return trend_table(area, period)
    if key == "overdue":
        return overdue_table(user, area, case_link, figures.overdue)
    if key == "ranking_townships":
        return ranking_table(area, period, AreaLevel.TOWNSHIP)
    if key == "ranking_villages":
        return ranking_table(area, period, AreaLevel.VILLAGE)
    raise KeyError(key)
