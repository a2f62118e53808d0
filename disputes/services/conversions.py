"""民转刑 / 刑转命: recording that a case later became a criminal case (or a homicide), and its review.

The police's referral back (or the centre's own look through the police's files) tells the centre that a
dispute it held later became a crime. A supervisor whose area covers the case, or an administrator, records it
on the case (`conversion_record`) with the police's case number and the dates; the case's timeline gets a note,
and the lead department's head and the supervisors of every level above the case's place are told in their
inbox. A supervisor of a level above the case's place (or an administrator) then writes the review that asks
what was missed, by whom and what changes (复盘倒查), with its accountability outcome (追责):
`conversion_review`, which may be saved again as the review goes on.

Dispatchers do not record one: the register is the supervisors' record of their area (a dispatcher who hears of
one tells a supervisor). A correct referral of a crime to the police (outcome "police", 移送公安) is not a
conversion and is counted apart (`disputes.statistics.Figures.referred_to_police`).

Every check lives here, so the pages and the API refuse the same things. Each write locks the case first.
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.models import Notification
from core.notifications import notify_staff_many
from disputes.dashboard.conversions import conversions_visible_to
from disputes.models import CriminalConversion, Dispute
from disputes.rules.enums import EventKind
from disputes.services.casefile import event_record, lock_visible
from grids import roles
from grids.areas import ancestor_paths

RECORD_ROLES = frozenset({roles.SUPERVISOR, roles.ADMIN})
REVIEW_ROLES = RECORD_ROLES
MAX_TEXT = 5000
MAX_NUMBER = 60
MAX_UNIT = 100
# At most this many people are told of one conversion (the supervisors of each level, and the head).
MAX_TOLD = 50

KINDS = frozenset(CriminalConversion.Kind.values)
ACCOUNTABILITY = frozenset(CriminalConversion.Accountability.values)


def conversion_url(conversion: CriminalConversion) -> str:
    """The conversion's page (its review), as an inbox item stores it: in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("disputes:conversion", kwargs={"pk": conversion.pk})


# --- Who may ---------------------------------------------------------------------------------------------


def _area_path_of(actor: Actor) -> str | None:
    """The actor's area's path; "" for an administrator (the whole tree); None for anyone else."""
    if actor.role == roles.ADMIN:
        return ""
    profile = roles.staff_profile(actor.user)
    if actor.role == roles.SUPERVISOR and profile is not None:
        return str(profile.area.path)
    return None


def may_record(user: Any, case: Dispute) -> bool:
    """A supervisor whose area covers the case's place, or an administrator (the pages offer what is accepted)."""
    path = _area_path_of(Actor.for_user(user)) if user is not None else None
    return path is not None and case.area_path.startswith(path)


def may_review(user: Any, case: Dispute) -> bool:
    """A supervisor of a level above the case's place (their area strictly contains it), or an administrator."""
    path = _area_path_of(Actor.for_user(user)) if user is not None else None
    return path is not None and case.area_path.startswith(path) and len(path) < len(case.area_path)


def _check_role(actor: Actor, allowed: frozenset[str], message: str) -> None:
    if actor.role not in allowed:
        raise PermissionDeniedError(message, code="wrong_role")


# --- Checks on what is written ----------------------------------------------------------------------------


def _text(value: str | None, *, field: str, limit: int, required: str | None) -> str:
    text = (value or "").strip()
    if not text and required is not None:
        raise ApplicationError(required, code=f"{field}_required", extra={"field": field})
    if len(text) > limit:
        raise ApplicationError(
            _("Write at most %(count)d characters.") % {"count": limit}, code="text_too_long", extra={"field": field}
        )
    return text


