"""Triage rules, table-driven, without the database."""

from decimal import Decimal

import pytest
from django.utils import translation

from disputes.rules.enums import Colour
from disputes.rules.triage import PartyFacts, TriageInput, combine, raise_one_step, reason_text, triage

W, Y, R = Colour.WHITE, Colour.YELLOW, Colour.RED
APPLICANT = PartyFacts(role="applicant", phone="13800138000")
RESPONDENT = PartyFacts(role="respondent", phone="13900139000")


def facts(**kw) -> TriageInput:
    base = {
        "text": "邻居装修噪音扰民",
        "category_code": "neighbour",
        "category_base": W,
        "parties": (APPLICANT, RESPONDENT),
    }
    base.update(kw)
    return TriageInput(**base)


CASES = [
    # (id, input overrides, expected colour, rules that must fire)
    ("plain neighbour row", {}, W, {"category_base"}),
    ("category base yellow", {"category_code": "medical", "category_base": Y}, Y, {"category_base"}),
    ("threat of violence", {"text": "他说要砍死我全家"}, R, {"threat_violence"}),
    ("self-harm", {"text": "再不解决我就跳楼"}, R, {"threat_self_harm"}),
    ("weapon", {"text": "对方拿着刀在门口"}, R, {"weapon"}),
    ("elderly party", {"parties": (PartyFacts("applicant", is_elderly=True), RESPONDENT)}, Y, {"vulnerable_party"}),
    ("minor party", {"parties": (APPLICANT, PartyFacts("third_party", is_minor=True))}, Y, {"vulnerable_party"}),
    ("five people", {"people_involved": 5}, Y, {"group_dispute"}),
    ("ten parties", {"parties": tuple(PartyFacts("applicant") for _ in range(10))}, R, {"group_dispute"}),
    ("four people is not a group", {"people_involved": 4}, W, {"category_base"}),
    ("amount 100k", {"amount": Decimal("100000")}, Y, {"large_amount"}),
    ("amount just below", {"amount": Decimal("99999.99")}, W, {"category_base"}),
    ("amount 1M", {"amount": Decimal("1000000")}, R, {"large_amount"}),
    (
        "wages for 12 workers",
        {"category_code": "labour", "category_base": Y, "people_involved": 12},
        R,
        {"group_dispute", "wage_arrears_many"},
    ),
    (
        "wages for 3 workers",
        {"category_code": "labour", "category_base": W, "people_involved": 3},
        Y,
        {"wage_arrears_many"},
    ),
    (
        "wages for 30+ workers",
        {"category_code": "labour", "category_base": Y, "people_involved": 40},
        R,
        {"wage_arrears_many"},
    ),
    ("repeat phone", {"earlier_cases_same_phone": 2}, Y, {"repeat_dispute"}),
    (
        "prior incident same parties",
        {"earlier_cases_same_pair": 1, "earlier_cases_same_phone": 1},
        R,
        {"prior_incident_same_parties"},
    ),
    ("open petition", {"open_petitions": 1}, Y, {"open_petition"}),
    ("failed mediation before", {"failed_mediations": 1}, Y, {"failed_mediation_before"}),
    # Text signals beyond the fixed keywords (issue: triage that reads a resident's words).
    (
        "domestic violence told plainly",
        {"text": "我老公喝了酒就打我，孩子都看见了", "category_code": "family"},
        R,
        {"domestic_violence"},
    ),
    (
        "abandonment of an elder",
        {"text": "儿子把老人赶出家门，不给饭吃", "category_code": "family"},
        R,
        {"domestic_violence"},
    ),
    ("bringing people to a door", {"text": "再不解决我就叫上村里人一起去他家门口"}, R, {"collective_action"}),
    ("a collective action announced", {"text": "工友们说明天去政府门口拉横幅"}, R, {"collective_action"}),
    ("despair without the word suicide", {"text": "我真的走投无路了，没有活路了"}, R, {"threat_self_harm"}),
    ("an injury already caused", {"text": "昨天吵架他把我打伤了，现在还在医院"}, R, {"injury_caused"}),
    (
        "complained many times to several offices",
        {"text": "找过村委会、镇政府、信访局，都没解决"},
        Y,
        {"repeat_complaint"},
    ),
    ("negated threat", {"text": "我们不会打人的，只想要个说法"}, W, {"discounted_mentions"}),
    ("a benign compound", {"text": "楼下炸鸡店油烟太大"}, W, {"category_base"}),
    (
        "surgery is not a knife threat",
        {"text": "父亲开刀后感染", "category_code": "medical", "category_base": Y},
        Y,
        {"category_base"},
    ),
    ("a phone call is not hitting", {"text": "他天天打我电话骂人"}, W, {"category_base"}),
    (
        "a weapon word without an act",
        {"text": "菜刀质量有问题要求退货", "category_code": "consumer"},
        W,
        {"category_base"},
    ),
    (
        "head count in Chinese numerals",
        {"text": "我们三十来个工人的工资被拖欠", "category_code": "labour", "category_base": Y},
        R,
        {"group_dispute", "wage_arrears_many", "figures_read"},
    ),
    (
        "amount in Chinese numerals",
        {"text": "借给他五十余万元一直不还", "category_code": "debt"},
        Y,
        {"large_amount", "figures_read"},
    ),
    ("a count that only describes the place", {"text": "小区有三百户，楼上那户天天吵"}, W, {"category_base"}),
    ("a threat told by the one threatened", {"text": "楼上说再敢去敲门就让我好看"}, R, {"threat_violence"}),
    ("a regret is not a threat", {"text": "这房子买得让我很后悔"}, W, {"category_base"}),
    ("custom keyword list", {"text": "他扬言要教训我", "keywords": {"violence": ["扬言"]}}, R, {"threat_violence"}),
    ("default list replaced", {"text": "对方拿着刀", "keywords": {"violence": ["扬言"]}}, W, {"category_base"}),
]


