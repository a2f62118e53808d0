"""The dashboard's reads: figures from the rollup table only, plus one indexed query for the overdue list.

Jurisdiction: a supervisor sees their area and the areas below it; admins (and
superusers) the whole tree; everyone else nothing (`dashboard_home_area`
returns None and the page answers 403). An area outside the user's answers
404 (`dashboard_area`), so its existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connections, router, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.masking import mask_name
from disputes.dashboard.periods import Period, month_start
from disputes.dashboard.ranking import RANKING_LEVELS, RankRow, ranking_rows  # noqa: F401 - 排名通报, re-exported
from disputes.dashboard.rollups import village_path_length
from disputes.models import Category, Dispute, DisputeRollup, JudicialConfirmation, Party
from disputes.rules.enums import OPEN_STATUSES, Channel, Colour, PartyRole, Status, WithdrawalVia
from disputes.selectors import disputes_visible_to, staff_profile
from disputes.selectors.queue import DueKey
from disputes.selectors.withdrawal import WITHDRAWN_LIST_LIMIT, approved_requests, withdrawn_in_period
from disputes.statistics import COUNT_FIELDS, STATE_FIELDS, Figures
from grids.models import Area, Department, Role

DASHBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
OVERDUE_LIMIT = 50
SUMS = {name: Sum(name) for name in COUNT_FIELDS}
STATE_SUMS = {name: Sum(name) for name in STATE_FIELDS}


def _counts(row: dict) -> dict:
    return {name: row.get(name) or 0 for name in (*COUNT_FIELDS, *STATE_FIELDS)}


# --- Jurisdiction ---------------------------------------------------------------------------------------


def dashboard_home_area(user) -> Area | None:
    """The area a user's dashboard opens on: a supervisor's own, the top of the tree for admins; else None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    profile = staff_profile(user)
    if user.is_superuser or (profile is not None and profile.role == Role.ADMIN):
        return Area.objects.get_first_root_node()
    if profile is not None and profile.role == Role.SUPERVISOR:
        return profile.area
    return None


def dashboard_area(user, code: str | None) -> Area:
    """The area `code` if the user may see it (their area or below); Http404 otherwise."""
    home = dashboard_home_area(user)
    if home is None:
        raise Http404
    if not code:
        return home
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise Http404
    is_admin = user.is_superuser or getattr(staff_profile(user), "role", None) == Role.ADMIN
    if not is_admin and not area.path.startswith(home.path):
        raise Http404
    return area


def area_trail(area: Area, home: Area) -> list[Area]:
    """The breadcrumb from the user's home area down to `area`."""
    ancestors = [a for a in Area.objects.get_ancestors(area) if a.path.startswith(home.path)] if area != home else []
    return [*ancestors, area]


# --- Rollup reads -------------------------------------------------------------------------------------


def _period_q(period: Period, month_paths: list[str], area_path: str) -> Q:
    """Whole months from the month rows of exactly `month_paths`; the edges from the day rows under `area_path`."""
    months, day_ranges = period.segments()
    q = Q(pk__in=[])
    if months:
        paths = {"area_path": month_paths[0]} if len(month_paths) == 1 else {"area_path__in": month_paths}
        q |= Q(grain=DisputeRollup.Grain.MONTH, day__in=months, **paths)
    for start, end in day_ranges:
        q |= Q(grain=DisputeRollup.Grain.DAY, day__gte=start, day__lt=end, area_path__startswith=area_path)
    return q


def _rollups(area_path: str, period: Period, dimension: str = "all", month_paths=None) -> QuerySet[DisputeRollup]:
    return DisputeRollup.objects.filter(_period_q(period, month_paths or [area_path], area_path), dimension=dimension)


def _now_rows(area_path: str, dimension: str = "all") -> QuerySet[DisputeRollup]:
    return DisputeRollup.objects.filter(
        grain=DisputeRollup.Grain.NOW, dimension=dimension, area_path__startswith=area_path
    )


def state_rows(area_path: str, period: Period, month_paths=None) -> QuerySet[DisputeRollup]:
    """Where a period's states (statistics.STATE_FIELDS: open_overdue) are read, never summed over days:
    the NOW rows under `area_path` for a period that has not ended (it ends today or later), else the
    month rows (of exactly `month_paths`, default the area's own) of the period's last month, which hold
    the state at that month's end. A custom range ending inside a past month reads that month's end."""
    if ongoing(period):
        return DisputeRollup.objects.filter(grain=DisputeRollup.Grain.NOW, area_path__startswith=area_path)
    paths = month_paths or [area_path]
    return DisputeRollup.objects.filter(
        grain=DisputeRollup.Grain.MONTH, day=month_start(period.last_day), area_path__in=paths
    )


