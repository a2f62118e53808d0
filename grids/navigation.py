"""The grids app's entries in the site menu (core.navigation)."""

from django.utils.translation import gettext_lazy as _

from core.navigation import MenuEntry

MENU = (MenuEntry("grids:places", _("QR posters"), 120),)
