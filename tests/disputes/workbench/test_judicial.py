"""司法确认: the parties apply to a court within 30 days of the signed agreement taking effect (People's
Mediation Law art. 33); the mediator records the application and the court's ruling. Service, page, API."""

from datetime import date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation
from rest_framework.test import APIClient

from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from disputes import services
from disputes.models import Agreement, CaseEvent, Deadline, JudicialConfirmation
from disputes.rules.enums import DeadlineKind, EventKind, Outcome, Status
from grids.models import Role
from tests.disputes.workbench.casepage import AGREEMENT_VALUES, action_url, case_url, client_for

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=TZ)
EFFECTIVE = date(2026, 12, 1)
LAST_DAY = date(2026, 12, 31)  # 30 days after 1 December
COURT = "南昌市东湖区人民法院"
RULING = "(2026)赣0103民特123号"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def handler(mediator):
    return Actor.for_user(mediator)


@pytest.fixture
def reported(clock, make_case, handler):
    """Reported back by agreement, signed on 30 November, in effect from 1 December."""
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=AGREEMENT_VALUES)
    services.dispute_report_back(
        dispute=case,
        actor=handler,
        outcome=Outcome.AGREEMENT,
        signed_on=date(2026, 11, 30),
        effective_on=EFFECTIVE,
    )
    case.refresh_from_db()
    return case


def apply(case, actor, **kw):
    return services.judicial_apply(dispute=case, actor=actor, **{"applied_on": date(2026, 12, 2), "court": COURT, **kw})


def decide(case, actor, **kw):
    values = {"result": "confirmed", "ruling_number": RULING, "decided_on": date(2026, 12, 3), **kw}
    return services.judicial_decide(dispute=case, actor=actor, **values)


def test_the_window_deadline_counts_from_the_effective_date(reported):
    window = Deadline.objects.open().get(dispute=reported, kind=DeadlineKind.JUDICIAL_CONFIRMATION)
    assert window.due_at == datetime(2027, 1, 1, 0, 0, tzinfo=TZ)  # the end of 31 December


def test_applying_records_the_application_and_finishes_the_window(reported, handler, mediator):
    application = apply(reported, handler)
    assert (application.applied_on, application.court, application.result) == (date(2026, 12, 2), COURT, "pending")
    assert application.area_path == reported.area_path and application.recorded_by == mediator
    assert application.agreement_version == Agreement.objects.get(dispute=reported).signed_version
    assert not Deadline.objects.open().filter(dispute=reported, kind=DeadlineKind.JUDICIAL_CONFIRMATION).exists()
    event = CaseEvent.objects.get(dispute=reported, kind=EventKind.JUDICIAL_APPLIED)
    assert event.data == {"judicial": application.pk, "version": 1, "applied_on": "2026-12-02", "court": COURT}

    decided = decide(reported, handler)
    assert (decided.result, decided.ruling_number, decided.decided_on) == ("confirmed", RULING, date(2026, 12, 3))
    event = CaseEvent.objects.get(dispute=reported, kind=EventKind.JUDICIAL_DECIDED)
    assert event.data["result"] == "confirmed" and event.data["ruling_number"] == RULING
    # Confirmed: no second application.
    with pytest.raises(ConflictError) as caught:
        apply(reported, handler)
    assert caught.value.code == "judicial_confirmed"


def test_after_a_rejection_the_parties_may_apply_again_within_the_window(reported, handler):
    apply(reported, handler)
    decide(reported, handler, result="rejected")
    again = apply(reported, handler, applied_on=date(2026, 12, 3), court="南昌市中级人民法院")
    assert again.result == "pending"
    assert JudicialConfirmation.objects.filter(dispute=reported).count() == 2


def test_one_application_at_a_time(reported, handler):
    apply(reported, handler)
    with translation.override("en"), pytest.raises(ConflictError) as caught:
        apply(reported, handler)
    assert caught.value.code == "judicial_pending"
    assert str(caught.value.message) == "An application for judicial confirmation already awaits the court's decision."
    with translation.override("zh-hans"), pytest.raises(ConflictError) as caught:
        apply(reported, handler)
    assert str(caught.value.message) == "已有一份司法确认申请在等待法院裁定。"


