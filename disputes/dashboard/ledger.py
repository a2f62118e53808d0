"""台账: every case of an area registered in a period, one row each, and the full overdue list, for export.

Both lists are read in pages of `CHUNK` rows by keyset (the last row's sort key
starts the next page), in the order of an index: the ledger by registration time
(`dispute_submitted_at`) then id, the overdue list in the queue's order (colour,
deadline, id, migration 0007). Server-side cursors are off in this project
(settings: pgbouncer), so a plain `.iterator()` would fetch the whole result at
once; keyset pages keep the memory to one page whatever the area and period.
Each page reads its cases' parties and their resolution deadlines (办结时限) in one
query each, so the cost does not grow with a query per row. The keyset condition
carries its lower bound on its own (`submitted_at >= t` beside the OR), so that it
is the index's range start and a page does not scan again from the period's start.

Masking: a ledger row shows its parties' names, phone and the place in clear
only to a reader who *handles* the case — its mediator, its leader in charge
(包案领导), or staff of its lead or an assisting department. A supervisor or an
administrator reading a whole area's ledger is not a handler of its cases and
gets them masked (names to the family name, phones to 138****5678, numbers in
the summary hidden), decided in the same query (`handled` below), per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import router
from django.db.models import BooleanField, Exists, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.casework.callbacks import CallbackResult
from core.i18n import localized_name
from core.masking import mask_address, mask_name, mask_numbers, mask_phone
from disputes.dashboard.periods import Period
from disputes.dashboard.selectors import OverdueRow, overdue_query
from disputes.models import Deadline, Dispute, DisputeAssist, Party
from disputes.rules.enums import OPEN_STATUSES, Channel, Colour, DeadlineKind, Outcome, PartyRole, Status
from disputes.rules.tracking import format_tracking_number
from disputes.selectors import staff_profile
from disputes.selectors.withdrawal import local_midnight
from grids.models import Area

CHUNK = 2000
SUMMARY_LENGTH = 200

LEDGER_COLUMNS = (
    (_("Registration number"), 16),
    (_("Registration date"), 13),
    (pgettext_lazy("ledger", "Channel"), 12),
    (pgettext_lazy("ledger", "Category"), 12),
    (_("Colour grade"), 8),
    (_("Applicant"), 12),
    (_("Respondent"), 12),
    (_("Contact phone"), 14),
    (_("Place of the dispute"), 24),
    (pgettext_lazy("ledger", "Summary"), 50),
    (_("Lead department"), 18),
    (_("Mediator"), 10),
    (_("Leader in charge"), 10),
    (_("Status"), 14),
    (_("Date concluded"), 13),
    (_("Deadline to conclude"), 17),
    (pgettext_lazy("ledger", "Overdue"), 8),
    (pgettext_lazy("ledger", "Result"), 16),
    (_("Callback result"), 12),
)


def ledger_columns() -> list[str]:
    return [str(label) for label, _width in LEDGER_COLUMNS]


def ledger_widths() -> list[float]:
    return [float(width) for _label, width in LEDGER_COLUMNS]


def _handled_by(user) -> Q | None:
    """The cases `user` handles (mediator, leader, lead or assisting department); None: none at all."""
    if user is None or not user.is_authenticated:
        return None
    handled = Q(assigned_mediator_id=user.pk) | Q(leader_id=user.pk)
    profile = staff_profile(user)
    if profile is not None and profile.department_id:
        handled |= Q(lead_department_id=profile.department_id) | Q(
            Exists(DisputeAssist.objects.filter(dispute=OuterRef("pk"), department_id=profile.department_id))
        )
    return handled


def _person(username: str | None, display_name: str | None) -> str | None:
    if not username:
        return None
    return display_name or username


FIELDS = (
    "pk",
    "tracking_number",
    "submitted_at",
    "channel",
    "category__name",
    "category__name_en",
    "colour",
    "occurred_place",
    "description",
    "lead_department__name",
    "lead_department__name_en",
    "assigned_mediator__username",
    "assigned_mediator__staff__display_name",
    "leader__username",
    "leader__staff__display_name",
    "status",
    "reported_at",
    "outcome",
    "callback_result",
    "handled",
)


def _localized(name: str, name_en: str | None) -> str:
    return localized_name(name, name_en)


def ledger_rows(user, area: Area, period: Period, *, now: datetime | None = None) -> Iterator[list]:
    """The ledger's rows (cells typed for `exports`: dates as dates, None as "—"), in registration order.

    The database (replica or not) and the reader are settled here, at the call: the rows are read later,
    while the response streams, outside the view's `reporting_reads()`."""
    now = now or timezone.now()
    alias = router.db_for_read(Dispute)
    handled = _handled_by(user)
    base = (
        Dispute.objects.using(alias)
        .filter(
            area_path__startswith=area.path,
            submitted_at__gte=local_midnight(period.start),
            submitted_at__lt=local_midnight(period.end),
        )
        .annotate(handled=Q(handled) if handled is not None else Value(False, output_field=BooleanField()))
        .order_by("submitted_at", "pk")
        .values_list(*FIELDS)
    )
    return _ledger_pages(base, alias, now)


