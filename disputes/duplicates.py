"""疑似重复: suspected duplicates, linked at intake and merged or dismissed by staff.

Intake never merges (`disputes.intake._flag_duplicate`): a submission whose
applicant phone and other side match an open case is stored as its own case,
linked to that case (`Dispute.duplicate_of`) with an internal DUPLICATE_SUSPECTED
event on both timelines. Anyone who knows a resident's phone and the other
side's name can make a submission match, so only staff decide:

- merge: the duplicate's text goes onto the earlier case as an internal note,
  its files move there, a DUPLICATE_MERGED event goes on both timelines, and the
  duplicate is closed through the transition table ("merge_duplicate");
- dismiss: not the same dispute. The link is removed, with an event on both.

Who may do either: a dispatcher, supervisor or administrator, or the handlers
of the earlier case (its assigned mediator or lead department's staff), who
must be able to see both cases. Both refusals and links read the cases through
`disputes_visible_to`, so nothing here names a case the user cannot open.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from disputes import services
from disputes.models import Attachment, CaseEvent, Dispute
from disputes.rules import lifecycle
from disputes.rules.enums import FINAL_STATUSES, EventKind
from disputes.selectors import disputes_visible_to

MERGE = "merge_duplicate"
MAX_REASON = 2000


@dataclass(frozen=True)
class DuplicateLinks:
    """What one user may see of a case's duplicate links: only cases they can open."""

    duplicate_of: Dispute | None
    suspected_duplicates: list[Dispute]


def duplicate_links(*, user, case: Dispute) -> DuplicateLinks:
    """The earlier case this one may repeat, and the cases that may repeat this one, as far as `user` sees them."""
    visible = disputes_visible_to(user)
    duplicate_of = None
    if case.duplicate_of_id is not None:
        duplicate_of = visible.filter(pk=case.duplicate_of_id).first()
    duplicates = list(visible.filter(duplicate_of=case).order_by("submitted_at", "pk"))
    return DuplicateLinks(duplicate_of=duplicate_of, suspected_duplicates=duplicates)


# The event data keys that name another case by its tracking number ("drafted_from": disputes.similar).
LINK_KEYS = ("duplicate_of", "duplicate", "merged_into", "merged_from", "drafted_from")


def linked_numbers(links: DuplicateLinks) -> frozenset[str]:
    """The tracking numbers of the linked cases a user may open (`duplicate_links`)."""
    return frozenset(c.tracking_number for c in [links.duplicate_of, *links.suspected_duplicates] if c is not None)


def without_hidden_links(data: dict, linked: frozenset[str]) -> dict:
    """An event's data without the number of any linked case the reader may not open."""
    if not isinstance(data, dict) or not any(key in data for key in LINK_KEYS):
        return data
    return {key: value for key, value in data.items() if key not in LINK_KEYS or value in linked}


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason for this action."), code="reason_required")
    return reason[:MAX_REASON]


def _check_may_decide(duplicate: Dispute, original: Dispute, actor: Actor) -> None:
    """The role and handler rule of the "merge_duplicate" transition, for the dismissal too."""
    if actor.role not in lifecycle.TRANSITIONS[MERGE].roles:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    services._check_handler(original, actor, MERGE)


def _lock_pair(duplicate: Dispute | int, actor: Actor) -> tuple[Dispute, Dispute]:
    """Lock the duplicate, then the case it is linked to; both must be visible to the actor."""
    pk = duplicate.pk if isinstance(duplicate, Dispute) else duplicate
    case = services._lock_visible(pk, actor)
    if case.duplicate_of_id is None:
        raise ApplicationError(_("This case is not marked as a possible duplicate."), code="not_a_duplicate")
    original = services._lock_visible(case.duplicate_of_id, actor)
    return case, original


def _events(duplicate: Dispute, original: Dispute, actor: Actor, kind: str, *, reason: str, data: dict) -> None:
    now = timezone.now()
    common = {"at": now, "actor": actor.user, "actor_role": actor.role, "kind": kind, "reason": reason}
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(dispute=duplicate, data={**data, "duplicate_of": original.tracking_number}, **common),
            CaseEvent(dispute=original, data={**data, "duplicate": duplicate.tracking_number}, **common),
        ]
    )


