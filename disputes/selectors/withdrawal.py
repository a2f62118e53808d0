"""撤回: the withdrawal requests a supervisor decides, and the withdrawn cases the dashboard lists."""

from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from disputes.models import Dispute, WithdrawalRequest
from disputes.rules.enums import Outcome, Status
from disputes.selectors.cases import disputes_visible_to, sees_everything
from grids import roles
from grids.models import Role

PENDING_LIST_LIMIT = 200
WITHDRAWN_LIST_LIMIT = 500


def withdrawals_pending_for(user: Any) -> QuerySet[WithdrawalRequest]:
    """Requests awaiting a decision that this user may decide, oldest first.

    A supervisor's: those of their area and below, read from the `withdrawal_pending`
    partial index (area_path prefix, requested_at); an administrator's: all. Anyone
    else has none.
    """
    pending = WithdrawalRequest.objects.filter(state=WithdrawalRequest.State.PENDING)
    if sees_everything(user):
        rows = pending
    else:
        profile = roles.staff_profile(user)
        if profile is None or profile.role != Role.SUPERVISOR or not user.is_active:
            return WithdrawalRequest.objects.none()
        rows = pending.filter(area_path__startswith=profile.area.path)
    return rows.select_related("dispute__category", "recorded_by__staff").order_by("requested_at", "pk")


def withdrawal_visible_to(user: Any, pk: int) -> bool:
    """Whether the request `pk` exists on a case this user may see."""
    return WithdrawalRequest.objects.filter(pk=pk, dispute__in=disputes_visible_to(user)).exists()


def withdrawal_pending_of(case: Dispute) -> WithdrawalRequest | None:
    """The case's request awaiting a decision, if any."""
    return (
        WithdrawalRequest.objects.filter(dispute=case, state=WithdrawalRequest.State.PENDING)
        .select_related("recorded_by__staff")
        .first()
    )


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def withdrawn_in_period(user: Any, *, area_path: str, start: date, end: date) -> QuerySet[Dispute]:
    """Cases of the area withdrawn (closed as withdrawn) on local days `start` ≤ day < `end`, newest first:
    the rows behind the dashboard's "withdrawn" figure (the rollups' `withdrawn`: a suspected duplicate
    merged into its earlier case is not a withdrawal)."""
    return (
        disputes_visible_to(user)
        .filter(
            status=Status.WITHDRAWN,
            outcome=Outcome.WITHDRAWN,
            duplicate_of__isnull=True,
            area_path__startswith=area_path,
            closed_at__gte=local_midnight(start),
            closed_at__lt=local_midnight(end),
        )
        .select_related("category")
        .order_by("-closed_at", "-pk")
    )


def approved_requests(case_ids: list[int]) -> dict[int, WithdrawalRequest]:
    """The approved request behind each withdrawn case (cases withdrawn before requests existed have none)."""
    rows = (
        WithdrawalRequest.objects.filter(dispute_id__in=case_ids, state=WithdrawalRequest.State.APPROVED)
        .select_related("recorded_by__staff", "decided_by__staff")
        .order_by("dispute_id", "-decided_at")
    )
    found: dict[int, WithdrawalRequest] = {}
    for row in rows:
        found.setdefault(row.dispute_id, row)
    return found
