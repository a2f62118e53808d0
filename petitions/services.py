"""Every write to a petition (信访). Keyword-only, atomic; side effects run on commit.

`petition_transition` is the one door through which a petition's status changes.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import dates
from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.models import Notification
from core.notifications import notify_staff_many
from disputes.models import CaseEvent, Category, Dispute
from disputes.rules.enums import Channel, PartyRole
from disputes.rules.enums import EventKind as DisputeEventKind
from disputes.rules.tracking import new_tracking_number
from grids.models import Area, AreaLevel, Department, Role
from petitions import rules
from petitions.models import (
    Petition,
    PetitionCallbackAttempt,
    PetitionDeadline,
    Petitioner,
    PetitionEvent,
    PetitionLetter,
    PetitionLetterCounter,
)
from petitions.rules import DeadlineKind, EventKind, LetterKind, Status
from petitions.selectors import find_earlier_petition, petitions_visible_to, user_works_petition

logger = logging.getLogger(__name__)

_PETITIONER_FIELDS = ("name", "phone", "id_number", "address")


# --- Helpers --------------------------------------------------------------------------------


def _event(
    petition: Petition,
    actor: Actor,
    kind: str,
    *,
    now: datetime | None = None,
    action: str = "",
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict | None = None,
) -> PetitionEvent:
    return PetitionEvent.objects.create(
        petition=petition,
        at=now or timezone.now(),
        actor=actor.user,
        actor_role=actor.role,
        kind=kind,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )


def deadline_open(*, petition: Petition, kind: str, start: date) -> PetitionDeadline:
    due = rules.period_end(start, rules.PERIOD_DAYS[kind])
    return PetitionDeadline.objects.create(
        petition=petition, kind=kind, due_at=due, escalate_at=rules.first_rung(kind=kind, due=due)
    )


def deadlines_finish(*, petition: Petition, kinds: list[str] | None, now: datetime, cancel: bool = False) -> int:
    qs = PetitionDeadline.objects.open().filter(petition=petition)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return qs.update(**({"cancelled_at": now} if cancel else {"done_at": now}), updated_at=now)


def _refresh_next_due(petition: Petition) -> None:
    petition.next_due_at = PetitionDeadline.objects.open().filter(petition=petition).aggregate(m=Min("due_at"))["m"]


def _lock_visible(pk: int, actor: Actor) -> Petition:
    try:
        petition = Petition.objects.select_for_update().get(pk=pk)
    except Petition.DoesNotExist:
        raise NotFoundError(_("Petition not found.")) from None
    if actor.is_staff_member and not petitions_visible_to(actor.user).filter(pk=pk).exists():
        # Same answer as a missing petition: do not confirm that it exists.
        raise NotFoundError(_("Petition not found."))
    return petition


def _pk(petition: Petition | int) -> int:
    return petition.pk if isinstance(petition, Petition) else petition


def _require_role(actor: Actor, roles: frozenset[str]) -> None:
    if actor.role not in roles:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")


# --- Registration ---------------------------------------------------------------------------


def petition_register(
    *,
    actor: Actor,
    form: str,
    matter: str,
    area: Area,
    category: Category,
    receiving_office: Department,
    petitioners: list[dict[str, Any]],
    received_on: date | None = None,
    handling_department: Department | None = None,
    leader_name: str = "",
    leader_user=None,
    people_count: int | None = None,
) -> Petition:
    """登记: store a petition with its petitioners, flag a repeat or group petition, open the 15-day clock."""
    _require_role(actor, rules.REGISTER_ROLES)
    matter = (matter or "").strip()
    if not matter:
        raise ApplicationError(_("Please describe the matter of the petition."), code="matter_required")
    if form not in rules.Form.values:
        raise ApplicationError(_("Unknown form of petition."), code="unknown_form")
    people = [p for p in petitioners if (p.get("name") or "").strip()]
    if not people:
        raise ApplicationError(_("A petition needs at least one petitioner."), code="petitioner_required")
    now = timezone.now()
    received_on = received_on or rules.local_date(now)
    if received_on > rules.local_date(now):
        raise ApplicationError(_("The date received cannot be in the future."), code="future_date")
    if not dates.is_in_range(received_on):
        # Its deadlines would start in the year 1, which cannot be stored in UTC (core.dates).
        raise ApplicationError(dates.out_of_range_message(), code="date_out_of_range")
    if actor.is_staff_member and not _in_jurisdiction(actor.user, area):
        raise PermissionDeniedError(_("This area is outside your jurisdiction."), code="out_of_area")

    phones = {p.get("phone", "") for p in people}
    id_numbers = {p.get("id_number", "") for p in people}
    earlier = find_earlier_petition(
        area_id=area.pk, category_id=category.pk, matter=matter, phones=phones, id_numbers=id_numbers
    )
    is_group = max(len(people), people_count or 0) >= rules.GROUP_AT
    for _attempt in range(5):
        try:
            with transaction.atomic():
                petition = Petition.objects.create(
                    tracking_number=new_tracking_number(),
                    form=form,
                    matter=matter,
                    area=area,
                    area_path=area.path,
                    category=category,
                    receiving_office=receiving_office,
                    received_on=received_on,
                    handling_department=handling_department,
                    leader_name=leader_name.strip(),
                    leader_user=leader_user,
                    people_count=people_count,
                    is_group=is_group,
                    is_repeat=earlier is not None,
                    repeat_of=earlier,
                )
                Petitioner.objects.bulk_create(
                    [Petitioner(petition=petition, **{k: p[k] for k in _PETITIONER_FIELDS if k in p}) for p in people]
                )
                _event(
                    petition,
                    actor,
                    EventKind.REGISTERED,
                    now=now,
                    to_status=Status.REGISTERED,
                    data={"form": form, "petitioners": len(people), "is_group": is_group},
                )
                if earlier is not None:
                    Petition.objects.filter(pk=earlier.pk).update(has_repeat=True, updated_at=now)
                    _event(
                        petition,
                        actor,
                        EventKind.REPEAT_FLAGGED,
                        now=now,
                        data={"repeat_of": earlier.pk, "tracking_number": earlier.tracking_number},
                    )
                deadline_open(petition=petition, kind=DeadlineKind.DECIDE_ACCEPTANCE, start=received_on)
                _refresh_next_due(petition)
                petition.save(update_fields=["next_due_at", "updated_at"])
            return petition
        except IntegrityError:
            continue  # a tracking-number collision (1 in 2^59): draw again
    raise ApplicationError(_("The petition could not be stored. Please try again."), code="store_failed")


def _in_jurisdiction(user, area: Area) -> bool:
    profile = getattr(user, "staff", None)
    if user.is_superuser or (profile is not None and profile.role == Role.ADMIN):
        return True
    return profile is not None and area.path.startswith(profile.area.path)


# --- The one door ---------------------------------------------------------------------------

_REFUSALS = {
    "unknown_action": lambda: _("This action does not exist."),
    "wrong_state": lambda: _("This action is not possible while the petition is “%(status)s”."),
    "wrong_role": lambda: _("Your role may not take this action."),
    "reason_required": lambda: _("Please give a reason for this action."),
}


@dataclass
class _Context:
    petition: Petition
    actor: Actor
    now: datetime
    data: dict[str, Any]
    event_data: dict[str, Any]


def petition_transition(
    *, petition: Petition | int, action: str, actor: Actor, reason: str = "", data: dict[str, Any] | None = None
) -> Petition:
    """Apply one action of `rules.TRANSITIONS`: lock the row, check table, role and jurisdiction, write the event."""
    with transaction.atomic():
        locked = _lock_visible(_pk(petition), actor)
        return _apply(locked, action=action, actor=actor, reason=reason, data=dict(data or {}))


def _apply(petition: Petition, *, action: str, actor: Actor, reason: str, data: dict[str, Any]) -> Petition:
    """The transition on a row the caller has locked."""
    result = rules.check_transition(status=petition.status, action=action, role=actor.role, reason=reason)
    if isinstance(result, str):
        message = _REFUSALS[result]() % {"status": petition.get_status_display()}
        error_class = PermissionDeniedError if result == "wrong_role" else ApplicationError
        raise error_class(message, code=result)
    now = timezone.now()
    ctx = _Context(petition=petition, actor=actor, now=now, data=data, event_data={})
    from_status = petition.status
    effect = _EFFECTS.get(action)
    if effect is not None:
        effect(ctx)
    petition.status = result.target
    if result.target in rules.FINAL_STATUSES:
        petition.closed_at = now
    _refresh_next_due(petition)
    petition.save()
    _event(
        petition,
        actor,
        EventKind.TRANSITION,
        now=now,
        action=action,
        from_status=from_status,
        to_status=result.target,
        reason=reason,
        data=ctx.event_data,
    )
    return petition


def _effect_accept(ctx: _Context) -> None:
    p = ctx.petition
    department = ctx.data.get("handling_department") or p.handling_department or p.receiving_office
    p.handling_department = department
    p.accepted_at = ctx.now
    deadlines_finish(petition=p, kinds=[DeadlineKind.DECIDE_ACCEPTANCE], now=ctx.now)
    deadline_open(petition=p, kind=DeadlineKind.HANDLE, start=rules.local_date(ctx.now))
    ctx.event_data["handling_department"] = department.pk


def _effect_not_accept(ctx: _Context) -> None:
    deadlines_finish(petition=ctx.petition, kinds=[DeadlineKind.DECIDE_ACCEPTANCE], now=ctx.now)


def _effect_refer(ctx: _Context) -> None:
    body = (ctx.data.get("referred_to") or "").strip()
    if not body:
        raise ApplicationError(_("Name the body the petition is referred to."), code="referred_to_required")
    ctx.petition.referred_to = body
    deadlines_finish(petition=ctx.petition, kinds=[DeadlineKind.DECIDE_ACCEPTANCE], now=ctx.now)
    ctx.event_data["referred_to"] = body


def _effect_reply(ctx: _Context) -> None:
    text = (ctx.data.get("reply_text") or "").strip()
    if not text:
        raise ApplicationError(_("Write the reply to the petitioner."), code="reply_required")
    p = ctx.petition
    p.reply_text = text
    p.replied_at = ctx.now
    deadlines_finish(petition=p, kinds=[DeadlineKind.HANDLE], now=ctx.now)
    deadline_open(petition=p, kind=DeadlineKind.REVIEW_REQUEST, start=rules.local_date(ctx.now))
    # 回访: the satisfaction callback, within the same 7 days as a dispute's (settings.CALLBACK_DUE_DAYS).
    due = ctx.now + timedelta(days=settings.CALLBACK_DUE_DAYS)
    PetitionDeadline.objects.create(
        petition=p,
        kind=DeadlineKind.CALLBACK,
        due_at=due,
        escalate_at=rules.first_rung(kind=DeadlineKind.CALLBACK, due=due),
    )
    p.callback_result = ""


def _effect_request_review(ctx: _Context) -> None:
    ctx.petition.review_requested = True
    deadlines_finish(petition=ctx.petition, kinds=[DeadlineKind.REVIEW_REQUEST], now=ctx.now)
    # The petitioner has answered the reply by asking for a review: no callback to make on it.
    deadlines_finish(petition=ctx.petition, kinds=[DeadlineKind.CALLBACK], now=ctx.now, cancel=True)
    deadline_open(petition=ctx.petition, kind=DeadlineKind.REPLY, start=rules.local_date(ctx.now))


def _effect_close(ctx: _Context) -> None:
    deadlines_finish(petition=ctx.petition, kinds=None, now=ctx.now)


def _effect_to_dispute(ctx: _Context) -> None:
    dispute = ctx.data.get("dispute")
    if dispute is None:
        raise ApplicationError(_("Use “Turn into a dispute case” to create the case."), code="dispute_required")
    ctx.petition.dispute = dispute
    deadlines_finish(petition=ctx.petition, kinds=None, now=ctx.now, cancel=True)
    ctx.event_data.update({"dispute": dispute.pk, "dispute_tracking_number": dispute.tracking_number})


_EFFECTS = {
    "accept": _effect_accept,
    "not_accept": _effect_not_accept,
    "refer": _effect_refer,
    "reply": _effect_reply,
    "request_review": _effect_request_review,
    "close": _effect_close,
    "to_dispute": _effect_to_dispute,
}

# --- Built on the door ---------------------------------------------------------------------------

DECISIONS = {"accept", "not_accept", "refer"}


def petition_decide(
    *,
    petition: Petition | int,
    actor: Actor,
    decision: str,
    reason: str = "",
    handling_department: Department | None = None,
    referred_to: str = "",
) -> Petition:
    """受理决定: accept (opens the 60-day handling clock), not accept with a reason, or refer to the competent body."""
    if decision not in DECISIONS:
        raise ApplicationError(_("This action does not exist."), code="unknown_action")
    data = {"handling_department": handling_department, "referred_to": referred_to}
    return petition_transition(petition=petition, action=decision, actor=actor, reason=reason, data=data)


def petition_reply(*, petition: Petition | int, actor: Actor, text: str) -> Petition:
    """书面答复: closes the handling clock and opens the petitioner's 30-day window to ask for a review."""
    return petition_transition(petition=petition, action="reply", actor=actor, data={"reply_text": text})


