from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    """矛盾纠纷: the case and its closed loop."""

    name = "disputes"
    verbose_name = _("Disputes")
    # Its entries in the site menu (core.navigation).
    menu = "disputes.navigation.MENU"