class _Labels:
    """The choice labels and names in the active language, looked up once per export instead of once per cell."""

    def __init__(self) -> None:
        self.choices = {
            enum: {value: str(label) for value, label in enum.choices}
            for enum in (Channel, Colour, Status, Outcome, CallbackResult)
        }
        self.english = (get_language() or "").startswith("en")
        self.yes, self.no = str(_("Yes")), str(_("No"))
        self.tz = timezone.get_current_timezone()

    def choice(self, enum, value) -> str | None:
        if value in (None, ""):
            return None
        return self.choices[enum].get(value, str(value))

    def name(self, name: str | None, name_en: str | None) -> str | None:
        if not name:
            return None
        return name_en if self.english and name_en else name

    def day(self, moment: datetime | None):
        return moment.astimezone(self.tz).date() if moment else None


def _ledger_pages(base, alias: str, now: datetime) -> Iterator[list]:
    labels = _Labels()
    after: tuple[datetime, int] | None = None
    while True:
        page_query = base
        if after is not None:
            at, pk = after
            # The first condition is the index's range start (an OR alone would be a filter, and every
            # page would scan again from the period's first day).
            page_query = base.filter(Q(submitted_at__gte=at), Q(submitted_at__gt=at) | Q(submitted_at=at, pk__gt=pk))
        page = list(page_query[:CHUNK])
        if not page:
            return
        after = (page[-1][2], page[-1][0])
        ids = [row[0] for row in page]
        parties = _parties(alias, ids)
        deadlines = _resolve_deadlines(alias, ids)
        for row in page:
            yield _ledger_cells(row, parties.get(row[0], ()), deadlines.get(row[0]), labels, now)
        if len(page) < CHUNK:
            return


