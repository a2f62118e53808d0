"""What every write to a case starts from: lock the case the actor may see, check who handles it,
refuse a finished case, write the timeline, tell the applicants.

The other service modules build on these; nothing here changes a case's status.
"""

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.notifications import notify_sms
from disputes.models import CaseEvent, Dispute
from disputes.rules.enums import FINAL_STATUSES, PartyRole
from disputes.selectors import dispute_get_for, disputes_visible_to
from disputes.selectors.routing import departments_serving
from grids import roles
from grids.models import Department

DisputeRef = Dispute | int


def dispute_pk(dispute: DisputeRef) -> int:
    """The primary key of a case given as a row or as its key."""
    return dispute.pk if isinstance(dispute, Dispute) else dispute


def reader_of(actor: Actor) -> Any:
    """Whose jurisdiction a write is checked against: a staff member's; None (everything) for the platform
    and for a resident already proven by tracking number and phone."""
    return actor.user if actor.is_staff_member else None


def lock_visible(dispute: DisputeRef, actor: Actor) -> Dispute:
    """Lock the case (SELECT … FOR UPDATE) if the actor may see it; NotFoundError otherwise (the same answer
    as for a case that does not exist). Call inside a transaction."""
    return dispute_get_for(reader_of(actor), dispute_pk(dispute), lock=True)


def check_jurisdiction(case: Dispute, actor: Actor) -> None:
    """A staff member acts only on cases they may see; the answer for any other is "not found"."""
    if not actor.is_staff_member:
        return
    if not disputes_visible_to(actor.user).filter(pk=case.pk).exists():
        # Same answer as a missing case: do not confirm that it exists.
        raise NotFoundError(_("Case not found."))


def holds_case(case: Dispute, actor: Actor) -> bool:
    """The assigned mediator, or a staff member of the lead department."""
    profile = roles.staff_profile(actor.user)
    return case.assigned_mediator_id == actor.user.pk or bool(
        profile is not None and profile.department_id and profile.department_id == case.lead_department_id
    )


def check_handler(case: Dispute, actor: Actor, action: str = "") -> None:
    """Handling actions belong to the lead department's staff or the assigned mediator (other roles pass).

    `action` names what is checked, for the reader of a traceback; the rule is the same for every action.
    """
    if actor.role not in roles.HANDLERS:
        return
    if not holds_case(case, actor):
        raise PermissionDeniedError(_("Only the department handling this case may do this."), code="not_handler")


def wrong_state(case: Dispute) -> ApplicationError:
    """The refusal for an action the case's status does not allow."""
    return ApplicationError(
        _("This action is not possible while the case is “%(status)s”.") % {"status": case.get_status_display()},
        code="wrong_state",
    )


def refuse_if_finished(case: Dispute) -> None:
    """Closed and withdrawn cases take no more edits."""
    if case.status in FINAL_STATUSES:
        raise wrong_state(case)


def check_department_serves(case: Dispute, department: Department) -> None:
    """A person sends a case (or asks for help) only to a department serving its place (`departments_serving`)."""
    if not department.is_active or not departments_serving(case.area_path).filter(pk=department.pk).exists():
        raise ApplicationError(
            _("This department does not serve the place of the case: choose one of its county."),
            code="department_not_eligible",
            extra={"field": "department"},
        )


def event_new(
    case: Dispute,
    actor: Actor,
    kind: str,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
    public: bool = False,
) -> CaseEvent:
    """An unsaved timeline event, for bulk_create (`event_record` stores one at once)."""
    return CaseEvent(
        dispute=case,
        at=now or timezone.now(),
        actor=actor.user,
        actor_role=actor.role,
        kind=kind,
        reason=reason,
        data=data or {},
        is_public=public,
    )


def event_record(
    case: Dispute,
    actor: Actor,
    kind: str,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
    public: bool = False,
) -> CaseEvent:
    """Write one event on the case's timeline (internal unless `public`)."""
    event = event_new(case, actor, kind, reason=reason, data=data, now=now, public=public)
    event.save()
    return event


def notify_applicants(case: Dispute, *, kind: str, message: Callable[[], str | Promise]) -> None:
    """An SMS to each applicant who gave a phone, queued on commit.

    `message` is called with the site's default language active: the resident's
    own language is not known here (the change is made by staff or a task).
    """
    phones = sorted(
        set(case.parties.filter(role=PartyRole.APPLICANT).exclude(phone="").values_list("phone", flat=True))
    )
    if not phones:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body = str(message())
    for phone in phones:
        notify_sms(phone=phone, kind=kind, body=body, dispute_id=case.pk)


_NUMBER_SLOT = "TRACKINGNUMBER"


@cache
def _case_link_pattern() -> str:
    # Reversed once per process, in the site's language: a stored link must not carry the prefix of the
    # language that happened to be active when it was written.
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("disputes:case", kwargs={"tracking_number": _NUMBER_SLOT})


def case_link(case: Dispute) -> str:
    """The staff case page, as an inbox item stores it (cheap enough for a sweep's thousands of rows)."""
    return _case_link_pattern().replace(_NUMBER_SLOT, case.tracking_number)