def ongoing(period: Period) -> bool:
    """Whether the period has not ended: its states are read from the NOW rows (with the overdue count)."""
    return period.end > timezone.localdate()


def _states(area_path: str, period: Period) -> dict:
    return _counts(state_rows(area_path, period).filter(dimension="all").aggregate(**STATE_SUMS))


def _with_states(counts: dict, states: dict) -> dict:
    return {**counts, **{name: states.get(name) or 0 for name in STATE_FIELDS}}


def area_figures(area: Area, period: Period) -> Figures:
    """The headline figures of an area (and below) over a period, and its overdue cases now."""
    now = _now_rows(area.path).aggregate(n=Sum("overdue"), **(STATE_SUMS if ongoing(period) else {}))
    states = now if ongoing(period) else _states(area.path, period)
    counts = _with_states(_counts(_rollups(area.path, period).aggregate(**SUMS)), states)
    return Figures(counts, area.population, now["n"] or 0)


def figures_for_path(area_path: str, period: Period, population: int = 0) -> Figures:
    counts = _with_states(_counts(_rollups(area_path, period).aggregate(**SUMS)), _states(area_path, period))
    return Figures(counts, population)


def can_drill(area: Area) -> bool:
    """Rollups go down to villages: a village's grids are not split."""
    return len(area.path) < village_path_length()


def child_rows(area: Area, period: Period) -> list[tuple[Area, Figures]]:
    """One row per child area (every child, with zeros where nothing happened), in tree order."""
    if not can_drill(area):
        return []
    length = len(area.path) + Area.steplen
    children = list(Area.objects.get_children(area).order_by("path"))
    grouped = {
        row["prefix"]: _counts(row)
        for row in _rollups(area.path, period, month_paths=[c.path for c in children] or [area.path + "-"])
        .annotate(prefix=Substr("area_path", 1, length))
        .values("prefix")
        .annotate(**SUMS)
        .order_by()
    }
    now_rows = {
        row["prefix"]: row
        for row in _now_rows(area.path)
        .annotate(prefix=Substr("area_path", 1, length))
        .values("prefix")
        .annotate(n=Sum("overdue"), **(STATE_SUMS if ongoing(period) else {}))
        .order_by()
    }
    overdue = {prefix: row["n"] for prefix, row in now_rows.items()}
    states = (
        now_rows
        if ongoing(period)
        else {
            row["prefix"]: row
            for row in state_rows(area.path, period, month_paths=[c.path for c in children] or [area.path + "-"])
            .filter(dimension="all")
            .annotate(prefix=Substr("area_path", 1, length))
            .values("prefix")
            .annotate(**STATE_SUMS)
            .order_by()
        }
    )
    return [
        (
            child,
            Figures(
                _with_states(grouped.get(child.path) or Figures.empty().counts, states.get(child.path, {})),
                child.population,
                overdue.get(child.path, 0),
            ),
        )
        for child in children
    ]


def dimension_labels(dimension: str, values: list[str]) -> dict[str, str]:
    if dimension == "department":
        ids = [int(v) for v in values if v.isdigit()]
        return {str(d.pk): d.display_name for d in Department.objects.filter(pk__in=ids)}
    if dimension == "category":
        ids = [int(v) for v in values if v.isdigit()]
        return {str(c.pk): c.display_name for c in Category.objects.filter(pk__in=ids)}
    if dimension == "colour":
        return {v: str(Colour(int(v)).label) for v in values if v.isdigit() and int(v) in Colour.values}
    if dimension == "channel":
        return {v: str(Channel(v).label) for v in values if v in Channel.values}
    return {}


@dataclass(frozen=True)
class DimensionRow:
    value: str
    label: str
    figures: Figures


BREAKDOWNS = ("department", "category", "colour", "channel")


