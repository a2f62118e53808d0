"""Beat keeps the rollups fresh: see disputes.dashboard.rollups for why beat and not the transition service."""

from celery import shared_task

from disputes.dashboard import rollups


@shared_task(name="disputes.dashboard.refresh_rollups")
def refresh_rollups() -> int:
    """Every 5 minutes: the last 14 days and their months."""
    return rollups.refresh_recent().day_rows


@shared_task(name="disputes.dashboard.rebuild_rollups")
def rebuild_rollups() -> int:
    """Nightly: everything from scratch."""
    return rollups.rebuild_all().day_rows
