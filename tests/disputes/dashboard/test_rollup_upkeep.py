"""How the rollups are kept: the command, the beat entries and their tasks."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from disputes.models import DisputeRollup
from disputes.rules.enums import Status
from tests.disputes.cases import case_in


@pytest.mark.django_db  # loading Celery's task modules closes the database connections (its Django fix-up)
def test_beat_runs_the_refresh_every_five_minutes_and_the_rebuild_nightly():
    from config.celery_app import app

    app.loader.import_default_modules()
    tasks = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks["disputes.dashboard.refresh_rollups"].total_seconds() == 300
    assert tasks["disputes.dashboard.rebuild_rollups"].hour == {3}
    assert {"disputes.dashboard.refresh_rollups", "disputes.dashboard.rebuild_rollups"} <= set(app.tasks)


@pytest.mark.django_db
def test_command_and_tasks_write_the_same_rows(tree, category, departments):
    from disputes.dashboard.tasks import rebuild_rollups, refresh_rollups

    case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"])
    out = io.StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "day rows" in out.getvalue()

    def snapshot():
        return sorted(DisputeRollup.objects.values_list("grain", "day", "area_path", "dimension", "value", "concluded"))

    rows = snapshot()
    assert sum(r[-1] for r in rows if r[0] == DisputeRollup.Grain.MONTH and r[3] == "all" and r[2] == tree.city.path)
    assert rebuild_rollups.apply().get() > 0
    assert snapshot() == rows
    assert refresh_rollups.apply().get() > 0
    assert snapshot() == rows
    call_command("rebuild_rollups", "--recent", "3", stdout=io.StringIO())
    assert snapshot() == rows
