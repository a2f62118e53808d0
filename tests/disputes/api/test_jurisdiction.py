"""Nobody reads or acts on a case outside their jurisdiction (IDOR), role by role, through the staff API."""

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from core.exceptions import NotFoundError
from disputes.models import CaseEvent, DisputeAssist
from disputes.rules.enums import Outcome, Status
from disputes.selectors import dispute_get_for, disputes_visible_to
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import UserFactory

LIST = "/api/v1/cases/"


def detail(case) -> str:
    return f"/api/v1/cases/{case.tracking_number}/"


def transitions(case) -> str:
    return f"/api/v1/cases/{case.tracking_number}/transitions/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def listed(client) -> set[str]:
    response = client.get(LIST)
    assert response.status_code == 200
    return {row["tracking_number"] for row in response.data["results"]}


# For each role: the state both cases are put in, and an action that role may take there.
ROLE_ACTIONS = {
    Role.MEDIATOR: (Status.DISPATCHED, {"action": "accept"}, Status.ACCEPTED),
    Role.DEPARTMENT_STAFF: (Status.ACCEPTED, {"action": "start_mediation"}, Status.IN_MEDIATION),
    Role.DISPATCHER: (Status.TRIAGED, {"action": "dispatch"}, Status.DISPATCHED),
    Role.CALLBACK_CALLER: (Status.AWAITING_CALLBACK, {"action": "close"}, Status.CLOSED),
    Role.SUPERVISOR: (Status.AWAITING_CALLBACK, {"action": "reopen", "reason": "当事人不满意"}, Status.REOPENED),
    Role.ADMIN: (
        Status.IN_MEDIATION,
        {"action": "report_back", "outcome": Outcome.RESOLVED_OTHERWISE},
        Status.AWAITING_CALLBACK,
    ),
}


def test_every_staff_role_is_covered():
    assert set(ROLE_ACTIONS) == set(Role.values)


@pytest.fixture
def two_cases(tree, category, departments):
    def make(status):
        a = case_in(status, grid=tree.grid_a, category=category, department=departments["a"])
        b = case_in(status, grid=tree.grid_b, category=category, department=departments["b"])
        return a, b

    return make


