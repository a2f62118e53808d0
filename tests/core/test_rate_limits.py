"""One table of rate limits (core.throttling), hashed cache keys, and whose X-Forwarded-For is believed.

The doors sharing the counters (form, public API, Open311) are tested in
tests/disputes/views/test_rate_limits.py; the per-key limit of the channel API
in tests/disputes/api/test_channels.py.
"""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from core import ratelimit, throttling
from grids.models import Role

# The configuration table of the operations runbook lists every setting.
CONFIGURATION_DOC = Path(django_settings.BASE_DIR) / "docs" / "operations.md"
TRACK_API = "/api/v1/public/track/"


# --- The table ---------------------------------------------------------------------------------------


def test_every_limit_is_in_the_table_with_its_setting_window_and_documentation():
    defined = [value for value in vars(throttling).values() if isinstance(value, throttling.Limit)]
    assert set(defined) == set(throttling.LIMITS), "a Limit defined outside LIMITS"
    assert len({limit.scope for limit in throttling.LIMITS}) == len(throttling.LIMITS), "two limits share a scope"
    configuration = CONFIGURATION_DOC.read_text()
    doc = throttling.__doc__
    for limit in throttling.LIMITS:
        name = next(key for key, value in vars(throttling).items() if value is limit)
        assert isinstance(getattr(django_settings, limit.setting), int), limit.setting
        row = next((line for line in doc.splitlines() if line.startswith(f"| {name} |")), None)
        assert row is not None, f"{name} has no row in core.throttling's table"
        window = {throttling.HOUR: "1 hour, fixed", throttling.DAY: "1 day, fixed"}[limit.window]
        assert limit.setting in row and window in row, row
        assert f"`{limit.setting}`" in configuration, f"{limit.setting} is not in docs/operations.md"


def test_the_channel_key_limit_is_in_the_table():
    assert throttling.CHANNEL_SUBMIT_PER_KEY in throttling.LIMITS
    assert throttling.CHANNEL_SUBMIT_PER_KEY.allowed == django_settings.CHANNEL_SUBMIT_PER_KEY_HOUR


# --- Cache keys ---------------------------------------------------------------------------------------


def test_cache_keys_hold_a_keyed_hash_of_the_identifier_never_the_identifier(settings):
    phone = "13900139000"
    key = ratelimit.counter_key("public-submit-phone", phone, 3600)
    assert phone not in key
    # Not a plain hash either: every mobile number can be hashed and looked up.
    assert hashlib.sha256(phone.encode()).hexdigest()[:32] not in key
    assert ratelimit.digest(phone) in key
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert ratelimit.counter_key("public-submit-phone", phone, 3600) != key


def test_a_count_is_read_back_by_the_same_identifier():
    limit = throttling.SUBMIT_PER_PHONE
    assert not throttling.is_exhausted(limit, "13900139000")
    for _ in range(limit.allowed):
        assert throttling.count(limit, "13900139000")
    assert throttling.is_exhausted(limit, "13900139000")
    assert not throttling.is_exhausted(limit, "13900139001")


# --- The client's address -----------------------------------------------------------------------------


def request_from(peer: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("proxies", "peer", "forwarded", "client"),
    [
        # No proxy configured (the default): the header is never believed.
        ([], "198.51.100.7", "203.0.113.1", "198.51.100.7"),
        ([], "198.51.100.7", None, "198.51.100.7"),
        # A peer that is not a trusted proxy: its header is its own invention.
        (["10.0.0.1"], "198.51.100.7", "203.0.113.1", "198.51.100.7"),
        # Behind nginx: the hop nginx wrote (the right-most), whatever the client put before it.
        (["10.0.0.1"], "10.0.0.1", "203.0.113.1", "203.0.113.1"),
        (["10.0.0.1"], "10.0.0.1", "1.2.3.4, 203.0.113.1", "203.0.113.1"),
        # Two proxies of ours (a network): the right-most address that is not one of them.
        (["10.0.0.0/24"], "10.0.0.1", "1.2.3.4, 203.0.113.1, 10.0.0.2", "203.0.113.1"),
        # Every hop trusted: the left-most.
        (["10.0.0.0/24"], "10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),
        # Not an address where the client should be: the last hop a proxy of ours vouched for.
        (["10.0.0.0/24"], "10.0.0.1", "203.0.113.1, garbage, 10.0.0.2", "10.0.0.2"),
        # A trusted proxy that sent no header: itself.
        (["10.0.0.1"], "10.0.0.1", None, "10.0.0.1"),
        # IPv6, and IPv4 written as IPv6.
        (["2001:db8::/32"], "2001:db8::1", "2001:db8:ffff::9, 2400:cb00::1", "2400:cb00::1"),
        (["127.0.0.1"], "::ffff:127.0.0.1", "203.0.113.1", "203.0.113.1"),
    ],
)
def test_client_ip(settings, proxies, peer, forwarded, client):
    settings.TRUSTED_PROXIES = proxies
    assert ratelimit.client_ip(request_from(peer, forwarded)) == client


def test_a_malformed_trusted_proxy_is_a_configuration_error(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1", "not-an-address"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        ratelimit.client_ip(request_from("10.0.0.1", "203.0.113.1"))


def test_django_axes_uses_the_same_address():
    from axes.helpers import get_client_ip_address

    assert django_settings.AXES_CLIENT_IP_CALLABLE == "core.ratelimit.client_ip"
    assert get_client_ip_address(request_from("198.51.100.7", "203.0.113.1")) == "198.51.100.7"


def test_a_direct_client_rotating_x_forwarded_for_is_counted_by_its_real_address(db, settings):
    """Talking to gunicorn directly, a new X-Forwarded-For on every try does not buy new tries."""
    settings.PUBLIC_TRACK_FAILURES_PER_IP_HOUR = 3
    client = APIClient(REMOTE_ADDR="198.51.100.7", headers={"accept-language": "en"})
    statuses = [
        client.post(
            TRACK_API,
            {"tracking_number": f"ABCDEFGHJK{i + 2}N", "phone": "13900139000"},
            format="json",
            headers={"x-forwarded-for": f"203.0.113.{i}"},
        ).status_code
        for i in range(5)
    ]
    assert statuses == [404, 404, 404, 429, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(db, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    settings.PUBLIC_TRACK_FAILURES_PER_IP_HOUR = 2
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")

    def fail(client_address: str, *, spoofed: str = "") -> int:
        forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
        body = {"tracking_number": "ABCDEFGHJK2N", "phone": "13900139000"}
        return proxy.post(TRACK_API, body, format="json", headers={"x-forwarded-for": forwarded}).status_code

    assert [fail("203.0.113.1"), fail("203.0.113.1")] == [404, 404]
    # What the client put before nginx's hop changes nothing.
    assert fail("203.0.113.1", spoofed="192.0.2.99") == 429
    assert fail("203.0.113.2") == 404


def test_sign_in_lockout_holds_against_a_rotating_x_forwarded_for(client, staff_a):
    user = staff_a[Role.MEDIATOR]
    statuses = [
        client.post(
            reverse("login"),
            {"username": user.username, "password": "wrong-password"},
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(6)
    ]
    assert statuses == [200, 200, 200, 200, 429, 429]
    # The right password from the same machine, under yet another header, is refused too.
    locked = client.post(
        reverse("login"),
        {"username": user.username, "password": "correct-horse-battery"},
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="203.0.113.200",
    )
    assert locked.status_code == 429
