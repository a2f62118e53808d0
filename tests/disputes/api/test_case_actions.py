"""The staff API for triage and routing actions: colour override, assistance, notes, clocks, parties, dispatch queue."""

import pytest
from rest_framework.test import APIClient

from disputes.models import CaseEvent, Deadline, DisputeAssist
from disputes.rules.enums import Colour, EventKind, Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mediator(staff_a):
    return staff_a[Role.MEDIATOR]


@pytest.fixture
def accepted(tree, category, departments, mediator):
    case = case_in(Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator)
    PartyFactory(dispute=case)
    return case


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def url(case, what: str) -> str:
    return f"/api/v1/cases/{case.tracking_number}/{what}/"


def test_colour_override_needs_a_reason_and_is_on_the_timeline(accepted, mediator):
    client = client_for(mediator)
    refused = client.post(url(accepted, "colour"), {"colour": "red", "reason": ""}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["reason"]

    answer = client.post(url(accepted, "colour"), {"colour": "red", "reason": "对方扬言报复"}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["colour"] == "red"
    assert body["reasons"][-1]["rule"] == "staff_override"
    assert "对方扬言报复" in body["reasons"][-1]["text"]
    event = CaseEvent.objects.get(dispute=accepted, kind=EventKind.COLOUR_OVERRIDE)
    assert (event.data["from_colour"], event.data["colour"], event.reason) == ("white", "red", "对方扬言报复")


def test_callback_caller_may_not_override(accepted, staff_a):
    answer = client_for(staff_a[Role.CALLBACK_CALLER]).post(
        url(accepted, "colour"), {"colour": "red", "reason": "x"}, format="json"
    )
    assert answer.status_code == 403
    accepted.refresh_from_db()
    assert accepted.colour == Colour.WHITE


def test_assistance_brings_another_department_in(accepted, mediator, departments, make_staff, tree):
    other = departments["b"]
    answer = client_for(mediator).post(url(accepted, "assistance"), {"department": other.pk}, format="json")
    assert answer.status_code == 200, answer.content
    assert DisputeAssist.objects.filter(dispute=accepted, department=other).exists()
    # The assisting department's staff (in another township) now see the case and can add a note.
    helper = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_b, department=other)
    helper_client = client_for(helper)
    assert helper_client.get(f"/api/v1/cases/{accepted.tracking_number}/").status_code == 200
    noted = helper_client.post(url(accepted, "notes"), {"text": "已联系对方单位"}, format="json")
    assert noted.status_code == 200
    assert CaseEvent.objects.filter(dispute=accepted, kind=EventKind.NOTE, actor=helper).exists()
    # …but cannot take the handling actions of the lead department.
    refused = helper_client.post(url(accepted, "transitions"), {"action": "start_mediation"}, format="json")
    assert refused.status_code == 403


def test_unknown_department_is_refused(accepted, mediator):
    answer = client_for(mediator).post(url(accepted, "assistance"), {"department": 999999}, format="json")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "unknown_department"


def test_pause_and_resume_the_clock(accepted, mediator):
    client = client_for(mediator)
    paused = client.post(url(accepted, "clock"), {"action": "pause", "reason": "等待伤情鉴定"}, format="json")
    assert paused.status_code == 200, paused.content
    assert paused.json()["next_due_at"] is None
    assert Deadline.objects.get(dispute=accepted).paused_at is not None
    again = client.post(url(accepted, "clock"), {"action": "pause", "reason": "x"}, format="json")
    assert again.json()["error"]["code"] == "nothing_to_pause"
    resumed = client.post(url(accepted, "clock"), {"action": "resume"}, format="json")
    assert resumed.status_code == 200
    assert resumed.json()["next_due_at"] is not None
    assert Deadline.objects.get(dispute=accepted).paused_at is None


def test_adding_a_vulnerable_party_raises_the_colour(accepted, mediator):
    answer = client_for(mediator).post(
        url(accepted, "parties"), {"role": "third_party", "name": "王奶奶", "is_elderly": True}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["colour"] == "yellow"
    assert any(r["rule"] == "vulnerable_party" for r in answer.json()["reasons"])


def test_dispatch_queue_shows_waiting_cases_to_dispatchers_only(tree, category, staff_a, mediator):
    red = case_in(Status.TRIAGED, grid=tree.grid_a, category=category, colour=Colour.RED)
    white = case_in(Status.RETURNED, grid=tree.grid_a, category=category)
    elsewhere = case_in(Status.TRIAGED, grid=tree.grid_b, category=category)
    answer = client_for(staff_a[Role.DISPATCHER]).get("/api/v1/dispatch-queue/")
    assert answer.status_code == 200
    numbers = [row["tracking_number"] for row in answer.json()["results"]]
    assert numbers == [red.tracking_number, white.tracking_number]
    assert elsewhere.tracking_number not in numbers
    assert client_for(mediator).get("/api/v1/dispatch-queue/").json()["results"] == []
