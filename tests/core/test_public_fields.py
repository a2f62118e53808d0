"""最小必要: the public doors collect only what mediation needs, and answer the public without personal data.

PIPL art. 6: personal information is collected only to the extent the purpose
needs. The allow-lists below are that decision, written down: a new field on
the public serializer or the web form fails here until someone adds it to the
list, and so has to say why the purpose needs it.
"""

import json
from xml.etree import ElementTree as ET  # noqa: S405 - parses our own output in tests

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework import serializers
from rest_framework.test import APIClient

from core.actors import Actor
from disputes import forms, services
from disputes.api.public_serializers import PublicCaseSerializer
from disputes.rules.enums import Channel, PartyRole

pytestmark = pytest.mark.django_db

WHY = (
    "Only what the purpose (mediating this dispute) needs may be collected (PIPL art. 6). "
    "If the new field is truly needed, add it to the allow-list in tests/core/test_public_fields.py "
    "with the reason in the review; otherwise remove it."
)

# The public API's create serializer (POST /api/v1/public/cases/), nested fields as "parent.child".
API_ALLOWED = {
    "category",
    "description",
    "occurred_at",
    "occurred_place",
    "grid",
    "applicant.name",  # who to call back and whose dispute it is
    "applicant.phone",  # the callback, and with the tracking number the key to the progress page
    "applicant.id_number",  # optional: the agreement (调解协议书) and judicial confirmation need it
    "applicant.address",  # optional: where the mediator can meet the party
    "applicant.is_minor",  # the flags raise the triage colour (vulnerable people)
    "applicant.is_elderly",
    "applicant.is_disabled",
    "applicant.is_pregnant",
    "other_parties[].role",
    "other_parties[].name",
    "other_parties[].phone",  # optional
    "other_parties[].is_minor",
    "other_parties[].is_elderly",
    "other_parties[].is_disabled",
    "other_parties[].is_pregnant",
    # 规模: how many people and how much money, exact or as a range; triage needs them (group
    # incidents, large sums, wages owed to many). Figures only, about the dispute, not a person.
    "people_involved",
    "people_band",
    "amount",
    "amount_band",
    "consent",  # the privacy notice was accepted
    "attachments",
    "website",  # the honeypot, always empty from people
}

# The web form (disputes/forms.py); the place cascade's selects (area_<level>) count as one field "area_*".
FORM_ALLOWED = {
    "case": {
        "category",
        "description",
        "occurred_on",
        "occurred_place",
        "people_band",  # ranges of people and money: what triage needs (see API_ALLOWED)
        "amount_band",
        "area_*",
        "attachments",
        "consent",
        "website",
    },
    "applicant": {"name", "phone", "id_number", "address", "is_minor", "is_elderly", "is_disabled", "is_pregnant"},
    "other_party": {"role", "name", "phone", "address", "is_minor", "is_elderly", "is_disabled", "is_pregnant"},
}

# No public answer carries these keys (at any depth).
DENIED_KEYS = {"name", "phone", "id_number", "address", "notes", "mediator", "email"}


def serializer_fields(serializer: serializers.Serializer, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.Serializer):
            out |= serializer_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.ListField) and isinstance(field.child, serializers.Serializer):
            out |= serializer_fields(field.child, f"{prefix}{name}[].")
        else:
            out.add(prefix + name)
    return out


def form_fields(form) -> set[str]:
    return {"area_*" if name.startswith("area_") else name for name in form.fields}


def test_the_public_api_accepts_exactly_the_allow_list(tree):
    fields = serializer_fields(PublicCaseSerializer())
    assert fields - API_ALLOWED == set(), f"new field(s) {sorted(fields - API_ALLOWED)}. {WHY}"
    assert API_ALLOWED - fields == set(), f"remove {sorted(API_ALLOWED - fields)} from API_ALLOWED too."


# The walk-in form (staff at the desk) may also take the exact figures.
FORM_STAFF_ALSO = {"case": {"people_involved", "amount"}}


@pytest.mark.parametrize("staff", [False, True])
def test_the_web_form_asks_exactly_the_allow_list(tree, category, staff):
    found = {
        "case": form_fields(forms.CaseForm(staff=staff)),
        "applicant": form_fields(forms.ApplicantForm(staff=staff)),
        "other_party": form_fields(forms.OtherPartyForm()),
    }
    for key, allowed in FORM_ALLOWED.items():
        allowed = allowed | (FORM_STAFF_ALSO.get(key, set()) if staff else set())
        assert found[key] - allowed == set(), f"new field(s) on the {key} form: {sorted(found[key] - allowed)}. {WHY}"
        assert allowed - found[key] == set(), f"remove {sorted(allowed - found[key])} from FORM_ALLOWED[{key!r}]."


