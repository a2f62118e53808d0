"""Two-factor sign-in (core/two_factor.py): enrolment, verification, throttling and the refusal everywhere else.

The back-office routes are taken from the authorisation matrix (tests/core/test_authorization_matrix.py),
which is itself generated from the URL configuration: every route whose anonymous cell is a refusal is
a back-office route, so a new one is covered here as soon as it has its line there.
"""

from __future__ import annotations

import json
import re
from base64 import b32encode
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import two_factor
from grids.models import Role
from tests.core import test_authorization_matrix as matrix
from tests.core.test_authorization_matrix import ADMIN_KEY, DECISIONS, PATTERNS, SUPERUSER, kwargs_for, status_class

world = matrix.world  # the matrix's fixture: a case, staff of every role and a superuser

REFUSED_ANONYMOUS = {"302L", "403", "401"}
BACK_OFFICE = [(route, name) for route, name in PATTERNS if DECISIONS[route].cells.split()[0] in REFUSED_ANONYMOUS]
# Signed-in, unverified: the enrolment and verification pages themselves answer (they are the way out).
TWO_FACTOR_ROUTES = {"accounts/two-factor/", "accounts/two-factor/verify/"}


@pytest.fixture
def two_factor_on(settings):
    settings.TWO_FACTOR_REQUIRED = True
    settings.TWO_FACTOR_ROLES = ["supervisor", "admin"]
    return settings


@pytest.fixture
def supervisor(staff_a):
    return staff_a[Role.SUPERVISOR]


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def confirmed_device_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="default", confirmed=True)


