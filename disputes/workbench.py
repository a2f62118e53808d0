"""调解工作台: the mediator's work on one case beyond the status changes.

Who works a case (and so sees its parties in clear), what this user may do on
it now (the case page shows nothing else), mediation sessions (调解记录), the
mediation agreement (调解协议书) and its performance, and the outcome's own
effects at the report-back (the judicial-confirmation window, the referral
numbers). Status changes still go through `services.dispute_transition`;
the functions here call it and never assign `status`.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from disputes import services
from disputes.duplicates import duplicate_actions
from disputes.models import Agreement, Deadline, Dispute, MediationSession, Party
from disputes.rules import lifecycle
from disputes.rules.enums import FINAL_STATUSES, DeadlineKind, EventKind, Outcome, Status
from grids.models import Role

# --- Who works the case -----------------------------------------------------------------------


def user_works_case(user, case: Dispute) -> bool:
    """Whether `user` works this case, and so may see its parties' phone, ID and address in clear.

    - an administrator (or a superuser without a profile);
    - the assigned mediator;
    - the staff of the lead department or of an assisting department (联合调解);
    - a dispatcher or supervisor whose area covers the case's grid;
    - a callback caller whose area covers it, once the case has been reported back (they phone the parties).

    Everyone else who can see the case — a mediator of another department in the
    same township, a caller before the report-back — sees the parties masked.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    profile = getattr(user, "staff", None)
    if profile is None:
        return bool(user.is_superuser)
    if profile.role == Role.ADMIN or user.is_superuser:
        return True
    if case.assigned_mediator_id == user.pk:
        return True
    if profile.department_id and (
        profile.department_id == case.lead_department_id
        or case.assists.filter(department_id=profile.department_id).exists()
    ):
        return True
    covers = case.area_path.startswith(profile.area.path)
    if profile.role in (Role.DISPATCHER, Role.SUPERVISOR):
        return covers
    if profile.role == Role.CALLBACK_CALLER:
        return covers and case.reported_at is not None
    return False


REVEALABLE_FIELDS = ("phone", "id_number", "address")


def party_reveal(*, user, dispute: Dispute, party_id: int, field: str) -> str:
    """Show one party's phone, ID-card number or address in clear, and log who saw it (core.audit)."""
    if field not in REVEALABLE_FIELDS:
        raise ApplicationError(_("This field cannot be revealed."), code="unknown_field")
    party = Party.objects.filter(dispute=dispute, pk=party_id).first()
    if party is None:
        raise NotFoundError(_("Party not found."))
    return audit.personal_data_reveal(
        user=user,
        value=getattr(party, field),
        what=f"party.{field}",
        case_ref=dispute.tracking_number,
        object_id=party.pk,
        allowed=user_works_case(user, dispute),
    )


# --- What this user may do on the case now ---------------------------------------------------------

# The transition-table actions the case page offers ("triage", "await_callback" are the platform's;
# "close" and "reopen" belong to the callback).
PAGE_TRANSITIONS = ("dispatch", "accept", "return", "start_mediation", "resume", "transfer", "report_back", "withdraw")
# Recording a session in "accepted" starts mediation and in "reopened" resumes it (see session_record).
SESSION_STATES = {Status.ACCEPTED: "start_mediation", Status.REOPENED: "resume", Status.IN_MEDIATION: None}
# The agreement is edited while the case is handled; the report-back freezes the text it rests on.
AGREEMENT_EDIT_STATES = frozenset({Status.ACCEPTED, Status.IN_MEDIATION, Status.REOPENED})
PERFORMANCE_STATES = frozenset({Status.REPORTED, Status.AWAITING_CALLBACK, Status.CLOSED})
CASE_WORK_ROLES = frozenset({*lifecycle.HANDLERS, lifecycle.ADMIN})
CLOCK_ROLES = frozenset({lifecycle.DISPATCHER, lifecycle.SUPERVISOR, lifecycle.ADMIN})


def _passes(check, *args) -> bool:
    try:
        check(*args)
    except ApplicationError:
        return False
    return True


def _holds(case: Dispute, actor: Actor) -> bool:
    """The service's own handler check (assigned mediator or lead department's staff), as a yes/no."""
    return _passes(services._check_handler, case, actor, "")


def _check_case_work(case: Dispute, actor: Actor) -> None:
    """Sessions, the agreement and its performance: the handlers of the case, or an administrator."""
    if actor.role not in CASE_WORK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    services._check_handler(case, actor, "case_work")


