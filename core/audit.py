"""Audit of personal-data access (个人信息访问记录): who saw, exported or printed whose data."""

from typing import Any

from django.utils.translation import gettext as _

from core.exceptions import PermissionDeniedError
from core.models import PersonalDataAccess


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
    """Log one reveal per person whose phone a page shows in clear (a caller's callback page)."""
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
        if person.phone
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
    works it, `disputes.workbench.user_works_case`) and passes the clear value;
    the log records who, when, which case and which field, never the value.
    """
    if not allowed:
        raise PermissionDeniedError(_("Only the people working this case may see this in full."), code="reveal_refused")
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
