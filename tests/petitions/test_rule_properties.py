"""Property-based tests (hypothesis) for the 信访 rules: statutory periods, the extension limit and the table.

Pure: period arithmetic, the escalation ladder and the transition table, plus
the API's extension serializer (field validation only, no database).
"""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from petitions import rules
from petitions.api.serializers import ExtensionSerializer
from petitions.rules import TZ, DeadlineKind, Status

# How many examples: the hypothesis profile (tests/conftest.py), few locally and 200 in CI.
PROPERTY = settings(deadline=None, database=None)


def _naive(year: int) -> datetime:
    """A bound for st.datetimes, which wants naive bounds and applies `timezones` itself."""
    return datetime(year, 1, 1, tzinfo=UTC).replace(tzinfo=None)


days_received = st.dates(min_value=date(1992, 1, 1), max_value=date(2100, 1, 1))
periods = st.integers(min_value=0, max_value=400)
extensions = st.integers(min_value=1, max_value=rules.MAX_EXTENSION_DAYS)


# --- Statutory periods ---------------------------------------------------------------------


def test_the_statutory_periods_are_those_of_the_regulations():
    # 信访工作条例: decide in 15 days, handle in 60 (+30 once), 30 to ask for and 30 to give a review.
    assert rules.PERIOD_DAYS == {
        DeadlineKind.DECIDE_ACCEPTANCE: 15,
        DeadlineKind.HANDLE: 60,
        DeadlineKind.REVIEW_REQUEST: 30,
        DeadlineKind.REPLY: 30,
    }
    assert rules.MAX_EXTENSION_DAYS == 30


@PROPERTY
@given(days_received, periods)
def test_a_period_ends_at_local_midnight_after_its_last_day(start, days):
    end = rules.period_end(start, days)
    assert end.tzinfo == TZ
    assert end.timetz() == time.min.replace(tzinfo=TZ)
    # "15 日内": the whole 15th day after the start is still inside the period.
    assert rules.local_date(end - timedelta(microseconds=1)) == start + timedelta(days=days)
    assert rules.local_date(end) == start + timedelta(days=days + 1)
    # Calendar days in a zone without daylight saving: exactly 24 real hours each.
    start_of_day = datetime.combine(start, time.min, tzinfo=TZ)
    assert end.astimezone(UTC) - start_of_day.astimezone(UTC) == timedelta(days=days + 1)


@PROPERTY
@given(days_received, st.sampled_from(list(rules.PERIOD_DAYS)))
def test_every_deadline_kind_falls_due_its_days_after_the_start(start, kind):
    end = rules.period_end(start, rules.PERIOD_DAYS[kind])
    assert (rules.local_date(end) - start).days == rules.PERIOD_DAYS[kind] + 1


@PROPERTY
@given(days_received, periods, periods)
def test_a_longer_period_never_ends_earlier(start, a, b):
    assert (rules.period_end(start, a) <= rules.period_end(start, b)) == (a <= b)


@PROPERTY
@given(days_received, extensions)
def test_an_extension_adds_whole_days_and_stays_within_ninety(start, extra):
    # petition_extend moves the handling due date by `days`: the same as a longer period.
    handle_due = rules.period_end(start, rules.HANDLING_DAYS)
    extended = handle_due + timedelta(days=extra)
    assert extended == rules.period_end(start, rules.HANDLING_DAYS + extra)
    assert handle_due < extended <= rules.period_end(start, rules.HANDLING_DAYS + rules.MAX_EXTENSION_DAYS)


@PROPERTY
# DRF refuses NUL characters in any text field (a separate check): leave them out of the reasons here.
@given(
    st.integers(min_value=-1000, max_value=1000),
    st.text(min_size=1, max_size=30).filter(lambda s: s.strip() and "\x00" not in s),
)
def test_the_extension_form_accepts_one_to_thirty_days_only(days, reason):
    form = ExtensionSerializer(data={"days": days, "reason": reason})
    assert form.is_valid() == (1 <= days <= rules.MAX_EXTENSION_DAYS)
    if not form.is_valid():
        assert "days" in form.errors


# --- The ladder ----------------------------------------------------------------------------

moments = st.datetimes(min_value=_naive(2000), max_value=_naive(2100), timezones=st.just(UTC))


@PROPERTY
@given(st.sampled_from(DeadlineKind.values), moments)
def test_the_first_rung_comes_at_or_before_the_due_date(kind, due):
    first = rules.first_rung(kind=kind, due=due)
    assert first <= due
    assert due - first == rules.REMIND_BEFORE.get(kind, timedelta(0))


@PROPERTY
@given(st.sampled_from(DeadlineKind.values), moments)
def test_the_ladder_climbs_one_level_at_a_time_and_ends(kind, due):
    steps, level = [], 0
    while (step := rules.next_step(kind=kind, level=level, due=due)) is not None:
        assert step.level == level + 1
        steps.append(step)
        level = step.level
        assert level <= 2
    if kind == DeadlineKind.REVIEW_REQUEST:
        assert [s.action for s in steps] == [rules.LAPSE]
    else:
        assert [s.action for s in steps] == [rules.REMIND, rules.ESCALATE]
        # Remind before the date, escalate once it has passed.
        assert rules.first_rung(kind=kind, due=due) <= steps[0].next_at == due
    assert steps[-1].next_at is None


# --- The transition table ------------------------------------------------------------------

ALL_ROLES = (rules.SYSTEM, rules.MEDIATOR, rules.DEPARTMENT_STAFF, rules.DISPATCHER, rules.SUPERVISOR, rules.ADMIN)
statuses = st.sampled_from(Status.values) | st.text(max_size=12)
roles = st.sampled_from(ALL_ROLES) | st.text(max_size=12)
actions = st.sampled_from(list(rules.TRANSITIONS)) | st.text(max_size=12)
reasons = st.text(max_size=20) | st.sampled_from(["", " ", "\t\n", "\u3000", "不属于本机关职权范围"])


@PROPERTY
@given(statuses, roles)
def test_allowed_actions_are_exactly_those_check_transition_allows(status, role):
    allowed = rules.allowed_actions(status, role)
    if status in rules.FINAL_STATUSES:
        assert allowed == []
    for action in rules.TRANSITIONS:
        result = rules.check_transition(status=status, action=action, role=role, reason="理由")
        assert isinstance(result, rules.Transition) == (action in allowed)
        if action in allowed:
            assert result.target in Status.values


@PROPERTY
@given(statuses, actions, roles, reasons)
def test_reason_required_exactly_when_a_needed_reason_is_blank(status, action, role, reason):
    result = rules.check_transition(status=status, action=action, role=role, reason=reason)
    transition = rules.TRANSITIONS.get(action)
    if transition is None:
        assert result == "unknown_action"
        return
    in_table = status in transition.sources and role in transition.roles
    blank_but_needed = transition.needs_reason and not reason.strip()
    assert (result == "reason_required") == (in_table and blank_but_needed)
    assert (result is transition) == (in_table and not blank_but_needed)
