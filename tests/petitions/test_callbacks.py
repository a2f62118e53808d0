"""回访 of petitions: the satisfaction callback after the written reply, reusing the dispute callback's rules."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from core.actors import Actor
from core.casework.callbacks import MAX_UNANSWERED, CallbackResult
from core.casework.callbacks import verdict as callback_verdict
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.models import Notification, PersonalDataAccess
from grids.models import Role
from petitions import services
from petitions.models import PetitionCallbackAttempt, PetitionDeadline
from petitions.rules import TZ, DeadlineKind, EventKind, Status
from petitions.selectors import petition_callback_queue
from petitions.tasks import sweep_petition_deadlines

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


def at(days: float):
    return time_machine.travel(NOW + timedelta(days=days), tick=False)


@pytest.fixture
def replied(register, clerk, departments, staff_a):
    """replied(**overrides) → a petition accepted by village A's committee and answered in writing."""

    def make(**overrides):
        petition = services.petition_decide(
            petition=register(**overrides),
            actor=Actor.for_user(clerk),
            decision="accept",
            handling_department=departments["a"],
        )
        return services.petition_reply(
            petition=petition, actor=Actor.for_user(staff_a[Role.DEPARTMENT_STAFF]), text="经核查，补偿款已发放。"
        )

    return make


def call(petition, user, **kwargs):
    return services.petition_callback_record_attempt(petition=petition, actor=Actor.for_user(user), **kwargs)


def callback_deadline(petition) -> PetitionDeadline:
    return PetitionDeadline.objects.get(petition=petition, kind=DeadlineKind.CALLBACK)


@pytest.mark.parametrize(
    ("reached", "satisfaction", "unanswered", "verdict"),
    [
        (False, "", 1, None),
        (False, "", MAX_UNANSWERED - 1, None),
        (False, "", MAX_UNANSWERED, CallbackResult.UNREACHABLE),
        (True, "satisfied", 0, CallbackResult.SATISFIED),
        (True, "basically_satisfied", 2, CallbackResult.BASICALLY_SATISFIED),
        (True, "dissatisfied", 0, CallbackResult.DISSATISFIED),
    ],
)
def test_the_shared_verdict_of_one_call(reached, satisfaction, unanswered, verdict):
    assert callback_verdict(reached=reached, satisfaction=satisfaction, unanswered=unanswered) == verdict


def test_the_reply_opens_a_7_day_callback_that_the_sweeper_reminds_and_escalates(replied, supervisor_a):
    with at(0):
        petition = replied()
    deadline = callback_deadline(petition)
    assert deadline.due_at == NOW + timedelta(days=7)
    with at(4.9):
        sweep_petition_deadlines()
        assert callback_deadline(petition).escalation_level == 0
    with at(5.1):
        sweep_petition_deadlines()
        assert callback_deadline(petition).escalation_level == 1
    with at(7.1):
        sweep_petition_deadlines()
    deadline = callback_deadline(petition)
    assert deadline.escalation_level == 2 and deadline.escalated_at == NOW + timedelta(days=7.1)
    assert Notification.objects.filter(recipient_user=supervisor_a, kind="petition_escalated").exists()


def test_a_satisfied_petitioner_closes_the_petition(replied, staff_a):
    petition = replied()
    caller = staff_a[Role.CALLBACK_CALLER]

    attempt = call(petition, caller, reached=True, satisfaction="satisfied", remarks="满意")

    petition.refresh_from_db()
    assert isinstance(attempt, PetitionCallbackAttempt) and attempt.caller == caller
    assert petition.status == Status.CLOSED and petition.callback_result == CallbackResult.SATISFIED
    assert not PetitionDeadline.objects.open().filter(petition=petition).exists()
    events = list(petition.events.order_by("at", "pk").values_list("kind", "action", "actor_role", "reason"))
    assert events[-2][0] == EventKind.CALLBACK and events[-2][2] == Role.CALLBACK_CALLER
    assert events[-1] == (EventKind.TRANSITION, "close", "system", "callback_satisfied")


