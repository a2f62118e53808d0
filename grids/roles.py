"""The one role vocabulary: who acts on a case or a petition.

Staff roles are `grids.models.Role` (a staff profile's role); the platform
itself (Celery tasks, the sweeper) acts as SYSTEM and a party proven by
tracking number and phone as RESIDENT. Transition tables, services and
navigation name roles from here only.
"""

from django.core.exceptions import ImproperlyConfigured

from core.actors import ADMIN, RESIDENT, SYSTEM
from core.types import RequestUser
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
