"""Notifications: an outbox row per message, a pluggable backend to deliver it.

`notify_*` functions are called inside a service's transaction; they store the
row and queue delivery on commit, so a rolled-back change sends nothing and a
failing SMS gateway never fails the change that caused it.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.masking import mask_phone
from core.models import Notification

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The backend could not deliver now; the task retries with backoff."""


class Backend(Protocol):
    def send(self, notification: Notification) -> None: ...


class LogBackend:
    """Default: writes a line to the log (recipient masked). The body stays in the outbox table."""

    def send(self, notification: Notification) -> None:
        to = mask_phone(notification.recipient_phone) or f"user:{notification.recipient_user_id}"
        logger.info("notification %s kind=%s to=%s", notification.pk, notification.kind, to)


class HttpSmsBackend:
    """POSTs JSON {"phone", "message"} to SMS_GATEWAY_URL with a bearer token."""

    def send(self, notification: Notification) -> None:
        if notification.channel != Notification.Channel.SMS:
            LogBackend().send(notification)
            return
        try:
            response = requests.post(
                settings.SMS_GATEWAY_URL,
                json={"phone": notification.recipient_phone, "message": notification.body},
                headers={"Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}"},
                timeout=5,
            )
        except requests.RequestException as exc:
            raise DeliveryError(type(exc).__name__) from exc
        if response.status_code >= 300:
            raise DeliveryError(f"gateway answered {response.status_code}")


def get_backend() -> Backend:
    return import_string(settings.NOTIFICATION_BACKEND)()


class DeliveryTask(Protocol):
    def delay(self, notification_id: int) -> Any: ...


# The Celery task that delivers one row (core.tasks.deliver_notification), handed over by
# CoreConfig.ready: the tasks call this module, so this module does not import them.
_delivery_task: DeliveryTask | None = None


def use_delivery_task(task: DeliveryTask) -> None:
    """Queue deliveries with `task.delay(notification_id)` (CoreConfig.ready)."""
    global _delivery_task
    _delivery_task = task


# The phone on a staff member's profile, handed over by an app that keeps staff profiles
# (DisputesConfig.ready): the SMS copy of staff messages (STAFF_NOTIFY_SMS) without importing it.
_staff_phone: Callable[[int], str] | None = None


def use_staff_phone(lookup: Callable[[int], str] | None) -> None:
    """`lookup(user_id)` → the staff member's phone, "" when none (None forgets it)."""
    global _staff_phone
    _staff_phone = lookup


def _copy_to_phone(notification: Notification) -> None:
    """STAFF_NOTIFY_SMS: a staff message, once delivered, also goes out as an SMS row of its own.

    Written in the delivery's transaction, with the staff row marked sent: a retried delivery
    never writes a second copy, and the SMS has the outbox's own retries and resend sweep.
    """
    if not getattr(settings, "STAFF_NOTIFY_SMS", False) or _staff_phone is None:
        return
    if notification.channel != Notification.Channel.STAFF or notification.recipient_user_id is None:
        return
    phone = _staff_phone(notification.recipient_user_id)
    notify_sms(phone=phone, kind=notification.kind, body=notification.body, dispute_id=notification.dispute_id)


def _deliver_later(notification_id: int) -> None:
    if _delivery_task is None:
        raise RuntimeError("No delivery task: CoreConfig.ready has not run.")
    _delivery_task.delay(notification_id)


def _queue(notification: Notification) -> None:
    transaction.on_commit(lambda: _deliver_later(notification.pk), robust=True)


def notify_sms(*, phone: str, kind: str, body: str, dispute_id: int | None = None) -> Notification | None:
    if not phone:
        return None
    n = Notification.objects.create(
        channel=Notification.Channel.SMS, recipient_phone=phone, kind=kind, body=body, dispute_id=dispute_id
    )
    _queue(n)
    return n


def staff_copies_sent() -> bool:
    """Whether staff messages go anywhere beyond the inbox (STAFF_NOTIFY_SMS, off by default).

    The inbox row is the delivery: with no copy to send, a staff message is stored as sent and
    no task is queued for it (a sweep's ten thousand reminders cost no broker round trips).
    """
    return bool(getattr(settings, "STAFF_NOTIFY_SMS", False))


def _delivered_by_the_inbox(message: Notification) -> None:
    message.state = Notification.State.SENT
    message.sent_at = timezone.now()


def notify_staff(*, user, kind: str, body: str, dispute_id: int | None = None, link: str = "") -> Notification | None:
    """A staff member's inbox item (收件箱); `link` is the page it leads to (a case or petition)."""
    if user is None:
        return None
    n = Notification(
        channel=Notification.Channel.STAFF,
        recipient_user=user,
        kind=kind,
        body=body,
        dispute_id=dispute_id,
        link=link,
    )
    copies = staff_copies_sent()
    if not copies:
        _delivered_by_the_inbox(n)
    n.save()
    if copies:
        _queue(n)
    return n


def notify_staff_many(messages: list[Notification]) -> None:
    """`notify_staff` for many unsaved messages (a sweep): the outbox rows in one statement, delivery after commit."""
    if not messages:
        return
    copies = staff_copies_sent()
    if not copies:
        for message in messages:
            _delivered_by_the_inbox(message)
    if connection.features.can_return_rows_from_bulk_insert or not copies:
        Notification.objects.bulk_create(messages)
    else:
        for message in messages:
            message.save()
    if copies:
        ids = [m.pk for m in messages]
        transaction.on_commit(lambda: _queue_many(ids), robust=True)


def _queue_many(ids: list[int]) -> None:
    # With the broker down the first publish fails and the rest are not tried (each would
    # wait for its own retries); the rows stay pending in the outbox.
    for pk in ids:
        _deliver_later(pk)


def deliver(notification_id: int) -> bool:
    """Send one pending notification. True when sent (or already sent).

    The row is locked while it is sent, so two tasks for the same row (the one
    queued on commit, delayed, and the sweeper's) never both send it: the second
    waits, then finds it sent.
    """
    error = None
    with transaction.atomic():
        n = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if n is None or n.state == Notification.State.SENT:
            return True
        n.attempts += 1
        try:
            get_backend().send(n)
        except DeliveryError as exc:
            n.last_error = str(exc)[:300]
            n.save(update_fields=["attempts", "last_error", "updated_at"])
            error = exc
        else:
            n.state = Notification.State.SENT
            n.sent_at = timezone.now()
            n.save(update_fields=["attempts", "state", "sent_at", "updated_at"])
            _copy_to_phone(n)
    if error is not None:
        raise error
    return True


def notifications_unqueued(*, older_than: timedelta, limit: int = 1000) -> list[int]:
    """Pending rows never tried, older than `older_than`: their delivery task never reached a worker.

    That happens when the broker was down as the change committed (the publish
    fails and is dropped, the row stays) or a queued message was lost with it.
    Rows already tried are left to their task's own retries.
    """
    cutoff = timezone.now() - older_than
    return list(
        Notification.objects.filter(state=Notification.State.PENDING, attempts=0, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def notifications_requeue(*, older_than: timedelta) -> int:
    """Queue delivery again for `notifications_unqueued` rows (beat, every minute); the number queued."""
    ids = notifications_unqueued(older_than=older_than)
    for pk in ids:
        _deliver_later(pk)
    return len(ids)
