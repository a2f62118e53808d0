"""下钻: the cases behind each count the dashboard shows, by the same definition and date as the rollups.

`cases_behind(user, area, period, measure, dimension, value)` is the queryset of
exactly the cases a count of `disputes.dashboard.rollups` adds up, within the
reader's visibility (`disputes_visible_to`) and the area (its path and below):
each measure is filtered on the date of its own event (local days, as the rollups
write them) and on the case's current state, as `disputes.statistics` defines
it. The conditions are built from the rollup module's own constants (which
outcomes are concluded, resolved, which callback verdicts reached a party), so
the two cannot drift apart on what an outcome means; the oracle test
(tests/disputes/dashboard/test_drilldown.py) compares every measure's list with
the rollup's count after `rebuild_all`.

Two measures count events rather than cases: 派单 (dispatched: a dispatch or a
transfer) and 退回 (returned). A case sent twice in a period is listed once;
`count_behind` gives the number as the rollup counts it. In the department
breakdown both follow the department the case was sent to (the event's), the
other measures the case's lead department.

`rollup_count` reads the same number from the rollup table (the figure on the
dashboard), so the case list says "共N件" without counting a million rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from django.core import signing
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.masking import mask_name
from disputes.dashboard import rollups
from disputes.dashboard.periods import Period, add_months, month_period, month_start
from disputes.dashboard.selectors import can_drill, dimension_labels
from disputes.models import CaseEvent, Deadline, Dispute, DisputeRollup, Party, RoutingReturn
from disputes.rules.enums import OPEN_STATUSES, Colour, Outcome, PartyRole, Status
from disputes.selectors import disputes_visible_to
from disputes.selectors.access import cases_worked_by
from disputes.selectors.withdrawal import local_midnight
from disputes.statistics import COUNT_FIELDS, LABELS, STATE_FIELDS, Figures, Rate
from grids.models import Area

# What each drillable measure is called on the case list's title ("西湖区 2026-11 在办 19件").
MEASURE_LABELS = {
    "submitted": pgettext_lazy("drill-down measure", "Submitted"),
    "registered": pgettext_lazy("drill-down measure", "Registered"),
    "registered_resolved": pgettext_lazy("drill-down measure", "Registered and resolved"),
    "registered_open": pgettext_lazy("drill-down measure", "Still being worked"),
    "concluded": pgettext_lazy("drill-down measure", "Concluded"),
    "resolved": pgettext_lazy("drill-down measure", "Resolved"),
    "agreement": pgettext_lazy("drill-down measure", "Written agreement"),
    "oral_agreement": pgettext_lazy("drill-down measure", "Oral agreement"),
    "litigation": pgettext_lazy("drill-down measure", "Referred to litigation"),
    "police": pgettext_lazy("drill-down measure", "Referred to the police"),
    "on_time": pgettext_lazy("drill-down measure", "Concluded on time"),
    "reopened": pgettext_lazy("drill-down measure", "Reopened"),
    "reached": pgettext_lazy("drill-down measure", "Callback reached a party"),
    "satisfied": pgettext_lazy("drill-down measure", "Satisfied"),
    "unreachable": pgettext_lazy("drill-down measure", "Callback unreachable"),
    "closed": pgettext_lazy("drill-down measure", "Closed"),
    "withdrawn": pgettext_lazy("drill-down measure", "Withdrawn"),
    "repeat": pgettext_lazy("drill-down measure", "Repeat disputes"),
    "dispatched": pgettext_lazy("drill-down measure", "Dispatched"),
    "returned": pgettext_lazy("drill-down measure", "Returned"),
    "overdue": pgettext_lazy("drill-down measure", "Overdue now"),
    "open_overdue": pgettext_lazy("drill-down measure", "Open and overdue at the period's end"),
}
MEASURES = tuple(MEASURE_LABELS)
DIMENSION_FIELDS = {
    "department": "lead_department_id",
    "category": "category_id",
    "colour": "colour",
    "channel": "channel",
}
DIMENSIONS = tuple(DIMENSION_FIELDS)

# The date each measure is counted by (None: a state, not an event of the period).
SUBMISSION = ("submitted", "repeat", "registered", "registered_resolved", "registered_open")
REPORT_BACK = (
    "concluded",
    "resolved",
    "agreement",
    "oral_agreement",
    "litigation",
    "police",
    "on_time",
    "reopened",
    "reached",
    "satisfied",
    "unreachable",
)
CLOSING = ("closed", "withdrawn")
EVENTS = ("dispatched", "returned")
STATES = ("overdue", "open_overdue")


def order_field(measure: str) -> str:
    """The date the list is ordered by (newest first): the measure's own, the submission for the rest."""
    if measure in REPORT_BACK:
        return "reported_at"
    if measure in CLOSING:
        return "closed_at"
    if measure in STATES:
        return "next_due_at"
    return "submitted_at"


