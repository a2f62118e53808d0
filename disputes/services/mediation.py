"""调解: the handler's work on an accepted case: mediation sessions (调解记录) and the report-back from the
case page with its agreement. Both may change the status, through `services.transitions`."""

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError
from disputes.models import Dispute, MediationSession
from disputes.rules.enums import EventKind, Outcome, Status
from disputes.services.casefile import DisputeRef, event_record, lock_visible, wrong_state
from disputes.services.outcomes import MAX_TEXT, agreement_save, check_case_work
from disputes.services.transitions import dispute_report_back, dispute_transition

# Recording a session in "accepted" starts mediation and in "reopened" resumes it (see session_record).
SESSION_STATES: dict[str, str | None] = {
    Status.ACCEPTED: "start_mediation",
    Status.REOPENED: "resume",
    Status.IN_MEDIATION: None,
}


def session_record(
    *, dispute: DisputeRef, actor: Actor, held_at: datetime | None, place: str, attendees: str, notes: str = ""
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
        raise ApplicationError(_("Say where the session was held."), code="place_required", extra={"field": "place"})
    if not attendees:
        raise ApplicationError(
            _("Say who attended the session."), code="attendees_required", extra={"field": "attendees"}
        )
    if held_at is None:
        raise ApplicationError(_("Say when the session was held."), code="held_at_required", extra={"field": "held_at"})
    if held_at > timezone.now() + timedelta(minutes=5):
        raise ApplicationError(
            _("A session cannot be recorded before it is held."), code="future_session", extra={"field": "held_at"}
        )
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_case_work(case, actor)
        if case.status not in SESSION_STATES:
            raise wrong_state(case)
        # Any day of the case's own history, not a typo'd year (a session "held" in 0476 was once accepted).
        if timezone.localdate(held_at) < timezone.localdate(case.submitted_at):
            raise ApplicationError(
                _("A session cannot have been held before the case was registered."),
                code="session_before_case",
                extra={"field": "held_at"},
            )
        start = SESSION_STATES[case.status]
        if start is not None:
            case = dispute_transition(dispute=case, action=start, actor=actor)
        session = MediationSession.objects.create(
            dispute=case,
            held_at=held_at,
            place=place[:200],
            attendees=attendees[:MAX_TEXT],
            notes=notes[:MAX_TEXT],
            recorded_by=actor.user,
        )
        event_record(
            case,
            actor,
            EventKind.SESSION,
            data={"session": session.pk, "held_at": held_at.isoformat(), "place": session.place},
        )
    return session


def outcome_report(
    *,
    dispute: DisputeRef,
    actor: Actor,
    outcome: str,
    reason: str = "",
    referral_reference: str = "",
    agreement: dict[str, Any] | None = None,
    signed_on: date | None = None,
    effective_on: date | None = None,
) -> Dispute:
    """反馈 from the case page: save the agreement given with the outcome (if any), then report back. Atomic.

    `signed_on` / `effective_on`: the signing of an agreement not signed yet (`dispute_report_back`)."""
    with transaction.atomic():
        if outcome == Outcome.AGREEMENT and agreement is not None:
            agreement_save(dispute=dispute, actor=actor, values=agreement)
        return dispute_report_back(
            dispute=dispute,
            actor=actor,
            outcome=outcome,
            reason=reason,
            referral_reference=referral_reference,
            signed_on=signed_on,
            effective_on=effective_on,
        )
