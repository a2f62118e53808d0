"""Open311 GeoReport v2: services, requests, the spec's errors, and no personal data in any answer."""

import json
from datetime import timedelta
from xml.etree import ElementTree as ET  # noqa: S405 - parses our own output in tests

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from core.actors import Actor
from core.models import Notification
from disputes import services
from disputes.api.keys import channel_key_create
from disputes.models import ChannelKey, Dispute, Party
from disputes.rules.enums import Channel, PartyRole, Status
from tests.factories import CategoryFactory, DepartmentFactory, DisputeFactory, PartyFactory

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
    attribute, people, amount = body["attributes"]
    assert (attribute["code"], attribute["datatype"], attribute["required"], attribute["variable"]) == (
        "grid",
        "string",
        False,
        True,
    )
    # The web form's ranges (disputes.scale), as optional single-value lists.
    assert [(a["code"], a["datatype"], a["required"], a["order"]) for a in (people, amount)] == [
        ("people_band", "singlevaluelist", False, 2),
        ("amount_band", "singlevaluelist", False, 3),
    ]
    assert [v["key"] for v in people["values"]] == ["1", "2-4", "5-9", "10-29", "30+"]
    assert [v["key"] for v in amount["values"]] == ["0", "<10k", "10k-100k", "100k-1m", "1m+"]
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
    case = Dispute.objects.get(public_id=body["service_request_id"])
    assert (case.channel, case.grid, case.description) == (Channel.OPEN311, tree.grid_a, "隔壁饭店油烟扰民。")
    applicant = case.parties.get()
    assert (applicant.role, applicant.name, applicant.phone) == (PartyRole.APPLICANT, "李四", "13900139000")
    assert case.events.get().actor_role == "resident"


def test_the_reply_to_an_anonymous_post_carries_the_public_id_only(form, tree, django_capture_on_commit_callbacks):
    """Anyone may post with anyone's phone: the tracking number goes to that phone by SMS, never into the reply."""
    english = Client(headers={"accept-language": "en"})
    with django_capture_on_commit_callbacks(execute=True):
        response = english.post(f"{BASE}/requests.json", form())
    case = Dispute.objects.get()
    text = response.content.decode()
    assert case.tracking_number not in text and case.tracking_number_display not in text
    [body] = response.json()
    assert body["service_request_id"] == case.public_id != case.tracking_number
    assert body["service_notice"] == (
        "Your report is registered. The tracking number has been sent by SMS to the phone number given: "
        "with the two, the tracking page shows the progress of the case."
    )
    sms = Notification.objects.get(dispute_id=case.pk, kind="submitted")
    assert sms.recipient_phone == "13900139000" and case.tracking_number_display in sms.body
    chinese = Client().post(f"{BASE}/requests.json", form(phone="13900139001"))
    assert chinese.json()[0]["service_notice"].startswith("您的反映已登记。")
    xml = english.post(f"{BASE}/requests.xml", form(phone="13900139002"))
    assert Dispute.objects.filter(public_id=ET.fromstring(xml.content).findtext("request/service_request_id")).exists()  # noqa: S314


def test_a_post_with_a_residents_phone_opens_nothing_of_their_case(client, form, seeded):
    """Whoever knows 张秘密's phone posts with it: a new case of their own, nothing of 张秘密's in the answer."""
    public_before = list(seeded.events.filter(is_public=True).values_list("kind", "action"))
    response = client.post(f"{BASE}/requests.json", form(phone="13911112222", last_name="张", first_name="秘密"))
    assert response.status_code == 201, response.content
    case = Dispute.objects.exclude(pk=seeded.pk).get()
    assert case.duplicate_of_id is None  # no other side named: nothing to link
    text = response.content.decode()
    assert seeded.tracking_number not in text and seeded.public_id not in text
    assert response.json()[0]["service_request_id"] == case.public_id and case.tracking_number not in text
    seeded.refresh_from_db()
    assert seeded.description.startswith("张秘密与邻居赵隐私")
    assert list(seeded.events.filter(is_public=True).values_list("kind", "action")) == public_before


