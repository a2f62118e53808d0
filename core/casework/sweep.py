"""督办: the bulk deadline sweeper, parameterised by the deadline model and its case model.

One beat entry per kind of case lists the due rows once, then takes them in
batches: each batch locks the cases first and then their deadlines (the order
the transition services use), both with SKIP LOCKED, so rows another sweeper or
a transition holds are left for the next sweep. The kind of case decides what a
rung does (`escalate`); the kernel owns the listing, the locking, the batching
and writing the new rungs back with one UPDATE per group.
"""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Model, Q


def due_ids(model: type[Model], *, now: datetime, limit: int, running: Q | None = None) -> list[int]:
    """Ids of open deadlines whose next rung is due at `now`, oldest first (`running`: extra conditions)."""
    rows = model.objects.open().filter(escalate_at__lte=now)  # type: ignore[attr-defined]
    if running is not None:
        rows = rows.filter(running)
    return list(rows.order_by("escalate_at").values_list("pk", flat=True)[:limit])


def lock_due(
    model: type[Model],
    *,
    case_model: type[Model],
    case_field: str,
    ids: Iterable[int],
    now: datetime,
    running: Q | None = None,
) -> tuple[dict[int, Any], dict[int, Any]]:
    """Lock a batch: ({case id: case}, {deadline id: deadline}) for the rows still open, running and due.

    Call inside a transaction. Rows whose case or deadline another transaction holds are left out.
    """
    case_of = dict(model.objects.filter(pk__in=list(ids)).values_list("pk", f"{case_field}_id"))  # type: ignore[attr-defined]
    cases = {
        case.pk: case
        for case in case_model.objects.select_for_update(skip_locked=True)  # type: ignore[attr-defined]
        .filter(pk__in=set(case_of.values()))
        .order_by("pk")
    }
    deadlines = model.objects.select_for_update(skip_locked=True).filter(  # type: ignore[attr-defined]
        pk__in=[pk for pk, case_id in case_of.items() if case_id in cases],
        done_at__isnull=True,
        cancelled_at__isnull=True,
        escalate_at__lte=now,
    )
    if running is not None:
        deadlines = deadlines.filter(running)
    return cases, {d.pk: d for d in deadlines.order_by("pk")}


def save_rungs(
    model: type[Model], deadlines: Iterable[Any], *, now: datetime, extra: dict[int, dict[str, Any]] | None = None
) -> None:
    """Store each deadline's new level and next rung with one UPDATE per (level, gap after the due date) group.

    The next rung is always the due date plus a whole gap, so a batch falls into
    a handful of groups (bulk_update's CASE per row was the sweep's slowest part).
    `extra` maps a level to more columns to set with it.
    """
    groups: dict[tuple[int, timedelta | None], list[int]] = {}
    for d in deadlines:
        offset = None if d.escalate_at is None else d.escalate_at - d.due_at
        groups.setdefault((d.escalation_level, offset), []).append(d.pk)
    for (level, offset), pks in groups.items():
        next_at = None if offset is None else F("due_at") + offset
        more = (extra or {}).get(level, {})
        model.objects.filter(pk__in=pks).update(  # type: ignore[attr-defined]
            escalation_level=level, escalate_at=next_at, updated_at=now, **more
        )


def sweep(
    *,
    due: Callable[[datetime, int], list[int]],
    escalate: Callable[[list[int], datetime, dict[Any, Any]], dict[int, str]],
    now: datetime,
    batch: int,
    max_rows: int,
) -> int:
    """One rung for every row due at `now` (at most `max_rows`, oldest first). Returns the rungs taken.

    The due rows are listed once, up front: a row that has just climbed a rung is
    often still due (a backlog after an outage), and listing again from the top
    would find the same rows first and stop before the ones behind them. `escalate`
    gets a shared dict to cache who is told across the batches of one sweep.
    """
    ids = due(now, max_rows)
    cache: dict[Any, Any] = {}
    done = 0
    for start in range(0, len(ids), batch):
        done += len(escalate(ids[start : start + batch], now, cache))
    return done
