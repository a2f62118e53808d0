"""Petitioners' personal data in clear, one field at a time, to those who work the petition; each view logged."""

from typing import Any

from django.utils.translation import gettext as _

from core import audit
from core.casework.people import REVEALABLE_FIELDS
from core.exceptions import ApplicationError, NotFoundError
from petitions.models import Petition, Petitioner
from petitions.selectors import user_works_petition

__all__ = ["REVEALABLE_FIELDS", "petitioner_reveal"]


def petitioner_reveal(*, user: Any, petition: Petition, petitioner_id: int, field: str) -> str:
    """Show one petitioner's phone, ID-card number or address in clear to someone working the petition; logged."""
    if field not in REVEALABLE_FIELDS:
        raise ApplicationError(_("This field cannot be revealed."), code="unknown_field")
    person = Petitioner.objects.filter(petition=petition, pk=petitioner_id).first()
    if person is None:
        raise NotFoundError(_("Petitioner not found."))
    value: str = audit.personal_data_reveal(
        user=user,
        value=getattr(person, field),
        what=f"petitioner.{field}",
        case_ref=petition.tracking_number,
        object_id=person.pk,
        allowed=user_works_petition(user, petition),
    )
    return value
