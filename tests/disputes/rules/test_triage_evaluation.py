"""The triage rules measured against a labelled set of resident texts (研判 evaluation set).

`triage_eval/cases.jsonl` holds what residents, hotline operators and grid workers actually type,
each with the colour a dispute centre's dispatcher would give and why (see triage_eval/README.md).
This module runs every entry through `triage()` and reports accuracy, red recall and precision,
the confusion matrix and the misses. The floors below are what the rules must reach; the report is
printed (shown when the test fails) and written to VAR_DIR/triage_eval_report.txt.

No database: the entries carry only what the form gives (text, category, parties, the numbers a
resident may state); the facts the service looks up (earlier cases, petitions) stay at zero.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings

from disputes.rules import triage as triage_rules
from disputes.rules.enums import Colour

# The lead adjusts these to the measured figures; a change to the rules may not lower them.
RED_RECALL_FLOOR = 1.0
ACCURACY_FLOOR = 0.94

CASES_FILE = Path(__file__).parent / "triage_eval" / "cases.jsonl"
# A second set, written later by other hands as fresh texts in other voices and situations; its
# first measurement is kept in docs/design.md. Both sets must meet the floors.
HOLDOUT_FILE = Path(__file__).parent / "triage_eval" / "holdout.jsonl"
# A third, written blind (without the rules or the other sets) and measured once before any change.
BLIND_FILE = Path(__file__).parent / "triage_eval" / "blind.jsonl"
ALL_FILES = (CASES_FILE, HOLDOUT_FILE, BLIND_FILE)
REPORT_NAME = "triage_eval_report.txt"

W, Y, R = Colour.WHITE, Colour.YELLOW, Colour.RED
COLOURS = {"red": R, "yellow": Y, "white": W}
COLOUR_NAMES = {v: k for k, v in COLOURS.items()}

# Category code -> base colour, as the diversion list sets it: labour, medical and land disputes
# start yellow, everything else white.
CATEGORY_BASE = {
    "family": W,
    "neighbour": W,
    "daily_life": W,
    "debt": W,
    "labour": Y,
    "property": W,
    "medical": Y,
    "land": Y,
    "traffic": W,
    "consumer": W,
    "market": W,
    "ip": W,
    "new_economy": W,
}

SIGNAL_TAGS = frozenset(
    {
        "violence",
        "self_harm",
        "despair",
        "weapon",
        "domestic_violence",
        "abuse",
        "gathering",
        "collective_action",
        "injury",
        "group",
        "wage_many",
        "large_amount",
        "repeat_complaint",
        "vulnerable",
        "chinese_numerals",
    }
)
TRAP_TAGS = frozenset(
    {
        "trap",
        "negation",
        "joke",
        "figure_of_speech",
        "quote",
        "past_resolved",
        "benign_minor",
        "benign_number",
        "benign_word",
        "edge_input",
    }
)
# Tags that only describe a kind of trap and so never come without `trap`. `quote` may: reported
# speech with `trap` is words that do not count (someone else's, long ago); without it, the quoted
# words are the threat itself ("他说“晚上走路看着点”"), which a rule must not discount.
TRAP_KINDS = TRAP_TAGS - {"trap", "edge_input", "quote"}
PARTY_FLAGS = ("is_minor", "is_elderly", "is_disabled", "is_pregnant")

MIN_ENTRIES = 300
MIN_PER_CATEGORY = 15
MIN_TRAPS = 70


@cache
def load_cases(path: Path = CASES_FILE) -> tuple[dict, ...]:
    with path.open(encoding="utf-8") as f:
        return tuple(json.loads(line) for line in f if line.strip())


def build_input(case: dict, rules: ModuleType = triage_rules):
    """The TriageInput the service would build from this entry's form (keywords left at the default)."""
    parties = case.get("parties") or [{"role": "applicant"}, {"role": "respondent"}]
    amount = case.get("amount")
    return rules.TriageInput(
        text=case["text"],
        category_code=case["category"],
        category_base=CATEGORY_BASE[case["category"]],
        parties=tuple(
            rules.PartyFacts(role=p["role"], **{flag: bool(p.get(flag, False)) for flag in PARTY_FLAGS})
            for p in parties
        ),
        people_involved=case.get("people_involved"),
        amount=None if amount is None else Decimal(str(amount)),
    )


@dataclass
class Miss:
    id: str
    expected: str
    got: str
    rules: list[str]
    text: str


