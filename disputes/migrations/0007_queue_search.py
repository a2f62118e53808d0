"""Indexes for the workbench queue (disputes/queue.py): its keyset order and its search.

Written as SQL per database rather than model indexes: the queue orders on an
expression (`COALESCE(next_due_at, +infinity)`, so cases without a running
deadline sort last) whose spelling differs between PostgreSQL and SQLite, and
the trigram (pg_trgm) GIN indexes exist only on PostgreSQL. The model state is
unchanged, so `makemigrations --check` stays quiet.

* dispute_queue_open: the open cases in queue order (red first, nearest
  deadline, id), carrying the columns the scopes filter on, so a supervisor's
  first page and a page 50 deep are both a short index range.
* dispute_queue_mediator / dispute_queue_department: the same order behind
  "my cases" and "my department's cases" (and "take next").
* dispute_tracking_prefix: a tracking number typed in part (its first groups).
* dispute_description_trgm / party_name_trgm: substring search (`icontains`,
  i.e. UPPER(col) LIKE) and name similarity served by pg_trgm.

The status list is frozen here as it was when the migration was written.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

OPEN = ("accepted", "dispatched", "in_mediation", "reopened", "returned", "submitted", "triaged")
OPEN_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN))

PG_KEY = "COALESCE(next_due_at, 'infinity'::timestamptz)"
SQLITE_KEY = "COALESCE(next_due_at, '9999-12-31 23:59:59.999999')"

POSTGRES = {
    "dispute_queue_open": (
        f"CREATE INDEX dispute_queue_open ON disputes_dispute (colour, ({PG_KEY}), id) "
        f"INCLUDE (area_path, assigned_mediator_id, lead_department_id) WHERE {OPEN_SQL}"
    ),
    "dispute_queue_mediator": (
        f"CREATE INDEX dispute_queue_mediator ON disputes_dispute (assigned_mediator_id, colour, ({PG_KEY}), id) "
        f"WHERE {OPEN_SQL} AND assigned_mediator_id IS NOT NULL"
    ),
    "dispute_queue_department": (
        f"CREATE INDEX dispute_queue_department ON disputes_dispute (lead_department_id, colour, ({PG_KEY}), id) "
        f"INCLUDE (area_path, assigned_mediator_id, status) WHERE {OPEN_SQL} AND lead_department_id IS NOT NULL"
    ),
    "dispute_tracking_prefix": (
        "CREATE INDEX dispute_tracking_prefix ON disputes_dispute (tracking_number varchar_pattern_ops)"
    ),
    "dispute_description_trgm": (
        "CREATE INDEX dispute_description_trgm ON disputes_dispute "
        f"USING gin (UPPER(description) gin_trgm_ops) WHERE {OPEN_SQL}"
    ),
    "party_name_trgm": ("CREATE INDEX party_name_trgm ON disputes_party USING gin (UPPER(name::text) gin_trgm_ops)"),
}

SQLITE = {
    "dispute_queue_open": f"CREATE INDEX dispute_queue_open ON disputes_dispute (colour, {SQLITE_KEY}, id) "
    f"WHERE {OPEN_SQL}",
    "dispute_queue_mediator": (
        f"CREATE INDEX dispute_queue_mediator ON disputes_dispute (assigned_mediator_id, colour, {SQLITE_KEY}, id) "
        f"WHERE {OPEN_SQL}"
    ),
    "dispute_queue_department": (
        f"CREATE INDEX dispute_queue_department ON disputes_dispute (lead_department_id, colour, {SQLITE_KEY}, id) "
        f"WHERE {OPEN_SQL}"
    ),
}


def _statements(vendor: str) -> dict[str, str]:
    return {"postgresql": POSTGRES, "sqlite": SQLITE}.get(vendor, {})


def create_indexes(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor).values():
        schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    for name in _statements(schema_editor.connection.vendor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0006_workbench"),
    ]

    operations = [
        # A no-op outside PostgreSQL. pg_trgm is a trusted extension: the database owner may create it.
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
