"""The disputes app's entries in the site menu (core.navigation): who sees each, in the role vocabulary."""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.navigation import MenuEntry, everyone
from grids import roles


def staff_in(*names: str) -> Callable[[Any], bool]:
    """Signed-in staff of one of these roles, and superusers."""

    def shown_to(user: Any) -> bool:
        if user is None or not user.is_authenticated:
            return False
        return bool(user.is_superuser) or roles.role_of(user) in names

    return shown_to


MENU = (
    MenuEntry("disputes:submit", _("Submit a dispute"), 10, everyone, public=True),
    MenuEntry("disputes:track", _("Track my case"), 20, everyone, public=True),
    MenuEntry("disputes:queue", _("Case queue"), 100),
    MenuEntry("disputes:walk_in", _("Register a visitor"), 110),
    MenuEntry(
        "disputes:callbacks", _("Callbacks"), 130, staff_in(roles.CALLBACK_CALLER, roles.SUPERVISOR, roles.ADMIN)
    ),
    MenuEntry("disputes:spot_checks", _("Spot checks"), 140, staff_in(roles.SUPERVISOR, roles.ADMIN)),
    MenuEntry("disputes:withdrawals", _("Withdrawal approvals"), 145, staff_in(roles.SUPERVISOR, roles.ADMIN)),
    # 督办: supervisors see the orders their office issued; handlers the orders addressed to them.
    MenuEntry(
        "disputes:orders",
        _("Supervision orders"),
        147,
        staff_in(roles.SUPERVISOR, roles.ADMIN, roles.MEDIATOR, roles.DEPARTMENT_STAFF),
    ),
    MenuEntry("disputes:dashboard", _("Dashboard"), 150, staff_in(roles.SUPERVISOR, roles.ADMIN)),
    # 民转刑 / 刑转命 台账 (disputes.staff.conversions).
    MenuEntry(
        "disputes:conversions", _("Disputes turned criminal: register"), 155, staff_in(roles.SUPERVISOR, roles.ADMIN)
    ),
)
