"""axe-core on every page of the three journeys, in Chinese and in English, and the form by keyboard alone.

Each page is checked as a person meets it (empty form, form with its errors shown,
result pages, staff pages with their action panels opened, the error pages) and
must have no violation of impact "serious" or "critical" (tests/browser/a11y.py).
`pytest -s` prints every page's findings of all impacts; A11Y_VERBOSE=1 details them.

Uses Debian's Chromium (/usr/bin/chromium) and axe-core from node_modules
(`make setup` installs it); without them the tests skip locally and fail in CI.
"""

import os

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from core.errors import server_error
from disputes import callbacks
from disputes.dashboard import rollups
from disputes.models import Dispute
from disputes.rules.enums import Colour, PartyRole, Status
from grids.models import DepartmentKind, Role
from tests.browser.a11y import assert_accessible, format_violations, run_axe
from tests.browser.conftest import LANGUAGES as BROWSER_LANGUAGES
from tests.browser.conftest import language_prefix, sign_in
from tests.disputes.cases import case_in, with_agreement
from tests.factories import DepartmentFactory, PartyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900139000"
LANGUAGES = [pytest.param(code, id=code) for code in BROWSER_LANGUAGES]


def open_all_details(page) -> None:
    """Action panels are <details>: open them so that their forms are checked too."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


def checked(page, label: str, language: str, *, lang_attr: bool = True) -> None:
    violations = assert_accessible(page, f"{label}, {language}")
    # The lesser findings (moderate, minor) are printed for the record (pytest -s), not failed on.
    print(f"axe {label} [{language}]: " + (", ".join(f"{v['id']}({v['impact']})" for v in violations) or "clean"))
    if os.environ.get("A11Y_VERBOSE"):
        print(format_violations(violations))
    if lang_attr:
        assert page.evaluate("document.documentElement.lang") == language, f"<html lang> on {label}"


def test_the_checker_fails_on_an_inaccessible_page(phone):
    """The check itself: a picture without text and a field without a label are reported."""
    phone.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<form><input type="text" name="q"></form><p style="color:#c8c8c8">Faint text</p></main></body></html>'
    )
    found = {v["id"]: v["impact"] for v in run_axe(phone)}
    assert found.get("image-alt") == "critical"
    assert found.get("label") in {"serious", "critical"}
    assert found.get("color-contrast") == "serious"
    with pytest.raises(pytest.fail.Exception, match=r"image-alt \(critical\)"):
        assert_accessible(phone, "a broken page")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_residents_pages_have_no_serious_violations(live_server, phone, tree, category, language):
    base = f"{live_server.url}{language_prefix(language)}"
    page = phone

    page.goto(f"{base}/")
    checked(page, "home", language)

    page.goto(f"{base}/submit/?place={tree.village_a.code}")
    checked(page, "submit form", language)

    # The server's own errors (the browser's checks are turned off, as an old phone would have none).
    page.eval_on_selector("main form", "form => { form.noValidate = true; }")
    with page.expect_navigation():
        page.click("main form button.button--primary[type=submit]")
    assert page.locator(".field--invalid").count() >= 2
    checked(page, "submit form with errors", language)

    page.select_option("#id_category", str(category.pk))
    page.fill("#id_description", "楼上卫生间漏水，天花板发霉，多次沟通无果。")
    page.fill("#id_applicant-name", "李四")
    page.fill("#id_applicant-phone", PHONE)
    page.fill("#id_parties-0-name", "王五")
    page.check("#id_consent")
    with page.expect_navigation():
        page.click("main form button.button--primary[type=submit]")
    assert "/submitted/" in page.url
    checked(page, "confirmation", language)
    number = "".join(page.locator(".tracking-number__group").all_inner_texts())

    page.goto(f"{base}/track/")
    checked(page, "tracking form", language)
    page.fill("#id_tracking_number", number)
    page.fill("#id_phone", "13000000000")
    with page.expect_navigation():
        page.click("main form button.button--primary[type=submit]")
    checked(page, "tracking form with an error", language)
    page.fill("#id_tracking_number", number)
    page.fill("#id_phone", PHONE)
    with page.expect_navigation():
        page.click("main form button.button--primary[type=submit]")
    page.wait_for_selector(".status__sentence")
    checked(page, "tracking result", language)

    # The rating page from the SMS link (the link is always Chinese; the English page is its /en/ twin).
    case = Dispute.objects.get(tracking_number=number)
    Dispute.objects.filter(pk=case.pk).update(status=Status.AWAITING_CALLBACK, outcome="agreement")
    path = callbacks.rating_url(case).split("/rate/", 1)[1]
    page.goto(f"{base}/rate/{path}")
    checked(page, "rating page", language)
    page.check("input[name=satisfaction][value=satisfied]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    checked(page, "rating done", language)

    page.goto(f"{base}/no-such-page/")
    checked(page, "404 page", language)

    # A form sent after its cookie is gone (a long pause, cookies cleared): the CSRF failure page.
    page.context.clear_cookies()
    page.goto(f"{base}/track/")
    page.context.clear_cookies()
    page.fill("#id_tracking_number", number)
    page.fill("#id_phone", PHONE)
    with page.expect_navigation():
        page.click("main form button.button--primary[type=submit]")
    with translation.override(language):
        assert gettext("The form has expired") in page.locator("h1").inner_text()
    checked(page, "CSRF failure page", language)

    # The 500 page as the handler renders it (no failing view in the live server): served in
    # place of a page of the site, so that its stylesheet loads from the site.
    path = f"{language_prefix(language)}/some-page/"
    html = server_error(RequestFactory().get(path)).content
    page.route(f"{live_server.url}{path}", lambda route: route.fulfill(status=500, body=html, content_type="text/html"))
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 500 and page.locator(".site-header").is_visible()
    checked(page, "500 page", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_staff_pages_have_no_serious_violations(
    live_server, desktop, new_page, tree, category, departments, staff_a, make_staff, language
):
    from core.actors import Actor
    from petitions import services as petition_services
    from petitions.rules import Form

    base = f"{live_server.url}{language_prefix(language)}"
    page = desktop
    mediator = staff_a[Role.MEDIATOR]
    work = {"grid": tree.grid_a, "category": category, "department": departments["a"], "mediator": mediator}
    case = case_in(Status.AWAITING_CALLBACK, **work)
    with_agreement(case)
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name="李四", phone=PHONE, address="船山路12号302室")
    PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="王五", phone="13700137000")
    red = case_in(Status.IN_MEDIATION, colour=Colour.RED, **work)
    case_in(Status.ACCEPTED, colour=Colour.YELLOW, **work)
    rollups.rebuild_all()

    page.goto(f"{base}/accounts/login/")
    checked(page, "login", language)
    page.fill("#id_username", mediator.username)
    page.fill("#id_password", "wrong-password")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    checked(page, "login with an error", language)

    page = new_page("desktop")
    sign_in(page, base, mediator.username)
    page.goto(f"{base}/work/")
    assert page.locator(f"a:has-text('{red.tracking_number_display}')").count()
    checked(page, "mediator's queue", language)
    page.goto(f"{base}/work/case/{case.tracking_number}/")
    open_all_details(page)
    checked(page, "case page", language)
    page.goto(f"{base}/work/case/{case.tracking_number}/agreement/print/")
    checked(page, "agreement print view", language)
    page.goto(f"{base}/staff/walk-in/")
    checked(page, "walk-in registration", language)
    page.eval_on_selector("main form", "form => { form.noValidate = true; }")
    with page.expect_navigation():
        page.click("main form button.button--primary[type=submit]")
    checked(page, "walk-in registration with errors", language)

    supervisor = make_staff(Role.SUPERVISOR, area=tree.county)
    page = new_page("desktop")
    sign_in(page, base, supervisor.username)
    page.goto(f"{base}/work/callbacks/")
    assert page.locator(f"a:has-text('{case.tracking_number_display}')").count()
    checked(page, "callbacks queue", language)
    page.goto(f"{base}/work/callbacks/{case.tracking_number}/")
    open_all_details(page)
    checked(page, "callback record", language)
    page.goto(f"{base}/work/spot-checks/")
    checked(page, "spot checks", language)
    page.goto(f"{base}/places/")
    checked(page, "QR posters list", language)
    page.goto(f"{base}/work/dashboard/")
    page.wait_for_selector(".dash-chart canvas")
    checked(page, "supervisor dashboard", language)
    page.goto(f"{base}/work/dashboard/{tree.town_a.code}/")
    page.wait_for_selector(".dash-chart canvas")
    checked(page, "dashboard drill-down", language)

    bureau = DepartmentFactory(name="西湖区信访局", kind=DepartmentKind.PETITIONS_BUREAU, area=tree.county)
    clerk = make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=bureau)
    petition = petition_services.petition_register(
        actor=Actor.for_user(clerk),
        form=Form.VISIT,
        matter="村里征地补偿款一直没有发放到位，请求尽快发放补偿款。",
        area=tree.village_a,
        category=category,
        receiving_office=bureau,
        petitioners=[{"name": "王五", "phone": "13600136000"}],
    )
    page = new_page("desktop")
    sign_in(page, base, clerk.username)
    page.goto(f"{base}/petitions/")
    checked(page, "petitions list", language)
    page.goto(f"{base}/petitions/{petition.tracking_number}/")
    open_all_details(page)
    checked(page, "petition page", language)

    # A page this user may not open: the 403 page in the site's design.
    response = page.goto(f"{base}/work/dashboard/")
    assert response.status == 403
    with translation.override(language):
        assert gettext("You do not have permission to open this page.") in page.locator("main").inner_text()
    checked(page, "403 page", language)


# --- The keyboard alone ---------------------------------------------------------------------------

FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const rect = el.getBoundingClientRect();
  return {
    id: el.id, tag: el.tagName.toLowerCase(), type: el.type || '', cls: el.className || '',
    inMain: !!el.closest('main'),
    // Date and time fields keep focus in their inner parts (day, month, year), not on the field.
    focusVisible: el.matches(':focus-visible')
      || (/^(date|time|datetime-local|month)$/.test(el.type) && el.matches(':focus-within')),
    shown: outline || style.boxShadow !== 'none', onScreen: rect.right > 0 && rect.bottom > 0 && rect.width > 0,
    value: el.value === undefined ? null : el.value, enabled: !el.disabled,
  };
}"""


