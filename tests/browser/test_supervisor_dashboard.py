"""The supervisor's dashboard in a real browser: drill into a township, switch the period, download the XLSX.

Uses Debian's Chromium (/usr/bin/chromium) through the fixtures of tests/browser/conftest.py; without it the
test skips locally and fails in CI.
"""

import pytest
from django.utils import timezone

from disputes.dashboard import rollups
from disputes.rules.enums import Outcome, Status
from grids.models import Role
from tests.browser.conftest import sign_in
from tests.disputes.cases import case_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def cell(page, section: str, row_label: str, column: int) -> str:
    row = page.locator(f"#{section} tbody tr", has=page.locator(f"th:text-is('{row_label}')"))
    return row.locator("td").nth(column - 1).inner_text().split(" (")[0].strip()


def test_a_supervisor_drills_down_switches_the_period_and_downloads_the_xlsx(
    live_server, desktop, tree, category, departments, make_staff, tmp_path
):
    from openpyxl import load_workbook

    supervisor = make_staff(Role.SUPERVISOR, area=tree.county)
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}
    for _ in range(3):
        case_in(Status.CLOSED, callback_result="satisfied", **a)
    case_in(Status.CLOSED, outcome=Outcome.LITIGATION, **a)
    case_in(Status.CLOSED, grid=tree.grid_b, category=category, department=departments["b"])
    rollups.rebuild_all()
    page = desktop

    sign_in(page, live_server.url, supervisor.username)
    with page.expect_navigation():
        page.click("nav.site-nav a[href$='/work/dashboard/']")
    assert tree.county.name in page.locator("h1").inner_text()
    # Every chart is drawn beside its table (ECharts renders into a canvas).
    page.wait_for_selector("#trend .dash-chart canvas")
    assert page.locator(".dash-chart canvas").count() >= 5

    # Drill into township A: one row per township, each a link.
    assert page.locator("#areas tbody tr").count() == 2
    with page.expect_navigation():
        page.click(f"#areas tbody th a:text-is('{tree.town_a.name}')")
    assert f"/work/dashboard/{tree.town_a.code}/" in page.url
    assert cell(page, "figures", "化解率", 1) == "75.0%"  # 3 resolved of 4 concluded

    # Switch to this year, without leaving the township.
    page.check("input[name=kind][value=year]")
    page.fill("#id_year", str(timezone.localdate().year))
    with page.expect_navigation():
        page.click("form.dash-period button[type=submit]")
    assert "kind=year" in page.url and tree.town_a.code in page.url
    shown_rate = cell(page, "figures", "化解率", 1)
    shown_concluded = cell(page, "figures", "化解率", 3)

    with page.expect_download() as download:
        page.click("#figures a[href*='/export/figures.xlsx']")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    # Filed under the area's name, the period and the sheet's Chinese name (西湖区_2026年_主要指标.xlsx).
    assert tree.town_a.name in path.name and f"{timezone.localdate().year}年" in path.name
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    resolution = next(r for r in rows if r[0] == "化解率")
    # A rate is stored as a fraction and shown by Excel's percent format.
    assert f"{resolution[1] * 100:.1f}%" == shown_rate == "75.0%"
    assert str(resolution[3]) == shown_concluded == "4"
