"""三函: the assignment, reminder and supervision letters, numbered per office and year."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.casework.transitions import WRONG_STATE
from core.exceptions import ApplicationError
from core.notifications import notify_staff_many
from core.staff_names import person_name
from grids.models import Department
from petitions import rules
from petitions.models import Petition, PetitionDeadline, PetitionLetter, PetitionLetterCounter
from petitions.rules import DeadlineKind, EventKind, LetterKind
from petitions.services.events import event_record
from petitions.services.notify import department_staff, staff_message
from petitions.services.transitions import petition_lock, refuse, require_role


def next_letter_number(*, office: Department, year: int) -> int:
    """The office's next number for the year: the counter row is locked until the letter's transaction ends."""
    try:
        # A savepoint: two first letters of a year race to create the row; the loser reads it.
        with transaction.atomic():
            PetitionLetterCounter.objects.get_or_create(office=office, year=year)
    except IntegrityError:
        pass
    counter = PetitionLetterCounter.objects.select_for_update().get(office=office, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def petition_issue_letter(
    *, petition: Petition | int, actor: Actor, kind: str, text: str = "", office: Department | None = None
) -> PetitionLetter:
    """交办函 / 提醒函 / 督办函: a numbered letter, recorded on the timeline and sent to its recipients.

    The assignment letter goes to the handling department; the reminder letter to
    the leader in charge (包案领导); the supervision letter is for repeat or
    overdue matters only.
    """
    require_role(actor, rules.LETTER_ROLES)
    if kind not in LetterKind.values:
        raise ApplicationError(_("Unknown kind of letter."), code="unknown_kind")
    with transaction.atomic():
        p = petition_lock(actor, petition)
        if p.status in rules.FINAL_STATUSES:
            refuse(WRONG_STATE, p)
        now = timezone.now()
        recipient, users = _recipients(p, kind, now)
        office = office or p.receiving_office
        year = rules.local_date(now).year
        number = next_letter_number(office=office, year=year)
        letter = PetitionLetter.objects.create(
            petition=p,
            kind=kind,
            office=office,
            year=year,
            number=number,
            recipient=recipient,
            issued_at=now,
            issued_by=actor.user,
            text=(text or "").strip() or _default_text(p, kind),
        )
        event_record(
            p,
            actor,
            EventKind.LETTER_ISSUED,
            now=now,
            data={"letter": letter.pk, "kind": kind, "number": letter.document_number, "to": recipient},
        )
        with translation.override(settings.LANGUAGE_CODE):
            body = _("%(letter)s %(number)s on petition %(petition)s.") % {
                "letter": LetterKind(kind).label,
                "number": letter.document_number,
                "petition": p.tracking_number_display,
            }
        notify_staff_many([staff_message(user, f"petition_{kind}_letter", body, p) for user in users])
    return letter


def _recipients(p: Petition, kind: str, now: datetime) -> tuple[str, list[Any]]:
    """Whom the letter is addressed to, and the accounts told of it."""
    if kind == LetterKind.REMINDER:
        leader = p.leader_user
        if not p.leader_name and leader is None:
            raise ApplicationError(
                _("Name the leader in charge before sending a reminder letter."), code="leader_required"
            )
        name = p.leader_name or person_name(leader)
        return name, [leader] if leader is not None and leader.is_active else []
    if kind == LetterKind.SUPERVISION:
        overdue = (
            PetitionDeadline.objects.open()
            .filter(petition=p, due_at__lt=now)
            .exclude(kind=DeadlineKind.REVIEW_REQUEST)
            .exists()
        )
        if not (p.is_repeat or overdue):
            raise ApplicationError(
                _("A supervision letter is for repeat or overdue petitions."), code="not_repeat_or_overdue"
            )
    department = p.handling_department
    if department is None:
        raise ApplicationError(_("Choose the handling department first."), code="department_required")
    return department.name, department_staff(department.pk)


def _default_text(p: Petition, kind: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"petition": p.tracking_number_display, "received": p.received_on.isoformat()}
        if kind == LetterKind.ASSIGNMENT:
            return (
                _(
                    "Petition %(petition)s, received on %(received)s, is assigned to you. Please handle it within "
                    "the statutory period and report the result in writing."
                )
                % values
            )
        if kind == LetterKind.REMINDER:
            return (
                _(
                    "As leader in charge of petition %(petition)s (received on %(received)s), please make sure it is "
                    "handled before its deadline."
                )
                % values
            )
        return (
            _(
                "Petition %(petition)s (received on %(received)s) is a repeat or overdue matter and is under "
                "supervision. Please report on its handling without delay."
            )
            % values
        )
