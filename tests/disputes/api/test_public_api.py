"""The public API: submitting a dispute, tracking it, and the reference lists for the form."""

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from core.actors import Actor
from core.validators import id_number_check_char
from disputes import services
from disputes.api.public_serializers import PublicCaseSerializer, TrackSerializer
from disputes.models import Attachment, CaseEvent, Dispute, Party
from disputes.rules.enums import Channel, PartyRole, Status
from grids.models import Role
from tests.disputes.pdf_files import MINIMAL_PDF, PAGES, make_pdf
from tests.factories import CategoryFactory

CASES = "/api/v1/public/cases/"
TRACK = "/api/v1/public/track/"
CJK = re.compile(r"[\u3400-\u9fff]")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = MINIMAL_PDF  # a PDF the upload check can parse
VALID_ID = "36010319900101123" + id_number_check_char("36010319900101123")


@pytest.fixture(autouse=True)
def clean_cache_and_storage(settings, tmp_path):
    """Rate-limit counters live in the cache: every test starts from zero. Attachments go to a temporary folder."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def payload(tree, category):
    def make(**overrides) -> dict:
        data = {
            "category": category.code,
            "description": "楼上邻居装修噪音扰民，晚上十点后仍在施工。",
            "occurred_at": (timezone.now() - timedelta(days=2)).isoformat(),
            "occurred_place": "船山路12号",
            "grid": tree.grid_a.code,
            "applicant": {
                "name": "李四",
                "phone": "13900139000",
                "id_number": VALID_ID,
                "address": "船山路12号3栋201",
                "is_elderly": True,
            },
            "other_parties": [{"role": "respondent", "name": "王五", "phone": "13700137000"}],
            "consent": True,
        }
        data.update(overrides)
        return data

    return make


def counts() -> tuple[int, int, int, int]:
    return Dispute.objects.count(), Party.objects.count(), Attachment.objects.count(), CaseEvent.objects.count()


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def stored_files(settings) -> list[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    f = io.BytesIO(content)
    f.name = name
    return f


# --- Submitting -------------------------------------------------------------------------------


def test_submit_json_creates_a_web_case(client, payload, tree):
    response = client.post(CASES, payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"tracking_number", "tracking_number_display", "status"}
    assert body["status"] == Status.SUBMITTED
    assert body["tracking_number_display"].replace(" ", "") == body["tracking_number"]
    case = Dispute.objects.get(tracking_number=body["tracking_number"])
    assert (case.channel, case.grid, case.occurred_place) == (Channel.WEB, tree.grid_a, "船山路12号")
    parties = [(p.role, p.name, p.phone, p.id_number, p.is_elderly) for p in case.parties.all()]
    assert parties == [
        (PartyRole.APPLICANT, "李四", "13900139000", VALID_ID, True),
        (PartyRole.RESPONDENT, "王五", "13700137000", "", False),
    ]
    assert case.events.get().actor_role == "resident"
    assert response["Cache-Control"] == "no-store"


def test_submit_normalises_the_phone_and_id_number(client, payload):
    data = payload()
    data["applicant"] = {**data["applicant"], "phone": "+86 139-0013-9000", "id_number": VALID_ID.lower()}
    response = client.post(CASES, data, format="json")
    assert response.status_code == 201, response.content
    applicant = Party.objects.get(role=PartyRole.APPLICANT)
    assert (applicant.phone, applicant.id_number) == ("13900139000", VALID_ID)


def test_submit_multipart_with_attachments_and_json_text(client, payload, settings):
    data = payload()
    form = {
        **{k: v for k, v in data.items() if k not in ("applicant", "other_parties")},
        "applicant": json.dumps(data["applicant"], ensure_ascii=False),
        "other_parties": json.dumps(data["other_parties"], ensure_ascii=False),
        "consent": "true",
        "attachments": [upload("门口.png", PNG), upload("协议.pdf", PDF)],
    }
    response = client.post(CASES, form, format="multipart")
    assert response.status_code == 201, response.content
    case = Dispute.objects.get(tracking_number=response.json()["tracking_number"])
    assert sorted((a.original_name, a.content_type) for a in case.attachments.all()) == [
        ("协议.pdf", "application/pdf"),
        ("门口.png", "image/png"),
    ]
    assert len(stored_files(settings)) == 2
    assert case.parties.count() == 2


def test_submit_multipart_in_form_notation(client, tree, category):
    form = {
        "category": category.code,
        "description": "邻居占用楼道堆放杂物。",
        "grid": tree.grid_a.code,
        "applicant.name": "李四",
        "applicant.phone": "13900139000",
        "other_parties[0]role": "respondent",
        "other_parties[0]name": "王五",
        "other_parties[1]role": "third_party",
        "other_parties[1]name": "物业公司",
        "other_parties[1]phone": "0791-86123456",
        "consent": "on",
    }
    response = client.post(CASES, form, format="multipart")
    assert response.status_code == 201, response.content
    case = Dispute.objects.get(tracking_number=response.json()["tracking_number"])
    assert [(p.role, p.name, p.phone) for p in case.parties.all()] == [
        (PartyRole.APPLICANT, "李四", "13900139000"),
        (PartyRole.RESPONDENT, "王五", ""),
        (PartyRole.THIRD_PARTY, "物业公司", "079186123456"),
    ]


def test_the_residents_phone_and_the_other_sides_name_open_nothing(client, payload):
    """The other side of a family quarrel submits with the resident's phone: a new case, the same receipt."""
    first = client.post(CASES, payload(), format="json")
    original = Dispute.objects.get(tracking_number=first.json()["tracking_number"])
    before = [(e.kind, e.action) for e in original.events.filter(is_public=True)]
    response = client.post(
        CASES,
        payload(
            description="我是李四，案件不用再处理了。",
            applicant={"name": "李四", "phone": "13900139000"},
            other_parties=[{"role": "respondent", "name": "王五"}],
        ),
        format="json",
    )
    assert response.status_code == first.status_code == 201, response.content
    body = response.json()
    assert set(body) == set(first.json())
    assert body["tracking_number"] != original.tracking_number
    assert original.tracking_number not in response.content.decode()
    assert body["status"] == first.json()["status"] == Status.SUBMITTED
    assert dict(response.headers) == dict(first.headers) | {"Content-Length": response.headers["Content-Length"]}
    case = Dispute.objects.get(tracking_number=body["tracking_number"])
    assert case.duplicate_of == original
    # Tracking with the attacker's number and the resident's phone: the attacker's own case, nothing else.
    tracked = client.post(TRACK, {"tracking_number": body["tracking_number"], "phone": "13900139000"}, format="json")
    assert tracked.status_code == 200 and tracked.json()["tracking_number"] == body["tracking_number"]
    own = client.post(TRACK, {"tracking_number": original.tracking_number, "phone": "13900139000"}, format="json")
    assert [(e.kind, e.action) for e in original.events.filter(is_public=True)] == before
    assert len(own.json()["timeline"]) == len(before)
    assert body["tracking_number"] not in own.content.decode()