def focus(page) -> dict:
    state = page.evaluate(FOCUS_SHOWN)
    assert state is not None, "focus was lost to the page body"
    return state


def test_the_resident_form_works_with_the_keyboard_alone(live_server, desktop, tree, category):
    """Tab, Shift+Tab, arrow keys for the lists, Space for the box, Enter to send: no mouse at all."""
    page = desktop
    page.goto(f"{live_server.url}/en/submit/")
    # A stylesheet rule for keyboard focus exists (not only the browser's default ring).
    assert page.evaluate(
        "[...document.styleSheets].some(s => [...s.cssRules]"
        ".some(r => (r.selectorText || '').includes(':focus-visible')))"
    )

    # The first Tab reaches the skip link, shown on screen; Enter on it jumps to the content.
    page.keyboard.press("Tab")
    skip = focus(page)
    assert "skip" in skip["cls"] and skip["onScreen"] and skip["shown"], skip
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focus(page)["inMain"], "after the skip link, the next stop is in the page's content"

    typed = {
        "id_description": "Water leaks from the flat upstairs; the ceiling is mouldy.",
        "id_occurred_place": "12 Chuanshan Road",
        "id_applicant-name": "Li Si",
        "id_applicant-phone": PHONE,
        "id_parties-0-name": "Wang Wu",
    }
    seen: list[str] = []
    went_back = False
    for _step in range(120):
        state = focus(page)
        assert state["shown"] and state["focusVisible"], f"focus not visible on {state}"
        name = state["id"] or f"{state['tag']}.{state['cls']}"
        seen.append(name)
        if state["tag"] == "button" and "button--primary" in state["cls"]:
            break
        if name in typed and not state["value"]:
            page.keyboard.type(typed[name])
        elif name == "id_category" and not state["value"]:
            page.keyboard.press("ArrowDown")
            assert page.input_value("#id_category"), "the arrow key chose a category"
        elif name.startswith("id_area_") and not state["value"]:
            level = int(name.rsplit("_", 1)[1])
            if page.locator(f"#id_area_{level + 1}").count():
                # Choose the first place of this level; the next list fills itself (area-select.js).
                page.keyboard.press("ArrowDown")
                page.wait_for_selector(f"#id_area_{level + 1}:enabled")
        elif name == "id_consent" and not page.is_checked("#id_consent"):
            page.keyboard.press("Space")
            assert page.is_checked("#id_consent")
        if name == "id_description" and not went_back:
            # Back one field with Shift+Tab and forward again: the order holds both ways.
            went_back = True
            page.keyboard.press("Shift+Tab")
            assert focus(page)["id"] == "id_category"
            page.keyboard.press("Tab")
            assert focus(page)["id"] == "id_description"
        page.keyboard.press("Tab")
    else:
        pytest.fail(f"never reached the send button; focus went through {seen}")

    print("keyboard path:", " → ".join(seen))
    assert {"id_category", "id_description", "id_applicant-phone", "id_consent"} <= set(seen), seen
    assert seen.index("id_category") < seen.index("id_description") < seen.index("id_consent")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/submitted/" in page.url, page.locator("main").inner_text()[:500]
    case = Dispute.objects.get()
    assert case.category == category and case.grid.level >= tree.village_a.level
    assert case.parties.count() == 2