def test_a_dissatisfied_petitioner_keeps_the_review_path_open_and_the_handlers_are_told(replied, staff_a, clerk):
    petition = replied()

    call(petition, staff_a[Role.CALLBACK_CALLER], reached=True, satisfaction="dissatisfied", remarks="补偿不够")

    petition.refresh_from_db()
    assert petition.status == Status.REPLIED and petition.callback_result == CallbackResult.DISSATISFIED
    open_kinds = set(PetitionDeadline.objects.open().filter(petition=petition).values_list("kind", flat=True))
    assert open_kinds == {DeadlineKind.REVIEW_REQUEST}
    handler = staff_a[Role.DEPARTMENT_STAFF]
    assert Notification.objects.filter(recipient_user=handler, kind="petition_callback_dissatisfied").exists()
    # The petitioner's way on: the request for review, within the window.
    petition = services.petition_transition(petition=petition, action="request_review", actor=Actor.for_user(clerk))
    assert petition.status == Status.REVIEW_REQUESTED


# Three unanswered calls spread as the settings ask (hours apart, over two days): 11:00, 16:00, next day 11:00.
SPREAD_CALLS = (1 / 24, 6 / 24, 1 + 1 / 24)


def test_three_unanswered_calls_end_the_callback_as_unreachable_and_the_review_window_stays(replied, staff_a):
    with at(0):
        petition = replied()
    caller = staff_a[Role.CALLBACK_CALLER]

    for day in SPREAD_CALLS[:-1]:
        with at(day):
            call(petition, caller, reached=False)
        petition.refresh_from_db()
        assert petition.callback_result == "" and callback_deadline(petition).done_at is None
    with at(SPREAD_CALLS[-1]):
        call(petition, caller, reached=False)

    petition.refresh_from_db()
    assert petition.callback_result == CallbackResult.UNREACHABLE and petition.status == Status.REPLIED
    assert callback_deadline(petition).done_at is not None
    assert petition.events.filter(kind=EventKind.CALLBACK).count() == MAX_UNANSWERED
    with pytest.raises(ApplicationError) as exc, at(2):
        call(petition, caller, reached=False)
    assert exc.value.code == "not_awaiting_callback"
    assert [e.data["counted"] for e in petition.events.filter(kind=EventKind.CALLBACK).order_by("at")] == [1, 2, 3]


def test_unanswered_calls_in_the_same_minute_do_not_end_the_callback(replied, staff_a):
    with at(0):
        petition = replied()
    caller = staff_a[Role.CALLBACK_CALLER]
    for minutes in range(MAX_UNANSWERED + 2):
        with at(1 / 24 + minutes / 1440):
            call(petition, caller, reached=False)
    petition.refresh_from_db()
    assert petition.callback_result == "" and callback_deadline(petition).done_at is None
    events = list(petition.events.filter(kind=EventKind.CALLBACK).order_by("at"))
    assert [e.data["unanswered"] for e in events] == [1, 2, 3, 4, 5]
    assert [e.data["counted"] for e in events] == [1, 1, 1, 1, 1]


def test_the_petition_callback_page_says_when_the_next_call_counts(replied, staff_a, client):
    with at(0):
        petition = replied()
    caller = staff_a[Role.CALLBACK_CALLER]
    with at(1 / 24):  # 11:00
        call(petition, caller, reached=False)
    client.force_login(caller)
    with translation.override("en"):
        url = reverse("petitions:callback_record", args=[petition.tracking_number])
    with at(1 / 24 + 1 / 1440):
        html = client.get(url).content.decode()
    assert "An unanswered call counts towards “unreachable” only if made after" in html
    assert 'data-next-counting="2026-03-02T15:00:00+08:00"' in html
    with at(5 / 24):  # 15:00: a call now counts, nothing to say
        html = client.get(url).content.decode()
    assert "data-next-counting" not in html


