"""暂停计时的原因: why a case's handling clocks were paused, as a category the resident may read.

The pause keeps its free-text reason for staff (it may name people, a hospital, an illness); the
resident's tracking page and the public API show only the category stored beside it in the event's
data (`data["pause_reason"]`), never the text. Pauses recorded before categories existed, or with
none chosen, read as a plain "handling paused" to the resident: the page does not guess.
"""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

DATA_KEY = "pause_reason"


class PauseReason(models.TextChoices):
    APPRAISAL = "appraisal", _("Awaiting an expert appraisal")
    DOCUMENTS = "documents", _("Awaiting documents from a party")
    PARTY_AWAY = "party_away", _("A party is away or in hospital")
    OTHER_AUTHORITY = "other_authority", _("Awaiting another authority's decision")
    OTHER = "other", _("Other")


# What the resident reads on the tracking page's timeline for each category.
RESIDENT_TEXT = {
    PauseReason.APPRAISAL: _("Waiting for the result of an expert appraisal"),
    PauseReason.DOCUMENTS: _("Waiting for information from one of the parties"),
    PauseReason.PARTY_AWAY: _("Waiting while a party is away or in hospital"),
    PauseReason.OTHER_AUTHORITY: _("Waiting for the decision of another authority"),
    PauseReason.OTHER: _("Handling is paused for the time being"),
}


def resident_pause_text(data: dict[str, Any] | None) -> str:
    """The resident's words for a pause event, from its stored category (never its free-text reason)."""
    code = (data or {}).get(DATA_KEY) or PauseReason.OTHER
    if code not in PauseReason.values:
        code = PauseReason.OTHER
    return str(RESIDENT_TEXT[PauseReason(code)])
