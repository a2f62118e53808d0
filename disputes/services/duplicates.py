"""疑似重复: suspected duplicates, linked at intake and merged or dismissed by staff.

Intake never merges (`services.intake`): a submission whose applicant phone and
other side match an open case is stored as its own case, linked to that case
(`Dispute.duplicate_of`) with an internal DUPLICATE_SUSPECTED event on both
timelines. Anyone who knows a resident's phone and the other side's name can
make a submission match, so only staff decide:

- merge: the duplicate's text goes onto the earlier case as an internal note,
  its files move there, a DUPLICATE_MERGED event goes on both timelines, and the
  duplicate is closed through the transition table ("merge_duplicate");
- dismiss: not the same dispute. The link is removed, with an event on both.

Who may do either: a dispatcher, supervisor or administrator, or the handlers
of the earlier case (its assigned mediator or lead department's staff), who
must be able to see both cases. The links a reader may see are
`disputes.selectors.duplicates`.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from core.types import RequestUser
from disputes.models import Attachment, CaseEvent, Dispute
from disputes.rules import lifecycle
from disputes.rules.enums import FINAL_STATUSES, EventKind
from disputes.selectors.duplicates import DuplicateLinks, duplicate_links
from disputes.services.casefile import DisputeRef, check_handler, dispute_pk, event_new, lock_visible, wrong_state
from disputes.services.transitions import dispute_transition

MERGE = "merge_duplicate"
MAX_REASON = 2000


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Please give a reason for this action."), code="reason_required", extra={"field": "reason"}
        )
    return reason[:MAX_REASON]


def check_may_decide(original: Dispute, actor: Actor) -> None:
    """The role and handler rule of the "merge_duplicate" transition (the earlier case's handlers), for the
    dismissal too."""
    if actor.role not in lifecycle.TRANSITIONS[MERGE].roles:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    check_handler(original, actor, MERGE)


def _lock_pair(duplicate: DisputeRef, actor: Actor) -> tuple[Dispute, Dispute]:
    """Lock the duplicate, then the case it is linked to; both must be visible to the actor."""
    case = lock_visible(duplicate, actor)
    if case.duplicate_of_id is None:
        raise ApplicationError(_("This case is not marked as a possible duplicate."), code="not_a_duplicate")
    original = lock_visible(case.duplicate_of_id, actor)
    return case, original


def _events(
    duplicate: Dispute, original: Dispute, actor: Actor, kind: str, *, reason: str, data: dict[str, Any]
) -> None:
    now = timezone.now()
    CaseEvent.objects.bulk_create(
        [
            event_new(
                duplicate, actor, kind, reason=reason, now=now, data={**data, "duplicate_of": original.tracking_number}
            ),
            event_new(
                original, actor, kind, reason=reason, now=now, data={**data, "duplicate": duplicate.tracking_number}
            ),
        ]
    )


def dispute_merge_duplicate(*, actor: Actor, duplicate: DisputeRef, into: DisputeRef, reason: str) -> Dispute:
    """Merge a suspected duplicate into the earlier case it is linked to. Returns the closed duplicate.

    The duplicate's description becomes an internal note on the earlier case
    (never shown to the resident: the two applicants are not known to be the same
    person), its attachments move there, both timelines get a DUPLICATE_MERGED
    event (who, why), and the duplicate is closed by the "merge_duplicate"
    transition, which leaves the queue. All or nothing.
    """
    reason = _reason(reason)
    into_pk = dispute_pk(into)
    with transaction.atomic():
        case, original = _lock_pair(duplicate, actor)
        if original.pk != into_pk:
            raise ApplicationError(
                _("This case is not marked as a possible duplicate of that case."), code="not_a_duplicate"
            )
        check_may_decide(original, actor)
        if original.status in FINAL_STATUSES:
            raise ApplicationError(
                _("The earlier case is finished: handle this case on its own."), code="original_finished"
            )
        case = dispute_transition(dispute=case, action=MERGE, actor=actor, reason=reason, data={"into": original.pk})
        moved = list(Attachment.objects.filter(dispute=case).values_list("pk", flat=True))
        if moved:
            Attachment.objects.filter(pk__in=moved).update(dispute=original)
        now = timezone.now()
        event_new(
            original,
            actor,
            EventKind.NOTE,
            reason=case.description,
            now=now,
            data={"merged_from": case.tracking_number},
        ).save()
        if moved:
            event_new(
                original,
                actor,
                EventKind.ATTACHMENT_ADDED,
                now=now,
                data={"attachments": moved, "merged_from": case.tracking_number},
            ).save()
        _events(case, original, actor, EventKind.DUPLICATE_MERGED, reason=reason, data={"attachments": moved})
    return case


def dispute_dismiss_duplicate(*, actor: Actor, duplicate: DisputeRef, reason: str) -> Dispute:
    """Not the same dispute: remove the link, with an event on both timelines. Returns the case, unlinked."""
    reason = _reason(reason)
    with transaction.atomic():
        case, original = _lock_pair(duplicate, actor)
        check_may_decide(original, actor)
        if case.status in FINAL_STATUSES:
            raise wrong_state(case)
        case.duplicate_of = None
        case.save(update_fields=["duplicate_of", "updated_at"])
        _events(case, original, actor, EventKind.DUPLICATE_SUSPECTED, reason=reason, data={"dismissed": True})
    return case


def duplicate_actions(
    *, user: RequestUser | None, case: Dispute, links: DuplicateLinks | None = None
) -> frozenset[str]:
    """Which of "merge_duplicate" and "dismiss_duplicate" `user` may take on `case` now (what the services accept)."""
    if case.duplicate_of_id is None or case.status in FINAL_STATUSES:
        return frozenset()
    actor = Actor.for_user(user)
    if not actor.is_staff_member:
        return frozenset()
    original = (links or duplicate_links(user=user, case=case)).duplicate_of
    if original is None:
        return frozenset()
    try:
        check_may_decide(original, actor)
    except ApplicationError:
        return frozenset()
    actions = {"dismiss_duplicate"}
    if original.status not in FINAL_STATUSES and MERGE in lifecycle.allowed_actions(case.status, actor.role):
        actions.add(MERGE)
    return frozenset(actions)