def test_the_callback_checks_are_the_dispute_callbacks(replied, staff_a, make_staff, tree):
    petition = replied()
    caller = staff_a[Role.CALLBACK_CALLER]
    with pytest.raises(PermissionDeniedError):
        call(petition, staff_a[Role.MEDIATOR], reached=False)
    with pytest.raises(ApplicationError) as exc:
        call(petition, caller, reached=True, satisfaction="")
    assert exc.value.code == "satisfaction_required"
    with pytest.raises(ApplicationError) as exc:
        call(petition, caller, reached=False, satisfaction="satisfied")
    assert exc.value.code == "satisfaction_forbidden"
    # A caller of township B does not see a petition of village A: the same answer as a missing one.
    with pytest.raises(NotFoundError):
        call(petition, make_staff(Role.CALLBACK_CALLER, area=tree.town_b), reached=False)
    assert not PetitionCallbackAttempt.objects.exists()


def test_no_callback_before_the_reply_or_after_a_review_request(register, replied, staff_a, clerk):
    caller = staff_a[Role.CALLBACK_CALLER]
    with pytest.raises(ApplicationError) as exc:
        call(register(), caller, reached=False)
    assert exc.value.code == "not_awaiting_callback"
    petition = services.petition_transition(petition=replied(), action="request_review", actor=Actor.for_user(clerk))
    assert callback_deadline(petition).cancelled_at is not None
    with pytest.raises(ApplicationError):
        call(petition, caller, reached=False)


def test_the_callers_queue_holds_replied_petitions_of_their_area(replied, register, staff_a, make_staff, tree):
    waiting = replied()
    register(matter="另一件事：道路积水问题" * 3)  # not replied
    caller = staff_a[Role.CALLBACK_CALLER]

    assert list(petition_callback_queue(caller)) == [waiting]
    assert list(petition_callback_queue(make_staff(Role.CALLBACK_CALLER, area=tree.town_b))) == []
    assert list(petition_callback_queue(staff_a[Role.MEDIATOR])) == []


def test_the_callback_pages_list_record_and_log_the_phone(client, replied, staff_a):
    petition = replied()
    client.force_login(staff_a[Role.CALLBACK_CALLER])

    queue = client.get(reverse("petitions:callbacks"))
    assert queue.status_code == 200 and petition.tracking_number_display in queue.content.decode()
    page = client.get(reverse("petitions:callback_record", args=[petition.tracking_number]))
    assert page.status_code == 200 and "13600136000" in page.content.decode()
    assert PersonalDataAccess.objects.filter(what="petitioner.phone", case_ref=petition.tracking_number).count() == 1

    refused = client.post(reverse("petitions:callback_record", args=[petition.tracking_number]), {"reached": "yes"})
    assert refused.status_code == 400
    done = client.post(
        reverse("petitions:callback_record", args=[petition.tracking_number]),
        {"reached": "yes", "satisfaction": "satisfied"},
    )
    assert done.status_code == 303
    petition.refresh_from_db()
    assert petition.status == Status.CLOSED
    after = client.get(reverse("petitions:callback_record", args=[petition.tracking_number])).content.decode()
    assert "13600136000" not in after


def test_the_callback_page_holds_the_phone_back_past_the_hours_reveals(client, replied, staff_a, settings):
    """Phones shown here count as reveals (core.audit.check_reveal): past the limit they are masked, with the reason."""
    petition = replied()
    settings.PERSONAL_DATA_REVEALS_PER_HOUR = 1
    client.force_login(staff_a[Role.CALLBACK_CALLER])
    url = reverse("petitions:callback_record", args=[petition.tracking_number])
    with time_machine.travel("2026-12-07 10:05:00 +0800", tick=False):
        assert "13600136000" in client.get(url).content.decode()
        held = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "13600136000" not in held and "136****6000" in held
    assert "您在一小时内查看的个人信息已达上限" in held
    assert PersonalDataAccess.objects.filter(what="petitioner.phone").count() == 1


def test_the_callback_api_records_a_call(client, replied, staff_a):
    petition = replied()
    client.force_login(staff_a[Role.CALLBACK_CALLER])
    url = reverse("api:petition-callback-attempts", args=[petition.tracking_number])

    response = client.post(url, {"reached": False}, content_type="application/json")

    assert response.status_code == 201
    assert PetitionCallbackAttempt.objects.filter(petition=petition, reached=False).count() == 1
    response = client.post(url, {"reached": True}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "satisfaction_required"