def _resolved() -> tuple[str, ...]:
    # Oral agreements are resolved (People's Mediation Law art. 28) however the rollup module spells it.
    return tuple(dict.fromkeys((*rollups.RESOLVED, Outcome.ORAL_AGREEMENT)))


def _concluded() -> tuple[str, ...]:
    return tuple(dict.fromkeys((*rollups.CONCLUDED, Outcome.ORAL_AGREEMENT)))


def _registered() -> Q:
    """受理: a submitted case, less those withdrawn by the parties and duplicates merged into an earlier case."""
    return ~Q(outcome=Outcome.WITHDRAWN) & ~Q(status="withdrawn")


def _late_deadline() -> Exists:
    return Exists(
        Deadline.objects.filter(
            dispute=OuterRef("pk"), kind="resolve", cancelled_at__isnull=True, done_at__gt=F("due_at")
        )
    )


def _open_overdue_at(moment: datetime) -> Q:
    """按期办结率's open part at `moment` (as `rollups._states_sql`): a resolve deadline due before it that
    was neither done nor cancelled before it, nor paused when it fell due."""
    late = Deadline.objects.filter(
        Q(done_at__isnull=True) | Q(done_at__gte=moment),
        Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=moment),
        Q(paused_at__isnull=True) | Q(paused_at__gt=moment) | Q(paused_at__gt=F("due_at")),
        Q(done_at__isnull=True) | Q(done_at__gt=F("due_at")),
        Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=F("due_at")),
        kind="resolve",
        due_at__lt=moment,
    )
    # The few cases late at that moment, read first (their deadlines), then the area's among them: a
    # semi-join the planner would run as a probe per case of the area, newest first, instead.
    return Q(pk__in=sorted(set(late.values_list("dispute_id", flat=True))))


def _measure_q(measure: str, start: datetime, end: datetime, now: datetime) -> Q:
    concluded = Q(outcome__in=_concluded())
    if measure in SUBMISSION:
        q = Q(submitted_at__gte=start, submitted_at__lt=end)
        extra = {
            "submitted": Q(),
            "repeat": Q(*[Q(reasons_text__contains=rule) for rule in rollups.REPEAT_RULES], _connector=Q.OR),
            "registered": _registered(),
            "registered_resolved": _registered() & Q(outcome__in=_resolved()),
            "registered_open": _registered() & Q(status__in=OPEN_STATUSES),
        }[measure]
        return q & extra
    if measure in REPORT_BACK:
        q = Q(reported_at__gte=start, reported_at__lt=end)
        extra = {
            "concluded": concluded,
            "resolved": Q(outcome__in=_resolved()),
            "agreement": Q(outcome=Outcome.AGREEMENT),
            "oral_agreement": Q(outcome=Outcome.ORAL_AGREEMENT),
            "litigation": Q(outcome=Outcome.LITIGATION),
            "police": Q(outcome=Outcome.POLICE),
            "on_time": concluded & ~Q(_late_deadline()),
            "reopened": concluded & Q(reopened_count__gt=0),
            "reached": Q(callback_result__in=rollups.REACHED),
            "satisfied": Q(callback_result__in=rollups.SATISFIED),
            "unreachable": Q(callback_result="unreachable"),
        }[measure]
        return q & extra
    if measure in CLOSING:
        q = Q(closed_at__gte=start, closed_at__lt=end)
        if measure == "withdrawn":
            q &= Q(outcome=Outcome.WITHDRAWN, duplicate_of__isnull=True)
        return q
    if measure == "overdue":
        return Q(status__in=OPEN_STATUSES, next_due_at__lt=now)
    if measure == "open_overdue":
        return _open_overdue_at(min(end, now))
    raise KeyError(measure)


