"""类案参考's arithmetic (disputes.rules.similarity): text, area, amount, parties, what worked, and the ranking."""

from decimal import Decimal

import pytest

from disputes.rules import similarity as s

GRID = "0001000100010001"  # city / county / township / village / grid, four characters each: a grid path
PATH = "00010001000100010001"


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (PATH, 1.0),
        ("00010001000100010002", 0.75),
        ("00010001000100020001", 0.5),
        ("00010001000200010001", 0.25),
        ("00010002000100010001", 0.0),
        ("", 0.0),
    ],
)
def test_area_closeness(other, expected):
    assert s.area_closeness(PATH, other) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (None, None, 1.0),
        (None, 100, 0.5),
        (Decimal("1000"), Decimal("1000"), 1.0),
        (999, 9999, 0.5),
        (10, 1_000_000, 0.0),
    ],
)
def test_amount_closeness(a, b, expected):
    assert s.amount_closeness(a, b) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (s.Outcome("agreement", "performed", "satisfied", 0), 1.0),
        (s.Outcome("agreement", "not_performed", "dissatisfied", 1), 0.35),
        (s.Outcome("litigation", "", "", 0), 0.0 + 0.2 * 0.5 + 0.3 * 0.5 + 0.15),
        (s.Outcome("resolved_otherwise", "", "basically_satisfied", 0), 0.35 + 0.1 + 0.21 + 0.15),
    ],
)
def test_worked(outcome, expected):
    assert s.worked(outcome) == pytest.approx(expected)


def test_names_and_digits_do_not_make_stories_alike():
    a = s.text_bigrams("张伟借给李娜3000元", ["张伟", "李娜"])
    b = s.text_bigrams("王芳借给赵强500000元", ["王芳", "赵强"])
    assert a == b


def facts(pk, text, **kw):
    return s.CaseFacts(pk=pk, description=text, area_path=kw.pop("path", PATH), roles=("applicant", "respondent"), **kw)


def test_the_same_story_is_more_similar_than_another():
    case = facts(0, "楼上装修噪音扰民，卫生间天花板漏水，协商未果。")
    same = facts(1, "楼上住户装修噪音扰民，导致天花板漏水，双方协商未果。")
    other = facts(2, "因共用停车位的使用问题多次发生口角，协商未果。")
    scored = s.similarities(case, [same, other])
    assert scored[0].similarity > scored[1].similarity
    assert scored[0].parts["text"] > 0.5 > scored[1].parts["text"]


def scored(pk, similarity, recency=0):
    return s.Scored(pk=pk, similarity=similarity, worked=0.0, recency=recency)


def test_rank_prefers_what_worked_among_the_similar_ones_only():
    outcomes = {
        1: s.Outcome("litigation", "", "dissatisfied", 1),  # the most similar, failed
        2: s.Outcome("agreement", "performed", "satisfied", 0),  # nearly as similar, worked
        3: s.Outcome("agreement", "performed", "satisfied", 0),  # far less similar, worked
    }
    ranked = s.rank([scored(1, 0.90), scored(2, 0.85), scored(3, 0.40)], outcomes)
    assert [r.pk for r in ranked] == [2, 1, 3]  # 3 is below 80 % of the best: only there to make up three


def test_rank_shows_at_most_five_and_nothing_without_similarity():
    ranked = s.rank([scored(i, 0.9) for i in range(12)], {})
    assert len(ranked) == 5
    assert s.rank([scored(1, 0.0)], {}) == []
