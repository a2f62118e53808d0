"""时限 and 督办: a case's deadlines (open, finish, the queue's next due date) and the sweep that climbs
the escalation ladder when they pass (on `core.casework.sweep`)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.casework import sweep
from core.casework.effects import ALL, Effect
from core.models import Notification
from core.notifications import notify_staff_many
from disputes.models import CaseEvent, Deadline, Dispute, ServiceLevelSetting
from disputes.rules import clocks
from disputes.rules import effects as effect_rules
from disputes.rules import triage as triage_rules
from disputes.rules.enums import Colour, DeadlineKind, EventKind
from disputes.services.casefile import event_new
from grids import roles
from grids.areas import ancestor_paths

# The handling clocks a wait on a party stops (`services.edits.dispute_pause_clock`).
PAUSABLE = (DeadlineKind.ACCEPT, DeadlineKind.RESOLVE)
# Only running deadlines climb the ladder: a paused one waits for its resume.
RUNNING = Q(paused_at__isnull=True)


def service_level_for(colour: int) -> clocks.ServiceLevel:
    """The admin's setting for this colour, or the default from DOMAIN.md."""
    row = ServiceLevelSetting.objects.filter(colour=colour).first()
    if row is None:
        return clocks.DEFAULT_SERVICE_LEVELS[Colour(colour)]
    return clocks.ServiceLevel(row.accept_within, row.resolve_within, row.follow_up_every)


def deadline_open(*, dispute: Dispute, kind: str, due_at: datetime) -> Deadline:
    # The sweeper's first rung is the due date itself.
    return Deadline.objects.create(dispute=dispute, kind=kind, due_at=due_at, escalate_at=due_at)


def deadlines_finish(
    *, dispute: Dispute, kinds: Iterable[str] | None = None, now: datetime, cancel: bool = False
) -> int:
    """Mark the open deadlines of these kinds (all if None) done, or cancelled."""
    qs = Deadline.objects.open().filter(dispute=dispute)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return qs.update(**({"cancelled_at": now} if cancel else {"done_at": now}), updated_at=now)


def dispute_refresh_next_due(*, dispute: Dispute) -> None:
    """Keep `next_due_at` (the queue's sort key) equal to the nearest open, running deadline."""
    dispute.next_due_at = (
        Deadline.objects.open().filter(dispute=dispute).filter(RUNNING).aggregate(m=Min("due_at"))["m"]
    )


# --- An action's row of the effects table (disputes.rules.effects) --------------------------------------


def _kinds(which: tuple[str, ...] | str) -> list[str] | None:
    """A row's `finishes` or `cancels` as `deadlines_finish` takes it: None for every open deadline."""
    return None if which == ALL else list(which)


def deadlines_close_for(*, dispute: Dispute, effect: Effect, now: datetime) -> None:
    """The first half of a row: finish, then cancel, the deadlines it names."""
    if effect.finishes:
        deadlines_finish(dispute=dispute, kinds=_kinds(effect.finishes), now=now)
    if effect.cancels:
        deadlines_finish(dispute=dispute, kinds=_kinds(effect.cancels), now=now, cancel=True)


def deadlines_open_for(*, dispute: Dispute, effect: Effect, now: datetime) -> None:
    """The second half of a row: open its deadlines, each running its window from `now`."""
    level: clocks.ServiceLevel | None = None
    for kind in effect.opens:
        if kind in effect_rules.SERVICE_LEVEL_KINDS and level is None:
            # Read only for the handling clocks: the callback's days are a setting.
            level = service_level_for(dispute.colour)
        window = effect_rules.window(kind, level=level, callback_days=settings.CALLBACK_DUE_DAYS)
        deadline_open(dispute=dispute, kind=kind, due_at=clocks.due_at(now, window))


# --- 督办: the sweep ---------------------------------------------------------------------------------


def deadlines_due(*, now: datetime, limit: int) -> list[int]:
    """Ids of open, running deadlines whose next rung is due, oldest first."""
    return sweep.due_ids(Deadline, now=now, limit=limit, running=RUNNING)


def deadline_escalate(*, deadline_id: int, now: datetime) -> str | None:
    """督办: take the next rung of the ladder for one due deadline. Returns the rung taken, or None."""
    return deadlines_escalate(deadline_ids=[deadline_id], now=now).get(deadline_id)


