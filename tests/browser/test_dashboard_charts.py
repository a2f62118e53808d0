"""Charts a person can read, the compact dashboard and the big screen, in Chromium at 1920×1080.

The dashboard: the four headline cards, the trend, the ranking and the overdue list on the first
screen; a chart with a legend and a tooltip under the mouse; a rate axis that starts near the
lowest rate shown (not at 0 when every rate is 90-100%); a click on a trend month opens that
month. The big screen: the area tree drawn as a treemap, figures from the dashboard API, fetched
again on its timer. Neither page breaks the Content Security Policy.

With the demo city (`seed_demo`), the last test takes the README's pictures of both pages
(`make screenshots` keeps them in docs/screenshots/).
"""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from disputes.dashboard import rollups
from disputes.rules.enums import Colour, Outcome, Status
from grids.models import Role
from tests.browser.conftest import BROWSER_LOCALES, PASSWORD, TIMEOUT_MS, check_accessible
from tests.disputes.cases import case_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1920, "height": 1080}
DEMO_PASSWORD = "demo-password-2026"  # seed_demo's published password (demo only)
RED, GREEN = "rgb(200,58,50)", "rgb(46,150,90)"  # the ends of static/js/bigscreen.js's scales


@pytest.fixture
def big_page(browser):
    """A page of a 1920×1080 screen, in Chinese, with every Content Security Policy complaint collected."""
    context = browser.new_context(viewport=SCREEN, locale=BROWSER_LOCALES["zh-hans"], timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.violations = []
    page.on(
        "console",
        lambda message: page.violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    context.close()


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/login/" not in page.url


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def on_first_screen(page, selector: str) -> None:
    found = box(page, selector)
    assert 0 <= found["y"] and found["y"] + found["height"] <= SCREEN["height"], (selector, found)


def option(page, selector: str, path: str):
    """A value from the ECharts option of the chart drawn in `selector` (a JS expression on `o`)."""
    return page.evaluate(
        f"s => {{ const o = echarts.getInstanceByDom(document.querySelector(s)).getOption(); return {path}; }}",
        selector,
    )


def test_the_dashboard_fits_one_screen_and_its_charts_read(
    live_server, big_page, tree, category, departments, make_staff
):
    supervisor = make_staff(Role.SUPERVISOR, area=tree.county)
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}
    # Rates between 90% and 100%: 9 of 10 resolved, every one on time and its callback satisfied.
    for _ in range(9):
        case_in(Status.CLOSED, callback_result="satisfied", **a)
    case_in(Status.CLOSED, callback_result="satisfied", outcome=Outcome.LITIGATION, **a)
    # An overdue case submitted before the trend's 12 months: on the overdue list, not in the trend's rates.
    case_in(
        Status.IN_MEDIATION,
        colour=Colour.RED,
        submitted_at=timezone.now() - timedelta(days=400),
        next_due_at=timezone.now() - timedelta(hours=5),
        **a,
    )
    rollups.rebuild_all()
    page, base = big_page, live_server.url
    sign_in(page, base, supervisor.username)

    page.goto(f"{base}/work/dashboard/")
    page.wait_for_selector("#trend .dash-chart canvas")
    # The compact layout: the four headline cards, the trend, the ranking and the overdue list on one screen.
    assert page.locator(".dash-cards--headline .dash-card").count() == 4
    for selector in (".dash-cards--headline", "#trend", "#ranking_townships", "#overdue"):
        on_first_screen(page, selector)
    assert page.locator(".dash-first #overdue tbody tr").count() == 1
    assert re.search(r"数据截至 \d{4}-\d\d-\d\d \d\d:\d\d", page.locator(".dash-meta__as-of").inner_text())
    # No column header is squeezed into one character per line: each header is one line high.
    for header in page.locator("#department thead th").all():
        height = header.evaluate(
            "th => th.getBoundingClientRect().height / parseFloat(getComputedStyle(th).lineHeight)"
        )
        assert height < 2, header.inner_text()

    trend = "#trend .dash-chart"
    # A legend naming the series, the counts as bars and the rates as lines.
    assert option(page, trend, "o.legend.length") == 1
    names = option(page, trend, "o.series.map(s => s.name)")
    assert "化解率" in names and "登记案件数" in names
    # The rate axis starts near the lowest rate shown (90%), not at 0, and says so.
    rates = option(page, trend, "o.series.filter(s => s.yAxisIndex === 1).flatMap(s => s.data).filter(v => v !== null)")
    assert rates and min(rates) >= 90, rates
    floor = option(page, trend, "o.yAxis[1].min")
    assert 80 <= floor <= min(rates), (floor, rates)
    assert f"{floor}%" in option(page, trend, "o.yAxis[1].name")
    # A tooltip under the mouse: hovering this month's column shows its figures.
    chart = box(page, trend)
    page.mouse.move(chart["x"] + chart["width"] - 80, chart["y"] + chart["height"] / 2)
    page.wait_for_function(
        "s => (document.querySelector(s).getAttribute('data-tip') || '').includes('化解率')", arg=trend
    )
    tip = page.locator(trend).get_attribute("data-tip")
    assert f"{timezone.localdate():%Y-%m}" in tip and re.search(r"化解率: \d+\.\d%", tip), tip
    # A chart with many rows gets a zoom bar; the department chart has one row, so none.
    assert option(page, "#department .dash-chart", "o.dataZoom.length") == 0

    # A click on a month of the trend opens that month.
    month = f"{timezone.localdate() - timedelta(days=40):%Y-%m}"
    index = option(page, trend, "o.xAxis[0].data").index(month)
    x, y = page.evaluate(
        "([s, i]) => echarts.getInstanceByDom(document.querySelector(s))"
        ".convertToPixel({xAxisIndex: 0, yAxisIndex: 0}, [i, 0])",
        [trend, index],
    )
    with page.expect_navigation():
        page.mouse.click(chart["x"] + x, chart["y"] + y - 20)
    assert f"month={month}" in page.url
    assert page.violations == []


def test_the_big_screen_draws_the_area_tree_and_refreshes(
    live_server, big_page, tree, category, departments, make_staff, settings
):
    settings.DASHBOARD_SCREEN_REFRESH_SECONDS = 5
    supervisor = make_staff(Role.SUPERVISOR, area=tree.county)
    # Township A resolves most of its cases but has one overdue; township B resolved none, with none overdue.
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}
    case_in(Status.CLOSED, **a)
    case_in(Status.CLOSED, **a)
    case_in(Status.IN_MEDIATION, next_due_at=timezone.now() - timedelta(hours=2), **a)
    case_in(Status.CLOSED, outcome=Outcome.LITIGATION, grid=tree.grid_b, category=category, department=departments["b"])
    rollups.rebuild_all()
    page, base = big_page, live_server.url
    api_calls: list[str] = []
    page.on("request", lambda r: api_calls.append(r.url) if "/api/v1/dashboard/" in r.url else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    sign_in(page, base, supervisor.username)

    page.goto(f"{base}/work/dashboard/{tree.county.code}/screen/")
    page.wait_for_selector("body[data-drawn]")
    # The area tree as a treemap: one tile per township, coloured by resolution rate, then by overdue count.
    tiles = option(page, "#screen-map", "o.series[0].data.map(d => [d.name, d.itemStyle.color])")
    assert sorted(name for name, _ in tiles) == sorted([tree.town_a.display_name, tree.town_b.display_name])
    assert option(page, "#screen-map", "o.series[0].type") == "treemap"
    by_rate = dict(tiles)
    page.click("button[data-colour-by=overdue]")
    assert page.locator("button[data-colour-by=overdue]").get_attribute("aria-pressed") == "true"
    by_overdue = dict(option(page, "#screen-map", "o.series[0].data.map(d => [d.name, d.itemStyle.color])"))
    a, b = tree.town_a.display_name, tree.town_b.display_name
    assert (by_rate[a], by_rate[b]) != (by_overdue[a], by_overdue[b])
    assert by_rate[b] == RED and by_overdue[b] == GREEN and by_overdue[a] == RED
    assert "1" in page.locator("[data-figure=overdue] [data-value]").inner_text()
    # The trend and the ranking are drawn from the API too.
    assert option(page, "#screen-trend", "o.series.length") >= 2
    for part in ("/children/", "/tables/trend/", "/tables/ranking_townships/", "/tables/colour/"):
        assert any(part in url for url in api_calls), part
    assert re.search(r"数据截至 \d{4}-\d\d-\d\d \d\d:\d\d", page.locator("[data-as-of]").inner_text())
    check_accessible(page, "big screen")

    # On its timer the screen fetches everything again (here every 5 seconds).
    first = int(page.locator("body").get_attribute("data-fetches"))
    page.wait_for_function(f"() => +document.body.getAttribute('data-fetches') >= {first + 5}", timeout=12_000)
    assert len([u for u in api_calls if "/children/" in u]) >= 2
    assert outside == []
    assert page.violations == []


def test_pictures_of_the_dashboard_and_the_big_screen_with_the_demo_city(live_server, big_page, shoot):
    call_command("seed_demo", cases=3000, workers=0, force=True, stdout=io.StringIO())
    rollups.rebuild_all()
    page, base = big_page, live_server.url
    sign_in(page, base, "zhuguan", DEMO_PASSWORD)
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    page.goto(f"{base}/work/dashboard/?kind=month&month={last_month}")
    page.wait_for_selector("#trend .dash-chart canvas")
    for selector in (".dash-cards--headline", "#trend", ".dash-first__ranking .dash-section", "#overdue"):
        on_first_screen(page, selector)
    assert option(page, "#trend .dash-chart", "o.yAxis[1].min") > 0
    # The city's departments are many: their chart shows 12 at a time, with a zoom bar to move along.
    assert page.locator("#department tbody tr").count() > 12
    assert option(page, "#department .dash-chart", "o.dataZoom.map(z => z.type).sort()") == ["inside", "slider"]
    assert option(page, "#department .dash-chart", "o.dataZoom[0].endValue") == 11
    page.wait_for_timeout(300)
    shoot(page, "dashboard")

    page.goto(f"{base}/work/dashboard/screen/?kind=month&month={last_month}")
    page.wait_for_selector("body[data-drawn]")
    assert option(page, "#screen-map", "o.series[0].data.length") >= 2
    page.wait_for_timeout(300)
    shoot(page, "bigscreen")
    assert page.violations == []
