"""抽查: supervisors draw closed cases of their area and period at random and record what they found."""

from datetime import date, datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from disputes.models import CaseEvent, SpotCheck
from disputes.rules.enums import EventKind, Status
from disputes.selectors import callback_spot_check_sample
from disputes.services import spot_check_record
from grids.models import Role
from tests.disputes.cases import case_in

TZ = ZoneInfo("Asia/Shanghai")
SINCE, UNTIL = date(2026, 2, 1), date(2026, 2, 28)


def closed_on(day: date, *, tree, category, departments, grid=None, status=Status.CLOSED, hour=12):
    at = datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ)
    return case_in(status, grid=grid or tree.grid_a, category=category, department=departments["a"], closed_at=at)


@pytest.fixture
def history(tree, category, departments):
    """Closed cases of township A in February (first and last minute included), and cases that must never be drawn."""
    make = {"tree": tree, "category": category, "departments": departments}
    inside = [closed_on(date(2026, 2, d), **make) for d in (1, 5, 10, 15, 20)]
    inside.append(closed_on(date(2026, 2, 28), hour=23, **make))
    outside = [
        closed_on(date(2026, 1, 31), hour=23, **make),  # the day before the period
        closed_on(date(2026, 3, 1), hour=0, **make),  # the day after
        closed_on(date(2026, 2, 10), grid=tree.grid_b, **make),  # another township
        closed_on(date(2026, 2, 10), status=Status.WITHDRAWN, **make),  # withdrawn, not closed
        case_in(Status.AWAITING_CALLBACK, grid=tree.grid_a, category=category, department=departments["a"]),
    ]
    return {"inside": inside, "outside": outside}


def test_the_sample_holds_only_closed_cases_of_the_area_and_period(history, staff_a):
    sample = callback_spot_check_sample(user=staff_a[Role.SUPERVISOR], since=SINCE, until=UNTIL, size=50)
    assert {c.pk for c in sample} == {c.pk for c in history["inside"]}


def test_the_sample_is_drawn_at_random_by_the_database(history, staff_a):
    with CaptureQueriesContext(connection) as ctx:
        sample = callback_spot_check_sample(user=staff_a[Role.SUPERVISOR], since=SINCE, until=UNTIL, size=3)
    assert len(sample) == 3 and {c.pk for c in sample} <= {c.pk for c in history["inside"]}
    draw = ctx.captured_queries[0]["sql"].upper()
    # RANDOM() on PostgreSQL, RAND() (Django's function) on SQLite.
    assert "ORDER BY RAND" in draw and "LIMIT 3" in draw
    draws = {
        frozenset(
            c.pk for c in callback_spot_check_sample(user=staff_a[Role.SUPERVISOR], since=SINCE, until=UNTIL, size=3)
        )
        for _n in range(30)
    }
    assert len(draws) > 1, "30 draws of 3 from 6 all alike: not random"


@pytest.mark.parametrize("role", [Role.CALLBACK_CALLER, Role.MEDIATOR, Role.DISPATCHER])
def test_only_supervisors_and_admins_draw(history, staff_a, role):
    with pytest.raises(PermissionDeniedError):
        callback_spot_check_sample(user=staff_a[role], since=SINCE, until=UNTIL, size=5)


@pytest.mark.parametrize(("since", "until", "size"), [(UNTIL, SINCE, 5), (SINCE, UNTIL, 0), (SINCE, UNTIL, 51)])
def test_a_bad_period_or_size_is_refused(history, staff_a, since, until, size):
    with pytest.raises(ApplicationError):
        callback_spot_check_sample(user=staff_a[Role.SUPERVISOR], since=since, until=until, size=size)


def test_a_check_is_recorded_with_its_event(history, staff_a):
    case = history["inside"][0]
    supervisor = staff_a[Role.SUPERVISOR]
    check = spot_check_record(dispute=case, actor=Actor.for_user(supervisor), result="problem", remarks="协议未签字")
    assert (check.result, check.remarks, check.checked_by) == ("problem", "协议未签字", supervisor)
    event = case.events.get(kind=EventKind.SPOT_CHECK)
    assert (event.data, event.reason, event.actor, event.is_public) == (
        {"result": "problem", "spot_check": check.pk},
        "协议未签字",
        supervisor,
        False,
    )


def test_a_problem_needs_remarks_and_only_closed_cases_in_the_area_are_checked(history, staff_a, make_staff, tree):
    supervisor = Actor.for_user(staff_a[Role.SUPERVISOR])
    with pytest.raises(ApplicationError) as no_remarks:
        spot_check_record(dispute=history["inside"][0], actor=supervisor, result="problem")
    with pytest.raises(ApplicationError) as open_case:
        spot_check_record(dispute=history["outside"][-1], actor=supervisor, result="confirmed")
    with pytest.raises(NotFoundError):
        spot_check_record(dispute=history["outside"][2], actor=supervisor, result="confirmed")
    with pytest.raises(PermissionDeniedError):
        spot_check_record(
            dispute=history["inside"][0], actor=Actor.for_user(staff_a[Role.CALLBACK_CALLER]), result="confirmed"
        )
    assert (no_remarks.value.code, open_case.value.code) == ("remarks_required", "not_closed")
    assert not SpotCheck.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.SPOT_CHECK).exists()


# --- The page -------------------------------------------------------------------------------------


