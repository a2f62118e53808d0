"""Security headers: CSP with no inline script, frame denial, nosniff, referrer policy, cookies.

The headers are asserted on a public page, a staff page and an API response, so
a view that builds its own response cannot slip out of them unnoticed.
"""

import os
import re
import subprocess
import sys
from urllib.parse import urljoin

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from grids.models import Role

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response) -> None:
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no nonce, no CDN
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def settings_in_a_fresh_process(*names: str, **env: str) -> list[str]:
    """The named settings as loaded by a new interpreter with no .env file and the given environment."""
    child_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    child_env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "ENV_FILE": "", **env})
    code = "import django; django.setup(); from django.conf import settings as s; " + "; ".join(
        f"print(s.{name})" for name in names
    )
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.split()


def executable_inline_scripts(html: str) -> list[str]:
    """Script elements with a body and no src that a browser would run (JSON data blocks are inert)."""
    found = []
    for attrs, body in SCRIPT_TAG.findall(html):
        if "src=" in attrs or not body.strip():
            continue
        if re.search(r"type=[\"']application/(ld\+)?json", attrs):
            continue
        found.append(body.strip()[:80])
    return found


@pytest.mark.django_db
def test_public_page_carries_the_headers_and_no_inline_script(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert_security_headers(response)
    assert executable_inline_scripts(response.content.decode()) == []
    assert ' style="' not in response.content.decode()


@pytest.mark.django_db
def test_submit_form_has_no_inline_script_or_style(client, tree, category):
    response = client.get(reverse("disputes:submit"))

    assert response.status_code == 200
    assert_security_headers(response)
    html = response.content.decode()
    assert executable_inline_scripts(html) == []
    assert ' style="' not in html


def test_staff_page_carries_the_headers(client, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])

    response = client.get(reverse("disputes:queue"))

    assert response.status_code == 200
    assert_security_headers(response)
    assert executable_inline_scripts(response.content.decode()) == []


def test_api_response_carries_the_headers(client, staff_a):
    client.force_login(staff_a[Role.MEDIATOR])

    response = client.get(reverse("api:case-list"))

    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_anonymous_api_refusal_carries_the_headers(client):
    response = client.get(reverse("api:case-list"))

    assert response.status_code in (401, 403)
    assert_security_headers(response)


@pytest.mark.django_db
def test_swagger_ui_loads_only_same_origin_scripts(client):
    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    assert_security_headers(response)
    html = response.content.decode()
    assert executable_inline_scripts(html) == []
    assert "<style" not in html
    assert "css/swagger-page.css" in html
    sources = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", html)
    assert len(sources) == 3  # bundle, standalone preset, init script
    for src in sources:
        assert not src.startswith(("http:", "https:", "//")), src
    init = next(s for s in sources if "script" in s.split("?", 1)[-1])
    script = client.get(urljoin(response.request["PATH_INFO"], init.replace("&amp;", "&")))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_admin_changelist_works_without_inline_script(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    client.force_login(admin)

    response = client.get(reverse("admin:auth_user_changelist"))

    assert response.status_code == 200
    assert_security_headers(response)
    assert executable_inline_scripts(response.content.decode()) == []


@pytest.mark.django_db
@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True, SECURE_HSTS_SECONDS=31536000)
def test_cookies_are_secure_and_http_only_and_hsts_is_sent_over_https(client, staff_a):
    user = staff_a[Role.MEDIATOR]

    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery"}, secure=True
    )

    assert response.status_code == 302  # signed in
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    csrf = response.cookies["csrftoken"]  # rotated at login
    assert csrf["secure"] and csrf["httponly"]


def test_production_settings_turn_on_https_only_cookies_and_hsts():
    values = settings_in_a_fresh_process(
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        DEBUG="0",
        SECRET_KEY="x" * 50,
    )

    assert values == ["True", "True", "True", "True", "31536000", "True"]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    """`manage.py check --deploy` with DEBUG off, a real key and a host: no warning at all."""
    child_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    child_env.update(
        {
            "ENV_FILE": "",
            "DEBUG": "0",
            "SECRET_KEY": "k3Vq-" + "x7Pz9" * 10,  # 55 characters, 8+ distinct: what check --deploy wants
            "ALLOWED_HOSTS": "portal.example.org",
            "VAR_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_no_template_has_inline_script_style_or_event_handlers():
    """The CSP would block them in the browser; this names the template instead of a silent breakage."""
    offenders = []
    for path in sorted((settings.BASE_DIR / "templates").rglob("*.html")):
        text = path.read_text()
        for attrs, body in SCRIPT_TAG.findall(text):
            if "src=" not in attrs and body.strip() and not re.search(r"type=[\"']application/(ld\+)?json", attrs):
                offenders.append(f"{path.name}: inline <script>")
        if re.search(r"<style\b", text, re.I):
            offenders.append(f"{path.name}: <style> block")
        if re.search(r"\sstyle=[\"']", text, re.I):
            offenders.append(f"{path.name}: style attribute")
        if re.search(r"\son[a-z]+=[\"']", text, re.I):
            offenders.append(f"{path.name}: inline event handler")
    assert offenders == []
