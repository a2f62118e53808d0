"""Property-based tests (hypothesis) for the pure rules: 研判 triage, SLA clocks and the 六步闭环 table.

The example tests next door pin single cases; these state what must hold for
every input, so a change to a threshold or a table that breaks an invariant
fails here even when no example happens to cover it. No database.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from disputes.rules import clocks, lifecycle
from disputes.rules.enums import Colour, DeadlineKind, Status
from disputes.rules.triage import (
    DEFAULT_KEYWORDS,
    LABOUR_CATEGORIES,
    TEXT_SIGNALS,
    PartyFacts,
    TriageInput,
    combine,
    raise_one_step,
    reason_text,
    triage,
)

# database=None: no .hypothesis/ example store written into the working tree.
# How many examples: the hypothesis profile (tests/conftest.py), few locally and 200 in CI.
PROPERTY = settings(deadline=None, database=None)


def _naive(year: int) -> datetime:
    """A bound for st.datetimes, which wants naive bounds and applies `timezones` itself."""
    return datetime(year, 1, 1, tzinfo=UTC).replace(tzinfo=None)


SHANGHAI = ZoneInfo("Asia/Shanghai")

# --- Strategies ----------------------------------------------------------------------------

COLOURS = st.sampled_from([int(c) for c in Colour])
ALL_KEYWORDS = [(kind, word) for kind, words in DEFAULT_KEYWORDS.items() for word in words]

parties = st.builds(
    PartyFacts,
    role=st.sampled_from(["applicant", "respondent", "third_party"]),
    phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    is_minor=st.booleans(),
    is_elderly=st.booleans(),
    is_disabled=st.booleans(),
    is_pregnant=st.booleans(),
)
# Ordinary complaint text, mixed with Chinese; may by chance contain keywords, which is fine.
texts = st.text(alphabet=st.sampled_from(list("邻居噪音漏水工资欠款装修停车 abc,。！\n")), max_size=60)
texts |= st.sampled_from(["", "楼上漏水，物业不管", "老板拖欠工资三个月"])
amounts = st.none() | st.decimals(min_value=0, max_value=Decimal("5000000"), places=2, allow_nan=False)
counts = st.integers(min_value=0, max_value=5)

triage_inputs = st.builds(
    TriageInput,
    text=texts,
    category_code=st.sampled_from(["neighbour", "family", "property", *sorted(LABOUR_CATEGORIES)]),
    category_base=COLOURS,
    parties=st.lists(parties, max_size=12).map(tuple),
    people_involved=st.none() | st.integers(min_value=0, max_value=200),
    amount=amounts,
    earlier_cases_same_phone=counts,
    earlier_cases_same_pair=counts,
    open_petitions=counts,
    failed_mediations=counts,
)


def _replace(facts: TriageInput, **changes) -> TriageInput:
    return TriageInput(**{**facts.__dict__, **changes})


# --- 研判 triage ---------------------------------------------------------------------------


@PROPERTY
@given(triage_inputs)
def test_colour_is_never_below_the_category_base_and_is_the_most_urgent_reason(facts):
    result = triage(facts)
    assert result.colour in Colour.values
    # Lower value = more urgent: the result is at least as urgent as the category starts.
    assert result.colour <= facts.category_base
    assert result.colour == min(r.colour for r in result.reasons)
    assert result.reasons[0].rule == "category_base"


@PROPERTY
@given(triage_inputs)
def test_every_reason_is_a_known_rule_with_a_sentence(facts):
    for reason in triage(facts).reasons:
        stored = reason.as_dict()
        assert stored["colour"] in {c.code for c in Colour}
        # reason_text falls back to the bare rule id for rules it does not know.
        assert reason_text(stored) != reason.rule


@PROPERTY
@given(triage_inputs)
def test_triage_is_deterministic(facts):
    assert triage(facts) == triage(facts)


SIGNAL_RULES = {kind: (rule, colour) for kind, rule, colour in TEXT_SIGNALS}
SIGNAL_WORDS = [(kind, word) for kind, word in ALL_KEYWORDS if kind in SIGNAL_RULES]


def _said(kind: str, word: str) -> str:
    """A clause that says the word plainly: a weapon is counted beside an act with it."""
    return f"对方拿着{word}" if kind == "weapon" else word


@PROPERTY
@given(triage_inputs, st.sampled_from(SIGNAL_WORDS), st.integers(min_value=0, max_value=60))
def test_a_danger_word_said_plainly_anywhere_raises_the_case(facts, keyword, position):
    kind, word = keyword
    text = facts.text
    at = min(position, len(text))
    worse = _replace(facts, text=f"{text[:at]}。{_said(kind, word)}。{text[at:]}")
    before, after = triage(facts), triage(worse)
    rule, colour = SIGNAL_RULES[kind]
    assert after.colour <= colour
    assert after.colour <= before.colour
    fired = [r for r in after.reasons if r.rule == rule or (kind == "injury" and r.rule == "domestic_violence")]
    assert fired and any(word in r.params["words"] for r in fired)


NEGATABLE = [(kind, word) for kind, word in SIGNAL_WORDS if kind != "repeat_complaint" and word[0] not in "不没绝别未"]


@PROPERTY
@given(st.sampled_from(NEGATABLE), st.sampled_from(["我们不会", "我从来没有", "他并没有", "绝不"]))
def test_a_danger_word_just_after_a_negation_is_read_but_not_counted(keyword, negation):
    kind, word = keyword
    result = triage(TriageInput(text=f"{negation}{_said(kind, word)}", category_code="neighbour", category_base=3))
    assert result.colour == Colour.WHITE, result.reasons
    set_aside = [r for r in result.reasons if r.rule == "discounted_mentions"]
    assert set_aside and any(m["word"] == word and m["why"] == "negated" for m in set_aside[0].params["mentions"])


@PROPERTY
@given(triage_inputs, st.lists(parties, min_size=1, max_size=12))
def test_more_parties_never_lower_the_colour(facts, extra):
    more = _replace(facts, parties=(*facts.parties, *extra))
    assert triage(more).colour <= triage(facts).colour


@PROPERTY
@given(triage_inputs, st.integers(min_value=0, max_value=1000))
def test_more_people_or_unpaid_workers_never_lower_the_colour(facts, extra):
    more = _replace(facts, people_involved=(facts.people_involved or 0) + extra)
    assert triage(more).colour <= triage(facts).colour


@PROPERTY
@given(triage_inputs, st.decimals(min_value=0, max_value=Decimal("5000000"), places=2, allow_nan=False))
def test_a_larger_amount_never_lowers_the_colour(facts, extra):
    larger = _replace(facts, amount=(facts.amount or Decimal(0)) + extra)
    assert triage(larger).colour <= triage(facts).colour


@PROPERTY
@given(triage_inputs, st.sampled_from(["earlier_cases_same_phone", "earlier_cases_same_pair", "open_petitions"]))
def test_more_history_never_lowers_the_colour(facts, field):
    more = _replace(facts, **{field: getattr(facts, field) + 1})
    assert triage(more).colour <= triage(facts).colour


@PROPERTY
@given(COLOURS, COLOURS)
def test_retriage_never_drops_a_colour(current, proposed):
    combined = combine(current, proposed)
    assert combined <= current
    assert combined <= proposed
    assert combined in (current, proposed)
    assert combine(proposed, current) == combined


@PROPERTY
@given(COLOURS)
def test_raising_one_step_is_more_urgent_by_one_until_red(colour):
    raised = raise_one_step(colour)
    assert raised in Colour.values
    assert raised == (Colour.RED if colour == Colour.RED else colour - 1)


# --- SLA clocks ----------------------------------------------------------------------------

utc_moments = st.datetimes(min_value=_naive(2000), max_value=_naive(2100), timezones=st.just(UTC))
# Shanghai has kept UTC+8 without daylight saving since 1992.
shanghai_moments = st.datetimes(min_value=_naive(1992), max_value=_naive(2100), timezones=st.just(SHANGHAI))
windows = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=400))
pauses = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90))
all_windows = [w for level in clocks.DEFAULT_SERVICE_LEVELS.values() for w in level.__dict__.values() if w]


@PROPERTY
@given(utc_moments | shanghai_moments, windows)
def test_due_date_is_after_the_start_by_the_window(start, window):
    due = clocks.due_at(start, window)
    assert due > start
    assert due.astimezone(UTC) - start.astimezone(UTC) == window


@PROPERTY
@given(utc_moments | shanghai_moments, st.sampled_from(all_windows))
def test_calendar_windows_in_shanghai_are_exact_hours_and_shift_the_wall_clock_alike(start, window):
    due = clocks.due_at(start, window)
    # Calendar time: "3 days" is 72 real hours, weekends included, and a whole-day
    # window lands at the same local time of day, whatever zone the start was in.
    assert due.astimezone(UTC) - start.astimezone(UTC) == window
    local_start, local_due = start.astimezone(SHANGHAI), due.astimezone(SHANGHAI)
    assert local_due.replace(tzinfo=None) - local_start.replace(tzinfo=None) == window
    if window % timedelta(days=1) == timedelta(0):
        assert local_due.time() == local_start.time()
        assert (local_due.date() - local_start.date()).days == window.days


@PROPERTY
@given(utc_moments, windows, pauses, pauses)
def test_a_pause_moves_the_due_date_by_exactly_its_length(start, window, before_pause, pause):
    due = clocks.due_at(start, window)
    paused_at = start + before_pause
    resumed_at = paused_at + pause
    resumed_due = clocks.resume_due_at(due, paused_at, resumed_at)
    assert resumed_due - due == pause
    # The same time is left after the pause as when it began.
    assert clocks.time_left(resumed_due, resumed_at) == clocks.time_left(due, paused_at)


@PROPERTY
@given(utc_moments, windows, st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=9)))
def test_a_backwards_pause_never_moves_the_due_date_earlier(start, window, backwards):
    due = clocks.due_at(start, window)
    assert clocks.resume_due_at(due, start, start - backwards) == due


@PROPERTY
@given(utc_moments, windows, st.timedeltas(min_value=-timedelta(days=30), max_value=timedelta(days=30)), st.booleans())
def test_overdue_exactly_when_past_due_and_not_done(start, window, offset, done):
    due = clocks.due_at(start, window)
    now = due + offset
    assert clocks.is_overdue(due, now, done=done) == (not done and clocks.time_left(due, now) < timedelta(0))


@PROPERTY
@given(st.sampled_from(DeadlineKind.values), COLOURS, utc_moments, st.integers(min_value=1, max_value=4))
def test_escalation_ladder_climbs_in_order_and_in_time(kind, colour, due, tiers):
    steps, level = [], 0
    while (step := clocks.next_step(kind=kind, colour=colour, level=level, due=due, tiers=tiers)) is not None:
        assert step.level == level + 1
        steps.append(step)
        level = step.level
        assert level <= 2 + tiers  # the ladder always ends, at the top of the tree
    if kind in clocks.NO_COLOUR_RUNG:
        expected = [clocks.REMIND, clocks.ESCALATE]
    else:
        expected = [clocks.REMIND, clocks.REMIND_HEAD] + [clocks.ESCALATE] * tiers
        # The colour goes up once, at the first supervisor level; each supervisor level issues an order.
        assert [s.raise_colour for s in steps] == [False, False] + [True] + [False] * (tiers - 1)
        assert [s.tier for s in steps[2:]] == list(range(tiers))
    assert [s.action for s in steps] == expected
    times = [s.next_at for s in steps if s.next_at is not None]
    assert all(t > due for t in times)
    assert times == sorted(times) and len(set(times)) == len(times)
    assert steps[-1].next_at is None
    # Every rung but the last says when the next one falls due.
    assert all(s.next_at is not None for s in steps[:-1])


@PROPERTY
@given(st.sampled_from(DeadlineKind.values), utc_moments)
def test_more_urgent_colours_climb_faster(kind, due):
    first = {c: clocks.next_step(kind=kind, colour=c, level=0, due=due).next_at for c in Colour}
    assert first[Colour.RED] < first[Colour.YELLOW] < first[Colour.WHITE]


# --- 六步闭环 transition table ---------------------------------------------------------------

statuses = st.sampled_from(Status.values) | st.text(max_size=12)
actions = st.sampled_from(list(lifecycle.TRANSITIONS)) | st.text(max_size=12)
roles = st.sampled_from(lifecycle.ALL_ROLES) | st.text(max_size=12)
reasons = st.text(max_size=20) | st.sampled_from(["", " ", "\t\n", "\u3000", "双方已和解"])


@PROPERTY
@given(statuses, roles)
def test_allowed_actions_are_exactly_those_check_transition_allows(status, role):
    allowed = lifecycle.allowed_actions(status, role)
    for action in lifecycle.TRANSITIONS:
        result = lifecycle.check_transition(status=status, action=action, role=role, reason="理由")
        assert isinstance(result, lifecycle.Transition) == (action in allowed)
        if action in allowed:
            assert result.action == action
            assert result.target in Status.values


@PROPERTY
@given(statuses, actions, roles, reasons)
def test_reason_required_exactly_when_a_needed_reason_is_blank(status, action, role, reason):
    result = lifecycle.check_transition(status=status, action=action, role=role, reason=reason)
    transition = lifecycle.TRANSITIONS.get(action)
    if transition is None:
        assert result == "unknown_action"
        return
    in_table = status in transition.sources and role in transition.roles
    blank_but_needed = transition.needs_reason and not reason.strip()
    assert (result == "reason_required") == (in_table and blank_but_needed)
    if in_table and not blank_but_needed:
        assert result is transition
    assert result in {"wrong_state", "wrong_role", "reason_required"} or result is transition


@PROPERTY
@given(st.sampled_from(Status.values))
def test_admin_may_take_every_action_anyone_may(status):
    anyone = {a for role in lifecycle.ALL_ROLES for a in lifecycle.allowed_actions(status, role)}
    assert set(lifecycle.allowed_actions(status, lifecycle.ADMIN)) == anyone
