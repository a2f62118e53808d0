"""config/settings_test.py: the suite never reads a developer's .env, and xdist workers share nothing."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from config import settings_test

# Variables a test run may have been given; each child below starts without them.
RUN_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "DEBUG",
    "SECRET_KEY",
    "ENV_FILE",
    "VAR_DIR",
    "PRIVATE_STORAGE_ROOT",
    "PYTEST_XDIST_WORKER",
    "PORTAL_TEST_ISOLATED_WORKER",
}
READ = (
    "import django; django.setup(); import json; from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'redis': s.REDIS_URL, "
    "'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG, 'var': str(s.VAR_DIR)}))"
)


def settings_seen(module: str, **env: str) -> dict:
    child_env = {k: v for k, v in os.environ.items() if k not in RUN_VARIABLES}
    child_env.update({"DJANGO_SETTINGS_MODULE": module, **env})
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", READ],
        cwd=settings.BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def developer_env_file(tmp_path):
    """A .env written for `make run` against servers this run must not touch."""
    path = tmp_path / ".env"
    path.write_text(
        "DEBUG=0\nSECRET_KEY=from-the-developers-file\n"
        "DATABASE_URL=postgres://nobody@nowhere.invalid:5432/portal\n"
        "REDIS_URL=redis://nowhere.invalid:6379/0\nCELERY_BROKER_URL=redis://nowhere.invalid:6379/1\n",
        encoding="utf-8",
    )
    return path


def test_the_test_settings_ignore_a_developers_env_file(developer_env_file, tmp_path):
    seen = settings_seen("config.settings_test", ENV_FILE=str(developer_env_file), VAR_DIR=str(tmp_path / "var"))
    assert seen["engine"] == "django.db.backends.sqlite3"
    assert seen["redis"] == ""
    assert seen["broker"] == "filesystem://"
    assert seen["debug"] is True


def test_the_project_settings_do_read_it(developer_env_file, tmp_path):
    """The control: the same file does reach config.settings, so the test above proves something."""
    seen = settings_seen("config.settings", ENV_FILE=str(developer_env_file), VAR_DIR=str(tmp_path / "var"))
    assert seen["engine"] == "django.db.backends.postgresql"
    assert seen["redis"] == "redis://nowhere.invalid:6379/0"


def test_the_process_environment_still_chooses_the_services(tmp_path):
    """CI exports DATABASE_URL and the Redis URLs: they win over the embedded defaults."""
    seen = settings_seen(
        "config.settings_test",
        DATABASE_URL="postgres://ci@127.0.0.1:5432/portal_ci",
        REDIS_URL="redis://127.0.0.1:6379/0",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/1",
        VAR_DIR=str(tmp_path / "var"),
    )
    assert seen["engine"] == "django.db.backends.postgresql"
    assert (seen["redis"], seen["broker"]) == ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1")


def test_each_xdist_worker_gets_its_own_redis_databases_and_var_dir(tmp_path):
    common = {
        "REDIS_URL": "redis://127.0.0.1:6379/12",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
        "VAR_DIR": str(tmp_path / "var"),
    }
    first = settings_seen("config.settings_test", PYTEST_XDIST_WORKER="gw0", **common)
    second = settings_seen("config.settings_test", PYTEST_XDIST_WORKER="gw1", **common)
    assert (first["redis"], first["broker"]) == ("redis://127.0.0.1:6379/12", "redis://127.0.0.1:6379/13")
    assert (second["redis"], second["broker"]) == ("redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/15")
    assert first["var"] == str(tmp_path / "var" / "xdist-gw0")
    assert second["var"] == str(tmp_path / "var" / "xdist-gw1")


def test_a_process_started_by_a_worker_does_not_shift_again(tmp_path):
    """A live Celery worker inherits the worker id and the values already shifted for it."""
    seen = settings_seen(
        "config.settings_test",
        PYTEST_XDIST_WORKER="gw1",
        PORTAL_TEST_ISOLATED_WORKER="gw1",
        REDIS_URL="redis://127.0.0.1:6379/14",
        VAR_DIR=str(tmp_path / "var" / "xdist-gw1"),
    )
    assert seen["redis"] == "redis://127.0.0.1:6379/14"
    assert seen["var"] == str(tmp_path / "var" / "xdist-gw1")


def test_redis_urls_keep_their_host_options_and_default_database(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "rediss://:secret@cache.internal:6380?ssl_cert_reqs=none")
    monkeypatch.setenv("CELERY_BROKER_URL", "filesystem://")
    monkeypatch.setenv("CELERY_RESULT_BACKEND", "redis://cache.internal:6380/2?health_check_interval=5")
    settings_test.isolate_worker("gw3")
    # Databases 0 (no number given) and 2 are a range three wide: worker 3 moves it up by nine.
    assert os.environ["REDIS_URL"] == "rediss://:secret@cache.internal:6380/9?ssl_cert_reqs=none"
    assert os.environ["CELERY_RESULT_BACKEND"] == "redis://cache.internal:6380/11?health_check_interval=5"
    assert os.environ["CELERY_BROKER_URL"] == "filesystem://"
    assert os.environ["VAR_DIR"] == str(tmp_path / "xdist-gw3")
