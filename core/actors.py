"""Who is acting: a staff user in a role, a resident, or the platform itself."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

SYSTEM = "system"
RESIDENT = "resident"
ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    role: str
    user: Any = None  # a User for staff, None for the system and residents
    label: str = ""

    @classmethod
    def system(cls) -> "Actor":
        return cls(role=SYSTEM, label=str(_("System")))

    @classmethod
    def resident(cls) -> "Actor":
        return cls(role=RESIDENT, label=str(_("Resident")))

    @classmethod
    def for_user(cls, user) -> "Actor":
        """A staff user's actor; superusers without a profile act as admins."""
        profile = getattr(user, "staff", None) if user is not None else None
        if profile is not None:
            role = profile.role
        elif user is not None and user.is_superuser:
            role = ADMIN
        else:
            role = ""
        return cls(role=role, user=user, label=user.get_username() if user is not None else "")

    @property
    def is_staff_member(self) -> bool:
        return self.user is not None and self.role not in ("", SYSTEM, RESIDENT)
