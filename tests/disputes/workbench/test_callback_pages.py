"""The callers' queue and record form (pages and API): order, jurisdiction, roles, the logged phone reveal."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.actors import Actor
from core.models import PersonalDataAccess
from disputes import selectors, services
from disputes.models import Agreement, CallbackAttempt, Deadline
from disputes.rules.enums import DeadlineKind, PartyRole, Status
from disputes.staff import callbacks as pages
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

PHONE = "13812345678"


def awaiting_case(tree, category, departments, *, due_in: timedelta, grid=None, name="张三丰", phone=PHONE):
    case = case_in(Status.AWAITING_CALLBACK, grid=grid or tree.grid_a, category=category, department=departments["a"])
    Deadline.objects.filter(dispute=case, kind=DeadlineKind.CALLBACK).update(due_at=timezone.now() + due_in)
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name=name, phone=phone)
    return case


@pytest.fixture
def queue(tree, category, departments):
    """Three cases awaiting their callback in township A (one overdue), one in township B, one closed in A."""
    cases = {
        "later": awaiting_case(tree, category, departments, due_in=timedelta(days=5)),
        "overdue": awaiting_case(tree, category, departments, due_in=-timedelta(days=1)),
        "soon": awaiting_case(tree, category, departments, due_in=timedelta(hours=3)),
        "elsewhere": awaiting_case(tree, category, departments, due_in=-timedelta(days=2), grid=tree.grid_b),
        "closed": case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"]),
    }
    # A nearer deadline of another kind does not move a case in the callback queue.
    Deadline.objects.filter(dispute=cases["later"], kind=DeadlineKind.PERFORMANCE).update(
        due_at=timezone.now() - timedelta(days=3)
    )
    return cases


def logged_in(client, user):
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


# --- The selector ---------------------------------------------------------------------------------


def test_the_queue_lists_the_oldest_due_first_and_only_in_the_callers_area(queue, staff_a):
    rows = list(selectors.callback_queue(user=staff_a[Role.CALLBACK_CALLER]))
    assert [c.pk for c in rows] == [queue["overdue"].pk, queue["soon"].pk, queue["later"].pk]


def test_the_county_supervisor_sees_both_townships(queue, make_staff, tree):
    supervisor = make_staff(Role.SUPERVISOR, area=tree.county)
    rows = list(selectors.callback_queue(user=supervisor))
    assert [c.pk for c in rows] == [queue["elsewhere"].pk, queue["overdue"].pk, queue["soon"].pk, queue["later"].pk]


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.DISPATCHER])
def test_the_queue_is_empty_for_other_roles(queue, staff_a, role):
    assert not selectors.callback_queue(user=staff_a[role]).exists()


def test_keyset_pages_follow_each_other_without_gaps(queue, staff_a):
    base = selectors.callback_queue(user=staff_a[Role.CALLBACK_CALLER])
    first = list(base[:2])
    rest = list(selectors.callback_queue_after(base, selectors.queue_cursor(first[-1])))
    assert [c.pk for c in first + rest] == [queue["overdue"].pk, queue["soon"].pk, queue["later"].pk]
    assert [c.pk for c in selectors.callback_queue_after(base, "garbage")] == [c.pk for c in first + rest]


def test_the_queue_costs_the_same_number_of_queries_whatever_the_page(queue, staff_a, tree, category, departments):
    caller = staff_a[Role.CALLBACK_CALLER]

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for case in selectors.callback_queue(user=caller)[:25]:
                selectors.attempts_this_round(case)
                list(case.applicants)
        return len(ctx.captured_queries)

    few = count()
    for n in range(6):
        awaiting_case(tree, category, departments, due_in=timedelta(days=n + 1))
    assert count() == few


# --- The queue page -------------------------------------------------------------------------------


def test_the_queue_page_masks_the_applicant_and_says_what_is_overdue(client, queue, staff_a):
    response = logged_in(client, staff_a[Role.CALLBACK_CALLER]).get("/en/work/callbacks/")
    html = response.content.decode()
    assert response.status_code == 200
    positions = [html.index(queue[key].tracking_number_display) for key in ("overdue", "soon", "later")]
    assert positions == sorted(positions)
    assert queue["elsewhere"].tracking_number_display not in html
    assert queue["closed"].tracking_number_display not in html
    assert "张**" in html and "张三丰" not in html
    assert PHONE not in html and "138****5678" in html
    # One unit, from core.durations: never timesince's chains ("3 months, 1 week").
    assert "1 day overdue" in html and "3 hours left" in html and "5 days left" in html
    assert not PersonalDataAccess.objects.exists(), "the list shows nothing in clear"


@pytest.mark.parametrize(
    ("prefix", "other", "calls", "none"),
    [("/en", "and 1 other", "1 unanswered call of 3", "None yet"), ("", "及另外1人", "未接通1次（最多3次）", "暂无")],
)
def test_each_item_says_who_how_many_calls_and_where_to_call(client, queue, staff_a, prefix, other, calls, none):
    caller = staff_a[Role.CALLBACK_CALLER]
    PartyFactory(dispute=queue["soon"], role=PartyRole.APPLICANT, name="李四", phone="13911112222")
    services.callback_record_attempt(dispute=queue["overdue"], actor=Actor.for_user(caller), reached=False)
    html = logged_in(client, caller).get(prefix + "/work/callbacks/").content.decode()
    items = {
        key: html.split(queue[key].tracking_number_display, 1)[1].split("</li>", 1)[0]
        for key in queue
        if key in ("overdue", "soon", "later")
    }
    assert other in items["soon"] and other not in items["later"]
    assert calls in items["overdue"] and none in items["later"]
    assert "139****2222" not in html, "only the first applicant's phone, masked"
    for key, item in items.items():
        record = f'href="{prefix}/work/callbacks/{queue[key].tracking_number}/"'
        assert record in html.split(queue[key].tracking_number_display, 1)[0][-200:] + item, key
        assert (
            timezone.localtime(selectors.callback_queue(user=caller).get(pk=queue[key].pk).callback_due).strftime(
                "%Y-%m-%d %H:%M"
            )
            in item
        )


def test_the_queue_page_pages_by_keyset(client, queue, staff_a, monkeypatch):
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    client = logged_in(client, staff_a[Role.CALLBACK_CALLER])
    first = client.get("/en/work/callbacks/").content.decode()
    assert queue["later"].tracking_number_display not in first
    after = selectors.queue_cursor(
        selectors.callback_queue(user=staff_a[Role.CALLBACK_CALLER]).get(pk=queue["soon"].pk)
    )
    assert f"?after={after}" in first
    second = client.get(f"/en/work/callbacks/?after={after}").content.decode()
    assert queue["later"].tracking_number_display in second
    assert queue["overdue"].tracking_number_display not in second


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.DISPATCHER])
def test_other_roles_may_not_open_the_callback_pages(client, queue, staff_a, role):
    client = logged_in(client, staff_a[role])
    assert client.get("/work/callbacks/").status_code == 403
    assert client.get(f"/work/callbacks/{queue['soon'].tracking_number}/").status_code == 403
    assert client.post(f"/work/callbacks/{queue['soon'].tracking_number}/", {"reached": "no"}).status_code == 403
    assert not CallbackAttempt.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, queue):
    response = client.get("/work/callbacks/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_nav_shows_callbacks_to_callers_only(client, staff_a):
    caller_html = logged_in(client, staff_a[Role.CALLBACK_CALLER]).get("/en/work/callbacks/").content.decode()
    assert 'href="/en/work/callbacks/"' in caller_html
    assert 'href="/en/work/spot-checks/"' not in caller_html
    client.logout()
    mediator_html = logged_in(client, staff_a[Role.MEDIATOR]).get("/en/track/").content.decode()
    assert "/work/callbacks/" not in mediator_html


# --- The record form ------------------------------------------------------------------------------


def test_opening_the_form_shows_the_phone_in_clear_and_logs_the_view(client, queue, staff_a):
    case = queue["soon"]
    PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="王五", phone="13700137000")
    Agreement.objects.create(
        dispute=case,
        facts="噪音",
        points_in_dispute="施工时间",
        terms="每晚八点后停止施工",
        performance_method="自行履行",
    )
    caller = staff_a[Role.CALLBACK_CALLER]
    response = logged_in(client, caller).get(f"/en/work/callbacks/{case.tracking_number}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert PHONE in html and f'href="tel:{PHONE}"' in html
    assert "13700137000" not in html and "137****7000" in html, "the other side stays masked"
    assert "每晚八点后停止施工" in html
    applicant = case.parties.get(role=PartyRole.APPLICANT)
    row = PersonalDataAccess.objects.get(what="party.phone")
    assert (row.user, row.action, row.what, row.case_ref, row.object_id) == (
        caller,
        "reveal",
        "party.phone",
        case.tracking_number,
        applicant.pk,
    )
    # The agreement's text was read in clear too: one more row (disputes.visibility).
    read = PersonalDataAccess.objects.get(what="agreement")
    assert (read.user, read.action, read.object_id) == (caller, "reveal", case.agreement.pk)
    assert PHONE not in str(row.detail)


def test_the_callback_page_shows_the_phone_only_with_the_second_factor_and_within_the_hours_pace(
    client, queue, staff_a, settings, time_machine
):
    """Phones shown in clear here are reveals too (core.audit.check_reveal): held back, masked, with the reason."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    time_machine.move_to("2026-12-07 10:05:00 +0800", tick=False)  # one clock hour for the whole test
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "TwoFactorRequired" not in m]  # the service alone
    settings.TWO_FACTOR_REQUIRED = True
    settings.PERSONAL_DATA_REVEALS_PER_HOUR = 2
    caller = staff_a[Role.CALLBACK_CALLER]
    url = f"/en/work/callbacks/{queue['soon'].tracking_number}/"
    logged_in(client, caller)

    unverified = client.get(url)
    html = unverified.content.decode()
    assert unverified.status_code == 200  # the attempt can still be recorded
    assert PHONE not in html and "138****5678" in html
    assert "Set up two-factor sign-in (an authenticator app) before revealing personal data." in html
    assert not PersonalDataAccess.objects.filter(what="party.phone").exists()

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=caller, confirmed=True).persistent_id
    session.save()
    for _ in range(2):
        assert PHONE in client.get(url).content.decode()
    held = client.get(url).content.decode()
    assert PHONE not in held and "138****5678" in held
    assert "You have revealed as much personal data as one hour allows." in held
    assert PersonalDataAccess.objects.filter(what="party.phone", user=caller).count() == 2