def dispute_merge_duplicate(*, actor: Actor, duplicate: Dispute | int, into: Dispute | int, reason: str) -> Dispute:
    """Merge a suspected duplicate into the earlier case it is linked to. Returns the closed duplicate.

    The duplicate's description becomes an internal note on the earlier case
    (never shown to the resident: the two applicants are not known to be the same
    person), its attachments move there, both timelines get a DUPLICATE_MERGED
    event (who, why), and the duplicate is closed by the "merge_duplicate"
    transition, which leaves the queue. All or nothing.
    """
    reason = _reason(reason)
    into_pk = into.pk if isinstance(into, Dispute) else into
    with transaction.atomic():
        case, original = _lock_pair(duplicate, actor)
        if original.pk != into_pk:
            raise ApplicationError(
                _("This case is not marked as a possible duplicate of that case."), code="not_a_duplicate"
            )
        _check_may_decide(case, original, actor)
        if original.status in FINAL_STATUSES:
            raise ApplicationError(
                _("The earlier case is finished: handle this case on its own."), code="original_finished"
            )
        case = services.dispute_transition(
            dispute=case, action=MERGE, actor=actor, reason=reason, data={"into": original.pk}
        )
        moved = list(Attachment.objects.filter(dispute=case).values_list("pk", flat=True))
        if moved:
            Attachment.objects.filter(pk__in=moved).update(dispute=original)
        now = timezone.now()
        CaseEvent.objects.create(
            dispute=original,
            at=now,
            actor=actor.user,
            actor_role=actor.role,
            kind=EventKind.NOTE,
            reason=case.description,
            data={"merged_from": case.tracking_number},
        )
        if moved:
            CaseEvent.objects.create(
                dispute=original,
                at=now,
                actor=actor.user,
                actor_role=actor.role,
                kind=EventKind.ATTACHMENT_ADDED,
                data={"attachments": moved, "merged_from": case.tracking_number},
            )
        _events(case, original, actor, EventKind.DUPLICATE_MERGED, reason=reason, data={"attachments": moved})
    return case


def dispute_dismiss_duplicate(*, actor: Actor, duplicate: Dispute | int, reason: str) -> Dispute:
    """Not the same dispute: remove the link, with an event on both timelines. Returns the case, unlinked."""
    reason = _reason(reason)
    with transaction.atomic():
        case, original = _lock_pair(duplicate, actor)
        _check_may_decide(case, original, actor)
        if case.status in FINAL_STATUSES:
            raise ApplicationError(
                _("This action is not possible while the case is “%(status)s”.")
                % {"status": case.get_status_display()},
                code="wrong_state",
            )
        case.duplicate_of = None
        case.save(update_fields=["duplicate_of", "updated_at"])
        _events(case, original, actor, EventKind.DUPLICATE_SUSPECTED, reason=reason, data={"dismissed": True})
    return case


def _passes(check) -> bool:
    try:
        check()
    except ApplicationError:
        return False
    return True


def duplicate_actions(*, user, case: Dispute, links: DuplicateLinks | None = None) -> frozenset[str]:
    """Which of "merge_duplicate" and "dismiss_duplicate" `user` may take on `case` now (what the services accept)."""
    if case.duplicate_of_id is None or case.status in FINAL_STATUSES:
        return frozenset()
    actor = Actor.for_user(user)
    if not actor.is_staff_member:
        return frozenset()
    original = (links or duplicate_links(user=user, case=case)).duplicate_of
    if original is None or not _passes(lambda: _check_may_decide(case, original, actor)):
        return frozenset()
    actions = {"dismiss_duplicate"}
    if original.status not in FINAL_STATUSES and MERGE in lifecycle.allowed_actions(case.status, actor.role):
        actions.add(MERGE)
    return frozenset(actions)
