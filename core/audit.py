"""Audit of personal-data access (个人信息访问记录): who saw, exported or printed whose data."""

import logging
from typing import Any

from django.utils.translation import gettext as _

from core import throttling, two_factor
from core.exceptions import ApplicationError, PermissionDeniedError, TooManyRequestsError
from core.models import PersonalDataAccess

logger = logging.getLogger(__name__)


def log_personal_data_access(
    *,
    user,
    action: str,
    what: str,
    case_ref: str = "",
    object_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> PersonalDataAccess:
    """Append one row to the access log. Call it when the data is shown, not when it is merely loaded.

    `action` is a `PersonalDataAccess.Action` ("reveal", "export", "print"), `what` names the field
    ("party.phone"), `case_ref` the case's tracking number. Never put the personal data itself in `detail`.
    """
    return PersonalDataAccess.objects.create(
        user=user,
        action=action,
        what=what,
        case_ref=case_ref,
        object_id=object_id,
        detail=detail or {},
    )


def log_phones_shown(*, user, people, what: str, case_ref: str, page: str) -> None:
    """Log one reveal per person whose phone a page shows in clear (a caller's callback page).

    The same checks as a reveal come first (`check_reveal`: the second factor, the hourly
    pace, one count per phone): on a refusal nothing is logged and the page must show
    the phones masked.
    """
    people = [person for person in people if person.phone]
    if not people:
        return
    check_reveal(user=user, what=what, count=len(people))
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            user=user,
            action=PersonalDataAccess.Action.REVEAL,
            what=what,
            case_ref=case_ref,
            object_id=person.pk,
            detail={"page": page},
        )
        for person in people
    )


# The refusals of personal_data_reveal about this user's sign-in or pace rather than the case: a page shows
# them beside the (still masked) record instead of an error page.
REVEAL_HELD_BACK_CODES = frozenset({"two_factor_required", "reveal_limit"})


def phones_for_callback(*, user, people, what: str, case_ref: str, page: str) -> tuple[bool, str]:
    """A callback page's phones: (shown in clear, why held back) after `log_phones_shown`'s checks.

    A refusal about the caller's sign-in or pace keeps the phones masked with its reason beside
    them, so the caller can still record the call; any other refusal is raised.
    """
    try:
        log_phones_shown(user=user, people=people, what=what, case_ref=case_ref, page=page)
    except ApplicationError as exc:
        if exc.code not in REVEAL_HELD_BACK_CODES:
            raise
        return False, str(exc.message)
    return True, ""


def check_reveal(*, user, what: str, count: int = 1) -> None:
    """What every showing of personal data in clear passes, after the caller's own rule (works the case).

    403 "two_factor_required" for a user who must use two-factor sign-in and has not passed a
    code in this session (core.two_factor.check_verified_for_reveal); 429 "reveal_limit" past
    PERSONAL_DATA_REVEALS_PER_HOUR values shown to this user in the clock hour
    (core.throttling.REVEALS_PER_USER, `count` values now). The refusal is logged by user id only.
    """
    two_factor.check_verified_for_reveal(user)
    limit = throttling.REVEALS_PER_USER
    for _n in range(count):
        if not throttling.count(limit, f"user:{user.pk}"):
            logger.warning("Reveal refused: user %s is past %s reveals this hour (%s)", user.pk, limit.allowed, what)
            raise TooManyRequestsError(
                limit.message, code="reveal_limit", retry_after=throttling.seconds_left(limit.window)
            )


def personal_data_reveal(
    *,
    user,
    value: str,
    what: str,
    case_ref: str,
    allowed: bool,
    object_id: int | None = None,
) -> str:
    """揭示: hand one masked value to `user` in clear, and log it. Refused, and not logged, when not `allowed`.

    The caller decides `allowed` with its own rule (for a case: whether the user
    works it, `disputes.selectors.access.user_works_case`) and passes the clear value;
    the log records who, when, which case and which field, never the value.

    Also refused, whatever the door (page, staff API):
    - 403 "two_factor_required" to a user who must use two-factor sign-in and has not
      passed a code in this session (core.two_factor.check_verified_for_reveal);
    - 429 "reveal_limit" past PERSONAL_DATA_REVEALS_PER_HOUR reveals of this user in the
      clock hour (core.throttling.REVEALS_PER_USER); the refusal is logged by user id only.
    """
    if not allowed:
        raise PermissionDeniedError(_("Only the people working this case may see this in full."), code="reveal_refused")
    check_reveal(user=user, what=what)
    log_personal_data_access(
        user=user,
        action=PersonalDataAccess.Action.REVEAL,
        what=what,
        case_ref=case_ref,
        object_id=object_id,
    )
    return value


def log_records_shown(*, user, case_ref: str, records, page: str, action: str = "") -> None:
    """Log one reveal (or `action`) per record a page or API answer shows in clear, in one insert.

    For records read whole rather than field by field: `records` holds (what, object id) pairs such as
    ("session.attendees", session.pk) or ("agreement", agreement.pk). Nothing is written when it is empty.
    """
    rows = [
        PersonalDataAccess(
            user=user,
            action=action or PersonalDataAccess.Action.REVEAL,
            what=what,
            case_ref=case_ref,
            object_id=object_id,
            detail={"page": page},
        )
        for what, object_id in records
    ]
    if rows:
        PersonalDataAccess.objects.bulk_create(rows)
