"""Who may see a petition, who works it, and the one permission-aware getter."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.casework.access import get_in
from core.types import RequestUser
from disputes.rules.tracking import normalise_tracking_number
from grids.roles import ADMIN, CALLBACK_CALLER, DISPATCHER, SUPERVISOR, staff_profile
from petitions.models import Petition

# What the petition page and the API show beside a petition: read with it in one query.
PAGE_RELATED = ("area", "category", "receiving_office", "handling_department", "repeat_of", "dispute")


def _active(user: RequestUser | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def petitions_visible_to(user: RequestUser | None) -> QuerySet[Petition]:
    """Petitions this user may list, read and act on (mirrors `disputes_visible_to`).

    Admins and superusers see all; other staff see petitions in their area and
    below, and those received by or assigned to their department.
    """
    if user is None or not _active(user):
        return Petition.objects.none()
    profile = staff_profile(user)
    superuser = bool(getattr(user, "is_superuser", False))
    if profile is None:
        return Petition.objects.all() if superuser else Petition.objects.none()
    if profile.role == ADMIN or superuser:
        return Petition.objects.all()
    visible = Q(area_path__startswith=profile.area.path)
    if profile.department_id:
        visible |= Q(receiving_office_id=profile.department_id) | Q(handling_department_id=profile.department_id)
    return Petition.objects.filter(visible)


def petition_get_for(
    user: RequestUser | None, ref: Petition | int | str, *, lock: bool = False, related: tuple[str, ...] = ()
) -> Petition:
    """访问: the one permission-aware getter for a petition (in the spirit of Zulip's `access_*`).

    `ref` is a tracking number (any spelling a clerk types), a primary key or a
    Petition. `user` is a staff user; None stands for the platform itself (the
    sweeper, a callback's closing). A petition outside the reader's jurisdiction
    raises the same NotFoundError as a number that does not exist: the answer
    never confirms that a petition exists. `lock` takes the row with SELECT … FOR
    UPDATE (call inside a transaction).
    """
    rows = Petition.objects.all() if user is None else petitions_visible_to(user)
    return get_in(
        rows, ref, normalise=normalise_tracking_number, not_found=_("Petition not found."), lock=lock, related=related
    )


def user_works_petition(user: RequestUser | None, petition: Petition) -> bool:
    """Whether `user` works this petition, and so may see its petitioners' phone, ID and address in clear.

    - an administrator (or a superuser without a profile);
    - the leader in charge (包案领导) when they have an account;
    - the staff of the receiving office (the petitions bureau that registered it)
      and of the handling department;
    - a dispatcher or supervisor whose area covers the petition's area;
    - a callback caller whose area covers it, once the written reply is given (they phone the petitioner).

    Everyone else who can see it (a mediator or another department's staff in the
    same area, a caller before the reply) sees the petitioners masked.
    """
    if user is None or not _active(user):
        return False
    if petition.leader_user_id is not None and petition.leader_user_id == user.pk:
        return True
    profile = staff_profile(user)
    superuser = bool(getattr(user, "is_superuser", False))
    if profile is None:
        return superuser
    if profile.role == ADMIN or superuser:
        return True
    if profile.department_id and profile.department_id in (
        petition.receiving_office_id,
        petition.handling_department_id,
    ):
        return True
    covers = petition.area_path.startswith(profile.area.path)
    if profile.role in (DISPATCHER, SUPERVISOR):
        return covers
    if profile.role == CALLBACK_CALLER:
        return covers and petition.replied_at is not None
    return False
