"""Outcomes: the agreement a report-back by agreement needs, the judicial-confirmation window, performance,
the referral numbers for litigation and the police; sessions and the agreement's editing rules; their API."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from disputes import services
from disputes.models import Agreement, CaseEvent, Deadline, Dispute, MediationSession
from disputes.rules.enums import DeadlineKind, EventKind, Outcome, Status
from grids.models import Role
from tests.disputes.workbench.casepage import AGREEMENT_VALUES, action_url, client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
COURT_NUMBER = "（2026）赣0103民初1234号"
POLICE_NUMBER = "洪公刑受字〔2026〕88号"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def handler(mediator):
    return Actor.for_user(mediator)


def snapshot(case):
    return (
        Dispute.objects.filter(pk=case.pk).values().get(),
        list(Deadline.objects.filter(dispute=case).values().order_by("pk")),
        CaseEvent.objects.filter(dispute=case).count(),
        list(Agreement.objects.filter(dispute=case).values()),
    )


# --- resolved by agreement ------------------------------------------------------------------------------


def test_reporting_an_agreement_without_one_is_refused_and_changes_nothing(clock, make_case, handler):
    case = make_case(Status.IN_MEDIATION)
    before = snapshot(case)
    with pytest.raises(ApplicationError) as caught:
        services.dispute_report_back(dispute=case, actor=handler, outcome=Outcome.AGREEMENT)
    assert caught.value.code == "agreement_required"
    assert snapshot(case) == before


def test_the_agreement_opens_the_30_day_judicial_window_and_the_performance_deadline(clock, make_case, handler):
    case = make_case(Status.IN_MEDIATION)
    perform_by = date(2026, 4, 20)
    services.agreement_save(dispute=case, actor=handler, values={**AGREEMENT_VALUES, "perform_by": perform_by})
    case = services.dispute_report_back(dispute=case, actor=handler, outcome=Outcome.AGREEMENT)

    assert case.status == Status.AWAITING_CALLBACK
    judicial = Deadline.objects.open().get(dispute=case, kind=DeadlineKind.JUDICIAL_CONFIRMATION)
    # Signed and in effect on the day of the report-back (1 April): until the end of 1 May (30 days on).
    assert judicial.due_at == datetime(2026, 5, 2, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert settings.JUDICIAL_CONFIRMATION_DAYS == 30
    # The parties' window, not the handler's task: the sweeper's ladder does not run on it.
    assert judicial.escalate_at is None
    performance = Deadline.objects.open().get(dispute=case, kind=DeadlineKind.PERFORMANCE)
    # "Perform by 20 April" lasts until the end of that day.
    assert performance.due_at == datetime(2026, 4, 21, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    event = CaseEvent.objects.get(dispute=case, action="report_back")
    assert event.data["agreement"] == case.agreement.pk

    # 30 days on (2 May, 02:00): the window has passed and the page says so; the sweeper leaves it alone.
    clock.move_to(datetime(2026, 5, 2, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    services.deadlines_sweep(now=timezone.now())
    assert not CaseEvent.objects.filter(
        dispute=case, kind=EventKind.DEADLINE_REMINDER, data__kind="judicial_confirmation"
    )
    assert CaseEvent.objects.filter(dispute=case, kind=EventKind.DEADLINE_REMINDER, data__kind="performance").exists()
    html = client_for(handler.user).get(f"/en/work/case/{case.tracking_number}/").content.decode()
    assert "2 hours overdue" in html


def test_judicial_window_setting_is_used(clock, make_case, handler, settings):
    settings.JUDICIAL_CONFIRMATION_DAYS = 15
    case = make_case(Status.IN_MEDIATION)
    services.agreement_save(dispute=case, actor=handler, values=AGREEMENT_VALUES)
    services.dispute_report_back(dispute=case, actor=handler, outcome=Outcome.AGREEMENT)
    judicial = Deadline.objects.get(dispute=case, kind=DeadlineKind.JUDICIAL_CONFIRMATION)
    assert judicial.due_at == datetime(2026, 4, 17, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert not Deadline.objects.filter(dispute=case, kind=DeadlineKind.PERFORMANCE).exists(), "no date, no deadline"


def test_the_report_back_form_drafts_the_agreement_in_the_same_step(clock, make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    data = {
        "report_back-outcome": Outcome.AGREEMENT,
        "report_back-reason": "双方达成一致",
        "report_back-agreement-facts": "楼上漏水。",
        "report_back-agreement-points_in_dispute": "维修费。",
        "report_back-agreement-terms": "王五赔偿两千元。",
        "report_back-agreement-performance_method": "现金一次付清。",
        "report_back-agreement-perform_by": "2026-04-10",
    }
    answer = client_for(mediator).post(action_url(case, "report_back"), data)
    assert answer.status_code == 303
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.AWAITING_CALLBACK, Outcome.AGREEMENT)
    assert case.agreement.terms == "王五赔偿两千元。" and case.agreement.perform_by == date(2026, 4, 10)
    assert Deadline.objects.open().filter(dispute=case, kind=DeadlineKind.PERFORMANCE).exists()


def test_an_incomplete_agreement_in_the_form_saves_nothing(clock, make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    before = snapshot(case)
    data = {"report_back-outcome": Outcome.AGREEMENT, "report_back-agreement-facts": "楼上漏水。"}
    answer = client_for(mediator).post(action_url(case, "report_back"), data)
    assert answer.status_code == 400
    assert 'id="id_report_back-agreement-terms_error"' in answer.content.decode()
    assert snapshot(case) == before


def test_agreement_rules(clock, make_case, handler, staff_a):
    case = make_case(Status.ACCEPTED)
    assert services.agreement_proposal(case)["facts"] == case.description
    with pytest.raises(ApplicationError) as caught:
        services.agreement_save(dispute=case, actor=handler, values={**AGREEMENT_VALUES, "terms": " "})
    assert caught.value.code == "agreement_incomplete" and caught.value.extra["fields"] == ["terms"]
    with pytest.raises(ApplicationError) as caught:
        services.agreement_save(
            dispute=case, actor=handler, values={**AGREEMENT_VALUES, "perform_by": date(2026, 3, 31)}
        )
    assert caught.value.code == "perform_by_past"
    with pytest.raises(PermissionDeniedError):
        services.agreement_save(dispute=case, actor=Actor.for_user(staff_a[Role.DISPATCHER]), values=AGREEMENT_VALUES)
    with pytest.raises(NotFoundError):
        services.agreement_update(dispute=case, actor=handler, values=AGREEMENT_VALUES)

    agreement = services.agreement_draft(dispute=case, actor=handler, values=AGREEMENT_VALUES)
    assert agreement.drafted_by == handler.user
    with pytest.raises(ConflictError):
        services.agreement_draft(dispute=case, actor=handler, values=AGREEMENT_VALUES)
    services.agreement_update(dispute=case, actor=handler, values={**AGREEMENT_VALUES, "terms": "改为三千元"})
    events = CaseEvent.objects.filter(dispute=case, kind=EventKind.AGREEMENT).order_by("pk")
    assert [(e.data["created"], e.data["changed"]) for e in events] == [
        (True, ["facts", "points_in_dispute", "terms", "performance_method"]),
        (False, ["terms"]),
    ]
    # Saving the same text again is not an event.
    services.agreement_update(dispute=case, actor=handler, values={**AGREEMENT_VALUES, "terms": "改为三千元"})
    assert events.count() == 2

    # The report-back freezes it.
    services.dispute_report_back(dispute=case, actor=handler, outcome=Outcome.AGREEMENT)
    with pytest.raises(ApplicationError) as caught:
        services.agreement_update(dispute=case, actor=handler, values=AGREEMENT_VALUES)
    assert caught.value.code == "wrong_state"
    assert Agreement.objects.get(dispute=case).terms == "改为三千元"


# --- performance --------------------------------------------------------------------------------------


def test_recording_performance_closes_its_deadline(clock, make_case, handler):
    case = make_case(Status.IN_MEDIATION)
    services.agreement_save(dispute=case, actor=handler, values={**AGREEMENT_VALUES, "perform_by": date(2026, 4, 20)})
    with pytest.raises(ApplicationError) as caught:
        services.agreement_record_performance(dispute=case, actor=handler, performance="performed")
    assert caught.value.code == "wrong_state", "not before the report-back"
    services.dispute_report_back(dispute=case, actor=handler, outcome=Outcome.AGREEMENT)

    clock.move_to(NOW + timedelta(days=12))
    agreement = services.agreement_record_performance(
        dispute=case, actor=handler, performance="performed", remarks="已当面付清"
    )
    assert agreement.performance == Agreement.Performance.PERFORMED
    assert agreement.performance_recorded_at == NOW + timedelta(days=12)
    deadline = Deadline.objects.get(dispute=case, kind=DeadlineKind.PERFORMANCE)
    assert deadline.done_at == NOW + timedelta(days=12)
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.PERFORMANCE)
    assert (event.data, event.reason, event.actor) == ({"performance": "performed"}, "已当面付清", handler.user)
    case.refresh_from_db()
    assert case.next_due_at == Deadline.objects.open().order_by("due_at").first().due_at


def test_performance_refusals(clock, make_case, handler, staff_a):
    case = make_case(Status.AWAITING_CALLBACK)  # reported back with an agreement (casepage adds it)
    with pytest.raises(ApplicationError) as caught:
        services.agreement_record_performance(dispute=case, actor=handler, performance="pending")
    assert caught.value.code == "performance_required"
    with pytest.raises(PermissionDeniedError):
        services.agreement_record_performance(
            dispute=case, actor=Actor.for_user(staff_a[Role.CALLBACK_CALLER]), performance="performed"
        )
    other = make_case(Status.AWAITING_CALLBACK, outcome=Outcome.RESOLVED_OTHERWISE)
    with pytest.raises(ApplicationError) as caught:
        services.agreement_record_performance(dispute=other, actor=handler, performance="performed")
    assert caught.value.code == "wrong_state"
    answer = client_for(handler.user).post(
        action_url(case, "performance"), {"performance-performance": "not_performed", "performance-remarks": "拒付"}
    )
    assert answer.status_code == 303
    case.agreement.refresh_from_db()
    assert case.agreement.performance == Agreement.Performance.NOT_PERFORMED


# --- litigation and the police -----------------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "number"), [(Outcome.LITIGATION, COURT_NUMBER), (Outcome.POLICE, POLICE_NUMBER)])
def test_referrals_need_their_number(clock, make_case, handler, outcome, number):
    case = make_case(Status.IN_MEDIATION)
    before = snapshot(case)
    for bad, code in (
        ("", "referral_required"),
        ("   ", "referral_required"),
        ("12", "referral_invalid"),
        ("号" * 61, "referral_invalid"),
    ):
        with pytest.raises(ApplicationError) as caught:
            services.dispute_report_back(dispute=case, actor=handler, outcome=outcome, referral_reference=bad)
        assert caught.value.code == code, bad
        assert snapshot(case) == before
    case = services.dispute_report_back(dispute=case, actor=handler, outcome=outcome, referral_reference=f" {number} ")
    assert (case.outcome, case.referral_reference) == (outcome, number)
    assert CaseEvent.objects.get(dispute=case, action="report_back").data["referral_reference"] == number
    assert not Deadline.objects.filter(dispute=case, kind=DeadlineKind.JUDICIAL_CONFIRMATION).exists()


def test_the_form_puts_a_missing_court_number_beside_its_field(clock, make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    answer = client_for(mediator).post(action_url(case, "report_back"), {"report_back-outcome": Outcome.LITIGATION})
    assert answer.status_code == 400
    assert 'id="id_report_back-referral_reference_error"' in answer.content.decode()
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION


def test_the_transitions_api_takes_the_referral_number(clock, make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    api = APIClient()
    api.force_login(mediator)
    url = f"/api/v1/cases/{case.tracking_number}/transitions/"
    refused = api.post(url, {"action": "report_back", "outcome": "police"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "referral_required"
    answer = api.post(
        url, {"action": "report_back", "outcome": "police", "referral_reference": POLICE_NUMBER}, format="json"
    )
    assert answer.status_code == 200, answer.content
    case.refresh_from_db()
    assert case.referral_reference == POLICE_NUMBER


def test_a_reopened_case_reported_again_replaces_the_agreement_deadlines(clock, make_case, handler, staff_a):
    case = make_case(Status.IN_MEDIATION)
    services.agreement_save(dispute=case, actor=handler, values={**AGREEMENT_VALUES, "perform_by": date(2026, 4, 20)})
    services.dispute_report_back(dispute=case, actor=handler, outcome=Outcome.AGREEMENT)
    services.dispute_transition(
        dispute=case, action="reopen", actor=Actor.for_user(staff_a[Role.SUPERVISOR]), reason="未履行"
    )
    services.dispute_transition(dispute=case, action="resume", actor=handler)
    services.dispute_report_back(
        dispute=case, actor=handler, outcome=Outcome.LITIGATION, referral_reference=COURT_NUMBER
    )
    kinds = (DeadlineKind.JUDICIAL_CONFIRMATION, DeadlineKind.PERFORMANCE)
    assert not Deadline.objects.open().filter(dispute=case, kind__in=kinds).exists()
    assert Deadline.objects.filter(dispute=case, kind__in=kinds, cancelled_at=NOW).count() == 2


# --- sessions -----------------------------------------------------------------------------------------------


def test_a_session_on_an_accepted_case_starts_mediation(clock, make_case, handler):
    case = make_case(Status.ACCEPTED)
    session = services.session_record(
        dispute=case,
        actor=handler,
        held_at=NOW - timedelta(hours=1),
        place="调解室",
        attendees="李四、王五",
        notes="初步沟通",
    )
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION
    events = list(CaseEvent.objects.filter(dispute=case).order_by("pk").values_list("kind", "action"))
    assert events == [(EventKind.TRANSITION, "start_mediation"), (EventKind.SESSION, "")]
    assert CaseEvent.objects.get(dispute=case, kind=EventKind.SESSION).data["session"] == session.pk


@pytest.mark.parametrize(
    ("status", "role", "held", "code"),
    [
        (Status.DISPATCHED, Role.MEDIATOR, -1, "wrong_state"),
        (Status.AWAITING_CALLBACK, Role.MEDIATOR, -1, "wrong_state"),
        (Status.IN_MEDIATION, Role.DISPATCHER, -1, "wrong_role"),
        (Status.IN_MEDIATION, Role.MEDIATOR, +2, "future_session"),
        # Before the case was registered (the fuzz test once stored a session "held" in the year 476).
        (Status.IN_MEDIATION, Role.MEDIATOR, -24 * 3, "session_before_case"),
        (Status.IN_MEDIATION, Role.MEDIATOR, -24 * 365 * 1550, "session_before_case"),
    ],
)
def test_session_refusals(clock, make_case, staff_a, status, role, held, code):
    case = make_case(status)
    with pytest.raises(ApplicationError) as caught, transaction.atomic():
        services.session_record(
            dispute=case,
            actor=Actor.for_user(staff_a[role]),
            held_at=NOW + timedelta(hours=held),
            place="调解室",
            attendees="双方",
        )
    assert caught.value.code == code
    assert not MediationSession.objects.exists()


# --- the API ------------------------------------------------------------------------------------------------


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_sessions_agreement_and_performance_api(clock, make_case, mediator):
    case = make_case(Status.ACCEPTED)
    api = api_for(mediator)
    base = f"/api/v1/cases/{case.tracking_number}"
    answer = api.post(
        f"{base}/sessions/",
        {"held_at": (NOW - timedelta(hours=1)).isoformat(), "place": "调解室", "attendees": "双方"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert api.get(f"{base}/sessions/").json()[0]["place"] == "调解室"
    assert api.get(f"{base}/agreement/").status_code == 404
    body = {**AGREEMENT_VALUES, "perform_by": "2026-04-30"}
    created = api.put(f"{base}/agreement/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["performance"] == "pending"
    changed = api.put(f"{base}/agreement/", {**body, "terms": "赔偿三千元"}, format="json")
    assert changed.status_code == 200 and changed.json()["terms"] == "赔偿三千元"
    incomplete = api.put(f"{base}/agreement/", {**body, "terms": ""}, format="json")
    assert incomplete.status_code == 400
    transition = api.post(f"{base}/transitions/", {"action": "report_back", "outcome": "agreement"}, format="json")
    assert transition.status_code == 200
    done = api.post(f"{base}/agreement/performance/", {"performance": "performed"}, format="json")
    assert done.status_code == 200 and done.json()["performance"] == "performed"
    assert api.post(f"{base}/agreement/performance/", {"performance": "pending"}, format="json").status_code == 400


def test_the_api_is_limited_to_the_jurisdiction(clock, make_case, make_staff, tree, departments):
    case = make_case(Status.IN_MEDIATION)
    outsider = api_for(make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"]))
    base = f"/api/v1/cases/{case.tracking_number}"
    assert outsider.get(f"{base}/sessions/").status_code == 404
    assert outsider.put(f"{base}/agreement/", AGREEMENT_VALUES, format="json").status_code == 404
    assert (
        outsider.post(f"{base}/agreement/performance/", {"performance": "performed"}, format="json").status_code == 404
    )
    assert not Agreement.objects.exists()