def _events(measure: str, start: datetime, end: datetime, dimension: str | None, value: str | None) -> QuerySet:
    """The dispatch/transfer events or the returns of the period (to the department `value`, in its breakdown)."""
    if measure == "dispatched":
        events: QuerySet = CaseEvent.objects.filter(
            at__gte=start, at__lt=end, kind="transition", action__in=("dispatch", "transfer")
        )
        if dimension == "department":
            # The department sent to, as the rollup reads it (an integer in the event's data; none: "").
            if value and value.isdigit():
                events = events.filter(data__department=int(value))
            else:
                events = events.filter(Q(data__department__isnull=True) | Q(data__department=None))
        return events
    returns: QuerySet = RoutingReturn.objects.filter(at__gte=start, at__lt=end)
    if dimension == "department":
        returns = returns.filter(department_id=int(value)) if value and value.isdigit() else returns.none()
    return returns


def _dimension_q(dimension: str | None, value: str | None) -> Q:
    if not dimension or dimension == "all":
        return Q()
    field = DIMENSION_FIELDS[dimension]
    if dimension == "department" and not value:
        return Q(lead_department__isnull=True)  # 尚未派单
    if field.endswith("_id") or dimension == "colour":
        if not value or not value.lstrip("-").isdigit():
            return Q(pk__in=[])
        return Q(**{field: int(value)})
    return Q(**{field: value})


def _bounds(period: Period) -> tuple[datetime, datetime]:
    return local_midnight(period.start), local_midnight(period.end)


def cases_behind(
    user,
    area: Area,
    period: Period,
    measure: str,
    dimension: str | None = None,
    value: str | None = None,
    *,
    now: datetime | None = None,
) -> QuerySet[Dispute]:
    """The cases the dashboard counts under `measure` for the area (and below), period and breakdown value.

    Only cases the user may see. `now` fixes the moment of the "overdue now" measure (default: now).
    Unordered: the caller orders (the list by `order_field(measure)`, newest first).
    """
    if measure not in MEASURE_LABELS:
        raise KeyError(measure)
    if dimension and dimension != "all" and dimension not in DIMENSION_FIELDS:
        raise KeyError(dimension)
    now = now or timezone.now()
    start, end = _bounds(period)
    qs = disputes_visible_to(user).filter(area_path__startswith=area.path)
    if measure == "repeat":
        qs = qs.annotate(reasons_text=Cast("triage_reasons", TextField()))
    if measure in EVENTS:
        events = _events(measure, start, end, dimension, value).filter(dispute=OuterRef("pk"))
        # A case is sent on only after it was submitted: the bound lets the list walk the submission index
        # from the period's end instead of probing the cases submitted since.
        qs = qs.filter(Exists(events), submitted_at__lt=end)
        if dimension != "department":
            qs = qs.filter(_dimension_q(dimension, value))
        return qs
    return qs.filter(_measure_q(measure, start, end, now), _dimension_q(dimension, value))


