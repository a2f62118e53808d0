"""转为纠纷: a petition that is really a dispute becomes a dispute case."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.actors import Actor
from core.casework.transitions import REASON_REQUIRED
from core.exceptions import ApplicationError
from disputes.models import CaseEvent, Dispute
from disputes.rules.enums import Channel, PartyRole
from disputes.rules.enums import EventKind as DisputeEventKind
from disputes.services import dispute_submit
from grids.models import Area, AreaLevel
from petitions import rules
from petitions.models import Petition
from petitions.rules import EventKind
from petitions.services.events import event_record
from petitions.services.transitions import petition_lock, refuse, require_role, transition_apply


def petition_to_dispute(
    *, petition: Petition | int, actor: Actor, reason: str, grid: Area | None = None, description: str = ""
) -> Dispute:
    """转为纠纷: create a dispute case with the petitioners as applicants; both linked, both timelines say so.

    The case is stored with the petition's tracking number as its source id, so a
    second attempt finds the first case instead of making another.
    """
    require_role(actor, rules.CONVERT_ROLES)
    if not (reason or "").strip():
        raise ApplicationError(_("Please give a reason for this action."), code=REASON_REQUIRED)
    with transaction.atomic():
        p = petition_lock(actor, petition)
        check = rules.check_transition(status=p.status, action="to_dispute", role=actor.role, reason=reason)
        if isinstance(check, str):
            refuse(check, p)
        grid = grid or p.area
        if grid.level < AreaLevel.VILLAGE:
            raise ApplicationError(_("Choose the village, community or grid where it happened."), code="grid_required")
        parties = [
            {
                "role": PartyRole.APPLICANT,
                "name": x.name,
                "phone": x.phone,
                "id_number": x.id_number,
                "address": x.address,
            }
            for x in p.petitioners.all()
        ]
        case = dispute_submit(
            category=p.category,
            description=(description or "").strip() or p.matter,
            grid=grid,
            channel=Channel.PETITION,
            parties=parties,
            source_id=p.tracking_number,
            people_involved=p.people_count,
            actor=actor,
        )
        # The case's timeline says where it came from (a note, never shown to the resident).
        CaseEvent.objects.create(
            dispute=case,
            actor=actor.user,
            actor_role=actor.role,
            kind=DisputeEventKind.NOTE,
            action="from_petition",
            reason=reason,
            data={"petition": p.pk, "petition_tracking_number": p.tracking_number},
        )
        transition_apply(p, action="to_dispute", actor=actor, reason=reason, data={"dispute": case})
        event_record(p, actor, EventKind.CONVERTED, data={"dispute": case.pk, "tracking_number": case.tracking_number})
    return case