def test_post_xml(client, form):
    response = client.post(f"{BASE}/requests.xml", form())
    assert response.status_code == 201
    root = ET.fromstring(response.content)  # noqa: S314
    assert root.tag == "service_requests"
    assert Dispute.objects.filter(public_id=root.findtext("request/service_request_id")).exists()


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
    case = Dispute.objects.get()
    assert case.channel == Channel.OPEN311
    key.refresh_from_db()
    assert key.last_used_at is not None
    # The key's own case: the reply carries its tracking number for the client to show the resident.
    [body] = response.json()
    assert (body["service_request_id"], body["tracking_number"]) == (case.public_id, case.tracking_number)
    assert case.tracking_number_display in body["service_notice"]


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

# The public list is off by default (OPEN311_PUBLIC_REQUESTS); these tests turn it on where they read it.


@pytest.fixture
def published(settings):
    settings.OPEN311_PUBLIC_REQUESTS = True


def test_get_a_request(client, published, seeded, tree, departments):
    response = client.get(f"{BASE}/requests/{seeded.public_id}.json")
    assert response.status_code == 200
    [body] = response.json()
    assert body["service_request_id"] == seeded.public_id
    assert body["status"] == "open"
    assert body["status_notes"] == "Dispatched"
    assert (body["service_code"], body["service_name"]) == ("neighbour", "邻里纠纷")
    assert body["description"] == ""
    # The township's committee: a body serving a township may be named.
    assert body["agency_responsible"] == departments["a"].name
    # The township, not the village or the grid.
    assert body["address"] == " ".join(a.name for a in (tree.city, tree.county, tree.town_a))
    assert body["address_id"] == tree.town_a.code
    assert body["jurisdiction_id"] == tree.city.code
    # The day only.
    assert body["requested_datetime"] == timezone.localtime(seeded.submitted_at).date().isoformat()
    assert body["updated_datetime"] == timezone.localtime(seeded.updated_at).date().isoformat()
    assert "tracking_number" not in body
    assert_no_personal_data(response)
    assert seeded.tracking_number not in response.content.decode()


def test_get_a_request_xml(client, published, seeded):
    response = client.get(f"{BASE}/requests/{seeded.public_id}.xml")
    root = ET.fromstring(response.content)  # noqa: S314
    assert root.findtext("request/service_request_id") == seeded.public_id
    assert_no_personal_data(response)
    assert seeded.tracking_number not in response.content.decode()


def test_unknown_request_is_404(client, published, seeded):
    errors = spec_errors(client.get(f"{BASE}/requests/0123456789abcdef.json"), 404)
    assert errors[0]["description"] == "service_request_id not found."


def test_a_tracking_number_is_not_a_request_id(client, published, seeded):
    """The tracking number opens a case on the tracking page: Open311 neither shows it nor answers to it."""
    spec_errors(client.get(f"{BASE}/requests/{seeded.tracking_number}.json"), 404)
    listed = client.get(f"{BASE}/requests.json", {"service_request_id": seeded.tracking_number})
    assert listed.status_code == 200 and listed.json() == []


