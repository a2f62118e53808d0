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
from typing import Any

from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from disputes.dashboard import selectors
from disputes.dashboard.periods import Period
from disputes.statistics import LABELS, Figures, Rate
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

    def add(self, cells: list[Any], link: str | None = None) -> None:
        self.rows.append(cells)
        self.links.append(link)

    @property
    def chart_attrs(self) -> str:
        if not self.chart_bars:
            return ""
        bars = ",".join(map(str, self.chart_bars))
        rates = ",".join(map(str, self.chart_rates))
        return mark_safe(f' data-chart-bars="{bars}" data-chart-rates="{rates}"')  # noqa: S308 - integers only  # nosec B308 B703

    def tbody_html(self) -> str:
        """The rows as HTML, built here rather than in a template loop: a city's tables hold
        thousands of cells, and the template engine would spend most of the page's time on them."""
        parts = []
        for row, link in zip(self.rows, self.links, strict=True):
            first = html.escape(cell_text(row[0]))
            cells = [
                f'<th scope="row"><a href="{html.escape(link)}">{first}</a></th>'
                if link
                else f'<th scope="row">{first}</th>'
            ]
            for value in row[1:]:
                text = html.escape(cell_text(value))
                if isinstance(value, Rate):
                    cells.append(f'<td class="num">{text} <small class="fraction">({value.fraction()})</small></td>')
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    cells.append(f'<td class="num">{text}</td>')
                elif NUMBER_TEXT.fullmatch(text):
                    # Figures formatted upstream (a mean, a rate per 10,000) line up with the others.
                    cells.append(f'<td class="num">{text}</td>')
                else:
                    cells.append(f"<td>{text}</td>")
            parts.append(f"<tr>{''.join(cells)}</tr>")
        return mark_safe("\n".join(parts))  # noqa: S308 - every value above is escaped  # nosec B308 B703


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


# --- Column sets ----------------------------------------------------------------------------------------

CORE_COLUMNS = (
    (_("Cases submitted"), lambda f: f["submitted"]),
    (_("Cases concluded"), lambda f: f["concluded"]),
    (_("Cases resolved"), lambda f: f["resolved"]),
    (_("Resolution rate"), lambda f: f.resolution_rate),
    (_("Concluded on time"), lambda f: f["on_time"]),
    (_("On-time rate"), lambda f: f.on_time_rate),
    (_("Callbacks reaching a party"), lambda f: f["reached"]),
    (_("Satisfied or basically satisfied"), lambda f: f["satisfied"]),
    (_("Callback satisfaction"), lambda f: f.callback_satisfaction),
    (_("Disputes turned criminal"), lambda f: f["police"]),
)
OVERDUE_COLUMN = (_("Overdue cases now"), lambda f: f.overdue)
Column = tuple[Any, Callable[[Figures], Any]]


def _headers(first: list[str], columns: tuple[Column, ...]) -> list[str]:
    return [*first, *(str(label) for label, _ in columns)]


def _cells(figures: Figures, columns: tuple[Column, ...]) -> list[Any]:
    return [getter(figures) for _, getter in columns]


# --- The tables -----------------------------------------------------------------------------------------


def headline_table(figures: Figures) -> Table:
    """The figures the centres report, each with its numerator and denominator."""
    table = Table(
        "figures",
        str(_("Headline figures")),
        [str(_("Figure")), str(_("Value")), str(_("Numerator")), str(_("Denominator"))],
    )
    table.add([str(LABELS["submitted"]), figures["submitted"], None, None])
    for key in (
        "resolution_rate",
        "mediation_success_rate",
        "callback_satisfaction",
        "on_time_rate",
        "turned_criminal",
        "repeat_disputes",
        "reopened_share",
        "return_rate",
    ):
        rate: Rate = getattr(figures, key)
        table.add([str(LABELS[key]), rate, rate.numerator, rate.denominator])
    resolved = figures["resolved"]
    total_days = round(figures["resolve_seconds"] / 86_400, 1) if resolved else None
    table.add([str(LABELS["average_days"]), figures.average_days_display(), total_days, resolved])
    table.add([str(LABELS["median_days"]), figures.median_days_display(), None, resolved])
    table.add([str(LABELS["per_10k"]), figures.per_10k_display(), figures["submitted"], figures.population or None])
    table.add([str(LABELS["overdue"]), figures.overdue, None, None])
    return table


