"""访问: the lookup behind each kind of case's one permission-aware getter.

`dispute_get_for` and `petition_get_for` each say which rows a reader may see
and what "not found" says; the kernel finds the record in those rows by tracking
number (any spelling), primary key or instance, and locks it when asked.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet

from core.exceptions import NotFoundError


def get_in[M: Model](
    rows: QuerySet[M],
    ref: M | int | str,
    *,
    normalise: Callable[[str], str],
    not_found: Any,
    lock: bool = False,
    related: tuple[str, ...] = (),
) -> M:
    """The record `ref` among `rows`, else NotFoundError(not_found): outside the rows looks like missing.

    `lock` takes the row with SELECT … FOR UPDATE (call inside a transaction); with `related` only the
    record's own row is locked, since a related row may be null and an outer join cannot be locked.
    """
    if related:
        rows = rows.select_related(*related)
    if lock:
        rows = rows.select_for_update(of=("self",)) if related else rows.select_for_update()
    if isinstance(ref, Model):
        found = rows.filter(pk=ref.pk).first()
    elif isinstance(ref, int):
        found = rows.filter(pk=ref).first()
    else:
        found = rows.filter(tracking_number=normalise(str(ref))).first()
    if found is None:
        raise NotFoundError(not_found)
    return found
