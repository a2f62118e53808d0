"""Every staff and public page read in Chinese (zh-hans): no English left over, no raw codes, no login names.

The pages come from the URL configuration itself (the authorisation matrix's patterns and decisions): each
HTML page a role may open is fetched as the first such role, its visible text (text nodes, option labels,
placeholders, titles, aria-labels and button values; never scripts or styles) is read, and the page fails on

- Django's English widgets: "- Select an option -", "---------";
- durations in English ("3 days") or as Django's timesince puts them in Chinese ("3 月，1 周", with a space
  between number and unit, read as "March"): the site writes 剩余2小时 / 已超期95天 (core.durations);
- raw codes: a snake_case token (callback_caller, in_mediation) where a label belongs;
- any other Latin word not on the allow-list (proper names such as Open311, units such as PDF or CSV);
- a staff member's login name where their name belongs (every staff profile here has a Chinese name).

The Django admin is read too: the index, each registered model's list, add form and one change form.
The English words "Choose Files" / "No file chosen" are the browser's own and never in the HTML.

These checks read the compiled Chinese catalogue: a msgid without its translation reads as English and fails.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from grids.models import StaffProfile
from tests.core.test_authorization_matrix import (  # noqa: F401 - `world` is a fixture used here
    ADMIN_KEY,
    DECISIONS,
    PATTERNS,
    ROLES,
    kwargs_for,
    world,
)

pytestmark = pytest.mark.postgres

# Latin words a Chinese page may carry: proper names, file formats and units, and the language switch.
ALLOWED_WORDS = {
    "API",
    "CSV",
    "XLSX",
    "PDF",
    "ID",
    "QR",
    "SMS",
    "Open311",
    "OpenAPI",
    "English",
    "SHA",
    "JSON",
    "REST",
    "Excel",
    "X-Api-Key",
    "WebP",
    # Django's own Chinese help for a multiple select names the keys: 按住 Control 键或 Mac 上的 Command 键…
    "Control",
    "Mac",
    "Command",
}
# Pages that are not the site's words: the API browser (Swagger UI is the library's own page).
SKIPPED_ROUTES = {"api/docs/"}

BLANK_WIDGETS = ("Select an option", "---------")
ENGLISH_DURATION = re.compile(r"\b\d+\s*(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?)\b", re.I)
# Django's timesince in Chinese: "3 月，1 周" (a space between the number and its unit).
TIMESINCE_CHINESE = re.compile(r"\d+[ \u00a0]+(?:年|月|周|天|小时|分钟)")
SNAKE_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
# Tracking numbers (12 letters and digits, shown in groups of four), keys and acronyms (GIF, TOTP).
CODE_LIKE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")
# Addresses, file names and e-mail addresses are not words: photo.jpg, 127.0.0.1:8000/submit/?place=1.
NOT_WORDS = re.compile(r"\S*[./@:?=]\S*[A-Za-z0-9]\S*")

VISIBLE_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
SKIPPED_TAGS = {"script", "style", "template", "noscript"}


class VisibleText(HTMLParser):
    """The text a person reads on the page (roughly): text nodes outside scripts and styles, and labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self._skipping += 1
            return
        values = dict(attrs)
        for name in VISIBLE_ATTRIBUTES:
            # Django's admin icons carry fixed English alt texts (alt="True", alt="Search"): its own chrome,
            # like the browser's "Choose Files"; the icon is what a person sees.
            if name == "alt" and "/admin/img/" in (values.get("src") or ""):
                continue
            if values.get(name):
                self.parts.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def problems(text: str, *, logins: set[str] = frozenset(), allowed: set[str] = frozenset()) -> list[str]:
    """Every leftover on a page's visible text, one line each (empty when the page reads as Chinese)."""
    # A stored JSON value shown as it is kept (the admin's read-only "details recorded") is data, not words.
    text = "\n".join(line for line in text.splitlines() if not line.startswith(("{", "[")))
    found = []
    for widget in BLANK_WIDGETS:
        if widget in text:
            found.append(f"English blank choice {widget!r}")
    for pattern, what in ((ENGLISH_DURATION, "English duration"), (TIMESINCE_CHINESE, "timesince duration")):
        found.extend(f"{what} {m.group(0)!r}" for m in pattern.finditer(text))
    found.extend(f"raw code {m.group(0)!r}" for m in SNAKE_CODE.finditer(text))
    for line in text.splitlines():
        for word in LATIN_WORD.findall(NOT_WORDS.sub(" ", line)):
            if word in ALLOWED_WORDS or word in allowed or CODE_LIKE.match(word) or SNAKE_CODE.fullmatch(word):
                continue
            found.append(f"English {word!r} in {line[:80]!r}")
    for login in logins:
        if re.search(rf"(?<![\w-]){re.escape(login)}(?![\w-])", text):
            found.append(f"login name {login!r} where a name belongs")
    return sorted(set(found))