def test_no_personal_data_in_any_answer(client, published, seeded):
    for url in (
        f"{BASE}/requests.json",
        f"{BASE}/requests.xml",
        f"{BASE}/requests/{seeded.public_id}.json",
        f"{BASE}/requests/{seeded.public_id}.xml",
        f"{BASE}/services.json",
        f"{BASE}/services/neighbour.json",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_personal_data(response)
        text = response.content.decode()
        assert seeded.tracking_number not in text and seeded.tracking_number_display not in text, url
        # Neither the village nor the grid.
        assert "船山社区" not in text, url
    listed = client.get(f"{BASE}/requests.json").json()
    assert [r["service_request_id"] for r in listed] == [seeded.public_id]
    assert all(r["description"] == "" for r in listed)


def _case(tree, category, *, status=Status.SUBMITTED, days_ago=0, grid=None, **fields):
    fields.setdefault("submitted_at", timezone.now() - timedelta(days=days_ago))
    case = DisputeFactory(grid=grid or tree.grid_a, category=category, status=status, **fields)
    PartyFactory(dispute=case, phone="13911110000")
    return case


def test_list_filters(client, published, tree, category):
    labour = CategoryFactory(code="labour", name="劳资纠纷")
    open_case = _case(tree, category, days_ago=1)
    closed = _case(tree, category, status=Status.CLOSED, days_ago=2)
    withdrawn = _case(tree, labour, status=Status.WITHDRAWN, days_ago=3)
    old = _case(tree, category, days_ago=200)

    def ids(**params):
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert ids() == [open_case.public_id, closed.public_id, withdrawn.public_id]
    assert ids(status="open") == [open_case.public_id]
    assert ids(status="closed") == [closed.public_id, withdrawn.public_id]
    assert ids(status="open,closed") == ids()
    assert ids(service_code="labour") == [withdrawn.public_id]
    assert ids(service_code="labour,neighbour") == ids()
    start = (timezone.now() - timedelta(days=250)).isoformat()
    end = (timezone.now() - timedelta(days=100)).isoformat()
    assert ids(start_date=start, end_date=end) == [old.public_id]
    # Plain dates: from the start of start_date to the end of end_date.
    start_day = (timezone.localtime() - timedelta(days=250)).date().isoformat()
    end_day = (timezone.localtime() - timedelta(days=150)).date().isoformat()
    assert ids(start_date=start_day, end_date=end_day) == [old.public_id]
    two_days_ago = (timezone.localtime() - timedelta(days=2)).date().isoformat()
    assert ids(start_date=two_days_ago) == [open_case.public_id, closed.public_id]
    # A list of ids overrides every other filter.
    assert ids(service_request_id=f"{old.public_id},{withdrawn.public_id}", status="open") == [
        withdrawn.public_id,
        old.public_id,
    ]
    assert ids(service_request_id=open_case.public_id.upper()) == [open_case.public_id]
    assert ids(jurisdiction_id=tree.city.code) == ids()
    closed_row = next(r for r in client.get(f"{BASE}/requests.json").json() if r["status"] == "closed")
    assert closed_row["status_notes"] in ("Closed", "Withdrawn")


def test_anonymous_date_filters_count_whole_days(client, published, tree, category):
    """Narrowing the window to the minute would tell a case's time of day: the filters widen to whole days."""
    when = timezone.localtime().replace(hour=10, minute=17, second=0, microsecond=0) - timedelta(days=1)
    case = _case(tree, category, submitted_at=when)

    def ids(**params):
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    after = (when + timedelta(minutes=1)).isoformat()
    before = (when - timedelta(minutes=1)).isoformat()
    assert ids(start_date=after) == [case.public_id]
    assert ids(end_date=before) == [case.public_id]
    next_day = (when + timedelta(days=1)).replace(hour=0, minute=0).isoformat()
    assert ids(start_date=next_day) == []


@pytest.mark.parametrize(
    "params",
    [{"start_date": "yesterday"}, {"end_date": "2026-13-40"}, {"status": "pending"}],
)
def test_list_bad_filters_are_400(client, published, params, db):
    spec_errors(client.get(f"{BASE}/requests.json", params), 400)


def test_list_is_capped_at_1000(client, published, tree, category, monkeypatch):
    from disputes import open311

    monkeypatch.setattr(open311, "MAX_RESULTS", 3)
    for _ in range(5):
        _case(tree, category)
    assert len(client.get(f"{BASE}/requests.json").json()) == 3
    assert open311.DEFAULT_WINDOW == timedelta(days=90)


def test_list_queries_do_not_grow_with_the_number_of_cases(
    client, published, tree, category, departments, django_assert_max_num_queries
):
    for n in range(30):
        _case(tree, category, grid=tree.grid_b if n % 2 else tree.grid_a, lead_department=departments["a"])
    with django_assert_max_num_queries(3):
        response = client.get(f"{BASE}/requests.json")
    assert len(response.json()) == 30
    assert {r["address_id"] for r in response.json()} == {tree.town_a.code, tree.town_b.code}


def test_json_is_utf8_not_escaped(client, published, seeded):
    response = client.get(f"{BASE}/requests/{seeded.public_id}.json")
    assert "邻里纠纷" in response.content.decode()
    assert json.loads(response.content)[0]["service_name"] == "邻里纠纷"


# --- The public list: off by default, private categories, coarse, limited --------------------------------------


def test_the_public_list_is_off_by_default(client, seeded, form):
    from django.conf import settings as live

    assert live.OPEN311_PUBLIC_REQUESTS is False
    for url in (f"{BASE}/requests.json", f"{BASE}/requests/{seeded.public_id}.json", f"{BASE}/requests.xml"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert seeded.public_id not in response.content.decode()
    errors = spec_errors(client.get(f"{BASE}/requests.json"), 404)
    assert errors[0]["description"] == "This portal does not publish its list of requests."
    chinese = Client().get(f"{BASE}/requests.json")
    assert chinese.json()[0]["description"] == "本平台不公开诉求列表。"
    # The rest of Open311 works: discovery, services, and residents' reports.
    assert client.get(f"{BASE}/discovery.json").status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    assert client.get(f"{BASE}/services/neighbour.json").status_code == 200
    assert client.post(f"{BASE}/requests.json", form()).status_code == 201


@pytest.fixture
def family(db):
    return CategoryFactory(code="family", name="家庭婚姻情感纠纷", name_en="Family", open311_hidden=True)


def test_private_categories_are_absent_from_the_public_list(client, published, tree, category, family):
    shown = _case(tree, category)
    marked = CategoryFactory(code="inheritance", name="继承纠纷", open311_hidden=True)
    hidden = [_case(tree, family), _case(tree, marked)]
    # Family is private even if its flag is cleared by mistake.
    unflagged_family = _case(tree, family)
    family.open311_hidden = False
    family.save()
    hidden.append(unflagged_family)

    listed = client.get(f"{BASE}/requests.json")
    assert [r["service_request_id"] for r in listed.json()] == [shown.public_id]
    assert "家庭婚姻情感纠纷" not in listed.content.decode() and "继承纠纷" not in listed.content.decode()
    for case in hidden:
        spec_errors(client.get(f"{BASE}/requests/{case.public_id}.json"), 404)
        by_id = client.get(f"{BASE}/requests.json", {"service_request_id": case.public_id})
        assert by_id.json() == []
    assert client.get(f"{BASE}/requests.json", {"service_code": "family"}).json() == []


def test_a_village_committee_is_not_named_in_the_public_list(client, published, tree, category):
    village_committee = DepartmentFactory(name="船山社区人民调解委员会", area=tree.village_a)
    case = _case(tree, category, lead_department=village_committee)
    [row] = client.get(f"{BASE}/requests/{case.public_id}.json").json()
    assert row["agency_responsible"] == ""
    assert row["address_id"] == tree.town_a.code


def test_the_admin_can_mark_a_category_hidden(client, category, db):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    page = client.get(f"/admin/disputes/category/{category.pk}/change/")
    assert page.status_code == 200
    assert 'name="open311_hidden"' in page.content.decode()
    listing = client.get("/admin/disputes/category/")
    assert 'name="form-0-open311_hidden"' in listing.content.decode()


def test_anonymous_reads_are_rate_limited(client, published, seeded, settings):
    settings.OPEN311_READS_PER_IP_HOUR = 2
    assert client.get(f"{BASE}/requests.json").status_code == 200
    assert client.get(f"{BASE}/requests/{seeded.public_id}.json").status_code == 200
    response = client.get(f"{BASE}/requests.json")
    errors = spec_errors(response, 429)
    assert "public list of requests" in errors[0]["description"]
    assert int(response["Retry-After"]) > 0
    # Discovery and services are not counted.
    assert client.get(f"{BASE}/services.json").status_code == 200


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        # The examples: both answered 500 (an OverflowError converting to UTC).
        ({"end_date": "0001-01-01"}, "end_date must be between the years 1900 and 2999."),
        ({"start_date": "9999-12-31T23:59:59-12:00"}, "start_date must be between the years 1900 and 2999."),
        ({"start_date": "0001-01-01T00:00:00+08:00"}, "start_date must be between the years 1900 and 2999."),
    ],
)
def test_dates_out_of_range_are_400_with_a_message(client, published, params, fragment, db):
    errors = spec_errors(client.get(f"{BASE}/requests.json", params), 400)
    assert [e["description"] for e in errors] == [fragment]
    chinese = Client().get(f"{BASE}/requests.json", params)
    assert chinese.status_code == 400
    assert "须在1900年至2999年之间" in chinese.json()[0]["description"]


