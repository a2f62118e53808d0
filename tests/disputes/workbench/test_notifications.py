"""Who is told what along the loop, and in which language.

Messages are stored once and read later by someone else (an SMS to a resident,
a staff message to a mediator or supervisor), so they are written in the site's
default language (zh-hans), whatever language the staff member who caused them
was using: an English-speaking dispatcher must not send English SMS.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.models import Notification
from disputes import services
from disputes.models import DiversionRule
from disputes.rules.enums import Channel, Outcome, PartyRole, Status
from disputes.services.callbacks import callback_record_attempt
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import DepartmentFactory, PartyFactory

PHONE = "13800138000"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HAN = re.compile(r"[\u4e00-\u9fff]")


def body(kind: str, case) -> str:
    return Notification.objects.get(kind=kind, dispute_id=case.pk).body


def chinese(text: str) -> bool:
    """A sentence in Chinese: Han characters and no English words (the tracking number is letters in groups of 4)."""
    words = [w for w in re.findall(r"[A-Za-z]{5,}", text) if not w.isupper()]
    return bool(HAN.search(text)) and not words


@pytest.fixture
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def people(tree, category, departments, make_staff):
    DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])
    return {
        "mediator": make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"]),
        "dispatcher": make_staff(Role.DISPATCHER, area=tree.town_a),
        "caller": make_staff(Role.CALLBACK_CALLER, area=tree.town_a),
        "supervisor": make_staff(Role.SUPERVISOR, area=tree.town_a),
    }


def test_the_checker_tells_english_from_chinese():
    assert chinese("新案件ABCD EFGH JKMN（白单）已分派给您。")
    assert not chinese("New case ABCD EFGH JKMN (White) has been assigned to you.")


def test_routing_in_an_english_request_texts_and_tells_in_chinese(in_english, tree, category, people):
    case = services.dispute_submit(
        category=category,
        description="隔壁装修噪音扰民。",
        grid=tree.grid_a,
        channel=Channel.WALK_IN,
        parties=[{"role": PartyRole.APPLICANT, "name": "李四", "phone": PHONE}],
    )
    services.dispute_route(dispute_id=case.pk)
    dispatched, assigned = body("dispatched", case), body("assigned", case)
    assert chinese(dispatched) and case.tracking_number_display in dispatched
    assert chinese(assigned), assigned
    assert Notification.objects.get(kind="assigned", dispute_id=case.pk).recipient_user == people["mediator"]


def test_an_english_speaking_dispatcher_assigning_by_hand_writes_chinese(
    in_english, tree, category, departments, people
):
    case = case_in(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    services.dispute_assign(
        dispute=case, actor=Actor.for_user(people["dispatcher"]), mediator=people["mediator"], reason="熟悉情况"
    )
    assert chinese(body("assigned", case))


def test_an_english_speaking_mediator_asking_for_help_writes_chinese(
    in_english, tree, category, departments, people, make_staff
):
    helper_department = DepartmentFactory(name="南浦派出所", area=tree.town_a)
    helper = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=helper_department)
    case = case_in(
        Status.IN_MEDIATION,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=people["mediator"],
    )
    services.dispute_request_assistance(
        dispute=case, actor=Actor.for_user(people["mediator"]), department=helper_department
    )
    message = Notification.objects.get(kind="assistance", dispute_id=case.pk)
    assert message.recipient_user == helper and chinese(message.body), message.body


def test_reminders_and_escalations_are_written_in_chinese_whoever_runs_the_sweep(
    in_english, tree, category, departments, people
):
    with time_machine.travel(NOW, tick=False) as clock:
        case = case_in(
            Status.ACCEPTED,
            grid=tree.grid_a,
            category=category,
            department=departments["a"],
            mediator=people["mediator"],
        )
        case.deadlines.update(due_at=NOW - timedelta(minutes=1), escalate_at=NOW - timedelta(minutes=1))
        services.deadlines_sweep(now=timezone.now())
        clock.move_to(NOW + timedelta(days=3))
        services.deadlines_sweep(now=timezone.now())
    reminder, escalation = body("deadline_reminder", case), body("escalated", case)
    assert chinese(reminder), reminder
    assert chinese(escalation), escalation
    assert Notification.objects.get(kind="escalated", dispute_id=case.pk).recipient_user == people["supervisor"]


@pytest.mark.parametrize(("answer", "kinds"), [("satisfied", ["callback_thanks"]), ("dissatisfied", ["reopened"])])
def test_after_the_callback_the_resident_is_thanked_or_told_of_the_reopening(
    tree, category, departments, people, answer, kinds
):
    case = case_in(
        Status.AWAITING_CALLBACK,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=people["mediator"],
    )
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone=PHONE)
    PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="王五", phone="13700137000")
    with translation.override("en"):
        callback_record_attempt(dispute=case, actor=Actor.for_user(people["caller"]), reached=True, satisfaction=answer)
    sms = list(
        Notification.objects.filter(dispute_id=case.pk, channel="sms").values_list("recipient_phone", "kind", "body")
    )
    assert [(phone, kind) for phone, kind, _body in sms] == [(PHONE, kind) for kind in kinds]
    # Rendered in the default language, not the caller's (compare with the same sentence in zh-hans).
    with translation.override(settings.LANGUAGE_CODE):
        expected = {
            "callback_thanks": _("Thank you for your opinion on case %(number)s. The case is now closed."),
            "reopened": _(
                "Your case %(number)s has been reopened and will be handled again. A mediator will contact you."
            ),
        }[kinds[0]] % {"number": case.tracking_number_display}
    assert sms[0][2] == expected


def test_the_mediator_is_told_of_a_reopening_in_the_default_language(tree, category, departments, people):
    case = case_in(
        Status.AWAITING_CALLBACK,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=people["mediator"],
    )
    with translation.override("en"):
        callback_record_attempt(
            dispute=case, actor=Actor.for_user(people["caller"]), reached=True, satisfaction="dissatisfied"
        )
    message = Notification.objects.get(kind="reopened", channel="staff", dispute_id=case.pk)
    assert message.recipient_user == people["mediator"]
    with translation.override(settings.LANGUAGE_CODE):
        expected = _("Case %(number)s has been reopened after the callback: please handle it again.") % {
            "number": case.tracking_number_display
        }
    assert message.body == expected


def test_every_step_of_the_loop_tells_the_resident_once(tree, category, departments, people):
    case = case_in(Status.TRIAGED, grid=tree.grid_a, category=category)
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone=PHONE)
    mediator = Actor.for_user(people["mediator"])
    services.dispute_transition(
        dispute=case,
        action="dispatch",
        actor=Actor.for_user(people["dispatcher"]),
        data={"department": departments["a"]},
    )
    services.dispute_transition(dispute=case, action="accept", actor=mediator)
    services.dispute_report_back(dispute=case, actor=mediator, outcome=Outcome.RESOLVED_OTHERWISE)
    callback_record_attempt(dispute=case, actor=Actor.for_user(people["caller"]), reached=False)
    callback_record_attempt(
        dispute=case, actor=Actor.for_user(people["caller"]), reached=True, satisfaction="satisfied"
    )
    kinds = list(
        Notification.objects.filter(dispute_id=case.pk, channel="sms").order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == ["dispatched", "accepted", "reported", "callback_thanks"]
    assert "/rate/" in body("reported", case)