def test_the_last_day_of_the_window_is_taken_and_the_next_is_refused(reported, handler, clock):
    clock.move_to(datetime(2027, 1, 5, 9, 0, tzinfo=TZ))
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        apply(reported, handler, applied_on=date(2027, 1, 1))
    assert caught.value.code == "judicial_window_passed"
    assert str(caught.value.message) == (
        "The parties must apply within 30 days of the agreement taking effect (by 2026-12-31): "
        "the court no longer takes this application."
    )
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as caught:
        apply(reported, handler, applied_on=date(2027, 1, 1))
    assert str(caught.value.message) == (
        "当事人应当自调解协议生效之日起30日内申请（至2026-12-31）：法院不再受理此申请。"
    )
    assert apply(reported, handler, applied_on=LAST_DAY).applied_on == LAST_DAY


@pytest.mark.parametrize(
    ("kw", "code", "english", "chinese"),
    [
        (
            {"applied_on": date(2026, 11, 30)},
            "applied_before_effective",
            "The parties cannot apply before the agreement takes effect (2026-12-01).",
            "调解协议生效（2026-12-01）之前不能申请。",
        ),
        (
            {"applied_on": date(2026, 12, 4)},
            "applied_on_future",
            "The date of the application cannot be in the future.",
            "申请日期不能晚于今天。",
        ),
        ({"applied_on": None}, "applied_on_required", "Give the date of the application.", "请填写申请日期。"),
        ({"court": "  "}, "court_required", "Name the court applied to.", "请填写受理申请的法院。"),
    ],
)
def test_application_refusals(reported, handler, kw, code, english, chinese):
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        apply(reported, handler, **kw)
    assert (caught.value.code, str(caught.value.message)) == (code, english)
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as caught:
        apply(reported, handler, **kw)
    assert str(caught.value.message) == chinese
    assert not JudicialConfirmation.objects.exists()


def test_no_application_without_a_reported_signed_agreement(clock, make_case, handler):
    handled = make_case(Status.IN_MEDIATION)
    with pytest.raises(ApplicationError) as caught:
        apply(handled, handler)
    assert caught.value.code == "wrong_state"
    # Reported back by agreement, but its signing was never recorded (an agreement from before versions).
    unsigned = make_case(Status.AWAITING_CALLBACK)
    Agreement.objects.filter(dispute=unsigned).update(signed_version=None)
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        apply(unsigned, handler)
    assert caught.value.code == "agreement_not_signed"
    assert str(caught.value.message) == "Record the signing of the agreement before its judicial confirmation."


def test_only_the_handlers_record_it(reported, staff_a):
    for role in (Role.DISPATCHER, Role.CALLBACK_CALLER):
        with pytest.raises(PermissionDeniedError):
            apply(reported, Actor.for_user(staff_a[role]))
    assert apply(reported, Actor.for_user(staff_a[Role.DEPARTMENT_STAFF])).result == "pending"


@pytest.mark.parametrize(
    ("kw", "code", "english", "chinese"),
    [
        (
            {"result": "maybe"},
            "result_required",
            "Say whether the court confirmed the agreement.",
            "请选择法院是否确认了调解协议。",
        ),
        (
            {"ruling_number": ""},
            "ruling_required",
            "Give the number of the court's ruling.",
            "请填写法院裁定书的文号。",
        ),
        (
            {"ruling_number": "123"},
            "ruling_invalid",
            "A ruling number has between 4 and 60 characters.",
            "裁定书文号应为4至60个字符。",
        ),
        (
            {"decided_on": date(2026, 12, 1)},
            "decided_before_applied",
            "The court cannot have ruled before the application (2026-12-02).",
            "法院裁定日期不能早于申请日期（2026-12-02）。",
        ),
        (
            {"decided_on": date(2026, 12, 4)},
            "decided_on_future",
            "The date of the ruling cannot be in the future.",
            "裁定日期不能晚于今天。",
        ),
    ],
)
def test_decision_refusals(reported, handler, kw, code, english, chinese):
    apply(reported, handler)
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        decide(reported, handler, **kw)
    assert (caught.value.code, str(caught.value.message)) == (code, english)
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as caught:
        decide(reported, handler, **kw)
    assert str(caught.value.message) == chinese
    assert JudicialConfirmation.objects.get(dispute=reported).result == "pending"


def test_no_decision_without_a_pending_application(reported, handler):
    with pytest.raises(ApplicationError) as caught:
        decide(reported, handler)
    assert caught.value.code == "judicial_none_pending"


# --- The case page ---------------------------------------------------------------------------------------