def areas_table(area: Area, period: Period, link: Callable[[Area], str]) -> Table:
    columns = (*CORE_COLUMNS, (_("Cases per 10,000 residents"), lambda f: f.per_10k_display()), OVERDUE_COLUMN)
    table = Table("areas", str(_("By area")), _headers([str(_("Area"))], columns), chart_bars=(1, 2), chart_rates=(4,))
    if not selectors.can_drill(area):
        table.note = str(_("Figures are kept down to villages and communities; grids are not split."))
    for child, figures in selectors.child_rows(area, period):
        table.add([child.display_name, *_cells(figures, columns)], link(child))
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
    table = Table(dimension, str(title), _headers([str(first)], columns))
    offset = 3 if dimension == "department" else 0
    table.chart_bars, table.chart_rates = (1 + offset, 2 + offset), (4 + offset,)
    if dimension == "department":
        table.note = str(DEPARTMENT_NOTE)
    for row in rows if rows is not None else selectors.dimension_rows(area, period, dimension):
        label = row.label if row.value else str(_("Not yet dispatched"))
        table.add([label, *_cells(row.figures, columns)])
    return table


def trend_table(area: Area, period: Period) -> Table:
    columns = CORE_COLUMNS
    table = Table(
        "trend",
        str(_("The last 12 months")),
        _headers([str(_("Month"))], columns),
        chart_bars=(1, 2),
        chart_rates=(4, 6, 9),
    )
    for month, figures in selectors.trend_rows(area, period):
        table.add([month.strftime("%Y-%m"), *_cells(figures, columns)])
    return table


def ranking_table(area: Area, period: Period, level: int) -> Table:
    key, title = {
        AreaLevel.TOWNSHIP: ("ranking_townships", _("Ranking of townships and streets by on-time rate")),
        AreaLevel.VILLAGE: ("ranking_villages", _("Ranking of villages and communities by on-time rate")),
    }[level]
    columns = (
        (_("Cases concluded"), lambda f: f["concluded"]),
        (_("Concluded on time"), lambda f: f["on_time"]),
        (_("On-time rate"), lambda f: f.on_time_rate),
        (_("Resolution rate"), lambda f: f.resolution_rate),
    )
    table = Table(key, str(title), _headers([str(_("Rank")), str(_("Area"))], columns))
    table.note = str(_("Month ranked: %(month)s. Areas with no concluded case are not ranked.")) % {
        "month": period.ranking_month().strftime("%Y-%m")
    }
    for row in selectors.ranking_rows(area, period, level):
        table.add([row.rank, row.area.display_name, *_cells(row.figures, columns)])
    return table


def overdue_table(user, area: Area, case_link: Callable[[str], str], total: int) -> Table:
    rows = selectors.overdue_cases(user, area, now=timezone.now())
    table = Table(
        "overdue",
        str(_("Overdue cases")),
        [
            str(_("Tracking number")),
            str(_("Applicant")),
            str(_("Category")),
            str(_("Lead department")),
            str(_("Status")),
            str(_("Colour")),
            str(_("Due at")),
            str(_("Leader in charge")),
        ],
    )
    table.note = str(OVERDUE_NOTE) % {"total": total, "shown": len(rows)}
    for r in rows:
        table.add(
            [
                r.tracking_number_display,
                r.applicant,
                r.category,
                r.department,
                r.status,
                r.colour_label,
                r.due_at,
                r.leader or None,  # "—" when nobody leads it
            ],
            case_link(r.tracking_number),
        )
    return table


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
        return headline_table(figures)
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
