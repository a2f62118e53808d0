"""当事人: who may add a party to a case, how a party's fields are checked, and showing one in clear."""

from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from core import audit
from core.actors import Actor
from core.casework.people import REVEALABLE_FIELDS
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.validators import validate_id_number, validate_mobile
from disputes.models import Dispute, Party
from disputes.rules.enums import EventKind, PartyRole, Status
from disputes.selectors.access import user_works_case
from disputes.services.casefile import DisputeRef, check_handler, event_record, lock_visible, refuse_if_finished
from disputes.services.triage import dispute_retriage
from grids import roles

PARTY_ROLES = frozenset({roles.DISPATCHER, roles.SUPERVISOR, roles.ADMIN, roles.MEDIATOR, roles.DEPARTMENT_STAFF})
# From the report-back on, an applicant's phone opens the tracking page and the rating link that decides
# the callback: nobody joins the case as an applicant then.
APPLICANT_CLOSED_STATUSES = frozenset({Status.REPORTED, Status.AWAITING_CALLBACK, Status.CLOSED, Status.WITHDRAWN})
PARTY_FIELDS = (
    "role",
    "name",
    "phone",
    "id_number",
    "address",
    "is_minor",
    "is_elderly",
    "is_disabled",
    "is_pregnant",
)

__all__ = [
    "APPLICANT_CLOSED_STATUSES",
    "PARTY_FIELDS",
    "PARTY_ROLES",
    "REVEALABLE_FIELDS",
    "check_party_adder",
    "clean_party",
    "dispute_add_party",
    "party_fields",
    "party_reveal",
]


def _max_length(field: str) -> int:
    """How long a party's text field may be (its column's max_length)."""
    column = Party._meta.get_field(field)
    return cast(int, column.max_length if isinstance(column, models.Field) else None)


def party_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The stored fields of a party out of what a door was given (other keys are dropped)."""
    return {k: data[k] for k in PARTY_FIELDS if k in data}


def check_party_adder(case: Dispute, actor: Actor, *, role: str = "") -> None:
    """Who may add a party to a case: the one rule the API and the pages share.

    - the case's handlers: its assigned mediator and the lead department's staff;
    - a dispatcher or supervisor whose area covers the case's place;
    - an administrator.
    Nobody else who can see the case: not an assisting department, not a callback
    caller (they phone the parties; they do not decide who the parties are), not a
    dispatcher who sees it only through a department. An applicant (`role`) is
    further held back once the case has been reported back (see `dispute_add_party`).
    """
    if actor.role in roles.HANDLERS:
        check_handler(case, actor, "add_party")
    elif actor.role in (roles.DISPATCHER, roles.SUPERVISOR):
        profile = roles.staff_profile(actor.user)
        if profile is None or not case.area_path.startswith(profile.area.path):
            raise PermissionDeniedError(_("Only staff of the case's area may do this."), code="not_in_area")
    elif actor.role != roles.ADMIN:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    if role == PartyRole.APPLICANT and case.status in APPLICANT_CLOSED_STATUSES:
        raise ApplicationError(
            _("An applicant cannot be added once the case has been reported back."),
            code="applicant_too_late",
        )


def clean_party(party: dict[str, Any]) -> dict[str, Any]:
    """A party's fields as stored, checked the way the intake forms check them (core.validators).

    The phone is a mainland mobile number, stored normalised (11 digits); the
    ID-card number passes its check digit. Refusals name their field.
    """
    values = party_fields(party)
    values["name"] = (values.get("name") or "").strip()
    if not values["name"] or values.get("role") not in PartyRole.values:
        raise ApplicationError(_("Give the party's name and role."), code="party_invalid")
    if len(values["name"]) > _max_length("name"):
        raise ApplicationError(_("The name is too long."), code="party_invalid", extra={"field": "name"})
    for name, validate in (("phone", validate_mobile), ("id_number", validate_id_number)):
        value = (values.get(name) or "").strip()
        if value:
            try:
                value = validate(value)
            except DjangoValidationError as exc:
                raise ApplicationError(exc.messages[0], code=f"invalid_{name}", extra={"field": name}) from None
        values[name] = value
    address = (values.get("address") or "").strip()
    if len(address) > _max_length("address"):
        raise ApplicationError(_("The address is too long."), code="party_invalid", extra={"field": "address"})
    values["address"] = address
    return values


def dispute_add_party(*, dispute: DisputeRef, actor: Actor, party: dict[str, Any], reason: str = "") -> Party:
    """A party joins the case (new information): stored, then triage runs again.

    Only those `check_party_adder` names may add one. An applicant is more than a
    name on the file: their phone opens the tracking page (with the case's
    timeline) and receives the case's text messages, the rating link among them.
    So adding an applicant needs a reason, kept on the PARTY_ADDED event with who
    added them, and is refused once the case has been reported back.
    """
    values = clean_party(party)
    reason = (reason or "").strip()
    if values["role"] == PartyRole.APPLICANT and not reason:
        raise ApplicationError(
            _("Say why this person joins the case as an applicant."), code="reason_required", extra={"field": "reason"}
        )
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_party_adder(case, actor, role=values["role"])
        refuse_if_finished(case)
        created = Party.objects.create(dispute=case, **values)
        event_record(
            case, actor, EventKind.PARTY_ADDED, reason=reason, data={"party": created.pk, "role": created.role}
        )
        dispute_retriage(dispute=case, actor=actor, cause="party_added")
    return created


def party_reveal(*, user: Any, dispute: Dispute, party_id: int, field: str) -> str:
    """Show one party's phone, ID-card number or address in clear, and log who saw it (core.audit)."""
    if field not in REVEALABLE_FIELDS:
        raise ApplicationError(_("This field cannot be revealed."), code="unknown_field")
    party = Party.objects.filter(dispute=dispute, pk=party_id).first()
    if party is None:
        raise NotFoundError(_("Party not found."))
    revealed: str = audit.personal_data_reveal(
        user=user,
        value=getattr(party, field),
        what=f"party.{field}",
        case_ref=dispute.tracking_number,
        object_id=party.pk,
        allowed=user_works_case(user, dispute),
    )
    return revealed
