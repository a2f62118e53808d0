"""指派 and 联合调解: a person gives a case to a handler of its lead department, or asks another
department to help with it."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from core.notifications import notify_staff
from disputes.models import Dispute, DisputeAssist
from disputes.rules.enums import Colour, EventKind, Status
from disputes.services.casefile import (
    DisputeRef,
    check_department_serves,
    check_handler,
    event_record,
    lock_visible,
    refuse_if_finished,
    wrong_state,
)
from grids import roles
from grids.areas import ancestor_paths
from grids.models import Department, StaffProfile

ASSIGN_ROLES = frozenset({roles.DISPATCHER, roles.SUPERVISOR, roles.ADMIN})
# A mediator can be given (or handed over) a case from dispatch until the report-back.
ASSIGNABLE_STATUSES = frozenset({Status.DISPATCHED, Status.ACCEPTED, Status.IN_MEDIATION, Status.REOPENED})
ASSIST_ROLES = frozenset({roles.DISPATCHER, roles.SUPERVISOR, roles.ADMIN, roles.MEDIATOR, roles.DEPARTMENT_STAFF})


def assigned_text(case: Dispute) -> str:
    """What a handler is told when a case is given to them."""
    # Staff messages are stored once, in the site's language, whoever's request caused them.
    with translation.override(settings.LANGUAGE_CODE):
        return _("New case %(number)s (%(colour)s) has been assigned to you.") % {
            "number": case.tracking_number_display,
            "colour": Colour(case.colour).label,
        }


def dispute_assign(*, dispute: DisputeRef, actor: Actor, mediator: Any, reason: str = "") -> Dispute:
    """指派: a dispatcher or supervisor gives the case to a handler of its lead department, or hands it over.

    The handler (a mediator or department staff member) must belong to the lead
    department and work in the case's area or above it, as automatic assignment
    requires. The change is an ASSIGNED event and the handler is told.
    """
    if actor.role not in ASSIGN_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        if case.status not in ASSIGNABLE_STATUSES:
            raise wrong_state(case)
        profile = (
            StaffProfile.objects.select_related("area")
            .filter(user=mediator, user__is_active=True, role__in=[roles.MEDIATOR, roles.DEPARTMENT_STAFF])
            .first()
        )
        if (
            profile is None
            or profile.department_id != case.lead_department_id
            or profile.area.path not in ancestor_paths(case.area_path)
        ):
            raise ApplicationError(
                _("Choose a mediator of the department handling this case who works in its area."),
                code="mediator_not_eligible",
                extra={"field": "mediator"},
            )
        if case.assigned_mediator_id == profile.user_id:
            raise ApplicationError(
                _("This mediator is already assigned to the case."),
                code="already_assigned",
                extra={"field": "mediator"},
            )
        previous = case.assigned_mediator_id
        case.assigned_mediator_id = profile.user_id
        case.save(update_fields=["assigned_mediator", "updated_at"])
        event_record(
            case,
            actor,
            EventKind.ASSIGNED,
            reason=reason,
            data={"mediator": profile.user_id, "from_mediator": previous},
        )
        notify_staff(user=profile.user, kind="assigned", body=assigned_text(case), dispute_id=case.pk)
    return case


def dispute_request_assistance(
    *, dispute: DisputeRef, actor: Actor, department: Department, reason: str = ""
) -> Dispute:
    """联合调解: another department joins the case; it sees the case and adds notes."""
    if actor.role not in ASSIST_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_handler(case, actor, "assist")
        refuse_if_finished(case)
        if department.pk == case.lead_department_id:
            raise ApplicationError(
                _("This department already leads the case."), code="already_lead", extra={"field": "department"}
            )
        check_department_serves(case, department)
        _assist, created = DisputeAssist.objects.get_or_create(dispute=case, department=department)
        if created:
            event_record(
                case,
                actor,
                EventKind.ASSISTANCE,
                reason=reason,
                data={"department": department.pk, "department_name": department.name},
            )
            with translation.override(settings.LANGUAGE_CODE):
                body = _("Your department is asked to help with case %(number)s.") % {
                    "number": case.tracking_number_display
                }
            for profile in department.staff.select_related("user").filter(user__is_active=True)[:20]:
                notify_staff(user=profile.user, kind="assistance", body=body, dispute_id=case.pk)
    return case
