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
from disputes.services.casefile import case_link, event_new
from disputes.services.leader import leader_needed_notices
from disputes.services.supervision import OrderSpec, orders_issue
from grids import roles
from grids.areas import ancestor_paths
from grids.models import Area, Department

# The handling clocks a wait on a party stops (`services.edits.dispute_pause_clock`).
PAUSABLE = (DeadlineKind.ACCEPT, DeadlineKind.RESOLVE)
# Only running deadlines climb the ladder: a paused one waits for its resume.
RUNNING = Q(paused_at__isnull=True)
# At most this many people are told at each rung (a whole county's staff is not an audience).
MAX_TOLD = 20


def service_level_for(colour: int) -> clocks.ServiceLevel:
    """The admin's setting for this colour, or the default from DOMAIN.md (the dispatch window always set)."""
    row = ServiceLevelSetting.objects.filter(colour=colour).first()
    if row is None:
        return clocks.DEFAULT_SERVICE_LEVELS[Colour(colour)]
    return clocks.ServiceLevel(
        row.accept_within,
        row.resolve_within,
        row.follow_up_every,
        row.dispatch_within or clocks.DEFAULT_DISPATCH_WITHIN[Colour(colour)],
    )


def deadline_open(*, dispute: Dispute, kind: str, due_at: datetime) -> Deadline:
    # The sweeper's first rung is the due date itself.
    return Deadline.objects.create(dispute=dispute, kind=kind, due_at=due_at, escalate_at=due_at)


def dispatch_clock_retime(*, dispute: Dispute, old_colour: int, now: datetime) -> bool:
    """A new colour (triage, a re-triage, a person's override) re-times an open dispatch clock.

    The clock runs the new colour's window from its start (the submission, or
    the return that opened it: its due date less the old colour's window): a
    case found red waits 30 minutes from when it came in, not from when it was
    found red, and so sorts first in the queue. A rung already taken keeps its
    offset from the due date. Returns whether a clock moved; the caller
    refreshes `next_due_at`.
    """
    if old_colour == dispute.colour:
        return False
    clock = Deadline.objects.open().filter(dispute=dispute, kind=DeadlineKind.DISPATCH).first()
    if clock is None:
        return False
    start = clock.due_at - clocks.dispatch_window(service_level_for(old_colour), old_colour)
    due = clocks.due_at(start, clocks.dispatch_window(service_level_for(dispute.colour), dispute.colour))
    offset = None if clock.escalate_at is None else clock.escalate_at - clock.due_at
    Deadline.objects.filter(pk=clock.pk).update(
        due_at=due, escalate_at=None if offset is None else due + offset, updated_at=now
    )
    return True


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


