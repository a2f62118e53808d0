"""登记: registering a petition with its petitioners."""

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import dates
from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from core.types import RequestUser
from disputes.models import Category
from disputes.rules.tracking import new_tracking_number
from grids.models import Area, Department
from grids.roles import ADMIN, staff_profile
from petitions import rules
from petitions.models import Petition, Petitioner
from petitions.rules import DeadlineKind, EventKind, Status
from petitions.selectors import find_earlier_petition
from petitions.services.deadlines import deadline_open, next_due_refresh
from petitions.services.events import event_record
from petitions.services.transitions import require_role

PETITIONER_FIELDS = ("name", "phone", "id_number", "address")
# A tracking-number collision is 1 in 2^59: a few draws are plenty.
STORE_ATTEMPTS = 5


def petition_register(
    *,
    actor: Actor,
    form: str,
    matter: str,
    area: Area,
    category: Category,
    receiving_office: Department,
    petitioners: list[dict[str, Any]],
    received_on: date | None = None,
    handling_department: Department | None = None,
    leader_name: str = "",
    leader_user: Any = None,
    people_count: int | None = None,
) -> Petition:
    """登记: store a petition with its petitioners, flag a repeat or group petition, open the 15-day clock."""
    require_role(actor, rules.REGISTER_ROLES)
    matter = (matter or "").strip()
    if not matter:
        raise ApplicationError(_("Please describe the matter of the petition."), code="matter_required")
    if form not in rules.Form.values:
        raise ApplicationError(_("Unknown form of petition."), code="unknown_form")
    people = [p for p in petitioners if (p.get("name") or "").strip()]
    if not people:
        raise ApplicationError(_("A petition needs at least one petitioner."), code="petitioner_required")
    now = timezone.now()
    received_on = received_on or rules.local_date(now)
    if received_on > rules.local_date(now):
        raise ApplicationError(_("The date received cannot be in the future."), code="future_date")
    if not dates.is_in_range(received_on):
        # Its deadlines would start in the year 1, which cannot be stored in UTC (core.dates).
        raise ApplicationError(dates.out_of_range_message(), code="date_out_of_range")
    if actor.is_staff_member and not in_jurisdiction(actor.user, area):
        raise PermissionDeniedError(_("This area is outside your jurisdiction."), code="out_of_area")

    phones = {p.get("phone", "") for p in people}
    id_numbers = {p.get("id_number", "") for p in people}
    earlier = find_earlier_petition(
        area_id=area.pk, category_id=category.pk, matter=matter, phones=phones, id_numbers=id_numbers
    )
    is_group = max(len(people), people_count or 0) >= rules.GROUP_AT
    for _attempt in range(STORE_ATTEMPTS):
        try:
            with transaction.atomic():
                petition = Petition.objects.create(
                    tracking_number=new_tracking_number(),
                    form=form,
                    matter=matter,
                    area=area,
                    area_path=area.path,
                    category=category,
                    receiving_office=receiving_office,
                    received_on=received_on,
                    handling_department=handling_department,
                    leader_name=leader_name.strip(),
                    leader_user=leader_user,
                    people_count=people_count,
                    is_group=is_group,
                    is_repeat=earlier is not None,
                    repeat_of=earlier,
                )
                Petitioner.objects.bulk_create(
                    [Petitioner(petition=petition, **{k: p[k] for k in PETITIONER_FIELDS if k in p}) for p in people]
                )
                event_record(
                    petition,
                    actor,
                    EventKind.REGISTERED,
                    now=now,
                    to_status=Status.REGISTERED,
                    data={"form": form, "petitioners": len(people), "is_group": is_group},
                )
                if earlier is not None:
                    Petition.objects.filter(pk=earlier.pk).update(has_repeat=True, updated_at=now)
                    event_record(
                        petition,
                        actor,
                        EventKind.REPEAT_FLAGGED,
                        now=now,
                        data={"repeat_of": earlier.pk, "tracking_number": earlier.tracking_number},
                    )
                deadline_open(petition=petition, kind=DeadlineKind.DECIDE_ACCEPTANCE, now=now, start=received_on)
                next_due_refresh(petition)
                petition.save(update_fields=["next_due_at", "updated_at"])
            return petition
        except IntegrityError:
            continue  # a tracking-number collision: draw again
    raise ApplicationError(_("The petition could not be stored. Please try again."), code="store_failed")


def in_jurisdiction(user: RequestUser | None, area: Area) -> bool:
    """Whether a staff user may register a petition about `area`: their area or below (admins: anywhere)."""
    profile = staff_profile(user)
    if getattr(user, "is_superuser", False) or (profile is not None and profile.role == ADMIN):
        return True
    return profile is not None and area.path.startswith(profile.area.path)
