"""A real Celery worker picks up what a submission publishes on commit.

These start `celery worker` as a separate process against the test database,
so they prove the wiring the unit tests cannot: settings, task discovery, the
on_commit hook, serialisation, and the broker itself.
"""

import logging
import time

import pytest
from django.conf import settings

from disputes import services
from disputes.models import Dispute, DiversionRule
from disputes.rules.enums import Channel, PartyRole, Status
from tests.conftest import celery_broker, require_service, wait_for

# Nothing listens on port 1: connecting is refused at once, like a broker that is down.
DEAD_BROKER = "redis://127.0.0.1:1/0"


def submit(tree, category) -> Dispute:
    return services.dispute_submit(
        category=category,
        description="隔壁装修噪音扰民，晚上十点后仍在施工。",
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[{"role": PartyRole.APPLICANT, "name": "王五", "phone": "13700137000"}],
    )


def status_becomes(case: Dispute, status: str, worker):
    def check():
        case.refresh_from_db()
        return case.status == status

    return wait_for(check, timeout=30, what=f"case {case.pk} to become {status}", explain=worker.log)


@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_on_redis_routes_a_submitted_case(live_worker, tree, category, departments):
    require_service(
        settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")),
        "this test needs CELERY_BROKER_URL=redis://...",
    )
    DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])
    worker = live_worker()

    case = submit(tree, category)

    status_becomes(case, Status.DISPATCHED, worker)
    assert case.lead_department == departments["a"]
    assert list(case.events.values_list("action", flat=True)) == ["submit", "triage", "dispatch"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_on_the_embedded_broker_routes_a_submitted_case(live_worker, tree, category, tmp_path):
    """What `make run` relies on: web and worker sharing nothing but a folder of messages."""
    var_dir = tmp_path / "var"
    folder = var_dir / "broker" / "out"
    folder.mkdir(parents=True)
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(var_dir / "broker" / "control"),
        "store_processed": False,
    }
    with celery_broker("filesystem://", options):
        # The worker derives the same folder from VAR_DIR, as the settings do for every process.
        worker = live_worker(broker_url="filesystem://", env={"VAR_DIR": str(var_dir)})
        case = submit(tree, category)
        status_becomes(case, Status.TRIAGED, worker)
    assert list(case.events.values_list("action", flat=True)) == ["submit", "triage"]


@pytest.mark.django_db(transaction=True)
def test_submission_is_stored_when_the_broker_is_down(tree, category, caplog):
    with celery_broker(DEAD_BROKER), caplog.at_level(logging.ERROR):
        started = time.monotonic()
        case = submit(tree, category)
        elapsed = time.monotonic() - started

    # The resident must not wait on the broker: publishing gives up quickly and the
    # sweeper routes the case later.
    assert elapsed < 5, f"submitting took {elapsed:.1f}s with the broker down"
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert case.tracking_number
    assert any("on_commit" in record.getMessage() for record in caplog.records), "publishing did not fail"
