"""The petition transition table and statutory clocks as data, without the database."""

from datetime import date, datetime, timedelta

import pytest

from petitions import rules
from petitions.rules import (
    ADMIN,
    DEPARTMENT_STAFF,
    DISPATCHER,
    MEDIATOR,
    SUPERVISOR,
    SYSTEM,
    TRANSITIONS,
    DeadlineKind,
    Status,
    allowed_actions,
    check_transition,
)

S = Status
ROLES = (SYSTEM, MEDIATOR, DEPARTMENT_STAFF, DISPATCHER, SUPERVISOR, ADMIN)


@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        (S.REGISTERED, DEPARTMENT_STAFF, ["accept", "not_accept", "refer", "to_dispute"]),
        (S.REGISTERED, SYSTEM, []),
        (S.REGISTERED, MEDIATOR, []),
        (S.ACCEPTED, DEPARTMENT_STAFF, ["reply", "to_dispute"]),
        (S.ACCEPTED, DISPATCHER, ["to_dispute"]),
        (S.REPLIED, SYSTEM, ["close"]),
        (S.REPLIED, SUPERVISOR, ["request_review", "close"]),
        (S.REVIEW_REQUESTED, DEPARTMENT_STAFF, ["close"]),
        (S.CLOSED, ADMIN, []),
        (S.NOT_ACCEPTED, SUPERVISOR, []),
        (S.CONVERTED, ADMIN, []),
    ],
)
def test_allowed_actions(status, role, expected):
    assert allowed_actions(status, role) == expected


# Every (status, action, role) is either in the table or refused with the first reason that applies.
CASES = [(status, action, role) for status in S for action in TRANSITIONS for role in ROLES]


@pytest.mark.parametrize(("status", "action", "role"), CASES)
def test_every_combination_is_allowed_exactly_when_the_table_says(status, action, role):
    t = TRANSITIONS[action]
    result = check_transition(status=status, action=action, role=role, reason="因为")
    if status not in t.sources:
        assert result == "wrong_state"
    elif role not in t.roles:
        assert result == "wrong_role"
    else:
        assert result is t
        assert result.target in S.values


def test_unknown_action_and_missing_reason_are_refused():
    assert check_transition(status=S.REGISTERED, action="approve", role=ADMIN) == "unknown_action"
    assert check_transition(status=S.REGISTERED, action="not_accept", role=SUPERVISOR, reason=" ") == "reason_required"
    assert check_transition(status=S.REGISTERED, action="refer", role=SUPERVISOR) == "reason_required"
    assert check_transition(status=S.REGISTERED, action="accept", role=SUPERVISOR) is TRANSITIONS["accept"]


def test_final_states_have_no_way_out_and_open_ones_do():
    for status in rules.FINAL_STATUSES:
        assert all(allowed_actions(status, role) == [] for role in ROLES)
    for status in rules.OPEN_STATUSES:
        assert any(allowed_actions(status, role) for role in ROLES)


def test_a_period_ends_at_the_end_of_its_last_local_day():
    due = rules.period_end(date(2026, 3, 1), 15)
    assert due == datetime(2026, 3, 17, 0, 0, tzinfo=rules.TZ)
    assert rules.period_end(date(2026, 3, 1), 60) == datetime(2026, 5, 1, tzinfo=rules.TZ)


def test_the_ladder_reminds_before_the_due_date_then_escalates_then_stops():
    due = datetime(2026, 3, 17, tzinfo=rules.TZ)
    assert rules.first_rung(kind=DeadlineKind.DECIDE_ACCEPTANCE, due=due) == due - timedelta(days=3)
    assert rules.next_step(kind=DeadlineKind.HANDLE, level=0, due=due) == rules.Step(rules.REMIND, 1, due)
    assert rules.next_step(kind=DeadlineKind.HANDLE, level=1, due=due) == rules.Step(rules.ESCALATE, 2, None)
    assert rules.next_step(kind=DeadlineKind.HANDLE, level=2, due=due) is None


def test_the_review_window_lapses_at_its_due_date_without_reminders():
    due = datetime(2026, 3, 17, tzinfo=rules.TZ)
    assert rules.first_rung(kind=DeadlineKind.REVIEW_REQUEST, due=due) == due
    assert rules.next_step(kind=DeadlineKind.REVIEW_REQUEST, level=0, due=due).action == rules.LAPSE
    assert rules.next_step(kind=DeadlineKind.REVIEW_REQUEST, level=1, due=due) is None