def _has_agreement(case: Dispute) -> bool:
    """Whether the case has an agreement, from the loaded relation when the caller selected it."""
    if Dispute.agreement.is_cached(case):
        return getattr(case, "agreement", None) is not None
    return Agreement.objects.filter(dispute=case).exists()


def case_actions(*, user, case: Dispute, deadlines: list[Deadline] | None = None) -> frozenset[str]:
    """The case-page actions `user` may take on `case` now: exactly those the services would accept.

    Transition actions come from the lifecycle table (`allowed_actions`) plus the
    handler check `dispute_transition` applies; the others repeat the checks of
    their service (role, handler, state, a clock to pause). Jurisdiction is the
    caller's: the page only loads cases `disputes_visible_to(user)` returns.
    `deadlines`, all of the case's deadlines when the caller has read them
    already, saves reading its clocks again.
    """
    actor = Actor.for_user(user)
    if not actor.is_staff_member:
        return frozenset()
    role = actor.role
    holds = role not in lifecycle.HANDLERS or _holds(case, actor)
    finished = case.status in FINAL_STATUSES
    actions: set[str] = {"note"}
    if holds:
        actions |= {a for a in lifecycle.allowed_actions(case.status, role) if a in PAGE_TRANSITIONS}
        if not finished and role in services.ASSIST_ROLES:
            actions.add("assistance")
        if not finished and role in services.OVERRIDE_ROLES:
            actions.add("colour")
        if role in lifecycle.HANDLERS or role in CLOCK_ROLES:
            if deadlines is None:
                deadlines = list(Deadline.objects.open().filter(dispute=case, kind__in=services.PAUSABLE))
            clocks = [d for d in deadlines if d.is_open and d.kind in services.PAUSABLE]
            if any(d.paused_at is None for d in clocks):
                actions.add("pause")
            if any(d.paused_at is not None for d in clocks):
                actions.add("resume_clock")
        if role in CASE_WORK_ROLES:
            if case.status in SESSION_STATES:
                actions.add("session")
            if case.status in AGREEMENT_EDIT_STATES:
                actions.add("agreement")
            if case.status in PERFORMANCE_STATES and case.outcome == Outcome.AGREEMENT and _has_agreement(case):
                actions.add("performance")
    if case.duplicate_of_id is not None:
        # Decided by the earlier case's handlers, whether or not they hold this one.
        actions |= duplicate_actions(user=user, case=case)
    return frozenset(actions)


# --- Mediation sessions --------------------------------------------------------------------------

MAX_TEXT = 5000


def session_record(
    *, dispute: Dispute | int, actor: Actor, held_at: datetime, place: str, attendees: str, notes: str = ""
) -> MediationSession:
    """调解记录: one session held (when, where, who came, what was said), as a SESSION event.

    Only the handlers of the case (or an administrator) record sessions, while
    the case is accepted, in mediation or reopened. A session held on an
    accepted case means mediation has begun, so it starts mediation first (a
    reopened case resumes): the mediator records what happened, not the
    bookkeeping step before it. Both happen in one transaction.
    """
    place, attendees, notes = (place or "").strip(), (attendees or "").strip(), (notes or "").strip()
    if not place:
        raise ApplicationError(_("Say where the session was held."), code="place_required")
    if not attendees:
        raise ApplicationError(_("Say who attended the session."), code="attendees_required")
    if held_at is None:
        raise ApplicationError(_("Say when the session was held."), code="held_at_required")
    if held_at > timezone.now() + timedelta(minutes=5):
        raise ApplicationError(_("A session cannot be recorded before it is held."), code="future_session")
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = services._lock_visible(pk, actor)
        _check_case_work(case, actor)
        if case.status not in SESSION_STATES:
            raise _wrong_state(case)
        # Any day of the case's own history, not a typo'd year (a session "held" in 0476 was once accepted).
        if timezone.localdate(held_at) < timezone.localdate(case.submitted_at):
            raise ApplicationError(
                _("A session cannot have been held before the case was registered."), code="session_before_case"
            )
        start = SESSION_STATES[case.status]
        if start is not None:
            case = services.dispute_transition(dispute=case, action=start, actor=actor)
        session = MediationSession.objects.create(
            dispute=case,
            held_at=held_at,
            place=place[:200],
            attendees=attendees[:MAX_TEXT],
            notes=notes[:MAX_TEXT],
            recorded_by=actor.user,
        )
        services._event(
            case,
            actor,
            EventKind.SESSION,
            data={"session": session.pk, "held_at": held_at.isoformat(), "place": session.place},
        )
    return session


