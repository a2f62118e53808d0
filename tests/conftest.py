"""Shared fixtures, and the rule that CI never passes on a skipped service test.

Tests that need PostgreSQL, Redis or a live worker call `require_service(...)`.
Locally, without the service, they skip. With REQUIRE_SERVICES=1 (set by
.ci/run) they fail instead, and any skip at all fails the run.

Settings: config/settings_test.py (no .env; one VAR_DIR and Redis databases per
xdist worker). Hypothesis: the "dev" profile (few examples) unless CI is set or
HYPOTHESIS_PROFILE=ci.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from grids.models import Role
from tests.factories import CategoryFactory, DepartmentFactory, StaffFactory, UserFactory, area_child, area_root

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# Property tests take their number of examples from the profile: a quick look on every local
# run, the thorough search in CI (.ci/run sets HYPOTHESIS_PROFILE=ci; CI=true/1 does too).
# database=None: no .hypothesis/ example store written into the working tree.
hypothesis_settings.register_profile("ci", max_examples=200, deadline=None, database=None, print_blob=True)
hypothesis_settings.register_profile("dev", max_examples=25, deadline=None, database=None)
_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _CI else "dev"))


def is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


def require_service(available: bool, why: str) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {why}")
    pytest.skip(why)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        require_service(connection.vendor == "postgresql", "this test needs PostgreSQL (set DATABASE_URL)")
    if item.get_closest_marker("redis"):
        require_service(bool(os.environ.get("REDIS_URL")), "this test needs Redis (set REDIS_URL)")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """Compile the translation catalogues once, before any xdist worker starts: the workers read
    the .mo files while tests/core/test_translations.py would otherwise write them (a no-op when
    they are newer than the .po files, as after `make setup`)."""
    if not is_xdist_worker(session.config):
        call_command("compiletranslations", stdout=StringIO())


def pytest_sessionfinish(session, exitstatus):
    # Under xdist only the controller decides: it has every worker's reports (a worker's own
    # exit status is not passed on), so it sees the skips of all of them.
    if not REQUIRE_SERVICES or is_xdist_worker(session.config):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"REQUIRE_SERVICES=1: {skipped} test(s) skipped; failing the run.", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """Test users get a cheap hash: PBKDF2 at production strength costs ~0.6 s per user."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def two_factor_off():
    """Two-factor sign-in is on by default without DEBUG; tests turn it on where they test it
    (tests/core/test_two_factor.py), so no other test depends on how DEBUG is set."""
    with override_settings(TWO_FACTOR_REQUIRED=False):
        yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: rate-limit counters, cached option lists and action
    forms (keyed by ids a rolled-back test may hand out again) must not leak between tests."""
    from django.core.cache import cache

    from disputes.staff.case_page import clear_fields_cache
    from disputes.staff.options import clear_option_cache

    cache.clear()
    clear_option_cache()
    clear_fields_cache()
    yield


@pytest.fixture(autouse=True)
def default_language():
    """Start and leave each test in the default language.

    A request to /en/… leaves English active in the thread, and `reverse()` would
    then build /en/ URLs in whichever test runs next.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Tree:
    """A small city: two townships, each with a village and a grid below it."""

    city: object
    county: object
    town_a: object
    town_b: object
    village_a: object
    village_b: object
    grid_a: object
    grid_b: object


@pytest.fixture
def tree(db) -> Tree:
    city = area_root()
    county = area_child(city, code="360103", name="西湖区", population=500_000)
    town_a = area_child(county, code="360103001", name="南浦街道", population=50_000)
    town_b = area_child(county, code="360103002", name="朝阳洲街道", population=40_000)
    village_a = area_child(town_a, code="360103001001", name="船山社区", population=5_000)
    village_b = area_child(town_b, code="360103002001", name="朝阳社区", population=4_000)
    grid_a = area_child(village_a, code="360103001001001", name="船山社区第一网格", population=800)
    grid_b = area_child(village_b, code="360103002001001", name="朝阳社区第一网格", population=700)
    return Tree(city, county, town_a, town_b, village_a, village_b, grid_a, grid_b)


@pytest.fixture
def category(db):
    return CategoryFactory(code="neighbour", name="邻里纠纷", name_en="Neighbour")


@pytest.fixture
def departments(tree):
    """The mediation committee of each township."""
    return {
        "a": DepartmentFactory(name="南浦街道人民调解委员会", area=tree.town_a),
        "b": DepartmentFactory(name="朝阳洲街道人民调解委员会", area=tree.town_b),
    }


@pytest.fixture
def make_staff(tree, departments):
    """make_staff(role, area=..., department=...) → a user with a staff profile."""

    def make(role: str, *, area=None, department=None, username: str | None = None):
        user = UserFactory(username=username or f"{role}-{UserFactory._meta.model.objects.count()}")
        StaffFactory(user=user, role=role, area=area or tree.town_a, department=department)
        return user

    return make


