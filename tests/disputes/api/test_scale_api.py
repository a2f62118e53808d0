"""规模 through the APIs: the public API's ranges and their refusals, the channel API, Open311's attributes,
and the staff API that corrects them (POST /api/v1/cases/<number>/scale/)."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from disputes.api.keys import channel_key_create
from disputes.models import Dispute
from disputes.rules.enums import Channel, EventKind, Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

CASES = "/api/v1/public/cases/"
BOTH_PEOPLE = "Give either the number of people or a range, not both."
NOT_OFFERED = "Choose one of the ranges offered."


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def payload(tree, category):
    def make(**extra) -> dict:
        return {
            "category": category.code,
            "description": "邻居装修噪音扰民，多次协商无果。",
            "grid": tree.grid_a.code,
            "applicant": {"name": "李四", "phone": "13900139000"},
            "other_parties": [{"role": "respondent", "name": "王五"}],
            "consent": True,
            **extra,
        }

    return make


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def in_chinese(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


# --- The public API ----------------------------------------------------------------------------


def test_a_range_is_stored_with_its_lower_bound(payload):
    response = APIClient().post(CASES, payload(people_band="30+", amount_band="1m+"), format="json")
    assert response.status_code == 201, response.content
    case = Dispute.objects.get()
    assert (case.people_band, case.people_involved, case.amount_band, case.amount) == (
        "30+",
        30,
        "1m+",
        Decimal("1000000.00"),
    )


def test_exact_figures_are_stored_as_given(payload):
    response = APIClient().post(CASES, payload(people_involved=12, amount="280000.50"), format="json")
    assert response.status_code == 201, response.content
    case = Dispute.objects.get()
    assert (case.people_involved, case.people_band, case.amount, case.amount_band) == (
        12,
        "",
        Decimal("280000.50"),
        "",
    )


@pytest.mark.parametrize(
    ("extra", "field", "english"),
    [
        ({"people_band": "10-29", "people_involved": 12}, "people_band", BOTH_PEOPLE),
        ({"amount_band": "<10k", "amount": "5000"}, "amount_band", "Give either the amount or a range, not both."),
        ({"people_band": "100+"}, "people_band", NOT_OFFERED),
        ({"amount_band": "lots"}, "amount_band", NOT_OFFERED),
    ],
    ids=["people both", "amount both", "unknown people range", "unknown amount range"],
)
def test_refusals_name_the_field_in_the_clients_language(payload, extra, field, english):
    client = APIClient()
    default = error_of(client.post(CASES, payload(**extra), format="json"))
    assert default["fields"][field] == [in_chinese(english)]
    en = error_of(client.post(CASES, payload(**extra), format="json", headers={"accept-language": "en"}))
    assert en["fields"][field] == [english]
    assert Dispute.objects.count() == 0


def test_a_negative_amount_and_no_people_are_refused(payload):
    client = APIClient()
    zh = error_of(client.post(CASES, payload(amount="-1", people_involved=0), format="json"))
    assert set(zh["fields"]) == {"amount", "people_involved"}
    # DRF's own messages, in its Chinese catalogue.
    assert "0" in zh["fields"]["amount"][0] and "确保" in zh["fields"]["amount"][0]
    en = error_of(
        client.post(CASES, payload(amount="-1", people_involved=0), format="json", headers={"accept-language": "en"})
    )
    assert en["fields"]["amount"] == ["Ensure this value is greater than or equal to 0."]
    assert Dispute.objects.count() == 0


def test_an_amount_too_large_to_store_is_refused(payload):
    response = APIClient().post(CASES, payload(amount="1000000000000"), format="json")
    assert response.status_code == 400
    assert "amount" in error_of(response)["fields"]


# --- The channel API and Open311 ----------------------------------------------------------------


def test_the_channel_api_takes_ranges_too(tree, category):
    _key, raw = channel_key_create(name="12345热线", channel=Channel.HOTLINE_12345)
    client = APIClient(headers={"authorization": f"Api-Key {raw}", "accept-language": "en"})
    record = {
        "category": category.code,
        "description": "来电人称小区物业拖欠多名保洁员工资。",
        "grid": tree.grid_a.code,
        "applicant": {"name": "赵六", "phone": "13600136000"},
        "source_id": "12345-0001",
        "people_band": "5-9",
    }
    assert client.post("/api/v1/channels/cases/", record, format="json").status_code == 201
    case = Dispute.objects.get()
    assert (case.people_band, case.people_involved) == ("5-9", 5)
    both = client.post(
        "/api/v1/channels/cases/", {**record, "source_id": "12345-0002", "people_involved": 6}, format="json"
    )
    assert error_of(both)["fields"]["people_band"] == [BOTH_PEOPLE]


def test_open311_takes_the_ranges_as_attributes(client, tree, category):
    data = {
        "service_code": category.code,
        "description": "楼下商铺噪音扰民。",
        "phone": "13900139000",
        "attribute[grid]": tree.grid_a.code,
        "attribute[people_band]": "2-4",
        "attribute[amount_band]": "10k-100k",
    }
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 201, response.content
    case = Dispute.objects.get()
    assert (case.people_band, case.people_involved, case.amount_band, case.amount) == (
        "2-4",
        2,
        "10k-100k",
        Decimal("10000.00"),
    )
    refused = client.post(
        "/open311/v2/requests.json", {**data, "attribute[amount_band]": "x"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 400
    assert refused.json()[0]["description"] == f"attribute[amount_band]: {NOT_OFFERED}"


# --- The staff API ----------------------------------------------------------------------------------


@pytest.fixture
def accepted(tree, category, departments, staff_a):
    case = case_in(
        Status.ACCEPTED,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
    )
    PartyFactory(dispute=case, role="applicant", name="李四", phone="13900139000")
    return case


def scale_url(case) -> str:
    return f"/api/v1/cases/{case.tracking_number}/scale/"


def test_staff_set_the_scale_and_the_answer_is_the_case(accepted, staff_a):
    client = APIClient()
    client.force_login(staff_a[Role.MEDIATOR])
    response = client.post(
        scale_url(accepted), {"people_band": "10-29", "amount": "280000", "reason": "电话核实"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["people_involved"], body["people_band"], body["amount"], body["amount_band"]) == (
        10,
        "10-29",
        "280000.00",
        "",
    )
    assert body["colour"] == "red"
    event = accepted.events.get(kind=EventKind.SCALE_SET)
    assert event.reason == "电话核实"


def test_staff_api_refusals(accepted, staff_a):
    client = APIClient()
    client.force_login(staff_a[Role.MEDIATOR])
    both = client.post(scale_url(accepted), {"people_band": "5-9", "people_involved": 7}, format="json")
    assert both.status_code == 400 and "people_band" in error_of(both)["fields"]
    en = client.post(scale_url(accepted), {"people_band": "9"}, format="json", headers={"accept-language": "en"})
    assert error_of(en)["fields"]["people_band"] == [NOT_OFFERED]
    client.force_login(staff_a[Role.CALLBACK_CALLER])
    assert client.post(scale_url(accepted), {"people_band": "5-9"}, format="json").status_code == 403
    assert not accepted.events.filter(kind=EventKind.SCALE_SET).exists()


def test_a_case_outside_the_jurisdiction_is_not_found(tree, category, departments, make_staff):
    case = case_in(Status.ACCEPTED, grid=tree.grid_b, category=category, department=departments["b"])
    client = APIClient()
    client.force_login(make_staff(Role.DISPATCHER, area=tree.town_a))
    assert client.post(scale_url(case), {"people_band": "5-9"}, format="json").status_code == 404
