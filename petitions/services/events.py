"""时间线: entries on a petition's append-only timeline."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from core.actors import Actor
from petitions.models import Petition, PetitionEvent


def event_build(
    petition: Petition,
    actor: Actor,
    kind: str,
    *,
    now: datetime | None = None,
    action: str = "",
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> PetitionEvent:
    """An unsaved entry, for bulk_create (the sweep)."""
    return PetitionEvent(
        petition=petition,
        at=now or timezone.now(),
        actor=actor.user,
        actor_role=actor.role,
        kind=kind,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )


def event_record(
    petition: Petition,
    actor: Actor,
    kind: str,
    *,
    now: datetime | None = None,
    action: str = "",
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> PetitionEvent:
    """Store one entry."""
    event = event_build(
        petition,
        actor,
        kind,
        now=now,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data,
    )
    event.save()
    return event
