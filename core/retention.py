"""匿名化: the retention rule for personal data of finished cases (PIPL art. 19 and 47).

Parties of disputes closed or withdrawn more than `RETENTION_YEARS` ago, and
petitioners of petitions finished that long ago, lose their name (replaced by a
placeholder), phone, ID number and address. Everything the statistics read stays:
the case rows, their status, dates, colour, outcome, the party flags (minor,
elderly...) and the dashboard rollups, so every figure is the same before and after.

Core knows no app (config -> apps -> grids -> core): each app hands in its part as a
`RetentionPolicy`, named in settings.RETENTION_POLICIES. A policy gives the person rows of
its cases finished before the cutoff (anonymised here, in batches) and, optionally, a pruner
for the rest of those cases' personal data, called after every app's people with the same
cutoff: disputes.retention empties the case's SMS and staff messages in the outbox (phone
and body; the delivery record stays for the figures) and deletes its uploaded files from
disk, after the commit. Each returns its counts, reported with the people's
(RetentionResult.anonymised and .pruned).

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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

# Not translated: it is stored data, read by staff of a Chinese centre, and must be
# one fixed value so the idempotence test (name == placeholder) holds.
PLACEHOLDER = "已匿名"
BATCH_SIZE = 1000


@dataclass(frozen=True)
class RetentionPolicy:
    """One app's part of the retention run.

    `due(cutoff)` is the person rows (fields name, phone, id_number, address) of the app's
    cases finished before the cutoff, anonymised or not; `people` names their count
    ("parties"). `prune(cutoff=, dry_run=, batch_size=)` removes (or, dry, counts) the rest
    of those cases' personal data and returns its counts by name.
    """

    people: str
    due: Callable[[datetime], models.QuerySet[Any]]
    prune: Callable[..., dict[str, int]] | None = None


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    dry_run: bool
    # People anonymised (or to be), by policy in settings order: e.g. {"parties": 6, "petitioners": 1}.
    anonymised: dict[str, int] = field(default_factory=dict)
    # What the apps' pruners did (or would do): e.g. {"notifications": 4, "attachments": 2}.
    pruned: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int:
        """A policy's count by its name: `result.parties` is `result.anonymised["parties"]`."""
        # Only called for names not found otherwise; never for dunders or `anonymised` itself
        # (e.g. while unpickling, before the fields are set), which would recurse.
        if name.startswith("_") or name == "anonymised":
            raise AttributeError(name)
        try:
            return self.anonymised[name]
        except KeyError:
            raise AttributeError(name) from None


def retention_policies() -> list[RetentionPolicy]:
    """The apps' policies named in settings.RETENTION_POLICIES, in that order."""
    return [import_string(path) for path in settings.RETENTION_POLICIES]


def retention_cutoff(*, years: int, now: datetime | None = None) -> datetime:
    """`years` years before `now` (365.25 days a year: leap days do not move the cutoff by a day a decade)."""
    now = now or timezone.now()
    return now - timedelta(days=round(365.25 * years))


def not_yet_anonymised(queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """The rows of `queryset` with anything left to clear."""
    # exclude() of several conditions = NOT (all of them).
    return queryset.exclude(name=PLACEHOLDER, phone="", id_number="", address="")


def _anonymise_in_batches(due: models.QuerySet[Any], batch_size: int) -> int:
    """UPDATE the due rows `batch_size` ids at a time, each batch its own short transaction (no long locks)."""
    changed = 0
    while True:
        with transaction.atomic():
            ids = list(due.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return changed
            changed += due.model.objects.filter(pk__in=ids).update(
                name=PLACEHOLDER, phone="", id_number="", address="", updated_at=timezone.now()
            )


def anonymise_closed_cases(
    *,
    years: int | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> RetentionResult:
    """Anonymise the people of cases finished more than `years` (default RETENTION_YEARS) ago,
    then run the apps' pruners for the same cases (settings.RETENTION_POLICIES).

    Idempotent: rows already anonymised are not touched again. With `dry_run`,
    only counts what would change.
    """
    years = settings.RETENTION_YEARS if years is None else years
    if years < 1:
        raise ValueError("retention must be at least one year")
    cutoff = retention_cutoff(years=years, now=now)
    policies = retention_policies()
    anonymised: dict[str, int] = {}
    for policy in policies:
        due = not_yet_anonymised(policy.due(cutoff))
        anonymised[policy.people] = due.count() if dry_run else _anonymise_in_batches(due, batch_size)
    pruned: dict[str, int] = {}
    for policy in policies:
        if policy.prune is not None:
            pruned.update(policy.prune(cutoff=cutoff, dry_run=dry_run, batch_size=batch_size))
    return RetentionResult(cutoff=cutoff, dry_run=dry_run, anonymised=anonymised, pruned=pruned)
