"""回访 of a case: unanswered calls count towards "unreachable" only when spread; the page and the API say
when the next one would count."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from core.actors import Actor
from disputes.models import CallbackAttempt
from disputes.rules.enums import PartyRole, Status
from disputes.services.callbacks import callback_record_attempt
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
REPORTED = datetime(2026, 12, 8, 9, 0, tzinfo=TZ)


@pytest.fixture
def awaiting(tree, category, departments):
    with time_machine.travel(REPORTED, tick=False):
        case = case_in(Status.AWAITING_CALLBACK, grid=tree.grid_a, category=category, department=departments["a"])
    case.reported_at = REPORTED
    case.save(update_fields=["reported_at"])
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone="13812345678")
    return case


@pytest.fixture
def caller(staff_a):
    return staff_a[Role.CALLBACK_CALLER]


def call_at(case, user, at: datetime, *, reached: bool = False, satisfaction: str = "") -> None:
    with time_machine.travel(at, tick=False):
        callback_record_attempt(dispute=case, actor=Actor.for_user(user), reached=reached, satisfaction=satisfaction)


def page_at(client, user, url: str, at: datetime) -> str:
    """The page as `user` sees it at `at` (signed in then: an idle session is signed out)."""
    with time_machine.travel(at, tick=False):
        client.force_login(user)
        return client.get(url).content.decode()


def api_post_at(user, url: str, payload: dict, at: datetime):
    with time_machine.travel(at, tick=False):
        api = APIClient()
        api.force_login(user)
        return api.post(url, payload, format="json")


def test_the_settings_set_the_spread(awaiting, caller, settings):
    settings.CALLBACK_UNREACHABLE_MIN_DAYS = 1
    settings.CALLBACK_UNREACHABLE_MIN_GAP_HOURS = 1
    for hour in (10, 11, 12):
        call_at(awaiting, caller, REPORTED.replace(hour=hour))
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.callback_result) == (Status.CLOSED, "unreachable")


def test_a_reached_party_still_decides_at_once(awaiting, caller):
    call_at(awaiting, caller, REPORTED.replace(hour=10))
    call_at(awaiting, caller, REPORTED.replace(hour=10, minute=5), reached=True, satisfaction="satisfied")
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.callback_result) == (Status.CLOSED, "satisfied")


def test_the_page_says_when_the_next_unanswered_call_counts(client, awaiting, caller):
    call_at(awaiting, caller, REPORTED.replace(hour=10, minute=30))
    url = f"/en/work/callbacks/{awaiting.tracking_number}/"
    html = page_at(client, caller, url, REPORTED.replace(hour=10, minute=31))
    assert "An unanswered call counts towards “unreachable” only if made after" in html
    assert 'data-next-counting="2026-12-08T14:30:00+08:00"' in html
    assert "1 unanswered call of 3 counts." in html
    # A second call within the four hours is recorded but does not count: the page still says 14:30.
    call_at(awaiting, caller, REPORTED.replace(hour=11))
    html = page_at(client, caller, url, REPORTED.replace(hour=11, minute=1))
    assert 'data-next-counting="2026-12-08T14:30:00+08:00"' in html and "1 unanswered call of 3 counts." in html
    # Two counted on the 8th: the third must be on another day.
    call_at(awaiting, caller, REPORTED.replace(hour=15))
    html = page_at(client, caller, url, REPORTED.replace(hour=15, minute=1))
    assert 'data-next-counting="2026-12-09T00:00:00+08:00"' in html and "2 unanswered calls of 3 count." in html
    # Once that moment has come, a call counts: nothing to say.
    html = page_at(client, caller, url, datetime(2026, 12, 9, 9, 0, tzinfo=TZ))
    assert "data-next-counting" not in html


def test_the_api_answers_when_the_next_unanswered_call_counts(awaiting, caller):
    url = f"/api/v1/callbacks/{awaiting.tracking_number}/attempts/"
    body = api_post_at(caller, url, {"reached": False}, REPORTED.replace(hour=10, minute=30)).json()
    assert body["status"] == Status.AWAITING_CALLBACK
    assert datetime.fromisoformat(body["next_counting_attempt_at"]) == REPORTED.replace(hour=14, minute=30)
    body = api_post_at(caller, url, {"reached": False}, REPORTED.replace(hour=10, minute=31)).json()
    assert datetime.fromisoformat(body["next_counting_attempt_at"]) == REPORTED.replace(hour=14, minute=30)
    answer = api_post_at(
        caller, url, {"reached": True, "satisfaction": "satisfied"}, REPORTED.replace(hour=10, minute=32)
    )
    body = answer.json()
    assert (body["status"], body["next_counting_attempt_at"]) == (Status.CLOSED, None)
    assert CallbackAttempt.objects.filter(dispute=awaiting).count() == 3


def test_three_quick_unanswered_calls_through_the_api_leave_the_case_waiting(awaiting, caller):
    url = f"/api/v1/callbacks/{awaiting.tracking_number}/attempts/"
    for second in range(3):
        assert api_post_at(caller, url, {"reached": False}, REPORTED.replace(hour=10, second=second)).status_code == 201
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.callback_result) == (Status.AWAITING_CALLBACK, "")


def test_the_round_starts_again_after_a_new_report_back(awaiting, caller, staff_a):
    call_at(awaiting, caller, REPORTED.replace(hour=10))
    call_at(awaiting, caller, REPORTED.replace(hour=15))
    # Reported back again the next morning (e.g. after a reopening): the earlier calls are another round's.
    awaiting.reported_at = datetime(2026, 12, 9, 8, 0, tzinfo=TZ)
    awaiting.save(update_fields=["reported_at"])
    call_at(awaiting, caller, datetime(2026, 12, 9, 9, 0, tzinfo=TZ))
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING_CALLBACK
    event = awaiting.events.filter(kind="callback").order_by("-at").first()
    assert (event.data["unanswered"], event.data["counted"]) == (1, 1)