def count_behind(
    user,
    area: Area,
    period: Period,
    measure: str,
    dimension: str | None = None,
    value: str | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """The number as the rollup counts it: cases, or for dispatched/returned the events of those cases."""
    cases = cases_behind(user, area, period, measure, dimension, value, now=now)
    if measure not in EVENTS:
        return cases.count()
    start, end = _bounds(period)
    return _events(measure, start, end, dimension, value).filter(dispute__in=cases.values("pk")).count()


def _rollup_q(area: Area, period: Period) -> Q:
    """Whole months from the month rows of exactly the area's path; the edges from the day rows below it."""
    months, day_ranges = period.segments()
    q = Q(pk__in=[])
    if months:
        q |= Q(grain=DisputeRollup.Grain.MONTH, day__in=months, area_path=area.path)
    for first, last in day_ranges:
        q |= Q(grain=DisputeRollup.Grain.DAY, day__gte=first, day__lt=last, area_path__startswith=area.path)
    return q


def rollup_count(area: Area, period: Period, measure: str, dimension: str | None = None, value: str | None = None):
    """The dashboard's figure for the measure (from the rollup table), or None when the rollups hold none."""
    dimension = dimension or "all"
    rows = DisputeRollup.objects.filter(dimension=dimension)
    if dimension != "all":
        rows = rows.filter(value=value or "")
    if measure == "overdue":
        rows = rows.filter(grain=DisputeRollup.Grain.NOW, area_path__startswith=area.path)
        return rows.aggregate(n=Sum("overdue"))["n"] or 0
    if measure == "open_overdue":
        return _open_overdue_count(rows, area, period)
    return rows.filter(_rollup_q(area, period)).aggregate(n=Sum(measure))["n"] or 0


def _open_overdue_count(rows: QuerySet, area: Area, period: Period) -> int | None:
    """A state at the period's end, never a sum over days: the row of the period's last month (its end, or
    the last refresh for the month in progress) when the period ends with a whole month; the NOW rows when
    it ends after today; None otherwise (the rollups keep no state at a day inside a past month)."""
    last_month = month_start(period.last_day)
    if period.end == add_months(last_month, 1):
        found = rows.filter(grain=DisputeRollup.Grain.MONTH, day=last_month, area_path=area.path)
    elif period.end > timezone.localdate():
        found = rows.filter(grain=DisputeRollup.Grain.NOW, area_path__startswith=area.path)
    else:
        return None
    return found.aggregate(n=Sum("open_overdue"))["n"] or 0


def _path(name: str, code: str) -> str:
    return reverse(name, args=[code])


def cases_url(area: Area, period: Period, measure: str, dimension: str | None = None, value: str | None = None) -> str:
    """The staff page listing the cases behind a count (`disputes:dashboard_cases`)."""
    params = {"measure": measure, **period.query()}
    if dimension and dimension != "all":
        params["dimension"] = dimension
        params["value"] = value or ""
    return f"{_path('disputes:dashboard_cases', area.code)}?{urlencode(params)}"


def dimension_url(area: Area, period: Period, dimension: str, value: str | None) -> str:
    """The dashboard's areas and months narrowed to one department, category, colour or channel."""
    params = {"dimension": dimension, "value": value or "", **period.query()}
    return f"{_path('disputes:dashboard_dimension', area.code)}?{urlencode(params)}"


def month_url(area: Area, month: date) -> str:
    """The dashboard of the area for one month (a trend row opens its month)."""
    return f"{_path('disputes:dashboard_area', area.code)}?{urlencode(month_period(month).query())}"


def is_drillable(measure: str) -> bool:
    return measure in MEASURE_LABELS


# --- Which count a dashboard column shows ------------------------------------------------------------


def _probe_names() -> tuple[str, ...]:

    return (*COUNT_FIELDS, *STATE_FIELDS)


_OVERDUE_PROBE = -7_919  # no sum of the probe's counts is negative


def _single(number: int) -> str | None:
    """The count a probe value stands for when it is exactly one of them (a power of two)."""
    if number == _OVERDUE_PROBE:
        return "overdue"
    if number <= 0 or number & (number - 1):
        return None
    names = _probe_names()
    index = number.bit_length() - 1
    name = names[index] if index < len(names) else None
    return name if name in MEASURE_LABELS else None


@lru_cache(maxsize=1024)
def measure_of(getter: Callable) -> str | None:
    """The drillable count a table column (a getter of `Figures`) shows, or None (a mean, a label).

    The column is asked for its value on a probe whose counts are distinct powers of two: a value that
    is exactly one of them is that count (f["submitted"], f.in_progress, f.referred_to_police ...); the
    probe's overdue marker is the overdue count; a rate stands for its numerator when that is one
    count (the fraction's numerator links to its cases). Anything else is not one case list.
    """

    probe = Figures({name: 1 << i for i, name in enumerate(_probe_names())}, 0, _OVERDUE_PROBE)
    try:
        result = getter(probe)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError, ArithmeticError):
        return None
    if isinstance(result, Rate):
        return _single(result.numerator)
    if isinstance(result, bool) or not isinstance(result, int):
        return None
    return _single(result)


def row_links(columns, offset: int, figures, url: Callable[[str], str]) -> dict[int, str]:
    """{cell index: URL} for a table row's cells that show a drillable count, where that count is not zero.

    `columns` are (label, getter) pairs as in `disputes.dashboard.tables`, shown from cell `offset` on;
    `url(measure)` builds the link (`cases_url` with the row's area, period and breakdown value).
    """
    links = {}
    for index, (_label, getter) in enumerate(columns, start=offset):
        measure = measure_of(getter)
        if measure is None:
            continue
        number = figures.overdue if measure == "overdue" else figures.counts.get(measure, 0)
        if number:
            links[index] = url(measure)
    return links


@dataclass(frozen=True)
class Behind:
    """What one count is, for the case list's title."""

    area: Area
    period: Period
    measure: str
    dimension: str | None
    value: str | None
    value_label: str
    total: int | None

    @property
    def measure_label(self) -> str:
        return str(MEASURE_LABELS[self.measure])


NOT_DISPATCHED = _("Not yet dispatched")


