"""The web form, the public API and Open311 count the same rate limits (core.throttling's table).

Switching doors must never buy a second allowance: N tries at one and M at
another count as N + M. And the counters in Redis hold no phone, address or
tracking number, in clear or as a plain hash.
"""

import datetime as dt
import hashlib
import os

import pytest
import time_machine
from django.core.cache import caches
from rest_framework.test import APIClient

from disputes.models import Dispute
from tests.disputes.views.conftest import APPLICANT_PHONE

SUBMIT_PAGE = "/submit/"
TRACK_PAGE = "/track/"
SUBMIT_API = "/api/v1/public/cases/"
TRACK_API = "/api/v1/public/track/"
OPEN311 = "/open311/v2/requests.json"
ADDRESS = "198.51.100.23"


@pytest.fixture
def api() -> APIClient:
    return APIClient(REMOTE_ADDR=ADDRESS, headers={"accept-language": "en"})


@pytest.fixture
def payload(tree, category):
    def make(phone: str = APPLICANT_PHONE, description: str = "楼上邻居装修噪音扰民。") -> dict:
        return {
            "category": category.code,
            "description": description,
            "grid": tree.grid_a.code,
            "applicant": {"name": "李四", "phone": phone},
            "other_parties": [{"role": "respondent", "name": "王五"}],
            "consent": True,
        }

    return make


@pytest.fixture
def open311_form(tree, category):
    def make(phone: str = APPLICANT_PHONE) -> dict:
        return {
            "service_code": category.code,
            "description": "隔壁饭店油烟扰民。",
            "attribute[grid]": tree.grid_a.code,
            "phone": phone,
        }

    return make


def page_submit(client, form_data, **overrides):
    return client.post(SUBMIT_PAGE, form_data(**overrides), REMOTE_ADDR=ADDRESS)


def page_track(client, number: str, phone: str = "13800138000"):
    return client.post(TRACK_PAGE, {"tracking_number": number, "phone": phone}, REMOTE_ADDR=ADDRESS)


def api_track(api, number: str, phone: str = "13800138000"):
    return api.post(TRACK_API, {"tracking_number": number, "phone": phone}, format="json")


# --- Submissions ----------------------------------------------------------------------------------------


def test_submissions_with_one_phone_are_counted_together_at_every_door(
    client, api, form_data, payload, open311_form, settings
):
    settings.PUBLIC_SUBMIT_PER_PHONE_DAY = 3
    # Accepted at each door.
    assert page_submit(client, form_data).status_code == 302
    assert api.post(SUBMIT_API, payload(description="又一次。"), format="json").status_code in (200, 201)
    assert client.post(OPEN311, open311_form(), REMOTE_ADDR=ADDRESS).status_code in (200, 201)
    stored = Dispute.objects.count()
    # The allowance is used up, whichever door the fourth try comes through.
    page = client.post("/en" + SUBMIT_PAGE, form_data(description="第四次。"), REMOTE_ADDR=ADDRESS)
    assert page.status_code == 429
    assert "Too many submissions with this phone number today." in page.content.decode()
    refused = api.post(SUBMIT_API, payload(description="第五次。"), format="json")
    assert refused.status_code == 429
    assert refused.json()["error"]["message"].startswith("Too many submissions with this phone number today.")
    assert client.post(OPEN311, open311_form(), REMOTE_ADDR=ADDRESS).status_code == 429
    assert Dispute.objects.count() == stored


def test_submissions_from_one_address_are_counted_together(client, api, form_data, payload, settings):
    settings.PUBLIC_SUBMIT_PER_IP_HOUR = 2
    assert page_submit(client, form_data, **{"applicant-phone": "13900139001"}).status_code == 302
    assert api.post(SUBMIT_API, payload(phone="13900139002"), format="json").status_code == 201
    refused = page_submit(client, form_data, **{"applicant-phone": "13900139003"})
    assert refused.status_code == 429
    assert api.post(SUBMIT_API, payload(phone="13900139004"), format="json").status_code == 429
    assert Dispute.objects.count() == 2


