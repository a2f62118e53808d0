"""POST /api/v1/cases/<number>/description/: correct or complete the description; triage runs again."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from disputes.models import CaseEvent
from disputes.rules.enums import Colour, EventKind, Status
from grids.models import Role
from tests.disputes.cases import case_in

pytestmark = pytest.mark.django_db

QUIET = "楼上卫生间漏水，多次沟通无果。"
THREAT = "对方说要砍死我全家。"


def url(case) -> str:
    return f"/api/v1/cases/{case.tracking_number}/description/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def case(tree, category, departments):
    return case_in(
        Status.ACCEPTED,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        colour=Colour.WHITE,
        description=QUIET,
    )


def test_a_dispatcher_of_the_area_rewrites_it_and_the_colour_rises(case, staff_a):
    response = client_for(staff_a[Role.DISPATCHER]).post(url(case), {"description": THREAT}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["description"] == THREAT
    assert response.data["colour"] == "red"
    case.refresh_from_db()
    assert (case.description, case.colour) == (THREAT, Colour.RED)
    assert case.events.get(kind=EventKind.DESCRIPTION_EDITED).data == {"previous": QUIET}


def test_a_callback_caller_may_not_rewrite_it(case, staff_a):
    # They phone the parties; they do not decide what the case is about (as for its parties and scale).
    response = client_for(staff_a[Role.CALLBACK_CALLER]).post(url(case), {"description": THREAT}, format="json")
    assert response.status_code == 403
    assert response.data["error"]["code"] == "wrong_role"
    case.refresh_from_db()
    assert case.description == QUIET


def test_empty_closed_and_outside_are_refused(case, staff_a, tree, category, make_staff):
    client = client_for(staff_a[Role.SUPERVISOR])
    assert client.post(url(case), {"description": ""}, format="json").status_code == 400
    closed = case_in(Status.CLOSED, grid=tree.grid_a, category=category, description=QUIET)
    refused = client.post(url(closed), {"description": THREAT}, format="json")
    assert (refused.status_code, refused.data["error"]["code"]) == (400, "wrong_state")
    outsider = make_staff(Role.DISPATCHER, area=tree.town_b)
    assert client_for(outsider).post(url(case), {"description": THREAT}, format="json").status_code == 404
    assert not CaseEvent.objects.filter(kind=EventKind.DESCRIPTION_EDITED).exists()


def test_it_is_documented():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/cases/{tracking_number}/description/"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "403", "404"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/Description")
