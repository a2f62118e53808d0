"""匿名化: the retention rule for personal data of finished cases (PIPL art. 19 and 47).

Parties of disputes closed or withdrawn more than `RETENTION_YEARS` ago, and
petitioners of petitions finished that long ago, lose their name (replaced by a
placeholder), phone, ID number and address. Everything the statistics read stays:
the case rows, their status, dates, colour, outcome, the party flags (minor,
elderly...) and the dashboard rollups, so every figure is the same before and after.

The apps prune the rest of a finished case's personal data through the functions named
in settings.RETENTION_PRUNERS, called after the parties with the same cutoff (so core
imports no further app): disputes.retention empties the case's SMS and staff messages in
the outbox (phone and body; the delivery record stays for the figures) and deletes its
uploaded files from disk, after the commit. Each returns its counts, reported with the
parties' (RetentionResult.pruned).

Known limits, on purpose:
- the free text (a dispute's description, a petition's matter, session notes,
  agreements, event reasons) is kept: it may name people, but blanking it would
  lose the record of what happened and no figure depends on it. Redacting it
  needs a human; it is left to the archive policy.
- the personal-data access log (`core.PersonalDataAccess`) is kept: it holds no
  personal data itself and must be kept at least six months.
- there is no marker column (no migration in disputes): an anonymised row is one
  whose name is the placeholder and whose phone, ID number and address are empty.
  That is also what makes a second run change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from disputes.models import Party
from disputes.rules.enums import Status
from petitions import rules as petition_rules
from petitions.models import Petitioner

# Not translated: it is stored data, read by staff of a Chinese centre, and must be
# one fixed value so the idempotence test (name == placeholder) holds.
PLACEHOLDER = "已匿名"
BATCH_SIZE = 1000
FINISHED_DISPUTE_STATUSES = (Status.CLOSED, Status.WITHDRAWN)


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    parties: int
    petitioners: int
    dry_run: bool
    # What the apps' pruners did (or would do): e.g. {"notifications": 4, "attachments": 2}.
    pruned: dict[str, int] = field(default_factory=dict)


def retention_cutoff(*, years: int, now: datetime | None = None) -> datetime:
    """`years` years before `now` (365.25 days a year: leap days do not move the cutoff by a day a decade)."""
    now = now or timezone.now()
    return now - timedelta(days=round(365.25 * years))


def _not_yet_anonymised(queryset: models.QuerySet) -> models.QuerySet:
    # exclude() of several conditions = NOT (all of them): rows with anything left to clear.
    return queryset.exclude(name=PLACEHOLDER, phone="", id_number="", address="")


def parties_due(cutoff: datetime) -> models.QuerySet[Party]:
    return _not_yet_anonymised(
        Party.objects.filter(dispute__status__in=FINISHED_DISPUTE_STATUSES, dispute__closed_at__lt=cutoff)
    )


def petitioners_due(cutoff: datetime) -> models.QuerySet[Petitioner]:
    return _not_yet_anonymised(
        Petitioner.objects.filter(petition__status__in=petition_rules.FINAL_STATUSES, petition__closed_at__lt=cutoff)
    )


def _anonymise_in_batches(due: models.QuerySet, model: type[models.Model], batch_size: int) -> int:
    """UPDATE the due rows `batch_size` ids at a time, each batch its own short transaction (no long locks)."""
    changed = 0
    while True:
        with transaction.atomic():
            ids = list(due.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return changed
            changed += model.objects.filter(pk__in=ids).update(
                name=PLACEHOLDER, phone="", id_number="", address="", updated_at=timezone.now()
            )


def anonymise_closed_cases(
    *,
    years: int | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> RetentionResult:
    """Anonymise the parties and petitioners of cases finished more than `years` (default RETENTION_YEARS) ago,
    then run the apps' pruners (RETENTION_PRUNERS) for the same cases.

    Idempotent: rows already anonymised are not touched again. With `dry_run`,
    only counts what would change.
    """
    years = settings.RETENTION_YEARS if years is None else years
    if years < 1:
        raise ValueError("retention must be at least one year")
    cutoff = retention_cutoff(years=years, now=now)
    if dry_run:
        parties, petitioners = parties_due(cutoff).count(), petitioners_due(cutoff).count()
    else:
        parties = _anonymise_in_batches(parties_due(cutoff), Party, batch_size)
        petitioners = _anonymise_in_batches(petitioners_due(cutoff), Petitioner, batch_size)
    pruned: dict[str, int] = {}
    for path in settings.RETENTION_PRUNERS:
        pruned.update(import_string(path)(cutoff=cutoff, dry_run=dry_run, batch_size=batch_size))
    return RetentionResult(cutoff=cutoff, parties=parties, petitioners=petitioners, dry_run=dry_run, pruned=pruned)
