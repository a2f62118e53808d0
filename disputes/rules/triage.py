"""研判: the colour of a case and the reasons for it.

Pure: takes plain facts about the case (gathered by the service) and returns
the colour with every rule that fired. The colour is the most urgent one any
rule asks for; nothing is hidden, so a person can see why.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from disputes.rules.enums import Colour

# Defaults for the admin-editable keyword lists (TriageKeyword rows override them).
DEFAULT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "violence": ("杀了", "杀人", "砍死", "砍人", "弄死", "打死", "同归于尽", "报复", "灭门", "放火", "烧了他", "炸"),
    "self_harm": ("自杀", "跳楼", "跳河", "喝农药", "不想活", "寻死", "轻生", "割腕", "一死了之"),
    "weapon": ("刀", "斧头", "枪", "汽油", "炸药", "农药", "棍棒", "铁锹"),
}

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
    params: dict
    # {"disputes": ids} or {"petitions": ids}: the other records a reason was drawn from (SOURCED_RULES).
    sources: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        stored = {"rule": self.rule, "colour": Colour(self.colour).code, "params": self.params}
        if self.sources:
            stored["sources"] = {kind: list(ids) for kind, ids in self.sources.items()}
        return stored


def _sourced(rule: str, colour: int, count: int, ids: tuple[int, ...]) -> Reason:
    return Reason(rule, colour, {"count": count}, {SOURCED_RULES[rule]: tuple(ids)} if ids else {})


@dataclass(frozen=True)
class TriageResult:
    colour: int
    reasons: tuple[Reason, ...]

    def reasons_as_dicts(self) -> list[dict]:
        return [r.as_dict() for r in self.reasons]


LABOUR_CATEGORIES = frozenset({"labour"})


def _matches(text: str, words: Iterable[str]) -> list[str]:
    return sorted({w for w in words if w and w in text})


def triage(facts: TriageInput) -> TriageResult:
    """Apply every rule; the colour is the most urgent asked for (never below the category's base)."""
    reasons: list[Reason] = [Reason("category_base", facts.category_base, {"category": facts.category_code})]
    text = facts.text or ""

    for kind, rule in (("violence", "threat_violence"), ("self_harm", "threat_self_harm"), ("weapon", "weapon")):
        found = _matches(text, facts.keywords.get(kind, ()))
        if found:
            reasons.append(Reason(rule, Colour.RED, {"words": found}))

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

    people = max(len(facts.parties), facts.people_involved or 0)
    if people >= GROUP_RED_AT:
        reasons.append(Reason("group_dispute", Colour.RED, {"people": people}))
    elif people >= GROUP_YELLOW_AT:
        reasons.append(Reason("group_dispute", Colour.YELLOW, {"people": people}))

    if facts.amount is not None:
        if facts.amount >= AMOUNT_RED_AT:
            reasons.append(Reason("large_amount", Colour.RED, {"amount": str(facts.amount)}))
        elif facts.amount >= AMOUNT_YELLOW_AT:
            reasons.append(Reason("large_amount", Colour.YELLOW, {"amount": str(facts.amount)}))

    if facts.category_code in LABOUR_CATEGORIES and facts.people_involved:
        if facts.people_involved >= WAGE_WORKERS_RED_AT:
            reasons.append(Reason("wage_arrears_many", Colour.RED, {"workers": facts.people_involved}))
        elif facts.people_involved >= WAGE_WORKERS_YELLOW_AT:
            reasons.append(Reason("wage_arrears_many", Colour.YELLOW, {"workers": facts.people_involved}))

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


def combine(current: int, proposed: int) -> int:
    """New information may raise the colour but never silently lowers it.

    Only a staff override (an event with a reason) lowers a colour.
    """
    return min(current, proposed)


def raise_one_step(colour: int) -> int:
    """Escalation: white → yellow → red; red stays red."""
    return max(Colour.RED, colour - 1)


def reason_text(reason: Mapping) -> str:
    """The sentence for a stored reason, in the active language."""
    rule = reason.get("rule", "")
    params = reason.get("params", {}) or {}
    words = "、".join(params.get("words", []))
    count = params.get("count", 0)
    texts = {
        "category_base": lambda: _("The usual colour for this kind of dispute."),
        "threat_violence": lambda: _("The description threatens violence (%(words)s).") % {"words": words},
        "threat_self_harm": lambda: _("The description mentions self-harm (%(words)s).") % {"words": words},
        "weapon": lambda: _("The description mentions a weapon or dangerous means (%(words)s).") % {"words": words},
        "vulnerable_party": lambda: _("A minor, elderly, disabled or pregnant person is involved."),
        "group_dispute": lambda: (
            _("Many people are involved (%(people)s): risk of a group incident.") % {"people": params.get("people")}
        ),
        "large_amount": lambda: _("A large amount is at stake (%(amount)s yuan).") % {"amount": params.get("amount")},
        "wage_arrears_many": lambda: _("Wages are owed to %(workers)s workers.") % {"workers": params.get("workers")},
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
