"""回访: the callback after the report-back, by a caller on the phone or by the resident's own rating.

Reporting back opens a CALLBACK deadline due `CALLBACK_DUE_DAYS` (7) days later,
swept like any other deadline. Two doors lead to the same outcome logic
(`_record_outcome`), so they behave alike:

- a caller (回访员), supervisor or admin phones the parties and records each
  attempt (`callback_record_attempt`): not reached is counted, and the third
  unanswered attempt closes the case as unreachable;
- the applicant opens the signed link in the outcome SMS (`rating_token`) and
  rates the result (`callback_record_resident_rating`).

A reached party who is satisfied (or basically satisfied) closes the case; a
dissatisfied one reopens it to the same department and mediator. The resident
may rate once per report-back: a second answer is refused rather than taken as
an update, because the first has already closed or reopened the case and the
timeline must not be rewritten.

Also here: the callers' queue (oldest due first) and the supervisors' spot
checks (抽查) of closed cases drawn at random.
"""

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, FilteredRelation, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import dates
from core.actors import Actor
from core.casework.callbacks import CallbackResult, Satisfaction
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from disputes import services
from disputes.models import CallbackAttempt, CaseEvent, Dispute, Party, SpotCheck
from disputes.rules import lifecycle
from disputes.rules.enums import OPEN_STATUSES, DeadlineKind, EventKind, PartyRole, Status
from disputes.selectors import disputes_visible_to

RATING_SALT = "rate"
RATING_MAX_AGE = 30 * 24 * 3600  # seconds: the link in the SMS works for 30 days
MAX_REMARKS = 1000
# The third unanswered call closes the case as unreachable.
MAX_UNANSWERED = 3

CALLBACK_ROLES = frozenset({lifecycle.CALLBACK_CALLER, lifecycle.SUPERVISOR, lifecycle.ADMIN})
SPOT_CHECK_ROLES = frozenset({lifecycle.SUPERVISOR, lifecycle.ADMIN})
SPOT_CHECK_MAX_SIZE = 50

# The reasons written on the close and reopen events are codes, translated when shown
# (a caller working in English must not leave English text on a Chinese timeline).
REASON_TEXT = {
    "callback_satisfied": gettext_lazy("At the callback the party said they are satisfied with the result."),
    "callback_basically_satisfied": gettext_lazy(
        "At the callback the party said they are basically satisfied with the result."
    ),
    "callback_dissatisfied": gettext_lazy("At the callback the party said they are not satisfied with the result."),
    "callback_unreachable": gettext_lazy("The party could not be reached after three callback attempts."),
}


def callback_reason_text(reason: str) -> str:
    """An event's reason for display: the sentence for a callback code, else the words as typed."""
    text = REASON_TEXT.get(reason)
    return str(text) if text is not None else reason


def rating_token(dispute: Dispute) -> str:
    """A signed, timestamped token for the dispute id (no secret data in it, only the id)."""
    return signing.TimestampSigner(salt=RATING_SALT).sign(str(dispute.pk))


