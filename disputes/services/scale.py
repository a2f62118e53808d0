"""规模: correct how many people are involved and how much money is at stake after intake; triage runs again.

The four values are checked and a range mapped to its lower bound by
`disputes.scale.clean_scale`, the same at every door.
"""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError
from disputes.models import Dispute
from disputes.rules.enums import EventKind
from disputes.scale import CENT, FIELDS, UNCHANGED, clean_scale
from disputes.services.casefile import DisputeRef, event_record, lock_visible, refuse_if_finished
from disputes.services.parties import check_party_adder
from disputes.services.triage import dispute_retriage


def _stored(case: Dispute) -> dict[str, Any]:
    return {name: getattr(case, name) for name in FIELDS}


def _as_data(values: dict[str, Any]) -> dict[str, Any]:
    """JSON for the event: the amount as text (exact, unlike a float)."""
    amount = values["amount"]
    return {**values, "amount": None if amount is None else str(Decimal(amount).quantize(CENT))}


def check_scale_editor(case: Dispute, actor: Actor) -> None:
    """Who may set or correct the scale: whoever may add a party to the case (the facts of the case).

    Its handlers (assigned mediator, lead department's staff), the dispatchers and
    supervisors of its area, administrators; not an assisting department, not a
    callback caller (`services.parties.check_party_adder`).
    """
    check_party_adder(case, actor)


def _given(exact: Any, band: Any, stored_exact: Any, stored_band: str) -> tuple[Any, str]:
    """(exact, band) to check for one of the two: what was given, or what is stored when neither was."""
    if exact is UNCHANGED and band is UNCHANGED:
        # A stored range's lower bound is not a second answer beside the range.
        return (None, stored_band) if stored_band else (stored_exact, "")
    return (None if exact is UNCHANGED else exact), ("" if band is UNCHANGED or band is None else band)


def dispute_set_scale(
    *,
    dispute: DisputeRef,
    actor: Actor,
    people_involved: Any = UNCHANGED,
    amount: Any = UNCHANGED,
    people_band: Any = UNCHANGED,
    amount_band: Any = UNCHANGED,
    reason: str = "",
) -> Dispute:
    """Set or correct how many people are involved and how much is at stake; triage runs again.

    For each of the two, pass an exact figure or a range (a band), or None and "" to
    clear it; leave both arguments out to keep it as it is. The change is a SCALE_SET
    event with the values before and after; the colour may rise, never silently drop
    (`services.triage.dispute_retriage`). Refused on a closed or withdrawn case and for anyone
    `check_scale_editor` refuses; a case outside the actor's jurisdiction is not found.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_scale_editor(case, actor)
        refuse_if_finished(case)
        before = _stored(case)
        people, people_range = _given(people_involved, people_band, case.people_involved, case.people_band)
        money, money_range = _given(amount, amount_band, case.amount, case.amount_band)
        after = clean_scale(people_involved=people, people_band=people_range, amount=money, amount_band=money_range)
        if _as_data(after) == _as_data(before):
            raise ApplicationError(
                _("The people involved and the amount at stake are already as given."), code="scale_unchanged"
            )
        for name, value in after.items():
            setattr(case, name, value)
        case.save(update_fields=[*FIELDS, "updated_at"])
        event_record(
            case, actor, EventKind.SCALE_SET, reason=reason, data={"from": _as_data(before), "to": _as_data(after)}
        )
        return dispute_retriage(dispute=case, actor=actor, cause="scale_set")