def test_a_caller_of_another_area_gets_404(client, queue, make_staff, tree):
    outsider = make_staff(Role.CALLBACK_CALLER, area=tree.town_b)
    client = logged_in(client, outsider)
    number = queue["soon"].tracking_number
    assert client.get(f"/work/callbacks/{number}/").status_code == 404
    assert (
        client.post(f"/work/callbacks/{number}/", {"reached": "yes", "satisfaction": "dissatisfied"}).status_code == 404
    )
    assert not PersonalDataAccess.objects.exists()
    assert not CallbackAttempt.objects.exists()


def test_a_case_no_longer_awaiting_shows_no_form_and_no_phone(client, queue, staff_a):
    case = queue["closed"]
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone=PHONE)
    response = logged_in(client, staff_a[Role.CALLBACK_CALLER]).get(f"/en/work/callbacks/{case.tracking_number}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "This case is not awaiting its callback." in html
    assert PHONE not in html and 'name="reached"' not in html
    assert not PersonalDataAccess.objects.exists()


def test_an_unanswered_call_from_the_form_returns_to_the_queue(client, queue, staff_a):
    case = queue["soon"]
    client = logged_in(client, staff_a[Role.CALLBACK_CALLER])
    response = client.post(f"/en/work/callbacks/{case.tracking_number}/", {"reached": "no", "remarks": "关机"})
    assert response.status_code == 302
    assert response["Location"] == f"/en/work/callbacks/?recorded={case.tracking_number}"
    attempt = CallbackAttempt.objects.get(dispute=case)
    assert (attempt.reached, attempt.remarks, attempt.caller) == (False, "关机", staff_a[Role.CALLBACK_CALLER])
    html = client.get(response["Location"]).content.decode()
    assert "Callback recorded for case" in html and "1 unanswered call of 3" in html


def test_a_dissatisfied_answer_from_the_form_reopens_the_case(client, queue, staff_a):
    case = queue["soon"]
    client = logged_in(client, staff_a[Role.CALLBACK_CALLER])
    data = {"reached": "yes", "satisfaction": "dissatisfied", "remarks": "没有赔偿"}
    assert client.post(f"/work/callbacks/{case.tracking_number}/", data).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.reopened_count) == (Status.REOPENED, 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reached": "yes"}, "Record how satisfied the party is."),
        ({"reached": "no", "satisfaction": "satisfied"}, "A party who was not reached cannot give an opinion."),
    ],
)
def test_form_errors_are_shown_beside_the_field(client, queue, staff_a, data, message):
    case = queue["soon"]
    response = logged_in(client, staff_a[Role.CALLBACK_CALLER]).post(
        f"/en/work/callbacks/{case.tracking_number}/", data
    )
    html = response.content.decode()
    assert response.status_code == 400
    error = html[html.index('id="id_satisfaction_error"') :]
    assert error.split("</p>")[0].endswith(message)
    assert 'aria-describedby="id_satisfaction_error"' in html
    assert not CallbackAttempt.objects.exists()