@pytest.fixture
def staff_a(make_staff, tree, departments):
    """One user per role, all working in township A (handlers in A's committee)."""
    return {
        Role.MEDIATOR: make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"]),
        Role.DEPARTMENT_STAFF: make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"]),
        Role.DISPATCHER: make_staff(Role.DISPATCHER, area=tree.town_a),
        Role.CALLBACK_CALLER: make_staff(Role.CALLBACK_CALLER, area=tree.town_a),
        Role.SUPERVISOR: make_staff(Role.SUPERVISOR, area=tree.town_a),
        Role.ADMIN: make_staff(Role.ADMIN, area=tree.city),
    }


# --- A live Celery worker ------------------------------------------------------------


def database_url_for_subprocess() -> str:
    """The database this test runs against (the test database), as a DATABASE_URL for a child process."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        # The settings keep the SQLite test database in a file so that a child can open it.
        return f"sqlite:///{Path(conf['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        auth = quote(conf["USER"] or "", safe="")
        if conf["PASSWORD"]:
            auth += ":" + quote(conf["PASSWORD"], safe="")
        port = f":{conf['PORT']}" if conf["PORT"] else ""
        return f"postgres://{auth}{'@' if auth else ''}{conf['HOST'] or ''}{port}/{quote(conf['NAME'], safe='')}"
    raise NotImplementedError(f"no DATABASE_URL for {connection.vendor}")


@contextmanager
def celery_broker(url: str, transport_options: dict | None = None) -> Iterator[object]:
    """Point this process's Celery app at another broker for a while (e.g. a closed port)."""
    from config.celery_app import app

    saved = (app.conf.broker_url, app.conf.broker_transport_options, app._pool, app.amqp._producer_pool)
    saved_env = os.environ.get("CELERY_BROKER_URL")
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options or {}
    # Producer pools are cached per app; without a reset, publishing would reuse the old broker.
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield app
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app.conf.broker_transport_options, app._pool, app.amqp._producer_pool = saved
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env


@dataclass
class LiveWorker:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        """Signal the worker and its pool children (it leads its own process group)."""
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self, timeout: float = 10) -> None:
        """SIGKILL the worker and its pool children at once, as a crash or the OOM killer would."""
        self.signal(signal.SIGKILL)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker {self.process.pid} survived SIGKILL for {timeout:.0f}s")

    def succeeded(self, task_name: str) -> int:
        """How many times this worker logged `task_name` as succeeded."""
        return sum(1 for line in self.log().splitlines() if f"Task {task_name}[" in line and "] succeeded in " in line)

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left (a hung worker, orphaned pool children) must not outlive the test.
        self.signal(signal.SIGKILL)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2, what: str = "condition", explain=None):
    """Poll until `predicate()` is truthy and return its value; fail after `timeout` seconds.

    `explain()`, if given, adds context to the failure (e.g. the worker's log).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}" + (f"\n{explain()}" if explain else ""))
        time.sleep(interval)


@pytest.fixture
def live_worker(transactional_db, tmp_path) -> Iterator:
    """live_worker(**options) starts a real `celery worker` process against the test database.

    Depends on `transactional_db` because a worker in another process only sees
    committed rows, and so that it is stopped before the tables are flushed.
    The worker consumes from the broker this process publishes to (CELERY_BROKER_URL,
    or the embedded filesystem broker under the same VAR_DIR) unless told otherwise.
    """
    started: list[LiveWorker] = []

    def start(
        *,
        broker_url: str | None = None,
        env: dict[str, str] | None = None,
        pool: str = "solo",
        concurrency: int = 1,
        purge: bool = True,
        timeout: float = 30,
    ) -> LiveWorker:
        from config.celery_app import app

        if purge:
            # Messages left by earlier tests would be harmless (tasks re-fetch by id) but slow us down.
            app.control.purge()
        name = f"test-{uuid.uuid4().hex[:8]}"
        log_path = tmp_path / f"{name}.log"
        child_env = {
            **os.environ,
            "DATABASE_URL": database_url_for_subprocess(),
            "CELERY_BROKER_URL": broker_url or app.conf.broker_url,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "--app=config",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--queues=celery",
            "--loglevel=info",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 (a fixed command line)
                cmd,
                cwd=settings.BASE_DIR,
                env=child_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        worker = LiveWorker(process, log_path)
        started.append(worker)

        def ready():
            if process.poll() is not None:
                pytest.fail(f"the worker exited with {process.returncode}:\n{worker.log()}")
            return " ready." in worker.log()

        wait_for(ready, timeout=timeout, what="the worker to be ready", explain=worker.log)
        return worker

    yield start
    for worker in started:
        worker.stop()