def mark_verified(client, device: TOTPDevice) -> None:
    """What django_otp.login leaves in the session, without spending a time step's code."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def location_path(response) -> str:
    return urlsplit(response["Location"]).path


# --- Enrolment ------------------------------------------------------------------------------------------


def test_a_supervisor_without_a_device_is_sent_to_enrolment(client, two_factor_on, supervisor):
    client.force_login(supervisor)

    response = client.get(reverse("disputes:queue") + "?scope=mine")

    assert response.status_code == 302
    assert location_path(response) == reverse("two_factor_setup")
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [reverse("disputes:queue") + "?scope=mine"]


def test_enrolment_shows_the_otpauth_qr_code_and_a_first_code_confirms_it(client, two_factor_on, supervisor):
    client.force_login(supervisor)

    page = client.get(reverse("two_factor_setup"))

    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=supervisor)
    assert not device.confirmed
    html = page.content.decode()
    assert 'class="site-header"' in html  # the site's own design (base.html)
    # Before the code is checked no staff page opens: the menu offers signing out only.
    nav = html.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{reverse("disputes:queue")}"' not in nav and f'href="{reverse("disputes:dashboard")}"' not in nav
    assert f'action="{reverse("logout")}"' in nav
    assert two_factor.qr_svg_data_uri(device) in html  # the QR code of the otpauth:// address
    assert device.config_url.startswith("otpauth://totp/")
    assert "secret=" + b32encode(device.bin_key).decode() in device.config_url
    shown = re.search(r"<code data-secret>([A-Z2-7 ]+)</code>", html).group(1)
    assert shown.replace(" ", "") == b32encode(device.bin_key).decode().rstrip("=")
    # Reloading keeps the same key: the code scanned a minute ago still works.
    client.get(reverse("two_factor_setup"))
    assert TOTPDevice.objects.filter(user=supervisor).count() == 1

    response = client.post(reverse("two_factor_setup"), {"token": code_for(device), "next": "/work/"})

    assert response.status_code == 302 and response["Location"] == "/work/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("disputes:queue")).status_code == 200


def test_a_wrong_code_does_not_confirm_the_device(client, two_factor_on, supervisor):
    client.force_login(supervisor)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=supervisor)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("two_factor_setup"), {"token": wrong})

    assert response.status_code == 400
    assert gettext("That code is not correct. Enter the code your app shows now.") in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert location_path(client.get(reverse("disputes:queue"))) == reverse("two_factor_setup")


def test_with_a_device_the_enrolment_page_offers_no_second_one(client, two_factor_on, supervisor):
    """Only the password is needed to reach this page: it must never hand out a new key once one is set up."""
    device = confirmed_device_for(supervisor)
    client.force_login(supervisor)

    unverified = client.get(reverse("two_factor_setup"))
    assert unverified.status_code == 302 and location_path(unverified) == reverse("two_factor_verify")

    mark_verified(client, device)
    verified = client.get(reverse("two_factor_setup"))
    assert verified.status_code == 200
    assert "data-secret" not in verified.content.decode() and "data:image/svg" not in verified.content.decode()
    assert TOTPDevice.objects.filter(user=supervisor).count() == 1


# --- Verification ---------------------------------------------------------------------------------------


def test_a_correct_code_opens_the_back_office_for_this_session(client, two_factor_on, supervisor):
    device = confirmed_device_for(supervisor)
    client.force_login(supervisor)
    first = client.get(reverse("disputes:dashboard"))
    assert first.status_code == 302 and location_path(first) == reverse("two_factor_verify")
    key_before = client.session.session_key

    response = client.post(first["Location"], {"token": code_for(device), "next": reverse("disputes:dashboard")})

    assert response.status_code == 302 and response["Location"] == reverse("disputes:dashboard")
    assert client.session.session_key != key_before  # a new session key once rights rise
    assert client.get(reverse("disputes:dashboard")).status_code == 200
    assert client.get(reverse("api:queue")).status_code == 200


def test_a_wrong_code_is_refused_and_further_tries_are_throttled(client, two_factor_on, supervisor):
    device = confirmed_device_for(supervisor)
    client.force_login(supervisor)
    with time_machine.travel("2026-11-29 12:00:00 +0000", tick=False):
        right = code_for(device)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"

        refused = client.post(reverse("two_factor_verify"), {"token": wrong})
        assert refused.status_code == 400
        device.refresh_from_db()
        assert device.throttling_failure_count == 1

        # Even the right code waits out the throttle (django-otp's: 1 s after one failure, then 2, 4 …).
        throttled = client.post(reverse("two_factor_verify"), {"token": right})
        assert throttled.status_code == 400
        assert "1" in throttled.content.decode()
        assert client.get(reverse("disputes:queue")).status_code == 302

    with time_machine.travel("2026-11-29 12:00:02 +0000", tick=False):
        accepted = client.post(reverse("two_factor_verify"), {"token": code_for(device)})
    assert accepted.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_is_not_accepted_twice(client, two_factor_on, supervisor):
    device = confirmed_device_for(supervisor)
    with time_machine.travel("2026-11-29 12:00:00 +0000", tick=False):
        code = code_for(device)
        client.force_login(supervisor)
        assert client.post(reverse("two_factor_verify"), {"token": code}).status_code == 302
        client.logout()
        client.force_login(supervisor)
        assert client.post(reverse("two_factor_verify"), {"token": code}).status_code == 400


def test_the_next_address_never_leaves_the_site(client, two_factor_on, supervisor):
    device = confirmed_device_for(supervisor)
    client.force_login(supervisor)

    response = client.post(reverse("two_factor_verify"), {"token": code_for(device), "next": "https://evil.example/"})

    assert response["Location"] == reverse("disputes:queue")


# --- The refusal on every back-office route --------------------------------------------------------------


def _request(client, world, route: str, name: str):
    decision = DECISIONS[route]
    url = reverse("admin:index") if route == ADMIN_KEY else reverse(name, kwargs=kwargs_for(name, route, world, "in"))
    if decision.method == "POST":
        if route.startswith("api/"):
            return client.post(url, data=json.dumps(decision.extra), content_type="application/json")
        return client.post(url, decision.extra)
    return client.get(url, decision.extra)  # a GET's extra is its query (a drill-down's measure)


def test_the_route_list_is_the_url_configuration():
    routes = {route for route, _name in BACK_OFFICE}
    assert {"work/", "work/dashboard/", "places/", "petitions/", "api/v1/queue/", ADMIN_KEY} <= routes
    assert "submit/" not in routes and "api/v1/public/cases/" not in routes
    assert len(BACK_OFFICE) > 40


@pytest.mark.parametrize(("route", "name"), BACK_OFFICE, ids=[r for r, _n in BACK_OFFICE])
def test_every_back_office_route_refuses_an_unverified_supervisor_or_admin(client, world, two_factor_on, route, name):
    """Unverified: a redirect to enrolment (no device) or verification, or 403 from the API. Verified: the matrix."""
    device = confirmed_device_for(world.users[Role.ADMIN.value])
    wrong = []
    for role in (Role.SUPERVISOR.value, Role.ADMIN.value, SUPERUSER):
        client.logout()
        client.force_login(world.users[role])
        response = _request(client, world, route, name)
        if route in TWO_FACTOR_ROUTES:
            continue
        if route.startswith("api/"):
            ok = response.status_code == 403 and response.json()["error"]["code"] == "two_factor_required"
        else:
            expected = reverse("two_factor_verify" if role == Role.ADMIN.value else "two_factor_setup")
            ok = response.status_code == 302 and location_path(response) == expected
        if not ok:
            wrong.append(f"{role}: {response.status_code} {response.get('Location', '')}")
    # Once verified, the same user gets exactly what the authorisation matrix says.
    client.logout()
    client.force_login(world.users[Role.ADMIN.value])
    mark_verified(client, device)
    want = DECISIONS[route].expected()[Role.ADMIN.value][0]
    got = status_class(_request(client, world, route, name))
    if route not in TWO_FACTOR_ROUTES and got != want:
        wrong.append(f"verified admin: expected {want}, got {got}")
    assert not wrong, f"{route}: " + "; ".join(wrong)


def test_the_pages_left_open_hold_nothing_of_the_back_office():
    """Every URL name the middleware lets through is open to anonymous visitors in the matrix."""
    by_name = {name: route for route, name in PATTERNS}
    for name in two_factor.OPEN_URL_NAMES:
        route = by_name[name]
        if route in TWO_FACTOR_ROUTES or name == "logout":
            continue
        assert DECISIONS[route].cells.split()[0] not in REFUSED_ANONYMOUS, name


def test_an_unverified_supervisor_can_still_sign_out_and_use_the_public_pages(client, two_factor_on, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("disputes:submit")).status_code == 200
    assert client.get(reverse("disputes:track")).status_code == 200
    assert client.post(reverse("logout")).status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_api_refusal_speaks_the_users_language(client, two_factor_on, supervisor, language):
    confirmed_device_for(supervisor)
    client.force_login(supervisor)

    response = client.get(reverse("api:queue"), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 403
    with translation.override(language):
        expected = gettext("Enter the code from your authenticator app before using the staff API.")
    assert response.json()["error"]["message"] == expected


# --- Who must use it --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.CALLBACK_CALLER, Role.SUPERVISOR, Role.ADMIN])
def test_required_of_every_role_that_reveals_beyond_its_own_cases(client, two_factor_on, staff_a, role):
    """They work every case (or every reported case) of their area, so they see any resident's data there."""
    two_factor_on.TWO_FACTOR_ROLES = []  # the setting cannot take these roles out
    client.force_login(staff_a[role])
    response = client.get(reverse("disputes:queue"))
    assert response.status_code == 302 and location_path(response) == reverse("two_factor_setup")
    assert client.get(reverse("api:queue")).json()["error"]["code"] == "two_factor_required"


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF])
def test_not_required_of_the_other_roles(client, two_factor_on, staff_a, role):
    client.force_login(staff_a[role])
    assert client.get(reverse("disputes:queue")).status_code == 200
    assert client.get(reverse("api:queue")).status_code == 200
    assert not TOTPDevice.objects.exists()


