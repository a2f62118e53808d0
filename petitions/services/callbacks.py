"""回访: the satisfaction callback after the written reply."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.casework import callbacks as verdicts
from core.casework.callbacks import SATISFIED_RESULTS, CallbackResult
from core.casework.transitions import WRONG_ROLE
from core.exceptions import ApplicationError, PermissionDeniedError
from core.notifications import notify_staff_many
from petitions import rules
from petitions.models import Petition, PetitionCallbackAttempt, PetitionDeadline
from petitions.rules import DeadlineKind, EventKind, Status
from petitions.selectors import unanswered_call_times
from petitions.services.deadlines import next_due_refresh
from petitions.services.events import event_record
from petitions.services.notify import handlers_of, staff_message
from petitions.services.transitions import petition_lock, transition_apply

PROBLEMS = {
    "satisfaction_required": lambda: _("Record how satisfied the party is."),
    "satisfaction_forbidden": lambda: _("A party who was not reached cannot give an opinion."),
}


def callback_attempt_check(*, role: str, reached: bool, satisfaction: str) -> str:
    """The checks a phone callback passes: the caller's role, and a verdict only when reached.

    Returns the satisfaction to store ("" when not reached).
    """
    if role not in rules.CALLBACK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code=WRONG_ROLE)
    satisfaction = satisfaction or ""
    problem = verdicts.attempt_problem(reached=reached, satisfaction=satisfaction)
    if problem is not None:
        raise ApplicationError(PROBLEMS[problem](), code=problem, extra={"field": "satisfaction"})
    return satisfaction


def petition_callback_record_attempt(
    *, petition: Petition | int, actor: Actor, reached: bool, satisfaction: str = "", remarks: str = ""
) -> PetitionCallbackAttempt:
    """One phone call to the petitioner after the written reply, by a caller, supervisor or admin. Atomic.

    The checks and the verdict are the casework kernel's (`core.casework.callbacks`),
    the same as a dispute's: the third counted unanswered call (spread over hours
    and days) ends the round as unreachable; a reached petitioner's answer ends it with their satisfaction.
    What follows fits a petition: satisfied (or basically satisfied) closes it
    (办结); dissatisfied leaves the reply standing, tells the handling department
    and the leader in charge, and the petitioner's way on is the request for
    review within 30 days of the reply; unreachable records the verdict and the
    petition closes when the review window lapses — closing at once would cut that
    statutory window without the petitioner's word.
    """
    satisfaction = callback_attempt_check(role=actor.role, reached=reached, satisfaction=satisfaction)
    remarks = (remarks or "").strip()[: rules.MAX_REMARKS]
    with transaction.atomic():
        p = petition_lock(actor, petition)
        callback = PetitionDeadline.objects.open().filter(petition=p, kind=DeadlineKind.CALLBACK).first()
        if p.status != Status.REPLIED or callback is None:
            raise ApplicationError(_("This petition is not awaiting its callback."), code="not_awaiting_callback")
        now = timezone.now()
        attempt = PetitionCallbackAttempt.objects.create(
            petition=p, at=now, caller=actor.user, reached=reached, satisfaction=satisfaction, remarks=remarks
        )
        # Unanswered calls count towards "unreachable" only when spread out (core.casework.callbacks).
        times = [] if reached else unanswered_call_times(p, since=p.replied_at or now)
        unanswered = verdicts.unanswered_counted(times, rule=verdicts.spread_rule()).count
        verdict = verdicts.verdict(reached=reached, satisfaction=satisfaction, unanswered=unanswered)
        event_record(
            p,
            actor,
            EventKind.CALLBACK,
            now=now,
            reason=remarks,
            data={
                "reached": reached,
                "satisfaction": satisfaction,
                "attempt": attempt.pk,
                "unanswered": len(times),
                "counted": unanswered,
                "result": verdict or "",
            },
        )
        if verdict is None:
            return attempt
        callback.done_at = now
        callback.save(update_fields=["done_at", "updated_at"])
        p.callback_result = verdict
        if verdict in SATISFIED_RESULTS:
            # The platform closes on the petitioner's word (a caller's role does not close petitions).
            transition_apply(p, action="close", actor=Actor.system(), reason=f"callback_{verdict}", data={})
            return attempt
        next_due_refresh(p)
        p.save(update_fields=["callback_result", "next_due_at", "updated_at"])
        if verdict == CallbackResult.DISSATISFIED:
            with translation.override(settings.LANGUAGE_CODE):
                body = _(
                    "The petitioner of %(petition)s is not satisfied with the reply. They may ask for a review "
                    "within 30 days of the reply."
                ) % {"petition": p.tracking_number_display}
            notify_staff_many([staff_message(u, "petition_callback_dissatisfied", body) for u in handlers_of(p)])
    return attempt
