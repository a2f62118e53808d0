"""Error pages (400, 403, 404, 500, CSRF failure) with DEBUG off: the site's design, the person's language.

And the API keeps answering JSON errors, never these HTML pages.
"""

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from core.errors import server_error
from grids.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.error_urls")]

HEADER = 'class="site-header"'


def page(response, language: str, *texts: str) -> str:
    """The HTML of an error page in `language`, checked for the header and the translated texts."""
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert HEADER in html and 'class="error-page"' in html
    assert f'<html lang="{language}">' in html
    with translation.override(language):
        for text in texts:
            assert gettext(text) in html, text
    return html


@pytest.fixture
def production(settings):
    """DEBUG off, as in production: Django's technical pages would hide the real ones."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]


@pytest.mark.parametrize(("prefix", "language"), [("", "zh-hans"), ("/en", "en")])
def test_404_is_in_the_sites_design_and_language(client, production, prefix, language):
    response = client.get(f"{prefix}/no-such-page/")
    assert response.status_code == 404
    html = page(response, language, "Page not found", "Go to the home page")
    assert "/no-such-page/" not in html.split("<main", 1)[1], "the address is not echoed into the page"


@pytest.mark.parametrize(("prefix", "language"), [("", "zh-hans"), ("/en", "en")])
def test_403_is_in_the_sites_design_and_language(client, production, make_staff, prefix, language):
    client.force_login(make_staff(Role.MEDIATOR))
    response = client.get(f"{prefix}/work/dashboard/")
    assert response.status_code == 403
    page(response, language, "Access denied", "You do not have permission to open this page.")


def test_400_is_in_the_sites_design(client, production):
    response = client.get("/en/track/", HTTP_HOST="not-our-site.example")
    assert response.status_code == 400
    page(response, "en", "Bad request")


@pytest.mark.parametrize(("prefix", "language"), [("", "zh-hans"), ("/en", "en")])
def test_a_csrf_failure_explains_itself(production, prefix, language):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{prefix}/track/", {"tracking_number": "ABCD1234EFGH", "phone": "13900139000"})
    assert response.status_code == 403
    page(response, language, "The form has expired")


@pytest.mark.parametrize(("prefix", "language"), [("", "zh-hans"), ("/en", "en")])
def test_500_is_in_the_sites_design_and_language(production, prefix, language):
    client = Client(raise_request_exception=False)
    response = client.get(f"{prefix}/boom/")
    assert response.status_code == 500
    html = page(response, language, "Something went wrong")
    assert html.count('class="error-page"') == 1, "one language when the URL says which"
    assert "a bug in a view" not in html


def test_500_speaks_both_languages_chinese_first_when_the_url_does_not_say(rf, production):
    response = server_error(rf.get("/i18n/setlang/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert HEADER in html and '<html lang="zh-hans">' in html
    chinese, english = (f'<section class="error-page" lang="{code}">' for code in ("zh-hans", "en"))
    assert html.index(chinese) < html.index(english)


def test_500_needs_no_request(production):
    """Whatever failed (database, session) may fail again: the page renders from nothing."""
    response = server_error(None)
    assert response.status_code == 500 and HEADER in response.content.decode()


def test_the_api_answers_json_errors(production, client):
    response = client.get("/api/v1/no-such-endpoint/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}

    failing = Client(raise_request_exception=False)
    response = failing.get("/api/v1/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "a bug in a view" not in response.content.decode()

    # Errors raised inside the API still go through its own handler (core.api).
    response = client.get("/api/v1/cases/NOSUCHNUMBER/")
    assert response["Content-Type"].startswith("application/json")
    assert response.status_code in {401, 403}
    assert "error" in response.json()
