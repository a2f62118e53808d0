"""A phone number typed in full-width digits (１３７…) is the same number at every door.

Stored as ASCII digits whichever way it was typed, so tracking, duplicate hints and the
SMS all match it. The rules themselves are in tests/core/test_validators.py.
"""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from core.actors import Actor
from disputes import services
from disputes.api.keys import channel_key_create
from disputes.models import Dispute, Party
from disputes.rules.enums import Channel, PartyRole
from grids.models import Role
from petitions.api.serializers import PetitionerInputSerializer

CASES = "/api/v1/public/cases/"
TRACK = "/api/v1/public/track/"
ASCII = "13900139000"
FULL_WIDTH = "１３９ ００１３ ９０００"


@pytest.fixture(autouse=True)
def clean_cache(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    cache.clear()
    yield
    cache.clear()


def submit(tree, category, phone: str) -> Dispute:
    response = APIClient().post(
        CASES,
        {
            "category": category.code,
            "description": "楼上邻居装修噪音扰民，晚上十点后仍在施工。",
            "grid": tree.grid_a.code,
            "applicant": {"name": "李四", "phone": phone},
            "other_parties": [{"role": "respondent", "name": "王五", "phone": "１３７００１３７０００"}],
            "consent": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return Dispute.objects.get(tracking_number=response.json()["tracking_number"])


def track(number: str, phone: str) -> int:
    return APIClient().post(TRACK, {"tracking_number": number, "phone": phone}, format="json").status_code


def test_a_case_submitted_in_full_width_digits_is_stored_in_ascii_and_tracked_with_ascii(tree, category):
    case = submit(tree, category, FULL_WIDTH)
    assert sorted(case.parties.values_list("phone", flat=True)) == ["13700137000", ASCII]
    assert track(case.tracking_number, ASCII) == 200
    assert track(case.tracking_number, FULL_WIDTH) == 200
    assert track(case.tracking_number, "13900139001") == 404


def test_a_case_submitted_in_ascii_is_tracked_with_full_width_digits_on_the_page_too(tree, category):
    case = submit(tree, category, ASCII)
    assert track(case.tracking_number, "１３９００１３９０００") == 200
    page = Client().post("/track/", {"tracking_number": case.tracking_number, "phone": FULL_WIDTH})
    assert page.status_code == 302  # found: the tracking page shows the case


def test_open311_stores_full_width_digits_in_ascii(tree, category):
    response = Client().post(
        "/open311/v2/requests.json",
        {
            "service_code": category.code,
            "description": "隔壁饭店油烟扰民。",
            "attribute[grid]": tree.grid_a.code,
            "first_name": "四",
            "last_name": "李",
            "phone": FULL_WIDTH,
        },
    )
    assert response.status_code == 201, response.content
    assert Party.objects.get(role=PartyRole.APPLICANT).phone == ASCII


def test_a_party_added_by_staff_is_stored_in_ascii(tree, category, make_staff):
    case = submit(tree, category, ASCII)
    dispatcher = Actor.for_user(make_staff(Role.DISPATCHER, area=tree.town_a))
    party = services.dispute_add_party(
        dispute=case,
        actor=dispatcher,
        party={"role": PartyRole.THIRD_PARTY, "name": "赵六", "phone": "１５８００１５８０００"},
    )
    party.refresh_from_db()
    assert party.phone == "15800158000"


def test_a_petitioner_phone_is_stored_in_ascii():
    serializer = PetitionerInputSerializer(data={"name": "李四", "phone": FULL_WIDTH})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["phone"] == ASCII


def test_a_tracking_number_typed_in_full_width_finds_the_case(tree, category):
    case = submit(tree, category, ASCII)
    full_width = case.tracking_number_display.translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    )
    assert full_width != case.tracking_number_display
    assert track(full_width, FULL_WIDTH) == 200


def test_a_channel_record_with_full_width_digits_is_stored_in_ascii(tree, category):
    _key, raw = channel_key_create(name="西湖区110指挥中心", channel=Channel.POLICE_110)
    response = APIClient(headers={"authorization": f"Api-Key {raw}"}).post(
        "/api/v1/channels/cases/",
        {
            "category": category.code,
            "description": "报警人称邻居装修噪音扰民，属非警务警情，转综治中心处理。",
            "grid": tree.grid_a.code,
            "applicant": {"name": "李四", "phone": FULL_WIDTH},
            "other_parties": [{"role": "respondent", "name": "王五"}],
            "source_id": "JJ20261123000123",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    case = Dispute.objects.get(tracking_number=response.json()["tracking_number"])
    assert case.parties.get(role=PartyRole.APPLICANT).phone == ASCII
    assert track(case.tracking_number, ASCII) == 200


def test_numbers_stored_before_the_fix_are_folded_by_the_upgrade_command(tree, category):
    case = submit(tree, category, ASCII)
    applicant = case.parties.get(role=PartyRole.APPLICANT)
    # As the old code stored them: the digits as typed.
    Party.objects.filter(pk=applicant.pk).update(
        phone="１３９００１３９０００", id_number="３６０１０３１９９００１０１１２３Ｘ"
    )
    assert track(case.tracking_number, ASCII) == 404
    out = io.StringIO()
    call_command("normalise_phone_numbers", stdout=out)
    applicant.refresh_from_db()
    assert (applicant.phone, applicant.id_number) == (ASCII, "36010319900101123X")
    assert "disputes.Party: 1 row(s) folded" in out.getvalue() and ASCII not in out.getvalue()
    assert track(case.tracking_number, ASCII) == 200
    call_command("normalise_phone_numbers", stdout=io.StringIO())  # again: nothing left to fold
    assert Party.objects.filter(phone=ASCII).count() == 1
