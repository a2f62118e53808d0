"""Every write to a case. Keyword-only, atomic; side effects run on commit.

`dispute_transition` is the one door through which a case's status changes.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from disputes.models import (
    CaseEvent,
    Category,
    Deadline,
    Dispute,
    DiversionRule,
    Party,
    ServiceLevelSetting,
)
from disputes.rules import clocks, lifecycle
from disputes.rules.enums import Channel, Colour, DeadlineKind, EventKind, Outcome, PartyRole, Status
from disputes.rules.tracking import new_tracking_number
from grids.models import Area, AreaLevel, Department

logger = logging.getLogger(__name__)


# --- Deadlines -------------------------------------------------------------------


def service_level_for(colour: int) -> clocks.ServiceLevel:
    """The admin's setting for this colour, or the default from DOMAIN.md."""
    row = ServiceLevelSetting.objects.filter(colour=colour).first()
    if row is None:
        return clocks.DEFAULT_SERVICE_LEVELS[Colour(colour)]
    return clocks.ServiceLevel(row.accept_within, row.resolve_within, row.follow_up_every)


def deadline_open(*, dispute: Dispute, kind: str, due_at: datetime) -> Deadline:
    return Deadline.objects.create(dispute=dispute, kind=kind, due_at=due_at)


def deadlines_finish(*, dispute: Dispute, kinds: list[str] | None = None, now: datetime, cancel: bool = False) -> int:
    """Mark the open deadlines of these kinds (all if None) done, or cancelled."""
    qs = Deadline.objects.open().filter(dispute=dispute)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return qs.update(**({"cancelled_at": now} if cancel else {"done_at": now}), updated_at=now)


def dispute_refresh_next_due(*, dispute: Dispute) -> None:
    """Keep `next_due_at` (the queue's sort key) equal to the nearest open, running deadline."""
    dispute.next_due_at = (
        Deadline.objects.open().filter(dispute=dispute, paused_at__isnull=True).aggregate(m=Min("due_at"))["m"]
    )


# --- The one door -------------------------------------------------------------------

_REFUSALS = {
    "unknown_action": lambda: _("This action does not exist."),
    "wrong_state": lambda: _("This action is not possible while the case is “%(status)s”."),
    "wrong_role": lambda: _("Your role may not take this action."),
    "reason_required": lambda: _("Please give a reason for this action."),
}


@dataclass
class _Context:
    dispute: Dispute
    actor: Actor
    now: datetime
    data: dict[str, Any]
    event_data: dict[str, Any]


