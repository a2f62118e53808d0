"""疑似重复 reads: the open case a submission may repeat, and a case's duplicate links as a reader may see them.

Both read the linked cases through `disputes_visible_to`, so nothing here names a
case the reader cannot open. Merging and dismissing are `disputes.services.duplicates`.
"""

from dataclasses import dataclass
from typing import Any

from core.types import RequestUser
from disputes.models import Dispute, Party
from disputes.rules.enums import OPEN_STATUSES, PartyRole, Status
from disputes.selectors.cases import disputes_visible_to

# Cases still being worked: a submission by the same people is linked to one of these for staff to review.
DUPLICATE_STATUSES = OPEN_STATUSES | {Status.REPORTED, Status.AWAITING_CALLBACK}
# The event data keys that name another case by its tracking number ("drafted_from": services.similar).
LINK_KEYS = ("duplicate_of", "duplicate", "merged_into", "merged_from", "drafted_from")


@dataclass(frozen=True)
class DuplicateLinks:
    """What one user may see of a case's duplicate links: only cases they can open."""

    duplicate_of: Dispute | None
    suspected_duplicates: list[Dispute]


def duplicate_links(*, user: RequestUser | None, case: Dispute) -> DuplicateLinks:
    """The earlier case this one may repeat, and the cases that may repeat this one, as far as `user` sees them."""
    visible = disputes_visible_to(user)
    duplicate_of = None
    if case.duplicate_of_id is not None:
        duplicate_of = visible.filter(pk=case.duplicate_of_id).first()
    duplicates = list(visible.filter(duplicate_of=case).order_by("submitted_at", "pk"))
    return DuplicateLinks(duplicate_of=duplicate_of, suspected_duplicates=duplicates)


def linked_numbers(links: DuplicateLinks) -> frozenset[str]:
    """The tracking numbers of the linked cases a user may open (`duplicate_links`)."""
    return frozenset(c.tracking_number for c in [links.duplicate_of, *links.suspected_duplicates] if c is not None)


def without_hidden_links(data: Any, linked: frozenset[str]) -> Any:
    """An event's data without the number of any linked case the reader may not open."""
    if not isinstance(data, dict) or not any(key in data for key in LINK_KEYS):
        return data
    return {key: value for key, value in data.items() if key not in LINK_KEYS or value in linked}


def find_duplicate(*, parties: list[dict[str, Any]]) -> Dispute | None:
    """The same applicant phone with an open case against the same respondent (same phone, or same name).

    Only a hint for staff: anyone who knows a resident's phone and the other side's
    name can make a submission match, so a match is never merged, answered or shown
    to the submitter (see `services.intake`).
    """
    applicant_phones = {p.get("phone") for p in parties if p.get("role") == PartyRole.APPLICANT and p.get("phone")}
    respondents = [p for p in parties if p.get("role") == PartyRole.RESPONDENT]
    if not applicant_phones or not respondents:
        return None
    # Most applicants have no earlier case at all: one indexed look-up settles that
    # before the query below is built (its ORM compilation costs more than running it).
    if not Party.objects.filter(role=PartyRole.APPLICANT, phone__in=applicant_phones).exists():
        return None
    candidates = Party.objects.filter(
        role=PartyRole.APPLICANT, phone__in=applicant_phones, dispute__status__in=DUPLICATE_STATUSES
    ).values("dispute_id")
    resp_phones = {p.get("phone") for p in respondents if p.get("phone")}
    resp_names = {p.get("name", "").strip() for p in respondents if p.get("name", "").strip()}
    same = Party.objects.filter(role=PartyRole.RESPONDENT, dispute_id__in=candidates)
    match = same.filter(phone__in=resp_phones) if resp_phones else same.none()
    if not match.exists() and resp_names:
        match = same.filter(name__in=resp_names)
    dispute_id = match.order_by("-dispute_id").values_list("dispute_id", flat=True).first()
    return Dispute.objects.filter(pk=dispute_id).first() if dispute_id else None
