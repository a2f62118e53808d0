"""API: 撤回 — the request, the decision, and the transitions endpoint refusing a direct withdrawal."""

import pytest
from rest_framework.test import APIClient

from core.actors import Actor
from core.models import Notification
from disputes.models import WithdrawalRequest
from disputes.rules.enums import Status, WithdrawalVia
from disputes.services.withdrawal import withdrawal_request
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


def api(user, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def url(case, tail) -> str:
    return f"/api/v1/cases/{case.tracking_number}/{tail}"


@pytest.fixture
def case(tree, category, departments, staff_a):
    made = case_in(
        Status.ACCEPTED,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
    )
    PartyFactory(dispute=made, name="张三", phone="13800138000")
    return made


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN])
def test_the_transitions_endpoint_refuses_withdraw(case, staff_a, role):
    response = api(staff_a[role]).post(
        url(case, "transitions/"), {"action": "withdraw", "reason": "和解"}, format="json"
    )
    assert response.status_code == 403
    assert response.data["error"]["code"] == "withdrawal_needs_approval"
    assert "approved by a supervisor" in response.data["error"]["message"]
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    # Nobody is offered it as an allowed action either.
    assert "withdraw" not in api(staff_a[role]).get(url(case, "")).data["allowed_actions"]


def test_request_then_decision(case, staff_a):
    response = api(staff_a[Role.MEDIATOR]).post(
        url(case, "withdrawal/"), {"via": "phone", "reason": "双方已和解"}, format="json"
    )
    assert response.status_code == 201
    assert (response.data["via"], response.data["state"], response.data["case"]) == (
        "phone",
        "pending",
        case.tracking_number,
    )
    again = api(staff_a[Role.DISPATCHER]).post(url(case, "withdrawal/"), {"via": "phone", "reason": "x"}, format="json")
    assert again.status_code == 409 and again.data["error"]["code"] == "withdrawal_pending"
    # A mediator may not decide; a refusal needs remarks; the supervisor approves.
    mediator = api(staff_a[Role.MEDIATOR]).post(
        url(case, "withdrawal/decision/"), {"decision": "approve"}, format="json"
    )
    assert mediator.status_code == 403
    no_remarks = api(staff_a[Role.SUPERVISOR]).post(
        url(case, "withdrawal/decision/"), {"decision": "refuse"}, format="json"
    )
    assert no_remarks.status_code == 400 and no_remarks.data["error"]["code"] == "remarks_required"
    approved = api(staff_a[Role.SUPERVISOR]).post(
        url(case, "withdrawal/decision/"), {"decision": "approve"}, format="json"
    )
    assert approved.status_code == 200
    assert (approved.data["state"], approved.data["case_status"]) == ("approved", Status.WITHDRAWN)
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    assert Notification.objects.filter(channel="sms", dispute_id=case.pk, kind="withdrawal_approved").count() == 1
    none_left = api(staff_a[Role.SUPERVISOR]).post(
        url(case, "withdrawal/decision/"), {"decision": "approve"}, format="json"
    )
    assert none_left.status_code == 409 and none_left.data["error"]["code"] == "no_pending_withdrawal"


def test_refusals_in_the_users_language(case, staff_a):
    english = api(staff_a[Role.MEDIATOR]).post(url(case, "withdrawal/"), {"via": "phone", "reason": ""}, format="json")
    assert english.status_code == 400
    assert english.data["error"]["code"] == "reason_required"
    assert english.data["error"]["message"] == "Please give the applicant's reason for withdrawing."
    chinese = api(staff_a[Role.MEDIATOR], "zh-hans").post(
        url(case, "withdrawal/"), {"via": "phone", "reason": ""}, format="json"
    )
    assert chinese.data["error"]["message"] == "请填写申请人撤回的理由。"


def test_staff_may_not_claim_the_sms_link(case, staff_a):
    response = api(staff_a[Role.MEDIATOR]).post(
        url(case, "withdrawal/"), {"via": "sms_link", "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert not WithdrawalRequest.objects.exists()


def test_outside_the_jurisdiction_not_found(case, make_staff, tree):
    outsider = make_staff(Role.SUPERVISOR, area=tree.town_b)
    withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason="和解")
    assert (
        api(outsider).post(url(case, "withdrawal/"), {"via": "phone", "reason": "x"}, format="json").status_code == 404
    )
    response = api(outsider).post(url(case, "withdrawal/decision/"), {"decision": "approve"}, format="json")
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED


def test_the_bulk_queue_action_offers_no_withdrawal(case, staff_a):
    response = api(staff_a[Role.SUPERVISOR]).post(
        "/api/v1/queue/bulk/",
        {"action": "withdraw", "tracking_numbers": [case.tracking_number], "reason": "和解"},
        format="json",
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
