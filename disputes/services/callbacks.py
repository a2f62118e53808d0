"""回访 and 抽查 writes: a caller's attempt or the resident's own rating closes or reopens the case; a
supervisor records a spot check. The shared rules are `disputes.callbacks` (and `core.casework.callbacks`)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.casework.callbacks import CallbackResult, Satisfaction, spread_rule, unanswered_counted
from core.exceptions import ApplicationError, PermissionDeniedError
from disputes.callbacks import MAX_REMARKS, SPOT_CHECK_ROLES, callback_attempt_check, callback_verdict
from disputes.models import CallbackAttempt, Dispute, Party, SpotCheck
from disputes.rules.enums import EventKind, PartyRole, Status
from disputes.selectors.callbacks import rating_refusal, resident_already_rated, unanswered_times
from disputes.services.casefile import DisputeRef, dispute_pk, event_record, lock_visible, notify_applicants
from disputes.services.transitions import dispute_transition


def callback_record_resident_rating(*, dispute: DisputeRef, satisfaction: str, remarks: str = "") -> CallbackAttempt:
    """Record the resident's own rating and close or reopen the case. Atomic."""
    if satisfaction not in Satisfaction.values:
        raise ApplicationError(_("Choose how satisfied you are."), code="satisfaction_required")
    remarks = (remarks or "").strip()[:MAX_REMARKS]
    with transaction.atomic():
        case = Dispute.objects.select_for_update().filter(pk=dispute_pk(dispute)).first()
        if case is None:
            raise ApplicationError(_("Case not found."), code="not_found")
        refusal = rating_refusal(case)
        if refusal:
            code = "already_rated" if resident_already_rated(case) else "not_awaiting_callback"
            raise ApplicationError(refusal, code=code)
        return _record_outcome(
            case=case,
            source=CallbackAttempt.Source.RESIDENT,
            actor=Actor.resident(),
            # A resident may reopen their case but not close it: the platform closes it on their answer.
            closer=Actor.system(),
            reached=True,
            satisfaction=satisfaction,
            remarks=remarks,
        )


def callback_party(case: Dispute, party: int | None) -> Party | None:
    """The party a caller called: one of the case's own (None: the first applicant, as before parties were
    told apart). A party of another case is refused."""
    if party is None:
        return case.parties.filter(role=PartyRole.APPLICANT).order_by("pk").first()
    found = case.parties.filter(pk=party).first()
    if found is None:
        raise ApplicationError(
            _("Choose one of this case's parties."), code="party_not_on_case", extra={"field": "party"}
        )
    return found


def callback_record_attempt(
    *,
    dispute: DisputeRef,
    actor: Actor,
    reached: bool,
    satisfaction: str = "",
    remarks: str = "",
    party: int | None = None,
) -> CallbackAttempt:
    """One phone call of the 回访 by a caller, supervisor or admin, on a case awaiting its callback. Atomic.

    `party` is the party called (a Party's id on this case; the first applicant if None): 满意率 counts
    each party's latest answer (`disputes.statistics.callback_satisfaction`). The case's verdict is the
    latest answer's, whoever gave it, as before.

    Not reached: recorded, and it counts towards "unreachable" only when spread
    out (`core.casework.callbacks.unanswered_counted`: hours apart, over more than
    one day); the third counted call closes the case as unreachable. Reached: the
    party's satisfaction closes or reopens the case.

    After the verdict closed the case, the other parties (`callback_further_parties`, named by `party`)
    may still be called: their answers are recorded for 满意率 and change nothing on the case.
    """
    satisfaction = callback_attempt_check(role=actor.role, reached=reached, satisfaction=satisfaction)
    remarks = (remarks or "").strip()[:MAX_REMARKS]
    with transaction.atomic():
        # A case outside the caller's area is not found: the answer does not confirm it exists.
        case = lock_visible(dispute, actor)
        if case.status != Status.AWAITING_CALLBACK:
            further = callback_further_parties(case)
            if party is not None and any(p.pk == party for p in further):
                return _record_further_party(
                    case=case,
                    actor=actor,
                    party=next(p for p in further if p.pk == party),
                    reached=reached,
                    satisfaction=satisfaction,
                    remarks=remarks,
                )
            raise ApplicationError(_("This case is not awaiting its callback."), code="not_awaiting_callback")
        called = callback_party(case, party)
        return _record_outcome(
            case=case,
            source=CallbackAttempt.Source.CALLER,
            actor=actor,
            closer=actor,
            reached=reached,
            satisfaction=satisfaction,
            remarks=remarks,
            party=called,
        )


