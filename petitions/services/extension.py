"""延期: extending a petition's handling period."""

from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError
from petitions import rules
from petitions.models import Petition, PetitionDeadline
from petitions.rules import DeadlineKind, EventKind
from petitions.services.deadlines import next_due_refresh
from petitions.services.events import event_record
from petitions.services.transitions import petition_lock, require_role


def petition_extend(*, petition: Petition | int, actor: Actor, days: int, reason: str) -> PetitionDeadline:
    """延期: the handling period, once, by at most 30 days, approved by a supervisor with a reason."""
    require_role(actor, rules.EXTENSION_APPROVERS)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason for this action."), code="reason_required")
    if not 1 <= int(days) <= rules.MAX_EXTENSION_DAYS:
        raise ApplicationError(
            _("An extension is between 1 and %(max)d days.") % {"max": rules.MAX_EXTENSION_DAYS}, code="too_long"
        )
    with transaction.atomic():
        p = petition_lock(actor, petition)
        if PetitionDeadline.objects.filter(petition=p, kind=DeadlineKind.HANDLE, extended_days__gt=0).exists():
            raise ApplicationError(_("The handling period has already been extended once."), code="already_extended")
        deadline = (
            PetitionDeadline.objects.open().select_for_update().filter(petition=p, kind=DeadlineKind.HANDLE).first()
        )
        if deadline is None:
            raise ApplicationError(_("There is no handling period to extend."), code="nothing_to_extend")
        old_due = deadline.due_at
        deadline.due_at = old_due + timedelta(days=int(days))
        deadline.extended_days = int(days)
        deadline.extension_approved_by = actor.user
        deadline.extension_reason = reason
        # The ladder starts again from the new date.
        deadline.escalation_level = 0
        deadline.escalated_at = None
        deadline.escalate_at = rules.first_rung(kind=deadline.kind, due=deadline.due_at)
        deadline.save()
        next_due_refresh(p)
        p.save(update_fields=["next_due_at", "updated_at"])
        event_record(
            p,
            actor,
            EventKind.EXTENDED,
            reason=reason,
            data={"days": int(days), "from": old_due.isoformat(), "to": deadline.due_at.isoformat()},
        )
    return deadline