def dispute_transition(
    *,
    dispute: Dispute | int,
    action: str,
    actor: Actor,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> Dispute:
    """Apply one action of the transition table to a case.

    Locks the row, checks the table, the actor's role and jurisdiction, applies
    the action's effects (department, deadlines, dates), writes the event and
    returns the updated case. Anything else raises ApplicationError in the
    user's language and changes nothing.
    """
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    data = dict(data or {})
    with transaction.atomic():
        try:
            case = Dispute.objects.select_for_update().get(pk=pk)
        except Dispute.DoesNotExist:
            raise NotFoundError(_("Case not found.")) from None
        _check_jurisdiction(case, actor)

        result = lifecycle.check_transition(status=case.status, action=action, role=actor.role, reason=reason)
        if isinstance(result, str):
            message = _REFUSALS[result]() % {"status": case.get_status_display()}
            error_class = PermissionDeniedError if result == "wrong_role" else ApplicationError
            raise error_class(message, code=result)
        transition = result
        _check_handler(case, actor, action)

        now = timezone.now()
        ctx = _Context(dispute=case, actor=actor, now=now, data=data, event_data={})
        from_status = case.status
        effect = _EFFECTS.get(action)
        if effect is not None:
            effect(ctx)
        case.status = transition.target
        dispute_refresh_next_due(dispute=case)
        case.save()
        CaseEvent.objects.create(
            dispute=case,
            at=now,
            actor=actor.user,
            actor_role=actor.role,
            kind=EventKind.TRANSITION,
            action=action,
            from_status=from_status,
            to_status=transition.target,
            reason=reason,
            data=ctx.event_data,
            is_public=transition.public,
        )
    return case


def _check_jurisdiction(case: Dispute, actor: Actor) -> None:
    if not actor.is_staff_member:
        return
    from disputes.selectors import disputes_visible_to

    if not disputes_visible_to(actor.user).filter(pk=case.pk).exists():
        # Same answer as a missing case: do not confirm that it exists.
        raise NotFoundError(_("Case not found."))


def _check_handler(case: Dispute, actor: Actor, action: str) -> None:
    """Handling actions belong to the lead department's staff or the assigned mediator."""
    if actor.role not in lifecycle.HANDLERS:
        return
    profile = getattr(actor.user, "staff", None)
    holds = case.assigned_mediator_id == actor.user.pk or (
        profile is not None and profile.department_id and profile.department_id == case.lead_department_id
    )
    if not holds:
        raise PermissionDeniedError(_("Only the department handling this case may do this."), code="not_handler")


def _department_from(ctx: _Context) -> Department:
    department = ctx.data.get("department")
    if isinstance(department, int):
        department = Department.objects.filter(pk=department, is_active=True).first()
    if department is None:
        raise ApplicationError(_("Choose the department that should handle the case."), code="department_required")
    return department


def _effect_dispatch(ctx: _Context) -> None:
    case = ctx.dispute
    department = _department_from(ctx)
    case.lead_department = department
    case.assigned_mediator = None
    level = service_level_for(case.colour)
    deadlines_finish(dispute=case, kinds=[DeadlineKind.ACCEPT, DeadlineKind.RESOLVE], now=ctx.now, cancel=True)
    deadline_open(dispute=case, kind=DeadlineKind.ACCEPT, due_at=clocks.due_at(ctx.now, level.accept_within))
    ctx.event_data["department"] = department.pk
    ctx.event_data["department_name"] = department.name


def _effect_transfer(ctx: _Context) -> None:
    ctx.event_data["from_department"] = ctx.dispute.lead_department_id
    _effect_dispatch(ctx)


def _effect_accept(ctx: _Context) -> None:
    case = ctx.dispute
    deadlines_finish(dispute=case, kinds=[DeadlineKind.ACCEPT], now=ctx.now)
    level = service_level_for(case.colour)
    deadline_open(dispute=case, kind=DeadlineKind.RESOLVE, due_at=clocks.due_at(ctx.now, level.resolve_within))
    # The accepting handler becomes the mediator; an admin accepting for a department does not.
    if case.assigned_mediator_id is None and ctx.actor.user is not None and ctx.actor.role in lifecycle.HANDLERS:
        case.assigned_mediator = ctx.actor.user
        ctx.event_data["mediator"] = ctx.actor.user.pk


def _effect_return(ctx: _Context) -> None:
    case = ctx.dispute
    ctx.event_data["from_department"] = case.lead_department_id
    deadlines_finish(dispute=case, kinds=[DeadlineKind.ACCEPT, DeadlineKind.RESOLVE], now=ctx.now, cancel=True)
    case.lead_department = None
    case.assigned_mediator = None


def _effect_report_back(ctx: _Context) -> None:
    case = ctx.dispute
    outcome = ctx.data.get("outcome")
    if outcome not in Outcome.values:
        raise ApplicationError(_("Choose the outcome of the case."), code="outcome_required")
    case.outcome = outcome
    case.reported_at = ctx.now
    deadlines_finish(dispute=case, kinds=[DeadlineKind.RESOLVE], now=ctx.now)
    ctx.event_data["outcome"] = outcome


def _effect_await_callback(ctx: _Context) -> None:
    due = ctx.now + timedelta(days=settings.CALLBACK_DUE_DAYS)
    deadline_open(dispute=ctx.dispute, kind=DeadlineKind.CALLBACK, due_at=due)


def _effect_close(ctx: _Context) -> None:
    deadlines_finish(dispute=ctx.dispute, kinds=[DeadlineKind.CALLBACK], now=ctx.now)
    ctx.dispute.closed_at = ctx.now


def _effect_reopen(ctx: _Context) -> None:
    case = ctx.dispute
    deadlines_finish(dispute=case, kinds=[DeadlineKind.CALLBACK], now=ctx.now)
    case.reopened_count += 1
    case.closed_at = None
    case.outcome = ""
    level = service_level_for(case.colour)
    deadline_open(dispute=case, kind=DeadlineKind.RESOLVE, due_at=clocks.due_at(ctx.now, level.resolve_within))


def _effect_withdraw(ctx: _Context) -> None:
    deadlines_finish(dispute=ctx.dispute, now=ctx.now, cancel=True)
    ctx.dispute.closed_at = ctx.now
    ctx.dispute.outcome = Outcome.WITHDRAWN


_EFFECTS = {
    "dispatch": _effect_dispatch,
    "transfer": _effect_transfer,
    "accept": _effect_accept,
    "return": _effect_return,
    "report_back": _effect_report_back,
    "await_callback": _effect_await_callback,
    "close": _effect_close,
    "reopen": _effect_reopen,
    "withdraw": _effect_withdraw,
}


def dispute_report_back(*, dispute: Dispute | int, actor: Actor, outcome: str, reason: str = "") -> Dispute:
    """反馈: record the outcome and open the 7-day callback in one step."""
    with transaction.atomic():
        case = dispute_transition(
            dispute=dispute, action="report_back", actor=actor, reason=reason, data={"outcome": outcome}
        )
        return dispute_transition(dispute=case, action="await_callback", actor=Actor.system())


# --- Intake ---------------------------------------------------------------------------


def dispute_submit(
    *,
    category: Category,
    description: str,
    grid: Area,
    channel: str,
    parties: list[dict[str, Any]],
    occurred_at: datetime | None = None,
    occurred_place: str = "",
    source_id: str = "",
    amount=None,
    people_involved: int | None = None,
    actor: Actor | None = None,
) -> Dispute:
    """登记: store a new case with its parties and first event, then route it after commit.

    The case is stored before anything else can fail: routing runs in a Celery
    task queued on commit, and a broker outage only delays it (the sweeper
    re-enqueues unrouted cases).
    """
    actor = actor or Actor.resident()
    description = (description or "").strip()
    if not description:
        raise ApplicationError(_("Please describe what happened."), code="description_required")
    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel."), code="unknown_channel")
    if grid.level < AreaLevel.VILLAGE:
        raise ApplicationError(_("Choose the village, community or grid where it happened."), code="grid_required")
    if not any(p.get("role") == PartyRole.APPLICANT for p in parties):
        raise ApplicationError(_("A case needs at least one applicant."), code="applicant_required")
    if occurred_at is not None and occurred_at > timezone.now() + timedelta(minutes=5):
        raise ApplicationError(_("The date it happened cannot be in the future."), code="future_date")

    if source_id:
        existing = Dispute.objects.filter(channel=channel, source_id=source_id).first()
        if existing is not None:
            return existing

    now = timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Dispute.objects.create(
                    tracking_number=new_tracking_number(),
                    category=category,
                    description=description,
                    occurred_at=occurred_at,
                    occurred_place=occurred_place,
                    grid=grid,
                    area_path=grid.path,
                    channel=channel,
                    source_id=source_id,
                    amount=amount,
                    people_involved=people_involved,
                    colour=category.base_colour,
                    submitted_at=now,
                )
                Party.objects.bulk_create([Party(dispute=case, **_party_fields(p)) for p in parties])
                CaseEvent.objects.create(
                    dispute=case,
                    at=now,
                    actor=actor.user,
                    actor_role=actor.role,
                    kind=EventKind.TRANSITION,
                    action="submit",
                    to_status=Status.SUBMITTED,
                    data={"channel": channel},
                    is_public=True,
                )
                transaction.on_commit(lambda pk=case.pk: _enqueue_routing(pk), robust=True)
            return case
        except IntegrityError:
            if source_id:
                existing = Dispute.objects.filter(channel=channel, source_id=source_id).first()
                if existing is not None:
                    return existing
            # Otherwise a tracking-number collision (1 in 2^59): draw again.
            continue
    raise ApplicationError(_("The case could not be stored. Please try again."), code="store_failed")


_PARTY_FIELDS = (
    "role",
    "name",
    "phone",
    "id_number",
    "address",
    "is_minor",
    "is_elderly",
    "is_disabled",
    "is_pregnant",
)


def _party_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in _PARTY_FIELDS if k in data}


