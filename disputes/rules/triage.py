"""研判: the colour of a case and the reasons for it.

Pure: takes plain facts about the case (gathered by the service) and returns
the colour with every rule that fired. The colour is the most urgent one any
rule asks for; nothing is hidden, so a person can see why.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from disputes.rules import reading
from disputes.rules.enums import AmountBand, Colour, PeopleBand
from disputes.rules.signals import DEFAULT_KEYWORDS, PATTERN_SIGNALS, TEXT_SIGNALS, read_signals

__all__ = ["DEFAULT_KEYWORDS", "TEXT_SIGNALS", "PartyFacts", "Reason", "TriageInput", "TriageResult", "triage"]

GROUP_RED_AT = 10  # 群体性: ten or more people on one side is a group incident risk
GROUP_YELLOW_AT = 5
AMOUNT_YELLOW_AT = Decimal("100000")
AMOUNT_RED_AT = Decimal("1000000")
WAGE_WORKERS_YELLOW_AT = 3
WAGE_WORKERS_RED_AT = 30


@dataclass(frozen=True)
class PartyFacts:
    role: str
    phone: str = ""
    is_minor: bool = False
    is_elderly: bool = False
    is_disabled: bool = False
    is_pregnant: bool = False


@dataclass(frozen=True)
class TriageInput:
    text: str
    category_code: str
    category_base: int
    parties: Sequence[PartyFacts] = ()
    people_involved: int | None = None
    amount: Decimal | None = None
    # The ranges a resident chose (PeopleBand / AmountBand): the figures above are then their lower bounds.
    people_band: str = ""
    amount_band: str = ""
    # Facts the service looks up in the database:
    earlier_cases_same_phone: int = 0  # other cases within 12 months sharing a party's phone
    earlier_cases_same_pair: int = 0  # …sharing both an applicant's and a respondent's phone
    open_petitions: int = 0  # open petitions by a party of this case
    failed_mediations: int = 0  # earlier cases of these parties that ended in failed mediation
    keywords: Mapping[str, Iterable[str]] = field(default_factory=lambda: DEFAULT_KEYWORDS)
    # The records behind those counts (the service lists up to SOURCES_KEPT of each), so that each
    # reason names what it was drawn from and a reader is shown it only if they may open one of them.
    earlier_case_ids_same_phone: tuple[int, ...] = ()
    earlier_case_ids_same_pair: tuple[int, ...] = ()
    open_petition_ids: tuple[int, ...] = ()
    failed_mediation_ids: tuple[int, ...] = ()


# How many source records a reason keeps (a serial complainant's phone may be on hundreds of cases).
SOURCES_KEPT = 50
# The reasons drawn from records other than the case itself, and the kind of record each names.
SOURCED_RULES: dict[str, str] = {
    "prior_incident_same_parties": "disputes",
    "repeat_dispute": "disputes",
    "failed_mediation_before": "disputes",
    "open_petition": "petitions",
}


@dataclass(frozen=True)
class Reason:
    rule: str
    colour: int
    params: dict[str, Any]
    # {"disputes": ids} or {"petitions": ids}: the other records a reason was drawn from (SOURCED_RULES).
    sources: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        stored: dict[str, Any] = {"rule": self.rule, "colour": Colour(self.colour).code, "params": self.params}
        if self.sources:
            stored["sources"] = {kind: list(ids) for kind, ids in self.sources.items()}
        return stored


def _sourced(rule: str, colour: int, count: int, ids: tuple[int, ...]) -> Reason:
    return Reason(rule, colour, {"count": count}, {SOURCED_RULES[rule]: tuple(ids)} if ids else {})


@dataclass(frozen=True)
class TriageResult:
    colour: int
    reasons: tuple[Reason, ...]

    def reasons_as_dicts(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.reasons]


LABOUR_CATEGORIES = frozenset({"labour"})


def _people_and_amount(
    facts: TriageInput, read: Mapping[str, reading.Figure]
) -> tuple[list[tuple[int, str]], list[tuple[Decimal, str]]]:
    """The head counts and amounts to judge, each with where it came from ("" for the form, or the words read)."""
    people: list[tuple[int, str]] = []
    given = max(len(facts.parties), facts.people_involved or 0)
    if given:
        people.append((given, ""))
    if "people" in read:
        people.append((int(read["people"].value), read["people"].words))
    amounts: list[tuple[Decimal, str]] = []
    if facts.amount is not None:
        amounts.append((facts.amount, ""))
    if "amount" in read:
        amounts.append((read["amount"].value, read["amount"].words))
    return people, amounts


def _banded(band: str, params: dict[str, Any]) -> dict[str, Any]:
    """A figure from the form that is a chosen range's lower bound says so (the reason names the range)."""
    if band and "read_from_text" not in params:
        return {**params, "band": band}
    return params


def _figure_params(key: str, value: object, words: str) -> dict[str, Any]:
    params: dict[str, Any] = {key: str(value) if isinstance(value, Decimal) else value}
    if words:
        params["read_from_text"] = words
    return params