# --- The case list behind a number ------------------------------------------------------------------

PAGE_SIZE = 50
CURSOR_SALT = "disputes.dashboard.drilldown.cursor"


@dataclass(frozen=True)
class CaseRow:
    tracking_number: str
    tracking_number_display: str
    submitted_at: datetime
    category: str
    colour: int
    colour_label: str
    status: str
    department: str
    applicant: str  # masked unless the reader works the case


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_cursor: str | None


def ordering(measure: str) -> tuple[str, bool]:
    """(field, descending): the list's keyset order, newest event first; the overdue, most overdue first."""
    if measure == "overdue":
        return "next_due_at", False
    if measure in REPORT_BACK:
        return "reported_at", True
    if measure in CLOSING:
        return "closed_at", True
    return "submitted_at", True


def _cursor_of(moment: datetime, pk: int) -> str:
    return signing.dumps([moment.isoformat(), pk], salt=CURSOR_SALT)


def _decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        moment, pk = signing.loads(cursor, salt=CURSOR_SALT)
        return datetime.fromisoformat(moment), int(pk)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def cursor_is_valid(cursor: str) -> bool:
    """Whether a cursor is one `case_page` handed out (the API answers any other with 400)."""
    return _decode_cursor(cursor) is not None


def case_page(user, cases: QuerySet[Dispute], measure: str, cursor: str | None = None, size: int | None = None):
    """One page of `cases` in the measure's keyset order, after `cursor`: two queries, no COUNT.

    The applicant's name is in clear only where the reader works the case (`cases_worked_by`).
    """
    size = size or PAGE_SIZE
    field, descending = ordering(measure)
    position = _decode_cursor(cursor) if cursor else None
    if position is not None:
        moment, pk = position
        if descending:
            cases = cases.filter(Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "pk__lt": pk}))
        else:
            cases = cases.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
    order = (f"-{field}", "-pk") if descending else (field, "pk")
    worked = cases_worked_by(user)
    if worked is not None:
        cases = cases.annotate(works=ExpressionWrapper(worked, output_field=BooleanField()))
    found = list(
        cases.select_related("category", "lead_department")
        .only(
            "tracking_number",
            "submitted_at",
            "reported_at",
            "closed_at",
            "next_due_at",
            "status",
            "colour",
            "category__name",
            "category__name_en",
            "lead_department__name",
            "lead_department__name_en",
        )
        .order_by(*order)[: size + 1]
    )
    more = len(found) > size
    found = found[:size]
    names: dict[int, str] = {}
    for dispute_id, name in (
        Party.objects.filter(dispute_id__in=[c.pk for c in found], role=PartyRole.APPLICANT)
        .order_by("dispute_id", "pk")
        .values_list("dispute_id", "name")
    ):
        names.setdefault(dispute_id, name)
    rows = []
    for case in found:
        name = names.get(case.pk, "")
        clear = worked is None or bool(getattr(case, "works", False))
        rows.append(
            CaseRow(
                tracking_number=case.tracking_number,
                tracking_number_display=case.tracking_number_display,
                submitted_at=case.submitted_at,
                category=case.category.display_name,
                colour=case.colour,
                colour_label=str(Colour(case.colour).label),
                status=str(Status(case.status).label),
                department=case.lead_department.display_name if case.lead_department else "",
                applicant=name if clear else mask_name(name),
            )
        )
    next_cursor = None
    if more and found:
        last = found[-1]
        next_cursor = _cursor_of(getattr(last, field), last.pk)
    return CasePage(rows, next_cursor)


def dimension_label(dimension: str | None, value: str | None) -> str:
    """How a breakdown value reads ("婚姻家庭", "红色", a department's name); "" for none."""
    if not dimension or dimension == "all":
        return ""
    if dimension == "department" and not value:
        return str(NOT_DISPATCHED)
    return dimension_labels(dimension, [value or ""]).get(value or "", value or "—")


# --- One breakdown value by area and by month (a department, category, colour or channel drilled into) ----


def _sums() -> dict:

    return {name: Sum(name) for name in COUNT_FIELDS}


def _figures(row: Any, population: int = 0, overdue: int = 0) -> Figures:

    counts = {name: (row or {}).get(name) or 0 for name in (*COUNT_FIELDS, *STATE_FIELDS)}
    return Figures(counts, population, overdue)


