"""The staff API refuses the departments the case page does not offer (another county), as the page does."""

import pytest
from rest_framework.test import APIClient

from disputes.models import CaseEvent, Dispute, DisputeAssist
from disputes.rules.enums import Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import DepartmentFactory, area_child

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_county(tree):
    county = area_child(tree.city, code="360111", name="青山湖区")
    return DepartmentFactory(name="青山湖区人民调解委员会", area=county)


@pytest.fixture
def mediator(staff_a):
    return staff_a[Role.MEDIATOR]


@pytest.fixture
def accepted(tree, category, departments, mediator):
    return case_in(Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator)


def client_for(user, **headers) -> APIClient:
    client = APIClient(**headers)
    client.force_login(user)
    return client


def snapshot(case) -> tuple:
    case = Dispute.objects.get(pk=case.pk)
    return (
        case.status,
        case.lead_department_id,
        CaseEvent.objects.filter(dispute=case).count(),
        DisputeAssist.objects.filter(dispute=case).count(),
    )


def test_the_api_refuses_assistance_from_another_county(accepted, mediator, other_county):
    before = snapshot(accepted)

    answer = client_for(mediator, HTTP_ACCEPT_LANGUAGE="en").post(
        f"/api/v1/cases/{accepted.tracking_number}/assistance/", {"department": other_county.pk}, format="json"
    )

    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "department_not_eligible"
    assert error["message"] == "This department does not serve the place of the case: choose one of its county."
    assert snapshot(accepted) == before


def test_the_api_refuses_a_transfer_to_another_county_in_chinese(accepted, mediator, other_county):
    before = snapshot(accepted)

    answer = client_for(mediator).post(
        f"/api/v1/cases/{accepted.tracking_number}/transitions/",
        {"action": "transfer", "reason": "转办", "department": other_county.pk},
        format="json",
    )

    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "department_not_eligible"
    assert answer.json()["error"]["message"] == "该部门不服务于案件所在地，请选择本县（区）的部门。"
    assert snapshot(accepted) == before


def test_the_page_refuses_the_same_department_beside_its_field(accepted, mediator, other_county, client):
    client.force_login(mediator)
    before = snapshot(accepted)

    answer = client.post(
        f"/work/case/{accepted.tracking_number}/do/transfer/",
        {"transfer-department": other_county.pk, "transfer-reason": "转办"},
    )

    assert answer.status_code == 400
    assert snapshot(accepted) == before
