"""Puts the reporting load on a read replica when DATABASE_REPLICA_URL is set.

Reads of the rollup table always go to the replica; any other read goes there
only inside `reporting_reads()`, which the dashboard wraps around its page (the
overdue list, area names). Everything else, writes included, stays on
"default": a replica lags a little behind, which a monthly figure can bear and a
case being worked cannot. Without a replica the router has no opinion and
Django uses "default".
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
ROLLUP_MODELS = frozenset({"disputes.disputerollup"})

_reporting: ContextVar[bool] = ContextVar("reporting_reads", default=False)


@contextmanager
def reporting_reads() -> Iterator[None]:
    """Within this block, reads go to the replica (when there is one)."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


class ReportingRouter:
    def db_for_read(self, model, **hints):
        if not has_replica():
            return None
        if model._meta.label_lower in ROLLUP_MODELS or _reporting.get():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default" if has_replica() else None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True if has_replica() else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica gets its schema by replication, never by migrate.
        return False if db == REPLICA else None