def triage(facts: TriageInput) -> TriageResult:
    """Apply every rule; the colour is the most urgent asked for (never below the category's base)."""
    reasons: list[Reason] = [Reason("category_base", facts.category_base, {"category": facts.category_code})]
    text = reading.normalise(facts.text)

    signals = read_signals(text, facts.keywords, facts.category_code)
    for rule, colour in [(rule, colour) for _kind, rule, colour in TEXT_SIGNALS] + list(PATTERN_SIGNALS):
        if rule in signals.counted:
            reasons.append(Reason(rule, colour, {"words": signals.counted[rule]}))

    vulnerable = sorted(
        {
            flag
            for p in facts.parties
            for flag in ("is_minor", "is_elderly", "is_disabled", "is_pregnant")
            if getattr(p, flag)
        }
    )
    if vulnerable:
        reasons.append(Reason("vulnerable_party", Colour.YELLOW, {"flags": vulnerable}))

    # The head count and amount read from the text, once: judged below and shown as read.
    read = {
        key: figure
        for key, figure in (
            ("people", reading.largest(reading.read_head_counts(text))),
            ("amount", reading.largest(reading.read_amounts(text))),
        )
        if figure is not None
    }
    people, amounts = _people_and_amount(facts, read)
    # The figure the resident or staff gave is never replaced: each source is judged, the more urgent counts.
    group = _most_urgent(
        (Colour.RED if n >= GROUP_RED_AT else Colour.YELLOW if n >= GROUP_YELLOW_AT else None, n, w) for n, w in people
    )
    if group:
        reasons.append(
            Reason("group_dispute", group[0], _banded(facts.people_band, _figure_params("people", group[1], group[2])))
        )

    money = _most_urgent(
        (Colour.RED if a >= AMOUNT_RED_AT else Colour.YELLOW if a >= AMOUNT_YELLOW_AT else None, a, w)
        for a, w in amounts
    )
    if money:
        reasons.append(
            Reason("large_amount", money[0], _banded(facts.amount_band, _figure_params("amount", money[1], money[2])))
        )

    if facts.category_code in LABOUR_CATEGORIES:
        workers = [(facts.people_involved, "")] if facts.people_involved else []
        workers += [(n, w) for n, w in people if w]
        wage = _most_urgent(
            (
                Colour.RED if n >= WAGE_WORKERS_RED_AT else Colour.YELLOW if n >= WAGE_WORKERS_YELLOW_AT else None,
                n,
                w,
            )
            for n, w in workers
        )
        if wage:
            reasons.append(
                Reason(
                    "wage_arrears_many",
                    wage[0],
                    _banded(facts.people_band, _figure_params("workers", wage[1], wage[2])),
                )
            )

    if read:
        # Shown to staff as read from the text; never written over what the resident or staff entered.
        reasons.append(
            Reason(
                "figures_read",
                Colour.WHITE,
                {key: {"value": str(f.value), "words": f.words} for key, f in read.items()},
            )
        )

    if signals.discounted:
        # Shown, not counted: the words the rules read and set aside, so a reader can disagree.
        reasons.append(Reason("discounted_mentions", Colour.WHITE, {"mentions": signals.discounted[:20]}))

    if facts.earlier_cases_same_pair:
        reasons.append(
            _sourced(
                "prior_incident_same_parties",
                Colour.RED,
                facts.earlier_cases_same_pair,
                facts.earlier_case_ids_same_pair,
            )
        )
    elif facts.earlier_cases_same_phone:
        reasons.append(
            _sourced("repeat_dispute", Colour.YELLOW, facts.earlier_cases_same_phone, facts.earlier_case_ids_same_phone)
        )

    if facts.open_petitions:
        reasons.append(_sourced("open_petition", Colour.YELLOW, facts.open_petitions, facts.open_petition_ids))
    if facts.failed_mediations:
        reasons.append(
            _sourced("failed_mediation_before", Colour.YELLOW, facts.failed_mediations, facts.failed_mediation_ids)
        )

    colour = min(r.colour for r in reasons)
    return TriageResult(colour=colour, reasons=tuple(reasons))


def _most_urgent(judged: Iterable[tuple[int | None, Any, str]]) -> tuple[int, Any, str] | None:
    """(colour, value, words) of the most urgent judged figure; a figure the form gave wins a tie."""
    best: tuple[int, Any, str] | None = None
    for colour, value, words in judged:
        if colour is None:
            continue
        if best is None or colour < best[0] or (colour == best[0] and not words and best[2]):
            best = (colour, value, words)
    return best


def combine(current: int, proposed: int) -> int:
    """New information may raise the colour but never silently lowers it.

    Only a staff override (an event with a reason) lowers a colour.
    """
    return min(current, proposed)


def raise_one_step(colour: int) -> int:
    """Escalation: white → yellow → red; red stays red."""
    return max(Colour.RED, colour - 1)


