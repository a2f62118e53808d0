"""Every write to a case. Keyword-only, atomic; side effects run on commit.

`dispute_transition` is the one door through which a case's status changes.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import dates
from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.models import Notification
from core.notifications import notify_sms, notify_staff, notify_staff_many
from core.validators import validate_id_number, validate_mobile
from disputes.models import (
    CaseEvent,
    Category,
    ChannelKey,
    Deadline,
    Dispute,
    DisputeAssist,
    DiversionRule,
    Party,
    RoutingReturn,
    ServiceLevelSetting,
    TriageKeyword,
)
from disputes.rules import clocks, lifecycle
from disputes.rules import triage as triage_rules
from disputes.rules.enums import OPEN_STATUSES, Channel, Colour, DeadlineKind, EventKind, Outcome, PartyRole, Status
from disputes.rules.tracking import new_tracking_number
from grids.models import Area, AreaLevel, Department, Role, StaffProfile

logger = logging.getLogger(__name__)


# --- Deadlines -------------------------------------------------------------------


def service_level_for(colour: int) -> clocks.ServiceLevel:
    """The admin's setting for this colour, or the default from DOMAIN.md."""
    row = ServiceLevelSetting.objects.filter(colour=colour).first()
    if row is None:
        return clocks.DEFAULT_SERVICE_LEVELS[Colour(colour)]
    return clocks.ServiceLevel(row.accept_within, row.resolve_within, row.follow_up_every)


def deadline_open(*, dispute: Dispute, kind: str, due_at: datetime) -> Deadline:
    # The sweeper's first rung is the due date itself.
    return Deadline.objects.create(dispute=dispute, kind=kind, due_at=due_at, escalate_at=due_at)


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
    data_reason: str = ""


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
        _check_handler(_handled_case(case, action), actor, action)

        now = timezone.now()
        ctx = _Context(dispute=case, actor=actor, now=now, data=data, event_data={}, data_reason=reason)
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


def _handled_case(case: Dispute, action: str) -> Dispute:
    """The case whose handlers may take `action` on `case`: a duplicate is merged by the earlier case's."""
    if action == "merge_duplicate" and case.duplicate_of_id is not None:
        return case.duplicate_of
    return case


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
    # A person chooses among the departments serving the place; the platform follows the diversion list.
    if ctx.actor.is_staff_member:
        check_department_serves(ctx.dispute, department)
    return department


def departments_serving(area_path: str):
    """The departments a person may send a case at this place to, or ask to assist: active, and serving one
    of its areas up the tree or any area of its county (a neighbouring township's committee, a county bureau).

    The case page lists these; `check_department_serves` refuses any other, whichever door it came through.
    """
    county = area_path[: 2 * Area.steplen]
    return Department.objects.filter(
        Q(area__path__in=ancestor_paths(area_path)) | Q(area__path__startswith=county), is_active=True
    )


def check_department_serves(case: Dispute, department: Department) -> None:
    if not department.is_active or not departments_serving(case.area_path).filter(pk=department.pk).exists():
        raise ApplicationError(
            _("This department does not serve the place of the case: choose one of its county."),
            code="department_not_eligible",
            extra={"field": "department"},
        )


def _effect_triage(ctx: _Context) -> None:
    case = ctx.dispute
    result = triage_rules.triage(triage_facts(case, now=ctx.now))
    case.colour = result.colour
    case.triage_reasons = result.reasons_as_dicts()
    ctx.event_data.update({"colour": Colour(result.colour).code, "reasons": case.triage_reasons})


def _effect_dispatch(ctx: _Context) -> None:
    case = ctx.dispute
    department = _department_from(ctx)
    case.lead_department = department
    case.assigned_mediator = None
    rule = ctx.data.get("rule")
    case.routing_rule = rule
    level = service_level_for(case.colour)
    deadlines_finish(dispute=case, kinds=[DeadlineKind.ACCEPT, DeadlineKind.RESOLVE], now=ctx.now, cancel=True)
    deadline_open(dispute=case, kind=DeadlineKind.ACCEPT, due_at=clocks.due_at(ctx.now, level.accept_within))
    ctx.event_data["department"] = department.pk
    ctx.event_data["department_name"] = department.name
    _notify_applicants(
        case,
        kind="dispatched",
        message=lambda: (
            _("Your case %(number)s has been sent to %(department)s, which will handle it.")
            % {"number": case.tracking_number_display, "department": department.display_name}
        ),
    )
    if rule is not None:
        ctx.event_data["rule"] = rule.pk
        # 联合调解: the rule's assisting departments join the case from the start.
        for assisting in rule.assisting_departments.all():
            if assisting.pk != department.pk:
                DisputeAssist.objects.get_or_create(dispute=case, department=assisting)


def _effect_transfer(ctx: _Context) -> None:
    department = ctx.data.get("department")
    if department is not None and getattr(department, "pk", department) == ctx.dispute.lead_department_id:
        raise ApplicationError(
            _("This department already leads the case."), code="already_lead", extra={"field": "department"}
        )
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
    if case.lead_department is not None:
        department = case.lead_department
        _notify_applicants(
            case,
            kind="accepted",
            message=lambda: (
                _("%(department)s has accepted your case %(number)s. A mediator will contact you.")
                % {"number": case.tracking_number_display, "department": department.display_name}
            ),
        )