def breakdown_rows(area: Area, period: Period, dimensions=BREAKDOWNS) -> dict[str, list[DimensionRow]]:
    """Rows by lead department, category, colour and channel (two queries for all four, three for a period
    that has ended: its states); most cases first."""
    dimensions = tuple(dimensions)
    rows: dict[str, dict[str, dict]] = {d: {} for d in dimensions}
    period_rows = (
        DisputeRollup.objects.filter(_period_q(period, [area.path], area.path), dimension__in=dimensions)
        .values("dimension", "value")
        .annotate(**SUMS)
        .order_by()
    )
    for row in period_rows:
        rows[row["dimension"]][row["value"]] = _counts(row)
    now_rows = list(
        DisputeRollup.objects.filter(
            grain=DisputeRollup.Grain.NOW, dimension__in=dimensions, area_path__startswith=area.path
        )
        .values("dimension", "value")
        .annotate(n=Sum("overdue"), **(STATE_SUMS if ongoing(period) else {}))
        .order_by()
    )
    overdue: dict[tuple[str, str], int] = {(row["dimension"], row["value"]): row["n"] or 0 for row in now_rows}
    for (dimension, value), n in overdue.items():
        if n:
            rows[dimension].setdefault(value, Figures.empty().counts)
    # The period's states: from the NOW rows just read, or its last month's rows.
    state_source = (
        now_rows
        if ongoing(period)
        else state_rows(area.path, period)
        .filter(dimension__in=dimensions)
        .values("dimension", "value")
        .annotate(**STATE_SUMS)
        .order_by()
    )
    for row in state_source:
        states = {name: row[name] or 0 for name in STATE_FIELDS}
        if any(states.values()):
            counts = rows[row["dimension"]].setdefault(row["value"], Figures.empty().counts)
            counts.update(states)
    result = {}
    for dimension, by_value in rows.items():
        labels = dimension_labels(dimension, list(by_value))
        items = [
            DimensionRow(value, labels.get(value, value or "—"), Figures(counts, 0, overdue.get((dimension, value), 0)))
            for value, counts in by_value.items()
        ]
        if dimension == "colour":
            items.sort(key=lambda r: int(r.value) if r.value.isdigit() else 99)
        else:
            items.sort(key=lambda r: (-r.figures["submitted"], -r.figures["dispatched"], r.label))
        result[dimension] = items
    return result


def dimension_rows(area: Area, period: Period, dimension: str) -> list[DimensionRow]:
    """Rows of one breakdown (see `breakdown_rows`)."""
    return breakdown_rows(area, period, (dimension,))[dimension]


def trend_rows(area: Area, period: Period, months: int = 12) -> list[tuple[date, Figures]]:
    """The 12 months ending with the period's last month, from the month rows."""
    wanted = period.trend_months(months)
    grouped = {
        row["day"]: _counts(row)
        for row in DisputeRollup.objects.filter(
            dimension="all", grain=DisputeRollup.Grain.MONTH, day__in=wanted, area_path=area.path
        )
        .values("day")
        .annotate(**SUMS, **STATE_SUMS)
        .order_by()
    }
    return [(month, Figures(grouped.get(month) or Figures.empty().counts, area.population)) for month in wanted]


# --- The overdue list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueRow:
    tracking_number: str
    tracking_number_display: str
    applicant: str  # masked
    category: str
    department: str
    status: str
    colour: int
    colour_label: str
    due_at: datetime
    leader: str = ""  # 包案领导's name (empty: nobody leads it)


@contextmanager
def _without_bitmap_scans(alias: str) -> Iterator[None]:
    """PostgreSQL without bitmap scans for the queries inside, in a transaction of their own.

    A township's overdue cases are a few dozen rows of the open-cases index
    (migration 0010), but the planner intersects that index with the status
    index (30,000 entries) for the status condition the partial index already
    implies: 5–25 ms a view instead of 0.3–0.7. The setting is put back as it
    was, even inside an outer transaction; other databases need nothing.
    """
    connection = connections[alias]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_bitmapscan'), set_config('enable_bitmapscan', 'off', true)")
        before = cursor.fetchone()[0]
        try:
            yield
        finally:
            cursor.execute("SELECT set_config('enable_bitmapscan', %s, true)", [before])


def overdue_query(user, area: Area, *, now: datetime, alias: str) -> QuerySet[Dispute]:
    """The open cases of the area the user may see whose nearest deadline has passed, red first, then the
    most overdue, then by id (`due` annotated): the order of the queue's partial index (migration 0007).
    The page's short list (`overdue_cases`) and the export's full one (`ledger.overdue_rows`) read it."""
    return (
        disputes_visible_to(user)
        .using(alias)
        .filter(status__in=OPEN_STATUSES, area_path__startswith=area.path)
        .annotate(due=DueKey(F("next_due_at")))
        .filter(due__lt=now)
        .order_by("colour", "due", "pk")
    )


