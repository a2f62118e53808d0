"""匿名化, the petitions side: the petitioners of petitions finished before the cutoff.

core.retention runs `POLICY` (named in settings.RETENTION_POLICIES, so core imports no
app): the petitioners lose their name, phone, ID number and address; the petition and
its figures stay.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models

from core.retention import RetentionPolicy
from petitions.models import Petitioner
from petitions.rules import FINAL_STATUSES


def petitioners_due(cutoff: datetime) -> models.QuerySet[Petitioner]:
    """The petitioners core.retention anonymises (those not done yet among them) for this cutoff."""
    return Petitioner.objects.filter(petition__status__in=FINAL_STATUSES, petition__closed_at__lt=cutoff)


POLICY = RetentionPolicy(people="petitioners", due=petitioners_due)