def value_child_rows(area: Area, period: Period, dimension: str, value: str | None) -> list[tuple[Area, Figures]]:
    """The area's children with their figures for one breakdown value (zeros where nothing happened)."""
    if not can_drill(area):
        return []
    length = len(area.path) + Area.steplen
    children = list(Area.objects.get_children(area).order_by("path"))
    rows = DisputeRollup.objects.filter(dimension=dimension, value=value or "")
    months, day_ranges = period.segments()
    q = Q(pk__in=[])
    if months:
        q |= Q(grain=DisputeRollup.Grain.MONTH, day__in=months, area_path__in=[c.path for c in children])
    for first, last in day_ranges:
        q |= Q(grain=DisputeRollup.Grain.DAY, day__gte=first, day__lt=last, area_path__startswith=area.path)
    grouped = {
        row["prefix"]: row
        for row in rows.filter(q)
        .annotate(prefix=Substr("area_path", 1, length))
        .values("prefix")
        .annotate(**_sums())
        .order_by()
    }
    overdue = dict(
        rows.filter(grain=DisputeRollup.Grain.NOW, area_path__startswith=area.path)
        .annotate(prefix=Substr("area_path", 1, length))
        .values("prefix")
        .annotate(n=Sum("overdue"))
        .order_by()
        .values_list("prefix", "n")
    )
    return [(c, _figures(grouped.get(c.path), c.population, overdue.get(c.path) or 0)) for c in children]


def value_trend_rows(area: Area, period: Period, dimension: str, value: str | None) -> list[tuple[date, Figures]]:
    """The 12 months ending with the period's last month, for one breakdown value (month rows)."""
    wanted = period.trend_months(12)
    grouped = {
        row["day"]: row
        for row in DisputeRollup.objects.filter(
            dimension=dimension,
            value=value or "",
            grain=DisputeRollup.Grain.MONTH,
            day__in=wanted,
            area_path=area.path,
        )
        .values("day")
        .annotate(**_sums())
        .order_by()
    }
    return [(month, _figures(grouped.get(month))) for month in wanted]


class Links:
    """The case lists behind the counts of one area and period, for a template: `{{ drill.registered_open }}`.

    Built on access; a name that is not a drillable count is missing (the template shows nothing).
    """

    def __init__(self, area: Area, period: Period, dimension: str | None = None, value: str | None = None) -> None:
        self.area, self.period, self.dimension, self.value = area, period, dimension, value

    def __getitem__(self, measure: str) -> str:
        if measure not in MEASURE_LABELS:
            raise KeyError(measure)
        return cases_url(self.area, self.period, measure, self.dimension, self.value)

    def __contains__(self, measure: object) -> bool:
        return measure in MEASURE_LABELS


@lru_cache(maxsize=64)
def _figure_measures(key: str) -> tuple[str | None, str | None]:
    """(the count a headline figure shows or its rate's numerator counts, its denominator's count), by probe."""
    probe = Figures({name: 1 << i for i, name in enumerate(_probe_names())}, 0, _OVERDUE_PROBE)
    try:
        value = probe[key] if key in probe.counts else getattr(probe, key)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError, ArithmeticError):
        return None, None
    if isinstance(value, Rate):
        return _single(value.numerator), _single(value.denominator)
    if isinstance(value, int) and not isinstance(value, bool):
        return _single(value), None
    return None, None


def link_headline(table, area: Area, period: Period, labels: dict[str, str] | None = None):
    """Links the headline table's counts (value, numerator, denominator) to their case lists; returns it.

    The rows are found by their label (`statistics.LABELS`, or `labels`: {label: figure key} for rows
    labelled otherwise); a figure whose count is not one case list (a mean, a rate of parties) stays
    plain. Zero counts are not linked.
    """
    keys = {str(label): key for key, label in LABELS.items()}
    keys.update(labels or {})
    links = Links(area, period)
    for row, cell_links in zip(table.rows, table.cell_links, strict=True):
        key = keys.get(str(row[0]))
        if key is None:
            continue
        numerator, denominator = _figure_measures(key)
        value = row[1] if len(row) > 1 else None
        if numerator and isinstance(value, Rate):
            if value.numerator:
                cell_links[1] = links[numerator]
            if len(row) > 2 and row[2]:
                cell_links[2] = links[numerator]
        elif numerator and isinstance(value, int) and value:
            cell_links[1] = links[numerator]
        if denominator and len(row) > 3 and row[3]:
            cell_links[3] = links[denominator]
    return table