def overdue_cases(user, area: Area, *, now: datetime, limit: int = OVERDUE_LIMIT) -> list[OverdueRow]:
    """Open cases in the area whose nearest deadline has passed: red first, then the most overdue.

    Read through `disputes_visible_to`, in the order of the queue's partial index
    (migration 0007: colour, COALESCE(next_due_at, ∞), id over the open statuses),
    so for a city or district PostgreSQL walks that index and stops after `limit`
    rows; for a township or village it reads the area's open cases (migration
    0010) and sorts the few that are late. How many there are in all comes from
    the rollups' NOW rows (`area_figures(...).overdue`).
    """
    alias = router.db_for_read(Dispute)
    query = (
        overdue_query(user, area, now=now, alias=alias)
        .select_related("category", "lead_department", "leader__staff")
        .only(
            "tracking_number",
            "status",
            "colour",
            "next_due_at",
            "category__name",
            "category__name_en",
            "lead_department__name",
            "lead_department__name_en",
            "leader__username",
            "leader__staff__display_name",
        )[:limit]
    )
    with _without_bitmap_scans(alias):
        cases = list(query)
    names: dict[int, str] = {}
    for dispute_id, name in (
        Party.objects.filter(dispute_id__in=[c.pk for c in cases], role=PartyRole.APPLICANT)
        .order_by("dispute_id", "pk")
        .values_list("dispute_id", "name")
    ):
        names.setdefault(dispute_id, name)
    return [
        OverdueRow(
            tracking_number=c.tracking_number,
            tracking_number_display=c.tracking_number_display,
            applicant=mask_name(names.get(c.pk, "")),
            category=c.category.display_name,
            department=c.lead_department.display_name if c.lead_department else "",
            status=str(Status(c.status).label),
            colour=c.colour,
            colour_label=str(Colour(c.colour).label),
            due_at=c.next_due_at,
            leader=_leader_name(c),
        )
        for c in cases
    ]


def _leader_name(case: Dispute) -> str:
    if case.leader is None:
        return ""
    profile = getattr(case.leader, "staff", None)
    return (profile.display_name if profile is not None else "") or case.leader.get_username()


# --- 撤回 and 司法确认 (issue 19: withdrawn cases listed, judicial confirmation counted) -------------


@dataclass(frozen=True)
class JudicialCounts:
    """司法确认 in an area and period: applications made (by `applied_on`) and the court's decisions
    (by `decided_on`)."""

    applied: int
    confirmed: int
    rejected: int


def judicial_counts(area: Area, period: Period) -> JudicialCounts:
    """Two indexed COUNTs (judicial_area_applied, judicial_area_decided): no case is loaded."""
    rows = JudicialConfirmation.objects.filter(area_path__startswith=area.path)
    applied = rows.filter(applied_on__gte=period.start, applied_on__lt=period.end).count()
    decided = rows.filter(decided_on__gte=period.start, decided_on__lt=period.end).aggregate(
        confirmed=Count("pk", filter=Q(result=JudicialConfirmation.Result.CONFIRMED)),
        rejected=Count("pk", filter=Q(result=JudicialConfirmation.Result.REJECTED)),
    )
    return JudicialCounts(applied, decided["confirmed"] or 0, decided["rejected"] or 0)


@dataclass(frozen=True)
class WithdrawnRow:
    tracking_number: str
    tracking_number_display: str
    category: str
    via: str  # how the applicant asked; "" for a case withdrawn before requests were recorded
    recorded_by: str
    approved_by: str
    withdrawn_at: datetime


def _person(user) -> str:
    if user is None:
        return ""
    profile = getattr(user, "staff", None)
    return (profile.display_name if profile is not None else "") or user.get_username()


def withdrawn_rows(user, area: Area, period: Period, *, limit: int = WITHDRAWN_LIST_LIMIT) -> list[WithdrawnRow]:
    """The period's withdrawn cases in the area (those the dashboard's figure counts), newest first, with how
    the applicant asked and who approved; at most `limit` (two queries)."""
    cases = list(withdrawn_in_period(user, area_path=area.path, start=period.start, end=period.end)[:limit])
    approved = approved_requests([c.pk for c in cases])
    rows = []
    for case in cases:
        request = approved.get(case.pk)
        rows.append(
            WithdrawnRow(
                tracking_number=case.tracking_number,
                tracking_number_display=case.tracking_number_display,
                category=case.category.display_name,
                via=str(WithdrawalVia(request.via).label) if request is not None else "",
                recorded_by=(
                    ""
                    if request is None
                    else _person(request.recorded_by)
                    if request.recorded_by_id
                    else str(_("The applicant, from the tracking page"))
                ),
                approved_by=_person(request.decided_by) if request is not None else "",
                withdrawn_at=case.closed_at,
            )
        )
    return rows
