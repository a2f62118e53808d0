"""Tracking: the tracking number and the phone show the case in plain words; nothing internal, nothing to guess."""

import re

import pytest
from django.utils import timezone

from core.actors import Actor
from disputes import views as dispute_views
from disputes.models import CaseEvent
from disputes.rules.enums import EventKind, PartyRole, Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

TRACK = "/track/"
PHONE = "13800138000"
INTERNAL_NOTE = "内部备注：申请人情绪激动，注意安抚"


@pytest.fixture
def case(tree, category, departments, staff_a):
    mediator = staff_a[Role.MEDIATOR]
    mediator.first_name, mediator.last_name = "调解员", "赵"
    mediator.save()
    case = case_in(
        Status.IN_MEDIATION, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator
    )
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name="张三", phone=PHONE)
    PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="钱六", phone="13700137000")
    now = timezone.now()
    CaseEvent.objects.create(
        dispute=case, at=now, kind=EventKind.TRANSITION, action="submit", to_status=Status.SUBMITTED, is_public=True
    )
    CaseEvent.objects.create(
        dispute=case,
        at=now,
        kind=EventKind.TRANSITION,
        action="dispatch",
        from_status=Status.TRIAGED,
        to_status=Status.DISPATCHED,
        reason="按分流清单派至南浦街道人民调解委员会",
        is_public=True,
    )
    CaseEvent.objects.create(
        dispute=case,
        at=now,
        actor=mediator,
        actor_role=Actor.for_user(mediator).role,
        kind=EventKind.NOTE,
        reason=INTERNAL_NOTE,
    )
    return case


def message_of(response) -> str:
    match = re.search(
        r'<div class="alert alert--error" role="alert" id="track-message">.*?</div>', response.content.decode(), re.S
    )
    assert match is not None, response.content.decode()[:2000]
    return match.group(0)


def test_the_right_number_and_phone_show_the_case_in_plain_words(client, case, departments, staff_a):
    response = client.post(TRACK, {"tracking_number": case.tracking_number, "phone": PHONE})
    assert response.status_code == 302
    page = client.get("/en" + TRACK)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Mediation is under way." in html
    assert "Next step:" in html
    assert departments["a"].name in html
    for group in case.tracking_number_display.split():
        assert group in html
    # The public timeline in the resident's words, in Beijing time.
    assert "Case received" in html and "Sent to the department handling it" in html
    submitted_local = timezone.localtime(case.events.first().at).strftime("%Y-%m-%d %H:%M")
    assert submitted_local in html
    # Never: internal notes, reasons written by staff, the other party, the mediator.
    assert INTERNAL_NOTE not in html
    assert "按分流清单" not in html
    assert "钱六" not in html and "13700137000" not in html
    assert "调解员" not in html and staff_a[Role.MEDIATOR].username not in html
    assert "Note" not in re.sub(r"<[^>]+>", " ", html).split("What has happened so far")[1]


def test_the_page_can_be_refreshed_and_forgotten(client, case):
    client.post(TRACK, {"tracking_number": case.tracking_number, "phone": PHONE})
    assert "timeline" in client.get(TRACK).content.decode()
    assert "timeline" in client.get(TRACK).content.decode()
    client.post(TRACK, {"forget": "1"})
    assert "timeline" not in client.get(TRACK).content.decode()


def test_the_number_may_be_typed_in_groups_and_lower_case(client, case):
    typed = " " + case.tracking_number_display.lower().replace(" ", "-") + " "
    assert client.post(TRACK, {"tracking_number": typed, "phone": "+86 138 0013 8000"}).status_code == 302


def test_a_wrong_phone_and_an_unknown_number_get_the_same_answer(client, case):
    wrong_phone = client.post(TRACK, {"tracking_number": case.tracking_number, "phone": "13900139000"})
    unknown = client.post(TRACK, {"tracking_number": "ABCDEFGHJKMN", "phone": PHONE})
    other_party_phone = client.post(TRACK, {"tracking_number": case.tracking_number, "phone": "13700137000"})
    assert wrong_phone.status_code == unknown.status_code == other_party_phone.status_code == 400
    assert message_of(wrong_phone) == message_of(unknown) == message_of(other_party_phone)
    assert "timeline" not in wrong_phone.content.decode()


def test_repeated_failures_from_one_address_are_throttled(client, case, settings):
    settings.PUBLIC_TRACK_FAILURES_PER_IP_HOUR = 3
    for i in range(3):
        assert client.post(TRACK, {"tracking_number": f"ABCDEFGHJK{i + 2}N", "phone": PHONE}).status_code == 400
    blocked = client.post("/en" + TRACK, {"tracking_number": case.tracking_number, "phone": PHONE})
    assert blocked.status_code == 429
    assert "Too many unsuccessful look-ups from your network. Please try again in an hour." in blocked.content.decode()
    # Another address is not blocked.
    assert (
        client.post(
            TRACK, {"tracking_number": case.tracking_number, "phone": PHONE}, REMOTE_ADDR="10.0.0.9"
        ).status_code
        == 302
    )


def test_repeated_failures_on_one_number_are_throttled_from_any_address(client, case, settings):
    settings.PUBLIC_TRACK_FAILURES_PER_NUMBER_HOUR = 2
    for i in range(2):
        response = client.post(
            TRACK, {"tracking_number": case.tracking_number, "phone": "1390013900" + str(i)}, REMOTE_ADDR=f"10.0.1.{i}"
        )
        assert response.status_code == 400
    response = client.post(TRACK, {"tracking_number": case.tracking_number, "phone": PHONE}, REMOTE_ADDR="10.0.2.1")
    assert response.status_code == 429


def test_the_phone_never_goes_in_the_url(client, case):
    html = client.get(TRACK).content.decode()
    assert re.search(r'<form class="form" method="post" action="/track/">', html)
    assert (
        client.get(TRACK, {"tracking_number": case.tracking_number, "phone": PHONE}).content.decode().count("timeline")
        == 0
    )


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (Status.TRIAGED, "We are finding the right department."),
        (Status.RETURNED, "We are finding the right department."),
        (Status.AWAITING_CALLBACK, "Your case has a result."),
        (Status.CLOSED, "Your case is closed."),
    ],
)
def test_each_status_has_a_sentence(client, tree, category, departments, status, sentence):
    case = case_in(status, grid=tree.grid_a, category=category, department=departments["a"])
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone=PHONE)
    client.post(TRACK, {"tracking_number": case.tracking_number, "phone": PHONE})
    html = client.get("/en" + TRACK).content.decode()
    assert sentence in html
    assert (departments["a"].name in html) == (status not in (Status.TRIAGED, Status.RETURNED))


def test_every_status_has_words_for_residents():
    assert set(dispute_views.STATUS_TEXT) == set(Status.values)
