"""Shared by bench/routing.py and bench/sweep.py: the database guard, seeding, a Celery worker, percentiles.

Not a benchmark itself. The scripts call `configure()` before anything imports
Django models: it fixes the environment the measured processes run with
(DEBUG off, as in production, so no query log slows them down), checks the
database, creates it if it is a missing PostgreSQL bench_ database, migrates
it and tops it up to the asked number of stored cases with `seed_demo`.
"""

import json
import math
import os
import signal
import subprocess  # noqa: S404 - runs our own manage.py and celery with fixed arguments
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    """Progress goes to stderr; stdout ends with the one JSON line."""
    print(message, file=sys.stderr, flush=True)


def configure(*, allow_any_database: bool = False) -> dict:
    """Set the environment for this process and its children; return the default database's settings.

    The database and broker are the configured ones (DATABASE_URL, CELERY_BROKER_URL,
    from the environment or .env). A PostgreSQL database must be named bench_… unless
    `allow_any_database`: the benchmarks add cases, deadlines and demo accounts.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    os.chdir(ROOT)
    from django.conf import settings

    db = dict(settings.DATABASES["default"])
    if "postgresql" in db["ENGINE"]:
        if not db["NAME"].startswith("bench_") and not allow_any_database:
            sys.exit(f"Refusing to use {db['NAME']!r}: the benchmark writes cases; use a database named bench_….")
        _create_postgres_database(db)
    return db


def _create_postgres_database(db: dict) -> None:
    import psycopg2

    admin = psycopg2.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or 5432,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if cursor.fetchone() is None:
            log(f"Creating database {db['NAME']}…")
            cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    admin.close()


def manage(*args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    return result.stdout


def prepare(stored: int) -> None:
    """Migrate, then make sure at least `stored` cases are there (seed_demo adds only the difference)."""
    log("Migrating…")
    manage("migrate", "--noinput", "-v", "0")
    log(f"Making sure {stored:,} cases are stored (seed_demo --cases {stored})…")
    # --force: DEBUG is off in this environment; the database guard above stands in for it.
    output = manage("seed_demo", "--cases", str(stored), "--force")
    for line in output.splitlines():
        if line.startswith(("Cases:", "Done in")):
            log("  " + line)


def setup_django() -> None:
    import django

    django.setup()


# --- The broker's default queue --------------------------------------------------------------------


def queue_length(queue: str = "celery") -> int:
    from config.celery_app import app

    with app.connection_for_write() as conn:
        try:
            return conn.default_channel.queue_declare(queue, passive=True).message_count
        except conn.channel_errors:
            return 0  # never declared: nothing was ever sent to it


def require_empty_queue(*, purge: bool) -> None:
    """The measured worker must drain only what the benchmark sends: an empty queue, or --purge."""
    from config.celery_app import app

    waiting = queue_length()
    if waiting and not purge:
        sys.exit(
            f"The broker's queue already holds {waiting} messages. Point CELERY_BROKER_URL at a broker of the "
            "benchmark's own (e.g. redis://127.0.0.1:6379/7), or pass --purge to empty the queue first."
        )
    if waiting:
        log(f"Purging {waiting} waiting messages…")
        app.control.purge()


# --- A Celery worker in a subprocess -----------------------------------------------------------------


class Worker:
    """`celery worker` against the same database and broker, in its own process group."""

    def __init__(self, *, pool: str = "prefork", concurrency: int = 1) -> None:
        self.pool = pool
        self.concurrency = concurrency
        handle, name = tempfile.mkstemp(prefix="bench-worker-", suffix=".log")
        os.close(handle)
        self.log_path = Path(name)
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> float:
        """Start and wait until it is ready; returns time.monotonic() at that moment."""
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "--app=config",
            "worker",
            f"--pool={self.pool}",
            f"--concurrency={self.concurrency}",
            "--queues=celery",
            "--loglevel=info",
            f"--hostname=bench-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - fixed command line
                cmd, cwd=ROOT, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"The worker exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            if " ready." in self.log():
                return time.monotonic()
            time.sleep(0.02)
        self.stop()
        sys.exit(f"The worker was not ready within {timeout:.0f} s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def runtimes(self, task: str) -> list[float]:
        """Seconds each `task` took inside the worker, from its 'succeeded in …s' log lines."""
        found = []
        for line in self.log().splitlines():
            if f"Task {task}[" in line and "] succeeded in " in line:
                found.append(float(line.split("] succeeded in ", 1)[1].split("s", 1)[0]))
        return found

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.log_path.unlink(missing_ok=True)


# --- Figures ------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def emit(figures: dict) -> None:
    """The last line of stdout: one JSON object."""
    print(json.dumps(figures, ensure_ascii=False), flush=True)
