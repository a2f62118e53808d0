"""调解协议书 and 反馈's own effects: the mediation agreement, its performance, and what an outcome opens
at the report-back (the judicial-confirmation window, the referral numbers).

Nothing here changes a case's status: the report-back itself is a transition
(`services.transitions.dispute_report_back`), whose effect calls `outcome_apply`.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from disputes.models import Agreement, Deadline, Dispute
from disputes.rules.enums import DeadlineKind, EventKind, Outcome, Status
from disputes.services.casefile import (
    DisputeRef,
    check_handler,
    dispute_pk,
    event_record,
    lock_visible,
    wrong_state,
)
from disputes.services.deadlines import deadline_open, deadlines_finish, dispute_refresh_next_due
from grids import roles

MAX_TEXT = 5000
# The agreement is edited while the case is handled; the report-back freezes the text it rests on.
AGREEMENT_EDIT_STATES = frozenset({Status.ACCEPTED, Status.IN_MEDIATION, Status.REOPENED})
PERFORMANCE_STATES = frozenset({Status.REPORTED, Status.AWAITING_CALLBACK, Status.CLOSED})
# Sessions, the agreement and its performance: the handlers of the case, or an administrator.
CASE_WORK_ROLES = frozenset({*roles.HANDLERS, roles.ADMIN})
AGREEMENT_TEXT_FIELDS = ("facts", "points_in_dispute", "terms", "performance_method")
REFERRAL_MIN = 4
REFERRAL_MAX = 60  # Dispute.referral_reference's length


def check_case_work(case: Dispute, actor: Actor) -> None:
    """Sessions, the agreement and its performance: the handlers of the case, or an administrator."""
    if actor.role not in CASE_WORK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    check_handler(case, actor, "case_work")


# --- The mediation agreement -----------------------------------------------------------------------


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
    cleaned: dict[str, Any] = {name: (values.get(name) or "").strip()[:MAX_TEXT] for name in AGREEMENT_TEXT_FIELDS}
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
    *, dispute: DisputeRef, actor: Actor, values: dict[str, Any], event_data: dict[str, Any] | None = None
) -> Agreement:
    """调解协议书: draft the case's agreement, or update it while the case is still handled.

    `values` holds facts, points_in_dispute, terms, performance_method (all
    required) and perform_by (a date, optional, not in the past). The parties
    are not copied: the agreement prints the case's Party rows, so a party
    added later is on it. Editable while the case is accepted, in mediation or
    reopened; the report-back freezes it (the outcome rests on the signed
    text). Printing does not freeze it: a draft is often printed for the
    parties to read before the copy they sign. `event_data` adds to the
    AGREEMENT event's data (e.g. the case it was drafted from, `services.similar`).
    """
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_case_work(case, actor)
        if case.status not in AGREEMENT_EDIT_STATES:
            raise wrong_state(case)
        cleaned = _agreement_values(values, today=timezone.localdate())
        agreement = Agreement.objects.filter(dispute=case).first()
        created = agreement is None
        if agreement is None:
            agreement = Agreement(dispute=case, drafted_by=actor.user)
        changed = [name for name, value in cleaned.items() if getattr(agreement, name) != value]
        for name, value in cleaned.items():
            setattr(agreement, name, value)
        if created or changed:
            agreement.save()
            event_record(
                case,
                actor,
                EventKind.AGREEMENT,
                data={**(event_data or {}), "agreement": agreement.pk, "created": created, "changed": changed},
            )
    return agreement


def agreement_draft(*, dispute: DisputeRef, actor: Actor, values: dict[str, Any]) -> Agreement:
    """Draft the agreement; refused if the case already has one (update it instead)."""
    pk = dispute_pk(dispute)
    if Agreement.objects.filter(dispute_id=pk).exists():
        raise ConflictError(_("This case already has an agreement."), code="agreement_exists")
    return agreement_save(dispute=pk, actor=actor, values=values)


def agreement_update(*, dispute: DisputeRef, actor: Actor, values: dict[str, Any]) -> Agreement:
    """Change the drafted agreement; refused if there is none yet."""
    pk = dispute_pk(dispute)
    if not Agreement.objects.filter(dispute_id=pk).exists():
        raise NotFoundError(_("This case has no agreement yet."), code="no_agreement")
    return agreement_save(dispute=pk, actor=actor, values=values)


def agreement_record_performance(
    *, dispute: DisputeRef, actor: Actor, performance: str, remarks: str = ""
) -> Agreement:
    """履行: the agreement was performed, or not. Closes the PERFORMANCE deadline; a PERFORMANCE event.

    Recorded by the handlers (or an administrator) once the case has been
    reported back with an agreement. It may be recorded again (e.g. "not
    performed" on the date, "performed" a week later): each is an event.
    """
    if performance not in (Agreement.Performance.PERFORMED, Agreement.Performance.NOT_PERFORMED):
        raise ApplicationError(_("Say whether the agreement was performed."), code="performance_required")
    remarks = (remarks or "").strip()[:MAX_TEXT]
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_case_work(case, actor)
        if case.status not in PERFORMANCE_STATES or case.outcome != Outcome.AGREEMENT:
            raise wrong_state(case)
        agreement = Agreement.objects.select_for_update().filter(dispute=case).first()
        if agreement is None:
            raise NotFoundError(_("This case has no agreement yet."), code="no_agreement")
        now = timezone.now()
        agreement.performance = performance
        agreement.performance_remarks = remarks
        agreement.performance_recorded_at = now
        agreement.save(update_fields=["performance", "performance_remarks", "performance_recorded_at", "updated_at"])
        deadlines_finish(dispute=case, kinds=[DeadlineKind.PERFORMANCE], now=now)
        dispute_refresh_next_due(dispute=case)
        case.save(update_fields=["next_due_at", "updated_at"])
        event_record(case, actor, EventKind.PERFORMANCE, reason=remarks, now=now, data={"performance": performance})
    return agreement


# --- The outcome's own effects at the report-back ---------------------------------------------------


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


def outcome_apply(
    *, case: Dispute, outcome: str, data: dict[str, Any], now: datetime, event_data: dict[str, Any]
) -> None:
    """The outcome's own effects, inside the report-back's transaction (the report_back effect calls it).

    - agreement: the case must have an agreement. Opens the judicial-confirmation
      window (司法确认, `JUDICIAL_CONFIRMATION_DAYS` from now) and, when the
      agreement has a date, the PERFORMANCE deadline at the end of that day.
      The window is the parties' (they apply to the court together), not a task
      of the handler, so the sweeper's reminder ladder does not run on it
      (`escalate_at` is empty); the page shows the time left.
    - litigation / police: the court's case number or the police's reference is
      required and stored in `referral_reference`.
    Deadlines of an earlier agreement (a reopened case reported again) have made way
    for the new outcome's already: the report-back's row of `disputes.rules.effects`
    cancels them first.
    """
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
            deadline_open(dispute=case, kind=DeadlineKind.PERFORMANCE, due_at=perform_by_due(agreement.perform_by))
        event_data["agreement"] = agreement.pk
    elif outcome in (Outcome.LITIGATION, Outcome.POLICE):
        case.referral_reference = clean_referral_reference(data.get("referral_reference"), outcome=outcome)
        event_data["referral_reference"] = case.referral_reference
