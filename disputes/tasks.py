"""Thin Celery tasks: take ids, re-fetch, call a service. Safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from core.actors import Actor
from disputes.dashboard import tasks as dashboard_tasks
from disputes.models import Dispute
from disputes.selectors.routing import disputes_unrouted
from disputes.services import deadlines, routing, supervision, triage

# The database restarting under a task (bench/faults.py): try again in a few seconds rather than
# drop the message. The sweeper would route the case anyway, but only minutes later.
DATABASE_DOWN = (OperationalError, InterfaceError)
# The dashboard's beat tasks live beside the dashboard; importing them here registers them with the worker.
DASHBOARD_TASKS = dashboard_tasks


@shared_task(acks_late=True, autoretry_for=DATABASE_DOWN, retry_backoff=2, retry_backoff_max=30, max_retries=6)
def route_dispute(dispute_id: int) -> str | None:
    case = routing.dispute_route(dispute_id=dispute_id)
    return case.status if case else None


@shared_task
def sweep_unrouted() -> int:
    """Re-enqueue routing for cases left `submitted`, so a broker outage delays routing but never loses it."""
    ids = disputes_unrouted(older_than=timedelta(minutes=settings.UNROUTED_AFTER_MINUTES))
    for pk in ids:
        route_dispute.delay(pk)
    return len(ids)


@shared_task
def sweep_deadlines() -> int:
    """督办 sweep (beat, every minute): climb one rung for every due deadline."""
    return deadlines.deadlines_sweep()


@shared_task
def sweep_orders() -> int:
    """督办单 sweep (beat, every minute): an order not signed for or not answered in time climbs one level."""
    return supervision.orders_sweep()


@shared_task(acks_late=True)
def retriage_dispute(dispute_id: int) -> None:
    """New information arrived (e.g. a resident added text): triage again; the colour can only go up."""
    if Dispute.objects.filter(pk=dispute_id).exists():
        triage.dispute_retriage(dispute=dispute_id, actor=Actor.system(), cause="supplemented")
