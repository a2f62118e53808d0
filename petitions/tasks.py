"""Thin Celery tasks for petitions. Safe to run twice."""

from celery import shared_task

from petitions import services


@shared_task
def sweep_petition_deadlines() -> int:
    """督办 sweep of the statutory clocks (beat, every minute): one rung for every due petition deadline."""
    return services.petition_deadlines_sweep()
