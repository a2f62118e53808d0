"""The dashboard keeps its figures and tables in the shared cache, under the rollups' version.

What every supervisor of an area sees alike is rendered once per area, period
and language; the overdue list follows the reader and is read on every view; a
rollup refresh shows at once; a cache that is down only costs time.
"""

import logging
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disputes.dashboard import rollups
from disputes.rules.enums import Status
from grids.models import Role
from tests.core.test_service_outages import DEAD_REDIS_CACHE
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def town(tree, category, departments):
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}
    for _n in range(3):
        case_in(Status.CLOSED, callback_result="satisfied", **a)
    rollups.rebuild_all()
    return a


def submitted_cell(page: str) -> str:
    """The text of the headline table's "cases submitted" cell (first figure of the first data row)."""
    body = page.split('id="figures"', 1)[1]
    cell = body.split('<td class="num">', 1)[1].split("</td>", 1)[0]
    return re.sub(r"<[^>]+>", "", cell)  # the count may be a link to its cases (下钻)


def test_the_second_view_reads_the_figures_from_the_cache(client, town, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    url = reverse("disputes:dashboard")
    with CaptureQueriesContext(connection) as first:
        page = client.get(url).content.decode()
    with CaptureQueriesContext(connection) as second:
        again = client.get(url).content.decode()
    rollup_reads = [q for q in second.captured_queries if "disputes_disputerollup" in q["sql"]]
    assert rollup_reads == [] and len(second.captured_queries) < len(first.captured_queries)
    assert any("disputes_disputerollup" in q["sql"] for q in first.captured_queries)
    # The same page, apart from the CSRF token of the language switch.
    strip = lambda html: html.split('name="csrfmiddlewaretoken"')[0]  # noqa: E731
    assert strip(again) == strip(page)
    assert submitted_cell(page) == "3"


def test_a_rollup_refresh_shows_at_once(client, town, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    url = reverse("disputes:dashboard")
    assert submitted_cell(client.get(url).content.decode()) == "3"
    case_in(Status.CLOSED, callback_result="satisfied", **town)
    # Until the rollups are refreshed, the page shows what they held (the note on the page says so).
    assert submitted_cell(client.get(url).content.decode()) == "3"
    before = rollups.version()
    rollups.refresh_recent()
    assert rollups.version() != before
    assert submitted_cell(client.get(url).content.decode()) == "4"


def test_the_overdue_list_is_read_on_every_view(client, town, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    url = reverse("disputes:dashboard")
    client.get(url)  # the shared part is now cached
    late = case_in(Status.IN_MEDIATION, next_due_at=timezone.now() - timedelta(hours=2), **town)
    PartyFactory(dispute=late, name="王小明")
    page = client.get(url).content.decode()
    overdue = page.split('id="overdue"', 1)[1].split("</section>", 1)[0]
    assert late.tracking_number_display in overdue
    assert "王小明" not in overdue  # masked, as before


def test_each_language_has_its_own_copy(client, town, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    chinese = client.get(reverse("disputes:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = client.get("/en" + reverse("disputes:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    headline = chinese.split('id="figures"', 1)[1].split("</section>", 1)[0]
    assert "化解率" in headline and "Resolution rate" not in headline
    headline = english.split('id="figures"', 1)[1].split("</section>", 1)[0]
    assert "Resolution rate" in headline and "化解率" not in headline


def test_the_dashboard_answers_while_the_cache_is_down(client, town, staff_a, caplog):
    client.force_login(staff_a[Role.SUPERVISOR])
    with override_settings(CACHES=DEAD_REDIS_CACHE), caplog.at_level(logging.WARNING):
        response = client.get(reverse("disputes:dashboard"))
    assert response.status_code == 200
    assert submitted_cell(response.content.decode()) == "3"
    assert any("Cache unavailable" in r.getMessage() for r in caplog.records)


def test_staff_pages_answer_while_the_cache_is_down(client, town, staff_a, caplog):
    """Sessions read the database when the cache cannot be reached (core/sessions.py)."""
    client.force_login(staff_a[Role.MEDIATOR])
    with override_settings(CACHES=DEAD_REDIS_CACHE), caplog.at_level(logging.WARNING):
        response = client.get(reverse("disputes:queue"))
    assert response.status_code == 200
    assert response.wsgi_request.user == staff_a[Role.MEDIATOR]
    assert any("Session cache unavailable" in r.getMessage() for r in caplog.records)
