"""通报: issuing the monthly ranking notice (排名通报) with its document number (GB/T 9704: 代字〔2026〕12号).

An issued notice is an official document and is stored as issued (`disputes.models.RankingNotice`, one
per office and month): its number and the text of it, the office's code and name as printed, who issued
it and when, and a snapshot of everything it shows (the headline figures, each area's counts, rank,
score and change on last month, the weights, the minimum of cases, the areas named at the bottom). Its
printed page is rebuilt from the snapshot (`notice_ranking`, `notice_figures`), never from the rollups,
so rebuilding the rollups cannot change a notice once issued; a preview (not yet issued) reads the
rollups live.

The number is the office's next in the year (`core.documents.document_numbers_next`, kind
`ranking_notice`, issuer "area:<pk>", as the 督办单 numbers). Issuing takes the office's counter row lock
first, then looks for the month's notice: two supervisors pressing "issue" at once get one notice and one
number, the second sees the first's; the unique constraint on (area, month) backs this up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.documents import document_number_text, document_numbers_next
from core.exceptions import ApplicationError, NotFoundError
from core.models import DocumentCounter
from core.staff_names import person_name
from disputes.dashboard import ranking as ranking_module
from disputes.dashboard import selectors
from disputes.dashboard.periods import add_months, month_period
from disputes.dashboard.ranking import Basis, Ranking, RankRow
from disputes.models import RankingNotice
from disputes.services.supervision import FALLBACK_SUFFIX, office_code
from disputes.statistics import Figures
from grids.models import Area, AreaLevel

KIND = "ranking_notice"
CODE_SUFFIX = "通"  # 通报 in the office's code: 西湖矛调督 (督办) → 西湖矛调通
SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class IssuedNotice:
    month: date
    year: int
    number: int
    issued_on: date
    basis: Basis
    document_number: str
    issued_at: datetime
    # 签发人: the person's name ("" once their account is gone).
    issued_by: str
    office: str
    record: RankingNotice


@dataclass(frozen=True)
class IssuedRanking(Ranking):
    """A ranking rebuilt from an issued notice: the areas it named at the bottom are those it named then,
    whatever `settings.RANKING_NOTICE_LAGGARDS` says now."""

    named_bottom: tuple[str, ...] = ()

    def bottom(self, count: int | None = None) -> list[RankRow]:
        return [r for r in self.ranked if r.area.path in self.named_bottom]


def notice_level(area: Area) -> int | None:
    """Who a notice of `area` ranks: a city's or a district's townships, a township's villages; None below."""
    if area.level in (AreaLevel.CITY, AreaLevel.COUNTY):
        return AreaLevel.TOWNSHIP
    if area.level == AreaLevel.TOWNSHIP:
        return AreaLevel.VILLAGE
    return None


def notice_code(area: Area) -> str:
    """The office's 机关代字 for a notice: its code with 通 in place of the 督 its supervision orders carry."""
    code = office_code(area)
    return (code[: -len(FALLBACK_SUFFIX)] if code.endswith(FALLBACK_SUFFIX) else code) + CODE_SUFFIX


def _issuer(area: Area) -> str:
    return f"area:{area.pk}"


def _issued(record: RankingNotice) -> IssuedNotice:
    return IssuedNotice(
        month=record.month,
        year=record.year,
        number=record.number,
        issued_on=timezone.localdate(record.issued_at),
        basis=Basis(record.basis) if record.basis in Basis.values else Basis.LOCATION,
        document_number=record.number_text,
        issued_at=record.issued_at,
        issued_by=person_name(record.issued_by) or record.issued_by_name,
        office=record.office_name,
        record=record,
    )


def notice_issued(area: Area, month: date) -> IssuedNotice | None:
    """This office's notice for `month` if it has been issued."""
    record = (
        RankingNotice.objects.filter(area=area, month=month.replace(day=1))
        .select_related("issued_by", "issued_by__staff")
        .first()
    )
    return None if record is None else _issued(record)


# --- The snapshot --------------------------------------------------------------------------------------


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _area_json(area: Area) -> dict[str, Any]:
    return {
        "pk": area.pk,
        "path": area.path,
        "name": area.name,
        "name_en": area.name_en,
        "level": area.level,
        "population": area.population,
    }


