"""匿名化, the disputes side: what else of a finished case holds personal data once its parties are anonymised.

core.retention runs `POLICY` (named in settings.RETENTION_POLICIES, so core imports no
app): it anonymises the parties of disputes closed or withdrawn before the cutoff, then
calls `prune_finished_cases`. For the same cases it:

- empties the outbox rows (core.Notification) of the case: the recipient's phone and
  the message body of every SMS and staff message. Kept, for the delivery figures:
  the channel, kind, state, attempts, the times and the staff recipient (an account,
  not a resident). A message still pending is marked failed: there is nothing left
  to send, and nobody to send it to;
- deletes the attachments (附件): the file under PRIVATE_STORAGE_ROOT and its row.
  Files are removed only after the transaction that chose them commits, and the
  row only once its file is gone: a rolled-back run deletes nothing, and a run cut
  short between the two leaves rows that the next run finishes (a missing file
  counts as removed).

Idempotent like the rest of the retention run: what is done is not found again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from core.models import Notification
from core.retention import PLACEHOLDER, RetentionPolicy
from disputes import intake
from disputes.models import Attachment, Dispute, Party
from disputes.rules.enums import Status

logger = logging.getLogger(__name__)

# Stored in Notification.last_error of a message that was never sent (not translated: a log value).
NEVER_SENT = "anonymised before delivery"
FINISHED_DISPUTE_STATUSES = (Status.CLOSED, Status.WITHDRAWN)


def finished_disputes(cutoff: datetime) -> models.QuerySet[Dispute]:
    """The disputes whose parties core.retention anonymises for this cutoff."""
    return Dispute.objects.filter(status__in=FINISHED_DISPUTE_STATUSES, closed_at__lt=cutoff)


def parties_due(cutoff: datetime) -> models.QuerySet[Party]:
    """The parties core.retention anonymises (those not done yet among them) for this cutoff."""
    return Party.objects.filter(dispute__status__in=FINISHED_DISPUTE_STATUSES, dispute__closed_at__lt=cutoff)


def notifications_due(cutoff: datetime) -> models.QuerySet[Notification]:
    # exclude() of two conditions = NOT (both empty): rows with a phone or a body left.
    return Notification.objects.filter(dispute_id__in=finished_disputes(cutoff).values("pk")).exclude(
        recipient_phone="", body=""
    )


def attachments_due(cutoff: datetime) -> models.QuerySet[Attachment]:
    return Attachment.objects.filter(dispute__in=finished_disputes(cutoff))


def _empty_notifications(cutoff: datetime, batch_size: int) -> int:
    changed = 0
    pending = Notification.State.PENDING
    while True:
        with transaction.atomic():
            ids = list(notifications_due(cutoff).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return changed
            changed += Notification.objects.filter(pk__in=ids).update(
                recipient_phone="",
                body="",
                state=Case(When(state=pending, then=Value(Notification.State.FAILED)), default=F("state")),
                last_error=Case(When(state=pending, then=Value(NEVER_SENT)), default=F("last_error")),
                updated_at=timezone.now(),
            )


def _remove_files_then_rows(rows: Iterable[tuple[int, str]]) -> None:
    """After the commit: delete each file, then the rows whose file is gone (a file not deleted keeps its row)."""
    removed = []
    for pk, storage_name in rows:
        try:
            intake.attachment_path(storage_name).unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("Attachment %s of an anonymised case not deleted: %s", pk, type(exc).__name__)
        else:
            removed.append(pk)
    Attachment.objects.filter(pk__in=removed).delete()


def _delete_attachments(cutoff: datetime, batch_size: int) -> int:
    chosen = 0
    after = 0  # by id, so rows still waiting for their commit (an outer transaction) are not chosen twice
    while True:
        with transaction.atomic():
            rows = list(
                attachments_due(cutoff)
                .filter(pk__gt=after)
                .order_by("pk")
                .values_list("pk", "storage_name")[:batch_size]
            )
            if not rows:
                return chosen
            after = rows[-1][0]
            # The resident's file name may name a person: gone at once, the file and row after the commit.
            Attachment.objects.filter(pk__in=[pk for pk, _name in rows]).update(
                original_name=PLACEHOLDER, updated_at=timezone.now()
            )
            transaction.on_commit(partial(_remove_files_then_rows, rows))
            chosen += len(rows)


def prune_finished_cases(*, cutoff: datetime, dry_run: bool, batch_size: int) -> dict[str, int]:
    """Empty the outbox rows and delete the attachments of disputes finished before `cutoff` (see the module)."""
    if dry_run:
        return {"notifications": notifications_due(cutoff).count(), "attachments": attachments_due(cutoff).count()}
    return {
        "notifications": _empty_notifications(cutoff, batch_size),
        "attachments": _delete_attachments(cutoff, batch_size),
    }


POLICY = RetentionPolicy(people="parties", due=parties_due, prune=prune_finished_cases)