def deadlines_open_for(*, dispute: Dispute, effect: Effect, now: datetime) -> list[Deadline]:
    """The second half of a row: open its deadlines, each running its window from `now`."""
    level: clocks.ServiceLevel | None = None
    opened: list[Deadline] = []
    for kind in effect.opens:
        if kind in effect_rules.SERVICE_LEVEL_KINDS and level is None:
            # Read only for the handling clocks: the callback's days are a setting.
            level = service_level_for(dispute.colour)
        window = effect_rules.window(kind, level=level, callback_days=settings.CALLBACK_DUE_DAYS)
        opened.append(deadline_open(dispute=dispute, kind=kind, due_at=clocks.due_at(now, window)))
    return opened


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
    holds are left for the next sweep. Each deadline climbs one rung of
    `clocks.next_step` (a head rung with nobody to tell is passed over to the
    next one at once). The batch's events, inbox items, automatic 督办单
    (`services.supervision.orders_issue`), raised colours and deadline changes
    are written with one statement each (row by row, 10,000 due deadlines took
    over a minute: longer than the beat interval), and the inbox items are
    queued for delivery after commit. A worker killed mid-batch rolls the whole
    batch back: the rows are still due and the next sweep takes the same rungs
    once. `recipients` caches who is told, across the batches of a sweep.
    """
    recipients = {} if recipients is None else recipients
    with transaction.atomic():
        cases, locked = sweep.lock_due(
            Deadline, case_model=Dispute, case_field="dispute", ids=deadline_ids, now=now, running=RUNNING
        )
        ladder = _Ladder(now=now, cache=recipients, cases=cases.values())
        for pk in deadline_ids:
            deadline = locked.get(pk)
            if deadline is None:
                continue
            action = ladder.climb(cases[deadline.dispute_id], deadline)
            if action is not None:
                ladder.taken[pk] = action
        ladder.write()
        sweep.save_rungs(Deadline, locked.values(), now=timezone.now())  # updated_at: the clock, not `now`
    return ladder.taken


class _Ladder:
    """One batch of rungs: what each creates, gathered to be written set-based (`write`)."""

    def __init__(self, *, now: datetime, cache: dict[Any, Any], cases: Iterable[Dispute]) -> None:
        self.now = now
        self.cache = cache
        self.system = Actor.system()
        self.upper_factor = int(settings.LADDER_UPPER_GAP_FACTOR)
        self.taken: dict[int, str] = {}
        self.events: list[CaseEvent] = []
        self.messages: list[Notification] = []
        self.orders: list[OrderSpec] = []
        self.raised: dict[int, Dispute] = {}
        batch = list(cases)
        # The objects an order is addressed to, read once for the batch.
        self.departments = Department.objects.in_bulk({c.lead_department_id for c in batch if c.lead_department_id})
        self.mediators = get_user_model().objects.in_bulk(
            {c.assigned_mediator_id for c in batch if c.assigned_mediator_id}
        )

    def climb(self, case: Dispute, deadline: Deadline) -> str | None:
        """Take one rung of `deadline` (level and escalate_at set on it); the rung's action, or None."""
        tiers = [] if deadline.kind in clocks.NO_COLOUR_RUNG else _supervisor_tiers(case, self.cache)

        def rung_after(level: int) -> clocks.Step | None:
            return clocks.next_step(
                kind=deadline.kind,
                colour=case.colour,
                level=level,
                due=deadline.due_at,
                tiers=len(tiers),
                upper_factor=self.upper_factor,
            )

        step = rung_after(deadline.escalation_level)
        heads: list[Any] = []
        while step is not None and step.action == clocks.REMIND_HEAD:
            heads = _heads_of(case.lead_department_id, self.cache)
            if heads:
                break
            # No department or no head: the rung is passed over, the next is taken now.
            step = rung_after(step.level)
        if step is None:
            deadline.escalate_at = None
            return None
        data: dict[str, Any] = {
            "deadline": deadline.pk,
            "kind": deadline.kind,
            "level": step.level,
            "due_at": deadline.due_at.isoformat(),
        }
        link = case_link(case)
        if step.action == clocks.REMIND:
            self.events.append(event_new(case, self.system, EventKind.DEADLINE_REMINDER, now=self.now, data=data))
            text = _reminder_text(case, deadline)
            self.messages += [
                _staff_message(user, "deadline_reminder", text, case, link)
                for user in _handlers_to_remind(case, deadline.kind, self.cache)
            ]
        elif step.action == clocks.REMIND_HEAD:
            data.update(rung=clocks.REMIND_HEAD, department=case.lead_department_id)
            self.events.append(event_new(case, self.system, EventKind.DEADLINE_REMINDER, now=self.now, data=data))
            text = _head_text(case, deadline)
            self.messages += [_staff_message(user, "head_reminder", text, case, link) for user in heads]
        else:
            self._escalate(case, deadline, step, tiers, data, link)
        deadline.escalation_level = step.level
        deadline.escalate_at = step.next_at
        return step.action

    def _escalate(
        self,
        case: Dispute,
        deadline: Deadline,
        step: clocks.Step,
        tiers: list[tuple[Area, list[Any]]],
        data: dict[str, Any],
        link: str,
    ) -> None:
        area: Area | None
        if tiers:
            area, supervisors = tiers[step.tier]
        else:  # the short ladder's supervisor rung: the nearest supervisors, no order
            area, supervisors = _nearest_supervisors(case, self.cache)
        if area is not None:
            data.update(rung=clocks.ESCALATE, to_area=area.pk, to_area_name=area.name, to_level=area.level)
        self.events.append(event_new(case, self.system, EventKind.ESCALATED, now=self.now, data=data))
        text = _escalation_text(case, deadline)
        self.messages += [_staff_message(user, "escalated", text, case, link) for user in supervisors]
        if step.order and area is not None:
            self.orders.append(self._order(case, deadline, area))
        if step.raise_colour:
            self._raise_colour(case, deadline, data)

    def _order(self, case: Dispute, deadline: Deadline, area: Area) -> OrderSpec:
        """The rung's automatic 督办单: to the lead department, else the mediator (a dispatch clock's: a dispatcher)."""
        to_department: Department | None = None
        to_user: Any = None
        if deadline.kind == DeadlineKind.DISPATCH:
            to_user = _nearest_dispatcher(case, self.cache)
        elif case.lead_department_id is not None:
            to_department = self.departments.get(case.lead_department_id)
        elif case.assigned_mediator_id is not None:
            to_user = self.mediators.get(case.assigned_mediator_id)
        return OrderSpec(
            case=case,
            issuing_area=area,
            reason=_order_reason(case, deadline),
            to_department=to_department,
            to_user=to_user,
        )

    def _raise_colour(self, case: Dispute, deadline: Deadline, data: dict[str, Any]) -> None:
        """The colour goes up one step, once per case: an earlier "escalated" reason means it went up already."""
        if any(r.get("rule") == "escalated" for r in case.triage_reasons):
            return
        old = case.colour
        case.colour = triage_rules.raise_one_step(case.colour)
        if case.colour == old:  # red is the top
            return
        case.triage_reasons = [
            *case.triage_reasons,
            {"rule": "escalated", "colour": Colour(case.colour).code, "params": {"deadline": deadline.kind}},
        ]
        self.raised[case.pk] = case
        self.events.append(
            event_new(
                case,
                self.system,
                EventKind.COLOUR_RAISED,
                now=self.now,
                reason=triage_rules.reason_text({"rule": "escalated"}),
                data={**data, "from_colour": Colour(old).code, "colour": Colour(case.colour).code},
            )
        )

    def write(self) -> None:
        """The batch's rows, one statement per table (the orders: one per issuing office)."""
        if self.raised:
            changed = timezone.now()
            for case in self.raised.values():
                case.updated_at = changed
            Dispute.objects.bulk_update(list(self.raised.values()), ["colour", "triage_reasons", "updated_at"])
            # 包案: a case the ladder turned red asks its supervisors for a leader, in the same batch.
            self.messages += leader_needed_notices(self.raised.values())
        if self.orders:
            issued = orders_issue(specs=self.orders, actor=self.system, now=self.now)
            # One order per case and office in a batch: the handling clocks (dispatch, accept,
            # resolve) are never open together, and the other clocks issue none.
            numbers = {(o.dispute_id, o.issuing_area_id): o.document_number for o in issued}
            for event in self.events:
                key = (event.dispute_id, event.data.get("to_area"))
                if event.kind == EventKind.ESCALATED and key in numbers:
                    event.data["order"] = numbers[key]
        CaseEvent.objects.bulk_create(self.events)
        notify_staff_many(self.messages)


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


