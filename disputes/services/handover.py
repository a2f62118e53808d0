"""The inbox items of a hand-over: a case transferred to a department (转办), a case returned to dispatch (退回).

Written by `disputes.services.transitions` inside the transition's transaction, so
the notice and the move commit or roll back together (delivery on commit).
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from core.notifications import notify_staff
from disputes import visibility
from disputes.models import Dispute
from disputes.services.casefile import case_link
from grids import roles
from grids.areas import ancestor_paths
from grids.models import Department

# At most this many people are told of one hand-over.
MAX_RECIPIENTS = 20


def department_recipients(department_id: int) -> list[Any]:
    """Who hears of a case sent to a department: its heads (科室负责人), else its staff."""
    users = get_user_model().objects.filter(is_active=True, staff__department_id=department_id)
    heads = list(users.filter(staff__is_head=True).order_by("pk")[:MAX_RECIPIENTS])
    return heads or list(users.order_by("pk")[:MAX_RECIPIENTS])


def area_dispatchers(case: Dispute) -> list[Any]:
    """The dispatchers of the case's area: those of the nearest level above it (its own first) that has any."""
    users = get_user_model().objects.filter(
        is_active=True, staff__role=roles.DISPATCHER, staff__area__path__in=ancestor_paths(case.area_path)
    )
    by_path: dict[str, list[Any]] = {}
    for user in users.select_related("staff__area").order_by("pk"):
        by_path.setdefault(user.staff.area.path, []).append(user)
    return next((by_path[p][:MAX_RECIPIENTS] for p in ancestor_paths(case.area_path) if p in by_path), [])


def transfer_notices(case: Dispute, department: Department) -> int:
    """转办: tell the new lead department's heads (or staff) that the case is theirs to accept."""
    with translation.override(settings.LANGUAGE_CODE):
        body = _("Case %(number)s has been transferred to %(department)s: please accept it.") % {
            "number": case.tracking_number_display,
            "department": department.name,
        }
    recipients = department_recipients(department.pk)
    for user in recipients:
        notify_staff(user=user, kind="transfer", body=body, dispute_id=case.pk, link=case_link(case))
    return len(recipients)


def return_notices(case: Dispute, *, department_id: int | None, reason: str) -> int:
    """退回: tell the dispatchers of the case's area, with the returning department and its reason.

    The reason is free text: the case's parties' names, phones and ID numbers and any long number
    in it are masked, as on the timeline of a reader who does not work the case (disputes.visibility).
    """
    recipients = area_dispatchers(case)
    if not recipients:
        return 0
    masked = visibility.case_lens(None, case, works=False).mask_text(reason)
    department = ""
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).values_list("name", flat=True).first() or ""
    with translation.override(settings.LANGUAGE_CODE):
        body = _("Case %(number)s has been returned to dispatch by %(department)s. Reason: %(reason)s") % {
            "number": case.tracking_number_display,
            "department": department or "—",
            "reason": masked,
        }
    for user in recipients:
        notify_staff(user=user, kind="return", body=body, dispute_id=case.pk, link=case_link(case))
    return len(recipients)
