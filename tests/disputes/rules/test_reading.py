"""Reading a resident's words (disputes/rules/reading.py): numbers, negation, discounted mentions. No database."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disputes.rules import reading
from disputes.rules.triage import DEFAULT_KEYWORDS, TriageInput, reason_text, triage

# How many examples: the hypothesis profile (tests/conftest.py), few locally and 200 in CI.
PROPERTY = settings(deadline=None, database=None)


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("三万", 30000),
        ("三万多", 30000),
        ("五十余", 50),
        ("三十来", 30),
        ("十几", 11),
        ("几十", 20),
        ("上百", 100),
        ("近百", 90),
        ("数百", 200),
        ("两千五百", 2500),
        ("二十八万", 280000),
        ("1.5万", 15000),
        ("3万5", 35000),
        ("12", 12),
        ("１２", 12),  # full-width digits
        ("几十万", 200000),
    ],
)
def test_numbers_as_residents_write_them(words, value):
    assert reading.to_number(words) == Decimal(value)


@pytest.mark.parametrize("words", ["", "万", "多", "abc", "🙂", "十十十十", "." * 50, "9" * 40])
def test_unreadable_numbers_are_none_not_errors(words):
    assert reading.to_number(words) is None or reading.to_number(words) >= 0


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("我们三十来个工人的工资被拖欠了", 30),
        ("八十余名农民工的工资没拿到", 80),
        ("上百户村民的地被占了", 100),
        ("我们12个人一起去讨薪", 12),
        ("村里几十户人家的地被淹了", 20),
    ],
)
def test_head_counts_about_the_people_involved(text, people):
    assert reading.largest(reading.read_head_counts(text)).value == people


@pytest.mark.parametrize(
    "text",
    [
        "小区有三百户，楼上那一户天天吵",  # describes the place
        "我家有五口人，邻居装修太吵",
        "楼上漏水",
    ],
)
def test_head_counts_that_only_describe_are_not_read(text):
    assert reading.read_head_counts(text) == []


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("老板拖欠工资二十八万左右", 280000),
        ("借给他五十余万元，一直不还", 500000),
        ("他欠我两万多块钱", 20000),
        ("要求赔偿医药费¥12,800", 12800),
        ("押金3000元不退", 3000),
        ("损失1.5万元", 15000),
    ],
)
def test_amounts_at_stake(text, amount):
    assert reading.largest(reading.read_amounts(text)).value == amount


@pytest.mark.parametrize(
    "text",
    [
        "房子价值一百万，漏水的事",  # a value, not what is claimed
        "我月薪五千元，邻居太吵",
        "楼上漏水",
    ],
)
def test_amounts_not_at_stake_are_not_read(text):
    assert reading.read_amounts(text) == []


@pytest.mark.parametrize(
    ("text", "word", "why"),
    [
        ("我们不会打人的", "打人", "negated"),
        ("我从来没想过自杀", "自杀", "negated"),
        ("他并没有拿刀", "刀", "negated"),
        ("他开玩笑说要打死我", "打死", "joke"),
        ("电视里演的砍人", "砍人", "story"),
        ("去年他说过要打死我，后来已经和好了", "打死", "past_settled"),
        ("不给钱就砍死他", "砍死", ""),  # a condition, not a negation
        ("他不停地打我", "打我", ""),  # 不停 does not negate
        ("别人打我", "打我", ""),  # 别人 is someone else, not "don't"
        ("他没少打我", "打我", ""),
    ],
)
def test_mentions_are_judged(text, word, why):
    mentions = [m for m in reading.find_mentions(text, [word]) if m.word == word]
    assert mentions and mentions[0].discounted == why


def test_a_word_inside_a_benign_compound_is_not_a_mention():
    assert reading.find_mentions("门口新开了一家炸鸡店", ["炸"], benign=["炸鸡"]) == []
    assert reading.find_mentions("他要炸了我家", ["炸"], benign=["炸鸡"])


ANY_TEXT = st.text(max_size=5000) | st.text(
    alphabet=st.sampled_from(list("我们不会打人三十来万元余多几十户🙂😡abcABC１２３,。！？\n\u3000¥￥一二两百千万亿")),
    max_size=400,
)


@PROPERTY
@given(ANY_TEXT)
def test_reading_never_throws_and_triage_always_answers_with_reasons(text):
    reading.read_head_counts(text)
    reading.read_amounts(text)
    reading.find_mentions(text, DEFAULT_KEYWORDS["violence"])
    result = triage(TriageInput(text=text, category_code="neighbour", category_base=3))
    assert result.reasons
    for reason in result.reasons:
        assert reason_text(reason.as_dict())


def test_five_thousand_characters_answer_quickly_enough_to_run_at_intake():
    text = ("邻居装修噪音扰民，我们不会打人，" * 400)[:5000]
    result = triage(TriageInput(text=text, category_code="neighbour", category_base=3))
    assert result.colour == 3
