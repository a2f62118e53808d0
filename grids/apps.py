from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    """网格: the area tree, departments and staff."""

    name = "grids"
    verbose_name = _("Areas and staff")
    # Its entries in the site menu (core.navigation).
    menu = "grids.navigation.MENU"
