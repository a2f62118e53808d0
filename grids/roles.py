"""The one role vocabulary: who acts on a case or a petition.

Staff roles are `grids.models.Role` (a staff profile's role); the platform
itself (Celery tasks, the sweeper) acts as SYSTEM and a party proven by
tracking number and phone as RESIDENT. Transition tables, services and
navigation name roles from here only.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from core.actors import ADMIN, RESIDENT, SYSTEM
from core.types import RequestUser
from grids.areas import ancestor_paths
from grids.models import Role, StaffProfile

MEDIATOR = Role.MEDIATOR.value
DEPARTMENT_STAFF = Role.DEPARTMENT_STAFF.value
DISPATCHER = Role.DISPATCHER.value
CALLBACK_CALLER = Role.CALLBACK_CALLER.value
SUPERVISOR = Role.SUPERVISOR.value
if ADMIN != Role.ADMIN.value:  # the actor's admin is the staff role's
    raise ImproperlyConfigured(f"core.actors.ADMIN ({ADMIN!r}) must equal grids Role.ADMIN ({Role.ADMIN.value!r})")

STAFF_ROLES = tuple(Role.values)
ALL_ROLES = (SYSTEM, RESIDENT, MEDIATOR, DEPARTMENT_STAFF, DISPATCHER, CALLBACK_CALLER, SUPERVISOR, ADMIN)
# Those who work a case they are given (受理、调解、反馈).
HANDLERS = frozenset({MEDIATOR, DEPARTMENT_STAFF})
# The office of a petitions bureau: registers, decides, issues letters.
OFFICE = frozenset({DISPATCHER, DEPARTMENT_STAFF, SUPERVISOR})

__all__ = [
    "ADMIN",
    "ALL_ROLES",
    "CALLBACK_CALLER",
    "DEPARTMENT_STAFF",
    "DISPATCHER",
    "HANDLERS",
    "MEDIATOR",
    "OFFICE",
    "RESIDENT",
    "STAFF_ROLES",
    "SUPERVISOR",
    "SYSTEM",
    "nearest_supervisors",
]


def staff_profile(user: RequestUser | None) -> StaffProfile | None:
    """The signed-in user's staff profile (area, department, role), or None."""
    if user is None or not user.is_authenticated:
        return None
    profile: StaffProfile | None = getattr(user, "staff", None)
    return profile


def role_of(user: RequestUser | None) -> str:
    """The user's role: their profile's, "admin" for a superuser without one, else ""."""
    profile = staff_profile(user)
    if profile is not None:
        return profile.role
    return ADMIN if user is not None and getattr(user, "is_superuser", False) else ""


def nearest_supervisors(area_path: str, *, limit: int = 20) -> list[Any]:
    """Who is told about a place: the active supervisors of the nearest level up the tree that has any
    (the place's own area first), at most `limit`, in account order. One query.

    A sweep that asks for many places reads every supervisor once instead (the ladder's tiers in
    `disputes.services.deadlines`, `disputes.services.leader.leader_needed_notices`).
    """
    rows = list(
        get_user_model()
        .objects.filter(is_active=True, staff__role=SUPERVISOR, staff__area__path__in=ancestor_paths(area_path))
        .values_list("pk", "staff__area__path")
        .order_by("pk")
    )
    if not rows:
        return []
    nearest = max(len(path) for _pk, path in rows)
    ids = [pk for pk, path in rows if len(path) == nearest][:limit]
    users: list[Any] = list(get_user_model().objects.filter(pk__in=ids).order_by("pk"))
    return users