def test_the_page_draws_a_sample_and_records_a_check(client, history, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    drawn = client.get("/en/work/spot-checks/", {"since": SINCE.isoformat(), "until": UNTIL.isoformat(), "size": 4})
    assert drawn.status_code == 302
    numbers = parse_qs(urlparse(drawn["Location"]).query)["cases"][0].split(",")
    assert len(numbers) == 4 and set(numbers) <= {c.tracking_number for c in history["inside"]}
    page = client.get(drawn["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    for number in numbers:
        assert f'id="case-{number}"' in html
    # Each row's fields have their own ids.
    assert html.count(f'id="id_c{numbers[0]}-result_0"') == 1

    recorded = client.post(
        drawn["Location"], {"case": numbers[0], f"c{numbers[0]}-result": "confirmed", f"c{numbers[0]}-remarks": ""}
    )
    assert recorded.status_code == 302
    assert recorded["Location"].endswith(f"#case-{numbers[0]}") and "cases=" in recorded["Location"]
    check = SpotCheck.objects.get()
    assert (check.dispute.tracking_number, check.result) == (numbers[0], "confirmed")
    assert "Confirmed" in client.get(drawn["Location"]).content.decode()


def test_the_page_shows_a_missing_remark_beside_the_field(client, history, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    number = history["inside"][0].tracking_number
    url = f"/en/work/spot-checks/?since={SINCE}&until={UNTIL}&size=1&cases={number}"
    response = client.post(url, {"case": number, f"c{number}-result": "problem"})
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_c{number}-remarks_error"' in html and "Say what the problem is." in html
    assert not SpotCheck.objects.exists()


def test_the_page_refuses_other_roles_and_hides_other_areas(client, history, staff_a):
    client.force_login(staff_a[Role.CALLBACK_CALLER])
    assert client.get("/work/spot-checks/").status_code == 403
    client.force_login(staff_a[Role.SUPERVISOR])
    elsewhere = history["outside"][2].tracking_number
    response = client.get(f"/en/work/spot-checks/?since={SINCE}&until={UNTIL}&size=1&cases={elsewhere}")
    assert f'id="case-{elsewhere}"' not in response.content.decode()
    assert (
        client.post("/work/spot-checks/", {"case": elsewhere, f"c{elsewhere}-result": "confirmed"}).status_code == 404
    )


# --- The API --------------------------------------------------------------------------------------


def test_the_api_samples_and_records(history, staff_a):
    api = APIClient()
    api.force_login(staff_a[Role.SUPERVISOR])
    response = api.get("/api/v1/spot-checks/sample/", {"since": SINCE, "until": UNTIL, "size": 50})
    assert response.status_code == 200
    assert {r["tracking_number"] for r in response.json()} == {c.tracking_number for c in history["inside"]}
    number = history["inside"][1].tracking_number
    created = api.post("/api/v1/spot-checks/", {"tracking_number": number, "result": "confirmed"}, format="json")
    assert created.status_code == 201 and created.json()["tracking_number"] == number
    refused = api.post("/api/v1/spot-checks/", {"tracking_number": number, "result": "problem"}, format="json")
    assert refused.status_code == 400 and "remarks" in refused.json()["error"]["fields"]
    bad_period = api.get("/api/v1/spot-checks/sample/", {"since": UNTIL, "until": SINCE})
    assert bad_period.status_code == 400
    assert SpotCheck.objects.count() == 1


def test_the_api_refuses_a_caller(history, staff_a):
    api = APIClient()
    api.force_login(staff_a[Role.CALLBACK_CALLER])
    assert api.get("/api/v1/spot-checks/sample/", {"since": SINCE, "until": UNTIL}).status_code == 403


# --- Dates out of range (the year 1, the year 9999) -------------------------------------------------------

OUT_OF_RANGE = [
    # The example: midnight of 0001-01-01 in Beijing is in the year 0 in UTC.
    (date(1, 1, 1), date(1, 5, 1), "since"),
    # The end of 9999-12-31 is the first moment of the year 10000.
    (date(9999, 1, 1), date(9999, 12, 31), "since"),
    (SINCE, date(9999, 12, 31), "until"),
]
RANGE_MESSAGE = "Dates must be between the years 1900 and 2999."


@pytest.mark.parametrize(("since", "until", "field"), OUT_OF_RANGE)
def test_the_service_refuses_dates_out_of_range(history, staff_a, since, until, field):
    with pytest.raises(ApplicationError) as refused:
        callback_spot_check_sample(user=staff_a[Role.SUPERVISOR], since=since, until=until, size=5)
    assert (refused.value.code, refused.value.extra) == ("period_invalid", {"field": field})


@pytest.mark.parametrize(("since", "until", "field"), OUT_OF_RANGE)
def test_the_api_answers_dates_out_of_range_with_a_400(history, staff_a, since, until, field):
    api = APIClient(headers={"accept-language": "en"})
    api.force_login(staff_a[Role.SUPERVISOR])
    response = api.get("/api/v1/spot-checks/sample/", {"since": since.isoformat(), "until": until.isoformat()})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "period_invalid"
    assert response.json()["error"]["message"] == RANGE_MESSAGE
    chinese = APIClient()
    chinese.force_login(staff_a[Role.SUPERVISOR])
    response = chinese.get("/api/v1/spot-checks/sample/", {"since": since.isoformat(), "until": until.isoformat()})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "日期须在1900年至2999年之间。"


def test_the_page_shows_dates_out_of_range_beside_the_field(client, history, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    response = client.get("/en/work/spot-checks/", {"since": "0001-01-01", "until": "0001-05-01", "size": 5})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_since_error"' in html and RANGE_MESSAGE in html
