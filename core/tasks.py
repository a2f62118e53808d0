from datetime import timedelta

from celery import shared_task
from django.conf import settings

from core import notifications
from core.models import Notification
from core.retention import anonymise_closed_cases as anonymise


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(notifications.DeliveryError,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=8,
)
def deliver_notification(self, notification_id: int) -> bool:
    try:
        return notifications.deliver(notification_id)
    except notifications.DeliveryError:
        if self.request.retries >= self.max_retries:
            Notification.objects.filter(pk=notification_id).update(state=Notification.State.FAILED)
        raise


@shared_task
def sweep_pending_notifications() -> int:
    """Outbox sweep (beat, every minute): deliver what a broker outage kept from being queued."""
    return notifications.notifications_requeue(older_than=timedelta(minutes=settings.NOTIFICATION_RESEND_AFTER_MINUTES))


@shared_task
def anonymise_closed_cases() -> int:
    """匿名化, daily from beat: idempotent, so a repeated or overlapping run changes nothing more."""
    return sum(anonymise().anonymised.values())


@shared_task
def prune_sign_in_log() -> int:
    """Delete staff sign-in records older than SIGN_IN_LOG_DAYS (never under six months), daily from beat.

    Failed attempts need no job: django-axes forgets them after the cool-off and caps
    the failure log per user.
    """
    from axes.handlers.proxy import AxesProxyHandler
    from django.conf import settings

    return AxesProxyHandler.reset_logs(age_days=settings.SIGN_IN_LOG_DAYS)
