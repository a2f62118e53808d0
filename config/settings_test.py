"""Settings for the test suite (pyproject.toml points pytest-django here): config.settings, but

- never from a developer's .env: `make run` reads it, and a DATABASE_URL written there for the
  demo must not send the tests to that database. A test run uses what its process environment
  says (CI exports DATABASE_URL, REDIS_URL, CELERY_BROKER_URL) or the embedded defaults:
  SQLite and the filesystem broker under VAR_DIR;
- with DEBUG on at import and a fixed key, as `make setup`'s .env has always given the suite
  (pytest-django still runs every test with DEBUG off);
- isolated per pytest-xdist worker (gw0, gw1, ...): its own VAR_DIR (the SQLite test database,
  the filesystem broker, uploads) and its own Redis databases, because every test empties the
  cache (`cache.clear()` is FLUSHDB) and a live worker purges the broker's queue. pytest-django
  gives each worker its own test database itself (a _gw0 suffix).

Everything goes through os.environ, which config.settings reads and which the processes a test
starts (a live Celery worker, manage.py) inherit, so they see the same isolated places.
"""

import os
import re
from pathlib import Path

# config.settings reads no file when ENV_FILE is empty.
os.environ["ENV_FILE"] = ""
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-only-insecure-key-never-used-outside-the-test-suite")

_REDIS_DB = re.compile(r"^(rediss?://[^/?#]*)(?:/(\d*))?(.*)$")
_REDIS_VARIABLES = ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


def _redis_db(url: str) -> int | None:
    match = _REDIS_DB.match(url)
    return int(match.group(2) or 0) if match else None


def isolate_worker(worker: str) -> None:
    """Point VAR_DIR and the Redis databases of this xdist worker away from the other workers'.

    Worker n shifts every Redis database number by n times the width of the range the run uses:
    REDIS_URL=…/12 with CELERY_BROKER_URL=…/13 gives gw0 12 and 13, gw1 14 and 15. Redis has
    databases 0-15 unless configured otherwise, so pick the numbers and -n to fit.
    """
    index = int(worker.removeprefix("gw"))
    base = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent.parent / "var")
    os.environ["VAR_DIR"] = str(base / f"xdist-{worker}")
    if os.environ.get("PRIVATE_STORAGE_ROOT"):
        os.environ["PRIVATE_STORAGE_ROOT"] = str(Path(os.environ["PRIVATE_STORAGE_ROOT"]) / f"xdist-{worker}")
    dbs = [db for name in _REDIS_VARIABLES if (db := _redis_db(os.environ.get(name, ""))) is not None]
    if not dbs:
        return
    shift = index * (max(dbs) - min(dbs) + 1)
    for name in _REDIS_VARIABLES:
        match = _REDIS_DB.match(os.environ.get(name, ""))
        if match:
            host, db, rest = match.group(1), int(match.group(2) or 0), match.group(3)
            os.environ[name] = f"{host}/{db + shift}{rest}"


# Children of a worker (a live Celery worker) inherit both the worker id and the shifted
# values: the marker stops them from shifting a second time.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and os.environ.get("PORTAL_TEST_ISOLATED_WORKER") != _worker:
    isolate_worker(_worker)
    os.environ["PORTAL_TEST_ISOLATED_WORKER"] = _worker

from config.settings import *  # noqa: E402, F403