def petition_extend(*, petition: Petition | int, actor: Actor, days: int, reason: str) -> PetitionDeadline:
    """延期: the handling period, once, by at most 30 days, approved by a supervisor with a reason."""
    _require_role(actor, rules.EXTENSION_APPROVERS)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason for this action."), code="reason_required")
    if not 1 <= int(days) <= rules.MAX_EXTENSION_DAYS:
        raise ApplicationError(
            _("An extension is between 1 and %(max)d days.") % {"max": rules.MAX_EXTENSION_DAYS}, code="too_long"
        )
    with transaction.atomic():
        p = _lock_visible(_pk(petition), actor)
        if PetitionDeadline.objects.filter(petition=p, kind=DeadlineKind.HANDLE, extended_days__gt=0).exists():
            raise ApplicationError(_("The handling period has already been extended once."), code="already_extended")
        deadline = (
            PetitionDeadline.objects.open().select_for_update().filter(petition=p, kind=DeadlineKind.HANDLE).first()
        )
        if deadline is None:
            raise ApplicationError(_("There is no handling period to extend."), code="nothing_to_extend")
        old_due = deadline.due_at
        deadline.due_at = old_due + timedelta(days=int(days))
        deadline.extended_days = int(days)
        deadline.extension_approved_by = actor.user
        deadline.extension_reason = reason
        # The ladder starts again from the new date.
        deadline.escalation_level = 0
        deadline.escalated_at = None
        deadline.escalate_at = rules.first_rung(kind=deadline.kind, due=deadline.due_at)
        deadline.save()
        _refresh_next_due(p)
        p.save(update_fields=["next_due_at", "updated_at"])
        _event(
            p,
            actor,
            EventKind.EXTENDED,
            reason=reason,
            data={"days": int(days), "from": old_due.isoformat(), "to": deadline.due_at.isoformat()},
        )
    return deadline


