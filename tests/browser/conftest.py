"""What the browser tests share: Chromium, a phone and a desktop, signing in, the language, pictures.

The browser is Debian's Chromium (/usr/bin/chromium, or $CHROMIUM), driven by
Playwright; without it a browser test skips locally and fails under
REQUIRE_SERVICES=1 (CI).

Screenshots: `shoot(page, name)` saves a PNG of what is on the screen into
$SCREENSHOT_DIR when it is set (`make screenshots` points it at
docs/screenshots/), else into the test's temporary directory. Pictures of the
default language are named `<name>.png`, others `<name>-<language>.png`.

Accessibility: `check_accessible(page, label)` runs axe-core through
tests/browser/a11y.py when that module is present, and does nothing otherwise.

In parallel (pytest-xdist) each worker has its own Chromium, its own live server
(pytest-django's `live_server` takes a free port from the system unless
DJANGO_LIVE_TEST_SERVER_ADDRESS names one: leave it unset with -n) and its own
test database, VAR_DIR and broker (config/settings_test.py).
"""

import importlib.util
import os
import shutil
import struct
import zlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from tests.conftest import REQUIRE_SERVICES, require_service

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
PHONE_VIEWPORT = {"width": 375, "height": 740}
DESKTOP_VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 15_000
LANGUAGES = ("zh-hans", "en")
BROWSER_LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}


@pytest.fixture
def browser(monkeypatch):
    """One Chromium for the test, closed after it."""
    # Playwright's sync API keeps an asyncio loop running in this thread, which makes Django
    # refuse ORM calls from the test (SynchronousOnlyOperation). The calls are synchronous and
    # in the test's own thread, so they are safe; the live server answers from its own thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    available = Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None
    require_service(available, f"the browser test needs Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        require_service(False, "the browser test needs the playwright package (requirements-dev.txt)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # ORM calls made while Playwright's loop runs get a connection of their own (Django keys
        # connections by async context); close it before the test database is dropped.
        connections.close_all()


@pytest.fixture
def new_page(browser):
    """new_page("phone" | "desktop", language=...) → a page in a context of its own (own cookies: another person).

    The browser's own locale follows `language`, so date inputs and the like look as they would for that person.
    """
    contexts = []

    def make(kind: str = "desktop", *, language: str = settings.LANGUAGE_CODE):
        options = {"locale": BROWSER_LOCALES.get(language, "zh-CN"), "timezone_id": settings.TIME_ZONE}
        if kind == "phone":
            context = browser.new_context(viewport=PHONE_VIEWPORT, device_scale_factor=2, is_mobile=True, **options)
        else:
            context = browser.new_context(viewport=DESKTOP_VIEWPORT, accept_downloads=True, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_page):
    """A page the size of a cheap phone's screen."""
    return new_page("phone")


@pytest.fixture
def desktop(new_page):
    """A page the size of an office PC's screen (1366×768), downloads allowed."""
    return new_page("desktop")


def switch_language(page, language: str) -> None:
    """Change the language the way a person does: the switcher in the page header (it sets the cookie)."""
    if page.locator("html").get_attribute("lang") == language:
        return
    with page.expect_navigation():
        page.click(f"form.lang button[value='{language}']")
    assert page.locator("html").get_attribute("lang") == language


def sign_in(page, base: str, username: str, *, language: str | None = None, password: str = PASSWORD) -> None:
    """Open the sign-in page, switch to `language` there if given, and sign in."""
    page.goto(f"{base}/accounts/login/")
    if language:
        switch_language(page, language)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/login/" not in page.url, f"signing in as {username} failed"


def session_held_at() -> str:
    """An hour ago as the session form's field wants it, but never before today's (local) midnight.

    A session may not be dated before the day its case was submitted, and the journeys submit
    their case minutes earlier: between midnight and one o'clock an hour ago is yesterday.
    """
    now = timezone.localtime()
    held = max(now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0))
    return held.strftime("%Y-%m-%dT%H:%M")


def language_prefix(language: str) -> str:
    """The URL prefix of a language: none for the default (i18n_patterns with prefix_default_language=False)."""
    return "" if language == settings.LANGUAGE_CODE else f"/{language}"


@pytest.fixture
def shoot(tmp_path) -> Callable:
    """shoot(page, name, language=...) → the path of a PNG of the visible part of the page."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, language: str = settings.LANGUAGE_CODE) -> Path:
        suffix = "" if language == settings.LANGUAGE_CODE else f"-{language}"
        path = folder / f"{name}{suffix}.png"
        # Fonts and charts settle before the picture; the caret would blink into it.
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(path), full_page=False, animations="disabled", caret="hide")
        return path

    return take


def check_accessible(page, label: str) -> None:
    """axe-core on the page (tests/browser/a11y.py), when that check and axe-core are installed.

    Without axe-core the journeys still run (tests/browser/test_accessibility.py reports the
    missing tool); under REQUIRE_SERVICES=1 the check always runs, and fails if it cannot.
    """
    if importlib.util.find_spec("tests.browser.a11y") is None:
        return
    from tests.browser import a11y

    if a11y.axe_available() or REQUIRE_SERVICES:
        a11y.assert_accessible(page, label)


def tiny_png() -> bytes:
    """A 2×2 PNG: the photo a resident attaches."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xb3\x26\x1e" * 2 + b"\x00" + b"\xff\xff\xff" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
