"""Cases stored directly in a given state, shaped the way the transition service would have left them."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from disputes.models import Agreement, Deadline, Dispute
from disputes.rules.enums import DeadlineKind, Outcome, Status
from tests.factories import DisputeFactory


@dataclass(frozen=True)
class Shape:
    """What a case in one status looks like: who handles it, its outcome and its open deadlines."""

    lead: bool = False
    mediator: bool = False
    reported: bool = False
    closed: bool = False
    outcome: str = ""
    reopened_count: int = 0
    # (kind, due in) of the open deadlines
    deadlines: tuple[tuple[str, timedelta], ...] = field(default_factory=tuple)


D = DeadlineKind
SHAPES: dict[str, Shape] = {
    Status.SUBMITTED: Shape(),
    Status.TRIAGED: Shape(),
    Status.DISPATCHED: Shape(lead=True, deadlines=((D.ACCEPT, timedelta(days=3)),)),
    # `return` clears the lead department and cancels the clocks.
    Status.RETURNED: Shape(),
    Status.ACCEPTED: Shape(lead=True, mediator=True, deadlines=((D.RESOLVE, timedelta(days=20)),)),
    Status.IN_MEDIATION: Shape(lead=True, mediator=True, deadlines=((D.RESOLVE, timedelta(days=10)),)),
    Status.REPORTED: Shape(
        lead=True,
        mediator=True,
        reported=True,
        outcome=Outcome.AGREEMENT,
        deadlines=((D.PERFORMANCE, timedelta(days=60)),),
    ),
    Status.AWAITING_CALLBACK: Shape(
        lead=True,
        mediator=True,
        reported=True,
        outcome=Outcome.AGREEMENT,
        deadlines=((D.CALLBACK, timedelta(days=5)), (D.PERFORMANCE, timedelta(days=60))),
    ),
    Status.REOPENED: Shape(
        lead=True,
        mediator=True,
        reopened_count=1,
        deadlines=((D.RESOLVE, timedelta(days=25)), (D.PERFORMANCE, timedelta(days=60))),
    ),
    Status.CLOSED: Shape(
        lead=True,
        mediator=True,
        reported=True,
        closed=True,
        outcome=Outcome.AGREEMENT,
        deadlines=((D.PERFORMANCE, timedelta(days=60)),),
    ),
    Status.WITHDRAWN: Shape(closed=True, outcome=Outcome.WITHDRAWN),
}


def case_in(
    status: str,
    *,
    grid,
    category,
    department=None,
    mediator=None,
    now: datetime | None = None,
    **fields,
) -> Dispute:
    """A case in `status` filed in `grid`; `department` and `mediator` fill the roles its status implies."""
    now = now or timezone.now()
    shape = SHAPES[status]
    values = {
        "status": status,
        "grid": grid,
        "category": category,
        "submitted_at": now - timedelta(days=2),
        "lead_department": department if shape.lead else None,
        "assigned_mediator": mediator if shape.mediator else None,
        "outcome": shape.outcome,
        "reported_at": now - timedelta(days=1) if shape.reported else None,
        "closed_at": now - timedelta(hours=1) if shape.closed else None,
        "reopened_count": shape.reopened_count,
        "next_due_at": min((now + due for _kind, due in shape.deadlines), default=None),
    }
    values.update(fields)
    case = DisputeFactory(**values)
    Deadline.objects.bulk_create([Deadline(dispute=case, kind=kind, due_at=now + due) for kind, due in shape.deadlines])
    return case


def with_agreement(case: Dispute, **fields) -> Agreement:
    """The mediation agreement (调解协议书) that reporting back "resolved by agreement" requires."""
    values = {
        "facts": case.description,
        "points_in_dispute": "费用分担",
        "terms": "双方同意各自承担一半费用",
        "performance_method": "一次性支付",
        **fields,
    }
    return Agreement.objects.create(dispute=case, **values)
