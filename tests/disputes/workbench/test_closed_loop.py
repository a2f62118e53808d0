"""六步闭环 end to end: submitted, routed, accepted, mediated, reported back, called back, reopened, closed."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.actors import Actor
from core.models import Notification
from disputes import services, tasks
from disputes.models import DiversionRule
from disputes.rules.enums import Channel, DeadlineKind, EventKind, Outcome, PartyRole, Status
from disputes.services.callbacks import callback_record_attempt, callback_record_resident_rating
from grids.models import Role

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
APPLICANT_PHONE = "13900139000"
RESPONDENT_PHONE = "13700137000"
AGREEMENT = {
    "facts": "楼上住户装修，晚上十点后仍在施工。",
    "points_in_dispute": "施工时间",
    "terms": "每晚八点后停止施工，并赔偿五百元。",
    "performance_method": "三日内当面支付",
    "perform_by": None,
}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(tree, category, departments, make_staff):
    DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])
    return {
        "mediator": make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"]),
        "caller": make_staff(Role.CALLBACK_CALLER, area=tree.town_a),
    }


def submit_and_route(tree, category):
    case = services.dispute_submit(
        category=category,
        description="楼上装修噪音扰民，晚上十点后仍在施工。",
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[
            {"role": PartyRole.APPLICANT, "name": "李四", "phone": APPLICANT_PHONE},
            {"role": PartyRole.RESPONDENT, "name": "王五", "phone": RESPONDENT_PHONE},
        ],
    )
    # The routing task, run in this process as the worker would run it.
    assert tasks.route_dispute(case.pk) == Status.DISPATCHED
    case.refresh_from_db()
    return case


def timeline(case) -> list[tuple[str, str]]:
    return [(e.kind, e.action) for e in case.events.order_by("at", "pk")]


def test_the_whole_loop_from_submission_to_closed(clock, tree, category, departments, people):
    case = submit_and_route(tree, category)
    assert (case.lead_department, case.assigned_mediator) == (departments["a"], people["mediator"])
    mediator = Actor.for_user(people["mediator"])
    caller = Actor.for_user(people["caller"])

    clock.shift(timedelta(hours=1))
    services.dispute_transition(dispute=case, action="accept", actor=mediator)
    clock.shift(timedelta(days=1))
    services.dispute_transition(dispute=case, action="start_mediation", actor=mediator)
    clock.shift(timedelta(days=2))
    services.agreement_draft(dispute=case, actor=mediator, values=AGREEMENT)
    services.dispute_report_back(dispute=case, actor=mediator, outcome=Outcome.AGREEMENT)
    case.refresh_from_db()
    assert case.status == Status.AWAITING_CALLBACK
    callback_due = case.deadlines.open().get(kind=DeadlineKind.CALLBACK).due_at
    assert callback_due == NOW + timedelta(hours=1, days=3 + 7)

    # The first callback: the applicant is not satisfied; the case goes back to the same mediator.
    clock.shift(timedelta(days=2))
    callback_record_attempt(dispute=case, actor=caller, reached=False)
    callback_record_attempt(dispute=case, actor=caller, reached=True, satisfaction="dissatisfied", remarks="没有赔偿")
    case.refresh_from_db()
    assert (case.status, case.assigned_mediator, case.reopened_count) == (Status.REOPENED, people["mediator"], 1)

    clock.shift(timedelta(hours=2))
    services.dispute_transition(dispute=case, action="resume", actor=mediator)
    clock.shift(timedelta(days=1))
    services.dispute_report_back(dispute=case, actor=mediator, outcome=Outcome.AGREEMENT, reason="已当面赔偿")

    # The second callback: satisfied, the case is closed.
    clock.shift(timedelta(days=1))
    callback_record_attempt(dispute=case, actor=caller, reached=True, satisfaction="satisfied")
    case.refresh_from_db()
    assert (case.status, case.callback_result, case.reopened_count) == (Status.CLOSED, "satisfied", 1)
    assert case.closed_at == NOW + timedelta(days=7, hours=3)
    assert not case.deadlines.open().filter(kind__in=[DeadlineKind.CALLBACK, DeadlineKind.RESOLVE]).exists()

    T, C = EventKind.TRANSITION, EventKind.CALLBACK
    assert timeline(case) == [
        (T, "submit"),
        (T, "triage"),
        (T, "dispatch"),
        (EventKind.ASSIGNED, ""),
        (T, "accept"),
        (T, "start_mediation"),
        (EventKind.AGREEMENT, ""),
        # The report-back signs version 1 (today) and freezes it; reported again after the reopening, as it was.
        (EventKind.AGREEMENT_FROZEN, ""),
        (EventKind.AGREEMENT_SIGNED, ""),
        (T, "report_back"),
        (T, "await_callback"),
        (C, ""),
        (C, ""),
        (T, "reopen"),
        (T, "resume"),
        (T, "report_back"),
        (T, "await_callback"),
        (C, ""),
        (T, "close"),
    ]
    statuses = [e.to_status for e in case.events.filter(kind=T).order_by("at", "pk")]
    assert statuses == [
        Status.SUBMITTED,
        Status.TRIAGED,
        Status.DISPATCHED,
        Status.ACCEPTED,
        Status.IN_MEDIATION,
        Status.REPORTED,
        Status.AWAITING_CALLBACK,
        Status.REOPENED,
        Status.IN_MEDIATION,
        Status.REPORTED,
        Status.AWAITING_CALLBACK,
        Status.CLOSED,
    ]

    # The applicant's SMS, in order; the respondent is never texted.
    sms = list(
        Notification.objects.filter(dispute_id=case.pk, channel="sms")
        .order_by("pk")
        .values_list("recipient_phone", "kind")
    )
    assert sms == [
        (APPLICANT_PHONE, "dispatched"),
        (APPLICANT_PHONE, "accepted"),
        (APPLICANT_PHONE, "reported"),
        (APPLICANT_PHONE, "reopened"),
        (APPLICANT_PHONE, "reported"),
        (APPLICANT_PHONE, "callback_thanks"),
    ]
    # The mediator hears of the assignment and of the reopening.
    staff = list(
        Notification.objects.filter(dispute_id=case.pk, channel="staff")
        .order_by("pk")
        .values_list("recipient_user", "kind")
    )
    assert staff == [(people["mediator"].pk, "assigned"), (people["mediator"].pk, "reopened")]


def test_the_loop_closes_on_the_residents_own_rating(clock, tree, category, departments, people):
    case = submit_and_route(tree, category)
    mediator = Actor.for_user(people["mediator"])
    services.dispute_transition(dispute=case, action="accept", actor=mediator)
    services.dispute_report_back(dispute=case, actor=mediator, outcome=Outcome.RESOLVED_OTHERWISE)
    callback_record_resident_rating(dispute=case, satisfaction="basically_satisfied")
    case.refresh_from_db()
    assert (case.status, case.callback_result) == (Status.CLOSED, "basically_satisfied")
    close = case.events.get(action="close")
    assert (close.actor_role, close.reason) == ("system", "callback_basically_satisfied")
    assert list(
        Notification.objects.filter(dispute_id=case.pk, channel="sms").order_by("pk").values_list("kind", flat=True)
    ) == ["dispatched", "accepted", "reported", "callback_thanks"]
