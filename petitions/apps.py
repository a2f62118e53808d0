from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    """信访: petitions. Filled in by the petitions issue."""

    name = "petitions"
    verbose_name = _("Petitions")
