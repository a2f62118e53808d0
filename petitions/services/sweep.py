"""督办: the sweep of the statutory clocks, on the casework kernel's bulk sweeper (`core.casework.sweep`).

Each due deadline climbs one rung: a reminder to the handling department before
the due date, an escalation to the area's supervisors after it; a petitioner's
review window that runs out closes the petition (the reply stands). A batch's
timeline entries and notifications are written with one statement each and its
deadlines with one UPDATE per group of rungs.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.casework import sweep
from core.models import Notification
from core.notifications import notify_staff_many
from petitions import rules
from petitions.models import Petition, PetitionDeadline, PetitionEvent
from petitions.rules import EventKind, Status
from petitions.services.events import event_build
from petitions.services.notify import handlers_of, staff_message, supervisors_over
from petitions.services.transitions import transition_apply


def petition_deadlines_due(*, now: datetime, limit: int) -> list[int]:
    """Ids of open deadlines whose next rung is due at `now`, oldest first."""
    return sweep.due_ids(PetitionDeadline, now=now, limit=limit)


def petition_deadlines_escalate(
    *, deadline_ids: list[int], now: datetime, recipients: dict[Any, Any] | None = None
) -> dict[int, str]:
    """One rung for each due deadline in one transaction: {deadline id: rung}.

    Locks petitions, then deadlines (the transition's order), both SKIP LOCKED:
    rows someone else holds wait for the next sweep. `recipients` caches who is
    told, across the batches of a sweep.
    """
    recipients = {} if recipients is None else recipients
    system = Actor.system()
    taken: dict[int, str] = {}
    with transaction.atomic():
        petitions, locked = sweep.lock_due(
            PetitionDeadline, case_model=Petition, case_field="petition", ids=deadline_ids, now=now
        )
        changed_at = timezone.now()  # updated_at: the clock, not the sweep's `now`
        events: list[PetitionEvent] = []
        messages: list[Notification] = []
        lapsed: list[PetitionDeadline] = []
        escalated: list[PetitionDeadline] = []
        for pk in deadline_ids:
            deadline = locked.get(pk)
            if deadline is None:
                continue
            p = petitions[deadline.petition_id]
            step = rules.next_step(kind=deadline.kind, level=deadline.escalation_level, due=deadline.due_at)
            if step is None:
                deadline.escalate_at = None
                continue
            data = {"deadline": deadline.pk, "kind": deadline.kind, "due_at": deadline.due_at.isoformat()}
            if step.action == rules.LAPSE:
                # The petitioner did not ask for a review in time: the reply stands.
                lapsed.append(deadline)
                if p.status == Status.REPLIED:
                    transition_apply(p, action="close", actor=system, reason="", data={})
            elif step.action == rules.REMIND:
                events.append(event_build(p, system, EventKind.DEADLINE_REMINDER, now=now, data=data))
                body = _deadline_text(p, deadline, escalated=False)
                messages += [
                    staff_message(u, "petition_deadline_reminder", body, p) for u in handlers_of(p, recipients)
                ]
            else:
                escalated.append(deadline)
                events.append(event_build(p, system, EventKind.ESCALATED, now=now, data=data))
                body = _deadline_text(p, deadline, escalated=True)
                messages += [staff_message(u, "petition_escalated", body, p) for u in supervisors_over(p, recipients)]
            deadline.escalation_level = step.level
            deadline.escalate_at = step.next_at
            taken[pk] = step.action
        PetitionEvent.objects.bulk_create(events)
        notify_staff_many(messages)
        special = {d.pk for d in lapsed} | {d.pk for d in escalated}
        rest = [d for d in locked.values() if d.pk not in special]
        sweep.save_rungs(PetitionDeadline, rest, now=changed_at)
        # A lapsed review window is met (done); an escalation records when it happened.
        sweep.save_rungs(PetitionDeadline, lapsed, now=changed_at, extra={1: {"done_at": now}})
        sweep.save_rungs(PetitionDeadline, escalated, now=changed_at, extra={2: {"escalated_at": now}})
    return taken


def petition_deadlines_sweep(*, now: datetime | None = None, batch: int = 200, max_rows: int = 10_000) -> int:
    """The beat entry's work: one rung for every petition deadline due at `now`. Returns the rungs taken."""
    return sweep.sweep(
        due=lambda at, limit: petition_deadlines_due(now=at, limit=limit),
        escalate=lambda ids, at, cache: petition_deadlines_escalate(deadline_ids=ids, now=at, recipients=cache),
        now=now or timezone.now(),
        batch=batch,
        max_rows=max_rows,
    )


def _deadline_text(p: Petition, deadline: PetitionDeadline, *, escalated: bool) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"petition": p.tracking_number_display, "deadline": deadline.get_kind_display()}
        if escalated:
            return _("Petition %(petition)s is overdue (“%(deadline)s”) and has been escalated to you.") % values
        return _("Petition %(petition)s: the deadline “%(deadline)s” is near or has passed.") % values