@pytest.mark.parametrize("role", Role.values)
def test_staff_of_township_a_see_and_act_on_township_a_only(role, make_staff, tree, departments, two_cases):
    handler = role in (Role.MEDIATOR, Role.DEPARTMENT_STAFF)
    user = make_staff(role, area=tree.town_a, department=departments["a"] if handler else None)
    status, payload, target = ROLE_ACTIONS[role]
    case_a, case_b = two_cases(status)
    if role == Role.DISPATCHER:
        payload = {**payload, "department": departments["a"].pk}
    if role == Role.DEPARTMENT_STAFF:
        # Accepted by someone else in the same department: the department still holds it.
        case_a.assigned_mediator = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"])
        case_a.save()
    client = client_for(user)

    # List
    visible = listed(client)
    assert case_a.tracking_number in visible
    # Read
    response = client.get(detail(case_a))
    assert response.status_code == 200
    assert response.data["tracking_number"] == case_a.tracking_number
    assert payload["action"] in response.data["allowed_actions"]
    # Act
    response = client.post(transitions(case_a), payload, format="json")
    assert response.status_code == 200, response.data
    assert response.data["status"] == target
    case_a.refresh_from_db()
    assert case_a.status == target

    b_events = CaseEvent.objects.filter(dispute=case_b).count()
    if role == Role.ADMIN:
        assert case_b.tracking_number in visible
        assert client.get(detail(case_b)).status_code == 200
        response = client.post(transitions(case_b), payload, format="json")
        assert response.status_code == 200, response.data
        case_b.refresh_from_db()
        assert case_b.status == target
        return

    assert case_b.tracking_number not in visible
    response = client.get(detail(case_b))
    assert response.status_code == 404
    assert response.data["error"]["code"] == "not_found"
    response = client.post(transitions(case_b), payload, format="json")
    assert response.status_code == 404
    assert response.data["error"]["code"] == "not_found"
    case_b.refresh_from_db()
    assert case_b.status == status
    assert CaseEvent.objects.filter(dispute=case_b).count() == b_events


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF])
def test_the_lead_department_sees_a_case_routed_to_it_from_elsewhere(role, make_staff, tree, category, departments):
    user = make_staff(role, area=tree.town_a, department=departments["a"])
    case = case_in(Status.DISPATCHED, grid=tree.grid_b, category=category, department=departments["a"])
    client = client_for(user)
    assert case.tracking_number in listed(client)
    assert client.get(detail(case)).status_code == 200
    response = client.post(transitions(case), {"action": "accept"}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["status"] == Status.ACCEPTED


def test_an_assisting_department_sees_the_case(make_staff, tree, category, departments):
    user = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"])
    case = case_in(Status.ACCEPTED, grid=tree.grid_b, category=category, department=departments["b"])
    client = client_for(user)
    assert case.tracking_number not in listed(client)
    DisputeAssist.objects.create(dispute=case, department=departments["a"])
    assert case.tracking_number in listed(client)
    assert client.get(detail(case)).status_code == 200
    # Seeing is not handling: the lead department keeps the case.
    response = client.post(transitions(case), {"action": "start_mediation"}, format="json")
    assert response.status_code == 403
    assert response.data["error"]["code"] == "not_handler"


def test_a_mediator_sees_a_case_assigned_to_them(make_staff, tree, category, departments):
    mediator = make_staff(Role.MEDIATOR, area=tree.town_a)
    case = case_in(Status.ACCEPTED, grid=tree.grid_b, category=category, department=departments["b"], mediator=mediator)
    client = client_for(mediator)
    assert case.tracking_number in listed(client)
    assert client.get(detail(case)).status_code == 200
    response = client.post(transitions(case), {"action": "start_mediation"}, format="json")
    assert response.status_code == 200, response.data


def test_a_supervisor_higher_up_sees_both_townships(make_staff, tree, two_cases):
    supervisor = make_staff(Role.SUPERVISOR, area=tree.county)
    case_a, case_b = two_cases(Status.SUBMITTED)
    assert {case_a.tracking_number, case_b.tracking_number} <= listed(client_for(supervisor))


@pytest.mark.parametrize("method", ["list", "detail", "transition"])
def test_anonymous_users_are_refused(method, two_cases):
    case_a, _case_b = two_cases(Status.TRIAGED)
    client = APIClient()
    if method == "list":
        response = client.get(LIST)
    elif method == "detail":
        response = client.get(detail(case_a))
    else:
        response = client.post(transitions(case_a), {"action": "withdraw", "reason": "x"}, format="json")
    assert response.status_code == 403
    assert response.data["error"]["code"] == "not_authenticated"
    case_a.refresh_from_db()
    assert case_a.status == Status.TRIAGED


def test_a_user_without_a_staff_profile_sees_nothing(two_cases):
    case_a, case_b = two_cases(Status.TRIAGED)
    client = client_for(UserFactory(username="no-profile"))
    assert listed(client) == set()
    assert client.get(detail(case_a)).status_code == 404
    response = client.post(transitions(case_a), {"action": "withdraw", "reason": "x"}, format="json")
    assert response.status_code == 404
    case_a.refresh_from_db()
    assert case_a.status == Status.TRIAGED


def test_tracking_numbers_are_accepted_as_people_type_them(make_staff, tree, two_cases):
    user = make_staff(Role.DISPATCHER, area=tree.town_a)
    case_a, case_b = two_cases(Status.TRIAGED)
    client = client_for(user)
    typed = case_a.tracking_number_display.lower()
    assert client.get(f"/api/v1/cases/{typed}/").status_code == 200
    assert client.get(f"/api/v1/cases/{case_b.tracking_number_display.lower()}/").status_code == 404


# --- The selector itself ---------------------------------------------------------------------------


@pytest.fixture
def spread(tree, category, departments, make_staff):
    """One case in each township, one in A routed to B's department, one in B assisted by A's department."""
    other_mediator = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"])
    cases = {
        "a": case_in(Status.TRIAGED, grid=tree.grid_a, category=category),
        "b": case_in(Status.TRIAGED, grid=tree.grid_b, category=category),
        "a_to_b": case_in(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["b"]),
        "b_to_a": case_in(Status.DISPATCHED, grid=tree.grid_b, category=category, department=departments["a"]),
        "b_assisted_by_a": case_in(
            Status.ACCEPTED,
            grid=tree.grid_b,
            category=category,
            department=departments["b"],
            mediator=other_mediator,
        ),
    }
    DisputeAssist.objects.create(dispute=cases["b_assisted_by_a"], department=departments["a"])
    return cases


def visible_keys(user, cases) -> set[str]:
    ids = set(disputes_visible_to(user).values_list("pk", flat=True))
    return {key for key, case in cases.items() if case.pk in ids}


@pytest.mark.parametrize(
    ("role", "area", "with_department", "expected"),
    [
        (Role.MEDIATOR, "town_a", True, {"a", "a_to_b", "b_to_a", "b_assisted_by_a"}),
        (Role.DEPARTMENT_STAFF, "town_a", True, {"a", "a_to_b", "b_to_a", "b_assisted_by_a"}),
        (Role.MEDIATOR, "town_a", False, {"a", "a_to_b"}),
        (Role.DISPATCHER, "town_a", False, {"a", "a_to_b"}),
        (Role.CALLBACK_CALLER, "town_a", False, {"a", "a_to_b"}),
        (Role.SUPERVISOR, "town_a", False, {"a", "a_to_b"}),
        (Role.SUPERVISOR, "village_b", False, {"b", "b_to_a", "b_assisted_by_a"}),
        (Role.SUPERVISOR, "grid_a", False, {"a", "a_to_b"}),
        (Role.SUPERVISOR, "county", False, {"a", "b", "a_to_b", "b_to_a", "b_assisted_by_a"}),
        (Role.ADMIN, "town_a", False, {"a", "b", "a_to_b", "b_to_a", "b_assisted_by_a"}),
    ],
)
def test_visible_to(role, area, with_department, expected, spread, tree, departments, make_staff):
    user = make_staff(role, area=getattr(tree, area), department=departments["a"] if with_department else None)
    assert visible_keys(user, spread) == expected


def test_visible_to_nobody_without_a_profile_or_account(spread):
    assert visible_keys(None, spread) == set()
    assert visible_keys(AnonymousUser(), spread) == set()
    assert visible_keys(UserFactory(username="plain"), spread) == set()


def test_an_inactive_staff_member_sees_nothing(spread, make_staff, tree):
    user = make_staff(Role.ADMIN, area=tree.city)
    user.is_active = False
    user.save()
    assert visible_keys(user, spread) == set()


def test_a_superuser_without_a_profile_sees_everything(spread):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert visible_keys(root, spread) == set(spread)


def test_a_mediator_sees_their_assigned_cases_anywhere(spread, make_staff, tree, category, departments):
    mediator = make_staff(Role.MEDIATOR, area=tree.grid_a)
    elsewhere = case_in(
        Status.ACCEPTED, grid=tree.grid_b, category=category, department=departments["b"], mediator=mediator
    )
    assert visible_keys(mediator, {**spread, "assigned": elsewhere}) == {"a", "a_to_b", "assigned"}


def test_visible_to_lists_each_case_once(spread, make_staff, tree, departments):
    """A case matching several rules (area, department, assist) must not be duplicated by the joins."""
    user = make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=departments["a"])
    DisputeAssist.objects.create(dispute=spread["b_to_a"], department=departments["a"])
    pks = list(disputes_visible_to(user).values_list("pk", flat=True))
    assert len(pks) == len(set(pks)) == len(spread)


def test_dispute_get_for(spread, make_staff, tree):
    user = make_staff(Role.DISPATCHER, area=tree.town_a)
    assert dispute_get_for(user, spread["a"].tracking_number) == spread["a"]
    # Outside the jurisdiction answers as a number that does not exist.
    with pytest.raises(NotFoundError):
        dispute_get_for(user, spread["b"].tracking_number)
    with pytest.raises(NotFoundError):
        dispute_get_for(user, "NOSUCHNUMBER")
