"""分流: triage, dispatch by the diversion list and the choice of a mediator, for a newly stored case.

Runs in the `route_dispute` task queued when the case is stored (`routing_enqueue`).
"""

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core.actors import Actor
from core.notifications import notify_staff
from disputes.models import Dispute
from disputes.rules.enums import OPEN_STATUSES, Colour, EventKind, Status
from disputes.selectors.routing import diversion_rule_for
from disputes.services.assignment import assigned_text
from disputes.services.casefile import event_record
from disputes.services.transitions import dispute_transition
from grids import roles
from grids.areas import ancestor_paths
from grids.models import StaffProfile

# The task, by name: the tasks call the services, so the services do not import the tasks.
ROUTE_TASK = "disputes.tasks.route_dispute"


def routing_enqueue(pk: int) -> None:
    """Queue the routing of a stored case (called on commit; the sweeper re-queues a lost one)."""
    current_app.send_task(ROUTE_TASK, args=[pk])


def dispute_route(*, dispute_id: int) -> Dispute | None:
    """分流: triage, dispatch by the diversion list and pick a mediator, in one transaction.

    Safe to run twice or concurrently: the case row is locked first and each
    step only runs from the state before it, so a redelivered task (acks_late,
    a killed worker) finds the work done and changes nothing.
    """
    system = Actor.system()
    with transaction.atomic():
        case = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
        if case is None:
            return None
        if case.status == Status.SUBMITTED:
            case = dispute_transition(dispute=case, action="triage", actor=system)
        if case.status != Status.TRIAGED or case.lead_department_id is not None:
            return case
        if case.colour == Colour.RED and settings.RED_CASES_NEED_HUMAN_DISPATCH:
            # Waits in the centre's dispatch queue for a person to look at it.
            return case
        rule = diversion_rule_for(area=case.grid, category=case.category)
        if rule is None:
            return case
        case = dispute_transition(
            dispute=case, action="dispatch", actor=system, data={"department": rule.lead_department, "rule": rule}
        )
        dispute_assign_mediator(dispute=case)
    return case


def dispute_assign_mediator(*, dispute: Dispute) -> Dispute:
    """Pick a mediator of the lead department working in the case's area or above.

    Specialty in the case's category first, then the fewest open cases. The
    candidates' rows are locked (in id order, so two assigners never deadlock)
    before their load is counted, so two workers assigning at once never both
    count the same mediator's load and no mediator goes over `max_open_cases`.
    The second assigner waits for the first to commit, then counts again. (Not
    SKIP LOCKED: a mediator locked by a concurrent assignment is not busy, and
    skipping them left cases unassigned while mediators had room.) If every
    candidate is full the case stays with the department, whose staff accept
    it from their queue.
    """
    case = dispute
    if case.lead_department_id is None or case.assigned_mediator_id is not None:
        return case
    candidates = list(
        StaffProfile.objects.select_for_update(of=("self",))
        .filter(
            role=roles.MEDIATOR,
            department_id=case.lead_department_id,
            area__path__in=ancestor_paths(case.area_path),
            user__is_active=True,
        )
        .order_by("pk")
    )
    if not candidates:
        return case
    user_ids = [c.user_id for c in candidates]
    load = dict(
        Dispute.objects.filter(assigned_mediator_id__in=user_ids, status__in=OPEN_STATUSES)
        .values_list("assigned_mediator_id")
        .annotate(n=Count("pk"))
        .values_list("assigned_mediator_id", "n")
    )
    specialists = set(
        StaffProfile.specialties.through.objects.filter(
            staffprofile_id__in=[c.pk for c in candidates], category_id=case.category_id
        ).values_list("staffprofile_id", flat=True)
    )
    free = [c for c in candidates if load.get(c.user_id, 0) < c.max_open_cases]
    if not free:
        return case
    chosen = min(free, key=lambda c: (c.pk not in specialists, load.get(c.user_id, 0), c.pk))
    Dispute.objects.filter(pk=case.pk).update(assigned_mediator_id=chosen.user_id, updated_at=timezone.now())
    case.assigned_mediator_id = chosen.user_id
    event_record(
        case,
        Actor.system(),
        EventKind.ASSIGNED,
        data={
            "mediator": chosen.user_id,
            "open_cases": load.get(chosen.user_id, 0),
            "specialist": chosen.pk in specialists,
        },
    )
    notify_staff(user=chosen.user, kind="assigned", body=assigned_text(case), dispute_id=case.pk)
    return case
