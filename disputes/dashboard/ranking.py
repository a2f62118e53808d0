"""排名通报: the monthly ranking of townships (or villages and communities) on a published composite score.

The score. Each component scores 0 to 100 points; the composite is their weighted mean with the weights
of `settings.RANKING_WEIGHTS` (default 30/25/20/15/10, i.e. points out of 100). All counts are read from
the month rows of the rollup table (`disputes.dashboard.rollups`), never from the cases:

=============  ==================================================================  ======
component      points (counts of the month ranked, see `disputes.statistics`)       weight
=============  ==================================================================  ======
resolution     化解率 (受理口径) × 100: registered_resolved ÷ registered                30
on_time        按期办结率 × 100 (prompt handling): on_time ÷ (concluded + open_overdue)   25
satisfaction   满意率 × 100 (by parties): parties_satisfied ÷ parties_reached          20
overdue        100 − overdue cases per 100 registered (floored at 0):                15
               100 − 100 × open_overdue ÷ registered; open_overdue is the number of
               open cases past their 办结时限 at the month's end (penalty)
repeat         100 − repeat disputes per 100 submitted (floored at 0):               10
               100 − 100 × repeat ÷ submitted (penalty)
=============  ==================================================================  ======

A component with nothing to count (no party reached by a callback, say) is left out and the others'
weights are scaled up to 100, so an area is neither rewarded nor punished for it. Prompt reporting and
prompt acceptance (上报/受理及时率) have no count in the rollups (the dispatch and acceptance deadlines
are not rolled up); the on-time rate, with open overdue cases counted against it, stands for promptness
until they are. A weight of 0 (or a key left out of the setting) drops a component.

Who is ranked: the areas of one level (townships, or villages and communities) under the reader's area.
An area with fewer than `settings.RANKING_MIN_CASES` cases registered in the month is listed unranked,
with the reason: a 100% on two cases says nothing.

Ties. Scores are compared as printed (two decimal places); equal scores are broken by the resolution rate,
then the on-time rate (both compared exactly, as fractions), then cases registered (more first). Areas
still equal on all four share a rank and the next rank skips (1, 1, 3), shown as they are.

Basis. A case counts either for the area where it is (`Basis.LOCATION`), or for the area of the department
that leads it (`Basis.HANDLING`: the rollup's `department` dimension holds the lead department; a case not
yet dispatched stays with the area where it is, whose centre holds it; a case led by a department above
the ranked level, such as a county bureau, counts for no township). Defaults (`DEFAULT_BASIS`): townships
are ranked by who handled the case, since a county bureau's work on a township's case should count
neither for nor against the township; villages and communities by where the case is, since they have few
departments of their own (their cases are worked by the township's) and are ranked on what happens to the
disputes that arise in them.

The change on last month: each area's rank and score in the month before, on the same basis and weights
(↑2, ↓1, 持平, or 新 for an area not ranked last month).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.db.models.functions import Substr
from django.utils.dateformat import format as date_format
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, pgettext
from django.utils.translation import gettext_lazy as _

from disputes.dashboard.periods import Period, add_months
from disputes.models import DisputeRollup
from disputes.rules.enums import Colour
from disputes.statistics import COUNT_FIELDS, STATE_FIELDS, Figures, Rate
from grids.models import Area, AreaLevel, Department

RANKING_LEVELS = (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
FIELDS = (*COUNT_FIELDS, *STATE_FIELDS)
SUMS = {name: Sum(name) for name in FIELDS}
SCORE_PLACES = Decimal("0.01")
HUNDRED = Fraction(100)


class Basis(models.TextChoices):
    """Which area a case counts for in the ranking."""

    LOCATION = "area", _("By where the case is")
    HANDLING = "department", _("By the handling department's area")


DEFAULT_BASIS: dict[int, Basis] = {AreaLevel.TOWNSHIP: Basis.HANDLING, AreaLevel.VILLAGE: Basis.LOCATION}


def default_basis(level: int) -> Basis:
    return DEFAULT_BASIS.get(level, Basis.LOCATION)


# --- The components -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    key: str
    label: Promise
    # The share it is built on; a penalty scores 100 minus the share per 100 (floored at 0).
    share: Callable[[dict], Rate]
    penalty: bool = False

    def points(self, counts: dict) -> Fraction | None:
        """0..100 points, or None when there is nothing to count."""
        rate = self.share(counts)
        if not rate.denominator:
            return None
        share = Fraction(rate.numerator, rate.denominator)
        if self.penalty:
            return max(Fraction(0), HUNDRED - HUNDRED * share)
        return HUNDRED * share


def _on_time(counts: dict) -> Rate:
    return Rate(counts["on_time"], counts["concluded"] + counts.get("open_overdue", 0))


COMPONENTS: tuple[Component, ...] = (
    Component("resolution", _("Resolution rate"), lambda c: Rate(c["registered_resolved"], c["registered"])),
    Component("on_time", _("On-time rate"), _on_time),
    Component("satisfaction", _("Callback satisfaction"), lambda c: Rate(c["parties_satisfied"], c["parties_reached"])),
    Component(
        "overdue",
        _("Overdue per 100 cases"),
        lambda c: Rate(c.get("open_overdue", 0), c["registered"]),
        penalty=True,
    ),
    Component("repeat", _("Repeat disputes per 100 cases"), lambda c: Rate(c["repeat"], c["submitted"]), penalty=True),
)
COMPONENT_KEYS = tuple(c.key for c in COMPONENTS)


def weights() -> dict[str, int]:
    """The published weights (settings.RANKING_WEIGHTS), in component order; unknown keys ignored."""
    configured = settings.RANKING_WEIGHTS
    return {key: int(configured.get(key, 0)) for key in COMPONENT_KEYS if int(configured.get(key, 0)) > 0}


def min_cases() -> int:
    return settings.RANKING_MIN_CASES


def per_100(rate: Rate) -> Decimal | None:
    """A penalty's share per 100 cases, one decimal place (what the table shows)."""
    if not rate.denominator:
        return None
    return (Decimal(rate.numerator) * 100 / Decimal(rate.denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def composite(counts: dict, weighting: dict[str, int] | None = None) -> tuple[Decimal | None, dict[str, Fraction]]:
    """The score (two decimal places, half up) and each component's points; None when nothing counts."""
    weighting = weights() if weighting is None else weighting
    points: dict[str, Fraction] = {}
    for component in COMPONENTS:
        if weighting.get(component.key, 0) <= 0:
            continue
        value = component.points(counts)
        if value is not None:
            points[component.key] = value
    total = sum(weighting[key] for key in points)
    if not total:
        return None, points
    exact = sum((weighting[key] * value for key, value in points.items()), Fraction(0)) / total
    score = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)
    return score, points


# --- The ranking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    rank: int | None
    area: Area
    figures: Figures
    score: Decimal | None = None
    points: dict[str, Fraction] = field(default_factory=dict)
    # Why the area is not ranked (too few cases), or "".
    unranked_reason: str = ""
    previous_rank: int | None = None
    previous_score: Decimal | None = None
    # Red cases overdue now in the area (where the case is): the notice names such areas.
    red_overdue: int = 0

    @property
    def registered(self) -> int:
        return self.figures["registered"]

    def component(self, key: str) -> Rate:
        return next(c for c in COMPONENTS if c.key == key).share(self.figures.counts)

    @property
    def change(self) -> int | None:
        """Places gained on last month (positive: up); None when either month is unranked."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    def change_text(self) -> str:
        """↑2, ↓1, 持平 (no change), 新 (not ranked last month); "—" for an area not ranked this month."""
        if self.rank is None:
            return "—"
        change = self.change
        if change is None:
            return pgettext("ranking change", "New")
        if change > 0:
            return f"↑{change}"
        if change < 0:
            return f"↓{-change}"
        return pgettext("ranking change", "No change")


@dataclass(frozen=True)
class Ranking:
    area: Area
    level: int
    month: date
    basis: Basis
    weights: dict[str, int]
    min_cases: int
    rows: list[RankRow]

    @property
    def ranked(self) -> list[RankRow]:
        return [r for r in self.rows if r.rank is not None]

    @property
    def unranked(self) -> list[RankRow]:
        return [r for r in self.rows if r.rank is None]

    def bottom(self, count: int | None = None) -> list[RankRow]:
        """The last `count` ranked (settings.RANKING_NOTICE_LAGGARDS, but never more than the bottom half,
        so the top of a short list is not named), with any area tied with the last of them."""
        count = settings.RANKING_NOTICE_LAGGARDS if count is None else count
        ranked = self.ranked
        count = min(count, len(ranked) // 2)
        if count <= 0:
            return []
        cutoff = ranked[-count].rank or 0
        return [r for r in ranked if (r.rank or 0) >= cutoff]

    def with_red_overdue(self) -> list[RankRow]:
        """Areas (ranked or not) with red cases past their time limit now."""
        return [r for r in self.rows if r.red_overdue > 0]

    def laggards(self, count: int | None = None) -> list[RankRow]:
        """Named in the notice: `bottom(count)` and `with_red_overdue()`, in ranking order."""
        named = {r.area.pk for r in self.bottom(count)} | {r.area.pk for r in self.with_red_overdue()}
        return [r for r in self.rows if r.area.pk in named]


def _empty_counts() -> dict:
    return dict.fromkeys(FIELDS, 0)


def _add(into: dict, row: Mapping[str, Any]) -> None:
    for name in FIELDS:
        into[name] += row.get(name) or 0


Counts = dict[date, dict[str, dict]]  # month → candidate path → counts


def _empty(candidates: list[Area], months: list[date]) -> Counts:
    return {m: {a.path: _empty_counts() for a in candidates} for m in months}


def _counts_by_location(candidates: list[Area], months: list[date]) -> Counts:
    """Each candidate's counts from its own month rows (rows exist for every level under the exact path)."""
    counts = _empty(candidates, months)
    for row in (
        DisputeRollup.objects.filter(
            dimension="all", grain=DisputeRollup.Grain.MONTH, day__in=months, area_path__in=[a.path for a in candidates]
        )
        .values("day", prefix=F("area_path"))
        .annotate(**SUMS)
        .order_by()
    ):
        _add(counts[row["day"]][row["prefix"]], row)
    return counts


def _candidate_of(path: str, candidates: dict[str, dict]) -> str | None:
    """The candidate (all of one level, so their paths are of one length) whose area holds `path`."""
    length = len(next(iter(candidates), ""))
    prefix = path[:length]
    return prefix if len(path) >= length and prefix in candidates else None


def _counts_by_handling(scope: Area, candidates: list[Area], months: list[date]) -> Counts:
    """Each candidate's counts by lead department: the scope's month rows split by department, each added
    to the candidate the department's area lies in (none for a department above the level), plus the
    candidate's own cases not yet dispatched (department "")."""
    counts = _empty(candidates, months)
    paths = [a.path for a in candidates]
    rows = list(
        DisputeRollup.objects.filter(
            (Q(area_path=scope.path) & ~Q(value="")) | Q(value="", area_path__in=paths),
            dimension="department",
            grain=DisputeRollup.Grain.MONTH,
            day__in=months,
        )
        .values("day", "area_path", "value")
        .annotate(**SUMS)
        .order_by()
    )
    ids = {int(row["value"]) for row in rows if row["value"].isdigit()}
    department_paths = dict(Department.objects.filter(pk__in=ids).values_list("pk", "area__path"))
    for row in rows:
        if not row["value"]:
            if row["area_path"] in counts[row["day"]]:  # a candidate's own cases not yet dispatched
                _add(counts[row["day"]][row["area_path"]], row)
            continue
        if row["area_path"] != scope.path:
            continue
        path = department_paths.get(int(row["value"])) if row["value"].isdigit() else None
        target = _candidate_of(path, counts[row["day"]]) if path else None
        if target is not None:
            _add(counts[row["day"]][target], row)
    return counts


def _red_overdue(scope: Area, level: int) -> dict[str, int]:
    """Red cases overdue now per area of `level` under `scope` (the NOW rows, by where the case is)."""
    length = level * Area.steplen
    if len(scope.path) > length:
        return {}
    return dict(
        DisputeRollup.objects.filter(
            grain=DisputeRollup.Grain.NOW,
            dimension="colour",
            value=str(int(Colour.RED)),
            area_path__startswith=scope.path,
        )
        .annotate(prefix=Substr("area_path", 1, length))
        .values("prefix")
        .annotate(n=Sum("overdue"))
        .order_by()
        .values_list("prefix", "n")
    )


def _sort_key(score: Decimal, counts: dict) -> tuple:
    """Higher is better on each: score as printed, resolution rate, on-time rate, cases registered."""
    minus_one = Fraction(-1)  # no data sorts below any rate
    resolution = COMPONENTS[0].share(counts)
    on_time = _on_time(counts)
    return (
        score,
        Fraction(resolution.numerator, resolution.denominator) if resolution.denominator else minus_one,
        Fraction(on_time.numerator, on_time.denominator) if on_time.denominator else minus_one,
        counts["registered"],
    )


def _rank_month(
    candidates: list[Area], counts: dict[str, dict], weighting: dict[str, int], minimum: int
) -> list[tuple[Area, dict, Decimal | None, dict[str, Fraction], int | None, str]]:
    scored = []
    for a in candidates:
        c = counts[a.path]
        score, points = composite(c, weighting)
        reason = ""
        if c["registered"] < minimum:
            reason = gettext("Fewer than %(count)s cases registered: not ranked.") % {"count": minimum}
        elif score is None:  # pragma: no cover - a registered case always gives a resolution rate
            reason = gettext("Nothing to score.")
        scored.append((a, c, score, points, reason))
    ranked = [item for item in scored if not item[4]]
    keys = {item[0].path: _sort_key(item[2], item[1]) for item in ranked}  # type: ignore[arg-type]
    ranked.sort(key=lambda item: (tuple(-k for k in keys[item[0].path]), item[0].path))
    result: list[tuple[Area, dict, Decimal | None, dict[str, Fraction], int | None, str]] = []
    for item in ranked:
        key = keys[item[0].path]
        rank = 1 + sum(1 for other in keys.values() if other > key)
        result.append((*item[:4], rank, ""))
    result += [(*item[:4], None, item[4]) for item in scored if item[4]]
    return result


def ranking(
    area: Area, month: date, level: int, basis: Basis | str | None = None, *, red_overdue: bool = False
) -> Ranking:
    """The areas of `level` under `area` ranked for `month` (its first day), with last month beside it.

    Reads both months in one query per kind of row (two or four in all, and one for the areas);
    `red_overdue` adds one for the red cases overdue now (the notice names those areas).
    """
    basis = Basis(basis) if basis else default_basis(level)
    weighting = weights()
    minimum = min_cases()
    candidates = list(Area.objects.filter(path__startswith=area.path, level=level).order_by("path"))
    if not candidates:
        return Ranking(area, level, month, basis, weighting, minimum, [])
    before = add_months(month, -1)
    if basis == Basis.HANDLING:
        counts = _counts_by_handling(area, candidates, [month, before])
    else:
        counts = _counts_by_location(candidates, [month, before])
    previous = {
        a.path: (rank, score)
        for a, _c, score, _p, rank, _r in _rank_month(candidates, counts[before], weighting, minimum)
    }
    red = _red_overdue(area, level) if red_overdue else {}
    rows = []
    for a, month_counts, score, points, rank, reason in _rank_month(candidates, counts[month], weighting, minimum):
        before_rank, before_score = previous[a.path]
        rows.append(
            RankRow(
                rank=rank,
                area=a,
                figures=Figures(month_counts, a.population),
                score=score if rank is not None else None,
                points=points,
                unranked_reason=reason,
                previous_rank=before_rank,
                previous_score=before_score if before_rank is not None else None,
                red_overdue=red.get(a.path, 0),
            )
        )
    return Ranking(area, level, month, basis, weighting, minimum, rows)


def ranking_rows(area: Area, period: Period, level: int, basis: Basis | str | None = None) -> list[RankRow]:
    """排名通报's rows for the period's last month (see `ranking`)."""
    return ranking(area, period.ranking_month(), level, basis).rows


# --- Words ---------------------------------------------------------------------------------------------


def month_label(month: date) -> str:
    """2026年11月 in Chinese, November 2026 in English (never 2026-11)."""
    if (get_language() or settings.LANGUAGE_CODE).startswith("zh"):
        return f"{month.year}年{month.month}月"
    return date_format(month, "F Y")


def weights_text(weighting: dict[str, int] | None = None) -> str:
    """The published weights as one line: "Resolution rate 30, On-time rate 25, …" (points out of 100)."""
    weighting = weights() if weighting is None else weighting
    parts = [
        gettext("%(component)s %(weight)s") % {"component": c.label, "weight": weighting[c.key]}
        for c in COMPONENTS
        if c.key in weighting
    ]
    return pgettext("list separator", ", ").join(parts)


def basis_note(basis: Basis) -> str:
    if basis == Basis.HANDLING:
        return gettext(
            "Cases count for the area of the department that leads them (cases not yet dispatched for the area "
            "where they are; cases led by a department above this level count for no area)."
        )
    return gettext("Cases count for the area where they are.")
