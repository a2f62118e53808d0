"""回访 by the resident: the SMS link after the report-back, and the SMS at dispatch and acceptance."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor
from core.casework.callbacks import Satisfaction
from core.exceptions import ApplicationError
from core.models import Notification
from disputes import services
from disputes.callbacks import rating_token
from disputes.models import CallbackAttempt, CaseEvent
from disputes.rules.enums import EventKind, Outcome, PartyRole, Status
from disputes.selectors import dispute_from_rating_token
from disputes.services import callbacks as callback_services
from disputes.services.callbacks import callback_record_resident_rating
from grids.models import Role
from tests.disputes.cases import case_in, with_agreement
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
    return case


def rate_url(case) -> str:
    return f"/rate/{rating_token(case)}/"


def test_the_page_shows_the_result_and_the_three_answers(client, awaiting, departments):
    response = client.get("/en" + rate_url(awaiting))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Resolved by agreement" in html and departments["a"].name in html
    for value in Satisfaction.values:
        assert f'value="{value}"' in html
    assert response["Referrer-Policy"] == "same-origin"


def test_dissatisfied_reopens_the_case(client, awaiting):
    response = client.post(rate_url(awaiting), {"satisfaction": "dissatisfied", "remarks": "对方没有按协议赔偿。"})
    assert response.status_code == 200
    awaiting.refresh_from_db()
    assert awaiting.status == Status.REOPENED
    assert awaiting.reopened_count == 1
    attempt = CallbackAttempt.objects.get(dispute=awaiting)
    assert (attempt.source, attempt.reached, attempt.satisfaction, attempt.remarks, attempt.caller) == (
        CallbackAttempt.Source.RESIDENT,
        True,
        Satisfaction.DISSATISFIED,
        "对方没有按协议赔偿。",
        None,
    )
    reopen = awaiting.events.get(action="reopen")
    assert (reopen.actor_role, reopen.reason) == ("resident", "对方没有按协议赔偿。")
    assert awaiting.events.filter(kind=EventKind.CALLBACK).count() == 1


@pytest.mark.parametrize("answer", ["satisfied", "basically_satisfied"])
def test_satisfied_closes_the_case(client, awaiting, answer):
    assert client.post(rate_url(awaiting), {"satisfaction": answer}).status_code == 200
    awaiting.refresh_from_db()
    assert awaiting.status == Status.CLOSED and awaiting.closed_at is not None
    close = awaiting.events.get(action="close")
    assert close.actor_role == "system" and close.reason
    assert CallbackAttempt.objects.get(dispute=awaiting).satisfaction == answer


def test_a_second_rating_is_refused_kindly(client, awaiting):
    client.post(rate_url(awaiting), {"satisfaction": "satisfied"})
    again = client.post("/en" + rate_url(awaiting), {"satisfaction": "dissatisfied"})
    assert again.status_code == 200
    assert "You have already rated this result" in again.content.decode()
    awaiting.refresh_from_db()
    assert awaiting.status == Status.CLOSED
    assert CallbackAttempt.objects.filter(dispute=awaiting).count() == 1


def test_a_case_not_awaiting_the_callback_cannot_be_rated(client, tree, category, departments):
    case = case_in(Status.IN_MEDIATION, grid=tree.grid_a, category=category, department=departments["a"])
    response = client.post("/en" + rate_url(case), {"satisfaction": "satisfied"})
    assert response.status_code == 200
    assert "This case is still being handled." in response.content.decode()
    assert not CallbackAttempt.objects.exists()
    with pytest.raises(ApplicationError) as refused:
        callback_record_resident_rating(dispute=case, satisfaction="satisfied")
    assert refused.value.code == "not_awaiting_callback"


def test_a_missing_answer_is_asked_for_beside_the_choices(client, awaiting):
    response = client.post(rate_url(awaiting), {"remarks": "一般"})
    assert response.status_code == 400
    assert 'id="id_satisfaction_error"' in response.content.decode()
    assert not CallbackAttempt.objects.exists()


def test_a_tampered_token_is_not_found(client, awaiting, tree, category):
    token = rating_token(awaiting)
    other = case_in(Status.AWAITING_CALLBACK, grid=tree.grid_a, category=category)
    forged = f"{other.pk}{token[len(str(awaiting.pk)) :]}"
    assert client.get(f"/rate/{forged}/").status_code == 404
    assert client.get(f"/rate/{token[:-1]}x/").status_code == 404
    assert client.get("/rate/garbage/").status_code == 404


def test_the_link_expires_after_30_days(client, awaiting, time_machine):
    token = rating_token(awaiting)
    time_machine.move_to(timezone.now() + timedelta(days=29))
    assert dispute_from_rating_token(token) == awaiting
    time_machine.move_to(timezone.now() + timedelta(days=2))
    assert dispute_from_rating_token(token) is None
    assert client.get(f"/rate/{token}/").status_code == 404


def test_an_unknown_answer_is_refused_by_the_service(awaiting):
    with pytest.raises(ApplicationError):
        callback_record_resident_rating(dispute=awaiting, satisfaction="so-so")
    assert not CallbackAttempt.objects.exists()


# --- The SMS the resident receives along the way ---------------------------------------------------------


@pytest.fixture
def in_mediation(tree, category, departments, staff_a):
    case = case_in(
        Status.IN_MEDIATION,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
    )
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone=PHONE)
    PartyFactory(dispute=case, role=PartyRole.RESPONDENT, phone="13700137000")
    return case


def test_the_report_back_sends_the_result_and_the_rating_link(client, in_mediation, staff_a, settings):
    settings.PUBLIC_BASE_URL = "https://tiaojie.example.cn"
    with_agreement(in_mediation)
    services.dispute_report_back(
        dispute=in_mediation, actor=Actor.for_user(staff_a[Role.MEDIATOR]), outcome=Outcome.AGREEMENT
    )
    sms = Notification.objects.get(kind="reported")
    assert sms.recipient_phone == PHONE, "only the applicant"
    assert in_mediation.tracking_number_display in sms.body
    assert "调解成功" in sms.body or str(Outcome.AGREEMENT.label) in sms.body
    link = sms.body[sms.body.index("https://tiaojie.example.cn/rate/") :].split()[0]
    token = link.removeprefix("https://tiaojie.example.cn/rate/").rstrip("/")
    assert dispute_from_rating_token(token) == in_mediation
    # The link works: the resident's answer closes the case.
    assert client.post(f"/rate/{token}/", {"satisfaction": "satisfied"}).status_code == 200
    in_mediation.refresh_from_db()
    assert in_mediation.status == Status.CLOSED


def test_dispatch_and_acceptance_tell_the_applicant(tree, category, departments, staff_a):
    case = case_in(Status.TRIAGED, grid=tree.grid_a, category=category)
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone=PHONE)
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name="张四", phone="")
    services.dispute_transition(
        dispute=case, action="dispatch", actor=Actor.system(), data={"department": departments["a"]}
    )
    services.dispute_transition(dispute=case, action="accept", actor=Actor.for_user(staff_a[Role.MEDIATOR]))
    sent = list(
        Notification.objects.filter(dispute_id=case.pk).order_by("id").values_list("kind", "recipient_phone", "body")
    )
    assert [(kind, phone) for kind, phone, _body in sent] == [("dispatched", PHONE), ("accepted", PHONE)]
    assert all(departments["a"].name in body for _kind, _phone, body in sent)


def test_no_phone_no_sms(tree, category, departments):
    case = case_in(Status.TRIAGED, grid=tree.grid_a, category=category)
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone="")
    services.dispute_transition(
        dispute=case, action="dispatch", actor=Actor.system(), data={"department": departments["a"]}
    )
    assert not Notification.objects.filter(channel="sms").exists()


def test_a_rolled_back_rating_leaves_nothing(awaiting, monkeypatch):
    def fail(**kwargs):
        raise ApplicationError("boom")

    monkeypatch.setattr(callback_services, "dispute_transition", fail)
    with pytest.raises(ApplicationError):
        callback_record_resident_rating(dispute=awaiting, satisfaction="satisfied")
    assert not CallbackAttempt.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.CALLBACK).exists()
