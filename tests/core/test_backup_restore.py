"""The backup and restore commands of docs/operations.md ("Backups") work: docker/backup.sh and docker/restore.sh.

docs/operations.md runs these two scripts; this test runs the same files against the PostgreSQL test
database: a `pg_dump -Fc` of it, a restore into a new, empty database, and every table's row count
compared between the two.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from disputes.models import Dispute, Party
from disputes.rules.enums import Status
from tests.conftest import require_service
from tests.disputes.cases import case_in, with_agreement
from tests.factories import PartyFactory

pytestmark = pytest.mark.postgres

SCRIPTS = Path(settings.BASE_DIR) / "docker"


def database_url(name: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - the project's own scripts, fixed arguments
        list(args), env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120, check=False
    )


def table_counts(url: str) -> dict[str, int]:
    listing = run(
        "psql",
        "--no-psqlrc",
        "-At",
        "--dbname",
        url,
        "-c",
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    )
    assert listing.returncode == 0, listing.stderr
    counts = {}
    for table in sorted(listing.stdout.split()):
        out = run("psql", "--no-psqlrc", "-At", "--dbname", url, "-c", f'SELECT count(*) FROM "{table}"')  # noqa: S608
        assert out.returncode == 0, out.stderr
        counts[table] = int(out.stdout)
    return counts


@pytest.fixture
def scratch_database():
    """An empty database beside the test database, dropped afterwards."""
    name = f"restore_check_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_documented_backup_restores_every_row(
    transactional_db, tree, category, departments, scratch_database, tmp_path
):
    require_service(connection.vendor == "postgresql", "this test needs PostgreSQL (set DATABASE_URL)")
    require_service(
        all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql")),
        "pg_dump, pg_restore and psql (postgresql-client) are needed",
    )
    for status in (Status.AWAITING_CALLBACK, Status.IN_MEDIATION, Status.CLOSED):
        case = case_in(status, grid=tree.grid_a, category=category, department=departments["a"])
        PartyFactory(dispute=case)
        if status == Status.AWAITING_CALLBACK:
            with_agreement(case)
    source = database_url(connection.settings_dict["NAME"])
    target = database_url(scratch_database)

    backup = run(str(SCRIPTS / "backup.sh"), env={"DATABASE_URL": source, "BACKUP_DIR": str(tmp_path)})
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    assert dump.parent == tmp_path and dump.name.startswith("portal-") and dump.suffix == ".dump"
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert not list(tmp_path.glob("*.partial"))

    restore = run(str(SCRIPTS / "restore.sh"), str(dump), target)
    assert restore.returncode == 0, restore.stderr

    before, after = table_counts(source), table_counts(target)
    assert after == before
    assert before["disputes_dispute"] == Dispute.objects.count() == 3
    assert before["disputes_party"] == Party.objects.count() > 0
    assert before["grids_area"] == 8 and before["grids_department"] == 2
    assert before["django_migrations"] > 0

    # A second restore into the now-full database is refused, and changes nothing.
    again = run(str(SCRIPTS / "restore.sh"), str(dump), target)
    assert again.returncode == 1
    assert "empty database" in again.stderr
    assert table_counts(target) == before