def reason_text(reason: Mapping[str, Any]) -> str:
    """The sentence for a stored reason, in the active language."""
    rule = reason.get("rule", "")
    params = reason.get("params", {}) or {}
    words = "、".join(str(w) for w in params.get("words", []))
    count = params.get("count", 0)
    texts = {
        "category_base": lambda: _("The usual colour for this kind of dispute."),
        "threat_violence": lambda: _("The description threatens violence (%(words)s).") % {"words": words},
        "threat_self_harm": lambda: _("The description mentions self-harm or despair (%(words)s).") % {"words": words},
        "weapon": lambda: _("The description mentions a weapon or dangerous means (%(words)s).") % {"words": words},
        "domestic_violence": lambda: (
            _("The description tells of domestic violence, abuse or abandonment (%(words)s).") % {"words": words}
        ),
        "collective_action": lambda: (
            _("The description announces bringing people or a collective action (%(words)s).") % {"words": words}
        ),
        "injury_caused": lambda: (
            _("The description tells of hitting or an injury between the parties (%(words)s).") % {"words": words}
        ),
        "repeat_complaint": lambda: (
            _("The resident has complained many times or to several offices without result (%(words)s).")
            % {"words": words}
        ),
        "vulnerable_at_stake": lambda: (
            _("The description tells of a child, an old or a disabled person harmed or left in need (%(words)s).")
            % {"words": words}
        ),
        "several_departments": lambda: (
            _("Several offices or departments are involved or were asked (%(words)s).") % {"words": words}
        ),
        "discounted_mentions": lambda: _discounted_text(params.get("mentions", [])),
        "figures_read": lambda: _figures_text(params),
        "vulnerable_party": lambda: _("A minor, elderly, disabled or pregnant person is involved."),
        "group_dispute": lambda: _with_source(
            params,
            _("Many people are involved (%(people)s): risk of a group incident.") % {"people": params.get("people")},
        ),
        "large_amount": lambda: _with_source(
            params, _("A large amount is at stake (%(amount)s yuan).") % {"amount": params.get("amount")}
        ),
        "wage_arrears_many": lambda: _with_source(
            params, _("Wages are owed to %(workers)s workers.") % {"workers": params.get("workers")}
        ),
        "prior_incident_same_parties": lambda: (
            ngettext(
                "The same parties had %(count)d earlier case in the last 12 months.",
                "The same parties had %(count)d earlier cases in the last 12 months.",
                count,
            )
            % {"count": count}
        ),
        "repeat_dispute": lambda: (
            ngettext(
                "A party's phone number appears on %(count)d earlier case in the last 12 months.",
                "A party's phone number appears on %(count)d earlier cases in the last 12 months.",
                count,
            )
            % {"count": count}
        ),
        "open_petition": lambda: _("A party has an open petition."),
        "failed_mediation_before": lambda: _("An earlier mediation between these parties failed."),
        "staff_override": lambda: _("Set by staff: %(reason)s") % {"reason": params.get("reason", "")},
        "escalated": lambda: _("Raised because a deadline was missed."),
    }
    make = texts.get(rule)
    return make() if make else rule


def _with_source(params: Mapping[str, Any], sentence: str) -> str:
    """A figure read from the description says so, with the words; one from a chosen range names it."""
    band = params.get("band") or ""
    label = dict(PeopleBand.choices).get(band) or dict(AmountBand.choices).get(band)
    if label:
        return _("%(sentence)s The resident chose “%(range)s”; the rule reads its lower bound.") % {
            "sentence": sentence,
            "range": label,
        }
    words = params.get("read_from_text")
    if not words:
        return sentence
    return _("%(sentence)s Read from the description: “%(words)s”.") % {"sentence": sentence, "words": words}


def _discounted_text(mentions: Iterable[object]) -> str:
    why = {
        "negated": _("negated"),
        "joke": _("said as a joke"),
        "story": _("about a film, the news or someone else"),
        "past_settled": _("in the past and settled"),
        "figure_of_speech": _("a figure of speech"),
    }
    listed = "、".join(
        f"{m.get('word', '')}（{why.get(m.get('why', ''), m.get('why', ''))}）"
        for m in mentions
        if isinstance(m, Mapping)
    )
    return _("Words read but not counted: %(mentions)s.") % {"mentions": listed}


def _figures_text(params: Mapping[str, Any]) -> str:
    parts = []
    people = params.get("people")
    if isinstance(people, Mapping):
        parts.append(
            _("about %(value)s people (“%(words)s”)") % {"value": people.get("value"), "words": people.get("words")}
        )
    amount = params.get("amount")
    if isinstance(amount, Mapping):
        parts.append(
            _("about %(value)s yuan (“%(words)s”)") % {"value": amount.get("value"), "words": amount.get("words")}
        )
    return _("Read from the description, not entered: %(figures)s.") % {"figures": "；".join(parts)}