def _wrong_state(case: Dispute) -> ApplicationError:
    return ApplicationError(
        _("This action is not possible while the case is “%(status)s”.") % {"status": case.get_status_display()},
        code="wrong_state",
    )


# --- The mediation agreement -----------------------------------------------------------------------

AGREEMENT_TEXT_FIELDS = ("facts", "points_in_dispute", "terms", "performance_method")


def agreement_proposal(case: Dispute) -> dict[str, Any]:
    """What a new agreement starts from: the facts as the case describes them; the rest is the mediator's."""
    return {
        "facts": case.description,
        "points_in_dispute": "",
        "terms": "",
        "performance_method": "",
        "perform_by": None,
    }


def _agreement_values(values: dict[str, Any], *, today: date) -> dict[str, Any]:
    cleaned = {name: (values.get(name) or "").strip()[:MAX_TEXT] for name in AGREEMENT_TEXT_FIELDS}
    missing = [name for name in AGREEMENT_TEXT_FIELDS if not cleaned[name]]
    if missing:
        raise ApplicationError(
            _("Fill in the facts, the points in dispute, what was agreed and how it is performed."),
            code="agreement_incomplete",
            extra={"fields": missing},
        )
    perform_by = values.get("perform_by")
    if perform_by is not None and perform_by < today:
        raise ApplicationError(_("The date to perform by cannot be in the past."), code="perform_by_past")
    cleaned["perform_by"] = perform_by
    return cleaned


def agreement_save(
    *, dispute: Dispute | int, actor: Actor, values: dict[str, Any], event_data: dict[str, Any] | None = None
) -> Agreement:
    """调解协议书: draft the case's agreement, or update it while the case is still handled.

    `values` holds facts, points_in_dispute, terms, performance_method (all
    required) and perform_by (a date, optional, not in the past). The parties
    are not copied: the agreement prints the case's Party rows, so a party
    added later is on it. Editable while the case is accepted, in mediation or
    reopened; the report-back freezes it (the outcome rests on the signed
    text). Printing does not freeze it: a draft is often printed for the
    parties to read before the copy they sign. `event_data` adds to the
    AGREEMENT event's data (e.g. the case it was drafted from, `disputes.similar`).
    """
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = services._lock_visible(pk, actor)
        _check_case_work(case, actor)
        if case.status not in AGREEMENT_EDIT_STATES:
            raise _wrong_state(case)
        cleaned = _agreement_values(values, today=timezone.localdate())
        agreement = Agreement.objects.filter(dispute=case).first()
        created = agreement is None
        if created:
            agreement = Agreement(dispute=case, drafted_by=actor.user)
        changed = [name for name, value in cleaned.items() if getattr(agreement, name) != value]
        for name, value in cleaned.items():
            setattr(agreement, name, value)
        if created or changed:
            agreement.save()
            services._event(
                case,
                actor,
                EventKind.AGREEMENT,
                data={**(event_data or {}), "agreement": agreement.pk, "created": created, "changed": changed},
            )
    return agreement


def agreement_draft(*, dispute: Dispute | int, actor: Actor, values: dict[str, Any]) -> Agreement:
    """Draft the agreement; refused if the case already has one (update it instead)."""
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    if Agreement.objects.filter(dispute_id=pk).exists():
        raise ConflictError(_("This case already has an agreement."), code="agreement_exists")
    return agreement_save(dispute=pk, actor=actor, values=values)


def agreement_update(*, dispute: Dispute | int, actor: Actor, values: dict[str, Any]) -> Agreement:
    """Change the drafted agreement; refused if there is none yet."""
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    if not Agreement.objects.filter(dispute_id=pk).exists():
        raise NotFoundError(_("This case has no agreement yet."), code="no_agreement")
    return agreement_save(dispute=pk, actor=actor, values=values)


