"""The case's `allowed_actions` in the staff API comes from the one action registry (disputes.staff.actions):
the transitions the services would accept from this user now, the ones the case page offers."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from disputes.rules.enums import Status
from disputes.staff.actions import PAGE_ACTIONS, TRANSITION_ACTIONS, actions_for
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def readers(staff_a, make_staff, tree):
    """Each role of township A, and a county bureau's mediator who sees the case but does not hold it."""
    users = dict(staff_a)
    users["other_mediator"] = make_staff(
        Role.MEDIATOR, area=tree.county, department=DepartmentFactory(name="西湖区司法局", area=tree.county)
    )
    return users


@pytest.mark.parametrize("status", [Status.TRIAGED, Status.DISPATCHED, Status.IN_MEDIATION, Status.AWAITING_CALLBACK])
def test_the_api_lists_the_registry_transitions_the_page_offers(status, readers, tree, category, departments):
    case = case_in(status, grid=tree.grid_a, category=category, department=departments["a"])
    for who, user in readers.items():
        api = APIClient()
        api.force_login(user)
        listed = api.get(f"/api/v1/cases/{case.tracking_number}/").data["allowed_actions"]
        allowed = actions_for(user, case)
        assert listed == [key for key in TRANSITION_ACTIONS if key in allowed], (status, who)
        page = Client()
        page.force_login(user)
        html = page.get(reverse("disputes:case", kwargs={"tracking_number": case.tracking_number})).content.decode()
        offered = set(re.findall(r'data-action="([a-z_]+)"', html))
        assert offered & set(TRANSITION_ACTIONS) == set(listed) & set(PAGE_ACTIONS), (status, who)


def test_a_mediator_who_does_not_hold_the_case_is_offered_none_of_its_handling(readers, tree, category, departments):
    case = case_in(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    api = APIClient()
    api.force_login(readers["other_mediator"])
    assert api.get(f"/api/v1/cases/{case.tracking_number}/").data["allowed_actions"] == []
    api.force_login(readers[Role.MEDIATOR])
    assert api.get(f"/api/v1/cases/{case.tracking_number}/").data["allowed_actions"] == [
        "accept",
        "return",
        "transfer",
    ]
