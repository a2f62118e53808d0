"""Puts the reporting load on a read replica when DATABASE_REPLICA_URL is set.

Reads of the rollup table always go to the replica; any other read goes there
only inside `reporting_reads()` (core.replica), which the dashboard wraps around its page (the
overdue list, area names). Everything else, writes included, stays on
"default": a replica lags a little behind, which a monthly figure can bear and a
case being worked cannot. Without a replica the router has no opinion and
Django uses "default".
"""

from django.conf import settings

from core.replica import in_reporting_reads, reporting_reads

__all__ = ["REPLICA", "ROLLUP_MODELS", "ReportingRouter", "has_replica", "reporting_reads"]

REPLICA = "replica"
ROLLUP_MODELS = frozenset({"disputes.disputerollup"})


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


class ReportingRouter:
    def db_for_read(self, model, **hints):
        if not has_replica():
            return None
        if model._meta.label_lower in ROLLUP_MODELS or in_reporting_reads():
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
