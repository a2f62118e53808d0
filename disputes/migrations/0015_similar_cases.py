"""Indexes for 类案参考 and 当事人历史 (disputes.similar).

- `dispute_closed_category_area`: the closed cases of one category under an area path,
  newest first. The similar-cases panel reads closed candidates ring by ring around a
  case's grid (grid, village, township, county, city); each ring is one range scan of this
  partial index instead of a walk through every closed case of the city.
- `party_id_number`: a party's ID-card number, for the same people's other cases (phones
  already have an index). Partial: most parties give none.

Built CONCURRENTLY on PostgreSQL (the migration is not atomic), as in migration 0012, so a
live installation keeps taking submissions meanwhile. SQLite gets the same partial indexes
the plain way. The model state is unchanged.
"""

from django.db import migrations

CLOSED_BY_AREA = (
    "dispute_closed_category_area ON disputes_dispute (category_id, area_path{opclass}, id) WHERE status = 'closed'"
)
ID_NUMBER = "party_id_number ON disputes_party (id_number) WHERE id_number <> ''"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + CLOSED_BY_AREA.format(opclass=" varchar_pattern_ops")
        )
        schema_editor.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS " + ID_NUMBER)
    elif vendor == "sqlite":
        schema_editor.execute("CREATE INDEX IF NOT EXISTS " + CLOSED_BY_AREA.format(opclass=""))
        schema_editor.execute("CREATE INDEX IF NOT EXISTS " + ID_NUMBER)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    concurrently = " CONCURRENTLY" if vendor == "postgresql" else ""
    if vendor in ("postgresql", "sqlite"):
        schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS party_id_number")
        schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS dispute_closed_category_area")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("disputes", "0014_triage_scale_and_signals"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
