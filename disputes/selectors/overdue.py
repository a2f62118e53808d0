"""久拖未决: the open cases of an area whose nearest running deadline passed N days ago, and who holds them.

The district's dashboard lists those overdue `LONG_OVERDUE_DISTRICT_DAYS` (15)
days and more, the city's those overdue `LONG_OVERDUE_CITY_DAYS` (30): where
the escalation ladder ends (`disputes.rules.clocks`), a case stays on these
lists until someone acts on it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from core.staff_names import person_name
from disputes.models import Dispute, SupervisionOrder
from disputes.rules.enums import OPEN_STATUSES, Colour, Status
from disputes.selectors.cases import disputes_visible_to
from disputes.selectors.queue import DueKey
from grids.models import Area, AreaLevel

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class LongOverdueRow:
    case: Dispute
    tracking_number: str
    tracking_number_display: str
    colour: str
    colour_label: str
    status_label: str
    due_at: datetime
    days_overdue: int
    mediator: str  # who holds it: the mediator, else the lead department, and the 包案 leader
    department: str
    leader: str
    order_number: str  # the latest open 督办单's number, "" when none


def long_overdue_days(area: Area) -> int | None:
    """How many days overdue a case must be to show on this area's dashboard list: None below a district."""
    if area.level == AreaLevel.CITY:
        return int(settings.LONG_OVERDUE_CITY_DAYS)
    if area.level == AreaLevel.COUNTY:
        return int(settings.LONG_OVERDUE_DISTRICT_DAYS)
    return None


def long_overdue_cases(
    *, user: Any, area: Area, days: int, limit: int = DEFAULT_LIMIT, now: datetime | None = None
) -> list[LongOverdueRow]:
    """Open cases in `area` the user may see whose nearest running deadline (`next_due_at`) passed `days`
    or more days ago, the oldest first.

    Indexed, no scan of the cases table: the status list and the due key
    (COALESCE(next_due_at, ∞), the queue's expression) are the leading columns
    of `dispute_status_order` (migration 0011: status, colour, due key, id) and
    the predicate and columns of `dispute_open_area` (migration 0010: the open
    cases' area_path, mediator, due key), so PostgreSQL reads index entries of
    open cases only, the due date checked in the index, and sorts the few
    long-overdue ones (the city at 100,000 cases: an index scan on
    `dispute_status_order`, the area prefix a filter on its rows; 267 rows
    found, the first 50 sorted).
    A paused case (waiting on a party: `next_due_at` null) is not overdue.
    Cases awaiting their callback are the callers' queue's, not on this list.
    The holders and the latest open order are read in two more queries.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    cases = list(
        disputes_visible_to(user)
        .filter(status__in=OPEN_STATUSES, area_path__startswith=area.path)
        .annotate(due=DueKey(F("next_due_at")))
        .filter(due__lte=cutoff)
        .select_related("lead_department", "assigned_mediator__staff", "leader__staff")
        .order_by("due", "pk")[:limit]
    )
    orders: dict[int, str] = {}
    for dispute_id, number in (
        SupervisionOrder.objects.filter(dispute_id__in=[c.pk for c in cases], closed_at__isnull=True)
        .order_by("-issued_at", "-pk")
        .values_list("dispute_id", "document_number")
    ):
        orders.setdefault(dispute_id, number)
    return [
        LongOverdueRow(
            case=c,
            tracking_number=c.tracking_number,
            tracking_number_display=c.tracking_number_display,
            colour=Colour(c.colour).code,
            colour_label=str(Colour(c.colour).label),
            status_label=str(Status(c.status).label),
            due_at=c.next_due_at,
            days_overdue=(now - c.next_due_at).days,
            mediator=_staff_name(c.assigned_mediator),
            department=c.lead_department.display_name if c.lead_department is not None else "",
            leader=_staff_name(c.leader),
            order_number=orders.get(c.pk, ""),
        )
        for c in cases
        if c.next_due_at is not None
    ]


def _staff_name(user: Any) -> str:
    return person_name(user)