@pytest.fixture
def named_world(world):  # noqa: F811 - the matrix's fixture, imported above
    """The matrix's world with a Chinese name on every staff profile (as the centres keep them)."""
    for n, profile in enumerate(StaffProfile.objects.select_related("user").order_by("pk")):
        profile.display_name = f"工作人员{'甲乙丙丁戊己庚辛壬癸'[n % 10]}{n}"
        profile.save(update_fields=["display_name"])
    return world


def staff_logins(found_world) -> set[str]:
    return set(StaffProfile.objects.values_list("user__username", flat=True))


def first_reader(route: str) -> str | None:
    """The first role that may open the page (inside its area) with a GET, or None."""
    decision = DECISIONS.get(route)
    if decision is None or decision.method != "GET":
        return None
    for role, codes in decision.expected().items():
        if codes[0] == "200":
            return role
    return None


PAGES = [
    (route, name)
    for route, name in PATTERNS
    if route != ADMIN_KEY and route not in SKIPPED_ROUTES and not route.startswith(("api/", "open311/"))
]


# Pages that show nothing without their question (the cases behind which number, which breakdown value).
QUERIES = {
    "work/dashboard/<str:code>/cases/": "?measure=registered_open",
    "work/dashboard/<str:code>/by/": "?dimension=colour&value=1",
}


def fetch(client, found_world, role: str, url: str):
    client.logout()
    user = found_world.users[role]
    if user is not None:
        client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.mark.parametrize(("route", "name"), PAGES, ids=[route or "/" for route, _name in PAGES])
def test_each_page_reads_in_chinese(client, named_world, route, name):
    role = first_reader(route)
    if role is None:
        return  # POST-only, or a page nobody opens with a GET (its decision says so)
    translation.activate("zh-hans")
    url = reverse(name, kwargs=kwargs_for(name, route, named_world, "in")) + QUERIES.get(route, "")
    response = fetch(client, named_world, role, url)
    assert response.status_code == 200, f"{url} as {role}: {response.status_code}"
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    text = visible_text(response.content.decode())
    # The page's own signed-in user is named by their name in the header too; login names nowhere.
    found = problems(text, logins=staff_logins(named_world))
    assert not found, f"{url} as {role}:\n" + "\n".join(found)


def admin_urls() -> list[tuple[str, str, str]]:
    """(model label, kind, url name) for every registered model's list, add and change pages."""
    rows = []
    for model in admin.site._registry:
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        rows.extend(
            [(model._meta.label, "changelist", f"{base}_changelist"), (model._meta.label, "add", f"{base}_add")]
        )
        rows.append((model._meta.label, "change", f"{base}_change"))
    return rows


# The admin's account pages show the login (it is the account's name there), and Django's permission
# names, stored in English when the tables were made ("Can view case event").
ADMIN_ACCOUNT_MODELS = {"auth.User", "auth.Group", "auth.Permission", "otp_totp.TOTPDevice", "grids.StaffProfile"}
PASSWORD_SUMMARY = re.compile(r"^(?:\S*\*{4,}|md5|pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|scrypt)$", re.M)
PERMISSION_NAME = re.compile(r"^.* \| .* \| Can (?:add|change|delete|view) .*$", re.M)


