"""What bench/faults.py found when Redis or PostgreSQL went away under load, each pinned by a test.

- Redis down: the public API's rate limits live in the cache; they failed with
  a 500 for every submission. They now fail open (not counted, logged).
- Redis down at commit: a notification's delivery task cannot be published and
  the row stayed `pending` for ever. Beat's outbox sweep now queues it again.
- PostgreSQL restarting under a routing task: the task failed and its message
  was dropped; it now retries on a database error.
"""

import logging
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from core import notifications, ratelimit, tasks
from core.models import Notification
from disputes import tasks as dispute_tasks
from disputes.models import Dispute
from disputes.services import intake as intake_services
from disputes.services import routing as routing_services

# Nothing listens on port 1: every connection is refused at once, like a Redis that is down.
DEAD_REDIS_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


def submission(tree, category) -> dict:
    return {
        "category": category.code,
        "description": "楼上邻居装修噪音扰民，晚上十点后仍在施工。",
        "grid": tree.grid_a.code,
        "applicant": {"name": "李四", "phone": "13900139000"},
        "consent": True,
    }


# --- Redis down: the rate limits fail open ------------------------------------------------------------


@pytest.mark.django_db
def test_a_resident_can_submit_while_the_cache_is_down(tree, category, caplog):
    with override_settings(CACHES=DEAD_REDIS_CACHE), caplog.at_level(logging.WARNING):
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever redis-py raises: the cache is really down
            caches["default"].get("anything")
        response = APIClient().post("/api/v1/public/cases/", submission(tree, category), format="json")
    assert response.status_code == 201, response.content
    assert Dispute.objects.filter(tracking_number=response.json()["tracking_number"]).exists()
    warned = [r.getMessage() for r in caplog.records if "the cache is unavailable" in r.getMessage()]
    assert any("public-submit-ip" in m for m in warned) and any("public-submit-phone" in m for m in warned)
    # The limit's name only: neither the address nor the phone reaches the log.
    assert not any("13900139000" in m for m in warned)


@pytest.mark.django_db
def test_a_failed_look_up_is_answered_while_the_cache_is_down(tree, category):
    with override_settings(CACHES=DEAD_REDIS_CACHE):
        response = APIClient().post(
            "/api/v1/public/track/", {"tracking_number": "0000000000000000", "phone": "13900139000"}, format="json"
        )
    assert response.status_code < 500, response.content


def test_the_counters_still_count_when_the_cache_is_up():
    """Failing open must not mean never refusing: with a cache, the 3rd hit of a limit of 2 is refused."""
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        results = [ratelimit.hit("outage-test", "x", limit=2, window=60) for _ in range(3)]
        assert results == [True, True, False]
        assert ratelimit.exceeded("outage-test", "x", limit=2, window=60)
    with override_settings(CACHES=DEAD_REDIS_CACHE):
        assert ratelimit.hit("outage-test", "x", limit=0, window=60) is True
        assert ratelimit.exceeded("outage-test", "x", limit=0, window=60) is False


# --- Redis down at commit: the outbox sweep --------------------------------------------------------------


def _pending(*, age: timedelta, attempts: int = 0, state: str = Notification.State.PENDING) -> Notification:
    n = Notification.objects.create(
        channel=Notification.Channel.SMS, recipient_phone="13900139000", kind="submitted", body="…", attempts=attempts
    )
    Notification.objects.filter(pk=n.pk).update(created_at=timezone.now() - age, state=state)
    return n


@pytest.mark.django_db
def test_the_outbox_sweep_queues_only_rows_never_tried(monkeypatch, settings):
    stranded = _pending(age=timedelta(minutes=10))
    _pending(age=timedelta(minutes=1))  # young: its own task may still be on its way
    _pending(age=timedelta(minutes=10), attempts=1)  # tried: its task retries by itself
    _pending(age=timedelta(minutes=10), state=Notification.State.SENT)
    _pending(age=timedelta(minutes=10), state=Notification.State.FAILED)
    queued = []
    monkeypatch.setattr(tasks.deliver_notification, "delay", queued.append)
    settings.NOTIFICATION_RESEND_AFTER_MINUTES = 5

    assert tasks.sweep_pending_notifications() == 1
    assert queued == [stranded.pk]
    assert "core.tasks.sweep_pending_notifications" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}


@pytest.mark.django_db
def test_a_notification_delivered_twice_is_sent_once(monkeypatch):
    sent = []
    monkeypatch.setattr(notifications.LogBackend, "send", lambda self, n: sent.append(n.pk))
    n = _pending(age=timedelta(minutes=10))
    assert notifications.deliver(n.pk) is True
    assert notifications.deliver(n.pk) is True  # the sweeper's copy of the task, after the original
    assert sent == [n.pk]
    n.refresh_from_db()
    assert (n.state, n.attempts) == (Notification.State.SENT, 1)


@pytest.mark.django_db
def test_a_failed_delivery_keeps_its_attempt_and_error(monkeypatch):
    def fail(self, n):
        raise notifications.DeliveryError("gateway answered 503")

    monkeypatch.setattr(notifications.LogBackend, "send", fail)
    n = _pending(age=timedelta(minutes=10))
    with pytest.raises(notifications.DeliveryError):
        notifications.deliver(n.pk)
    n.refresh_from_db()
    assert (n.state, n.attempts, n.last_error) == (Notification.State.PENDING, 1, "gateway answered 503")


# --- PostgreSQL restarting under a routing task ---------------------------------------------------------


def test_routing_retries_when_the_database_is_away(monkeypatch):
    calls = []

    def flaky(*, dispute_id):
        calls.append(dispute_id)
        if len(calls) < 3:
            raise OperationalError("server closed the connection unexpectedly")
        return None

    monkeypatch.setattr(routing_services, "dispute_route", flaky)
    result = dispute_tasks.route_dispute.apply(args=[42])
    assert result.successful(), result.traceback
    assert calls == [42, 42, 42]


# --- PostgreSQL away during a request: 503 with Retry-After, not 500 ------------------------------------


@pytest.mark.django_db
def test_an_api_request_while_the_database_is_away_is_answered_503_with_retry_after(
    tree, category, monkeypatch, caplog
):
    from disputes.api.keys import channel_key_create

    _key, raw = channel_key_create(name="12345", channel="hotline_12345")

    def away(*args, **kwargs):
        raise OperationalError("connection to server failed: FATAL:  the database system is shutting down")

    monkeypatch.setattr(intake_services, "dispute_intake", away)
    body = submission(tree, category)
    body.pop("consent")
    with caplog.at_level(logging.ERROR, logger="core.api"):
        response = APIClient().post(
            "/api/v1/channels/cases/", body, format="json", HTTP_X_API_KEY=raw, HTTP_IDEMPOTENCY_KEY="k-1"
        )
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "unavailable"
    assert any("Database unavailable" in r.getMessage() for r in caplog.records), "the outage is logged"
    assert not Dispute.objects.exists()


def test_the_schema_documents_the_503_on_every_operation():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [op for item in schema["paths"].values() for method, op in item.items() if method != "parameters"]
    assert len(operations) > 30
    missing = [op["operationId"] for op in operations if "503" not in op["responses"]]
    assert missing == []
    answer = operations[0]["responses"]["503"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
