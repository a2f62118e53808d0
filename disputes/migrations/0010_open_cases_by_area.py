"""The open cases of an area, on PostgreSQL: the queue's "area" tab and the dashboard's overdue list.

Both filter a township's or village's open cases (area_path prefix), the tab on
those nobody is assigned to, the list on those past their deadline. The only
index on area_path covered every case ever filed there, closed ones included
(~30,000 for a township at a million cases), so PostgreSQL read that whole
range and intersected it with another index: 11 ms for a mediator's area tab.
This one holds only the open cases (a few hundred per township) with the two
columns those filters add: 2 ms. The expression and the status list are those
of migration 0007. SQLite (the demo) does without; the model state is
unchanged, so `makemigrations --check` stays quiet.
"""

from django.db import migrations

OPEN = ("accepted", "dispatched", "in_mediation", "reopened", "returned", "submitted", "triaged")
OPEN_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN))
PG_KEY = "COALESCE(next_due_at, 'infinity'::timestamptz)"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX dispute_open_area ON disputes_dispute "
            f"(area_path varchar_pattern_ops, assigned_mediator_id, ({PG_KEY})) WHERE {OPEN_SQL}"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS dispute_open_area")


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0009_callback_queue_index"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