# --- The API --------------------------------------------------------------------------------------


def test_the_api_queue_is_ordered_masked_and_in_the_callers_area(queue, staff_a):
    case = queue["soon"]
    CallbackAttempt.objects.create(dispute=case, reached=False, caller=staff_a[Role.CALLBACK_CALLER])
    response = api_for(staff_a[Role.CALLBACK_CALLER]).get("/api/v1/callbacks/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["tracking_number"] for r in results] == [queue[k].tracking_number for k in ("overdue", "soon", "later")]
    assert [r["overdue"] for r in results] == [True, False, False]
    soon = results[1]
    assert soon["applicant"] == {"name": "张**", "phone": "138****5678"}
    assert soon["unanswered"] == 1 and len(soon["attempts"]) == 1


def test_the_api_queue_refuses_other_roles(queue, staff_a):
    response = api_for(staff_a[Role.MEDIATOR]).get("/api/v1/callbacks/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_role"


def test_the_api_records_an_attempt(queue, staff_a):
    case = queue["soon"]
    response = api_for(staff_a[Role.CALLBACK_CALLER]).post(
        f"/api/v1/callbacks/{case.tracking_number}/attempts/",
        {"reached": True, "satisfaction": "basically_satisfied", "remarks": "还行"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["callback_result"], body["attempt"]["satisfaction"]) == (
        "closed",
        "basically_satisfied",
        "basically_satisfied",
    )


@pytest.mark.parametrize(
    "payload",
    [{"reached": True}, {"reached": False, "satisfaction": "satisfied"}, {"reached": True, "satisfaction": "meh"}],
)
def test_the_api_validates_satisfaction_against_reached(queue, staff_a, payload):
    case = queue["soon"]
    response = api_for(staff_a[Role.CALLBACK_CALLER]).post(
        f"/api/v1/callbacks/{case.tracking_number}/attempts/", payload, format="json"
    )
    assert response.status_code == 400
    assert "satisfaction" in response.json()["error"]["fields"]
    assert not CallbackAttempt.objects.exists()


def test_the_api_refuses_a_mediator_and_hides_other_areas(queue, staff_a, make_staff, tree):
    number = queue["soon"].tracking_number
    payload = {"reached": False}
    mediator = api_for(staff_a[Role.MEDIATOR]).post(f"/api/v1/callbacks/{number}/attempts/", payload, format="json")
    assert mediator.status_code == 403
    outsider = api_for(make_staff(Role.CALLBACK_CALLER, area=tree.town_b))
    assert outsider.post(f"/api/v1/callbacks/{number}/attempts/", payload, format="json").status_code == 404
    assert not CallbackAttempt.objects.exists()


def test_an_empty_form_asks_whether_the_party_was_reached(client, queue, staff_a):
    case = queue["soon"]
    response = logged_in(client, staff_a[Role.CALLBACK_CALLER]).post(f"/en/work/callbacks/{case.tracking_number}/", {})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_reached_error"' in html
    assert not CallbackAttempt.objects.exists()
