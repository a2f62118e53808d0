"""时间线: case events are append-only, whichever way one tries to change them."""

import pytest

from disputes.models import CaseEvent
from disputes.rules.enums import EventKind, Status
from tests.factories import DisputeFactory


@pytest.fixture
def event(tree, category):
    case = DisputeFactory(grid=tree.grid_a, category=category)
    return CaseEvent.objects.create(
        dispute=case, actor_role="system", kind=EventKind.TRANSITION, action="triage", to_status=Status.TRIAGED
    )


def stored(event) -> dict:
    return CaseEvent.objects.filter(pk=event.pk).values().get()


def test_new_events_can_be_added(event):
    second = CaseEvent(dispute=event.dispute, actor_role="system", kind=EventKind.NOTE, reason="备注")
    second.save()
    assert CaseEvent.objects.filter(dispute=event.dispute).count() == 2


def test_an_existing_event_cannot_be_saved_again(event):
    before = stored(event)
    event.reason = "rewritten history"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    assert stored(event) == before


def test_an_event_reloaded_from_the_database_cannot_be_saved(event):
    loaded = CaseEvent.objects.get(pk=event.pk)
    loaded.to_status = Status.CLOSED
    with pytest.raises(TypeError, match="append-only"):
        loaded.save(update_fields=["to_status"])
    assert stored(event)["to_status"] == Status.TRIAGED


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_the_queryset_cannot_update(event):
    with pytest.raises(TypeError, match="append-only"):
        CaseEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(TypeError, match="append-only"):
        CaseEvent.objects.all().update(reason="rewritten")
    assert stored(event)["reason"] == ""


def test_the_queryset_cannot_delete(event):
    with pytest.raises(TypeError, match="append-only"):
        CaseEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError, match="append-only"):
        CaseEvent.objects.all().delete()
    assert CaseEvent.objects.count() == 1


def test_the_related_manager_cannot_update_or_delete(event):
    with pytest.raises(TypeError, match="append-only"):
        event.dispute.events.update(reason="rewritten")
    with pytest.raises(TypeError, match="append-only"):
        event.dispute.events.all().delete()
    assert CaseEvent.objects.filter(dispute=event.dispute).count() == 1
