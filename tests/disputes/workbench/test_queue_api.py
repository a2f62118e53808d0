"""GET /api/v1/queue/: rows with masked names, filters, cursors, a fixed query count, roles, the schema."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from disputes.rules.enums import Colour, Status
from disputes.selectors.queue import QUEUE_ORDER, QueueFilter, queue_base
from grids.models import Role
from tests.disputes.workbench.queue_helpers import queued
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/queue/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_rows_carry_what_the_list_shows_with_the_applicant_masked(tree, category, departments, staff_a):
    mediator = staff_a[Role.MEDIATOR]
    mediator.staff.display_name = "熊建华"
    mediator.staff.save()
    case = queued(
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=mediator,
        colour=Colour.RED,
        due_in=timedelta(hours=-5),
        applicant="欧阳小明",
    )
    response = client_for(mediator).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "mine"
    assert body["scopes"] == ["mine", "department", "assisting", "area"]
    assert body["next"] is None and body["next_cursor"] is None
    [row] = body["results"]
    assert row["tracking_number"] == case.tracking_number
    assert (row["colour"], row["colour_label"]) == ("red", "红单")
    assert (row["status"], row["status_label"]) == ("in_mediation", "调解中")
    assert row["category"] == "neighbour"
    assert row["area_name"] == tree.grid_a.name
    assert row["applicant"] == "欧***"
    assert "欧阳小明" not in response.content.decode()
    assert row["overdue"] is True
    assert row["next_due_at"] is not None
    assert row["mediator"] == "熊建华"
    assert (row["leader"], row["returned_by"], row["return_reason"]) == ("", "", "")


def test_english_labels_under_the_english_prefix(tree, category, departments, staff_a):
    queued(grid=tree.grid_a, category=category, department=departments["a"], colour=Colour.YELLOW)
    client = client_for(staff_a[Role.SUPERVISOR])
    row = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    assert row["colour_label"] == "Yellow"


def test_cursor_pages_and_filters(tree, category, departments, staff_a):
    for n in range(7):
        queued(
            grid=tree.grid_a,
            category=category,
            department=departments["a"],
            colour=Colour.RED if n < 5 else Colour.WHITE,
        )
    client = client_for(staff_a[Role.SUPERVISOR])
    seen, url, params = [], URL, {"colour": "red", "page_size": 2}
    while url:
        body = client.get(url, params).json()
        seen += [row["tracking_number"] for row in body["results"]]
        assert all(row["colour"] == "red" for row in body["results"])
        url, params = body["next"], None
        if url:
            assert "colour=red" in url and "cursor=" in url
    assert len(seen) == len(set(seen)) == 5


def test_bad_filters_and_cursors_are_refused_with_a_message(tree, category, departments, staff_a):
    client = client_for(staff_a[Role.SUPERVISOR])
    bad_colour = client.get(URL, {"colour": "purple"})
    assert bad_colour.status_code == 400
    assert "colour" in bad_colour.json()["error"]["fields"]
    bad_cursor = client.get(URL, {"cursor": "abc"})
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["error"]["code"] == "invalid_cursor"


def test_query_count_is_the_same_for_page_sizes_10_and_50(tree, category, departments, staff_a):
    for n in range(55):
        queued(grid=tree.grid_a, category=category, department=departments["a"], due_in=timedelta(minutes=n))
    client = client_for(staff_a[Role.SUPERVISOR])
    counts = []
    for size in (10, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    with CaptureQueriesContext(connection) as queries:
        client.get(response.json()["next"])
    counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_status_filter_shows_finished_cases_on_request(tree, category, departments, staff_a):
    closed = queued(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"])
    client = client_for(staff_a[Role.SUPERVISOR])
    assert client.get(URL).json()["results"] == []
    rows = client.get(URL, {"status": "closed"}).json()["results"]
    assert [r["tracking_number"] for r in rows] == [closed.tracking_number]


@pytest.mark.postgres
@pytest.mark.parametrize("status", [Status.CLOSED, Status.IN_MEDIATION])
def test_a_status_filter_is_read_in_queue_order_from_an_index(tree, category, departments, staff_a, status):
    """At a million cases a sort over every closed case took 110 ms (migration 0011): the order must come from
    an index. With sorting priced out, a plan that still sorts has no index giving the queue's order."""
    queued(status, grid=tree.grid_a, category=category, department=departments["a"])
    filters = QueueFilter(
        {"status": status},
        queryset=queue_base(user=staff_a[Role.SUPERVISOR], scope="area"),
        user=staff_a[Role.SUPERVISOR],
    )
    qs = filters.qs.order_by(*QUEUE_ORDER)[:26]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    assert "Sort" not in plan, plan
    assert "Index" in plan, plan


def test_who_may_read_the_queue(db):
    assert APIClient().get(URL).status_code == 403
    response = client_for(UserFactory()).get(URL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_role"


def test_schema_documents_the_queue_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    listing = paths["/api/v1/queue/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"scope", "status", "colour", "category", "area", "channel", "overdue", "q", "cursor"} <= names
    assert "200" in listing["responses"]
    assert "post" in paths["/api/v1/queue/take-next/"]
    assert "requestBody" in paths["/api/v1/queue/bulk/"]["post"]
