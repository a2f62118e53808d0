"""Staff accounts: login lockout (django-axes), password rules, sign-out after inactivity."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from core.security import LAST_ACTIVITY_KEY
from grids.models import Role

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def sign_in(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def mediator(staff_a):
    return staff_a[Role.MEDIATOR]


def test_five_wrong_passwords_lock_the_account_from_that_address(client, mediator, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = sign_in(client, mediator.username, "wrong-password")
        assert response.status_code == 200  # the form again, with an error

    fifth = sign_in(client, mediator.username, "wrong-password")
    assert fifth.status_code == 429
    # Now even the right password is refused from this address.
    locked = sign_in(client, mediator.username, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_and_address(client, mediator, make_staff):
    for _ in range(5):
        sign_in(client, mediator.username, "wrong-password")

    # Another address can still sign the same user in, and another user from the same address.
    assert sign_in(client, mediator.username, PASSWORD, ip="10.0.0.2").status_code == 302
    client.logout()
    colleague = make_staff(Role.DISPATCHER)
    assert sign_in(client, colleague.username, PASSWORD).status_code == 302


def test_lockout_ends_after_thirty_minutes(client, mediator):
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            sign_in(client, mediator.username, "wrong-password")
        traveller.shift(dt.timedelta(minutes=29))
        # Refused, and (axes' AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT) the 30 minutes start again.
        assert sign_in(client, mediator.username, PASSWORD).status_code == 429

        traveller.shift(dt.timedelta(minutes=29))
        assert sign_in(client, mediator.username, PASSWORD).status_code == 429

        traveller.shift(dt.timedelta(minutes=31))
        assert sign_in(client, mediator.username, PASSWORD).status_code == 302


def test_the_lockout_page_is_the_sites_own_in_the_visitors_language(client, mediator):
    for _ in range(5):
        response = client.post(
            "/en/accounts/login/", {"username": mediator.username, "password": "x"}, REMOTE_ADDR="10.0.0.1"
        )

    assert response.status_code == 429
    names = [t.name for t in response.templates]
    assert "registration/locked_out.html" in names
    assert names[names.index("registration/locked_out.html") + 1] == "base.html"
    html = response.content.decode()
    assert "Sign-in temporarily blocked" in html
    assert "blocked for 30 minutes" in html
    assert 'lang="en"' in html


def test_admin_login_is_locked_out_too(client, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    for _ in range(5):
        response = client.post(reverse("admin:login"), {"username": "root", "password": "nope"}, REMOTE_ADDR="10.9.9.9")

    assert response.status_code == 429


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short-1", False),  # under 10 characters
        ("1234567890123", False),  # numeric only
        ("password1234", False),  # common
        ("mediator-0-x", False),  # too close to the username
        ("quiet-river-lantern", True),
    ],
)
def test_password_rules(mediator, password, ok):
    if ok:
        validate_password(password, user=mediator)
    else:
        with pytest.raises(ValidationError):
            validate_password(password, user=mediator)


def test_staff_are_signed_out_after_thirty_idle_minutes(client, mediator, settings):
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(mediator)
        assert client.get(reverse("disputes:queue")).status_code == 200

        traveller.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("disputes:queue")).status_code == 200  # activity moves the limit

        traveller.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("disputes:queue")).status_code == 200

        traveller.shift(dt.timedelta(minutes=31))
        response = client.get("/en/work/")  # in English, so the notice below is English
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert "_auth_user_id" not in client.session

        login_page = client.get(response["Location"])
        assert "signed out after a period without activity" in login_page.content.decode()


def test_the_activity_stamp_is_written_at_most_once_a_minute(client, mediator):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(mediator)
        client.get(reverse("disputes:queue"))
        first = client.session[LAST_ACTIVITY_KEY]

        traveller.shift(dt.timedelta(seconds=59))
        response = client.get(reverse("disputes:queue"))
        assert not response.wsgi_request.session.modified  # no session write for this request
        assert client.session[LAST_ACTIVITY_KEY] == first

        traveller.shift(dt.timedelta(seconds=2))
        response = client.get(reverse("disputes:queue"))
        assert response.wsgi_request.session.modified
        assert client.session[LAST_ACTIVITY_KEY] == first + 61


def test_an_active_session_still_ends_eight_hours_after_sign_in(client, mediator, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(mediator)
        for _ in range(16):  # busy all day: a request every 29 minutes
            traveller.shift(dt.timedelta(minutes=29))
            assert client.get(reverse("disputes:queue")).status_code == 200
        traveller.shift(dt.timedelta(minutes=29))  # 8 h 13 min after sign-in

        response = client.get(reverse("disputes:queue"))

        assert response.status_code == 302
        assert "_auth_user_id" not in client.session
        # Told why in words that fit: not "without activity" after a busy day.
        text = client.get(response["Location"]).content.decode()
        with translation.override("zh-hans"):
            assert gettext("Your sign-in has reached its time limit. Please sign in again.") in text
            assert gettext("You were signed out after a period without activity. Please sign in again.") not in text


def test_api_requests_after_the_idle_limit_are_refused(client, mediator):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(mediator)
        assert client.get(reverse("api:case-list")).status_code == 200
        traveller.shift(dt.timedelta(minutes=31))
        assert client.get(reverse("api:case-list")).status_code in (401, 403)