# --- The three letters (三函) -------------------------------------------------------------------


def _next_letter_number(*, office: Department, year: int) -> int:
    """The office's next number for the year: the counter row is locked until the letter's transaction ends."""
    try:
        # A savepoint: two first letters of a year race to create the row; the loser reads it.
        with transaction.atomic():
            PetitionLetterCounter.objects.get_or_create(office=office, year=year)
    except IntegrityError:
        pass
    counter = PetitionLetterCounter.objects.select_for_update().get(office=office, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def petition_issue_letter(
    *, petition: Petition | int, actor: Actor, kind: str, text: str = "", office: Department | None = None
) -> PetitionLetter:
    """交办函 / 提醒函 / 督办函: a numbered letter, recorded on the timeline and sent to its recipients.

    The assignment letter goes to the handling department; the reminder letter to
    the leader in charge (包案领导); the supervision letter is for repeat or
    overdue matters only.
    """
    _require_role(actor, rules.LETTER_ROLES)
    if kind not in LetterKind.values:
        raise ApplicationError(_("Unknown kind of letter."), code="unknown_kind")
    with transaction.atomic():
        p = _lock_visible(_pk(petition), actor)
        if p.status in rules.FINAL_STATUSES:
            raise ApplicationError(
                _("This action is not possible while the petition is “%(status)s”.")
                % {"status": p.get_status_display()},
                code="wrong_state",
            )
        now = timezone.now()
        recipient, users = _letter_recipients(p, kind, now)
        office = office or p.receiving_office
        year = rules.local_date(now).year
        number = _next_letter_number(office=office, year=year)
        letter = PetitionLetter.objects.create(
            petition=p,
            kind=kind,
            office=office,
            year=year,
            number=number,
            recipient=recipient,
            issued_at=now,
            issued_by=actor.user,
            text=(text or "").strip() or _default_letter_text(p, kind),
        )
        _event(
            p,
            actor,
            EventKind.LETTER_ISSUED,
            now=now,
            data={"letter": letter.pk, "kind": kind, "number": letter.document_number, "to": recipient},
        )
        with translation.override(settings.LANGUAGE_CODE):
            body = _("%(letter)s %(number)s on petition %(petition)s.") % {
                "letter": LetterKind(kind).label,
                "number": letter.document_number,
                "petition": p.tracking_number_display,
            }
        notify_staff_many([_message(user, f"petition_{kind}_letter", body) for user in users])
    return letter


def _letter_recipients(p: Petition, kind: str, now: datetime) -> tuple[str, list]:
    if kind == LetterKind.REMINDER:
        if not p.leader_name and p.leader_user is None:
            raise ApplicationError(
                _("Name the leader in charge before sending a reminder letter."), code="leader_required"
            )
        name = p.leader_name or p.leader_user.get_username()
        return name, [p.leader_user] if p.leader_user is not None and p.leader_user.is_active else []
    if kind == LetterKind.SUPERVISION:
        overdue = (
            PetitionDeadline.objects.open()
            .filter(petition=p, due_at__lt=now)
            .exclude(kind=DeadlineKind.REVIEW_REQUEST)
            .exists()
        )
        if not (p.is_repeat or overdue):
            raise ApplicationError(
                _("A supervision letter is for repeat or overdue petitions."), code="not_repeat_or_overdue"
            )
    department = p.handling_department
    if department is None:
        raise ApplicationError(_("Choose the handling department first."), code="department_required")
    users = list(get_user_model().objects.filter(is_active=True, staff__department=department).order_by("pk")[:20])
    return department.name, users


def _default_letter_text(p: Petition, kind: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"petition": p.tracking_number_display, "received": p.received_on.isoformat()}
        if kind == LetterKind.ASSIGNMENT:
            return (
                _(
                    "Petition %(petition)s, received on %(received)s, is assigned to you. Please handle it within "
                    "the statutory period and report the result in writing."
                )
                % values
            )
        if kind == LetterKind.REMINDER:
            return (
                _(
                    "As leader in charge of petition %(petition)s (received on %(received)s), please make sure it is "
                    "handled before its deadline."
                )
                % values
            )
        return (
            _(
                "Petition %(petition)s (received on %(received)s) is a repeat or overdue matter and is under "
                "supervision. Please report on its handling without delay."
            )
            % values
        )


# --- Petitions that are really disputes ---------------------------------------------------------


def petition_to_dispute(
    *, petition: Petition | int, actor: Actor, reason: str, grid: Area | None = None, description: str = ""
) -> Dispute:
    """转为纠纷: create a dispute case with the petitioners as applicants; both linked, both timelines say so.

    The case is stored with the petition's tracking number as its source id, so a
    second attempt finds the first case instead of making another.
    """
    from disputes.services import dispute_submit

    _require_role(actor, rules.CONVERT_ROLES)
    if not (reason or "").strip():
        raise ApplicationError(_("Please give a reason for this action."), code="reason_required")
    with transaction.atomic():
        p = _lock_visible(_pk(petition), actor)
        check = rules.check_transition(status=p.status, action="to_dispute", role=actor.role, reason=reason)
        if isinstance(check, str):
            message = _REFUSALS[check]() % {"status": p.get_status_display()}
            raise (PermissionDeniedError if check == "wrong_role" else ApplicationError)(message, code=check)
        grid = grid or p.area
        if grid.level < AreaLevel.VILLAGE:
            raise ApplicationError(_("Choose the village, community or grid where it happened."), code="grid_required")
        parties = [
            {
                "role": PartyRole.APPLICANT,
                "name": x.name,
                "phone": x.phone,
                "id_number": x.id_number,
                "address": x.address,
            }
            for x in p.petitioners.all()
        ]
        case = dispute_submit(
            category=p.category,
            description=(description or "").strip() or p.matter,
            grid=grid,
            channel=Channel.PETITION,
            parties=parties,
            source_id=p.tracking_number,
            people_involved=p.people_count,
            actor=actor,
        )
        CaseEvent.objects.create(
            dispute=case,
            actor=actor.user,
            actor_role=actor.role,
            kind=DisputeEventKind.NOTE,
            action="from_petition",
            reason=reason,
            data={"petition": p.pk, "petition_tracking_number": p.tracking_number},
        )
        _apply(p, action="to_dispute", actor=actor, reason=reason, data={"dispute": case})
        _event(p, actor, EventKind.CONVERTED, data={"dispute": case.pk, "tracking_number": case.tracking_number})
    return case


# --- 回访: the satisfaction callback after the written reply ---------------------------------------------


def petition_callback_record_attempt(
    *, petition: Petition | int, actor: Actor, reached: bool, satisfaction: str = "", remarks: str = ""
) -> PetitionCallbackAttempt:
    """One phone call to the petitioner after the written reply, by a caller, supervisor or admin. Atomic.

    The checks and the verdict are the dispute callback's (`disputes.callbacks`):
    the third unanswered call ends the round as unreachable; a reached
    petitioner's answer ends it with their satisfaction. What follows fits a
    petition: satisfied (or basically satisfied) closes it (办结); dissatisfied
    leaves the reply standing, tells the handling department and the leader in
    charge, and the petitioner's way on is the request for review within 30 days
    of the reply; unreachable records the verdict and the petition closes when
    the review window lapses — closing at once would cut that statutory window
    without the petitioner's word.
    """
    from disputes.callbacks import MAX_REMARKS, callback_attempt_check, callback_verdict
    from core.casework.callbacks import CallbackResult

    satisfaction = callback_attempt_check(role=actor.role, reached=reached, satisfaction=satisfaction)
    remarks = (remarks or "").strip()[:MAX_REMARKS]
    with transaction.atomic():
        p = _lock_visible(_pk(petition), actor)
        callback = PetitionDeadline.objects.open().filter(petition=p, kind=DeadlineKind.CALLBACK).first()
        if p.status != Status.REPLIED or callback is None:
            raise ApplicationError(_("This petition is not awaiting its callback."), code="not_awaiting_callback")
        now = timezone.now()
        attempt = PetitionCallbackAttempt.objects.create(
            petition=p, at=now, caller=actor.user, reached=reached, satisfaction=satisfaction, remarks=remarks
        )
        unanswered = 0
        if not reached:
            unanswered = PetitionCallbackAttempt.objects.filter(
                petition=p, reached=False, at__gte=p.replied_at or now
            ).count()
        verdict = callback_verdict(reached=reached, satisfaction=satisfaction, unanswered=unanswered)
        _event(
            p,
            actor,
            EventKind.CALLBACK,
            now=now,
            reason=remarks,
            data={
                "reached": reached,
                "satisfaction": satisfaction,
                "attempt": attempt.pk,
                "unanswered": unanswered,
                "result": verdict or "",
            },
        )
        if verdict is None:
            return attempt
        callback.done_at = now
        callback.save(update_fields=["done_at", "updated_at"])
        p.callback_result = verdict
        if verdict in (CallbackResult.SATISFIED, CallbackResult.BASICALLY_SATISFIED):
            # The platform closes on the petitioner's word (a caller's role does not close petitions).
            _apply(p, action="close", actor=Actor.system(), reason=f"callback_{verdict}", data={})
            return attempt
        _refresh_next_due(p)
        p.save(update_fields=["callback_result", "next_due_at", "updated_at"])
        if verdict == CallbackResult.DISSATISFIED:
            with translation.override(settings.LANGUAGE_CODE):
                body = _(
                    "The petitioner of %(petition)s is not satisfied with the reply. They may ask for a review "
                    "within 30 days of the reply."
                ) % {"petition": p.tracking_number_display}
            notify_staff_many([_message(u, "petition_callback_dissatisfied", body) for u in _handlers(p)])
    return attempt


# --- Personal data of petitioners ---------------------------------------------------------------------

REVEALABLE_FIELDS = ("phone", "id_number", "address")


def petitioner_reveal(*, user, petition: Petition, petitioner_id: int, field: str) -> str:
    """Show one petitioner's phone, ID-card number or address in clear to someone working the petition; logged."""
    from core import audit

    if field not in REVEALABLE_FIELDS:
        raise ApplicationError(_("This field cannot be revealed."), code="unknown_field")
    person = Petitioner.objects.filter(petition=petition, pk=petitioner_id).first()
    if person is None:
        raise NotFoundError(_("Petitioner not found."))
    return audit.personal_data_reveal(
        user=user,
        value=getattr(person, field),
        what=f"petitioner.{field}",
        case_ref=petition.tracking_number,
        object_id=person.pk,
        allowed=user_works_petition(user, petition),
    )


# --- The sweeper (督办) ------------------------------------------------------------------------


def petition_deadlines_due(*, now: datetime, limit: int) -> list[int]:
    return list(
        PetitionDeadline.objects.open()
        .filter(escalate_at__lte=now)
        .order_by("escalate_at")
        .values_list("pk", flat=True)[:limit]
    )


def petition_deadlines_escalate(*, deadline_ids: list[int], now: datetime) -> dict[int, str]:
    """One rung for each due deadline in one transaction: {deadline id: rung}.

    Locks petitions, then deadlines (the transition's order), both SKIP LOCKED:
    rows someone else holds wait for the next sweep.
    """
    system = Actor.system()
    taken: dict[int, str] = {}
    with transaction.atomic():
        petition_of = dict(PetitionDeadline.objects.filter(pk__in=deadline_ids).values_list("pk", "petition_id"))
        petitions = {
            p.pk: p
            for p in Petition.objects.select_for_update(skip_locked=True)
            .filter(pk__in=set(petition_of.values()))
            .order_by("pk")
        }
        deadlines = (
            PetitionDeadline.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[pk for pk, pid in petition_of.items() if pid in petitions])
            .filter(done_at__isnull=True, cancelled_at__isnull=True, escalate_at__lte=now)
            .order_by("escalate_at", "pk")
        )
        messages: list[Notification] = []
        for deadline in deadlines:
            p = petitions[deadline.petition_id]
            step = rules.next_step(kind=deadline.kind, level=deadline.escalation_level, due=deadline.due_at)
            if step is None:
                deadline.escalate_at = None
                deadline.save(update_fields=["escalate_at", "updated_at"])
                continue
            data = {"deadline": deadline.pk, "kind": deadline.kind, "due_at": deadline.due_at.isoformat()}
            if step.action == rules.LAPSE:
                # The petitioner did not ask for a review in time: the reply stands.
                deadline.done_at = now
                if p.status == Status.REPLIED:
                    _apply(p, action="close", actor=system, reason="", data={})
            elif step.action == rules.REMIND:
                _event(p, system, EventKind.DEADLINE_REMINDER, now=now, data=data)
                body = _deadline_text(p, deadline, escalated=False)
                messages += [_message(u, "petition_deadline_reminder", body) for u in _handlers(p)]
            else:
                deadline.escalated_at = now
                _event(p, system, EventKind.ESCALATED, now=now, data=data)
                body = _deadline_text(p, deadline, escalated=True)
                messages += [_message(u, "petition_escalated", body) for u in _supervisors_over(p)]
            deadline.escalation_level = step.level
            deadline.escalate_at = step.next_at
            deadline.save()
            taken[deadline.pk] = step.action
        notify_staff_many(messages)
    return taken