def _enqueue_routing(pk: int) -> None:
    from disputes.tasks import route_dispute

    route_dispute.delay(pk)


# --- Routing (the first steps; triage rules and assignment grow in their issue) --------


def diversion_rule_for(*, area: Area, category: Category) -> DiversionRule | None:
    """The nearest rule up the tree from `area` for this category."""
    paths = [area.path[:i] for i in range(len(area.path), 0, -Area.steplen)]
    rules = {
        r.area.path: r
        for r in DiversionRule.objects.select_related("area", "lead_department").filter(
            category=category, area__path__in=paths
        )
    }
    for path in paths:
        if path in rules:
            return rules[path]
    return None


def dispute_route(*, dispute_id: int) -> Dispute | None:
    """Triage and dispatch a submitted case. Running it twice changes nothing."""
    case = Dispute.objects.filter(pk=dispute_id).select_related("category", "grid").first()
    if case is None:
        return None
    system = Actor.system()
    if case.status == Status.SUBMITTED:
        case = dispute_transition(dispute=case, action="triage", actor=system)
    if case.status != Status.TRIAGED:
        return case
    if case.colour == Colour.RED and settings.RED_CASES_NEED_HUMAN_DISPATCH:
        return case
    rule = diversion_rule_for(area=case.grid, category=case.category)
    if rule is None:
        return case
    try:
        return dispute_transition(
            dispute=case, action="dispatch", actor=system, data={"department": rule.lead_department}
        )
    except ApplicationError as exc:
        if exc.code == "wrong_state":  # a concurrent run got there first
            return Dispute.objects.get(pk=dispute_id)
        raise


def disputes_unrouted(*, older_than: timedelta, now: datetime | None = None) -> list[int]:
    """Ids of cases still `submitted` after `older_than`: their routing task was lost or never sent."""
    cutoff = (now or timezone.now()) - older_than
    return list(
        Dispute.objects.filter(status=Status.SUBMITTED, submitted_at__lte=cutoff)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:1000]
    )
