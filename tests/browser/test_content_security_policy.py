"""The Content Security Policy in a real browser: the main pages run and draw with no violation.

Chromium reports every blocked script, style or image on the console ("Refused to
... because it violates the following Content Security Policy directive"); the test
visits the public form, the dashboard with its charts and a tooltip, Swagger UI and
the Django admin, and fails on any such message.
"""

import pytest

from disputes.dashboard import rollups
from disputes.rules.enums import Status
from grids.models import Role
from tests.browser.conftest import PASSWORD
from tests.disputes.cases import case_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(
    page, base: str, username: str, *, path: str = "/accounts/login/", submit: str = "main form button"
) -> None:
    page.goto(f"{base}{path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click(submit)


def test_pages_run_under_the_policy_without_a_violation(
    live_server, desktop, tree, category, departments, make_staff, django_user_model
):
    supervisor = make_staff(Role.SUPERVISOR, area=tree.county)
    for _ in range(3):
        case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"])
    rollups.rebuild_all()
    django_user_model.objects.create_superuser("root", "root@example.org", PASSWORD)
    page = desktop
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )
    base = live_server.url

    # The public form, with its area picker script.
    page.goto(f"{base}/submit/")
    page.wait_for_load_state("load")
    assert page.locator("form").count() >= 1

    # The dashboard: charts drawn. (Their tooltips are drawn on the canvas, renderMode "richText",
    # so there is no HTML tooltip whose style attributes the policy would block: hovered below.)
    sign_in(page, base, supervisor.username)
    page.goto(f"{base}/work/dashboard/")
    page.wait_for_selector("#trend .dash-chart canvas")
    assert page.locator(".dash-chart canvas").count() >= 5
    chart = page.locator("#trend .dash-chart").bounding_box()
    page.mouse.move(chart["x"] + chart["width"] - 80, chart["y"] + chart["height"] / 2)
    page.wait_for_selector("#trend .dash-chart[data-tip]")

    # A QR poster (its SVG code is an image; poster.js prints).
    page.goto(f"{base}/places/{tree.town_a.code}/poster/")
    page.wait_for_selector("img.poster__qr")
    assert page.locator("img.poster__qr").evaluate("img => img.naturalWidth") > 0

    # Swagger UI renders the API's title from the schema (so its start-up script ran).
    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "API" in page.locator(".swagger-ui .info .title").inner_text()

    # The Django admin, including a change form (its scripts are files, its data JSON blocks).
    page.context.clear_cookies()
    sign_in(page, base, "root", path="/admin/login/", submit="#login-form [type=submit]")
    page.goto(f"{base}/admin/auth/user/")
    page.wait_for_selector("#result_list")
    page.goto(f"{base}/admin/auth/user/add/")
    page.wait_for_selector("#user_form")

    assert violations == []
