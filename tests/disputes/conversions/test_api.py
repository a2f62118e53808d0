# ruff: noqa: F811 (the fixtures imported from tests.disputes.orders are parameters here)
"""The 民转刑 / 刑转命 API: record on a case, list an area's register in a period, the counts, read one, review it;
the same refusals as the service, as {"code", "message"}; an area or a record outside answers 404; the schema."""

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from disputes.models import CriminalConversion
from grids.models import Role
from tests.disputes.conversions.helpers import TODAY, record
from tests.disputes.orders import case, clock, offices, people  # noqa: F401

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "zh-hans") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def body_for(case, **kw):
    values = {
        "tracking_number": case.tracking_number,
        "kind": "criminal",
        "police_case_number": "A360103",
        "police_unit": "南浦派出所",
        "occurred_on": (TODAY - timedelta(days=1)).isoformat(),
        "reported_on": TODAY.isoformat(),
        "summary": "李四（13900139000）持械伤人",
    }
    values.update(kw)
    return values


def test_round_trip_record_list_read_review(clock, case, people, tree):
    recorder = client_for(people["supervisor"])
    reviewer = client_for(people["county_supervisor"])

    created = recorder.post(reverse("api:conversion-list"), body_for(case), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["tracking_number"] == case.tracking_number and created.json()["kind"] == "criminal"
    assert created.json()["summary"] == "李四（13900139000）持械伤人"  # the supervisor works the case

    listed = reviewer.get(reverse("api:conversion-list"), {"area": tree.county.code, "kind": "year", "year": 2026})
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [pk]

    counts = reviewer.get(reverse("api:conversion-counts"), {"area": tree.county.code, "kind": "year", "year": 2026})
    assert counts.json()["criminal"] == 1 and counts.json()["homicide"] == 0
    assert counts.json()["criminal_change"] == 1 and counts.json()["area"] == tree.county.code

    reviewed = reviewer.post(
        reverse("api:conversion-review", args=[pk]),
        {"missed": "未上报", "responsible": "调委会", "changes": "每日回访", "accountability": "reminder"},
        format="json",
    )
    assert reviewed.status_code == 200, reviewed.content
    assert reviewed.json()["review_missed"] == "未上报" and reviewed.json()["reviewed_at"] is not None
    detail = reviewer.get(reverse("api:conversion-detail", args=[pk])).json()
    assert detail["accountability"] == "reminder"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Only a supervisor may record that a dispute became a criminal case."),
        ("zh-hans", "只有主管领导可以登记民转刑、刑转命案件。"),
    ],
)
def test_the_api_refuses_what_the_service_refuses(clock, case, people, language, message):
    url = reverse("api:conversion-list")

    wrong_role = client_for(people["mediator"], language).post(url, body_for(case), format="json")
    outside = client_for(people["b_supervisor"], language).post(url, body_for(case), format="json")
    future = client_for(people["supervisor"], language).post(
        url, body_for(case, occurred_on=(TODAY + timedelta(days=2)).isoformat()), format="json"
    )
    client_for(people["supervisor"]).post(url, body_for(case), format="json")
    twice = client_for(people["county_supervisor"], language).post(url, body_for(case), format="json")

    assert wrong_role.status_code == 403 and wrong_role.json()["error"]["code"] == "wrong_role"
    assert wrong_role.json()["error"]["message"] == message
    assert outside.status_code == 404
    assert future.status_code == 400 and future.json()["error"]["code"] == "date_in_future"
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_recorded"
    assert CriminalConversion.objects.count() == 1


def test_an_area_or_record_outside_is_refused(clock, case, people, tree):
    conversion = record(case, people["supervisor"])
    other = client_for(people["b_supervisor"])

    area = other.get(reverse("api:conversion-list"), {"area": tree.town_a.code})
    counts = other.get(reverse("api:conversion-counts"), {"area": tree.town_a.code})
    detail = other.get(reverse("api:conversion-detail", args=[conversion.pk]))
    review = other.post(
        reverse("api:conversion-review", args=[conversion.pk]),
        {"missed": "a", "responsible": "b", "changes": "c"},
        format="json",
    )
    own = other.get(reverse("api:conversion-list")).json()["results"]
    mediator = client_for(people["mediator"]).get(reverse("api:conversion-list"))

    assert area.status_code == 404 and counts.status_code == 404
    assert detail.status_code == 404 and review.status_code == 404
    assert own == []
    assert mediator.status_code == 403


def test_a_grid_supervisor_cannot_review_through_the_api(clock, case, people, make_staff, tree):
    conversion = record(case, people["supervisor"])
    grid_supervisor = make_staff(Role.SUPERVISOR, area=tree.grid_a)

    response = client_for(grid_supervisor, "en").post(
        reverse("api:conversion-review", args=[conversion.pk]),
        {"missed": "a", "responsible": "b", "changes": "c"},
        format="json",
    )

    assert response.status_code == 403 and response.json()["error"]["code"] == "not_above"


def test_register_readers_work_the_case_and_the_period_is_checked(clock, case, people, make_staff, tree):
    """The register's readers (administrators; supervisors covering the case) work the case: the summary is in
    clear to them. A period the dashboard's form refuses is a 400."""
    record(case, people["supervisor"], summary="李四（13900139000）持械伤人")
    admin = make_staff(Role.ADMIN, area=tree.city)

    rows = client_for(admin).get(reverse("api:conversion-list")).json()["results"]
    bad = client_for(admin).get(reverse("api:conversion-list"), {"kind": "month", "month": "2026-13"})

    assert rows[0]["summary"] == "李四（13900139000）持械伤人"
    assert bad.status_code == 400


def test_the_schema_documents_the_endpoints(client, people):
    client.force_login(people["supervisor"])

    schema = client.get(reverse("api-schema"), {"format": "json"})

    paths = schema.json()["paths"]
    assert "/api/v1/conversions/" in paths and "post" in paths["/api/v1/conversions/"]
    assert "/api/v1/conversions/{id}/review/" in paths
    assert "/api/v1/conversions/counts/" in paths