def test_the_forms_phone_limit_is_the_days_not_the_hours(client, form_data, settings):
    """The form used to count per hour what the API counted per day."""
    settings.PUBLIC_SUBMIT_PER_PHONE_DAY = 1
    with time_machine.travel(dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC), tick=False) as traveller:
        assert page_submit(client, form_data).status_code == 302
        traveller.shift(dt.timedelta(hours=3))
        assert page_submit(client, form_data, description="三小时后又一次。").status_code == 429
        traveller.shift(dt.timedelta(hours=21))  # the next day (UTC)
        assert page_submit(client, form_data, description="第二天。").status_code == 302


# --- Tracking ------------------------------------------------------------------------------------------


def test_failed_look_ups_at_the_page_and_the_api_are_counted_together(db, client, api, settings):
    settings.PUBLIC_TRACK_FAILURES_PER_IP_HOUR = 4
    assert [page_track(client, f"ABCDEFGHJK{i}N").status_code for i in (2, 3)] == [400, 400]
    assert [api_track(api, f"ABCDEFGHJK{i}N").status_code for i in (4, 5)] == [404, 404]
    blocked = client.post(
        "/en" + TRACK_PAGE, {"tracking_number": "ABCDEFGHJK6N", "phone": "13800138000"}, REMOTE_ADDR=ADDRESS
    )
    assert blocked.status_code == 429
    assert "Too many unsuccessful look-ups from your network." in blocked.content.decode()
    assert api_track(api, "ABCDEFGHJK7N").status_code == 429


def test_failed_look_ups_of_one_number_are_counted_together(db, client, settings):
    settings.PUBLIC_TRACK_FAILURES_PER_NUMBER_HOUR = 2
    page = client.post(TRACK_PAGE, {"tracking_number": "ABCDEFGHJK2N", "phone": "13800138000"}, REMOTE_ADDR="10.1.0.1")
    other_api = APIClient(REMOTE_ADDR="10.1.0.2")
    api = other_api.post(TRACK_API, {"tracking_number": "ABCDEFGHJK2N", "phone": "13800138001"}, format="json")
    assert (page.status_code, api.status_code) == (400, 404)
    third = APIClient(REMOTE_ADDR="10.1.0.3").post(
        TRACK_API, {"tracking_number": "ABCDEFGHJK2N", "phone": "13800138002"}, format="json"
    )
    assert third.status_code == 429


def test_look_ups_at_the_page_count_against_the_per_address_limit(db, client, api, settings):
    settings.PUBLIC_TRACK_PER_IP_HOUR = 2
    assert page_track(client, "ABCDEFGHJK2N").status_code == 400
    assert api_track(api, "ABCDEFGHJK3N").status_code == 404
    assert page_track(client, "ABCDEFGHJK4N").status_code == 429
    assert api_track(api, "ABCDEFGHJK5N").status_code == 429


# --- What Redis holds ----------------------------------------------------------------------------------


@pytest.mark.redis
def test_redis_keys_hold_no_phone_address_or_tracking_number(
    client, api, form_data, payload, open311_form, tree, category
):
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    assert isinstance(backend, RedisCache), os.environ.get("REDIS_URL")
    assert page_submit(client, form_data).status_code == 302
    assert api.post(SUBMIT_API, payload(phone="13900139077"), format="json").status_code == 201
    assert client.post(OPEN311, open311_form(phone="13900139078"), REMOTE_ADDR=ADDRESS).status_code == 201
    assert page_track(client, "ABCDEFGHJK2N", phone="13900139079").status_code == 400
    assert api_track(api, "ABCDEFGHJK3N").status_code == 404

    redis = backend._cache.get_client(write=False)
    keys = [key.decode() for key in redis.keys("*")]
    limit_keys = [key for key in keys if ":rl:" in key]
    # Submissions per address and phone, look-ups per address, failures per address and number.
    assert {key.split(":")[3] for key in limit_keys} >= {
        "public-submit-ip",
        "public-submit-phone",
        "public-track-ip",
        "public-track-fail-ip",
        "public-track-fail-number",
    }, limit_keys
    secrets = [APPLICANT_PHONE, "13900139077", "13900139078", ADDRESS, "ABCDEFGHJK2N", "ABCDEFGHJK3N"]
    every_key = " ".join(keys)
    for value in secrets:
        assert value not in every_key
        assert hashlib.sha256(value.encode()).hexdigest()[:32] not in every_key, "a plain hash is reversible"
        assert hashlib.md5(value.encode()).hexdigest() not in every_key  # noqa: S324 - looked for, not used