def _effect_return(ctx: _Context) -> None:
    case = ctx.dispute
    ctx.event_data["from_department"] = case.lead_department_id
    # A routing miss: counted per department and per diversion rule on the dashboard.
    if case.lead_department_id is not None:
        RoutingReturn.objects.create(
            dispute=case,
            department_id=case.lead_department_id,
            rule_id=case.routing_rule_id,
            reason=ctx.data_reason,
            at=ctx.now,
        )
    case.routing_rule = None
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
    # A new report-back awaits its own callback: an earlier "dissatisfied" no longer stands.
    case.callback_result = ""
    deadlines_finish(dispute=case, kinds=[DeadlineKind.RESOLVE], now=ctx.now)
    ctx.event_data["outcome"] = outcome
    # The outcome's own rules (an agreement for "agreement", the court's or police's number for a referral).
    from disputes.workbench import outcome_apply

    outcome_apply(case=case, outcome=outcome, data=ctx.data, now=ctx.now, event_data=ctx.event_data)


def _effect_await_callback(ctx: _Context) -> None:
    due = ctx.now + timedelta(days=settings.CALLBACK_DUE_DAYS)
    deadline_open(dispute=ctx.dispute, kind=DeadlineKind.CALLBACK, due_at=due)


def _effect_close(ctx: _Context) -> None:
    deadlines_finish(dispute=ctx.dispute, kinds=[DeadlineKind.CALLBACK], now=ctx.now)
    ctx.dispute.closed_at = ctx.now
    _record_callback_result(ctx)


def _record_callback_result(ctx: _Context) -> None:
    """回访's verdict (data["callback_result"], a CallbackResult code) on the case and its event."""
    result = ctx.data.get("callback_result")
    if result:
        ctx.dispute.callback_result = result
        ctx.event_data["callback_result"] = result


def _effect_reopen(ctx: _Context) -> None:
    case = ctx.dispute
    deadlines_finish(dispute=case, kinds=[DeadlineKind.CALLBACK], now=ctx.now)
    case.reopened_count += 1
    case.closed_at = None
    case.outcome = ""
    level = service_level_for(case.colour)
    deadline_open(dispute=case, kind=DeadlineKind.RESOLVE, due_at=clocks.due_at(ctx.now, level.resolve_within))
    _record_callback_result(ctx)
    _notify_reopened(case)


def _notify_reopened(case: Dispute) -> None:
    """Back to the same department and mediator: tell the mediator (or the department) and the applicant."""
    if case.assigned_mediator_id is not None:
        handlers = get_user_model().objects.filter(pk=case.assigned_mediator_id, is_active=True)
    elif case.lead_department_id is not None:
        handlers = get_user_model().objects.filter(staff__department_id=case.lead_department_id, is_active=True)
    else:
        handlers = get_user_model().objects.none()
    with translation.override(settings.LANGUAGE_CODE):
        body = _("Case %(number)s has been reopened after the callback: please handle it again.") % {
            "number": case.tracking_number_display
        }
    for user in handlers.order_by("pk")[:20]:
        notify_staff(user=user, kind="reopened", body=body, dispute_id=case.pk)
    _notify_applicants(
        case,
        kind="reopened",
        message=lambda: (
            _("Your case %(number)s has been reopened and will be handled again. A mediator will contact you.")
            % {"number": case.tracking_number_display}
        ),
    )


def _effect_withdraw(ctx: _Context) -> None:
    deadlines_finish(dispute=ctx.dispute, now=ctx.now, cancel=True)
    ctx.dispute.closed_at = ctx.now
    ctx.dispute.outcome = Outcome.WITHDRAWN


def _effect_merge_duplicate(ctx: _Context) -> None:
    """Close a suspected duplicate into the earlier case it is linked to (data["into"]: that case's pk).

    Only through `disputes.duplicates.dispute_merge_duplicate`, which writes the
    merge's events and moves the text and files; the earlier case must be the
    one the duplicate is linked to and one the actor may see.
    """
    case = ctx.dispute
    into = ctx.data.get("into")
    if case.duplicate_of_id is None or getattr(into, "pk", into) != case.duplicate_of_id:
        raise ApplicationError(
            _("This case is not marked as a possible duplicate of that case."), code="not_a_duplicate"
        )
    _check_jurisdiction(case.duplicate_of, ctx.actor)
    deadlines_finish(dispute=case, now=ctx.now, cancel=True)
    case.closed_at = ctx.now
    # Counted like a withdrawal: it is neither resolved nor failed, its dispute is the earlier case's.
    case.outcome = Outcome.WITHDRAWN
    ctx.event_data["merged_into"] = case.duplicate_of.tracking_number