def callback_further_parties(case: Dispute) -> list[Party]:
    """The parties still to be asked after the callback's verdict closed the case: a case closed since its
    latest report-back on a party's answer, and its parties with no answer (a reached call) since then.
    Their answers count in 满意率 by parties and leave the case and its verdict as they are."""
    if case.status != Status.CLOSED or case.reported_at is None or case.closed_at is None:
        return []
    if case.closed_at < case.reported_at:
        return []
    applicant = case.parties.filter(role=PartyRole.APPLICANT).order_by("pk").values_list("pk", flat=True).first()
    answered = {
        party_id or applicant
        for party_id in CallbackAttempt.objects.filter(
            dispute=case, at__gte=case.reported_at, reached=True
        ).values_list("party_id", flat=True)
    }
    if not answered:
        return []  # not closed by a party's answer (unreachable, or closed by a supervisor): nothing to add to
    return [p for p in case.parties.order_by("pk") if p.pk not in answered]


def _record_further_party(
    *, case: Dispute, actor: Actor, party: Party, reached: bool, satisfaction: str, remarks: str
) -> CallbackAttempt:
    """Another party's answer after the verdict: recorded with its CALLBACK event, nothing else changes."""
    now = timezone.now()
    attempt = CallbackAttempt.objects.create(
        dispute=case,
        at=now,
        caller=actor.user,
        source=CallbackAttempt.Source.CALLER,
        reached=reached,
        satisfaction=satisfaction if reached else "",
        remarks=remarks,
        party=party,
    )
    data = {
        "source": CallbackAttempt.Source.CALLER,
        "reached": reached,
        "satisfaction": attempt.satisfaction,
        "attempt": attempt.pk,
        "party": party.pk,
        "after_verdict": True,
    }
    event_record(case, actor, EventKind.CALLBACK, reason=remarks, data=data, now=now)
    return attempt


def _record_outcome(
    *,
    case: Dispute,
    source: str,
    actor: Actor,
    closer: Actor,
    reached: bool,
    satisfaction: str,
    remarks: str,
    party: Party | None = None,
) -> CallbackAttempt:
    """The attempt, its CALLBACK event and what follows from it. `case` is locked by the caller."""
    now = timezone.now()
    attempt = CallbackAttempt.objects.create(
        dispute=case,
        at=now,
        caller=actor.user,
        source=source,
        reached=reached,
        satisfaction=satisfaction if reached else "",
        remarks=remarks,
        party=party,
    )
    data: dict[str, object] = {
        "source": source,
        "reached": reached,
        "satisfaction": attempt.satisfaction,
        "attempt": attempt.pk,
    }
    if party is not None:
        data["party"] = party.pk
    unanswered = 0
    if not reached:
        # This call is among the round's times (created above); the rule says which of them count.
        times = unanswered_times(case)
        unanswered = unanswered_counted(times, rule=spread_rule()).count
        data["unanswered"] = len(times)
        data["counted"] = unanswered
    event_record(case, actor, EventKind.CALLBACK, reason=remarks, data=data, now=now)
    verdict = callback_verdict(reached=reached, satisfaction=satisfaction, unanswered=unanswered)
    if verdict is None:
        return attempt
    if verdict == CallbackResult.UNREACHABLE:
        dispute_transition(
            dispute=case,
            action="close",
            actor=closer,
            reason="callback_unreachable",
            data={"callback_result": CallbackResult.UNREACHABLE},
        )
        return attempt
    if verdict == CallbackResult.DISSATISFIED:
        # Back to the same department and mediator; the transition counts it and tells them.
        dispute_transition(
            dispute=case,
            action="reopen",
            actor=actor,
            reason=remarks or "callback_dissatisfied",
            data={"callback_result": CallbackResult.DISSATISFIED},
        )
        return attempt
    closed = dispute_transition(
        dispute=case,
        action="close",
        actor=closer,
        reason=f"callback_{satisfaction}",
        data={"callback_result": satisfaction},
    )
    notify_applicants(
        closed,
        kind="callback_thanks",
        message=lambda: (
            _("Thank you for your opinion on case %(number)s. The case is now closed.")
            % {"number": closed.tracking_number_display}
        ),
    )
    return attempt


def spot_check_record(*, dispute: DisputeRef, actor: Actor, result: str, remarks: str = "") -> SpotCheck:
    """Record a supervisor's check of a closed case: confirmed, or a problem found (with remarks). Atomic."""
    if actor.role not in SPOT_CHECK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    if result not in SpotCheck.Result.values:
        raise ApplicationError(_("Choose the result of the check."), code="result_required", extra={"field": "result"})
    remarks = (remarks or "").strip()[:MAX_REMARKS]
    if result == SpotCheck.Result.PROBLEM and not remarks:
        raise ApplicationError(_("Say what the problem is."), code="remarks_required", extra={"field": "remarks"})
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        if case.status != Status.CLOSED:
            raise ApplicationError(_("Only closed cases can be spot-checked."), code="not_closed")
        now = timezone.now()
        check = SpotCheck.objects.create(dispute=case, checked_by=actor.user, at=now, result=result, remarks=remarks)
        event_record(
            case, actor, EventKind.SPOT_CHECK, reason=remarks, data={"result": result, "spot_check": check.pk}, now=now
        )
    return check