def test_an_extra_field_is_refused_not_stored(tree, category):
    """The allow-list is enforced at the door too: the strict serializer refuses what it does not declare."""
    data = {
        "category": category.code,
        "description": "楼上漏水。",
        "grid": tree.grid_a.code,
        "applicant": {"name": "李四", "phone": "13900139000"},
        "consent": True,
        "email": "lisi@example.com",
    }
    serializer = PublicCaseSerializer(data=data)
    assert not serializer.is_valid()
    assert "email" in serializer.errors


# --- Outputs ----------------------------------------------------------------------------------------


def keys_in(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def xml_tags(text: bytes) -> set[str]:
    return {element.tag for element in ET.fromstring(text).iter()}  # noqa: S314 - our own output


SECRETS = ("张秘密", "赵隐私", "13911112222", "13733334444", "360103199001011236", "船山路99号")


@pytest.fixture
def case(tree, category, departments):
    cache.clear()
    case = services.dispute_submit(
        category=category,
        description="邻居漏水。",
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
    )
    services.dispute_transition(dispute=case, action="triage", actor=Actor.system())
    services.dispute_transition(
        dispute=case, action="dispatch", actor=Actor.system(), data={"department": departments["a"]}
    )
    yield case
    cache.clear()


def test_the_track_answer_has_no_denied_key(case):
    response = APIClient().post(
        "/api/v1/public/track/", {"tracking_number": case.tracking_number, "phone": "13911112222"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tracking_number"] == case.tracking_number
    assert keys_in(body) & DENIED_KEYS == set()
    text = json.dumps(body, ensure_ascii=False)
    assert not [s for s in SECRETS if s in text]


def test_the_receipt_of_a_public_submission_has_no_denied_key(tree, category):
    cache.clear()
    response = APIClient().post(
        "/api/v1/public/cases/",
        {
            "category": category.code,
            "description": "楼上漏水。",
            "grid": tree.grid_a.code,
            "applicant": {"name": "张秘密", "phone": "13911112222"},
            "consent": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert keys_in(response.json()) & DENIED_KEYS == set()
    cache.clear()


# Open311 GeoReport v2 requires an "address" key in a request: it is the place of the problem, which
# here is the grid's public path of area names, never a party's address (checked below).
OPEN311_DENIED = DENIED_KEYS - {"address"}


def without_choice_labels(body):
    """A service definition lists an attribute's choices as {"key", "name"} (GeoReport v2): the name of a
    choice (a range of people or money), never of a person; left out of the key check."""
    if not isinstance(body, dict) or "attributes" not in body:
        return body
    attributes = [
        {**a, "values": [{k: v for k, v in value.items() if k != "name"} for value in a.get("values", [])]}
        for a in body["attributes"]
    ]
    return {**body, "attributes": attributes}


def without_choice_labels_xml(text: bytes) -> bytes:
    root = ET.fromstring(text)  # noqa: S314 - our own output
    for value in root.iter("value"):
        for name in value.findall("name"):
            value.remove(name)
    return ET.tostring(root)


def test_open311_answers_have_no_denied_key(case, tree, settings):
    settings.OPEN311_PUBLIC_REQUESTS = True  # off by default: then the lists below answer nothing at all
    client = Client(headers={"accept-language": "en"})
    base = "/open311/v2"
    urls = [
        "discovery",
        "services",
        f"services/{case.category.code}",
        "requests",
        f"requests/{case.public_id}",
    ]
    for url in urls:
        for fmt in ("json", "xml"):
            response = client.get(f"{base}/{url}.{fmt}")
            assert response.status_code == 200, (url, fmt)
            keys = keys_in(without_choice_labels(response.json())) if fmt == "json" else xml_tags(response.content)
            if fmt == "xml" and url.startswith("services/"):
                keys = xml_tags(without_choice_labels_xml(response.content))
            assert keys & OPEN311_DENIED == set(), (url, fmt)
            text = response.content.decode()
            assert not [s for s in SECRETS if s in text], (url, fmt)
            assert case.tracking_number not in text, (url, fmt)
    # The place is told to the township only: a village or grid narrows a family down.
    [request] = client.get(f"{base}/requests/{case.public_id}.json").json()
    assert request["address"] == " ".join(a.name for a in (tree.city, tree.county, tree.town_a))
