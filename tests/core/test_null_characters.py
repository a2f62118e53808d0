"""A NUL character in the address is refused with 400, never a 500 from the database (found by the API fuzz test)."""

import pytest
from django.test import Client
from django.utils import translation

from grids.models import Role


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/public/areas/?parent=%00",
        "/api/v1/public/areas/?parent=360100&x%00=1",
        "/api/v1/cases/?status=%00",
        "/api/v1/cases/AB%00CD/",
    ],
)
def test_the_api_refuses_a_nul_with_its_error_shape(url, staff_a):
    client = Client()
    client.force_login(staff_a[Role.DISPATCHER])
    answer = client.get(url, headers={"accept-language": "en"})
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"
    with translation.override("en"):
        expected = translation.gettext("The address contains a character that is not allowed.")
    assert answer.json() == {"error": {"code": "invalid", "message": expected}}


@pytest.mark.parametrize(
    "url",
    ["/open311/v2/requests.json?service_request_id=%00", "/places/?q=%00", "/submit/?place=%00", "/track/%00/"],
)
def test_pages_and_open311_refuse_a_nul(url, staff_a, tree):
    client = Client()
    client.force_login(staff_a[Role.SUPERVISOR])
    assert client.get(url).status_code == 400


def test_an_ordinary_query_still_works(client, tree):
    assert client.get(f"/api/v1/public/areas/?parent={tree.city.code}").status_code == 200
