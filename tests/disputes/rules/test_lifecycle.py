"""The transition table as data: who may do what from where, without the database."""

from collections import deque

import pytest

from disputes.rules import lifecycle
from disputes.rules.enums import FINAL_STATUSES, Status
from disputes.rules.lifecycle import (
    ADMIN,
    CALLBACK_CALLER,
    DEPARTMENT_STAFF,
    DISPATCHER,
    MEDIATOR,
    RESIDENT,
    SUPERVISOR,
    SYSTEM,
    TRANSITIONS,
    allowed_actions,
    check_transition,
)
from grids.models import Role

S = Status


@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        # 撤回 is taken only when a supervisor approves the applicant's request (or by the platform):
        # no handler, dispatcher or resident withdraws a case directly.
        (S.SUBMITTED, SYSTEM, ["triage", "withdraw"]),
        (S.SUBMITTED, RESIDENT, []),
        (S.SUBMITTED, DISPATCHER, ["triage", "merge_duplicate"]),
        (S.SUBMITTED, CALLBACK_CALLER, []),
        (S.TRIAGED, SYSTEM, ["dispatch", "withdraw"]),
        (S.TRIAGED, SUPERVISOR, ["dispatch", "withdraw", "merge_duplicate"]),
        (S.RETURNED, DISPATCHER, ["dispatch", "merge_duplicate"]),
        (S.DISPATCHED, MEDIATOR, ["accept", "return", "transfer", "merge_duplicate"]),
        (S.DISPATCHED, DISPATCHER, ["transfer", "merge_duplicate"]),
        (S.DISPATCHED, SYSTEM, ["withdraw"]),
        (
            S.ACCEPTED,
            DEPARTMENT_STAFF,
            ["return", "transfer", "start_mediation", "report_back", "merge_duplicate"],
        ),
        (S.IN_MEDIATION, MEDIATOR, ["transfer", "report_back", "merge_duplicate"]),
        (S.IN_MEDIATION, RESIDENT, []),
        (S.IN_MEDIATION, SUPERVISOR, ["transfer", "withdraw", "merge_duplicate"]),
        (S.REPORTED, SYSTEM, ["await_callback"]),
        (S.REPORTED, MEDIATOR, []),
        (S.AWAITING_CALLBACK, CALLBACK_CALLER, ["close", "reopen"]),
        (S.AWAITING_CALLBACK, RESIDENT, ["reopen"]),
        (S.AWAITING_CALLBACK, MEDIATOR, []),
        (S.REOPENED, MEDIATOR, ["resume", "merge_duplicate"]),
        (S.CLOSED, SUPERVISOR, ["reopen"]),
        (S.CLOSED, MEDIATOR, []),
        (S.WITHDRAWN, ADMIN, []),
        (S.WITHDRAWN, RESIDENT, []),
        (S.SUBMITTED, "", []),
        (S.SUBMITTED, "janitor", []),
    ],
)
def test_allowed_actions(status, role, expected):
    assert allowed_actions(status, role) == expected


