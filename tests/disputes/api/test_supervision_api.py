# ruff: noqa: F811 (the fixtures imported from tests.disputes.orders are parameters here)
"""The 督办 API: issue an order on a case, list by box and state, read one, sign for it, reply, close; the same
refusals as the pages, as {"code", "message"}, in the caller's language."""

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from disputes.models import SupervisionOrder
from tests.disputes.orders import actor, case, clock, issue, offices, people  # noqa: F401

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "zh-hans") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_a_supervisor_issues_an_order_through_the_api(clock, case, people, departments):
    url = reverse("api:case-orders", kwargs={"tracking_number": case.tracking_number})

    response = client_for(people["supervisor"]).post(
        url,
        {
            "to_department": departments["a"].pk,
            "reason": "超期未调解",
            "requirements": "三日内调解",
            "reply_within_days": 4,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["document_number"] == "南浦矛调督〔2026〕1号"
    assert body["state"] == "issued" and body["to_department"] == departments["a"].pk
    assert body["tracking_number"] == case.tracking_number and body["is_automatic"] is False
    listed = client_for(people["mediator"]).get(url).json()
    assert [row["id"] for row in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Only a supervisor may issue a supervision order."), ("zh-hans", "只有主管领导可以发督办单。")],
)
def test_the_api_refuses_what_the_service_refuses(case, people, departments, language, message):
    url = reverse("api:case-orders", kwargs={"tracking_number": case.tracking_number})
    body = {"to_department": departments["a"].pk, "reason": "超期"}

    wrong_role = client_for(people["mediator"], language).post(url, body, format="json")
    other_department = client_for(people["supervisor"], language).post(
        url, {**body, "to_department": departments["b"].pk}, format="json"
    )
    outside = client_for(people["b_supervisor"], language).post(url, body, format="json")

    assert wrong_role.status_code == 403
    assert wrong_role.json()["error"]["code"] == "wrong_role" and wrong_role.json()["error"]["message"] == message
    assert other_department.status_code == 400 and other_department.json()["error"]["code"] == "recipient_invalid"
    assert outside.status_code == 404
    assert not SupervisionOrder.objects.exists()


def test_sign_reply_close_through_the_api(clock, case, people):
    order = issue(case, people["supervisor"])
    clerk = client_for(people["clerk"])

    signed = clerk.post(reverse("api:order-sign", kwargs={"pk": order.pk}))
    again = clerk.post(reverse("api:order-sign", kwargs={"pk": order.pk}))
    empty = clerk.post(reverse("api:order-reply", kwargs={"pk": order.pk}), {"reply": ""}, format="json")
    replied = clerk.post(reverse("api:order-reply", kwargs={"pk": order.pk}), {"reply": "已调解"}, format="json")
    not_issuer = clerk.post(reverse("api:order-close", kwargs={"pk": order.pk}), {}, format="json")
    back = client_for(people["supervisor"]).post(
        reverse("api:order-close", kwargs={"pk": order.pk}), {"send_back": True}, format="json"
    )
    closed = client_for(people["supervisor"]).post(
        reverse("api:order-close", kwargs={"pk": order.pk}), {"remarks": "办结"}, format="json"
    )

    assert signed.status_code == 200 and signed.json()["state"] == "signed"
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_signed"
    assert empty.status_code == 400
    assert replied.status_code == 200 and replied.json()["state"] == "replied" and replied.json()["reply"] == "已调解"
    assert not_issuer.status_code == 403 and not_issuer.json()["error"]["code"] == "not_issuer"
    assert back.status_code == 400 and back.json()["error"]["code"] == "remarks_required"
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


def test_the_list_by_box_and_state_and_only_visible_orders(clock, case, people, tree, category, departments):
    first = issue(case, people["supervisor"])
    second = issue(case, people["supervisor"])
    clock.shift(timedelta(hours=30))

    issued = client_for(people["supervisor"]).get(reverse("api:order-list")).json()["results"]
    received = client_for(people["clerk"]).get(reverse("api:order-list"), {"box": "received"}).json()["results"]
    overdue = client_for(people["supervisor"]).get(reverse("api:order-list"), {"state": "overdue"}).json()["results"]
    bad = client_for(people["supervisor"]).get(reverse("api:order-list"), {"state": "nonsense"})
    elsewhere = client_for(people["b_supervisor"]).get(reverse("api:order-list")).json()["results"]
    detail_outside = client_for(people["b_clerk"]).get(reverse("api:order-detail", kwargs={"pk": first.pk}))

    assert {row["id"] for row in issued} == {first.pk, second.pk}
    assert {row["id"] for row in received} == {first.pk, second.pk}
    assert {row["state"] for row in overdue} == {"overdue"} and len(overdue) == 2
    assert bad.status_code == 400
    assert elsewhere == []
    assert detail_outside.status_code == 404


def test_the_order_endpoints_are_in_the_schema(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()

    for route in (
        "/api/v1/cases/{tracking_number}/orders/",
        "/api/v1/orders/",
        "/api/v1/orders/{id}/",
        "/api/v1/orders/{id}/sign/",
        "/api/v1/orders/{id}/reply/",
        "/api/v1/orders/{id}/close/",
    ):
        assert route in schema["paths"], route
