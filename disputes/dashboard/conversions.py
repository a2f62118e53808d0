"""民转刑 / 刑转命 register reads: the list of an area and period and its counts, this period and the same period a
year before. Counted by the day of the crime (`occurred_on`) and the case's place (`area_path`, copied onto the
row): every read is a prefix of `area_path` and a range of `occurred_on`, the index `conversion_area_day`.

Who reads: supervisors their area and below, administrators the whole tree (`conversions_visible_to`). A
police referral (outcome "police", 移送公安) is not counted here; it is `Figures.referred_to_police`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from disputes.dashboard.periods import Period
from disputes.models import CriminalConversion
from grids import roles
from grids.models import Area

CRIMINAL = CriminalConversion.Kind.CRIMINAL
HOMICIDE = CriminalConversion.Kind.HOMICIDE
REVIEWED = "reviewed"
NOT_REVIEWED = "not_reviewed"


def reader_area_path(user: Any) -> str | None:
    """The part of the tree a reader's register covers: "" (all) for administrators, a supervisor's area's path,
    None for anyone else."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    profile = roles.staff_profile(user)
    if user.is_superuser or (profile is not None and profile.role == roles.ADMIN):
        return ""
    if profile is not None and profile.role == roles.SUPERVISOR:
        return str(profile.area.path)
    return None


def conversions_visible_to(user: Any) -> QuerySet[CriminalConversion]:
    """The conversions `user` may read: those in their area and below (supervisors), all (administrators)."""
    path = reader_area_path(user)
    if path is None:
        return CriminalConversion.objects.none()
    if not path:
        return CriminalConversion.objects.all()
    return CriminalConversion.objects.filter(area_path__startswith=path)


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def last_year(period: Period) -> Period:
    """The same period a year before (29 February falls on the 28th)."""
    return Period(period.kind, _shift_year(period.start, -1), _shift_year(period.end, -1))


def _in(area_path: str, start: date, end: date) -> Q:
    return Q(area_path__startswith=area_path, occurred_on__gte=start, occurred_on__lt=end)


@dataclass(frozen=True)
class ConversionCounts:
    """民转刑 and 刑转命 of one area and period, with the same period a year before (the target is zero)."""

    criminal: int
    homicide: int
    criminal_last_year: int
    homicide_last_year: int

    @property
    def criminal_change(self) -> int:
        return self.criminal - self.criminal_last_year

    @property
    def homicide_change(self) -> int:
        return self.homicide - self.homicide_last_year

    @property
    def total(self) -> int:
        return self.criminal + self.homicide

    def as_json(self) -> dict[str, int]:
        return {
            "criminal": self.criminal,
            "homicide": self.homicide,
            "criminal_last_year": self.criminal_last_year,
            "homicide_last_year": self.homicide_last_year,
            "criminal_change": self.criminal_change,
            "homicide_change": self.homicide_change,
        }


def conversion_counts(area: Area | str, period: Period) -> ConversionCounts:
    """The counts for the dashboard: one indexed query (both periods, both kinds)."""
    path = area if isinstance(area, str) else area.path
    before = last_year(period)
    now_q = _in(path, period.start, period.end)
    then_q = _in(path, before.start, before.end)
    row = CriminalConversion.objects.filter(now_q | then_q).aggregate(
        criminal=Count("pk", filter=now_q & Q(kind=CRIMINAL)),
        homicide=Count("pk", filter=now_q & Q(kind=HOMICIDE)),
        criminal_last_year=Count("pk", filter=then_q & Q(kind=CRIMINAL)),
        homicide_last_year=Count("pk", filter=then_q & Q(kind=HOMICIDE)),
    )
    return ConversionCounts(**{name: row[name] or 0 for name in row})


def conversion_list(
    user: Any,
    area: Area,
    period: Period,
    *,
    kind: str = "",
    reviewed: str = "",
) -> QuerySet[CriminalConversion]:
    """The register of `area` in `period` (by the day of the crime), newest first, within the reader's part of
    the tree (callers check the area with `dashboard_area` first; this filters again)."""
    rows = conversions_visible_to(user).filter(_in(area.path, period.start, period.end))
    if kind in (CRIMINAL, HOMICIDE):
        rows = rows.filter(kind=kind)
    if reviewed == REVIEWED:
        rows = rows.filter(reviewed_at__isnull=False)
    elif reviewed == NOT_REVIEWED:
        rows = rows.filter(reviewed_at__isnull=True)
    return rows.select_related("dispute", "dispute__grid", "recorded_by", "reviewed_by").order_by("-occurred_on", "-pk")


def conversions_on_case(user: Any, case: Any) -> list[CriminalConversion]:
    """The case page's panel: the case's conversions, if the reader may read the register there."""
    return list(conversions_visible_to(user).filter(dispute=case).order_by("occurred_on", "pk"))