def notice_snapshot(result: Ranking, figures: Figures) -> dict[str, Any]:
    """Everything the printed notice shows, as JSON: read back by `notice_ranking` and `notice_figures`.

    Counts are kept as counts (each rate on the page is worked out from them as the live page does);
    scores as printed (two decimals); the components' points and the change on last month are kept
    too, for the record, though the page works them out again from the counts and ranks.
    """
    bottom = result.bottom()
    return {
        "version": SNAPSHOT_VERSION,
        "month": f"{result.month:%Y-%m-%d}",
        "level": result.level,
        "basis": str(result.basis),
        "weights": dict(result.weights),
        "min_cases": result.min_cases,
        "figures": {"counts": dict(figures.counts), "population": figures.population, "overdue": figures.overdue},
        "bottom": [r.area.path for r in bottom],
        "rows": [
            {
                "area": _area_json(r.area),
                "rank": r.rank,
                "score": _decimal(r.score),
                "counts": dict(r.figures.counts),
                "points": {key: str(round(float(value), 2)) for key, value in r.points.items()},
                "change": r.change,
                "previous_rank": r.previous_rank,
                "previous_score": _decimal(r.previous_score),
                "red_overdue": r.red_overdue,
            }
            for r in result.rows
        ],
    }


def notice_ranking(area: Area, record: RankingNotice) -> IssuedRanking:
    """The ranking an issued notice printed, from its snapshot (no rollup is read)."""
    data = record.snapshot
    minimum = int(data["min_cases"])
    rows = []
    for row in data["rows"]:
        fields = row["area"]
        place = Area(
            pk=fields["pk"],
            path=fields["path"],
            name=fields["name"],
            name_en=fields.get("name_en", ""),
            level=fields["level"],
            population=fields.get("population", 0),
        )
        rank = row["rank"]
        rows.append(
            RankRow(
                rank=rank,
                area=place,
                figures=Figures(dict(row["counts"]), place.population),
                score=Decimal(row["score"]) if row["score"] is not None else None,
                unranked_reason=""
                if rank is not None
                else _("Fewer than %(count)s cases registered: not ranked.") % {"count": minimum},
                previous_rank=row["previous_rank"],
                previous_score=Decimal(row["previous_score"]) if row["previous_score"] is not None else None,
                red_overdue=int(row.get("red_overdue", 0)),
            )
        )
    return IssuedRanking(
        area=area,
        level=int(data["level"]),
        month=date.fromisoformat(data["month"]),
        basis=Basis(data["basis"]),
        weights={key: int(value) for key, value in data["weights"].items()},
        min_cases=minimum,
        rows=rows,
        named_bottom=tuple(data.get("bottom", ())),
    )


def notice_figures(record: RankingNotice) -> Figures:
    """The headline figures an issued notice printed, from its snapshot."""
    data = record.snapshot["figures"]
    return Figures(dict(data["counts"]), int(data.get("population", 0)), int(data.get("overdue", 0)))


def notice_issue(
    *, user: Any, area_code: str, month: date, basis: Basis | str, now: datetime | None = None
) -> tuple[IssuedNotice, bool]:
    """Issue the notice of the area `area_code` for `month` (its first day): (the notice, whether it is new).

    The user must have the area on their dashboard (a supervisor's area and below, admins all; else
    NotFoundError, as the pages answer 404). The month must be over; a notice already issued for it is
    returned as it is.
    """
    try:
        area = selectors.dashboard_area(user, area_code)
    except Http404 as error:  # outside the user's jurisdiction, or no such area
        raise NotFoundError(_("No such area.")) from error
    level = notice_level(area)
    if level is None:
        raise ApplicationError(_("A village or a grid has no areas below it to rank."))
    now = now or timezone.now()
    today = timezone.localdate(now)
    month = month.replace(day=1)
    if add_months(month, 1) > today:
        raise ApplicationError(_("A month's notice can be issued once the month is over."))
    basis = Basis(basis)
    issuer = _issuer(area)
    try:
        with transaction.atomic():
            # The office's counter row lock: one issue at a time per office.
            DocumentCounter.objects.get_or_create(issuer=issuer, kind=KIND, year=today.year)
            DocumentCounter.objects.select_for_update().get(issuer=issuer, kind=KIND, year=today.year)
            existing = notice_issued(area, month)
            if existing is not None:
                return existing, False
            result = ranking_module.ranking(area, month, level, basis, red_overdue=True)
            figures = selectors.area_figures(area, month_period(month))
            (number,) = document_numbers_next(issuer=issuer, kind=KIND, year=today.year)
            code = notice_code(area)
            record = RankingNotice.objects.create(
                area=area,
                month=month,
                basis=str(basis),
                year=today.year,
                number=number,
                number_text=document_number_text(code=code, year=today.year, number=number),
                office_code=code,
                office_name=office_name_of(area),
                issued_by=user,
                issued_by_name=person_name(user),
                issued_at=now,
                snapshot=notice_snapshot(result, figures),
            )
    except IntegrityError:
        # Issued meanwhile under another year's counter (a notice issued across New Year): theirs stands.
        existing = notice_issued(area, month)
        if existing is None:
            raise
        return existing, False
    return _issued(record), True


def office_name_of(area: Area) -> str:
    """The issuing office as the red header prints it (as `disputes.staff.supervision.office_name`), in the
    language the documents are issued in (settings.LANGUAGE_CODE), whatever the issuer reads the site in."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(area)s Dispute Resolution Centre") % {"area": area.name}
