"""Time `manage.py seed_demo --cases N` on a fresh database.

    python bench/seed_demo.py                      # SQLite in a temporary folder, 100,000 cases
    python bench/seed_demo.py --cases 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/seed_bench

A PostgreSQL database is dropped and created again first, so its name must start
with seed_ or bench_ (a guard against pointing this at real data). The command's
own report (elapsed time, rows per table) is printed, with the wall-clock time of
the whole run (migrations excluded).
"""

import argparse
import os
import shutil
import subprocess  # noqa: S404 - runs manage.py with fixed arguments
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def recreate_postgres(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith(("seed_", "bench_")):
        sys.exit(f"Refusing to drop {name!r}: use a database named seed_… or bench_….")
    admin = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="seed-bench-")
    env = {**os.environ, "DEBUG": "1", "VAR_DIR": var_dir, "ENV_FILE": ""}
    env.pop("DATABASE_URL", None)
    if args.database_url:
        recreate_postgres(args.database_url)
        env["DATABASE_URL"] = args.database_url
    try:
        manage("migrate", "-v0", env=env)
        command = ["seed_demo", "--cases", str(args.cases)]
        if args.workers is not None:
            command += ["--workers", str(args.workers)]
        started = time.perf_counter()
        output = manage(*command, env=env)
        elapsed = time.perf_counter() - started
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    report = output.split("DEMO ONLY")[0].rstrip()
    print(report)
    print(f"Wall clock for seed_demo (reference data + cases): {elapsed:.1f} s")


if __name__ == "__main__":
    main()
