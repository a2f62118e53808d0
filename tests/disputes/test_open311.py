"""Open311 GeoReport v2: services, requests, the spec's errors, and no personal data in any answer."""

import json
from datetime import timedelta
from xml.etree import ElementTree as ET  # noqa: S405 - parses our own output in tests

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from core.actors import Actor
from disputes import services
from disputes.api.keys import channel_key_create
from disputes.models import ChannelKey, Dispute, Party
from disputes.rules.enums import Channel, PartyRole, Status
from tests.factories import CategoryFactory, DisputeFactory, PartyFactory

BASE = "/open311/v2"


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> Client:
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def seeded(tree, category, departments):
    """A case full of personal data, dispatched to township A's committee."""
    case = services.dispute_submit(
        category=category,
        description="张秘密与邻居赵隐私因漏水争吵，电话13911112222，住船山路99号。",
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[
            {
                "role": PartyRole.APPLICANT,
                "name": "张秘密",
                "phone": "13911112222",
                "id_number": "360103199001011236",
                "address": "船山路99号",
            },
            {"role": PartyRole.RESPONDENT, "name": "赵隐私", "phone": "13733334444"},
        ],
        occurred_place="船山路99号楼下",
    )
    services.dispute_transition(dispute=case, action="triage", actor=Actor.system())
    services.dispute_transition(
        dispute=case, action="dispatch", actor=Actor.system(), data={"department": departments["a"]}
    )
    return Dispute.objects.get(pk=case.pk)


PERSONAL = ("张秘密", "赵隐私", "13911112222", "13733334444", "360103199001011236", "船山路", "漏水", "争吵")


def assert_no_personal_data(response) -> None:
    text = response.content.decode()
    for secret in PERSONAL:
        assert secret not in text, secret


def spec_errors(response, status: int) -> list[dict]:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body, list) and body
    assert all(set(e) == {"code", "description"} and e["code"] == status and e["description"] for e in body)
    return body


# --- Services -------------------------------------------------------------------------------------


def test_services_one_per_active_category(client, category):
    CategoryFactory(code="labour", name="劳资纠纷", name_en="Labour", sort_order=1)
    CategoryFactory(code="retired", name="旧类别", is_active=False)
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services_ = response.json()
    assert [s["service_code"] for s in services_] == ["labour", "neighbour"]
    labour = services_[0]
    assert labour == {
        "service_code": "labour",
        "service_name": "劳资纠纷",
        "description": "Labour",
        "metadata": True,
        "type": "realtime",
        "keywords": "labour,劳资纠纷,Labour",
        "group": "Civil disputes",
    }
    assert "max-age=300" in response["Cache-Control"]


