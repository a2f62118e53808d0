"""回访 by the resident: the rating link in the closing SMS.

After the report-back the applicant receives an SMS with a signed link
(`rating_token`). Opening it lets them say whether they are satisfied, which
counts as a callback attempt that reached them: satisfied (or basically
satisfied) closes the case, dissatisfied reopens it.

One rating per report-back: a second answer is refused rather than taken as
an update, because the first one has already closed or reopened the case and
the timeline must not be rewritten. After a reopened case is reported back
again, the same link can rate the new outcome.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError
from disputes import services
from disputes.models import CallbackAttempt, CaseEvent, Dispute, Satisfaction
from disputes.rules.enums import OPEN_STATUSES, EventKind, Status

RATING_SALT = "rate"
RATING_MAX_AGE = 30 * 24 * 3600  # seconds: the link in the SMS works for 30 days
MAX_REMARKS = 1000


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
        now = timezone.now()
        attempt = CallbackAttempt.objects.create(
            dispute=case,
            at=now,
            source=CallbackAttempt.Source.RESIDENT,
            reached=True,
            satisfaction=satisfaction,
            remarks=remarks,
        )
        CaseEvent.objects.create(
            dispute=case,
            at=now,
            actor_role=Actor.resident().role,
            kind=EventKind.CALLBACK,
            data={"source": CallbackAttempt.Source.RESIDENT, "satisfaction": satisfaction, "attempt": attempt.pk},
            reason=remarks,
        )
        if satisfaction == Satisfaction.DISSATISFIED:
            services.dispute_transition(
                dispute=case,
                action="reopen",
                actor=Actor.resident(),
                reason=remarks or _("The resident is not satisfied with the result."),
            )
        else:
            services.dispute_transition(
                dispute=case,
                action="close",
                actor=Actor.system(),
                reason=_("The resident rated the result: %(rating)s.") % {"rating": Satisfaction(satisfaction).label},
            )
    return attempt


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