@dataclass
class Evaluation:
    total: int = 0
    correct: int = 0
    # confusion[expected][got] -> count; "error" as got when triage raised.
    confusion: dict[str, Counter] = field(default_factory=lambda: {name: Counter() for name in COLOURS})
    misses: list[Miss] = field(default_factory=list)
    by_category: dict[str, list[int]] = field(default_factory=dict)  # code -> [correct, total]
    traps: list[int] = field(default_factory=lambda: [0, 0])  # [correct, total]

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def red_recall(self) -> float:
        reds = sum(self.confusion["red"].values())
        return self.confusion["red"]["red"] / reds if reds else 0.0

    @property
    def red_precision(self) -> float:
        called_red = sum(row["red"] for row in self.confusion.values())
        return self.confusion["red"]["red"] / called_red if called_red else 0.0

    def report(self, title: str = "Triage evaluation") -> str:
        lines = [
            f"{title}: {self.total} entries",
            f"accuracy      {self.accuracy:.3f} ({self.correct}/{self.total}), floor {ACCURACY_FLOOR}",
            f"red recall    {self.red_recall:.3f}, floor {RED_RECALL_FLOOR}",
            f"red precision {self.red_precision:.3f}",
            f"traps         {self.traps[0]}/{self.traps[1]} coloured as labelled",
            "",
            "confusion (rows: expected, columns: got)",
            f"{'':>8}" + "".join(f"{name:>8}" for name in [*COLOURS, "error"]),
        ]
        for expected, row in self.confusion.items():
            lines.append(f"{expected:>8}" + "".join(f"{row[got]:>8}" for got in [*COLOURS, "error"]))
        lines += ["", "by category (correct/total)"]
        for code, (ok, n) in sorted(self.by_category.items()):
            lines.append(f"  {code:<12} {ok:>3}/{n}")
        lines += ["", f"misses ({len(self.misses)})"]
        for m in self.misses:
            lines.append(f"  {m.id:<10} expected {m.expected:<6} got {m.got:<6} [{', '.join(m.rules)}] {m.text}")
        return "\n".join(lines) + "\n"


def is_trap(case: dict) -> bool:
    return "trap" in case["tags"]


def evaluate(cases, rules: ModuleType = triage_rules) -> Evaluation:
    """Colour every entry with `rules.triage` and tally the result against the labels."""
    ev = Evaluation()
    for case in cases:
        expected = case["colour"]
        try:
            result = rules.triage(build_input(case, rules))
            got = COLOUR_NAMES.get(result.colour, str(result.colour))
            fired = [r.rule for r in result.reasons]
        except Exception as exc:  # a crash is reported as a miss (and fails test_triage_never_throws)
            got, fired = "error", [f"{type(exc).__name__}: {exc}"]
        ev.total += 1
        ev.confusion[expected][got] += 1
        cat = ev.by_category.setdefault(case["category"], [0, 0])
        cat[1] += 1
        trap = is_trap(case)
        ev.traps[1] += trap
        if got == expected:
            ev.correct += 1
            cat[0] += 1
            ev.traps[0] += trap
        else:
            snippet = case["text"][:60].replace("\n", " ")
            ev.misses.append(Miss(case["id"], expected, got, fired, snippet))
    return ev


def write_report(text: str) -> Path | None:
    var_dir = getattr(settings, "VAR_DIR", None)
    if not var_dir:
        return None
    path = Path(var_dir) / REPORT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- The measurement ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.stem)
def test_triage_meets_the_floors_on_the_evaluation_set(path):
    ev = evaluate(load_cases(path))
    report = ev.report(f"Triage evaluation ({path.name})")
    print(report)
    if path == CASES_FILE:
        write_report(report)
    summary = f"accuracy {ev.accuracy:.3f}, red recall {ev.red_recall:.3f}, red precision {ev.red_precision:.3f}"
    assert ev.red_recall >= RED_RECALL_FLOOR, f"red recall below the floor: {summary}"
    assert ev.accuracy >= ACCURACY_FLOOR, f"accuracy below the floor: {summary}"


@pytest.mark.parametrize(
    "case", load_cases() + load_cases(HOLDOUT_FILE) + load_cases(BLIND_FILE), ids=lambda c: c["id"]
)
def test_triage_never_throws(case):
    result = triage_rules.triage(build_input(case))
    assert result.colour in COLOUR_NAMES


