"""The staff sign-in log is kept at least six months and pruned after SIGN_IN_LOG_DAYS."""

from datetime import timedelta

import pytest
from axes.models import AccessLog
from django.utils import timezone

from core.tasks import prune_sign_in_log

pytestmark = pytest.mark.django_db


def log_at(days_ago: int) -> AccessLog:
    entry = AccessLog.objects.create(username=f"u{days_ago}", ip_address="127.0.0.1", user_agent="test")
    AccessLog.objects.filter(pk=entry.pk).update(attempt_time=timezone.now() - timedelta(days=days_ago))
    return entry


def test_old_sign_ins_are_pruned_and_recent_ones_kept(settings):
    settings.SIGN_IN_LOG_DAYS = 365
    kept = [log_at(1), log_at(200), log_at(364)]
    log_at(366)
    log_at(800)
    assert prune_sign_in_log() == 2
    assert set(AccessLog.objects.values_list("pk", flat=True)) == {e.pk for e in kept}


def test_the_setting_cannot_go_below_six_months(monkeypatch):
    import importlib

    import config.settings as project_settings

    monkeypatch.setenv("SIGN_IN_LOG_DAYS", "30")
    try:
        assert importlib.reload(project_settings).SIGN_IN_LOG_DAYS == 183
    finally:
        monkeypatch.delenv("SIGN_IN_LOG_DAYS")
        importlib.reload(project_settings)


def test_beat_runs_the_pruning_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prune-sign-in-log"]
    assert entry["task"] == prune_sign_in_log.name