@pytest.mark.parametrize(
    ("status", "action", "role", "reason", "expected"),
    [
        (S.SUBMITTED, "triage", SYSTEM, "", "triage"),
        (S.SUBMITTED, "fly", SYSTEM, "", "unknown_action"),
        (S.CLOSED, "triage", SYSTEM, "", "wrong_state"),
        (S.SUBMITTED, "triage", RESIDENT, "", "wrong_role"),
        # The state is checked before the role, the role before the reason.
        (S.CLOSED, "accept", RESIDENT, "", "wrong_state"),
        (S.DISPATCHED, "return", DISPATCHER, "", "wrong_role"),
        (S.DISPATCHED, "return", MEDIATOR, "", "reason_required"),
        (S.DISPATCHED, "return", MEDIATOR, "  \t\n", "reason_required"),
        (S.DISPATCHED, "return", MEDIATOR, "不属于本部门职责", "return"),
        (S.AWAITING_CALLBACK, "reopen", RESIDENT, "", "reason_required"),
        (S.AWAITING_CALLBACK, "reopen", RESIDENT, "不满意", "reopen"),
        (S.AWAITING_CALLBACK, "close", CALLBACK_CALLER, "", "close"),
        (S.IN_MEDIATION, "withdraw", SUPERVISOR, "", "reason_required"),
        (S.IN_MEDIATION, "withdraw", RESIDENT, "双方已和解", "wrong_role"),
        (S.IN_MEDIATION, "withdraw", MEDIATOR, "双方已和解", "wrong_role"),
        (S.IN_MEDIATION, "withdraw", DISPATCHER, "双方已和解", "wrong_role"),
        # A suspected duplicate is merged by staff, never by the resident or the platform.
        (S.SUBMITTED, "merge_duplicate", RESIDENT, "同一纠纷", "wrong_role"),
        (S.SUBMITTED, "merge_duplicate", SYSTEM, "同一纠纷", "wrong_role"),
        (S.DISPATCHED, "merge_duplicate", DISPATCHER, "", "reason_required"),
        (S.DISPATCHED, "merge_duplicate", DISPATCHER, "同一纠纷", "merge_duplicate"),
        (S.AWAITING_CALLBACK, "merge_duplicate", SUPERVISOR, "同一纠纷", "wrong_state"),
    ],
)
def test_check_transition(status, action, role, reason, expected):
    result = check_transition(status=status, action=action, role=role, reason=reason)
    if isinstance(result, str):
        assert result == expected
    else:
        assert result.action == expected
        assert result is TRANSITIONS[expected]


def test_admin_may_take_every_action():
    for transition in TRANSITIONS.values():
        assert ADMIN in transition.roles, transition.action


def test_table_is_well_formed():
    statuses = set(Status.values)
    roles = set(lifecycle.ALL_ROLES)
    for action, transition in TRANSITIONS.items():
        assert transition.action == action
        assert transition.sources, action
        assert transition.sources <= statuses, action
        assert transition.target in statuses, action
        assert transition.roles <= roles, action
        assert str(transition.label), action


def test_staff_roles_match_the_staff_profile_roles():
    assert set(lifecycle.ALL_ROLES) - {SYSTEM, RESIDENT} == set(Role.values)


def test_nothing_leads_back_to_submitted():
    assert all(t.target != S.SUBMITTED for t in TRANSITIONS.values())


def test_withdrawn_is_final_and_closed_only_reopens():
    assert all(S.WITHDRAWN not in t.sources for t in TRANSITIONS.values())
    assert [a for a, t in TRANSITIONS.items() if S.CLOSED in t.sources] == ["reopen"]
    assert {S.CLOSED, S.WITHDRAWN} == FINAL_STATUSES


@pytest.mark.parametrize("status", [s for s in Status.values if s not in FINAL_STATUSES])
def test_every_open_status_has_a_way_out(status):
    ways_out = [t for t in TRANSITIONS.values() if status in t.sources and t.target != status]
    assert ways_out, status
    # … and someone other than an administrator can take it.
    assert any(t.roles - {ADMIN} for t in ways_out), status


def reachable(start: str, roles: frozenset[str] | None = None) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        status = queue.popleft()
        for t in TRANSITIONS.values():
            if status in t.sources and (roles is None or t.roles & roles) and t.target not in seen:
                seen.add(t.target)
                queue.append(t.target)
    return seen


@pytest.mark.parametrize("final", [S.CLOSED, S.WITHDRAWN])
def test_final_states_are_reachable_from_submitted(final):
    assert final in reachable(S.SUBMITTED)
    # Without an administrator stepping in, too.
    assert final in reachable(S.SUBMITTED, frozenset(lifecycle.ALL_ROLES) - {ADMIN})


def test_every_status_is_reachable_from_submitted():
    assert reachable(S.SUBMITTED) == set(Status.values)


@pytest.mark.parametrize("status", [s for s in Status.values if s != S.WITHDRAWN])
def test_closed_is_reachable_from_every_status_but_withdrawn(status):
    assert S.CLOSED in reachable(status)


@pytest.mark.parametrize("action", ["return", "transfer", "reopen", "withdraw", "merge_duplicate"])
def test_actions_that_undo_work_need_a_reason(action):
    assert TRANSITIONS[action].needs_reason


@pytest.mark.parametrize("action", ["triage", "dispatch", "accept", "start_mediation", "report_back", "close"])
def test_forward_steps_need_no_reason(action):
    assert not TRANSITIONS[action].needs_reason