EDGE_INPUTS = [c for c in load_cases() if "edge_input" in c["tags"]]


@pytest.mark.parametrize("case", EDGE_INPUTS, ids=lambda c: c["id"])
def test_edge_inputs_get_a_colour_and_a_reason(case):
    result = triage_rules.triage(build_input(case))
    assert result.colour in COLOUR_NAMES
    assert result.reasons, "every colour comes with at least one reason"


# --- The set itself ----------------------------------------------------------------------------


def test_the_set_is_large_enough():
    assert len(load_cases()) >= MIN_ENTRIES


def test_ids_are_unique():
    ids = Counter(c["id"] for c in load_cases() + load_cases(HOLDOUT_FILE) + load_cases(BLIND_FILE))
    assert [i for i, n in ids.items() if n > 1] == []


def test_every_category_is_covered():
    per_category = Counter(c["category"] for c in load_cases())
    assert set(per_category) == set(CATEGORY_BASE)
    assert {code: n for code, n in per_category.items() if n < MIN_PER_CATEGORY} == {}


def test_all_three_colours_are_present():
    assert {c["colour"] for c in load_cases()} == set(COLOURS)


def test_there_are_enough_traps():
    assert sum(is_trap(c) for c in load_cases()) >= MIN_TRAPS


def test_edge_inputs_are_present():
    texts = [c["text"] for c in EDGE_INPUTS]
    assert any(len(t) <= 3 for t in texts), "a text of three characters or fewer"
    assert any(len(t) > 1500 for t in texts), "a text over 1,500 characters"


@pytest.mark.parametrize(
    "case", load_cases() + load_cases(HOLDOUT_FILE) + load_cases(BLIND_FILE), ids=lambda c: c["id"]
)
def test_entry_is_well_formed(case):
    assert case["category"] in CATEGORY_BASE
    assert case["colour"] in COLOURS
    assert case["text"].strip()
    assert case["why"].strip()
    assert set(case["tags"]) <= SIGNAL_TAGS | TRAP_TAGS, set(case["tags"]) - SIGNAL_TAGS - TRAP_TAGS
    if TRAP_KINDS & set(case["tags"]):
        assert "trap" in case["tags"], "a trap kind goes with the trap tag"
    people = case.get("people_involved")
    assert people is None or (isinstance(people, int) and people > 0)
    amount = case.get("amount")
    assert amount is None or Decimal(str(amount)) > 0
    for party in case.get("parties") or []:
        assert party["role"] in {"applicant", "respondent", "third_party"}
        assert set(party) <= {"role", *PARTY_FLAGS}
    # A labour, medical or land dispute is never white: the category alone makes it yellow.
    assert not (CATEGORY_BASE[case["category"]] == Y and case["colour"] == "white")


# --- The arithmetic of the report --------------------------------------------------------------


class _StubRules:
    """Stands in for the rules module: colours by a fixed answer per text."""

    TriageInput = triage_rules.TriageInput
    PartyFacts = triage_rules.PartyFacts

    def __init__(self, answers):
        self.answers = answers

    def triage(self, facts):
        answer = self.answers[facts.text]
        if answer is None:
            raise ValueError("boom")
        return type("Result", (), {"colour": answer, "reasons": []})()


def test_metrics_are_computed_as_defined():
    cases = [
        {"id": "a", "category": "family", "text": "a", "colour": "red", "tags": []},
        {"id": "b", "category": "family", "text": "b", "colour": "red", "tags": ["trap"]},
        {"id": "c", "category": "labour", "text": "c", "colour": "yellow", "tags": []},
        {"id": "d", "category": "debt", "text": "d", "colour": "white", "tags": ["negation", "trap"]},
        {"id": "e", "category": "debt", "text": "e", "colour": "white", "tags": []},
    ]
    ev = evaluate(cases, _StubRules({"a": R, "b": Y, "c": Y, "d": R, "e": None}))
    assert (ev.total, ev.correct) == (5, 2)
    assert ev.red_recall == 0.5  # a of a, b
    assert ev.red_precision == 0.5  # a of a, d
    assert ev.confusion["white"]["error"] == 1
    assert [m.id for m in ev.misses] == ["b", "d", "e"]
    assert ev.traps == [0, 2]
    assert ev.by_category == {"family": [1, 2], "labour": [1, 1], "debt": [0, 2]}