def test_not_required_when_the_setting_is_off(client, settings, supervisor, django_user_model):
    settings.TWO_FACTOR_REQUIRED = False
    client.force_login(supervisor)
    assert client.get(reverse("disputes:dashboard")).status_code == 200
    assert client.get(reverse("api:queue")).status_code == 200
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1"))
    assert client.get(reverse("admin:index")).status_code == 200


def test_required_of_the_roles_the_setting_names(client, two_factor_on, staff_a):
    two_factor_on.TWO_FACTOR_ROLES = ["mediator"]
    client.force_login(staff_a[Role.MEDIATOR])
    assert client.get(reverse("disputes:queue")).status_code == 302
    client.force_login(staff_a[Role.DEPARTMENT_STAFF])
    assert client.get(reverse("disputes:queue")).status_code == 200


def test_production_settings_require_it(settings):
    """On without DEBUG: the setting's default, read the way config/settings.py reads it."""
    import subprocess
    import sys

    out = subprocess.run(  # noqa: S603 (a fixed command)
        [sys.executable, "-c", "from django.conf import settings; print(settings.TWO_FACTOR_REQUIRED)"],
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": "x" * 50,
            "ENV_FILE": "",
            "PATH": "/usr/bin:/bin",
            "VAR_DIR": str(settings.VAR_DIR),
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "True"


# --- Reset, and django-axes -------------------------------------------------------------------------------


def test_an_admin_reset_removes_the_device_and_ends_its_verified_sessions(client, two_factor_on, supervisor):
    device = confirmed_device_for(supervisor)
    client.force_login(supervisor)
    mark_verified(client, device)
    assert client.get(reverse("disputes:dashboard")).status_code == 200

    admin_client = client.__class__()
    root = type(supervisor).objects.create_superuser("root", "root@example.org", "a-long-password-1")
    admin_client.force_login(root)
    mark_verified(admin_client, confirmed_device_for(root))
    changelist = reverse("admin:otp_totp_totpdevice_changelist")
    assert admin_client.get(changelist).status_code == 200
    response = admin_client.post(changelist, {"action": "reset_devices", "_selected_action": [device.pk]})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    again = client.get(reverse("disputes:dashboard"))
    assert again.status_code == 302 and location_path(again) == reverse("two_factor_setup")


def test_the_device_admin_never_shows_the_secret_key(client, two_factor_on, supervisor, django_user_model):
    device = confirmed_device_for(supervisor)
    root = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    client.force_login(root)
    mark_verified(client, confirmed_device_for(root))

    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))

    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403


def test_the_reset_command(supervisor):
    confirmed_device_for(supervisor)
    call_command("reset_two_factor", supervisor.username)
    assert not TOTPDevice.objects.filter(user=supervisor).exists()


def test_django_axes_still_locks_out_and_a_good_password_leads_to_the_code(client, two_factor_on, supervisor):
    supervisor.set_password("the-right-password-1")
    supervisor.save()
    confirmed_device_for(supervisor)
    login = reverse("login")
    for _ in range(4):
        assert client.post(login, {"username": supervisor.username, "password": "wrong-password-1"}).status_code == 200
    assert client.post(login, {"username": supervisor.username, "password": "wrong-password-1"}).status_code == 429
    locked = client.post(login, {"username": supervisor.username, "password": "the-right-password-1"})
    assert locked.status_code == 429

    other = client.__class__(REMOTE_ADDR="10.9.9.9")
    signed_in = other.post(login, {"username": supervisor.username, "password": "the-right-password-1"}, follow=True)
    assert signed_in.redirect_chain[-1][0].startswith(reverse("two_factor_verify"))
    assert signed_in.status_code == 200