_EFFECTS = {
    "merge_duplicate": _effect_merge_duplicate,
    "triage": _effect_triage,
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


def dispute_report_back(
    *, dispute: Dispute | int, actor: Actor, outcome: str, reason: str = "", referral_reference: str = ""
) -> Dispute:
    """反馈: record the outcome and open the 7-day callback in one step.

    `referral_reference` is the court's case number (litigation) or the police's reference (police).
    """
    with transaction.atomic():
        case = dispute_transition(
            dispute=dispute,
            action="report_back",
            actor=actor,
            reason=reason,
            data={"outcome": outcome, "referral_reference": referral_reference},
        )
        case = dispute_transition(dispute=case, action="await_callback", actor=Actor.system())
        _notify_outcome(case)
        return case


def _notify_outcome(case: Dispute) -> None:
    """The result in plain words and the rating link (回访 by the resident), to each applicant with a phone."""
    from disputes.callbacks import rating_url

    url = rating_url(case)
    _notify_applicants(
        case,
        kind="reported",
        message=lambda: (
            _("Your case %(number)s has a result: %(outcome)s. Are you satisfied? Tell us here: %(url)s")
            % {"number": case.tracking_number_display, "outcome": Outcome(case.outcome).label, "url": url}
        ),
    )


def _notify_applicants(case: Dispute, *, kind: str, message) -> None:
    """An SMS to each applicant who gave a phone, queued on commit.

    `message` is called with the site's default language active: the resident's
    own language is not known here (the change is made by staff or a task).
    """
    phones = sorted(
        set(case.parties.filter(role=PartyRole.APPLICANT).exclude(phone="").values_list("phone", flat=True))
    )
    if not phones:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body = str(message())
    for phone in phones:
        notify_sms(phone=phone, kind=kind, body=body, dispute_id=case.pk)


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
    people_band: str = "",
    amount_band: str = "",
    actor: Actor | None = None,
    channel_key: ChannelKey | None = None,
) -> Dispute:
    """登记: store a new case with its parties and first event, then route it after commit.

    The case is stored before anything else can fail: routing runs in a Celery
    task queued on commit, and a broker outage only delays it (the sweeper
    re-enqueues unrouted cases).

    `channel_key`: the machine channel's API key that hands the case over. It is
    stored with the case; a key limited to an area files cases there only; and a
    `source_id` is the key's own (`dispute_by_source`): the same id from another
    key is another system's record and makes its own case.
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
    if occurred_at is not None and not dates.is_in_range(occurred_at):
        # The year 1 cannot be stored in UTC (core.dates): a 400 here, not an OverflowError in the database layer.
        raise ApplicationError(dates.out_of_range_message(), code="date_out_of_range")
    check_channel_key_area(channel_key=channel_key, grid=grid)

    if source_id:
        existing = dispute_by_source(channel=channel, channel_key=channel_key, source_id=source_id)
        if existing is not None:
            return _already_stored(existing)

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
                    channel_key=channel_key,
                    source_id=source_id,
                    amount=amount,
                    people_involved=people_involved,
                    # A range and its lower bound in the two fields above (disputes.scale.clean_scale).
                    people_band=people_band,
                    amount_band=amount_band,
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
                # dispute_unique_key_source_id (per key) or dispute_unique_source_id (no key): the same scope.
                existing = dispute_by_source(channel=channel, channel_key=channel_key, source_id=source_id)
                if existing is not None:
                    return _already_stored(existing)
            # Otherwise a tracking-number collision (1 in 2^59): draw again.
            continue
    raise ApplicationError(_("The case could not be stored. Please try again."), code="store_failed")


def dispute_by_source(*, channel: str, channel_key: ChannelKey | None, source_id: str) -> Dispute | None:
    """The case stored for this source record: the key's own; without a key, the channel's keyless one.

    Never another key's case, even of the same channel: two 110 centres may number their
    incidents alike, and a resent id must neither show one system the other's case nor
    drop its own record. Cases stored before keys were recorded (channel_key empty) are
    not matched by a key: which system sent them is not known.
    """
    if channel_key is not None:
        return Dispute.objects.filter(channel_key=channel_key, source_id=source_id).first()
    return Dispute.objects.filter(channel=channel, channel_key__isnull=True, source_id=source_id).first()


def check_channel_key_area(*, channel_key: ChannelKey | None, grid: Area) -> None:
    """A key limited to an area (a county's 110 link) files cases in that area only."""
    if channel_key is None or channel_key.area_id is None:
        return
    area = channel_key.area
    if not grid.path.startswith(area.path):
        raise PermissionDeniedError(
            _("This API key may only hand over cases in %(area)s.") % {"area": area.display_name},
            code="outside_key_area",
        )


def _already_stored(case: Dispute) -> Dispute:
    """Marks a case found by its source id (a resent record, or a concurrent request that stored it first).

    Callers read `already_stored` so that they neither call it new nor confirm it to the applicant twice.
    """
    case.already_stored = True
    return case


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


# --- Triage -------------------------------------------------------------------------------

REPEAT_WINDOW = timedelta(days=365)
_COLOUR_BY_CODE = {c.code: c for c in Colour}


def triage_keywords() -> dict[str, tuple[str, ...]]:
    """Each kind's words: the built-in list, plus the admin's active rows, minus the words an inactive
    row switches off. (A centre adds its own synonyms without retyping the built-in list.)"""
    added: dict[str, list[str]] = {}
    removed: dict[str, set[str]] = {}
    for kind, word, active in TriageKeyword.objects.values_list("kind", "word", "is_active"):
        if active:
            added.setdefault(kind, []).append(word)
        else:
            removed.setdefault(kind, set()).add(word)
    return {
        kind: tuple(w for w in (*default, *added.get(kind, ())) if w not in removed.get(kind, set()))
        for kind, default in triage_rules.DEFAULT_KEYWORDS.items()
    }


def triage_facts(case: Dispute, *, now: datetime) -> triage_rules.TriageInput:
    """Gather what the triage rules need about a case: its own data and its parties' history."""
    parties = list(case.parties.all())
    phones = {p.phone for p in parties if p.phone}
    applicant_phones = {p.phone for p in parties if p.phone and p.role == PartyRole.APPLICANT}
    other_phones = {p.phone for p in parties if p.phone and p.role != PartyRole.APPLICANT}
    since = now - REPEAT_WINDOW
    earlier = (
        Party.objects.filter(phone__in=phones, dispute__submitted_at__gte=since)
        .exclude(dispute_id=case.pk)
        .values("dispute_id")
    )
    # Each history rule keeps the ids of the records it counted: a reader sees the reason only if
    # they may open one of them (disputes.selectors.TriageReasonFilter).
    same_phone_ids, same_phone = _ids_and_count(Dispute.objects.filter(pk__in=earlier)) if phones else ([], 0)
    same_pair_ids, same_pair = [], 0
    if applicant_phones and other_phones:
        with_applicant = Party.objects.filter(phone__in=applicant_phones).values("dispute_id")
        pair = (
            Party.objects.filter(
                phone__in=other_phones, dispute_id__in=with_applicant, dispute__submitted_at__gte=since
            )
            .exclude(dispute_id=case.pk)
            .values("dispute_id")
        )
        same_pair_ids, same_pair = _ids_and_count(Dispute.objects.filter(pk__in=pair))
    failed_ids, failed = (
        _ids_and_count(Dispute.objects.filter(pk__in=earlier, outcome=Outcome.LITIGATION)) if phones else ([], 0)
    )
    petition_ids, petitions = open_petitions_for(
        phones=phones, id_numbers={p.id_number for p in parties if p.id_number}
    )
    return triage_rules.TriageInput(
        text=f"{case.description} {case.occurred_place}",
        category_code=case.category.code,
        category_base=case.category.base_colour,
        parties=tuple(
            triage_rules.PartyFacts(
                role=p.role,
                phone=p.phone,
                is_minor=p.is_minor,
                is_elderly=p.is_elderly,
                is_disabled=p.is_disabled,
                is_pregnant=p.is_pregnant,
            )
            for p in parties
        ),
        people_involved=case.people_involved,
        amount=case.amount,
        people_band=case.people_band,
        amount_band=case.amount_band,
        earlier_cases_same_phone=same_phone,
        earlier_cases_same_pair=same_pair,
        open_petitions=petitions,
        failed_mediations=failed,
        keywords=triage_keywords(),
        earlier_case_ids_same_phone=tuple(same_phone_ids),
        earlier_case_ids_same_pair=tuple(same_pair_ids),
        open_petition_ids=tuple(petition_ids),
        failed_mediation_ids=tuple(failed_ids),
    )


def _ids_and_count(cases) -> tuple[list[int], int]:
    """The newest SOURCES_KEPT ids of these cases and how many there are (one query unless there are more)."""
    limit = triage_rules.SOURCES_KEPT
    ids = list(cases.order_by("-pk").values_list("pk", flat=True)[: limit + 1])
    if len(ids) <= limit:
        return ids, len(ids)
    return ids[:limit], cases.count()


def open_petitions_for(*, phones: set[str], id_numbers: set[str]) -> tuple[list[int], int]:
    """Open petitions (信访) by any of these people: their ids (newest first) and how many. Petitions are
    recorded by the petitions app."""
    from petitions import selectors as petition_selectors

    return petition_selectors.open_petition_ids(phones=phones, id_numbers=id_numbers, limit=triage_rules.SOURCES_KEPT)


def dispute_retriage(*, dispute: Dispute | int, actor: Actor, cause: str) -> Dispute:
    """New information re-runs triage. The colour may rise, never silently drop."""
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = Dispute.objects.select_for_update().select_related("category").get(pk=pk)
        now = timezone.now()
        result = triage_rules.triage(triage_facts(case, now=now))
        new_colour = triage_rules.combine(case.colour, result.colour)
        old_colour = case.colour
        reasons = result.reasons_as_dicts()
        # A staff override stays on the list of reasons until a person changes it again.
        reasons += [r for r in case.triage_reasons if r.get("rule") in ("staff_override", "escalated")]
        if new_colour < result.colour:
            # The colour stays above what the rules now find (e.g. a threat edited out of the
            # description): keep the earlier reasons that put it there, so it is still explained.
            reasons += [
                r
                for r in case.triage_reasons
                if r not in reasons and _COLOUR_BY_CODE.get(r.get("colour"), Colour.WHITE) < result.colour
            ]
        case.colour = new_colour
        case.triage_reasons = reasons
        case.save(update_fields=["colour", "triage_reasons", "updated_at"])
        _event(
            case,
            actor,
            EventKind.TRIAGE,
            now=now,
            data={
                "cause": cause,
                "from_colour": Colour(old_colour).code,
                "colour": Colour(new_colour).code,
                "reasons": reasons,
            },
        )
    return case


def dispute_override_colour(*, dispute: Dispute | int, actor: Actor, colour: int, reason: str) -> Dispute:
    """A person sets the colour, with a reason; the change is an event on the timeline."""
    if not (reason or "").strip():
        raise ApplicationError(_("Please give a reason for this action."), code="reason_required")
    if colour not in Colour.values:
        raise ApplicationError(_("Unknown colour."), code="unknown_colour")
    if actor.role not in OVERRIDE_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = _lock_visible(pk, actor)
        if actor.role in lifecycle.HANDLERS:
            _check_handler(case, actor, "override_colour")
        if case.status in (Status.CLOSED, Status.WITHDRAWN):
            raise ApplicationError(
                _("This action is not possible while the case is “%(status)s”.")
                % {"status": case.get_status_display()},
                code="wrong_state",
            )
        old = case.colour
        case.colour = colour
        case.colour_overridden = True
        case.triage_reasons = [
            *[r for r in case.triage_reasons if r.get("rule") != "staff_override"],
            {"rule": "staff_override", "colour": Colour(colour).code, "params": {"reason": reason}},
        ]
        case.save(update_fields=["colour", "colour_overridden", "triage_reasons", "updated_at"])
        _event(
            case,
            actor,
            EventKind.COLOUR_OVERRIDE,
            reason=reason,
            data={"from_colour": Colour(old).code, "colour": Colour(colour).code},
        )
    return case


OVERRIDE_ROLES = frozenset(
    {lifecycle.DISPATCHER, lifecycle.SUPERVISOR, lifecycle.ADMIN, lifecycle.MEDIATOR, lifecycle.DEPARTMENT_STAFF}
)


PARTY_ROLES = frozenset(
    {lifecycle.DISPATCHER, lifecycle.SUPERVISOR, lifecycle.ADMIN, lifecycle.MEDIATOR, lifecycle.DEPARTMENT_STAFF}
)
# From the report-back on, an applicant's phone opens the tracking page and the rating link that decides
# the callback: nobody joins the case as an applicant then.
APPLICANT_CLOSED_STATUSES = frozenset({Status.REPORTED, Status.AWAITING_CALLBACK, Status.CLOSED, Status.WITHDRAWN})


def check_party_adder(case: Dispute, actor: Actor, *, role: str = "") -> None:
    """Who may add a party to a case: the one rule the API and the pages share.

    - the case's handlers: its assigned mediator and the lead department's staff;
    - a dispatcher or supervisor whose area covers the case's place;
    - an administrator.
    Nobody else who can see the case: not an assisting department, not a callback
    caller (they phone the parties; they do not decide who the parties are), not a
    dispatcher who sees it only through a department. An applicant (`role`) is
    further held back once the case has been reported back (see `dispute_add_party`).
    """
    if actor.role in lifecycle.HANDLERS:
        _check_handler(case, actor, "add_party")
    elif actor.role in (lifecycle.DISPATCHER, lifecycle.SUPERVISOR):
        profile = getattr(actor.user, "staff", None)
        if profile is None or not case.area_path.startswith(profile.area.path):
            raise PermissionDeniedError(_("Only staff of the case's area may do this."), code="not_in_area")
    elif actor.role != lifecycle.ADMIN:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    if role == PartyRole.APPLICANT and case.status in APPLICANT_CLOSED_STATUSES:
        raise ApplicationError(
            _("An applicant cannot be added once the case has been reported back."), code="applicant_too_late"
        )


def clean_party(party: dict[str, Any]) -> dict[str, Any]:
    """A party's fields as stored, checked the way the intake forms check them (core.validators).

    The phone is a mainland mobile number, stored normalised (11 digits); the
    ID-card number passes its check digit. Refusals name their field.
    """
    values = _party_fields(party)
    values["name"] = (values.get("name") or "").strip()
    if not values["name"] or values.get("role") not in PartyRole.values:
        raise ApplicationError(_("Give the party's name and role."), code="party_invalid")
    if len(values["name"]) > Party._meta.get_field("name").max_length:
        raise ApplicationError(_("The name is too long."), code="party_invalid", extra={"field": "name"})
    for name, validate in (("phone", validate_mobile), ("id_number", validate_id_number)):
        value = (values.get(name) or "").strip()
        if value:
            try:
                value = validate(value)
            except DjangoValidationError as exc:
                raise ApplicationError(exc.messages[0], code=f"invalid_{name}", extra={"field": name}) from None
        values[name] = value
    address = (values.get("address") or "").strip()
    if len(address) > Party._meta.get_field("address").max_length:
        raise ApplicationError(_("The address is too long."), code="party_invalid", extra={"field": "address"})
    values["address"] = address
    return values


def dispute_add_party(*, dispute: Dispute | int, actor: Actor, party: dict[str, Any], reason: str = "") -> Party:
    """A party joins the case (new information): stored, then triage runs again.

    Only those `check_party_adder` names may add one. An applicant is more than a
    name on the file: their phone opens the tracking page (with the case's
    timeline) and receives the case's text messages, the rating link among them.
    So adding an applicant needs a reason, kept on the PARTY_ADDED event with who
    added them, and is refused once the case has been reported back.
    """
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    values = clean_party(party)
    reason = (reason or "").strip()
    if values["role"] == PartyRole.APPLICANT and not reason:
        raise ApplicationError(
            _("Say why this person joins the case as an applicant."), code="reason_required", extra={"field": "reason"}
        )
    with transaction.atomic():
        case = _lock_visible(pk, actor)
        check_party_adder(case, actor, role=values["role"])
        _refuse_if_finished(case)
        created = Party.objects.create(dispute=case, **values)
        _event(case, actor, EventKind.PARTY_ADDED, reason=reason, data={"party": created.pk, "role": created.role})
        dispute_retriage(dispute=case, actor=actor, cause="party_added")
    return created


def dispute_update_description(*, dispute: Dispute | int, actor: Actor, description: str) -> Dispute:
    """The description is corrected or completed: the old text stays on the timeline, triage runs again."""
    description = (description or "").strip()
    if not description:
        raise ApplicationError(_("Please describe what happened."), code="description_required")
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = _lock_visible(pk, actor)
        _refuse_if_finished(case)
        previous = case.description
        case.description = description
        case.save(update_fields=["description", "updated_at"])
        _event(case, actor, EventKind.DESCRIPTION_EDITED, data={"previous": previous})
        return dispute_retriage(dispute=case, actor=actor, cause="description_edited")


def _lock_visible(pk: int, actor: Actor) -> Dispute:
    try:
        case = Dispute.objects.select_for_update().get(pk=pk)
    except Dispute.DoesNotExist:
        raise NotFoundError(_("Case not found.")) from None
    _check_jurisdiction(case, actor)
    return case


def _refuse_if_finished(case: Dispute) -> None:
    if case.status in (Status.CLOSED, Status.WITHDRAWN):
        raise ApplicationError(
            _("This action is not possible while the case is “%(status)s”.") % {"status": case.get_status_display()},
            code="wrong_state",
        )


def _event(case: Dispute, actor: Actor, kind: str, *, reason: str = "", data=None, now=None, public=False) -> CaseEvent:
    return CaseEvent.objects.create(
        dispute=case,
        at=now or timezone.now(),
        actor=actor.user,
        actor_role=actor.role,
        kind=kind,
        reason=reason,
        data=data or {},
        is_public=public,
    )


# --- Routing -------------------------------------------------------------------------------


def diversion_rule_for(*, area: Area, category: Category) -> DiversionRule | None:
    """The nearest rule up the tree from `area` for this category."""
    paths = ancestor_paths(area.path)
    rules = {
        r.area.path: r
        for r in DiversionRule.objects.select_related("area", "lead_department").filter(
            category=category, area__path__in=paths, lead_department__is_active=True
        )
    }
    for path in paths:
        if path in rules:
            return rules[path]
    return None


def ancestor_paths(path: str) -> list[str]:
    """The tree paths of a node and all its ancestors, nearest first."""
    return [path[:i] for i in range(len(path), 0, -Area.steplen)]


def dispute_route(*, dispute_id: int) -> Dispute | None:
    """分流: triage, dispatch by the diversion list and pick a mediator, in one transaction.

    Safe to run twice or concurrently: the case row is locked first and each
    step only runs from the state before it, so a redelivered task (acks_late,
    a killed worker) finds the work done and changes nothing.
    """
    system = Actor.system()
    with transaction.atomic():
        case = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
        if case is None:
            return None
        if case.status == Status.SUBMITTED:
            case = dispute_transition(dispute=case, action="triage", actor=system)
        if case.status != Status.TRIAGED or case.lead_department_id is not None:
            return case
        if case.colour == Colour.RED and settings.RED_CASES_NEED_HUMAN_DISPATCH:
            # Waits in the centre's dispatch queue for a person to look at it.
            return case
        rule = diversion_rule_for(area=case.grid, category=case.category)
        if rule is None:
            return case
        case = dispute_transition(
            dispute=case, action="dispatch", actor=system, data={"department": rule.lead_department, "rule": rule}
        )
        dispute_assign_mediator(dispute=case)
    return case


def dispute_assign_mediator(*, dispute: Dispute) -> Dispute:
    """Pick a mediator of the lead department working in the case's area or above.

    Specialty in the case's category first, then the fewest open cases. The
    candidates' rows are locked (in id order, so two assigners never deadlock)
    before their load is counted, so two workers assigning at once never both
    count the same mediator's load and no mediator goes over `max_open_cases`.
    The second assigner waits for the first to commit, then counts again. (Not
    SKIP LOCKED: a mediator locked by a concurrent assignment is not busy, and
    skipping them left cases unassigned while mediators had room.) If every
    candidate is full the case stays with the department, whose staff accept
    it from their queue.
    """
    case = dispute
    if case.lead_department_id is None or case.assigned_mediator_id is not None:
        return case
    candidates = list(
        StaffProfile.objects.select_for_update(of=("self",))
        .filter(
            role=Role.MEDIATOR,
            department_id=case.lead_department_id,
            area__path__in=ancestor_paths(case.area_path),
            user__is_active=True,
        )
        .order_by("pk")
    )
    if not candidates:
        return case
    user_ids = [c.user_id for c in candidates]
    load = dict(
        Dispute.objects.filter(assigned_mediator_id__in=user_ids, status__in=OPEN_STATUSES)
        .values_list("assigned_mediator_id")
        .annotate(n=Count("pk"))
        .values_list("assigned_mediator_id", "n")
    )
    specialists = set(
        StaffProfile.specialties.through.objects.filter(
            staffprofile_id__in=[c.pk for c in candidates], category_id=case.category_id
        ).values_list("staffprofile_id", flat=True)
    )
    free = [c for c in candidates if load.get(c.user_id, 0) < c.max_open_cases]
    if not free:
        return case
    chosen = min(free, key=lambda c: (c.pk not in specialists, load.get(c.user_id, 0), c.pk))
    Dispute.objects.filter(pk=case.pk).update(assigned_mediator_id=chosen.user_id, updated_at=timezone.now())
    case.assigned_mediator_id = chosen.user_id
    _event(
        case,
        Actor.system(),
        EventKind.ASSIGNED,
        data={
            "mediator": chosen.user_id,
            "open_cases": load.get(chosen.user_id, 0),
            "specialist": chosen.pk in specialists,
        },
    )
    notify_staff(user=chosen.user, kind="assigned", body=_assigned_text(case), dispute_id=case.pk)
    return case


def _assigned_text(case: Dispute) -> str:
    # Staff messages are stored once, in the site's language, whoever's request caused them.
    with translation.override(settings.LANGUAGE_CODE):
        return _("New case %(number)s (%(colour)s) has been assigned to you.") % {
            "number": case.tracking_number_display,
            "colour": Colour(case.colour).label,
        }


ASSIGN_ROLES = frozenset({lifecycle.DISPATCHER, lifecycle.SUPERVISOR, lifecycle.ADMIN})
# A mediator can be given (or handed over) a case from dispatch until the report-back.
ASSIGNABLE_STATUSES = frozenset({Status.DISPATCHED, Status.ACCEPTED, Status.IN_MEDIATION, Status.REOPENED})


def dispute_assign(*, dispute: Dispute | int, actor: Actor, mediator, reason: str = "") -> Dispute:
    """指派: a dispatcher or supervisor gives the case to a handler of its lead department, or hands it over.

    The handler (a mediator or department staff member) must belong to the lead
    department and work in the case's area or above it, as automatic assignment
    requires. The change is an ASSIGNED event and the handler is told.
    """
    if actor.role not in ASSIGN_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = _lock_visible(pk, actor)
        if case.status not in ASSIGNABLE_STATUSES:
            raise ApplicationError(
                _("This action is not possible while the case is “%(status)s”.")
                % {"status": case.get_status_display()},
                code="wrong_state",
            )
        profile = (
            StaffProfile.objects.select_related("area")
            .filter(user=mediator, user__is_active=True, role__in=[Role.MEDIATOR, Role.DEPARTMENT_STAFF])
            .first()
        )
        if (
            profile is None
            or profile.department_id != case.lead_department_id
            or profile.area.path not in ancestor_paths(case.area_path)
        ):
            raise ApplicationError(
                _("Choose a mediator of the department handling this case who works in its area."),
                code="mediator_not_eligible",
            )
        if case.assigned_mediator_id == profile.user_id:
            raise ApplicationError(_("This mediator is already assigned to the case."), code="already_assigned")
        previous = case.assigned_mediator_id
        case.assigned_mediator_id = profile.user_id
        case.save(update_fields=["assigned_mediator", "updated_at"])
        _event(
            case,
            actor,
            EventKind.ASSIGNED,
            reason=reason,
            data={"mediator": profile.user_id, "from_mediator": previous},
        )
        notify_staff(user=profile.user, kind="assigned", body=_assigned_text(case), dispute_id=case.pk)
    return case


def dispute_request_assistance(
    *, dispute: Dispute | int, actor: Actor, department: Department, reason: str = ""
) -> Dispute:
    """联合调解: another department joins the case; it sees the case and adds notes."""
    if actor.role not in ASSIST_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = _lock_visible(pk, actor)
        if actor.role in lifecycle.HANDLERS:
            _check_handler(case, actor, "assist")
        _refuse_if_finished(case)
        if department.pk == case.lead_department_id:
            raise ApplicationError(
                _("This department already leads the case."), code="already_lead", extra={"field": "department"}
            )
        check_department_serves(case, department)
        _assist, created = DisputeAssist.objects.get_or_create(dispute=case, department=department)
        if created:
            _event(
                case,
                actor,
                EventKind.ASSISTANCE,
                reason=reason,
                data={"department": department.pk, "department_name": department.name},
            )
            with translation.override(settings.LANGUAGE_CODE):
                body = _("Your department is asked to help with case %(number)s.") % {
                    "number": case.tracking_number_display
                }
            for profile in department.staff.select_related("user").filter(user__is_active=True)[:20]:
                notify_staff(user=profile.user, kind="assistance", body=body, dispute_id=case.pk)
    return case


ASSIST_ROLES = frozenset(
    {lifecycle.DISPATCHER, lifecycle.SUPERVISOR, lifecycle.ADMIN, lifecycle.MEDIATOR, lifecycle.DEPARTMENT_STAFF}
)


def dispute_add_note(*, dispute: Dispute | int, actor: Actor, text: str) -> CaseEvent:
    """An internal note: anyone who may see the case (assisting departments too). Never shown to residents."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("The note is empty."), code="note_empty")
    if not actor.is_staff_member:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = _lock_visible(pk, actor)
        return _event(case, actor, EventKind.NOTE, reason=text)


# --- Clocks: pause, resume, sweep ---------------------------------------------------------

PAUSABLE = (DeadlineKind.ACCEPT, DeadlineKind.RESOLVE)


def dispute_pause_clock(*, dispute: Dispute | int, actor: Actor, reason: str) -> Dispute:
    """The case waits on a party (e.g. a document, a hospital stay): its handling clocks stop."""
    if not (reason or "").strip():
        raise ApplicationError(_("Please give a reason for this action."), code="reason_required")
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = _lock_visible(pk, actor)
        _check_handler_or_lead(case, actor)
        now = timezone.now()
        paused = (
            Deadline.objects.open()
            .filter(dispute=case, kind__in=PAUSABLE, paused_at__isnull=True)
            .update(paused_at=now, updated_at=now)
        )
        if not paused:
            raise ApplicationError(_("No running clock to pause."), code="nothing_to_pause")
        dispute_refresh_next_due(dispute=case)
        case.save(update_fields=["next_due_at", "updated_at"])
        _event(case, actor, EventKind.CLOCK_PAUSED, reason=reason, now=now, public=True)
    return case


def dispute_resume_clock(*, dispute: Dispute | int, actor: Actor) -> Dispute:
    """The wait is over: each paused deadline moves by the time it was paused."""
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = _lock_visible(pk, actor)
        _check_handler_or_lead(case, actor)
        now = timezone.now()
        rows = list(Deadline.objects.open().select_for_update().filter(dispute=case, paused_at__isnull=False))
        if not rows:
            raise ApplicationError(_("No paused clock to resume."), code="nothing_to_resume")
        for d in rows:
            shift = now - d.paused_at
            d.due_at = clocks.resume_due_at(d.due_at, d.paused_at, now)
            if d.escalate_at is not None:
                d.escalate_at = d.escalate_at + shift
            d.paused_seconds += int(shift.total_seconds())
            d.paused_at = None
            d.save(update_fields=["due_at", "escalate_at", "paused_seconds", "paused_at", "updated_at"])
        dispute_refresh_next_due(dispute=case)
        case.save(update_fields=["next_due_at", "updated_at"])
        _event(case, actor, EventKind.CLOCK_RESUMED, now=now, public=True)
    return case


def _check_handler_or_lead(case: Dispute, actor: Actor) -> None:
    if actor.role in lifecycle.HANDLERS:
        _check_handler(case, actor, "clock")
    elif actor.role not in (lifecycle.DISPATCHER, lifecycle.SUPERVISOR, lifecycle.ADMIN):
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")


def deadlines_due(*, now: datetime, limit: int) -> list[int]:
    """Ids of open, running deadlines whose next rung is due, oldest first."""
    return list(
        Deadline.objects.open()
        .filter(escalate_at__lte=now, paused_at__isnull=True)
        .order_by("escalate_at")
        .values_list("pk", flat=True)[:limit]
    )


def deadline_escalate(*, deadline_id: int, now: datetime) -> str | None:
    """督办: take the next rung of the ladder for one due deadline. Returns the rung taken, or None."""
    return deadlines_escalate(deadline_ids=[deadline_id], now=now).get(deadline_id)


def deadlines_escalate(*, deadline_ids: list[int], now: datetime, recipients: dict | None = None) -> dict[int, str]:
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
        case_of = dict(Deadline.objects.filter(pk__in=deadline_ids).values_list("pk", "dispute_id"))
        cases = {
            case.pk: case
            for case in Dispute.objects.select_for_update(skip_locked=True)
            .filter(pk__in=set(case_of.values()))
            .order_by("pk")
        }
        locked = {
            deadline.pk: deadline
            for deadline in Deadline.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[pk for pk, case_id in case_of.items() if case_id in cases])
            .filter(done_at__isnull=True, cancelled_at__isnull=True, paused_at__isnull=True, escalate_at__lte=now)
            .order_by("pk")
        }
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
                events.append(_new_event(case, system, EventKind.DEADLINE_REMINDER, now=now, data=data))
                text = _reminder_text(case, deadline)
                messages += [
                    _staff_message(user, "deadline_reminder", text, case)
                    for user in _handlers_to_remind(case, deadline.kind, recipients)
                ]
            elif step.action == clocks.ESCALATE:
                events.append(_new_event(case, system, EventKind.ESCALATED, now=now, data=data))
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
                    _new_event(
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
        _save_rungs(locked.values(), now=changed_at)
    return taken


def _save_rungs(deadlines, *, now: datetime) -> None:
    """Store each deadline's new level and next rung time with one UPDATE per (level, gap) group.

    The next rung is always the due date plus a whole number of gaps, so a batch
    falls into a handful of groups (bulk_update's CASE per row was the sweep's
    slowest part).
    """
    groups: dict[tuple[int, timedelta | None], list[int]] = {}
    for d in deadlines:
        offset = None if d.escalate_at is None else d.escalate_at - d.due_at
        groups.setdefault((d.escalation_level, offset), []).append(d.pk)
    for (level, offset), ids in groups.items():
        next_at = None if offset is None else F("due_at") + offset
        Deadline.objects.filter(pk__in=ids).update(escalation_level=level, escalate_at=next_at, updated_at=now)


def deadlines_sweep(*, now: datetime | None = None, batch: int = 500, max_rows: int = 20_000) -> int:
    """The beat entry's work: one rung for every row due at `now` (at most `max_rows`, oldest first).

    The due rows are listed once, up front: a row that has just climbed a rung
    is often still due (a backlog after an outage), and listing again from the
    top would find the same rows first and stop before the ones behind them.
    Each row climbs at most one rung per sweep; rows skipped because another
    transaction holds them are taken on the next sweep. Returns the rungs taken.
    """
    now = now or timezone.now()
    ids = deadlines_due(now=now, limit=max_rows)
    recipients: dict = {}
    done = 0
    for start in range(0, len(ids), batch):
        done += len(deadlines_escalate(deadline_ids=ids[start : start + batch], now=now, recipients=recipients))
    return done


def _new_event(case: Dispute, actor: Actor, kind: str, *, now: datetime, reason: str = "", data=None) -> CaseEvent:
    """An unsaved event, for bulk_create (what `_event` stores one at a time)."""
    return CaseEvent(
        dispute=case, at=now, actor=actor.user, actor_role=actor.role, kind=kind, reason=reason, data=data or {}
    )


def _staff_message(user, kind: str, body: str, case: Dispute) -> Notification:
    return Notification(
        channel=Notification.Channel.STAFF, recipient_user=user, kind=kind, body=body, dispute_id=case.pk
    )


def _handlers_to_remind(case: Dispute, kind: str, cache: dict | None = None) -> list:
    """Who is reminded when a deadline passes. `cache` keeps the answer per key during a sweep."""
    if kind == DeadlineKind.CALLBACK:
        key = ("callers", case.area_path)
        who = {"staff__role": Role.CALLBACK_CALLER, "staff__area__path__in": ancestor_paths(case.area_path)}
    elif case.assigned_mediator_id:
        key, who = ("mediator", case.assigned_mediator_id), {"pk": case.assigned_mediator_id}
    elif case.lead_department_id:
        key, who = ("department", case.lead_department_id), {"staff__department_id": case.lead_department_id}
    else:
        key = ("dispatchers", case.area_path)
        who = {"staff__role": Role.DISPATCHER, "staff__area__path__in": ancestor_paths(case.area_path)}
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = list(get_user_model().objects.filter(is_active=True, **who).order_by("pk")[:20])
    return cache[key]


def _supervisors_over(case: Dispute, cache: dict | None = None) -> list:
    """The supervisors of the case's area: the nearest level that has any."""
    users = get_user_model().objects.filter(is_active=True, staff__role=Role.SUPERVISOR).order_by("pk")
    cache = {} if cache is None else cache
    for path in ancestor_paths(case.area_path):
        key = ("supervisors", path)
        if key not in cache:
            cache[key] = list(users.filter(staff__area__path=path)[:20])
        if cache[key]:
            return cache[key]
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


def disputes_unrouted(*, older_than: timedelta, now: datetime | None = None) -> list[int]:
    """Ids of cases still `submitted` after `older_than`: their routing task was lost or never sent."""
    cutoff = (now or timezone.now()) - older_than
    return list(
        Dispute.objects.filter(status=Status.SUBMITTED, submitted_at__lte=cutoff)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:1000]
    )
