"""Links from a case to records other apps keep (信访 petitions), without importing those apps.

Disputes must not import petitions (petitions builds on disputes). Petitions hands its
two reads over when it starts (`petitions.apps.PetitionsConfig.ready` calls
`register_petitions`); until then, or in a deployment without petitions, the
answers are empty: no open petitions, and none visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import Model, QuerySet


class OpenPetitionsFor(Protocol):
    def __call__(self, *, phones: set[str], id_numbers: set[str]) -> tuple[list[int], int]: ...


class PetitionsVisibleTo(Protocol):
    def __call__(self, user: Any) -> QuerySet[Any]: ...


class PetitionDashboardSection(Protocol):
    def __call__(self, area: Any, period: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class _PetitionLinks:
    open_for: OpenPetitionsFor
    visible_to: PetitionsVisibleTo
    dashboard_section: PetitionDashboardSection | None = None


_registered: _PetitionLinks | None = None


def register_petitions(
    *,
    open_for: OpenPetitionsFor,
    visible_to: PetitionsVisibleTo,
    dashboard_section: PetitionDashboardSection | None = None,
) -> None:
    """Petitions' reads: `open_for(phones=, id_numbers=)` gives the ids of open petitions by any of
    those people (newest first, at most `disputes.rules.triage.SOURCES_KEPT`) and how many there are;
    `visible_to(user)` the petitions that user may open. Registering again replaces the earlier ones."""
    global _registered
    _registered = _PetitionLinks(open_for=open_for, visible_to=visible_to, dashboard_section=dashboard_section)


def unregister_petitions() -> None:
    """Forget petitions' reads (tests)."""
    global _registered
    _registered = None


def petitions_registered() -> bool:
    return _registered is not None


def open_petitions_for(*, phones: set[str], id_numbers: set[str]) -> tuple[list[int], int]:
    """Open petitions (信访) by any of these people: their ids (newest first) and how many; ([], 0)
    when petitions are not installed or there is nobody to look for."""
    if _registered is None or not (phones or id_numbers):
        return [], 0
    return _registered.open_for(phones=phones, id_numbers=id_numbers)


def petition_ids_visible_to(user: Any, ids: list[int]) -> set[int]:
    """Which of these petition ids this user may open (none when petitions are not installed)."""
    if _registered is None or not ids:
        return set()
    records: QuerySet[Model] = _registered.visible_to(user)
    return set(records.filter(pk__in=ids).values_list("pk", flat=True))


def petition_dashboard_section(area: Any, period: Any) -> dict[str, Any]:
    """信访: the petition figures of an area and period for the dashboard ({} without petitions)."""
    if _registered is None or _registered.dashboard_section is None:
        return {}
    return _registered.dashboard_section(area, period)