def test_the_page_offers_apply_then_decide_and_shows_the_panel(reported, mediator):
    client = client_for(mediator)
    with translation.override("en"):
        page = case_url(reported)
        html = unescape(client.get(page).content.decode())
    assert "Judicial confirmation" in html
    assert "28 days left to apply (until 31 December 2026)." in html
    assert 'data-action="judicial_apply"' in html and 'data-action="judicial_decide"' not in html

    refused = client.post(
        "/en" + action_url(reported, "judicial_apply"),
        {"judicial_apply-applied_on": "2026-11-20", "judicial_apply-court": COURT},
    )
    assert refused.status_code == 400
    assert "The parties cannot apply before the agreement takes effect (2026-12-01)." in unescape(
        refused.content.decode()
    )
    answer = client.post(
        action_url(reported, "judicial_apply"),
        {"judicial_apply-applied_on": "2026-12-02", "judicial_apply-court": COURT},
    )
    assert answer.status_code == 303
    html = unescape(client.get(page).content.decode())
    assert 'data-judicial-result="pending"' in html and COURT in html
    assert 'data-action="judicial_apply"' not in html and 'data-action="judicial_decide"' in html
    assert "data-days-left" not in html, "no countdown while the application awaits the court"

    answer = client.post(
        action_url(reported, "judicial_decide"),
        {
            "judicial_decide-result": "confirmed",
            "judicial_decide-ruling_number": RULING,
            "judicial_decide-decided_on": "2026-12-03",
        },
    )
    assert answer.status_code == 303
    html = unescape(client.get(page).content.decode())
    assert 'data-judicial-result="confirmed"' in html and RULING in html
    assert 'data-action="judicial_decide"' not in html and 'data-action="judicial_apply"' not in html


def test_the_timeline_names_the_application_and_the_ruling(reported, handler, mediator):
    apply(reported, handler)
    decide(reported, handler)
    with translation.override("en"):
        html = unescape(client_for(mediator).get(case_url(reported)).content.decode())
    assert f"Applied on 2 December 2026 to {COURT}" in html
    assert f"Confirmed by the court: ruling {RULING} of 3 December 2026" in html


# --- The API ----------------------------------------------------------------------------------------------


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_the_api_records_the_application_and_the_ruling(reported, mediator):
    api = api_for(mediator)
    url = f"/api/v1/cases/{reported.tracking_number}/judicial/"
    state = api.get(url).json()
    assert state["window"] == {"effective_on": "2026-12-01", "last_day": "2026-12-31", "days_left": 28}
    assert state["applications"] == []

    refused = api.post(url, {"applied_on": "2026-12-09", "court": COURT}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "applied_on_future")
    answer = api.post(url, {"applied_on": "2026-12-02", "court": COURT}, format="json")
    assert answer.status_code == 201
    body = answer.json()
    assert (body["version"], body["applied_on"], body["court"], body["result"]) == (1, "2026-12-02", COURT, "pending")
    conflict = api.post(url, {"applied_on": "2026-12-02", "court": COURT}, format="json")
    assert (conflict.status_code, conflict.json()["error"]["code"]) == (409, "judicial_pending")

    decision = url + "decision/"
    refused = api.post(
        decision, {"result": "confirmed", "ruling_number": "12", "decided_on": "2026-12-03"}, format="json"
    )
    assert refused.status_code == 400
    answer = api.post(
        decision, {"result": "rejected", "ruling_number": RULING, "decided_on": "2026-12-03"}, format="json"
    )
    assert answer.status_code == 200
    assert (answer.json()["result"], answer.json()["ruling_number"]) == ("rejected", RULING)
    assert [a["result"] for a in api.get(url).json()["applications"]] == ["rejected"]


def test_the_api_hides_other_areas_and_refuses_other_roles(reported, staff_a, make_staff, tree, departments):
    url = f"/api/v1/cases/{reported.tracking_number}/judicial/"
    payload = {"applied_on": "2026-12-02", "court": COURT}
    elsewhere = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"])
    assert api_for(elsewhere).post(url, payload, format="json").status_code == 404
    assert api_for(elsewhere).get(url).status_code == 404
    assert api_for(staff_a[Role.DISPATCHER]).post(url, payload, format="json").status_code == 403
    assert not JudicialConfirmation.objects.exists()


def test_after_a_rejection_the_page_counts_the_days_left_again(reported, handler, mediator):
    apply(reported, handler)
    decide(reported, handler, result="rejected")
    with translation.override("en"):
        html = unescape(client_for(mediator).get(case_url(reported)).content.decode())
    assert 'data-judicial-result="rejected"' in html
    assert "28 days left to apply (until 31 December 2026)." in html
