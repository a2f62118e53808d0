"""Any one status in queue order: the queue's status filter on closed (or any other) cases.

A supervisor who filters the city's queue by a status outside the open ones
("closed", "referred", …) reads from ~900,000 cases at a million stored. The only
index with the status first ends in `next_due_at`, not in the queue's order key
(`COALESCE(next_due_at, +infinity)`, then id), so PostgreSQL read a whole colour's
worth of closed cases (~50,000 rows, 37,000 pages) and sorted them to show 25:
110 ms. With the order key in the index it is a short range walk for the first
page and for the keyset pages after it (RowAfter in disputes/queue.py).

Built CONCURRENTLY on PostgreSQL (the migration is not atomic), so a live
installation keeps taking submissions while the index builds. The expression is
that of migration 0007 on each database; the model state is unchanged.
"""

from django.db import migrations

PG_KEY = "COALESCE(next_due_at, 'infinity'::timestamptz)"
SQLITE_KEY = "COALESCE(next_due_at, '9999-12-31 23:59:59.999999')"


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS dispute_status_order "
            f"ON disputes_dispute (status, colour, ({PG_KEY}), id)"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS dispute_status_order ON disputes_dispute (status, colour, {SQLITE_KEY}, id)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS dispute_status_order")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP INDEX IF EXISTS dispute_status_order")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("disputes", "0010_open_cases_by_area"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