def _parties(alias: str, ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
    found: dict[int, list[tuple[str, str, str]]] = {}
    for dispute_id, role, name, phone in (
        Party.objects.using(alias)
        .filter(dispute_id__in=ids, role__in=(PartyRole.APPLICANT, PartyRole.RESPONDENT))
        .order_by("dispute_id", "pk")
        .values_list("dispute_id", "role", "name", "phone")
    ):
        found.setdefault(dispute_id, []).append((role, name, phone))
    return found


def _resolve_deadlines(alias: str, ids: list[int]) -> dict[int, tuple[datetime, datetime | None]]:
    """办结时限: each case's running (or last) resolution deadline, the latest when it was set more than once."""
    found: dict[int, tuple[datetime, datetime | None]] = {}
    for dispute_id, due_at, done_at in (
        Deadline.objects.using(alias)
        .filter(dispute_id__in=ids, kind=DeadlineKind.RESOLVE, cancelled_at__isnull=True)
        .order_by("dispute_id", "-due_at")
        .values_list("dispute_id", "due_at", "done_at")
    ):
        found.setdefault(dispute_id, (due_at, done_at))
    return found


def _summary(text: str, names: list[str], masked: bool) -> str:
    text = " ".join(text.split())
    if masked:
        for name in sorted({n for n in names if len(n) >= 2}, key=len, reverse=True):
            text = text.replace(name, mask_name(name))
        text = mask_numbers(text)
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"


def _ledger_cells(row: tuple, parties, deadline, labels: _Labels, now: datetime) -> list:
    (
        _pk,
        number,
        submitted_at,
        channel,
        category,
        category_en,
        colour,
        place,
        description,
        department,
        department_en,
        mediator,
        mediator_name,
        leader,
        leader_name,
        status,
        reported_at,
        outcome,
        callback_result,
        handled,
    ) = row
    masked = not handled
    applicants = [name for role, name, _phone in parties if role == PartyRole.APPLICANT]
    respondents = [name for role, name, _phone in parties if role == PartyRole.RESPONDENT]
    phone = next((p for role, _name, p in parties if role == PartyRole.APPLICANT and p), "")
    if masked:
        applicant_names = "、".join(mask_name(n) for n in applicants)
        respondent_names = "、".join(mask_name(n) for n in respondents)
        phone, place = mask_phone(phone), mask_address(place)
    else:
        applicant_names, respondent_names = "、".join(applicants), "、".join(respondents)
    overdue = None
    due = None
    if deadline is not None:
        due, done = deadline
        finished = done or (reported_at if status not in OPEN_STATUSES else None)
        overdue = labels.yes if (finished or now) > due else labels.no
    return [
        format_tracking_number(number),
        labels.day(submitted_at),
        labels.choice(Channel, channel),
        labels.name(category, category_en),
        labels.choice(Colour, colour),
        applicant_names or None,
        respondent_names or None,
        phone or None,
        place or None,
        _summary(description or "", applicants + respondents, masked) or None,
        labels.name(department, department_en),
        _person(mediator, mediator_name),
        _person(leader, leader_name),
        labels.choice(Status, status),
        labels.day(reported_at),
        labels.day(due),
        overdue,
        labels.choice(Outcome, outcome),
        labels.choice(CallbackResult, callback_result),
    ]


# --- The overdue list, every case ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    colour: int
    due: datetime
    pk: int


def overdue_rows(user, area: Area, *, now: datetime | None = None) -> Iterator[OverdueRow]:
    """Every open overdue case of the area the user may see, in the dashboard list's order (red first, then
    the most overdue): the page shows the first `selectors.OVERDUE_LIMIT`, the export all of them. As for
    `ledger_rows`, the database is chosen at the call and the rows read as the response streams."""
    now = now or timezone.now()
    alias = router.db_for_read(Dispute)
    base = overdue_query(user, area, now=now, alias=alias).values_list(
        "pk",
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
    )
    return _overdue_pages(base, alias)


def _overdue_pages(base, alias: str) -> Iterator[OverdueRow]:
    after: _Key | None = None
    while True:
        query = base
        if after is not None:
            query = base.filter(
                Q(colour__gte=after.colour),
                Q(colour__gt=after.colour)
                | Q(colour=after.colour, due__gt=after.due)
                | Q(colour=after.colour, due=after.due, pk__gt=after.pk),
            )
        page = list(query[:CHUNK])
        if not page:
            return
        last = page[-1]
        after = _Key(last[3], last[4], last[0])
        names: dict[int, str] = {}
        for dispute_id, name in (
            Party.objects.using(alias)
            .filter(dispute_id__in=[row[0] for row in page], role=PartyRole.APPLICANT)
            .order_by("dispute_id", "pk")
            .values_list("dispute_id", "name")
        ):
            names.setdefault(dispute_id, name)
        for pk, number, status, colour, due, cat, cat_en, dept, dept_en, leader, leader_name in page:
            yield OverdueRow(
                tracking_number=number,
                tracking_number_display=format_tracking_number(number),
                applicant=mask_name(names.get(pk, "")),
                category=_localized(cat, cat_en),
                department=_localized(dept, dept_en) if dept else "",
                status=str(Status(status).label),
                colour=colour,
                colour_label=str(Colour(colour).label),
                due_at=due,
                leader=_person(leader, leader_name) or "",
            )
        if len(page) < CHUNK:
            return
