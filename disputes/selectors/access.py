"""Who works a case (and so sees its parties in clear), as distinct from who may merely see it: one case
(`user_works_case`) or as a condition on many (`cases_worked_by`)."""

from django.db.models import Exists, OuterRef, Q

from core.types import RequestUser
from disputes.models import Dispute, DisputeAssist
from grids import roles
from grids.areas import within


def user_works_case(user: RequestUser | None, case: Dispute) -> bool:
    """Whether `user` works this case, and so may see its parties' phone, ID and address in clear.

    - an administrator (or a superuser without a profile);
    - the assigned mediator, and the case's leader in charge (包案领导);
    - the staff of the lead department or of an assisting department (联合调解);
    - a dispatcher or supervisor whose area covers the case's grid;
    - a callback caller whose area covers it, once the case has been reported back (they phone the parties).

    Everyone else who can see the case — a mediator of another department in the
    same township, a caller before the report-back — sees the parties masked.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    superuser = bool(getattr(user, "is_superuser", False))
    profile = roles.staff_profile(user)
    if profile is None:
        return superuser
    if profile.role == roles.ADMIN or superuser:
        return True
    if case.assigned_mediator_id == user.pk or case.leader_id == user.pk:
        return True
    if profile.department_id and (
        profile.department_id == case.lead_department_id
        or case.assists.filter(department_id=profile.department_id).exists()
    ):
        return True
    covers = case.area_path.startswith(profile.area.path)
    if profile.role in (roles.DISPATCHER, roles.SUPERVISOR):
        return covers
    if profile.role == roles.CALLBACK_CALLER:
        return covers and case.reported_at is not None
    return False


def cases_worked_by(user: RequestUser | None) -> Q | None:
    """`user_works_case` as a condition on the cases `user` may see; None when they work every one of them.

    For the queue's search: a bystander finds a case by its number, never by a name or a phone number
    in its description (the search would tell them whose case it is, however masked its row).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    superuser = bool(getattr(user, "is_superuser", False))
    profile = roles.staff_profile(user)
    if profile is None:
        return None if superuser else Q(pk__in=[])
    # Administrators work every case; dispatchers and supervisors every case they may see (their area,
    # or routed to their department), as `disputes_visible_to` and `user_works_case` both say.
    if superuser or profile.role in (roles.ADMIN, roles.DISPATCHER, roles.SUPERVISOR):
        return None
    worked = Q(assigned_mediator=user) | Q(leader=user)
    if profile.department_id:
        worked |= Q(lead_department_id=profile.department_id) | Q(
            Exists(DisputeAssist.objects.filter(dispute=OuterRef("pk"), department_id=profile.department_id))
        )
    if profile.role == roles.CALLBACK_CALLER:
        worked |= within(profile.area.path) & Q(reported_at__isnull=False)
    return worked
