"""规模: how many people are on the applicant's side and how much money is at stake.

A resident can often say only a range (`PeopleBand`, `AmountBand`). A chosen range is
stored with its lower bound in the exact field (`people_involved`, `amount`), which is
what triage reads: the ranges start at the rules' thresholds, so the lower bound fires
the rule the exact figure would. An exact figure leaves the range blank.

`clean_scale` is the one place that checks the four values and maps a range to its
lower bound, for every door: the web and walk-in forms, the public and channel APIs
and Open311 (through `disputes.services.intake`), and the staff case page and API (through
`disputes.services.scale.dispute_set_scale`, which corrects them after intake and runs
triage again). Here too: how the page and the timeline say them.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from disputes.rules.enums import AMOUNT_BAND_LOWER, PEOPLE_BAND_LOWER, AmountBand, PeopleBand

MAX_PEOPLE = 100_000
# Amounts are stored with 14 digits, 2 after the point: anything from 10^12 up cannot be stored.
AMOUNT_LIMIT = Decimal(10) ** 12
CENT = Decimal("0.01")
FIELDS = ("people_involved", "people_band", "amount", "amount_band")


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# `services.scale.dispute_set_scale`: leave this value as it is.
UNCHANGED: Any = _Unchanged()


def people_for_band(band: str) -> int:
    """The number a people range stores in `people_involved`: its lower bound."""
    return PEOPLE_BAND_LOWER[band]


def amount_for_band(band: str) -> Decimal:
    """The amount a money range stores in `amount`: its lower bound, in yuan."""
    return Decimal(AMOUNT_BAND_LOWER[band]).quantize(CENT)


def _refuse(message: str, code: str, field: str) -> ApplicationError:
    return ApplicationError(message, code=code, extra={"field": field})


def clean_people(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _refuse(_("Enter the number of people as a whole number."), "invalid_people", "people_involved")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise _refuse(_("Enter the number of people as a whole number."), "invalid_people", "people_involved") from None
    if number < 1:
        raise _refuse(_("The number of people must be at least 1."), "invalid_people", "people_involved")
    if number > MAX_PEOPLE:
        raise _refuse(_("The number of people can be at most 100,000."), "invalid_people", "people_involved")
    return number


def clean_amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool | float):
        # A float is not an amount of money (0.1 + 0.2); the forms and serializers give Decimals or text.
        value = str(value)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _refuse(_("Enter the amount in yuan as a number."), "invalid_amount", "amount") from None
    if not amount.is_finite():
        raise _refuse(_("Enter the amount in yuan as a number."), "invalid_amount", "amount")
    if amount < 0:
        raise _refuse(_("The amount cannot be negative."), "invalid_amount", "amount")
    if amount >= AMOUNT_LIMIT:
        raise _refuse(_("The amount must be less than 1,000,000,000,000 yuan."), "invalid_amount", "amount")
    if amount != amount.quantize(CENT):
        raise _refuse(_("The amount can have at most two decimal places."), "invalid_amount", "amount")
    return amount.quantize(CENT)


def clean_scale(
    *, people_involved: Any = None, people_band: str = "", amount: Any = None, amount_band: str = ""
) -> dict[str, Any]:
    """The four stored values for what was given: an exact figure, or a range and its lower bound.

    Refuses a range that is not one of the choices, a range given with an exact figure
    for the same thing (which of the two is meant?), and figures out of bounds. Each
    refusal is an ApplicationError naming its field (`extra["field"]`).
    """
    people_band = (people_band or "").strip()
    amount_band = (amount_band or "").strip()
    if people_band and people_band not in PeopleBand.values:
        raise _refuse(_("Choose one of the ranges offered."), "unknown_band", "people_band")
    if amount_band and amount_band not in AmountBand.values:
        raise _refuse(_("Choose one of the ranges offered."), "unknown_band", "amount_band")
    people = clean_people(people_involved)
    money = clean_amount(amount)
    if people is not None and people_band:
        raise _refuse(_("Give either the number of people or a range, not both."), "scale_conflict", "people_band")
    if money is not None and amount_band:
        raise _refuse(_("Give either the amount or a range, not both."), "scale_conflict", "amount_band")
    if people_band:
        people = people_for_band(people_band)
    if amount_band:
        money = amount_for_band(amount_band)
    return {"people_involved": people, "people_band": people_band, "amount": money, "amount_band": amount_band}


# --- How the page and the timeline say them ------------------------------------------------------


def people_text(people_involved: int | None, people_band: str = "") -> str:
    """The people in words: "12", or "10 to 29 people (range chosen by the party)", or "" when not known."""
    if people_band in PeopleBand.values:
        return _("%(range)s (range chosen by the party)") % {"range": PeopleBand(people_band).label}
    return "" if people_involved is None else str(people_involved)


def amount_text(amount: Any, amount_band: str = "") -> str:
    """The amount in words: "280000.00", or its range "(range chosen by the party)", or "" when not known."""
    if amount_band in AmountBand.values:
        return _("%(range)s (range chosen by the party)") % {"range": AmountBand(amount_band).label}
    return "" if amount is None or amount == "" else str(amount)


def scale_event_details(data: dict[str, Any]) -> list[str]:
    """A SCALE_SET event in words: what changed, from what to what."""
    before, after = data.get("from") or {}, data.get("to") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    not_given = _("Not given")
    details = []
    old = people_text(before.get("people_involved"), before.get("people_band") or "")
    new = people_text(after.get("people_involved"), after.get("people_band") or "")
    if old != new:
        details.append(_("People involved: %(from)s → %(to)s") % {"from": old or not_given, "to": new or not_given})
    old = amount_text(before.get("amount"), before.get("amount_band") or "")
    new = amount_text(after.get("amount"), after.get("amount_band") or "")
    if old != new:
        details.append(
            _("Amount at stake (yuan): %(from)s → %(to)s") % {"from": old or not_given, "to": new or not_given}
        )
    return details
