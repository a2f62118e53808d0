"""回访 by a caller: each attempt's outcome, the logic shared with the resident's rating, refusals, the 7-day clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from core.actors import Actor
from core.casework.callbacks import Satisfaction
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.models import Notification
from disputes import selectors, services
from disputes.callbacks import callback_reason_text
from disputes.models import CallbackAttempt, CaseEvent, Deadline
from disputes.rules.enums import DeadlineKind, EventKind, Outcome, PartyRole, Status
from disputes.services import callbacks as callback_services
from disputes.services.callbacks import callback_record_attempt, callback_record_resident_rating
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

PHONE = "13800138000"


@pytest.fixture
def awaiting(tree, category, departments, staff_a):
    case = case_in(
        Status.AWAITING_CALLBACK,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
    )
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone=PHONE)
    PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="王五", phone="13700137000")
    return case


@pytest.fixture
def caller(staff_a):
    return Actor.for_user(staff_a[Role.CALLBACK_CALLER])


def sms_kinds(case) -> list[str]:
    return list(
        Notification.objects.filter(dispute_id=case.pk, channel="sms").order_by("pk").values_list("kind", flat=True)
    )


# --- Each outcome of an attempt -------------------------------------------------------------------


def test_an_unanswered_call_is_counted_and_the_case_keeps_waiting(awaiting, caller, staff_a):
    attempt = callback_record_attempt(dispute=awaiting, actor=caller, reached=False, remarks="无人接听")
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING_CALLBACK
    assert awaiting.callback_result == ""
    assert (attempt.reached, attempt.satisfaction, attempt.caller, attempt.source) == (
        False,
        "",
        staff_a[Role.CALLBACK_CALLER],
        CallbackAttempt.Source.CALLER,
    )
    event = awaiting.events.get(kind=EventKind.CALLBACK)
    assert event.data == {
        "source": "caller",
        "reached": False,
        "satisfaction": "",
        "attempt": attempt.pk,
        "party": attempt.party_id,  # no party named: the first applicant
        "unanswered": 1,
        "counted": 1,
    }
    assert attempt.party == awaiting.parties.filter(role="applicant").order_by("pk").first()
    assert (event.actor, event.actor_role, event.reason) == (
        staff_a[Role.CALLBACK_CALLER],
        Role.CALLBACK_CALLER,
        "无人接听",
    )
    assert Deadline.objects.open().filter(dispute=awaiting, kind=DeadlineKind.CALLBACK).exists()


# Unanswered calls count only when spread (hours apart, over two days): 10:00, 15:00, the next day 10:00.
SPREAD = (timedelta(hours=1), timedelta(hours=6), timedelta(days=1, hours=1))


def spread_calls(case, caller, offsets=SPREAD):
    """Unanswered calls at `offsets` after the case's report-back (its callback round's start)."""
    for offset in offsets:
        with time_machine.travel(case.reported_at + offset, tick=False):
            callback_record_attempt(dispute=case, actor=caller, reached=False)


@pytest.fixture
def awaiting_at_nine(awaiting):
    """The case reported back at 09:00 local time, so the spread calls fall at known hours."""
    awaiting.reported_at = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    awaiting.save(update_fields=["reported_at"])
    return awaiting


def test_the_third_unanswered_call_closes_the_case_as_unreachable(awaiting_at_nine, caller):
    awaiting = awaiting_at_nine
    spread_calls(awaiting, caller, SPREAD[:2])
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING_CALLBACK
    spread_calls(awaiting, caller, SPREAD[2:])
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.callback_result) == (Status.CLOSED, "unreachable")
    assert awaiting.closed_at is not None
    close = awaiting.events.get(action="close")
    assert (close.reason, close.actor_role, close.data) == (
        "callback_unreachable",
        Role.CALLBACK_CALLER,
        {"callback_result": "unreachable"},
    )
    assert not Deadline.objects.open().filter(dispute=awaiting, kind=DeadlineKind.CALLBACK).exists()
    assert [e.data["counted"] for e in awaiting.events.filter(kind=EventKind.CALLBACK)] == [1, 2, 3]
    assert "callback_thanks" not in sms_kinds(awaiting)


def test_three_unanswered_calls_in_the_same_minute_count_once(awaiting_at_nine, caller):
    spread_calls(awaiting_at_nine, caller, [timedelta(hours=1, seconds=n) for n in range(3)])
    awaiting_at_nine.refresh_from_db()
    assert (awaiting_at_nine.status, awaiting_at_nine.callback_result) == (Status.AWAITING_CALLBACK, "")
    events = awaiting_at_nine.events.filter(kind=EventKind.CALLBACK).order_by("at", "pk")
    assert [(e.data["unanswered"], e.data["counted"]) for e in events] == [(1, 1), (2, 1), (3, 1)]


def test_three_unanswered_calls_hours_apart_on_one_day_do_not_close_the_case(awaiting_at_nine, caller):
    day = [timedelta(hours=1), timedelta(hours=5), timedelta(hours=9)]  # 10:00, 14:00, 18:00
    spread_calls(awaiting_at_nine, caller, day)
    awaiting_at_nine.refresh_from_db()
    assert awaiting_at_nine.status == Status.AWAITING_CALLBACK
    # The next day it closes.
    spread_calls(awaiting_at_nine, caller, [timedelta(days=1)])
    awaiting_at_nine.refresh_from_db()
    assert (awaiting_at_nine.status, awaiting_at_nine.callback_result) == (Status.CLOSED, "unreachable")


@pytest.mark.parametrize("answer", [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED])
def test_a_satisfied_party_closes_the_case_and_is_thanked(awaiting, caller, answer):
    callback_record_attempt(dispute=awaiting, actor=caller, reached=True, satisfaction=answer, remarks="挺好")
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.callback_result, awaiting.reopened_count) == (Status.CLOSED, answer, 0)
    close = awaiting.events.get(action="close")
    assert close.reason == f"callback_{answer}"
    assert close.data == {"callback_result": answer}
    thanks = Notification.objects.get(dispute_id=awaiting.pk, kind="callback_thanks")
    assert thanks.recipient_phone == PHONE, "only the applicant"
    assert awaiting.tracking_number_display in thanks.body


def test_a_dissatisfied_party_reopens_the_case_to_the_same_department_and_mediator(
    awaiting, caller, departments, staff_a
):
    callback_record_attempt(
        dispute=awaiting, actor=caller, reached=True, satisfaction="dissatisfied", remarks="对方没有按协议赔偿"
    )
    awaiting.refresh_from_db()
    assert awaiting.status == Status.REOPENED
    assert (awaiting.lead_department, awaiting.assigned_mediator) == (departments["a"], staff_a[Role.MEDIATOR])
    assert (awaiting.reopened_count, awaiting.callback_result) == (1, "dissatisfied")
    reopen = awaiting.events.get(action="reopen")
    assert (reopen.reason, reopen.actor_role, reopen.data) == (
        "对方没有按协议赔偿",
        Role.CALLBACK_CALLER,
        {"callback_result": "dissatisfied"},
    )
    resolve = Deadline.objects.open().get(dispute=awaiting, kind=DeadlineKind.RESOLVE)
    assert awaiting.next_due_at == resolve.due_at
    assert not Deadline.objects.open().filter(dispute=awaiting, kind=DeadlineKind.CALLBACK).exists()
    told = Notification.objects.get(dispute_id=awaiting.pk, kind="reopened", channel="staff")
    assert told.recipient_user == staff_a[Role.MEDIATOR]
    assert awaiting.tracking_number_display in told.body
    assert sms_kinds(awaiting) == ["reopened"]


def test_a_dissatisfied_party_without_remarks_leaves_a_reason_code(awaiting, caller):
    callback_record_attempt(dispute=awaiting, actor=caller, reached=True, satisfaction="dissatisfied")
    reopen = awaiting.events.get(action="reopen")
    assert reopen.reason == "callback_dissatisfied"


def test_without_a_mediator_the_department_is_told_of_the_reopening(tree, category, departments, staff_a, caller):
    case = case_in(Status.AWAITING_CALLBACK, grid=tree.grid_a, category=category, department=departments["a"])
    callback_record_attempt(dispute=case, actor=caller, reached=True, satisfaction="dissatisfied")
    told = set(
        Notification.objects.filter(dispute_id=case.pk, kind="reopened").values_list("recipient_user", flat=True)
    )
    assert told == {staff_a[Role.MEDIATOR].pk, staff_a[Role.DEPARTMENT_STAFF].pk}


def test_the_unanswered_count_starts_again_after_a_new_report_back(awaiting, caller, staff_a):
    callback_record_attempt(dispute=awaiting, actor=caller, reached=False)
    callback_record_attempt(dispute=awaiting, actor=caller, reached=False)
    callback_record_attempt(dispute=awaiting, actor=caller, reached=True, satisfaction="dissatisfied")
    mediator = Actor.for_user(staff_a[Role.MEDIATOR])
    services.dispute_transition(dispute=awaiting, action="resume", actor=mediator)
    services.dispute_report_back(dispute=awaiting, actor=mediator, outcome=Outcome.RESOLVED_OTHERWISE)
    callback_record_attempt(dispute=awaiting, actor=caller, reached=False)
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING_CALLBACK
    assert selectors.unanswered_attempts(awaiting) == 1


# --- The caller and the resident share the outcome logic ------------------------------------------


def _by_caller(case, caller, answer):
    callback_record_attempt(dispute=case, actor=caller, reached=True, satisfaction=answer)


def _by_resident(case, caller, answer):
    callback_record_resident_rating(dispute=case, satisfaction=answer)


@pytest.mark.parametrize("answer", Satisfaction.values)
def test_the_caller_and_the_resident_rating_behave_alike(tree, category, departments, staff_a, caller, answer):
    results = []
    for door in (_by_caller, _by_resident):
        case = case_in(
            Status.AWAITING_CALLBACK,
            grid=tree.grid_a,
            category=category,
            department=departments["a"],
            mediator=staff_a[Role.MEDIATOR],
        )
        PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone=PHONE)
        door(case, caller, answer)
        case.refresh_from_db()
        messages = list(Notification.objects.filter(dispute_id=case.pk).order_by("pk").values_list("channel", "kind"))
        events = [(e.kind, e.action, e.data.get("callback_result")) for e in case.events.order_by("pk")]
        results.append((case.status, case.callback_result, case.reopened_count, bool(case.closed_at), messages, events))
    assert results[0] == results[1]
    expected_status = Status.REOPENED if answer == "dissatisfied" else Status.CLOSED
    assert results[0][0] == expected_status


# --- Refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.DISPATCHER])
def test_only_callers_supervisors_and_admins_record_a_callback(awaiting, staff_a, role):
    with pytest.raises(PermissionDeniedError):
        callback_record_attempt(dispute=awaiting, actor=Actor.for_user(staff_a[role]), reached=False)
    assert not CallbackAttempt.objects.exists()


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisors_and_admins_may_record_a_callback(awaiting, staff_a, role):
    callback_record_attempt(
        dispute=awaiting, actor=Actor.for_user(staff_a[role]), reached=True, satisfaction="satisfied"
    )
    awaiting.refresh_from_db()
    assert awaiting.status == Status.CLOSED


def test_a_caller_of_another_area_is_told_the_case_does_not_exist(awaiting, make_staff, tree):
    outsider = Actor.for_user(make_staff(Role.CALLBACK_CALLER, area=tree.town_b))
    with pytest.raises(NotFoundError):
        callback_record_attempt(dispute=awaiting, actor=outsider, reached=True, satisfaction="dissatisfied")
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING_CALLBACK
    assert not CallbackAttempt.objects.exists()


@pytest.mark.parametrize("status", [Status.IN_MEDIATION, Status.REOPENED, Status.CLOSED])
def test_only_a_case_awaiting_its_callback_can_be_called_back(tree, category, departments, caller, status):
    case = case_in(status, grid=tree.grid_a, category=category, department=departments["a"])
    with pytest.raises(ApplicationError) as refused:
        callback_record_attempt(dispute=case, actor=caller, reached=False)
    assert refused.value.code == "not_awaiting_callback"
    assert not CallbackAttempt.objects.exists()


def test_satisfaction_is_required_when_reached_and_refused_when_not(awaiting, caller):
    with pytest.raises(ApplicationError) as missing:
        callback_record_attempt(dispute=awaiting, actor=caller, reached=True)
    with pytest.raises(ApplicationError) as extra:
        callback_record_attempt(dispute=awaiting, actor=caller, reached=False, satisfaction="satisfied")
    with pytest.raises(ApplicationError):
        callback_record_attempt(dispute=awaiting, actor=caller, reached=True, satisfaction="so-so")
    assert (missing.value.code, extra.value.code) == ("satisfaction_required", "satisfaction_forbidden")
    assert missing.value.extra == {"field": "satisfaction"}
    assert not CallbackAttempt.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.CALLBACK).exists()


def test_a_failed_transition_leaves_no_attempt(awaiting, caller, monkeypatch):
    def fail(**kwargs):
        raise ApplicationError("boom")

    monkeypatch.setattr(callback_services, "dispute_transition", fail)
    with pytest.raises(ApplicationError):
        callback_record_attempt(dispute=awaiting, actor=caller, reached=True, satisfaction="satisfied")
    assert not CallbackAttempt.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.CALLBACK).exists()


# --- Reasons are codes, shown in the reader's language --------------------------------------------


def test_a_caller_working_in_english_leaves_codes_not_english_text(awaiting, caller):
    with translation.override("en"):
        callback_record_attempt(dispute=awaiting, actor=caller, reached=True, satisfaction="satisfied")
    close = awaiting.events.get(action="close")
    assert close.reason == "callback_satisfied"
    with translation.override("en"):
        assert callback_reason_text(close.reason).startswith("At the callback the party said")
    assert callback_reason_text("对方没有按协议赔偿") == "对方没有按协议赔偿"


# --- The 7-day callback clock ---------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_callback_falls_due_at_seven_days_and_is_swept(tree, category, departments, staff_a, make_staff):
    county_caller = make_staff(Role.CALLBACK_CALLER, area=tree.county)
    other_caller = make_staff(Role.CALLBACK_CALLER, area=tree.town_b)
    with time_machine.travel(NOW, tick=False) as clock:
        case = case_in(
            Status.IN_MEDIATION,
            grid=tree.grid_a,
            category=category,
            department=departments["a"],
            mediator=staff_a[Role.MEDIATOR],
        )
        services.dispute_report_back(
            dispute=case, actor=Actor.for_user(staff_a[Role.MEDIATOR]), outcome=Outcome.RESOLVED_OTHERWISE
        )
        callback = Deadline.objects.open().get(dispute=case, kind=DeadlineKind.CALLBACK)
        assert callback.due_at == NOW + timedelta(days=7)

        clock.move_to(NOW + timedelta(days=6, hours=23))
        services.deadlines_sweep(now=timezone.now())
        assert not case.events.filter(kind=EventKind.DEADLINE_REMINDER).exists()
        assert not Notification.objects.filter(kind="deadline_reminder").exists()

        clock.move_to(NOW + timedelta(days=7, minutes=1))
        assert services.deadlines_sweep(now=timezone.now()) == 1
        reminder = case.events.get(kind=EventKind.DEADLINE_REMINDER)
        assert reminder.data["kind"] == DeadlineKind.CALLBACK
        reminded = set(
            Notification.objects.filter(kind="deadline_reminder", dispute_id=case.pk).values_list(
                "recipient_user", flat=True
            )
        )
        # The callers over the case's area are reminded; not the mediator, not another township's caller.
        assert reminded == {staff_a[Role.CALLBACK_CALLER].pk, county_caller.pk}
        assert other_caller.pk not in reminded

        # One ladder gap later (two days for a white case) the supervisor is told; the case still awaits its callback.
        clock.move_to(NOW + timedelta(days=9, minutes=1))
        services.deadlines_sweep(now=timezone.now())
        escalated = Notification.objects.get(kind="escalated", dispute_id=case.pk)
        assert escalated.recipient_user == staff_a[Role.SUPERVISOR]
        case.refresh_from_db()
        assert case.status == Status.AWAITING_CALLBACK

        # Recording the callback ends the clock: nothing more is swept.
        callback_record_attempt(
            dispute=case, actor=Actor.for_user(staff_a[Role.CALLBACK_CALLER]), reached=True, satisfaction="satisfied"
        )
        clock.move_to(NOW + timedelta(days=30))
        assert services.deadlines_sweep(now=timezone.now()) == 0


def test_the_case_page_shows_the_callback_reason_as_a_sentence_not_its_code(awaiting, caller, client, staff_a):
    callback_record_attempt(dispute=awaiting, actor=caller, reached=True, satisfaction=Satisfaction.DISSATISFIED)
    client.force_login(staff_a[Role.MEDIATOR])
    page = client.get(f"/work/case/{awaiting.tracking_number}/").content.decode()
    assert "callback_dissatisfied" not in page
    with translation.override("zh-hans"):
        assert str(callback_reason_text("callback_dissatisfied")) in page


def test_reporting_back_again_clears_the_earlier_dissatisfied_verdict(awaiting, caller, staff_a):
    callback_record_attempt(dispute=awaiting, actor=caller, reached=True, satisfaction="dissatisfied")
    mediator = Actor.for_user(staff_a[Role.MEDIATOR])
    services.dispute_transition(dispute=awaiting, action="resume", actor=mediator)
    services.dispute_report_back(dispute=awaiting, actor=mediator, outcome=Outcome.RESOLVED_OTHERWISE)
    awaiting.refresh_from_db()
    # The dashboard counts the latest callback only: the new report-back has none yet.
    assert (awaiting.status, awaiting.callback_result) == (Status.AWAITING_CALLBACK, "")