def dispute_from_rating_token(token: str) -> Dispute | None:
    """The dispute a valid, unexpired token names; None for a tampered or expired token."""
    try:
        value = signing.TimestampSigner(salt=RATING_SALT).unsign(token, max_age=RATING_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not value.isdigit():
        return None
    return Dispute.objects.select_related("category", "lead_department").filter(pk=int(value)).first()


def rating_url(dispute: Dispute) -> str:
    """The public link put in the SMS (always the Chinese, unprefixed page)."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("disputes:rate", kwargs={"token": rating_token(dispute)})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


# --- Shared with the petitions' callback (petitions.services.petition_callback_record_attempt) ---------


def callback_attempt_check(*, role: str, reached: bool, satisfaction: str) -> str:
    """The checks every phone callback passes, case or petition: the caller's role and a verdict only when reached.

    Returns the satisfaction to store ("" when not reached).
    """
    if role not in CALLBACK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    satisfaction = satisfaction or ""
    if reached and satisfaction not in Satisfaction.values:
        raise ApplicationError(
            _("Record how satisfied the party is."), code="satisfaction_required", extra={"field": "satisfaction"}
        )
    if not reached and satisfaction:
        raise ApplicationError(
            _("A party who was not reached cannot give an opinion."),
            code="satisfaction_forbidden",
            extra={"field": "satisfaction"},
        )
    return satisfaction


def callback_verdict(*, reached: bool, satisfaction: str, unanswered: int) -> str | None:
    """What one attempt decides (a `CallbackResult`), or None while another call is still to be made.

    `unanswered` counts the unanswered calls of this round, this one included.
    """
    if not reached:
        return CallbackResult.UNREACHABLE if unanswered >= MAX_UNANSWERED else None
    return CallbackResult(satisfaction).value


# --- Recording the outcome (both doors) --------------------------------------------------------------


def callback_record_resident_rating(*, dispute: Dispute | int, satisfaction: str, remarks: str = "") -> CallbackAttempt:
    """Record the resident's own rating and close or reopen the case. Atomic."""
    if satisfaction not in Satisfaction.values:
        raise ApplicationError(_("Choose how satisfied you are."), code="satisfaction_required")
    remarks = (remarks or "").strip()[:MAX_REMARKS]
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = Dispute.objects.select_for_update().filter(pk=pk).first()
        if case is None:
            raise ApplicationError(_("Case not found."), code="not_found")
        refusal = rating_refusal(case)
        if refusal:
            code = "already_rated" if _already_rated(case) else "not_awaiting_callback"
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


def callback_record_attempt(
    *, dispute: Dispute | int, actor: Actor, reached: bool, satisfaction: str = "", remarks: str = ""
) -> CallbackAttempt:
    """One phone call of the 回访 by a caller, supervisor or admin, on a case awaiting its callback. Atomic.

    Not reached: counted, and the third unanswered call closes the case as
    unreachable. Reached: the party's satisfaction closes or reopens the case.
    """
    satisfaction = callback_attempt_check(role=actor.role, reached=reached, satisfaction=satisfaction)
    remarks = (remarks or "").strip()[:MAX_REMARKS]
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = Dispute.objects.select_for_update().filter(pk=pk).first()
        if case is None or not disputes_visible_to(actor.user).filter(pk=pk).exists():
            # The same answer for a case outside the caller's area: do not confirm it exists.
            raise NotFoundError(_("Case not found."))
        if case.status != Status.AWAITING_CALLBACK:
            raise ApplicationError(_("This case is not awaiting its callback."), code="not_awaiting_callback")
        return _record_outcome(
            case=case,
            source=CallbackAttempt.Source.CALLER,
            actor=actor,
            closer=actor,
            reached=reached,
            satisfaction=satisfaction,
            remarks=remarks,
        )


def _record_outcome(
    *, case: Dispute, source: str, actor: Actor, closer: Actor, reached: bool, satisfaction: str, remarks: str
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
    )
    data = {"source": source, "reached": reached, "satisfaction": attempt.satisfaction, "attempt": attempt.pk}
    unanswered = 0
    if not reached:
        unanswered = unanswered_attempts(case)
        data["unanswered"] = unanswered
    CaseEvent.objects.create(
        dispute=case,
        at=now,
        actor=actor.user,
        actor_role=actor.role,
        kind=EventKind.CALLBACK,
        data=data,
        reason=remarks,
    )
    verdict = callback_verdict(reached=reached, satisfaction=satisfaction, unanswered=unanswered)
    if verdict is None:
        return attempt
    if verdict == CallbackResult.UNREACHABLE:
        services.dispute_transition(
            dispute=case,
            action="close",
            actor=closer,
            reason="callback_unreachable",
            data={"callback_result": CallbackResult.UNREACHABLE},
        )
        return attempt
    if verdict == CallbackResult.DISSATISFIED:
        # Back to the same department and mediator; the transition counts it and tells them.
        services.dispute_transition(
            dispute=case,
            action="reopen",
            actor=actor,
            reason=remarks or "callback_dissatisfied",
            data={"callback_result": CallbackResult.DISSATISFIED},
        )
        return attempt
    closed = services.dispute_transition(
        dispute=case,
        action="close",
        actor=closer,
        reason=f"callback_{satisfaction}",
        data={"callback_result": satisfaction},
    )
    services._notify_applicants(
        closed,
        kind="callback_thanks",
        message=lambda: (
            _("Thank you for your opinion on case %(number)s. The case is now closed.")
            % {"number": closed.tracking_number_display}
        ),
    )
    return attempt


def unanswered_attempts(case: Dispute) -> int:
    """Calls that did not reach the party since the case was last reported back."""
    attempts = CallbackAttempt.objects.filter(dispute=case, source=CallbackAttempt.Source.CALLER, reached=False)
    if case.reported_at is not None:
        attempts = attempts.filter(at__gte=case.reported_at)
    return attempts.count()


def _already_rated(case: Dispute) -> bool:
    """The resident has rated the current result (the one reported last)."""
    already = CallbackAttempt.objects.filter(dispute=case, source=CallbackAttempt.Source.RESIDENT)
    if case.reported_at is not None:
        already = already.filter(at__gte=case.reported_at)
    return already.exists()


def rating_refusal(case: Dispute) -> str:
    """Why this case cannot be rated now, in kind words; empty when it can."""
    if _already_rated(case):
        return _("You have already rated this result. Thank you: your answer has been recorded.")
    if case.status != Status.AWAITING_CALLBACK:
        return _not_awaiting_message(case.status)
    return ""


def _not_awaiting_message(status: str) -> str:
    if status == Status.CLOSED:
        return _("This case is already closed, so it can no longer be rated here. Thank you.")
    if status == Status.REOPENED:
        return _("This case is being handled again. You can rate it when the new result is reported to you.")
    if status in OPEN_STATUSES:
        return _("This case is still being handled. You can rate it when its result is reported to you.")
    return _("This case is not waiting for your rating at the moment. Thank you for your patience.")


# --- The callers' queue -------------------------------------------------------------------------------


def callback_queue(*, user) -> QuerySet[Dispute]:
    """Cases awaiting their callback that this user may work, the oldest due first.

    Joined to the case's one open CALLBACK deadline (`callback_due`), so a
    nearer deadline of another kind (e.g. performance of the agreement) does
    not move the case in the queue. Sorted on (callback_due, id): page it by
    keyset (`callback_queue_after`), never by offset. Each row carries its
    applicants and its attempts (prefetched for the page only).
    """
    if _role_of(user) not in CALLBACK_ROLES:
        return Dispute.objects.none()
    open_callback = Q(
        deadlines__kind=DeadlineKind.CALLBACK,
        deadlines__done_at__isnull=True,
        deadlines__cancelled_at__isnull=True,
    )
    # No filter on the status: a case has an open CALLBACK deadline exactly while it awaits its
    # callback (the await_callback transition opens it; close and reopen, the only ways out, finish
    # it: tests/disputes/services/test_transitions.py). Stated as a status filter as well, the
    # condition made PostgreSQL expect a few dozen rows (it cannot know the two go together)
    # and sort every waiting case of the area; without it, it walks the partial index
    # `deadline_open_callback` in due order and stops after a page: 3 ms instead of 40 for a
    # city's 6,000 waiting cases, and no parallel workers.
    return (
        disputes_visible_to(user)
        .annotate(callback=FilteredRelation("deadlines", condition=open_callback))
        .filter(callback__due_at__isnull=False)
        .annotate(callback_due=F("callback__due_at"))
        .select_related("category", "lead_department", "assigned_mediator")
        .prefetch_related(
            Prefetch(
                "parties",
                queryset=Party.objects.filter(role=PartyRole.APPLICANT).order_by("pk"),
                to_attr="applicants",
            ),
            Prefetch(
                "callback_attempts",
                queryset=CallbackAttempt.objects.select_related("caller").order_by("at", "pk"),
                to_attr="all_attempts",
            ),
        )
        .order_by("callback_due", "pk")
    )


def callback_queue_after(queryset: QuerySet[Dispute], cursor: str | None) -> QuerySet[Dispute]:
    """The rows after a keyset cursor from `queue_cursor` (an unreadable cursor starts at the top)."""
    position = _parse_cursor(cursor)
    if position is None:
        return queryset
    due, pk = position
    return queryset.filter(Q(callback_due__gt=due) | Q(callback_due=due, pk__gt=pk))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def queue_cursor(case: Dispute) -> str:
    """The keyset position of a row: microseconds since the epoch and the id."""
    delta = case.callback_due - _EPOCH
    return f"{delta // timedelta(microseconds=1)}.{case.pk}"


def _parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    micros, _dot, pk = (cursor or "").partition(".")
    if not (micros.isdigit() and pk.isdigit()):
        return None
    return _EPOCH + timedelta(microseconds=int(micros)), int(pk)


def attempts_this_round(case: Dispute) -> list[CallbackAttempt]:
    """The attempts since the last report-back (from the queue's prefetch, or queried)."""
    attempts = getattr(case, "all_attempts", None)
    if attempts is None:
        attempts = list(case.callback_attempts.select_related("caller").order_by("at", "pk"))
    if case.reported_at is None:
        return list(attempts)
    return [a for a in attempts if a.at >= case.reported_at]


def _role_of(user) -> str:
    if user is None or not user.is_authenticated or not user.is_active:
        return ""
    return Actor.for_user(user).role


# --- Spot checks (抽查) ----------------------------------------------------------------------------------


def callback_spot_check_sample(*, user, since: date, until: date, size: int) -> list[Dispute]:
    """A random sample of the closed cases in the user's area closed between `since` and `until` (inclusive).

    The draw is made by the database (ORDER BY random() over the ids of the
    filtered cases, LIMIT size): no case is loaded into Python to be drawn.
    """
    if _role_of(user) not in SPOT_CHECK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    for name, day in (("since", since), ("until", until)):
        if not dates.is_in_range(day):
            raise ApplicationError(dates.out_of_range_message(), code="period_invalid", extra={"field": name})
    if since > until:
        raise ApplicationError(_("The start of the period must not be after its end."), code="period_invalid")
    if not 1 <= size <= SPOT_CHECK_MAX_SIZE:
        raise ApplicationError(
            _("The sample must hold between 1 and %(max)d cases.") % {"max": SPOT_CHECK_MAX_SIZE},
            code="size_invalid",
        )
    start, end = _local_day_start(since), _local_day_start(until + timedelta(days=1))
    ids = list(
        disputes_visible_to(user)
        .filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end)
        .order_by("?")
        .values_list("pk", flat=True)[:size]
    )
    return list(spot_check_cases(user=user).filter(pk__in=ids))