def _check_dates(case: Dispute, occurred_on: date, reported_on: date) -> None:
    today = timezone.localdate()
    if occurred_on > today:
        raise ApplicationError(
            _("The date of the crime cannot be in the future."), code="date_in_future", extra={"field": "occurred_on"}
        )
    if reported_on > today:
        raise ApplicationError(
            _("The date the police told the centre cannot be in the future."),
            code="date_in_future",
            extra={"field": "reported_on"},
        )
    submitted_on = timezone.localdate(case.submitted_at)
    if occurred_on < submitted_on:
        raise ApplicationError(
            _("The crime happened before the dispute was submitted (%(day)s): it did not grow out of this case.")
            % {"day": submitted_on.isoformat()},
            code="before_submission",
            extra={"field": "occurred_on"},
        )
    if reported_on < occurred_on:
        raise ApplicationError(
            _("The police cannot have told the centre before the crime happened."),
            code="reported_before_crime",
            extra={"field": "reported_on"},
        )


# --- Who is told -----------------------------------------------------------------------------------------


def _told_of(case: Dispute, actor: Actor) -> list[Any]:
    """The lead department's head(s) and the active supervisors of every level above the case's place."""
    users = get_user_model().objects.filter(is_active=True)
    people: dict[int, Any] = {}
    if case.lead_department_id is not None:
        for user in users.filter(staff__department_id=case.lead_department_id, staff__is_head=True).order_by("pk")[:5]:
            people[user.pk] = user
    supervisors = users.filter(
        staff__role=roles.SUPERVISOR, staff__area__path__in=ancestor_paths(case.area_path)
    ).order_by("pk")[:MAX_TOLD]
    for user in supervisors:
        people.setdefault(user.pk, user)
    if actor.user is not None:
        people.pop(actor.user.pk, None)
    return list(people.values())[:MAX_TOLD]


RECORDED = gettext_noop("Case %(case)s later became %(kind)s (police case number %(number)s): review it.")
REVIEWED = gettext_noop("The review of case %(case)s (%(kind)s) has been written.")


def _notice(text: str, conversion: CriminalConversion) -> str:
    """An inbox sentence in the site's language: numbers only, no personal data."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(text) % {
            "case": conversion.dispute.tracking_number_display,
            "kind": conversion.get_kind_display(),
            "number": conversion.police_case_number,
        }


def _tell(conversion: CriminalConversion, people: list[Any], kind: str, text: str) -> None:
    body = _notice(text, conversion)
    link = conversion_url(conversion)
    notify_staff_many(
        [
            Notification(
                channel=Notification.Channel.STAFF,
                recipient_user=user,
                kind=kind,
                body=body,
                dispute_id=conversion.dispute_id,
                link=link,
            )
            for user in people
        ]
    )


# --- Record ----------------------------------------------------------------------------------------------


def conversion_record(
    actor: Actor,
    dispute: Dispute | int,
    *,
    kind: str,
    police_case_number: str,
    police_unit: str = "",
    occurred_on: date,
    reported_on: date,
    summary: str,
) -> CriminalConversion:
    """民转刑 / 刑转命: record that this case later became a criminal case (`kind` "criminal") or a homicide
    ("homicide"), from the police's referral back. Once per case and kind; the case may be finished."""
    _check_role(actor, RECORD_ROLES, _("Only a supervisor may record that a dispute became a criminal case."))
    if kind not in KINDS:
        raise ApplicationError(_("Choose what the dispute became."), code="kind_invalid", extra={"field": "kind"})
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        if not may_record(actor.user, case):
            raise PermissionDeniedError(
                _("Only a supervisor whose area covers the case may record this."), code="not_in_area"
            )
        number = _text(
            police_case_number,
            field="police_case_number",
            limit=MAX_NUMBER,
            required=_("Enter the police case number."),
        )
        unit = _text(police_unit, field="police_unit", limit=MAX_UNIT, required=None)
        text = _text(summary, field="summary", limit=MAX_TEXT, required=_("Say what happened."))
        _check_dates(case, occurred_on, reported_on)
        if CriminalConversion.objects.filter(dispute=case, kind=kind).exists():
            raise ConflictError(
                _("This case has already been recorded as “%(kind)s”.") % {"kind": CriminalConversion.Kind(kind).label},
                code="already_recorded",
                extra={"field": "kind"},
            )
        conversion = CriminalConversion.objects.create(
            dispute=case,
            kind=kind,
            area_path=case.area_path,
            police_case_number=number,
            police_unit=unit,
            occurred_on=occurred_on,
            reported_on=reported_on,
            summary=text,
            recorded_by=actor.user,
        )
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("Recorded as “%(kind)s”: police case number %(number)s, the crime on %(day)s.") % {
                "kind": conversion.get_kind_display(),
                "number": number,
                "day": occurred_on.isoformat(),
            }
        event_record(
            case,
            actor,
            EventKind.NOTE,
            reason=reason,
            data={"conversion": conversion.pk, "conversion_kind": kind, "police_case_number": number},
        )
        _tell(conversion, _told_of(case, actor), "criminal_conversion", RECORDED)
    return conversion


