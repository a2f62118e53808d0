"""Bulk inserts for the demo cases, bypassing the ORM's per-object work.

Creating model instances costs tens of microseconds each; a million cases are
some fifteen million rows. So the generator builds plain tuples and this module
writes them with the driver's fastest path: `executemany` on SQLite, `COPY …
FROM STDIN` (CSV) on PostgreSQL. Case ids are reserved up front so the child
rows can point at them without a round trip per case.
"""

import csv
import io
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.fields import NOT_PROVIDED


class TimestampText:
    """Epoch seconds → the database's datetime text. Called millions of times, so the date part is cached.

    A class, not a closure, so the generator's worker processes can receive it.
    """

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix
        self._days: dict[int, str] = {}

    def __call__(self, ts: int) -> str:
        day, second = divmod(ts, 86_400)
        date_text = self._days.get(day)
        if date_text is None:
            date_text = self._days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86_400))
        hour, second = divmod(second, 3_600)
        minute, second = divmod(second, 60)
        return f"{date_text} {hour:02d}:{minute:02d}:{second:02d}{self.suffix}"


class BulkLoader:
    """Writes rows of plain values for a model, given its field names in order."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"seed_demo --cases supports SQLite and PostgreSQL, not {self.vendor}")
        # Datetimes are stored as UTC: SQLite as Django writes them (naive ISO text),
        # PostgreSQL as timestamptz literals.
        self.fmt = TimestampText("" if self.vendor == "sqlite" else "+00")

    # --- the session around a load ---

    @contextmanager
    def session(self, models: Sequence[type[Model]], *, rebuild_indexes: bool = False) -> Iterator[None]:
        """Everything written inside goes in fast; on leaving, the database is tidy again.

        SQLite: no fsync during the load (demo data can be made again).

        PostgreSQL with `rebuild_indexes` (a load at least as big as the tables): the
        whole load is one transaction that drops the secondary indexes of `models`,
        copies the rows and builds the indexes again, which is several times cheaper
        than updating fifteen b-trees row by row. DDL is transactional in PostgreSQL, so
        a failure rolls back to the old tables, indexes included; the price is that the
        tables are locked for the duration (fine for a demo or benchmark database).
        Foreign keys are checked per statement instead of at commit, so the pending
        checks of millions of rows never pile up in the server's memory.
        """
        if self.vendor == "sqlite":
            # SQLite refuses to change this inside a transaction (say, a test's).
            relax = not connection.in_atomic_block
            if relax:
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA synchronous=OFF")
            try:
                yield
            finally:
                if relax:
                    with connection.cursor() as cursor:
                        cursor.execute("PRAGMA synchronous=NORMAL")
            return
        if rebuild_indexes:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                indexes = self._drop_secondary_indexes(cursor, models)
                yield
                for definition in indexes:
                    cursor.execute(definition)
        else:
            yield
        with connection.cursor() as cursor:
            # Fresh statistics, so the planner knows how big the tables have become.
            for model in models:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def _drop_secondary_indexes(self, cursor: Any, models: Sequence[type[Model]]) -> list[str]:
        """Drops the indexes that back no constraint (primary and unique keys stay); returns their DDL."""
        definitions = []
        for model in models:
            cursor.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = %s
                  AND NOT EXISTS (
                      SELECT 1 FROM pg_constraint c
                      WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
                  )
                ORDER BY i.indexname
                """,
                [model._meta.db_table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                definitions.append(definition)
        return definitions

    # --- ids ---

    def reserve_ids(self, model: type[Model], count: int) -> list[int]:
        """Primary keys for `count` new rows, taken for good before the rows exist.

        Safe beside other writers (the web app may be creating cases meanwhile): on
        PostgreSQL the values come from the table's sequence; on SQLite the table's
        AUTOINCREMENT counter is moved past the block, so nobody else draws from it.
        """
        table = model._meta.db_table
        pk_column = model._meta.pk.column
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, pk_column, count],
                )
                return [row[0] for row in cursor.fetchall()]
        with transaction.atomic(), connection.cursor() as cursor:
            quote = connection.ops.quote_name
            cursor.execute(f"SELECT COALESCE(MAX({quote(pk_column)}), 0) FROM {quote(table)}")  # noqa: S608  # nosec B608
            highest = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            start = max(highest, row[0] if row else 0) + 1
            if row:
                cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [start + count - 1, table])
            else:
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start + count - 1])
        return list(range(start, start + count))

    # --- rows ---

    def columns(self, model: type[Model], fields: Sequence[str]) -> list[str]:
        """The db columns of `fields`; refuses if the model has a required column we would leave out."""
        opts = model._meta
        columns = [opts.get_field(name).column for name in fields]
        missing = [
            f.name
            for f in opts.concrete_fields
            if f.name not in fields and not f.primary_key and not f.null and f.db_default is NOT_PROVIDED
        ]
        if missing:
            raise RuntimeError(f"The demo loader does not fill {opts.label}.{', '.join(missing)}: update demo/.")
        return columns

    def insert(self, model: type[Model], fields: Sequence[str], rows: "list[tuple] | CsvRows") -> int:
        """Write `rows` (tuples, or CSV already made by a worker for PostgreSQL); returns how many."""
        if not rows:
            return 0
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns(model, fields))
        if self.vendor == "sqlite":
            placeholders = ", ".join("?" * len(fields))
            # The raw sqlite3 cursor: Django's wrapper would rewrite the query and log every call.
            raw = connection.connection.cursor()
            try:
                raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608  # nosec B608
            finally:
                raw.close()
            return len(rows)
        encoded = rows if isinstance(rows, CsvRows) else CsvRows.encode(rows)
        sql = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, io.StringIO(encoded.text))
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(encoded.text)
        return encoded.count


class CsvRows:
    """Rows as the CSV that PostgreSQL's COPY reads: made in the worker processes, so the
    writing process only streams text (and pickling one string is cheaper than a list of tuples).
    """

    __slots__ = ("count", "text")

    def __init__(self, count: int, text: str) -> None:
        self.count = count
        self.text = text

    def __len__(self) -> int:
        return self.count

    @classmethod
    def encode(cls, rows: list[tuple]) -> "CsvRows":
        buffer = io.StringIO()
        # QUOTE_NOTNULL: None is written bare, which COPY reads as NULL; "" is quoted, an empty string.
        csv.writer(buffer, quoting=csv.QUOTE_NOTNULL, lineterminator="\n").writerows(rows)
        return cls(len(rows), buffer.getvalue())
