"""What a staff member sees of one case: in clear if they work it, masked or absent if they only see it.

Seeing a case (its area covers the case, `disputes.selectors.disputes_visible_to`) is not
working it (`disputes.selectors.access.user_works_case`). A mediator of another committee in the
same township, or a callback caller before the report-back, sees the case but not its
people. The table below (`BYSTANDER`) says, per field, what such a viewer gets; the staff
API's serializers and the staff pages both read a case through `CaseLens`, so they cannot
drift apart.

| field                                               | works the case             | sees it only     |
| --------------------------------------------------- | -------------------------- | ---------------- |
| parties' names                                      | clear                      | masked (张*)     |
| parties' phone, ID number, address                  | masked, revealed one at a  | masked, no       |
|                                                     | time (logged)              | reveal           |
| description, where it happened, attachment names,   | clear                      | masked text (1)  |
| triage reasons' free text, timeline's free text     |                            |                  |
| session: when, where                                | clear                      | when; where      |
|                                                     |                            | masked text (1)  |
| session: who attended                               | clear, each read logged    | each person      |
|                                                     | ("session.attendees")      | masked (张**)    |
| session: notes                                      | clear, logged with it      | absent           |
| agreement: that it exists, its dates, performance   | clear                      | clear            |
| agreement: facts, points, terms, how performed,     | clear, each read logged    | absent           |
| performance remarks                                 | ("agreement"; print: PRINT)|                  |
| attachments (the files)                             | each download logged       | refused (403)    |
| the queue's search (`cases_worked_by`)              | number, description, names | number only      |

(1) masked text: the case's parties' names, phones, ID numbers and addresses wherever they
occur, and every number that could be a phone, ID-card or bank account (a run of seven or
more digits, spaces and dashes between groups allowed) keeping its last four digits
(mobiles 138****5678, ID numbers 360***…**1X). Other people's names in free text cannot be
found by pattern; that is why session attendees (a list of people) are masked item by item
and session notes and the agreement's text are left out altogether.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core import audit
from core.masking import mask_address, mask_id_number, mask_name, mask_numbers, mask_phone
from disputes.models import Agreement, Dispute, MediationSession, Party
from disputes.selectors.access import user_works_case
from disputes.selectors.cases import TriageReasonFilter


class Shown(StrEnum):
    CLEAR = "clear"
    MASKED = "masked"
    ABSENT = "absent"


# What a viewer who sees the case but does not work it gets of each field (the docstring's table).
BYSTANDER: dict[str, Shown] = {
    "party.name": Shown.MASKED,
    "description": Shown.MASKED,
    "occurred_place": Shown.MASKED,
    "attachment.name": Shown.MASKED,
    "triage.reason": Shown.MASKED,
    "event.text": Shown.MASKED,
    "session.held_at": Shown.CLEAR,
    "session.place": Shown.MASKED,
    "session.attendees": Shown.MASKED,
    "session.notes": Shown.ABSENT,
    "agreement.status": Shown.CLEAR,
    "agreement.text": Shown.ABSENT,
}

# The agreement's free text (facts, what was agreed — bank accounts, sums, names — and the remarks).
AGREEMENT_TEXT = ("facts", "points_in_dispute", "terms", "performance_method", "performance_remarks")
AGREEMENT_STATUS = ("perform_by", "performance", "performance_recorded_at", "created_at", "updated_at")

# Where a list of people is split into its items.
_PEOPLE_SEPARATORS = re.compile(r"([、,，;；/\n]+)")


def mask_people(text: str) -> str:
    """A list of people ("李四（申请人）、王五、调解员张三"): each item masked to its first character."""
    return "".join(
        part if _PEOPLE_SEPARATORS.fullmatch(part) or not part.strip() else mask_name(part.strip())
        for part in _PEOPLE_SEPARATORS.split(text)
    )


@dataclass
class CaseLens:
    """One user's view of one case: `works` from `user_works_case`; masks and omissions from `BYSTANDER`."""

    case: Dispute
    works: bool
    parties: list[Party]
    # Which triage reasons this reader may be shown (selectors.TriageReasonFilter); unset: none from other records.
    reason_filter: TriageReasonFilter | None = None

    def __post_init__(self) -> None:
        # The parties' own values, longest first so "欧阳娜娜" is masked before a shorter name inside it.
        found: dict[str, str] = {}
        for party in self.parties:
            if len(party.name or "") >= 2:
                found[party.name] = mask_name(party.name)
            for value, mask in ((party.phone, mask_phone), (party.id_number, mask_id_number)):
                if value and len(value) >= 5:
                    found[value] = mask(value)
            if party.address and len(party.address) >= 4:
                found[party.address] = mask_address(party.address)
        self._known = found
        self._known_pattern = (
            re.compile("|".join(re.escape(v) for v in sorted(found, key=len, reverse=True))) if found else None
        )

    def shown(self, field: str) -> Shown:
        return Shown.CLEAR if self.works else BYSTANDER[field]

    def mask_text(self, text: str) -> str:
        """Free text with the parties' names, phones, ID numbers and addresses, and long numbers, masked."""
        if not text:
            return text or ""
        if self._known_pattern is not None:
            text = self._known_pattern.sub(lambda m: self._known[m.group(0)], text)
        return mask_numbers(text)

    def text(self, field: str, value: str | None) -> str | None:
        """One free-text field as this user sees it: clear, masked, or None (absent)."""
        shown = self.shown(field)
        if shown == Shown.CLEAR:
            return value
        if shown == Shown.ABSENT:
            return None
        if field == "session.attendees":
            return mask_people(self.mask_text(value or ""))
        return self.mask_text(value or "")

    def party_name(self, party: Party) -> str:
        return party.name if self.shown("party.name") == Shown.CLEAR else mask_name(party.name)

    def data(self, value: Any) -> Any:
        """An event's data with its free text masked like the description (codes and numbers kept)."""
        if isinstance(value, dict) and isinstance(value.get("reasons"), list):
            # A triage event's reasons: only those drawn from what this reader may open.
            value = {**value, "reasons": self._reasons_shown(value["reasons"])}
        if self.works:
            return value
        if isinstance(value, str):
            return self.mask_text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value

    def _reasons_shown(self, reasons) -> list[dict]:
        if self.reason_filter is None:
            self.reason_filter = TriageReasonFilter(None)
        return self.reason_filter.shown(reasons)

    def triage_reasons(self) -> list[dict]:
        """The stored reasons this reader may be shown; a staff member's free-text reason masked for a bystander."""
        reasons = self._reasons_shown(self.case.triage_reasons)
        if self.shown("triage.reason") == Shown.CLEAR:
            return reasons
        return [{**r, "params": self.data(r.get("params") or {})} for r in reasons]

    def session(self, session: MediationSession) -> dict[str, Any]:
        return {
            "id": session.pk,
            "held_at": session.held_at,
            "place": self.text("session.place", session.place),
            "attendees": self.text("session.attendees", session.attendees),
            "notes": self.text("session.notes", session.notes),
            "created_at": session.created_at,
            "masked": not self.works,
        }

    def agreement(self, agreement: Agreement) -> dict[str, Any]:
        """The agreement as this user sees it: a bystander gets that it exists, its dates and performance."""
        shown = {name: getattr(agreement, name) for name in AGREEMENT_STATUS}
        clear = self.shown("agreement.text") == Shown.CLEAR
        shown.update({name: getattr(agreement, name) if clear else None for name in AGREEMENT_TEXT})
        shown["masked"] = not clear
        return shown

    def log_full_reads(
        self, *, user, sessions: Iterable[MediationSession] = (), agreement: Agreement | None = None, page: str
    ) -> None:
        """Log, in one insert, the sessions and the agreement this answer shows in clear (nothing for a bystander)."""
        if not self.works:
            return
        records = [("session.attendees", s.pk) for s in sessions]
        if agreement is not None:
            records.append(("agreement", agreement.pk))
        audit.log_records_shown(user=user, case_ref=self.case.tracking_number, records=records, page=page)


def case_lens(user, case: Dispute, *, parties: list[Party] | None = None, works: bool | None = None) -> CaseLens:
    """How `user` sees `case`. `parties` and `works`, when the caller has them already, save reading them again."""
    if works is None:
        works = user_works_case(user, case)
    if parties is None:
        parties = list(case.parties.all())
    return CaseLens(case=case, works=works, parties=parties, reason_filter=TriageReasonFilter(user))