@pytest.mark.parametrize(("overrides", "colour", "rules"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_triage_table(overrides, colour, rules):
    result = triage(facts(**overrides))
    assert result.colour == colour
    fired = {r.rule for r in result.reasons}
    assert rules <= fired
    # The colour is explained: some fired rule asks for exactly that colour.
    assert any(r.colour == result.colour for r in result.reasons)
    # Every reason renders as a sentence.
    for r in result.reasons_as_dicts():
        assert reason_text(r) and reason_text(r) != r["rule"]


def test_the_words_that_fired_are_listed():
    result = triage(facts(text="拿刀说要砍死他"))
    reasons = {r.rule: r for r in result.reasons}
    assert reasons["weapon"].params["words"] == ["刀"]
    assert "砍死" in reasons["threat_violence"].params["words"]


@pytest.mark.parametrize(("current", "proposed", "expected"), [(W, R, R), (R, W, R), (Y, W, Y), (Y, R, R), (W, W, W)])
def test_new_information_never_lowers_the_colour(current, proposed, expected):
    assert combine(current, proposed) == expected


@pytest.mark.parametrize(("colour", "expected"), [(W, Y), (Y, R), (R, R)])
def test_escalation_raises_one_step(colour, expected):
    assert raise_one_step(colour) == expected


def test_reason_text_follows_the_language():
    reason = triage(facts(text="他要杀人")).reasons_as_dicts()[-1]
    with translation.override("en"):
        english = reason_text(reason)
    assert "threatens violence" in english
    assert "杀人" in english


def test_a_figure_from_a_chosen_range_names_the_range_not_a_false_exact_number():
    result = triage(facts(category_code="labour", category_base=Y, people_involved=10, people_band="10-29"))
    group = next(r for r in result.reasons if r.rule == "group_dispute")
    wage = next(r for r in result.reasons if r.rule == "wage_arrears_many")
    assert group.params["band"] == wage.params["band"] == "10-29"
    with translation.override("en"):
        assert "The resident chose “10 to 29 people”" in reason_text(wage.as_dict())


def test_a_figure_read_from_the_text_is_never_taken_for_the_chosen_range():
    result = triage(facts(text="我们三十来个工人的工资被拖欠", people_involved=2, people_band="2-4"))
    group = next(r for r in result.reasons if r.rule == "group_dispute")
    assert group.params == {"people": 30, "read_from_text": "三十来个工人"}
    read = next(r for r in result.reasons if r.rule == "figures_read")
    assert read.params["people"] == {"value": "30", "words": "三十来个工人"}
