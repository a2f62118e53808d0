"""回访 and 抽查 reads: the callers' queue (oldest due first, keyset-paged), a round's attempts, whether the
resident may rate, and the supervisors' spot-check sample of closed cases."""

from datetime import UTC, date, datetime, time, timedelta

from django.core import signing
from django.db.models import F, FilteredRelation, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core import dates
from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from core.types import RequestUser
from core.validators import normalise_phone
from disputes.callbacks import CALLBACK_ROLES, RATING_MAX_AGE, RATING_SALT, SPOT_CHECK_MAX_SIZE, SPOT_CHECK_ROLES
from disputes.models import CallbackAttempt, Dispute, Party, SpotCheck
from disputes.rules.enums import OPEN_STATUSES, DeadlineKind, PartyRole, Status
from disputes.selectors.access import cases_worked_by
from disputes.selectors.cases import disputes_visible_to
from disputes.selectors.queue import search

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def active_role(user: RequestUser | None) -> str:
    """The role of a signed-in, active user ("" for anyone else)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ""
    return Actor.for_user(user).role


# --- The resident's rating link ------------------------------------------------------------------------


def dispute_from_rating_token(token: str) -> Dispute | None:
    """The dispute a valid, unexpired token names; None for a tampered or expired token."""
    try:
        value = signing.TimestampSigner(salt=RATING_SALT).unsign(token, max_age=RATING_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not value.isdigit():
        return None
    return Dispute.objects.select_related("category", "lead_department").filter(pk=int(value)).first()


def resident_already_rated(case: Dispute) -> bool:
    """The resident has rated the current result (the one reported last)."""
    already = CallbackAttempt.objects.filter(dispute=case, source=CallbackAttempt.Source.RESIDENT)
    if case.reported_at is not None:
        already = already.filter(at__gte=case.reported_at)
    return already.exists()


def rating_refusal(case: Dispute) -> str:
    """Why this case cannot be rated now, in kind words; empty when it can."""
    if resident_already_rated(case):
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


# --- A round of calls ----------------------------------------------------------------------------------


def unanswered_attempts(case: Dispute) -> int:
    """Calls that did not reach the party since the case was last reported back."""
    attempts = CallbackAttempt.objects.filter(dispute=case, source=CallbackAttempt.Source.CALLER, reached=False)
    if case.reported_at is not None:
        attempts = attempts.filter(at__gte=case.reported_at)
    return attempts.count()


def unanswered_times(case: Dispute) -> list[datetime]:
    """When the caller's unanswered calls of this round were made (since the last report-back), oldest first."""
    attempts = CallbackAttempt.objects.filter(dispute=case, source=CallbackAttempt.Source.CALLER, reached=False)
    if case.reported_at is not None:
        attempts = attempts.filter(at__gte=case.reported_at)
    return list(attempts.order_by("at").values_list("at", flat=True))


def attempts_this_round(case: Dispute) -> list[CallbackAttempt]:
    """The attempts since the last report-back (from the queue's prefetch, or queried)."""
    attempts: list[CallbackAttempt] | None = getattr(case, "all_attempts", None)
    if attempts is None:
        attempts = list(case.callback_attempts.select_related("caller").order_by("at", "pk"))
    if case.reported_at is None:
        return list(attempts)
    return [a for a in attempts if a.at >= case.reported_at]


# --- The callers' queue --------------------------------------------------------------------------------


def callback_queue(*, user: RequestUser | None) -> QuerySet[Dispute]:
    """Cases awaiting their callback that this user may work, the oldest due first.

    Joined to the case's one open CALLBACK deadline (`callback_due`), so a
    nearer deadline of another kind (e.g. performance of the agreement) does
    not move the case in the queue. Sorted on (callback_due, id): page it by
    keyset (`callback_queue_after`), never by offset. Each row carries its
    applicants and its attempts (prefetched for the page only).
    """
    if active_role(user) not in CALLBACK_ROLES:
        return Dispute.objects.none()
    open_callback = Q(
        deadlines__kind=DeadlineKind.CALLBACK,
        deadlines__done_at__isnull=True,
        deadlines__cancelled_at__isnull=True,
    )
    # No filter on the status: a case has an open CALLBACK deadline exactly while it awaits its
    # callback (the await_callback transition opens it; close and reopen, the only ways out, finish
    # it: disputes.rules.effects, checked by tests/disputes/services/test_transitions.py). Stated as
    # a status filter as well, the condition made PostgreSQL expect a few dozen rows (it cannot know
    # the two go together) and sort every waiting case of the area; without it, it walks the partial
    # index `deadline_open_callback` in due order and stops after a page: 3 ms instead of 40 for a
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


# A party's whole phone number: mobiles have 11 digits, landlines with their area code 10 to 12.
PHONE_DIGITS = 7


def callback_queue_search(
    queryset: QuerySet[Dispute], text: str | None, *, user: RequestUser | None
) -> QuerySet[Dispute]:
    """The callers' search over `callback_queue`: a tracking number, words of the description or a party's
    name, as the case queue searches (`disputes.selectors.queue.search`), or a party's whole phone number
    (a resident calling back gives theirs). Matches by anything but the number only among the cases the
    user works (`cases_worked_by`), as in the case queue."""
    text = (text or "").strip()[:100]
    if not text:
        return queryset
    worked = cases_worked_by(user)
    phone = normalise_phone(text)
    if len(phone) >= PHONE_DIGITS and not any(ch.isalpha() for ch in text):
        by_phone = Q(pk__in=Party.objects.filter(phone=phone).values("dispute_id"))
        return queryset.filter(by_phone if worked is None else by_phone & worked)
    return search(queryset, text, worked=worked)


def callback_queue_after(queryset: QuerySet[Dispute], cursor: str | None) -> QuerySet[Dispute]:
    """The rows after a keyset cursor from `queue_cursor` (an unreadable cursor starts at the top)."""
    position = parse_queue_cursor(cursor)
    if position is None:
        return queryset
    due, pk = position
    return queryset.filter(Q(callback_due__gt=due) | Q(callback_due=due, pk__gt=pk))


def queue_cursor(case: Dispute) -> str:
    """The keyset position of a row: microseconds since the epoch and the id."""
    delta: timedelta = case.callback_due - _EPOCH  # type: ignore[attr-defined]  # callback_queue's annotation
    return f"{delta // timedelta(microseconds=1)}.{case.pk}"


def parse_queue_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """(due, id) out of a `queue_cursor`; None for anything else."""
    micros, _dot, pk = (cursor or "").partition(".")
    if not (micros.isdigit() and pk.isdigit()):
        return None
    return _EPOCH + timedelta(microseconds=int(micros)), int(pk)


# --- Spot checks (抽查) ----------------------------------------------------------------------------------


def callback_spot_check_sample(*, user: RequestUser | None, since: date, until: date, size: int) -> list[Dispute]:
    """A random sample of the closed cases in the user's area closed between `since` and `until` (inclusive).

    The draw is made by the database (ORDER BY random() over the ids of the
    filtered cases, LIMIT size): no case is loaded into Python to be drawn.
    """
    if active_role(user) not in SPOT_CHECK_ROLES:
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


def spot_check_cases(*, user: RequestUser | None) -> QuerySet[Dispute]:
    """Closed cases the user may spot-check, with their earlier checks, newest closed first (filter to a sample)."""
    if active_role(user) not in SPOT_CHECK_ROLES:
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