def deadlines_escalate(
    *, deadline_ids: list[int], now: datetime, recipients: dict[Any, Any] | None = None
) -> dict[int, str]:
    """督办 for a batch of due deadlines, in one transaction: {deadline id: rung taken}.

    Locks the cases first and then the deadlines (the order the transition
    service uses), both with SKIP LOCKED: rows another sweeper or a transition
    holds are left for the next sweep. Each deadline climbs one rung. The
    batch's events, notifications and deadline changes are written with one
    statement each (row by row, 10,000 due deadlines took over a minute: longer
    than the beat interval), and the notifications are queued for delivery
    after commit. `recipients` caches who is told, across the batches of a sweep.
    """
    recipients = {} if recipients is None else recipients
    with transaction.atomic():
        cases, locked = sweep.lock_due(
            Deadline, case_model=Dispute, case_field="dispute", ids=deadline_ids, now=now, running=RUNNING
        )
        system = Actor.system()
        changed_at = timezone.now()  # updated_at: the clock, not the sweep's `now`
        taken: dict[int, str] = {}
        events: list[CaseEvent] = []
        messages: list[Notification] = []
        for pk in deadline_ids:
            deadline = locked.get(pk)
            if deadline is None:
                continue
            case = cases[deadline.dispute_id]
            step = clocks.next_step(
                kind=deadline.kind, colour=case.colour, level=deadline.escalation_level, due=deadline.due_at
            )
            if step is None:
                deadline.escalate_at = None
                continue
            data = {
                "deadline": deadline.pk,
                "kind": deadline.kind,
                "level": step.level,
                "due_at": deadline.due_at.isoformat(),
            }
            if step.action == clocks.REMIND:
                events.append(event_new(case, system, EventKind.DEADLINE_REMINDER, now=now, data=data))
                text = _reminder_text(case, deadline)
                messages += [
                    _staff_message(user, "deadline_reminder", text, case)
                    for user in _handlers_to_remind(case, deadline.kind, recipients)
                ]
            elif step.action == clocks.ESCALATE:
                events.append(event_new(case, system, EventKind.ESCALATED, now=now, data=data))
                text = _escalation_text(case, deadline)
                messages += [
                    _staff_message(user, "escalated", text, case) for user in _supervisors_over(case, recipients)
                ]
            else:
                old = case.colour
                case.colour = triage_rules.raise_one_step(case.colour)
                if case.colour != old:
                    case.triage_reasons = [
                        *case.triage_reasons,
                        {
                            "rule": "escalated",
                            "colour": Colour(case.colour).code,
                            "params": {"deadline": deadline.kind},
                        },
                    ]
                    case.save(update_fields=["colour", "triage_reasons", "updated_at"])
                events.append(
                    event_new(
                        case,
                        system,
                        EventKind.COLOUR_RAISED,
                        now=now,
                        reason=triage_rules.reason_text({"rule": "escalated"}),
                        data={**data, "from_colour": Colour(old).code, "colour": Colour(case.colour).code},
                    )
                )
            deadline.escalation_level = step.level
            deadline.escalate_at = step.next_at
            taken[pk] = step.action
        CaseEvent.objects.bulk_create(events)
        notify_staff_many(messages)
        sweep.save_rungs(Deadline, locked.values(), now=changed_at)
    return taken


def deadlines_sweep(*, now: datetime | None = None, batch: int = 500, max_rows: int = 20_000) -> int:
    """The beat entry's work: one rung for every row due at `now` (at most `max_rows`, oldest first).

    Each row climbs at most one rung per sweep; rows skipped because another
    transaction holds them are taken on the next sweep (`core.casework.sweep.sweep`).
    Returns the rungs taken.
    """
    return sweep.sweep(
        due=lambda at, limit: deadlines_due(now=at, limit=limit),
        escalate=lambda ids, at, cache: deadlines_escalate(deadline_ids=ids, now=at, recipients=cache),
        now=now or timezone.now(),
        batch=batch,
        max_rows=max_rows,
    )


def _staff_message(user: Any, kind: str, body: str, case: Dispute) -> Notification:
    return Notification(
        channel=Notification.Channel.STAFF, recipient_user=user, kind=kind, body=body, dispute_id=case.pk
    )


def _handlers_to_remind(case: Dispute, kind: str, cache: dict[Any, Any] | None = None) -> list[Any]:
    """Who is reminded when a deadline passes. `cache` keeps the answer per key during a sweep."""
    key: tuple[str, Any]
    who: dict[str, Any]
    if kind == DeadlineKind.CALLBACK:
        key = ("callers", case.area_path)
        who = {"staff__role": roles.CALLBACK_CALLER, "staff__area__path__in": ancestor_paths(case.area_path)}
    elif case.assigned_mediator_id:
        key, who = ("mediator", case.assigned_mediator_id), {"pk": case.assigned_mediator_id}
    elif case.lead_department_id:
        key, who = ("department", case.lead_department_id), {"staff__department_id": case.lead_department_id}
    else:
        key = ("dispatchers", case.area_path)
        who = {"staff__role": roles.DISPATCHER, "staff__area__path__in": ancestor_paths(case.area_path)}
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = list(get_user_model().objects.filter(is_active=True, **who).order_by("pk")[:20])
    found: list[Any] = cache[key]
    return found


def _supervisors_over(case: Dispute, cache: dict[Any, Any] | None = None) -> list[Any]:
    """The supervisors of the case's area: the nearest level that has any."""
    users = get_user_model().objects.filter(is_active=True, staff__role=roles.SUPERVISOR).order_by("pk")
    cache = {} if cache is None else cache
    for path in ancestor_paths(case.area_path):
        key = ("supervisors", path)
        if key not in cache:
            cache[key] = list(users.filter(staff__area__path=path)[:20])
        if cache[key]:
            found: list[Any] = cache[key]
            return found
    return []


def _reminder_text(case: Dispute, deadline: Deadline) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Case %(number)s: the deadline “%(deadline)s” has passed.") % {
            "number": case.tracking_number_display,
            "deadline": deadline.get_kind_display(),
        }


def _escalation_text(case: Dispute, deadline: Deadline) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Case %(number)s is overdue (“%(deadline)s”) and has been escalated to you.") % {
            "number": case.tracking_number_display,
            "deadline": deadline.get_kind_display(),
        }