# --- Review (复盘倒查) and accountability (追责) ------------------------------------------------------------


def conversion_get_for(user: Any, pk: int, *, lock: bool = False) -> CriminalConversion:
    """A conversion on a case `user` may see and whose area they cover (supervisors, administrators);
    NotFoundError otherwise, the same answer as for one that does not exist."""
    rows = conversions_visible_to(user).select_related("dispute")
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(pk=pk).first()
    if found is None:
        raise NotFoundError(_("No such record."))
    return found


def conversion_review(
    actor: Actor,
    conversion: CriminalConversion | int,
    *,
    missed: str,
    responsible: str,
    changes: str,
    accountability: str = "",
    notes: str = "",
) -> CriminalConversion:
    """复盘倒查: what was missed, by whom, what changes; 追责: the accountability outcome and its notes. Written by a
    supervisor of a level above the case's place (or an administrator); saved again as the review goes on."""
    _check_role(actor, REVIEW_ROLES, _("Only a supervisor may review a dispute that became a criminal case."))
    pk = conversion.pk if isinstance(conversion, CriminalConversion) else conversion
    with transaction.atomic():
        case_id = CriminalConversion.objects.filter(pk=pk).values_list("dispute_id", flat=True).first()
        if case_id is None:
            raise NotFoundError(_("No such record."))
        case = lock_visible(case_id, actor)
        found = conversion_get_for(actor.user, pk, lock=True)
        if not may_review(actor.user, case):
            raise PermissionDeniedError(
                _("The review is written by a supervisor of a level above the case's place."), code="not_above"
            )
        found.review_missed = _text(missed, field="missed", limit=MAX_TEXT, required=_("Say what was missed."))
        found.review_responsible = _text(
            responsible, field="responsible", limit=MAX_TEXT, required=_("Say who was responsible.")
        )
        found.review_changes = _text(changes, field="changes", limit=MAX_TEXT, required=_("Say what changes."))
        if (accountability or "") not in ACCOUNTABILITY:
            raise ApplicationError(
                _("Choose an accountability outcome from the list."),
                code="accountability_invalid",
                extra={"field": "accountability"},
            )
        found.accountability = accountability or ""
        found.accountability_notes = _text(notes, field="notes", limit=MAX_TEXT, required=None)
        first = found.reviewed_at is None
        found.reviewed_by = actor.user
        found.reviewed_at = timezone.now()
        found.save(
            update_fields=[
                "review_missed",
                "review_responsible",
                "review_changes",
                "accountability",
                "accountability_notes",
                "reviewed_by",
                "reviewed_at",
            ]
        )
        with translation.override(settings.LANGUAGE_CODE):
            reason = (
                _("The review of “%(kind)s” was written.") if first else _("The review of “%(kind)s” was revised.")
            ) % {"kind": found.get_kind_display()}
        event_record(
            case,
            actor,
            EventKind.NOTE,
            reason=reason,
            data={
                "conversion": found.pk,
                "conversion_kind": found.kind,
                "reviewed": True,
                "accountability": found.accountability,
            },
        )
        if first and found.recorded_by_id is not None and found.recorded_by_id != actor.user.pk:
            recorder = found.recorded_by
            if recorder is not None and recorder.is_active:
                _tell(found, [recorder], "criminal_conversion_reviewed", REVIEWED)
    return found
