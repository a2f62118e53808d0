"""Search by a Chinese name (张伟) or word (漏水), or a single character, from an index, over every case.

pg_trgm (migration 0007) indexes three-character pieces, so a two-character term
gave it nothing to look up: the queue walked the cases in order and checked each
one's description and parties until a page was full. Over the open cases of a
city that took 280 ms when nothing matched; over the closed ones, 3.3 s.

`dispute_grams(text)` is the set of characters and two-character pieces of a
text; a GIN index of it over the descriptions and over the party names finds
every case containing a term: one whose index holds all the term's two-character
pieces (`dispute_term_grams`; a one-character term: the character), then a
substring check.
It replaces the open-cases-only trigram index on descriptions; the trigram index
on party names stays for similar-name matches (pg_trgm's % operator).

Built CONCURRENTLY (the migration is not atomic): a live installation keeps taking
submissions meanwhile (at a million cases about 2 minutes in all, 171 MB for the
descriptions and 29 MB for the names). PostgreSQL only; the model state
is unchanged.
"""

from django.db import migrations

OPEN = ("accepted", "dispatched", "in_mediation", "reopened", "returned", "submitted", "triaged")
OPEN_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN))

# What a text is indexed by: each character and each two-character piece, once.
GRAMS = """
CREATE OR REPLACE FUNCTION dispute_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT COALESCE(array_agg(DISTINCT g), '{}'::text[]) FROM (
        SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) AS i
        UNION ALL
        SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i
    ) AS pieces
$$
"""
# What a search term is looked up by: its two-character pieces, or the character itself.
TERM_GRAMS = """
CREATE OR REPLACE FUNCTION dispute_term_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(t) < 2 THEN ARRAY[t]
                ELSE (SELECT array_agg(DISTINCT substr(t, i, 2)) FROM generate_series(1, length(t) - 1) AS i)
           END
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(GRAMS)
    schema_editor.execute(TERM_GRAMS)
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS dispute_description_grams "
        "ON disputes_dispute USING gin (dispute_grams(UPPER(description)))"
    )
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS party_name_grams "
        "ON disputes_party USING gin (dispute_grams(UPPER(name::text)))"
    )
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS dispute_description_trgm")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS dispute_description_trgm ON disputes_dispute "
        f"USING gin (UPPER(description) gin_trgm_ops) WHERE {OPEN_SQL}"
    )
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS party_name_grams")
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS dispute_description_grams")
    schema_editor.execute("DROP FUNCTION IF EXISTS dispute_term_grams(text)")
    schema_editor.execute("DROP FUNCTION IF EXISTS dispute_grams(text)")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("disputes", "0011_status_in_queue_order"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
