"""信访统计口径: the petition figures on the supervisor dashboard, defined once.

Every petition is counted in the period in which it was received (`received_on`,
the local date of receipt): a period's figures describe the petitions that came
in during it (a cohort), and a figure of a recent period still moves while its
petitions are being handled. Petitions are counted for an area and everything
below it (`area_path` prefix), over the same jurisdiction as the dispute figures
(`disputes.dashboard.selectors.dashboard_area`).

The counts are aggregated by the database in one query (conditional COUNTs
over the petitions, left-joined to their acceptance and handling deadlines),
never by loading petitions into Python; the index `petition_area_received`
(area_path, received_on) serves the filter. Petitions are far fewer than
disputes, so they need no rollup table: see docs/design.md, "Petitions", for the figure
measured at 100,000 petitions. The dashboard reads them through
`petition_section`, which keeps the answer in the cache for SECTION_CACHE_SECONDS
(the rollups' refresh interval): a city over a year costs a few hundred
milliseconds to count, and nothing on the dashboard is fresher than that anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, FilteredRelation, Q, QuerySet
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import caching
from core.casework.callbacks import CallbackResult
from disputes.dashboard.periods import Period, add_months
from disputes.statistics import Rate
from grids.models import Area
from petitions.models import Petition
from petitions.rules import DeadlineKind

COUNT_FIELDS = (
    "received",
    "repeat",
    "decided",
    "decided_in_time",
    "handling_due",
    "handled_in_time",
    "replied",
    "first_time",
)


def _count_expressions(now: datetime) -> dict:
    """The conditional counts, over petitions annotated with `decide` and `handle` (their deadlines)."""
    return {
        "received": Count("pk"),
        "repeat": Count("pk", filter=Q(is_repeat=True)),
        "decided": Count(
            "pk",
            filter=Q(decide__done_at__isnull=False) | Q(decide__cancelled_at__isnull=False) | Q(decide__due_at__lt=now),
        ),
        "decided_in_time": Count(
            "pk",
            filter=Q(decide__done_at__lte=F("decide__due_at")) | Q(decide__cancelled_at__lte=F("decide__due_at")),
        ),
        "handling_due": Count(
            "pk",
            filter=Q(handle__done_at__isnull=False)
            | Q(handle__done_at__isnull=True, handle__cancelled_at__isnull=True, handle__due_at__lt=now),
        ),
        "handled_in_time": Count("pk", filter=Q(handle__done_at__lte=F("handle__due_at"))),
        "replied": Count("pk", filter=Q(replied_at__isnull=False)),
        "first_time": Count(
            "pk",
            filter=Q(replied_at__isnull=False, review_requested=False, has_repeat=False)
            & ~Q(callback_result=CallbackResult.DISSATISFIED),
        ),
    }


def _petitions(area_path: str, start: date, end: date) -> QuerySet[Petition]:
    return Petition.objects.filter(
        area_path__startswith=area_path, received_on__gte=start, received_on__lt=end
    ).annotate(
        decide=FilteredRelation("deadlines", condition=Q(deadlines__kind=DeadlineKind.DECIDE_ACCEPTANCE)),
        handle=FilteredRelation("deadlines", condition=Q(deadlines__kind=DeadlineKind.HANDLE)),
    )


def _counts(row: dict) -> dict:
    return {name: row.get(name) or 0 for name in COUNT_FIELDS}


# --- The definitions --------------------------------------------------------------------------------


def timely_acceptance_rate(counts: dict) -> Rate:
    """受理及时率. Numerator: petitions received in the period whose acceptance was decided (accepted, not
    accepted, referred, or turned into a dispute case) by the end of the 15th day after receipt (the
    DECIDE_ACCEPTANCE deadline). Denominator: petitions received in the period that have been decided, or
    whose 15 days have passed undecided (those still within their 15 days are left out)."""
    return Rate(counts["decided_in_time"], counts["decided"])


def on_time_completion_rate(counts: dict) -> Rate:
    """按期办结率. Numerator: accepted petitions received in the period whose written reply was given by the
    handling deadline — 60 days after acceptance, or later by an approved extension (the HANDLE deadline's
    due date includes it). Denominator: accepted petitions received in the period that have been replied to,
    or whose handling deadline has passed without a reply (those still within it, or turned into a dispute
    case, are left out)."""
    return Rate(counts["handled_in_time"], counts["handling_due"])


def first_time_resolution_rate(counts: dict) -> Rate:
    """一次性化解率. Numerator: petitions received in the period that have had their written reply and, since,
    no request for review, no repeat petition linked to them (重复信访, `repeat_of`) and no "dissatisfied"
    answer at the satisfaction callback. Denominator: petitions received in the period that have had their
    written reply."""
    return Rate(counts["first_time"], counts["replied"])


def repeat_petitions(counts: dict) -> Rate:
    """重复信访. Numerator: petitions received in the period flagged as repeats of an earlier one (same
    petitioner, area, category and similar matter). Denominator: petitions received in the period."""
    return Rate(counts["repeat"], counts["received"])


@dataclass(frozen=True)
class PetitionFigures:
    counts: dict

    @classmethod
    def empty(cls) -> PetitionFigures:
        return cls(dict.fromkeys(COUNT_FIELDS, 0))

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    @property
    def timely_acceptance_rate(self) -> Rate:
        return timely_acceptance_rate(self.counts)

    @property
    def on_time_completion_rate(self) -> Rate:
        return on_time_completion_rate(self.counts)

    @property
    def first_time_resolution_rate(self) -> Rate:
        return first_time_resolution_rate(self.counts)

    @property
    def repeat_petitions(self) -> Rate:
        return repeat_petitions(self.counts)


LABELS = {
    "received": _("Petitions received"),
    "timely_acceptance_rate": _("Timely acceptance rate"),
    "on_time_completion_rate": _("On-time completion rate"),
    "first_time_resolution_rate": _("First-time resolution rate"),
    "repeat_petitions": _("Repeat petitions"),
}


# --- The reads ------------------------------------------------------------------------------------------


def petition_figures(area: Area, period: Period, *, now: datetime | None = None) -> PetitionFigures:
    """The petition figures of an area (and below) for the petitions received in the period. One query."""
    now = now or timezone.now()
    row = _petitions(area.path, period.start, period.end).aggregate(**_count_expressions(now))
    return PetitionFigures(_counts(row))


def petition_child_rows(
    area: Area, period: Period, *, now: datetime | None = None
) -> list[tuple[Area, PetitionFigures]]:
    """One row per child area (every child, zeros where nothing came in), in tree order. One query."""
    now = now or timezone.now()
    children = list(Area.objects.get_children(area).order_by("path"))
    if not children:
        return []
    length = len(area.path) + Area.steplen
    grouped = {
        row["prefix"]: _counts(row)
        for row in _petitions(area.path, period.start, period.end)
        .annotate(prefix=Substr("area_path", 1, length))
        .values("prefix")
        .annotate(**_count_expressions(now))
        .order_by()
    }
    return [(child, PetitionFigures(grouped.get(child.path) or PetitionFigures.empty().counts)) for child in children]


def petition_trend(area: Area, period: Period, months: int = 12) -> list[tuple[date, int, int]]:
    """(month, received, repeats) for the `months` months ending with the period's last month. One query."""
    wanted = period.trend_months(months)
    rows = {
        (row["month"].date() if isinstance(row["month"], datetime) else row["month"]): (row["n"], row["repeat"])
        for row in Petition.objects.filter(
            area_path__startswith=area.path, received_on__gte=wanted[0], received_on__lt=add_months(wanted[-1], 1)
        )
        .annotate(month=TruncMonth("received_on"))
        .values("month")
        .annotate(n=Count("pk"), repeat=Count("pk", filter=Q(is_repeat=True)))
        .order_by()
    }
    return [(month, *rows.get(month, (0, 0))) for month in wanted]


# The dispute rollups are refreshed every 5 minutes (config/settings.py, "refresh-rollups"):
# the petition figures beside them are kept as long.
SECTION_CACHE_SECONDS = 300


def petition_section(area: Area, period: Period) -> dict:
    """The dashboard's petition section for an area and period, cached SECTION_CACHE_SECONDS.

    Only counts are cached (plain numbers keyed by area path), so the labels stay
    in the reader's language and the child areas are read fresh.
    """
    key = f"petitions:dashboard:{area.path}:{period.start}:{period.end}"
    cached = caching.get(key)
    if cached is None:
        cached = {
            "figures": petition_figures(area, period).counts,
            "children": {child.path: figures.counts for child, figures in petition_child_rows(area, period)},
            "trend": petition_trend(area, period),
        }
        caching.set(key, cached, SECTION_CACHE_SECONDS)
    children = list(Area.objects.get_children(area).order_by("path")) if cached["children"] else []
    return {
        "figures": PetitionFigures(cached["figures"]),
        "children": [
            (child, PetitionFigures(cached["children"].get(child.path) or PetitionFigures.empty().counts))
            for child in children
        ],
        "trend": cached["trend"],
    }