def test_public_endpoints_ignore_sessions_and_csrf(client, payload, staff_a):
    """No session authentication: a logged-in browser without a CSRF token may still submit (nothing acts on it)."""
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(staff_a[Role.DISPATCHER])
    response = browser.post(CASES, payload(), format="json")
    assert response.status_code == 201, response.content
    assert Dispute.objects.get().events.get().actor is None


# --- Refusals: each bad input names its field and stores nothing -----------------------------------


def _with_applicant(**changes):
    def change(data):
        data["applicant"] = {**data["applicant"], **changes}

    return change


def _set(key, value):
    def change(data):
        data[key] = value

    return change


def _drop(key):
    def change(data):
        data.pop(key)

    return change


BAD_INPUTS = [
    ("missing category", _drop("category"), ["category"]),
    ("unknown category", _set("category", "no-such-thing"), ["category"]),
    ("blank description", _set("description", "   "), ["description"]),
    ("consent false", _set("consent", False), ["consent"]),
    ("consent missing", _drop("consent"), ["consent"]),
    ("future date", _set("occurred_at", (timezone.now() + timedelta(days=1)).isoformat()), ["occurred_at"]),
    ("not a date", _set("occurred_at", "yesterday"), ["occurred_at"]),
    ("a date in the year 1", _set("occurred_at", "0001-01-01T00:00:00+08:00"), ["occurred_at"]),
    ("a date before 1900", _set("occurred_at", "1899-06-01T00:00:00+08:00"), ["occurred_at"]),
    ("unknown grid", _set("grid", "999999999"), ["grid"]),
    ("missing grid", _drop("grid"), ["grid"]),
    ("bad phone", _with_applicant(phone="12345"), ["applicant", "phone"]),
    ("landline for the applicant", _with_applicant(phone="079186123456"), ["applicant", "phone"]),
    ("missing phone", _with_applicant(phone=""), ["applicant", "phone"]),
    ("bad ID checksum", _with_applicant(id_number=VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")), None),
    ("short ID", _with_applicant(id_number="3601031990"), ["applicant", "id_number"]),
    ("missing applicant name", _with_applicant(name=""), ["applicant", "name"]),
    ("applicant not an object", _set("applicant", "李四"), ["applicant"]),
    ("other party as applicant", _set("other_parties", [{"role": "applicant", "name": "王五"}]), ["other_parties"]),
    ("other party bad phone", _set("other_parties", [{"role": "respondent", "name": "王", "phone": "1"}]), None),
    ("too many other parties", _set("other_parties", [{"role": "respondent", "name": "王"}] * 21), ["other_parties"]),
    ("unknown field", _set("status", "closed"), ["status"]),
    ("unknown channel field", _set("channel", "police_110"), ["channel"]),
    ("unknown nested field", _with_applicant(colour="red"), ["applicant", "colour"]),
]


@pytest.mark.parametrize(("change", "path"), [(b[1], b[2]) for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_refused_with_the_field_and_nothing_is_stored(client, payload, change, path):
    data = payload()
    change(data)
    before = counts()
    response = client.post(CASES, data, format="json", headers={"accept-language": "en"})
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid" and error["message"]
    node = error["fields"]
    for key in path or []:
        if isinstance(node, list):
            node = next(item for item in node if item)
        assert key in node, (key, error["fields"])
        node = node[key]
    assert counts() == before


def test_bad_id_checksum_message(client, payload):
    wrong = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
    data = payload()
    data["applicant"]["id_number"] = wrong
    response = client.post(CASES, data, format="json", headers={"accept-language": "en"})
    assert response.status_code == 400
    assert error_of(response)["fields"]["applicant"]["id_number"] == [
        "This ID number is not valid (check digit does not match)."
    ]


def test_a_township_is_too_high_for_a_case(client, payload, tree):
    response = client.post(CASES, payload(grid=tree.town_a.code), format="json", headers={"accept-language": "en"})
    assert response.status_code == 400
    assert error_of(response)["fields"]["grid"] == ["Choose the village, community or grid where it happened."]


def test_a_village_is_low_enough(client, payload, tree):
    assert client.post(CASES, payload(grid=tree.village_a.code), format="json").status_code == 201


def test_an_inactive_category_is_unknown(client, payload):
    inactive = CategoryFactory(code="retired", name="旧类别", is_active=False)
    response = client.post(CASES, payload(category=inactive.code), format="json", headers={"accept-language": "en"})
    assert response.status_code == 400
    assert error_of(response)["fields"]["category"] == ["Unknown category."]


def test_messages_follow_the_clients_language(client, payload):
    data = payload()
    data.pop("description")
    english = error_of(client.post(CASES, data, format="json", headers={"accept-language": "en"}))
    chinese = error_of(client.post(CASES, data, format="json"))
    assert english["fields"]["description"] == ["This field is required."]
    assert CJK.search(chinese["fields"]["description"][0]), chinese
    assert english["message"] == "This field is required."


def test_honeypot_gets_a_generic_refusal(client, payload):
    before = counts()
    response = client.post(
        CASES, payload(website="http://spam.example"), format="json", headers={"accept-language": "en"}
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error == {"code": "rejected", "message": "The submission could not be accepted."}
    assert "website" not in json.dumps(response.json())
    assert counts() == before


def test_an_empty_honeypot_is_fine(client, payload):
    assert client.post(CASES, payload(website=""), format="json").status_code == 201


def test_a_disguised_file_is_refused(client, payload, settings):
    data = payload()
    form = {
        **{k: v for k, v in data.items() if k not in ("applicant", "other_parties")},
        "applicant": json.dumps(data["applicant"]),
        "attachments": [upload("photo.jpg", b"MZ\x90\x00 this is a program, not a photo" * 4)],
    }
    before = counts()
    response = client.post(CASES, form, format="multipart", headers={"accept-language": "en"})
    assert response.status_code == 400, response.content
    message = error_of(response)["fields"]["attachments"][0]
    assert "photo.jpg" in message and "not a photo" in message
    assert counts() == before
    assert stored_files(settings) == []


def test_a_pdf_with_a_script_in_a_compressed_object_stream_is_refused_in_the_users_language(client, payload, settings):
    data = payload()
    catalog, pages, page = PAGES
    scripted = make_pdf(
        catalog.replace(b">>", b" /OpenAction 4 0 R >>"),
        pages,
        page,
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
        packed=True,
    )
    form = {
        **{k: v for k, v in data.items() if k not in ("applicant", "other_parties")},
        "applicant": json.dumps(data["applicant"]),
    }
    before = counts()
    chinese = client.post(CASES, {**form, "attachments": [upload("协议.pdf", scripted)]}, format="multipart")
    assert chinese.status_code == 400, chinese.content
    assert error_of(chinese)["fields"]["attachments"] == [
        "“协议.pdf”含有脚本、自动操作、表单或嵌入文件，不予接收。请将其打印为新的 PDF，或改为上传它的照片。"
    ]
    english = client.post(
        CASES,
        {**form, "attachments": [upload("协议.pdf", scripted)]},
        format="multipart",
        headers={"accept-language": "en"},
    )
    assert english.status_code == 400
    assert error_of(english)["fields"]["attachments"][0].startswith("“协议.pdf” contains scripts, actions, forms")
    assert counts() == before
    assert stored_files(settings) == []


def test_six_files_are_refused(client, payload, settings):
    data = payload()
    form = {
        **{k: v for k, v in data.items() if k not in ("applicant", "other_parties")},
        "applicant": json.dumps(data["applicant"]),
        "attachments": [upload(f"{i}.png", PNG) for i in range(6)],
    }
    before = counts()
    response = client.post(CASES, form, format="multipart", headers={"accept-language": "en"})
    assert response.status_code == 400, response.content
    assert error_of(response)["fields"]["attachments"] == ["At most 5 attachments are allowed."]
    assert counts() == before
    assert stored_files(settings) == []


def test_the_default_size_limit_fits_five_full_attachments(settings):
    from disputes.intake import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS

    assert settings.PUBLIC_MAX_REQUEST_BYTES > MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES > MAX_ATTACHMENTS


def test_an_oversized_request_is_refused_before_it_is_read(client, payload, settings):
    settings.PUBLIC_MAX_REQUEST_BYTES = 4096
    data = payload()
    form = {
        **{k: v for k, v in data.items() if k not in ("applicant", "other_parties")},
        "applicant": json.dumps(data["applicant"]),
        "attachments": [upload("big.png", PNG + b"\x00" * 8192)],
    }
    before = counts()
    response = client.post(CASES, form, format="multipart", headers={"accept-language": "en"})
    assert response.status_code == 413, response.content
    assert error_of(response)["code"] == "too_large"
    assert counts() == before


def test_an_oversized_json_body_is_refused(client, payload, settings):
    settings.PUBLIC_MAX_REQUEST_BYTES = 4096
    response = client.post(CASES, payload(description="噪" * 5000), format="json")
    assert response.status_code == 413


# --- Rate limits --------------------------------------------------------------------------------------


def test_submissions_are_limited_per_address(client, payload, settings):
    settings.PUBLIC_SUBMIT_PER_IP_HOUR = 2
    for i in range(2):
        data = payload()
        data["applicant"] = {**data["applicant"], "phone": f"1390013900{i}"}
        assert client.post(CASES, data, format="json").status_code == 201
    response = client.post(CASES, payload(), format="json", headers={"accept-language": "en"})
    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "throttled"
    assert error["message"] == "Too many submissions from your network in the last hour. Please try again later."
    assert 0 < int(response["Retry-After"]) <= 3600
    # Another address is not affected.
    other = APIClient(REMOTE_ADDR="10.0.0.9")
    data = payload()
    data["applicant"] = {**data["applicant"], "phone": "13900139009"}
    assert other.post(CASES, data, format="json").status_code == 201


def test_submissions_are_limited_per_phone(payload, settings):
    settings.PUBLIC_SUBMIT_PER_PHONE_DAY = 1
    first = APIClient(REMOTE_ADDR="10.0.0.1").post(CASES, payload(), format="json")
    assert first.status_code == 201
    before = counts()
    again = APIClient(REMOTE_ADDR="10.0.0.2").post(
        CASES, payload(other_parties=[]), format="json", headers={"accept-language": "en"}
    )
    assert again.status_code == 429
    assert "phone number" in error_of(again)["message"]
    assert counts() == before


def test_a_phone_limit_counts_only_valid_submissions(payload, settings):
    settings.PUBLIC_SUBMIT_PER_PHONE_DAY = 1
    client = APIClient()
    assert client.post(CASES, payload(consent=False), format="json").status_code == 400
    assert client.post(CASES, payload(), format="json").status_code == 201


# --- Tracking ---------------------------------------------------------------------------------------


@pytest.fixture
def tracked_case(client, payload, departments, staff_a):
    """A case submitted through the API, then triaged, dispatched, accepted and given an internal note."""
    number = client.post(CASES, payload(), format="json").json()["tracking_number"]
    case = Dispute.objects.get(tracking_number=number)
    services.dispute_transition(dispute=case, action="triage", actor=Actor.system())
    services.dispute_transition(
        dispute=case, action="dispatch", actor=Actor.system(), data={"department": departments["a"]}
    )
    mediator = staff_a[Role.MEDIATOR]
    mediator.first_name, mediator.last_name = "明远", "赵"
    mediator.save()
    services.dispute_transition(dispute=case, action="accept", actor=Actor.for_user(mediator))
    services.dispute_add_note(
        dispute=case, actor=Actor.for_user(mediator), text="内部备注：王五有前科，注意安全。电话13700137000"
    )
    cache.clear()
    return Dispute.objects.get(pk=case.pk)


def test_track_shows_progress(client, tracked_case, departments):
    response = client.post(
        TRACK,
        {"tracking_number": tracked_case.tracking_number_display.lower(), "phone": "139 0013 9000"},
        format="json",
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tracking_number"] == tracked_case.tracking_number
    assert body["status"] == {"code": "accepted", "label": "Accepted"}
    assert body["category"] == {"code": "neighbour", "label": "Neighbour"}
    assert body["department"] == departments["a"].name
    assert body["next_step"] == "A mediator has taken on your case and will contact you."
    assert [entry["what"] for entry in body["timeline"]] == [
        "Submitted",
        "Triaged, awaiting dispatch",
        "Dispatched",
        "Accepted",
    ]
    assert all(entry["at"].endswith("+08:00") for entry in body["timeline"])
    assert response["Cache-Control"] == "no-store"


def test_track_answer_has_no_personal_data(client, tracked_case, staff_a):
    response = client.post(TRACK, {"tracking_number": tracked_case.tracking_number, "phone": "13900139000"})
    assert response.status_code == 200
    body = response.json()
    assert (
        set(body)
        == set(TrackSerializer().fields)
        == {
            "tracking_number",
            "tracking_number_display",
            "category",
            "status",
            "submitted_at",
            "department",
            "next_step",
            "timeline",
        }
    )
    assert all(set(entry) == {"at", "what"} for entry in body["timeline"])
    text = json.dumps(body, ensure_ascii=False)
    mediator = staff_a[Role.MEDIATOR]
    for secret in (
        "李四",
        "王五",
        "13900139000",
        "13700137000",
        VALID_ID,
        "船山路12号",
        "内部备注",
        "噪音",
        mediator.username,
        "明远",
    ):
        assert secret not in text, secret


def test_wrong_phone_and_unknown_number_get_the_same_answer(client, tracked_case):
    wrong_phone = client.post(TRACK, {"tracking_number": tracked_case.tracking_number, "phone": "13700137000"})
    unknown = client.post(TRACK, {"tracking_number": "ABCDEFGHJKMN", "phone": "13900139000"})
    respondent = client.post(TRACK, {"tracking_number": tracked_case.tracking_number, "phone": "13700137000"})
    assert wrong_phone.status_code == unknown.status_code == respondent.status_code == 404
    assert wrong_phone.content == unknown.content == respondent.content
    assert error_of(unknown)["code"] == "not_found"


def test_track_needs_both_fields(client):
    response = client.post(TRACK, {"tracking_number": "ABCDEFGHJKMN"}, format="json")
    assert response.status_code == 400
    assert "phone" in error_of(response)["fields"]


def test_failed_lookups_are_limited_per_tracking_number(settings, tracked_case):
    settings.PUBLIC_TRACK_FAILURES_PER_NUMBER_HOUR = 3
    number = tracked_case.tracking_number
    for i in range(3):
        response = APIClient(REMOTE_ADDR=f"10.0.1.{i}").post(TRACK, {"tracking_number": number, "phone": "13800000000"})
        assert response.status_code == 404
    # Now even the right phone, from yet another address, waits: the number is being guessed at.
    response = APIClient(REMOTE_ADDR="10.0.1.99").post(
        TRACK, {"tracking_number": number, "phone": "13900139000"}, headers={"accept-language": "en"}
    )
    assert response.status_code == 429
    assert "tracking number" in error_of(response)["message"]
    assert int(response["Retry-After"]) > 0


def test_failed_lookups_are_limited_per_address(settings, tracked_case):
    settings.PUBLIC_TRACK_FAILURES_PER_IP_HOUR = 3
    client = APIClient(REMOTE_ADDR="10.0.2.1")
    for _ in range(3):
        assert client.post(TRACK, {"tracking_number": "ABCDEFGHJKMN", "phone": "13900139000"}).status_code == 404
    response = client.post(TRACK, {"tracking_number": tracked_case.tracking_number, "phone": "13900139000"})
    assert response.status_code == 429
    # Successful look-ups do not count as failures.
    other = APIClient(REMOTE_ADDR="10.0.2.2")
    data = {"tracking_number": tracked_case.tracking_number, "phone": "13900139000"}
    for _ in range(5):
        assert other.post(TRACK, data).status_code == 200


def test_all_lookups_are_limited_per_address(settings, tracked_case):
    settings.PUBLIC_TRACK_PER_IP_HOUR = 2
    client = APIClient(REMOTE_ADDR="10.0.3.1")
    data = {"tracking_number": tracked_case.tracking_number, "phone": "13900139000"}
    assert client.post(TRACK, data).status_code == 200
    assert client.post(TRACK, data).status_code == 200
    assert client.post(TRACK, data).status_code == 429


# --- The allow-list ---------------------------------------------------------------------------------


def test_the_create_serializer_accepts_only_the_listed_fields():
    serializer = PublicCaseSerializer()
    assert set(serializer.fields) == {
        "category",
        "description",
        "occurred_at",
        "occurred_place",
        "grid",
        "people_involved",
        "people_band",
        "amount",
        "amount_band",
        "applicant",
        "other_parties",
        "consent",
        "attachments",
        "website",
    }
    assert set(serializer.fields["applicant"].fields) == {
        "name",
        "phone",
        "id_number",
        "address",
        "is_minor",
        "is_elderly",
        "is_disabled",
        "is_pregnant",
    }
    assert set(serializer.fields["other_parties"].child.fields) == {
        "role",
        "name",
        "phone",
        "is_minor",
        "is_elderly",
        "is_disabled",
        "is_pregnant",
    }


@pytest.mark.parametrize("field", ["status", "colour", "channel", "source_id", "lead_department", "tracking_number"])
def test_fields_outside_the_list_are_refused(client, payload, field):
    response = client.post(CASES, payload(**{field: "x"}), format="json")
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert Dispute.objects.count() == 0


def test_fields_outside_the_list_are_refused_in_multipart_too(client, payload):
    data = payload()
    form = {
        **{k: v for k, v in data.items() if k not in ("applicant", "other_parties")},
        "applicant.name": "李四",
        "applicant.phone": "13900139000",
        "applicant.colour": "red",
    }
    response = client.post(CASES, form, format="multipart")
    assert response.status_code == 400
    assert "colour" in error_of(response)["fields"]["applicant"]
    form.pop("applicant.colour")
    form["status"] = "closed"
    response = client.post(CASES, form, format="multipart")
    assert response.status_code == 400
    assert "status" in error_of(response)["fields"]


# --- Reference lists ----------------------------------------------------------------------------------


def test_categories_for_the_select(client, category):
    CategoryFactory(code="labour", name="劳资纠纷", name_en="Labour", sort_order=1)
    CategoryFactory(code="retired", name="旧类别", is_active=False)
    response = client.get("/api/v1/public/categories/", headers={"accept-language": "en"})
    assert response.status_code == 200
    assert response.json() == [{"code": "labour", "name": "Labour"}, {"code": "neighbour", "name": "Neighbour"}]
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=300"}
    assert "Accept-Language" in response["Vary"]
    chinese = client.get("/api/v1/public/categories/").json()
    assert [c["name"] for c in chinese] == ["劳资纠纷", "邻里纠纷"]


def test_areas_cascade(client, tree):
    roots = client.get("/api/v1/public/areas/").json()
    assert roots == [
        {
            "code": tree.city.code,
            "name": tree.city.name,
            "level": 1,
            "level_name": str(tree.city.get_level_display()),
            "has_children": True,
            "can_hold_cases": False,
        }
    ]
    towns = client.get("/api/v1/public/areas/", {"parent": tree.county.code})
    assert [a["code"] for a in towns.json()] == [tree.town_a.code, tree.town_b.code]
    assert set(towns["Cache-Control"].split(", ")) == {"public", "max-age=300"}
    grids = client.get("/api/v1/public/areas/", {"parent": tree.village_a.code}).json()
    assert grids == [
        {
            "code": tree.grid_a.code,
            "name": tree.grid_a.name,
            "level": 5,
            "level_name": str(tree.grid_a.get_level_display()),
            "has_children": False,
            "can_hold_cases": True,
        }
    ]
    assert client.get("/api/v1/public/areas/", {"parent": tree.grid_a.code}).json() == []


def test_unknown_parent_area(client, tree):
    response = client.get("/api/v1/public/areas/", {"parent": "nope"}, headers={"accept-language": "en"})
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "Unknown area code."}


# --- The schema -----------------------------------------------------------------------------------------


def test_the_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/public/cases/", "/api/v1/public/track/", "/api/v1/channels/cases/"):
        assert path in text
    assert "ChannelApiKey" in text


@override_settings(PUBLIC_SUBMIT_PER_IP_HOUR=1000)
def test_schema_page_is_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200


# --- Rate limits on Redis --------------------------------------------------------------------------------


@pytest.mark.redis
def test_on_redis_a_hit_is_one_atomic_round_trip_readable_by_core_ratelimit(monkeypatch, settings):
    """With Redis the throttles count with INCR + EXPIRE NX in one MULTI, on core.ratelimit's own keys."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    from core import ratelimit, throttling

    assert isinstance(caches["default"], RedisCache)
    monkeypatch.setattr(ratelimit, "hit", lambda *a, **k: pytest.fail("the Redis path must not use cache.add/incr"))
    settings.PUBLIC_SUBMIT_PER_PHONE_DAY = 3
    limit = throttling.SUBMIT_PER_PHONE
    assert [throttling.count(limit, "13900139000") for _ in range(4)] == [True, True, True, False]
    # core.ratelimit reads the same counter.
    assert ratelimit.exceeded(limit.scope, "13900139000", limit=3, window=limit.window)
    key = caches["default"].make_and_validate_key(ratelimit.counter_key(limit.scope, "13900139000", limit.window))
    client = caches["default"]._cache.get_client(key)
    assert 0 < client.ttl(key) <= limit.window + 5
    assert b"13900139000" not in b"".join(client.keys("*")), "identifiers are hashed in the keys"


@pytest.mark.redis
def test_on_redis_concurrent_hits_never_let_more_through(settings):
    import threading

    from core import throttling

    settings.PUBLIC_SUBMIT_PER_IP_HOUR = 50
    allowed = []
    lock = threading.Lock()

    def hammer():
        for _ in range(20):
            ok = throttling.count(throttling.SUBMIT_PER_IP, "10.9.9.9")
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 50 and len(allowed) == 160