def _staff_message(user: Any, kind: str, body: str, case: Dispute, link: str = "") -> Notification:
    return Notification(
        channel=Notification.Channel.STAFF,
        recipient_user=user,
        kind=kind,
        body=body,
        dispute_id=case.pk,
        link=link,
    )


def _active_staff() -> Any:
    return get_user_model().objects.filter(is_active=True).order_by("pk")


def _handlers_to_remind(case: Dispute, kind: str, cache: dict[Any, Any] | None = None) -> list[Any]:
    """Who is reminded when a deadline passes. `cache` keeps the answer per key during a sweep."""
    key: tuple[str, Any]
    who: dict[str, Any]
    if kind == DeadlineKind.CALLBACK:
        key = ("callers", case.area_path)
        who = {"staff__role": roles.CALLBACK_CALLER, "staff__area__path__in": ancestor_paths(case.area_path)}
    elif kind != DeadlineKind.DISPATCH and case.assigned_mediator_id:
        key, who = ("mediator", case.assigned_mediator_id), {"pk": case.assigned_mediator_id}
    elif kind != DeadlineKind.DISPATCH and case.lead_department_id:
        key, who = ("department", case.lead_department_id), {"staff__department_id": case.lead_department_id}
    else:
        key = ("dispatchers", case.area_path)
        who = {"staff__role": roles.DISPATCHER, "staff__area__path__in": ancestor_paths(case.area_path)}
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = list(_active_staff().filter(**who)[:MAX_TOLD])
    found: list[Any] = cache[key]
    return found


