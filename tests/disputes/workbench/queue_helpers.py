"""Shared by the queue tests: cases with an applicant, shaped by status, colour and deadline."""

from datetime import timedelta

from django.utils import timezone

from disputes.rules.enums import Colour, PartyRole, Status
from tests.disputes.cases import case_in
from tests.factories import PartyFactory


def queued(
    status=Status.IN_MEDIATION,
    *,
    grid,
    category,
    department=None,
    mediator=None,
    colour=Colour.WHITE,
    due_in: timedelta | None = timedelta(days=5),
    no_deadline: bool = False,
    applicant: str = "张三",
    **fields,
):
    """A case in `status` with one applicant; `due_in` sets next_due_at (None with no_deadline=True)."""
    now = timezone.now()
    next_due = None if no_deadline else (now + due_in if due_in is not None else None)
    case = case_in(
        status,
        grid=grid,
        category=category,
        department=department,
        mediator=mediator,
        colour=colour,
        next_due_at=next_due,
        **fields,
    )
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name=applicant, phone="13800138000")
    return case


def numbers(page) -> list[str]:
    return [row.tracking_number for row in page.rows]
