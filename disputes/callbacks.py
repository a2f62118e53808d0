"""回访: the callback's shared rules and wording, for cases and petitions alike.

Reporting back opens a CALLBACK deadline due `CALLBACK_DUE_DAYS` (7) days later,
swept like any other deadline. Two doors lead to the same outcome logic
(`disputes.services.callbacks`), so they behave alike:

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

Here: who may call back and spot-check, the check every phone attempt passes
and its verdict (the rules are `core.casework.callbacks`, shared with the
petitions' callback), the reasons written on the timeline, and the signed
rating link. The callers' queue and the spot-check sample are reads
(`disputes.selectors.callbacks`); recording is a service (`disputes.services.callbacks`).
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.casework import callbacks as callback_rules
from core.casework.callbacks import MAX_REMARKS, MAX_UNANSWERED
from core.exceptions import ApplicationError, PermissionDeniedError
from disputes.models import Dispute
from grids import roles

__all__ = [
    "CALLBACK_ROLES",
    "MAX_REMARKS",
    "MAX_UNANSWERED",
    "RATING_MAX_AGE",
    "RATING_SALT",
    "REASON_TEXT",
    "SPOT_CHECK_MAX_SIZE",
    "SPOT_CHECK_ROLES",
    "callback_attempt_check",
    "callback_reason_text",
    "callback_verdict",
    "rating_token",
    "rating_url",
]

RATING_SALT = "rate"
RATING_MAX_AGE = 30 * 24 * 3600  # seconds: the link in the SMS works for 30 days

CALLBACK_ROLES = frozenset({roles.CALLBACK_CALLER, roles.SUPERVISOR, roles.ADMIN})
SPOT_CHECK_ROLES = frozenset({roles.SUPERVISOR, roles.ADMIN})
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


def rating_url(dispute: Dispute) -> str:
    """The public link put in the SMS (always the Chinese, unprefixed page)."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("disputes:rate", kwargs={"token": rating_token(dispute)})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def callback_attempt_check(*, role: str, reached: bool, satisfaction: str) -> str:
    """The checks every phone callback passes, case or petition: the caller's role and a verdict only when reached.

    Returns the satisfaction to store ("" when not reached).
    """
    if role not in CALLBACK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    satisfaction = satisfaction or ""
    problem = callback_rules.attempt_problem(reached=reached, satisfaction=satisfaction)
    if problem == "satisfaction_required":
        raise ApplicationError(_("Record how satisfied the party is."), code=problem, extra={"field": "satisfaction"})
    if problem == "satisfaction_forbidden":
        raise ApplicationError(
            _("A party who was not reached cannot give an opinion."), code=problem, extra={"field": "satisfaction"}
        )
    return satisfaction


def callback_verdict(*, reached: bool, satisfaction: str, unanswered: int) -> str | None:
    """What one attempt decides (a `CallbackResult` value), or None while another call is still to be made.

    `unanswered` counts the unanswered calls of this round, this one included (`core.casework.callbacks.verdict`).
    """
    return callback_rules.verdict(reached=reached, satisfaction=satisfaction, unanswered=unanswered)
