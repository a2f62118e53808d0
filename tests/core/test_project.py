"""Project-wide guarantees: migrations match the models, production settings are strict, the pins are complete."""

import os
import re
import subprocess
import sys

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

BASE_DIR = settings.BASE_DIR


@pytest.mark.django_db
def test_models_and_migrations_agree():
    # Exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def run_settings(**env: str) -> subprocess.CompletedProcess:
    """Load the settings in a fresh interpreter, with no .env file and the given environment."""
    child_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    child_env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "ENV_FILE": "", **env})
    return subprocess.run(  # noqa: S603 (a fixed command line)
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_settings(DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_a_secret_key():
    result = run_settings(DEBUG="0", SECRET_KEY="x" * 50)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_chinese_first_and_china_time():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.USE_I18N is True


def _names(path) -> set[str]:
    names = set()
    for line in (BASE_DIR / path).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


@pytest.mark.parametrize(
    ("source", "pinned"), [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")]
)
def test_every_requirement_is_pinned(source, pinned):
    missing = _names(source) - _names(pinned)
    assert not missing, f"add pins for {sorted(missing)} to {pinned}"
    for line in (BASE_DIR / pinned).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        assert not line or line.startswith("-r ") or "==" in line, f"{pinned}: not pinned: {line}"


def test_compose_runs_exactly_one_beat():
    # Two beats would enqueue every sweep twice.
    services = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= services.keys()

    def command(service) -> str:
        value = service.get("command", "")
        return " ".join(value) if isinstance(value, list) else value

    beats = [name for name, service in services.items() if re.search(r"celery .*\bbeat\b", command(service))]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    procfile = (BASE_DIR / "Procfile.dev").read_text(encoding="utf-8")
    assert len(re.findall(r"^\w+:.*celery .*\bbeat\b", procfile, flags=re.MULTILINE)) == 1
