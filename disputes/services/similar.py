"""类案参考 writes: the log of which similar and history cases a reader was shown, and drafting an
agreement from a similar case's (参照起草). The reads are `disputes.selectors.similar`."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError
from core.models import PersonalDataAccess
from disputes.models import Agreement, Dispute
from disputes.selectors.similar import DRAFTED_FROM, agreement_skeleton_from, agreement_source_for
from disputes.services.casefile import DisputeRef, dispute_pk
from disputes.services.outcomes import agreement_proposal, agreement_save


def log_shown(*, user: Any, shown: Iterable[Any] | None, what: str, page: str, case: Dispute) -> None:
    """One reveal row per case shown (module docstring: why the hourly pace does not apply), in one insert."""
    rows = [
        PersonalDataAccess(
            user=user,
            action=PersonalDataAccess.Action.REVEAL,
            what=what,
            case_ref=item.case.tracking_number,
            object_id=item.case.pk,
            # Nothing in clear: the admin's unusual-volume alert counts only reveals in clear (core.admin).
            detail={"page": page, "for_case": case.tracking_number, "masked": True},
        )
        for item in shown or ()
    ]
    if rows:
        PersonalDataAccess.objects.bulk_create(rows)


def agreement_draft_from_similar(*, dispute: DisputeRef, actor: Actor, source_number: str) -> Agreement:
    """参照起草: draft this case's agreement from the structure of a closed case's agreement.

    The source must be a closed case with an agreement that the actor may see. The draft takes
    this case's own facts (`services.outcomes.agreement_proposal`) and the source's points in dispute,
    terms and performance method as skeletons (`rules.agreement_skeleton`), with no perform-by
    date. It goes through `services.outcomes.agreement_save`, so only those who may draft this case's
    agreement can, in the states where it may be drafted; the AGREEMENT event on the timeline
    names the source case (data "drafted_from"). Refused if the case has an agreement already:
    a draft being written is never overwritten. A draft is just that: the parties sign the
    printed copy once it has been edited to their case.
    """
    pk = dispute_pk(dispute)
    source, source_agreement = agreement_source_for(user=actor.user, number=source_number)
    if source.pk == pk:
        raise ApplicationError(_("A case cannot be drafted from itself."), code="same_case")
    with transaction.atomic():
        case = Dispute.objects.select_related("grid").get(pk=pk)
        if Agreement.objects.filter(dispute_id=pk).exists():
            raise ConflictError(_("This case already has an agreement."), code="agreement_exists")
        values: dict[str, Any] = {
            **agreement_proposal(case),
            **agreement_skeleton_from(source, source_agreement),
            "perform_by": None,
        }
        return agreement_save(dispute=pk, actor=actor, values=values, event_data={DRAFTED_FROM: source.tracking_number})
