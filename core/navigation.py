"""The site's menu: each app declares its entries, one context processor gives `base.html` those of the reader.

An app lists its entries in a `navigation` module-level `MENU` (a tuple of
`MenuEntry`) and names it on its AppConfig (`menu = "disputes.navigation.MENU"`);
`menu` below reads every installed app's list, so core names no app. Who sees an
entry is the entry's own `shown_to(user)` (the app says it with its role
vocabulary): the template names no role.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


def signed_in(user: Any) -> bool:
    """Any signed-in user (the pages themselves decide what a user without a role gets)."""
    return bool(user is not None and user.is_authenticated)


def everyone(user: Any) -> bool:
    return True


@dataclass(frozen=True)
class MenuEntry:
    url_name: str
    label: str | Promise
    order: int  # the place in the menu, across apps
    shown_to: Callable[[Any], bool] = signed_in
    # Public entries (residents' pages) come first and stay on pages that hide the staff menu
    # (two-factor set-up): `base.html`'s `staff_nav` block holds only the others.
    public: bool = False
    # The link carries the reader's unread count (收件箱, core/inbox_views.py).
    inbox_badge: bool = False


@dataclass(frozen=True)
class MenuLink:
    url: str
    label: str
    inbox_badge: bool = False


@cache
def entries() -> tuple[MenuEntry, ...]:
    """Every installed app's entries, in menu order (read once per process)."""
    found: list[MenuEntry] = []
    for config in apps.get_app_configs():
        path = getattr(config, "menu", None)
        if path:
            found.extend(import_string(path))
    return tuple(sorted(found, key=lambda entry: entry.order))


def menu_for(user: Any) -> dict[str, list[MenuLink]]:
    """The links `user` is shown: {"public": [...], "staff": [...]}."""
    shown: dict[str, list[MenuLink]] = {"public": [], "staff": []}
    for entry in entries():
        if entry.shown_to(user):
            shown["public" if entry.public else "staff"].append(
                MenuLink(reverse(entry.url_name), str(entry.label), entry.inbox_badge)
            )
    return shown


# Core's own entries: every signed-in staff member's inbox (收件箱), first of the staff menu.
MENU = (MenuEntry("inbox", _("Inbox"), 90, inbox_badge=True),)


def menu(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `menu.public` and `menu.staff`, read only when a template uses them."""
    return {"menu": _LazyMenu(request)}


class _LazyMenu:
    """The menu of the request's user, worked out on first use (print views and JSON errors never use it)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._links: dict[str, list[MenuLink]] | None = None

    def _get(self) -> dict[str, list[MenuLink]]:
        if self._links is None:
            self._links = menu_for(getattr(self._request, "user", None))
        return self._links

    @property
    def public(self) -> list[MenuLink]:
        return self._get()["public"]

    @property
    def staff(self) -> list[MenuLink]:
        return self._get()["staff"]
