from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data generator (`manage.py seed_demo`): it may import every app, and no app imports it."""

    name = "demo"
    verbose_name = _("Demo data")
