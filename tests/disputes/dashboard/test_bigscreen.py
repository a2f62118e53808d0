"""大屏 (disputes/staff/bigscreen.py) and the dashboard's compact layout: jurisdiction, sources, language, order."""

import re

import pytest
from django.urls import reverse

from disputes.dashboard import rollups
from disputes.rules.enums import Status
from disputes.staff import bigscreen
from grids.models import Role
from tests.disputes.cases import case_in

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def cases(tree, category, departments):
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}
    for _ in range(3):
        case_in(Status.CLOSED, callback_result="satisfied", **a)
    case_in(Status.CLOSED, grid=tree.grid_b, category=category, department=departments["b"])
    rollups.rebuild_all()


def screen_url(area=None, language=""):
    url = reverse("disputes:dashboard_screen_area", args=[area.code]) if area else reverse("disputes:dashboard_screen")
    return f"/{language}{url}" if language else url


def test_a_supervisor_opens_the_screen_of_their_area_and_below(client, cases, tree, make_staff, settings):
    settings.DASHBOARD_SCREEN_REFRESH_SECONDS = 120
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.county))
    page = client.get(screen_url(), {"kind": "month", "month": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{tree.county.name}" in html
    assert 'data-refresh="120"' in html
    # It draws from the dashboard API, for the same area and period as the page.
    api = reverse("api:dashboard-area", args=[tree.county.code])
    assert f'data-source-area="{api}?kind=month&amp;month=2026-11"' in html
    children = reverse("api:dashboard-children", args=[tree.county.code])
    assert f'data-source-children="{children}?kind=month&amp;month=2026-11"' in html
    trend = reverse("api:dashboard-table", args=[tree.county.code, "trend"])
    assert f'data-source-trend="{trend}?kind=month' in html
    # Under a county, the ranking is of its townships.
    assert reverse("api:dashboard-table", args=[tree.county.code, "ranking_townships"]) in html
    # A township below it opens too; its ranking is of villages.
    town = client.get(screen_url(tree.town_a))
    assert town.status_code == 200
    assert reverse("api:dashboard-table", args=[tree.town_a.code, "ranking_villages"]) in town.content.decode()
    # Nothing from outside the site: every script and stylesheet is the site's own.
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not src.startswith(("http:", "https:", "//")), src


def test_an_area_outside_the_supervisors_answers_404(client, tree, make_staff):
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.town_a))
    assert client.get(screen_url(tree.town_b)).status_code == 404
    assert client.get(screen_url(tree.county)).status_code == 404
    assert client.get(screen_url(tree.town_a)).status_code == 200


def test_the_screen_needs_a_dashboard(client, tree, make_staff):
    assert client.get(screen_url()).status_code == 302  # to the sign-in page
    client.force_login(make_staff(Role.MEDIATOR, area=tree.town_a))
    assert client.get(screen_url(tree.town_a)).status_code == 403


def test_the_screen_speaks_chinese_by_default_and_english_when_asked(client, cases, tree, make_staff):
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.county))
    zh = client.get(screen_url()).content.decode()
    assert '<html lang="zh-hans">' in zh
    assert "数据截至" in zh
    assert "化解率（受理口径）" in zh
    assert "Data as of" not in zh
    en = client.get(screen_url(language="en")).content.decode()
    assert '<html lang="en">' in en
    assert "Data as of" in en


def test_the_refresh_interval_is_never_below_five_seconds(settings):
    settings.DASHBOARD_SCREEN_REFRESH_SECONDS = 1
    assert bigscreen.refresh_seconds() == 5
    settings.DASHBOARD_SCREEN_REFRESH_SECONDS = 300
    assert bigscreen.refresh_seconds() == 300


def test_the_dashboard_puts_the_trend_ranking_and_overdue_list_first(client, cases, tree, make_staff):
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.county))
    html = client.get(reverse("disputes:dashboard")).content.decode()
    first = html.index('class="dash-first"')
    order = [html.index(f'id="{key}"') for key in ("trend", "ranking_townships", "overdue", "areas", "department")]
    assert first < order[0] < order[1] < order[2] < order[3] < order[4]
    # Each table once: the first screen's are not repeated below.
    assert html.count('id="trend"') == 1 and html.count('id="overdue"') == 1
    assert "数据截至" in html
    assert reverse("disputes:dashboard_screen_area", args=[tree.county.code]) in html
    # The charts load the custom ECharts build (legend, tooltip, data zoom...), not the old "simple" one.
    assert "vendor/echarts/echarts.custom.min.js" in html and "echarts.simple" not in html
    assert "css/dashboard.css" in html
    # The charts draw from the dashboard API's tables, falling back to the page's.
    assert f'data-api="{reverse("api:dashboard-table", args=[tree.county.code, "__key__"])}"' in html


def test_a_township_dashboard_ranks_its_villages_first(client, cases, tree, make_staff):
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.town_a))
    html = client.get(reverse("disputes:dashboard")).content.decode()
    first, rest = html.split('class="dash-rest"', 1)
    assert 'id="ranking_villages"' in first and 'id="ranking_townships"' in rest