def _heads_of(department_id: int | None, cache: dict[Any, Any]) -> list[Any]:
    """科室负责人: the lead department's head(s); none without a department."""
    if department_id is None:
        return []
    key = ("heads", department_id)
    if key not in cache:
        cache[key] = list(_active_staff().filter(staff__department_id=department_id, staff__is_head=True)[:MAX_TOLD])
    found: list[Any] = cache[key]
    return found


def _supervisor_tiers(case: Dispute, cache: dict[Any, Any]) -> list[tuple[Area, list[Any]]]:
    """The levels of the area tree over the case that have supervisors, nearest first, with them."""
    key = ("tiers", case.area_path)
    if key not in cache:
        by_path = _supervisors_by_path(cache)
        cache[key] = [by_path[path] for path in ancestor_paths(case.area_path) if path in by_path]
    found: list[tuple[Area, list[Any]]] = cache[key]
    return found


def _supervisors_by_path(cache: dict[Any, Any]) -> dict[str, tuple[Area, list[Any]]]:
    """Every active supervisor by the path of their area, read once per sweep (a city has a few dozen):
    asking per case area was one query per grid, half the time of a sweep."""
    key = ("supervisors",)
    if key not in cache:
        by_path: dict[str, tuple[Area, list[Any]]] = {}
        for user in _active_staff().filter(staff__role=roles.SUPERVISOR).select_related("staff__area"):
            area = user.staff.area
            people = by_path.setdefault(area.path, (area, []))[1]
            if len(people) < MAX_TOLD:
                people.append(user)
        cache[key] = by_path
    found: dict[str, tuple[Area, list[Any]]] = cache[key]
    return found


def _nearest_supervisors(case: Dispute, cache: dict[Any, Any]) -> tuple[Area | None, list[Any]]:
    tiers = _supervisor_tiers(case, cache)
    return tiers[0] if tiers else (None, [])


def _nearest_dispatcher(case: Dispute, cache: dict[Any, Any]) -> Any:
    """A dispatcher of the case's area, the nearest level first: a dispatch clock's 督办单 is addressed to them."""
    key = ("dispatcher", case.area_path)
    if key not in cache:
        paths = ancestor_paths(case.area_path)
        found = list(
            _active_staff()
            .filter(staff__role=roles.DISPATCHER, staff__area__path__in=paths)
            .values_list("pk", "staff__area__path")[:50]
        )
        found.sort(key=lambda row: (-len(row[1]), row[0]))
        cache[key] = get_user_model().objects.filter(pk=found[0][0]).first() if found else None
    return cache[key]


def _reminder_text(case: Dispute, deadline: Deadline) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Case %(number)s: the deadline “%(deadline)s” has passed.") % {
            "number": case.tracking_number_display,
            "deadline": deadline.get_kind_display(),
        }


def _head_text(case: Dispute, deadline: Deadline) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Case %(number)s of your department is overdue (“%(deadline)s”): please see that it is handled.") % {
            "number": case.tracking_number_display,
            "deadline": deadline.get_kind_display(),
        }


def _order_reason(case: Dispute, deadline: Deadline) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Case %(number)s is overdue (“%(deadline)s”, due %(due)s): supervised automatically.") % {
            "number": case.tracking_number_display,
            "deadline": deadline.get_kind_display(),
            "due": timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M"),
        }


def _escalation_text(case: Dispute, deadline: Deadline) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Case %(number)s is overdue (“%(deadline)s”) and has been escalated to you.") % {
            "number": case.tracking_number_display,
            "deadline": deadline.get_kind_display(),
        }
