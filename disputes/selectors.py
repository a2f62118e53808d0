"""Reads with a rule in them. Every staff query starts from `disputes_visible_to`."""

from django.db.models import Q, QuerySet

from core.validators import normalise_phone
from disputes.models import CaseEvent, Dispute, DisputeAssist
from disputes.rules.enums import PartyRole, Status
from grids.models import Role


def staff_profile(user):
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "staff", None)


def disputes_visible_to(user) -> QuerySet[Dispute]:
    """Cases this user may list, read and act on.

    Admins (and superusers) see everything. Every other staff member sees the
    cases in their area and below, the cases routed to their department (as
    lead or assisting department), and the cases assigned to them. Anyone
    else sees nothing.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Dispute.objects.none()
    profile = staff_profile(user)
    if profile is None:
        return Dispute.objects.all() if user.is_superuser else Dispute.objects.none()
    if profile.role == Role.ADMIN or user.is_superuser:
        return Dispute.objects.all()
    area_path = profile.area.path
    visible = Q(area_path__startswith=area_path) | Q(assigned_mediator=user)
    if profile.department_id:
        visible |= Q(lead_department_id=profile.department_id)
        visible |= Q(pk__in=DisputeAssist.objects.filter(department_id=profile.department_id).values("dispute_id"))
    return Dispute.objects.filter(visible)


def dispute_get_visible(*, user, tracking_number: str) -> Dispute | None:
    return disputes_visible_to(user).filter(tracking_number=tracking_number).first()


DISPATCH_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


def dispatch_queue(*, user) -> QuerySet[Dispute]:
    """Cases waiting for a person to dispatch them (no rule, red, or returned), for dispatchers and supervisors."""
    profile = staff_profile(user)
    role = profile.role if profile is not None else (Role.ADMIN if user.is_authenticated and user.is_superuser else "")
    if role not in DISPATCH_ROLES:
        return Dispute.objects.none()
    return disputes_visible_to(user).filter(status__in=[Status.TRIAGED, Status.RETURNED])


# --- What a resident may see ------------------------------------------------------------------


def dispute_for_resident(*, tracking_number: str, phone: str) -> Dispute | None:
    """The case if the phone is one its applicant gave; None otherwise (same answer for unknown numbers)."""
    phone = normalise_phone(phone)  # stored normalised: １３７… and 137… are one number
    if not tracking_number or not phone:
        return None
    return (
        Dispute.objects.select_related("category", "lead_department")
        .filter(tracking_number=tracking_number, parties__role=PartyRole.APPLICANT, parties__phone=phone)
        .first()
    )


def resident_timeline(dispute: Dispute) -> list[CaseEvent]:
    """Only the public events: status changes and the resident's own additions, never notes or names."""
    return list(dispute.events.filter(is_public=True).order_by("at", "id"))
