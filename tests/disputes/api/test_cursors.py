"""A damaged or edited `cursor` on the staff API's paged lists is a 400 with a message, never a 500 or a 404."""

import base64
import json

import pytest
from rest_framework.test import APIClient

from core.actors import Actor
from disputes.rules.enums import Status
from grids.models import DepartmentKind, Role
from petitions import services as petition_services
from petitions.rules import Form
from tests.disputes.cases import case_in
from tests.factories import DepartmentFactory

PAGED_LISTS = ("/api/v1/cases/", "/api/v1/dispatch-queue/", "/api/v1/callbacks/")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BAD_CURSORS = {
    # The example: a position that is not an id.
    "p=abc": b64("p=abc"),
    "a date in the year 1": b64("p=0001-01-01 00:00:00+08:00"),
    "a date in the year 9999": b64("p=9999-12-31 23:59:59-12:00"),
    "not base64": "%%%not-a-cursor",
    "a negative offset": b64("o=-4"),
    "a reverse flag that is not a number": b64("r=yes"),
}


@pytest.fixture
def supervisor(staff_a):
    return staff_a[Role.SUPERVISOR]


def api_for(user, language: str = "en") -> APIClient:
    client = APIClient(headers={"accept-language": language})
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", PAGED_LISTS)
@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_a_bad_cursor_is_a_400_with_a_message(supervisor, url, cursor):
    response = api_for(supervisor).get(url, {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert response.json()["error"] == {
        "code": "invalid_cursor",
        "message": "This page link is no longer valid. Start again from the first page.",
    }


def test_the_message_is_in_chinese_by_default(supervisor):
    response = api_for(supervisor, "zh-hans").get("/api/v1/cases/", {"cursor": b64("p=abc")})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "该分页链接已失效，请从第一页重新查看。"


def test_good_cursors_still_page_through_every_case(supervisor, tree, category, departments):
    cases = [case_in(Status.SUBMITTED, grid=tree.grid_a, category=category) for _n in range(30)]
    client = api_for(supervisor)
    seen, url = [], "/api/v1/cases/"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        seen += [row["tracking_number"] for row in response.json()["results"]]
        url = response.json()["next"]
    assert sorted(seen) == sorted(c.tracking_number for c in cases)
    # Positions beyond any id (newest first: after the largest, after the smallest) are pages, not errors.
    first = client.get("/api/v1/cases/", {"cursor": b64("p=99999999999999999999999")})
    assert first.status_code == 200 and len(first.json()["results"]) == 25
    beyond = client.get("/api/v1/cases/", {"cursor": b64("p=-99999999999999999999999")})
    assert beyond.status_code == 200 and beyond.json()["results"] == []


def test_a_petition_cursor_with_a_date_out_of_range_is_a_400(make_staff, tree, category):
    bureau = DepartmentFactory(name="西湖区信访局", kind=DepartmentKind.PETITIONS_BUREAU, area=tree.county)
    clerk = make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=bureau)
    petition_services.petition_register(
        actor=Actor.for_user(clerk),
        form=Form.VISIT,
        matter="村里征地补偿款一直没有发放到位，多次找村委会都没有结果，请求尽快发放补偿款。",
        area=tree.village_a,
        category=category,
        receiving_office=bureau,
        petitioners=[{"name": "王五", "phone": "13600136000", "id_number": "", "address": ""}],
    )
    client = api_for(clerk)
    assert client.get("/api/v1/petitions/").status_code == 200
    for key in ([0, "0001-01-01T00:00:00+08:00", 1], [0, "2026-01-01T00:00:00", 1]):
        cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()
        response = client.get("/api/v1/petitions/", {"cursor": cursor})
        assert response.status_code == 400, response.content
        assert response.json()["error"]["fields"]["cursor"] == ["Invalid cursor."]
