from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from disputes.links import register_petitions


class PetitionsConfig(AppConfig):
    """信访: petitions."""

    name = "petitions"
    verbose_name = _("Petitions")

    def ready(self) -> None:
        # Disputes must not import petitions (petitions builds on disputes): hand dispute triage
        # and its readers the two reads they need about petitions. Imported here, not at the top:
        # selectors import models, which cannot be imported before the app registry is ready.
        from petitions.selectors import open_petitions_for, petitions_visible_to
        from petitions.statistics import petition_section

        register_petitions(
            open_for=open_petitions_for, visible_to=petitions_visible_to, dashboard_section=petition_section
        )