# --- A channel key reads its own requests in full ------------------------------------------------------


@pytest.fixture
def keyed(tree, category, departments):
    """An Open311 client's key with two cases of its own (one private), and a case filed elsewhere."""
    key, raw = channel_key_create(name="市民通App", channel=Channel.OPEN311)
    family = CategoryFactory(code="family", name="家庭婚姻情感纠纷", open311_hidden=True)
    mine = _case(tree, category, channel=Channel.OPEN311, channel_key=key, lead_department=departments["a"])
    private = _case(tree, family, channel=Channel.OPEN311, channel_key=key, days_ago=1)
    other_key, _raw = channel_key_create(name="另一个App", channel=Channel.OPEN311)
    others = [_case(tree, category), _case(tree, category, channel=Channel.OPEN311, channel_key=other_key)]
    return {"key": key, "headers": {"X-Api-Key": raw}, "mine": [mine, private], "others": others}


def test_a_key_lists_its_own_requests_in_full_with_the_list_off(keyed, tree):
    client = Client(headers={"accept-language": "en", **keyed["headers"]})
    response = client.get(f"{BASE}/requests.json")
    assert response.status_code == 200, response.content
    rows = response.json()
    mine, private = keyed["mine"]
    assert [r["service_request_id"] for r in rows] == [mine.public_id, private.public_id]
    assert [r["tracking_number"] for r in rows] == [mine.tracking_number, private.tracking_number]
    # In full: the grid and the time of day; a private category too (the key's own).
    assert rows[0]["address_id"] == tree.grid_a.code
    assert rows[0]["requested_datetime"] == timezone.localtime(mine.submitted_at).isoformat(timespec="seconds")
    assert rows[1]["service_code"] == "family"
    text = response.content.decode()
    for other in keyed["others"]:
        assert other.public_id not in text and other.tracking_number not in text