def test_services_xml(client, category):
    response = client.get(f"{BASE}/services.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    assert root.tag == "services"
    service = root.find("service")
    assert service.findtext("service_code") == "neighbour"
    assert service.findtext("service_name") == "邻里纠纷"
    assert service.findtext("metadata") == "true"


def test_service_definition(client, category):
    response = client.get(f"{BASE}/services/neighbour.json")
    assert response.status_code == 200
    body = response.json()
    assert body["service_code"] == "neighbour"
    [attribute] = body["attributes"]
    assert (attribute["code"], attribute["datatype"], attribute["required"], attribute["variable"]) == (
        "grid",
        "string",
        False,
        True,
    )
    xml = ET.fromstring(client.get(f"{BASE}/services/neighbour.xml").content)  # noqa: S314
    assert xml.tag == "service_definition"
    assert xml.find("attributes/attribute/code").text == "grid"


def test_unknown_service_is_404(client, category):
    errors = spec_errors(client.get(f"{BASE}/services/nope.json"), 404)
    assert errors[0]["description"] == "service_code not found."
    xml = client.get(f"{BASE}/services/nope.xml")
    assert xml.status_code == 404
    root = ET.fromstring(xml.content)  # noqa: S314
    assert (root.tag, root.find("error/code").text) == ("errors", "404")


def test_discovery(client):
    body = client.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert body["endpoints"][0]["url"].endswith("/open311/v2/")


def test_an_unknown_jurisdiction_is_404(client, tree, category):
    spec_errors(client.get(f"{BASE}/services.json", {"jurisdiction_id": "999"}), 404)
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": tree.city.code}).status_code == 200


# --- Posting a request -------------------------------------------------------------------------------


@pytest.fixture
def form(tree, category):
    def make(**overrides) -> dict:
        data = {
            "service_code": category.code,
            "description": "隔壁饭店油烟扰民。",
            "attribute[grid]": tree.grid_a.code,
            "first_name": "四",
            "last_name": "李",
            "phone": "13900139000",
            "email": "lisi@example.com",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return make


def test_post_a_request(client, form, tree):
    response = client.post(f"{BASE}/requests.json", form())
    assert response.status_code == 201, response.content
    [body] = response.json()
    assert set(body) == {"service_request_id", "service_notice", "account_id"}
    case = Dispute.objects.get(tracking_number=body["service_request_id"])
    assert (case.channel, case.grid, case.description) == (Channel.OPEN311, tree.grid_a, "隔壁饭店油烟扰民。")
    applicant = case.parties.get()
    assert (applicant.role, applicant.name, applicant.phone) == (PartyRole.APPLICANT, "李四", "13900139000")
    assert case.tracking_number_display in body["service_notice"]
    assert case.events.get().actor_role == "resident"


def test_post_xml(client, form):
    response = client.post(f"{BASE}/requests.xml", form())
    assert response.status_code == 201
    root = ET.fromstring(response.content)  # noqa: S314
    assert root.tag == "service_requests"
    assert Dispute.objects.filter(tracking_number=root.findtext("request/service_request_id")).exists()


def test_post_with_an_address_string_naming_a_grid(client, form, tree):
    data = form(**{"attribute[grid]": None, "address_string": f"南昌市西湖区{tree.grid_b.name}3号楼"})
    response = client.post(f"{BASE}/requests.json", data)
    assert response.status_code == 201, response.content
    case = Dispute.objects.get()
    assert case.grid == tree.grid_b
    assert case.occurred_place.startswith("南昌市西湖区")


def test_post_with_an_address_string_naming_a_village(client, form, tree):
    data = form(**{"attribute[grid]": None, "address_string": f"{tree.village_a.name}菜市场门口"})
    assert client.post(f"{BASE}/requests.json", data).status_code == 201
    assert Dispute.objects.get().grid == tree.village_a


@pytest.mark.parametrize(
    ("changes", "status", "fragment"),
    [
        ({"service_code": None}, 400, "service_code is required"),
        ({"description": None}, 400, "description is required"),
        ({"phone": None}, 400, "phone is required"),
        ({"phone": "12345"}, 400, "phone: Enter a valid mobile phone number"),
        ({"service_code": "nope"}, 404, "service_code not found"),
        ({"attribute[grid]": None}, 400, "A location is required"),
        ({"attribute[grid]": None, "lat": "28.68", "long": "115.86"}, 400, "A location is required"),
        ({"attribute[grid]": "999"}, 400, "unknown area code"),
        ({"attribute[grid]": "360103001"}, 400, "choose the village"),
        ({"attribute[grid]": None, "address_string": "火星基地"}, 400, "address_string does not name"),
        ({"jurisdiction_id": "999"}, 404, "jurisdiction_id not found"),
        ({"api_key": "nonsense"}, 403, "api_key is not valid"),
    ],
)
def test_post_errors(client, form, changes, status, fragment):
    before = (Dispute.objects.count(), Party.objects.count())
    errors = spec_errors(client.post(f"{BASE}/requests.json", form(**changes)), status)
    assert any(fragment in e["description"] for e in errors), errors
    assert (Dispute.objects.count(), Party.objects.count()) == before


def test_post_lists_every_missing_parameter(client):
    errors = spec_errors(client.post(f"{BASE}/requests.json", {}), 400)
    assert len(errors) == 3


def test_post_errors_in_xml(client, form):
    response = client.post(f"{BASE}/requests.xml", form(phone=None))
    assert response.status_code == 400
    root = ET.fromstring(response.content)  # noqa: S314
    assert root.tag == "errors" and root.findtext("error/code") == "400"


def test_post_with_a_valid_api_key(client, form):
    key, raw = channel_key_create(name="市民通App", channel=Channel.OPEN311)
    response = client.post(f"{BASE}/requests.json", form(api_key=raw))
    assert response.status_code == 201, response.content
    assert Dispute.objects.get().channel == Channel.OPEN311
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_post_with_a_revoked_or_foreign_key(client, form):
    key, raw = channel_key_create(name="市民通App", channel=Channel.OPEN311)
    ChannelKey.objects.filter(pk=key.pk).update(is_active=False)
    assert "revoked" in spec_errors(client.post(f"{BASE}/requests.json", form(api_key=raw)), 403)[0]["description"]
    _other, raw_110 = channel_key_create(name="110", channel=Channel.POLICE_110)
    spec_errors(client.post(f"{BASE}/requests.json", form(api_key=raw_110)), 403)
    assert Dispute.objects.count() == 0


def test_anonymous_posts_are_rate_limited(client, form, settings):
    settings.PUBLIC_SUBMIT_PER_IP_HOUR = 1
    assert client.post(f"{BASE}/requests.json", form()).status_code == 201
    response = client.post(f"{BASE}/requests.json", form(phone="13900139001"))
    spec_errors(response, 429)
    assert int(response["Retry-After"]) > 0
    # A client with a key is not limited per address.
    _key, raw = channel_key_create(name="App", channel=Channel.OPEN311)
    assert client.post(f"{BASE}/requests.json", form(phone="13900139002", api_key=raw)).status_code == 201


def test_wrong_method_is_405_in_the_spec_shape(client, category):
    response = client.post(f"{BASE}/services.json")
    spec_errors(response, 405)
    assert response["Allow"] == "GET"


def test_the_api_error_handler_does_not_wrap_open311(client, form):
    body = client.post(f"{BASE}/requests.json", form(phone=None)).json()
    assert isinstance(body, list) and "error" not in body[0]


def test_messages_follow_the_clients_language(form):
    chinese = Client().post(f"{BASE}/requests.json", form(service_code="nope")).json()
    english = Client(headers={"accept-language": "en"}).post(f"{BASE}/requests.json", form(service_code="nope")).json()
    assert english[0]["description"] == "service_code not found."
    assert chinese[0]["code"] == 404


# --- Reading requests -----------------------------------------------------------------------------------


def test_get_a_request(client, seeded, tree, departments):
    response = client.get(f"{BASE}/requests/{seeded.tracking_number}.json")
    assert response.status_code == 200
    [body] = response.json()
    assert body["service_request_id"] == seeded.tracking_number
    assert body["status"] == "open"
    assert body["status_notes"] == "Dispatched"
    assert (body["service_code"], body["service_name"]) == ("neighbour", "邻里纠纷")
    assert body["description"] == ""
    assert body["agency_responsible"] == departments["a"].name
    assert body["address"] == " ".join(
        a.name for a in (tree.city, tree.county, tree.town_a, tree.village_a, tree.grid_a)
    )
    assert body["address_id"] == tree.grid_a.code
    assert body["jurisdiction_id"] == tree.city.code
    assert body["requested_datetime"].endswith("+08:00")
    assert body["updated_datetime"].endswith("+08:00")
    assert_no_personal_data(response)


def test_get_a_request_xml(client, seeded):
    response = client.get(f"{BASE}/requests/{seeded.tracking_number}.xml")
    root = ET.fromstring(response.content)  # noqa: S314
    assert root.findtext("request/service_request_id") == seeded.tracking_number
    assert_no_personal_data(response)


def test_unknown_request_is_404(client, seeded):
    errors = spec_errors(client.get(f"{BASE}/requests/ABCDEFGHJKMN.json"), 404)
    assert errors[0]["description"] == "service_request_id not found."


def test_no_personal_data_in_any_answer(client, seeded):
    for url in (
        f"{BASE}/requests.json",
        f"{BASE}/requests.xml",
        f"{BASE}/requests/{seeded.tracking_number}.json",
        f"{BASE}/requests/{seeded.tracking_number}.xml",
        f"{BASE}/services.json",
        f"{BASE}/services/neighbour.json",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_personal_data(response)
    listed = client.get(f"{BASE}/requests.json").json()
    assert [r["service_request_id"] for r in listed] == [seeded.tracking_number]
    assert all(r["description"] == "" for r in listed)


def _case(tree, category, *, status=Status.SUBMITTED, days_ago=0, code=None):
    when = timezone.now() - timedelta(days=days_ago)
    case = DisputeFactory(grid=tree.grid_a, category=category, status=status, submitted_at=when)
    PartyFactory(dispute=case, phone="13911110000")
    return case


def test_list_filters(client, tree, category):
    labour = CategoryFactory(code="labour", name="劳资纠纷")
    open_case = _case(tree, category, days_ago=1)
    closed = _case(tree, category, status=Status.CLOSED, days_ago=2)
    withdrawn = _case(tree, labour, status=Status.WITHDRAWN, days_ago=3)
    old = _case(tree, category, days_ago=200)

    def ids(**params):
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert ids() == [open_case.tracking_number, closed.tracking_number, withdrawn.tracking_number]
    assert ids(status="open") == [open_case.tracking_number]
    assert ids(status="closed") == [closed.tracking_number, withdrawn.tracking_number]
    assert ids(status="open,closed") == ids()
    assert ids(service_code="labour") == [withdrawn.tracking_number]
    assert ids(service_code="labour,neighbour") == ids()
    start = (timezone.now() - timedelta(days=250)).isoformat()
    end = (timezone.now() - timedelta(days=100)).isoformat()
    assert ids(start_date=start, end_date=end) == [old.tracking_number]
    assert ids(start_date=(timezone.now() - timedelta(days=2, hours=12)).isoformat()) == [
        open_case.tracking_number,
        closed.tracking_number,
    ]
    # Plain dates: from the start of start_date to the end of end_date.
    start_day = (timezone.localtime() - timedelta(days=250)).date().isoformat()
    end_day = (timezone.localtime() - timedelta(days=150)).date().isoformat()
    assert ids(start_date=start_day, end_date=end_day) == [old.tracking_number]
    # A list of ids overrides every other filter.
    assert ids(service_request_id=f"{old.tracking_number},{withdrawn.tracking_number}", status="open") == [
        withdrawn.tracking_number,
        old.tracking_number,
    ]
    assert ids(jurisdiction_id=tree.city.code) == ids()
    assert ids(service_request_id=open_case.tracking_number_display.lower().replace(" ", "")) == [
        open_case.tracking_number
    ]
    closed_row = next(r for r in client.get(f"{BASE}/requests.json").json() if r["status"] == "closed")
    assert closed_row["status_notes"] in ("Closed", "Withdrawn")


@pytest.mark.parametrize(
    "params",
    [{"start_date": "yesterday"}, {"end_date": "2026-13-40"}, {"status": "pending"}],
)
def test_list_bad_filters_are_400(client, params, db):
    spec_errors(client.get(f"{BASE}/requests.json", params), 400)


def test_list_is_capped_at_1000(client, tree, category, monkeypatch):
    from disputes import open311

    monkeypatch.setattr(open311, "MAX_RESULTS", 3)
    for _ in range(5):
        _case(tree, category)
    assert len(client.get(f"{BASE}/requests.json").json()) == 3
    assert open311.DEFAULT_WINDOW == timedelta(days=90)


def test_list_queries_do_not_grow_with_the_number_of_cases(client, tree, category, django_assert_max_num_queries):
    for _ in range(30):
        _case(tree, category)
    with django_assert_max_num_queries(3):
        response = client.get(f"{BASE}/requests.json")
    assert len(response.json()) == 30


def test_json_is_utf8_not_escaped(client, seeded):
    response = client.get(f"{BASE}/requests/{seeded.tracking_number}.json")
    assert "邻里纠纷" in response.content.decode()
    assert json.loads(response.content)[0]["service_name"] == "邻里纠纷"