def petition_deadlines_sweep(*, now: datetime | None = None, batch: int = 200, max_rows: int = 10_000) -> int:
    """The beat entry's work: one rung for every petition deadline due at `now`. Returns the rungs taken."""
    now = now or timezone.now()
    ids = petition_deadlines_due(now=now, limit=max_rows)
    done = 0
    for start in range(0, len(ids), batch):
        done += len(petition_deadlines_escalate(deadline_ids=ids[start : start + batch], now=now))
    return done


def _handlers(p: Petition) -> list:
    """Who is reminded: the handling department (the receiving office before acceptance) and the leader in charge."""
    department_id = p.handling_department_id or p.receiving_office_id
    users = list(
        get_user_model().objects.filter(is_active=True, staff__department_id=department_id).order_by("pk")[:20]
    )
    if p.leader_user is not None and p.leader_user.is_active and p.leader_user not in users:
        users.append(p.leader_user)
    return users


def _supervisors_over(p: Petition) -> list:
    """The supervisors of the petition's area: the nearest level that has any."""
    from disputes.services import ancestor_paths

    users = get_user_model().objects.filter(is_active=True, staff__role=Role.SUPERVISOR).order_by("pk")
    for path in ancestor_paths(p.area_path):
        found = list(users.filter(staff__area__path=path)[:20])
        if found:
            return found
    return []


def _deadline_text(p: Petition, deadline: PetitionDeadline, *, escalated: bool) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"petition": p.tracking_number_display, "deadline": deadline.get_kind_display()}
        if escalated:
            return _("Petition %(petition)s is overdue (“%(deadline)s”) and has been escalated to you.") % values
        return _("Petition %(petition)s: the deadline “%(deadline)s” is near or has passed.") % values


def _message(user, kind: str, body: str) -> Notification:
    return Notification(channel=Notification.Channel.STAFF, recipient_user=user, kind=kind, body=body)