def test_a_key_reads_one_of_its_own_by_public_id_or_tracking_number(keyed):
    client = Client(headers={"authorization": f"Api-Key {keyed['headers']['X-Api-Key']}"})
    mine = keyed["mine"][0]
    for request_id in (mine.public_id, mine.tracking_number):
        response = client.get(f"{BASE}/requests/{request_id}.json")
        assert response.status_code == 200, response.content
        assert response.json()[0]["tracking_number"] == mine.tracking_number
    for other in keyed["others"]:
        spec_errors(client.get(f"{BASE}/requests/{other.public_id}.json"), 404)
        spec_errors(client.get(f"{BASE}/requests/{other.tracking_number}.json"), 404)
    keyed["key"].refresh_from_db()
    assert keyed["key"].last_used_at is not None


def test_a_key_sees_only_its_own_even_with_the_public_list_on(keyed, published):
    client = Client(headers=keyed["headers"])
    listed = {r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()}
    assert listed == {c.public_id for c in keyed["mine"]}


def test_a_bad_or_revoked_key_or_a_key_in_the_address_is_refused(keyed, published):
    spec_errors(Client(headers={"X-Api-Key": "nonsense.key"}).get(f"{BASE}/requests.json"), 403)
    ChannelKey.objects.filter(pk=keyed["key"].pk).update(is_active=False)
    english = {"accept-language": "en", **keyed["headers"]}
    revoked = Client(headers=english).get(f"{BASE}/requests/{keyed['mine'][0].public_id}.json")
    assert "revoked" in spec_errors(revoked, 403)[0]["description"]
    in_address = Client(headers={"accept-language": "en"}).get(
        f"{BASE}/requests.json", {"api_key": keyed["headers"]["X-Api-Key"]}
    )
    assert "X-Api-Key header" in spec_errors(in_address, 400)[0]["description"]