def agreement_record_performance(
    *, dispute: Dispute | int, actor: Actor, performance: str, remarks: str = ""
) -> Agreement:
    """履行: the agreement was performed, or not. Closes the PERFORMANCE deadline; a PERFORMANCE event.

    Recorded by the handlers (or an administrator) once the case has been
    reported back with an agreement. It may be recorded again (e.g. "not
    performed" on the date, "performed" a week later): each is an event.
    """
    if performance not in (Agreement.Performance.PERFORMED, Agreement.Performance.NOT_PERFORMED):
        raise ApplicationError(_("Say whether the agreement was performed."), code="performance_required")
    remarks = (remarks or "").strip()[:MAX_TEXT]
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = services._lock_visible(pk, actor)
        _check_case_work(case, actor)
        if case.status not in PERFORMANCE_STATES or case.outcome != Outcome.AGREEMENT:
            raise _wrong_state(case)
        agreement = Agreement.objects.select_for_update().filter(dispute=case).first()
        if agreement is None:
            raise NotFoundError(_("This case has no agreement yet."), code="no_agreement")
        now = timezone.now()
        agreement.performance = performance
        agreement.performance_remarks = remarks
        agreement.performance_recorded_at = now
        agreement.save(update_fields=["performance", "performance_remarks", "performance_recorded_at", "updated_at"])
        services.deadlines_finish(dispute=case, kinds=[DeadlineKind.PERFORMANCE], now=now)
        services.dispute_refresh_next_due(dispute=case)
        case.save(update_fields=["next_due_at", "updated_at"])
        services._event(case, actor, EventKind.PERFORMANCE, reason=remarks, now=now, data={"performance": performance})
    return agreement


# --- Outcomes ------------------------------------------------------------------------------------

REFERRAL_MIN = 4
REFERRAL_MAX = 60  # Dispute.referral_reference's length


def perform_by_due(day: date) -> datetime:
    """ "Perform by 30 June" is kept until the end of that day, local time."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def clean_referral_reference(value: str | None, *, outcome: str) -> str:
    """The court's case number ((2024)赣0103民初1234号) or the police's reference: present and of a sane length."""
    value = " ".join((value or "").split())
    if not value:
        message = (
            _("Give the court's case number.")
            if outcome == Outcome.LITIGATION
            else _("Give the police's reference number.")
        )
        raise ApplicationError(message, code="referral_required")
    if not REFERRAL_MIN <= len(value) <= REFERRAL_MAX:
        raise ApplicationError(
            _("A reference number has between %(min)d and %(max)d characters.")
            % {"min": REFERRAL_MIN, "max": REFERRAL_MAX},
            code="referral_invalid",
        )
    return value


def outcome_apply(*, case: Dispute, outcome: str, data: dict[str, Any], now: datetime, event_data: dict) -> None:
    """The outcome's own effects, inside the report-back's transaction (called by `_effect_report_back`).

    - agreement: the case must have an agreement. Opens the judicial-confirmation
      window (司法确认, `JUDICIAL_CONFIRMATION_DAYS` from now) and, when the
      agreement has a date, the PERFORMANCE deadline at the end of that day.
      The window is the parties' (they apply to the court together), not a task
      of the handler, so the sweeper's reminder ladder does not run on it
      (`escalate_at` is empty); the page shows the time left.
    - litigation / police: the court's case number or the police's reference is
      required and stored in `referral_reference`.
    Deadlines of an earlier agreement (a reopened case reported again) make way
    for the new outcome's.
    """
    services.deadlines_finish(
        dispute=case, kinds=[DeadlineKind.JUDICIAL_CONFIRMATION, DeadlineKind.PERFORMANCE], now=now, cancel=True
    )
    case.referral_reference = ""
    if outcome == Outcome.AGREEMENT:
        agreement = Agreement.objects.filter(dispute=case).first()
        if agreement is None:
            raise ApplicationError(
                _("Draft the mediation agreement before reporting back an agreement."), code="agreement_required"
            )
        Deadline.objects.create(
            dispute=case,
            kind=DeadlineKind.JUDICIAL_CONFIRMATION,
            due_at=now + timedelta(days=settings.JUDICIAL_CONFIRMATION_DAYS),
            escalate_at=None,
        )
        if agreement.perform_by is not None and agreement.performance == Agreement.Performance.PENDING:
            services.deadline_open(
                dispute=case, kind=DeadlineKind.PERFORMANCE, due_at=perform_by_due(agreement.perform_by)
            )
        event_data["agreement"] = agreement.pk
    elif outcome in (Outcome.LITIGATION, Outcome.POLICE):
        case.referral_reference = clean_referral_reference(data.get("referral_reference"), outcome=outcome)
        event_data["referral_reference"] = case.referral_reference


def outcome_report(
    *,
    dispute: Dispute | int,
    actor: Actor,
    outcome: str,
    reason: str = "",
    referral_reference: str = "",
    agreement: dict[str, Any] | None = None,
) -> Dispute:
    """反馈 from the case page: save the agreement given with the outcome (if any), then report back. Atomic."""
    with transaction.atomic():
        if outcome == Outcome.AGREEMENT and agreement is not None:
            agreement_save(dispute=dispute, actor=actor, values=agreement)
        return services.dispute_report_back(
            dispute=dispute, actor=actor, outcome=outcome, reason=reason, referral_reference=referral_reference
        )