def reference_words() -> set[str]:
    """The English names and codes the reference tables keep (a category's code and English name)."""
    from disputes.models import Category
    from grids.models import Area, Department

    words: set[str] = set()
    for values in (
        Category.objects.values_list("code", "name_en"),
        Department.objects.values_list("name_en"),
        Area.objects.values_list("name_en"),
    ):
        for row in values:
            for value in row:
                words.update(LATIN_WORD.findall(value or ""))
    return words


# django-axes names its rows in English in code, not through gettext ("Access Log for root @ …"): the library's.
AXES_ROW_NAMES = re.compile(r"(?:Access Log for|Attempted Access:|Failed access:) .*$|<unknown>", re.M)


def unnamed_logins() -> set[str]:
    """The words of the logins of accounts without a staff profile (they have no other name)."""
    from django.contrib.auth import get_user_model

    logins = get_user_model().objects.filter(staff__isnull=True).values_list("username", flat=True)
    return {word for login in logins for word in LATIN_WORD.findall(login)} | set(logins)


def account_text(text: str) -> str:
    """An account page's text without the accounts' logins and the permissions' stored names."""
    from django.contrib.auth import get_user_model

    text = PERMISSION_NAME.sub("", text)
    # Django's summary of the stored password: its algorithm and masked salt and hash.
    text = PASSWORD_SUMMARY.sub("", text)
    for login in sorted(get_user_model().objects.values_list("username", flat=True), key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(login)}(?![\w-])", "", text)
    return text


@pytest.mark.parametrize(("label", "kind", "url_name"), admin_urls(), ids=[f"{m}-{k}" for m, k, _n in admin_urls()])
def test_each_admin_page_reads_in_chinese(client, named_world, label, kind, url_name):
    translation.activate("zh-hans")
    superuser = named_world.users["superuser"]
    model = next(m for m in admin.site._registry if m._meta.label == label)
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = superuser
    if kind == "add" and not model_admin.has_add_permission(request):
        return
    if kind == "change":
        first = model_admin.get_queryset(request).order_by("pk").first()
        if first is None:
            return
        args = [first.pk]
    else:
        args = []
    try:
        url = reverse(url_name, args=args)
    except NoReverseMatch:
        return
    client.force_login(superuser)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, f"{url}: {response.status_code}"
    text = visible_text(response.content.decode())
    if label.startswith("axes."):
        text = AXES_ROW_NAMES.sub("", text)
    if label in ADMIN_ACCOUNT_MODELS:
        text, logins = account_text(text), set()
    else:
        logins = staff_logins(named_world)
    # Accounts without a staff profile have no name but their login ("root", greeted as 欢迎，root).
    found = problems(text, logins=logins, allowed=reference_words() | unnamed_logins())
    assert not found, f"{url}:\n" + "\n".join(found)


def test_the_index_of_the_admin_reads_in_chinese(client, named_world):
    translation.activate("zh-hans")
    client.force_login(named_world.users["superuser"])
    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert not problems(visible_text(response.content.decode()), allowed={"root"})


# --- The checks themselves catch what they are meant to ----------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<select><option value="">- Select an option -</option></select>', "English blank choice"),
        ("<p>已超期3 月，1 周</p>", "timesince duration"),
        ("<p>2 hours left</p>", "English duration"),
        ("<dd>callback_caller</dd>", "raw code"),
        ("<p>以 kind</p>", "English 'kind'"),
        ('<input placeholder="Search">', "English 'Search'"),
    ],
)
def test_the_checks_find_each_leftover(html, expected):
    assert any(expected in line for line in problems(visible_text(html)))


def test_the_checks_pass_chinese_and_allowed_words():
    html = (
        "<h1>案件 K7QF 2M9X 4HPA</h1><p>剩余2小时 · 已超期95天</p><a>导出 CSV</a>"
        "<script>var x = 'callback_caller hours';</script><p>Open311 接口 · API</p>"
    )
    assert problems(visible_text(html)) == []


def test_a_login_name_is_found_where_a_name_belongs():
    assert "login name 'huifang' where a name belongs" in problems(visible_text("<dd>huifang</dd>"), logins={"huifang"})
    assert problems(visible_text("<dd>李娟</dd>"), logins={"huifang"}) == []