def spot_check_cases(*, user) -> QuerySet[Dispute]:
    """Closed cases the user may spot-check, with their earlier checks, newest closed first (filter to a sample)."""
    if _role_of(user) not in SPOT_CHECK_ROLES:
        return Dispute.objects.none()
    return (
        disputes_visible_to(user)
        .filter(status=Status.CLOSED)
        .select_related("category", "lead_department", "assigned_mediator")
        .prefetch_related(
            Prefetch("spot_checks", queryset=SpotCheck.objects.select_related("checked_by").order_by("at", "pk"))
        )
        .order_by("-closed_at", "pk")
    )


def _local_day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def spot_check_record(*, dispute: Dispute | int, actor: Actor, result: str, remarks: str = "") -> SpotCheck:
    """Record a supervisor's check of a closed case: confirmed, or a problem found (with remarks). Atomic."""
    if actor.role not in SPOT_CHECK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    if result not in SpotCheck.Result.values:
        raise ApplicationError(_("Choose the result of the check."), code="result_required", extra={"field": "result"})
    remarks = (remarks or "").strip()[:MAX_REMARKS]
    if result == SpotCheck.Result.PROBLEM and not remarks:
        raise ApplicationError(_("Say what the problem is."), code="remarks_required", extra={"field": "remarks"})
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    with transaction.atomic():
        case = Dispute.objects.select_for_update().filter(pk=pk).first()
        if case is None or not disputes_visible_to(actor.user).filter(pk=pk).exists():
            raise NotFoundError(_("Case not found."))
        if case.status != Status.CLOSED:
            raise ApplicationError(_("Only closed cases can be spot-checked."), code="not_closed")
        now = timezone.now()
        check = SpotCheck.objects.create(dispute=case, checked_by=actor.user, at=now, result=result, remarks=remarks)
        CaseEvent.objects.create(
            dispute=case,
            at=now,
            actor=actor.user,
            actor_role=actor.role,
            kind=EventKind.SPOT_CHECK,
            reason=remarks,
            data={"result": result, "spot_check": check.pk},
        )
    return check
