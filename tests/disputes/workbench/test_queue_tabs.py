"""Queues that show what waits: 待派单 (red first, oldest first, with the return reason), 协办, 待包案 and
我包案的 tabs, the search by tracking number across tabs, and the callers' search (selector, page, API)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.actors import Actor
from disputes import services
from disputes.models import Deadline, DisputeAssist
from disputes.rules.enums import Colour, DeadlineKind, PartyRole, Status
from disputes.selectors import queue
from grids.models import Role
from tests.disputes.cases import case_in
from tests.disputes.workbench.queue_helpers import numbers, queued
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db

QUEUE = "/work/"
API = "/api/v1/queue/"
CALLBACKS = "/work/callbacks/"
CALLBACKS_API = "/api/v1/callbacks/"
# The dispatch clock's default windows (red: 30 minutes), as the ladder opens them from submission or return.
WINDOW = {Colour.RED: timedelta(minutes=30), Colour.YELLOW: timedelta(hours=4), Colour.WHITE: timedelta(hours=24)}


def page_for(user, scope=None, params=None, **kw):
    return queue.queue_page(user=user, scope=scope, params=params or {}, **kw)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def waiting(status, *, grid, category, colour, waited: timedelta, applicant="张三"):
    """A case waiting for dispatch since `waited` ago, with the dispatch clock running from then."""
    since = timezone.now() - waited
    case = case_in(status, grid=grid, category=category, colour=colour, submitted_at=since)
    Deadline.objects.create(dispute=case, kind=DeadlineKind.DISPATCH, due_at=since + WINDOW[colour])
    case.next_due_at = since + WINDOW[colour]
    case.save(update_fields=["next_due_at"])
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name=applicant, phone="13800138000")
    return case


def returned(case, *, by, reason: str):
    """Return `case` (dispatched to `by`'s department) through the service, as its department would."""
    services.dispute_transition(dispute=case, action="return", actor=Actor.for_user(by), reason=reason)
    case.refresh_from_db()
    return case


# --- 待派单 ----------------------------------------------------------------------------------------------------


def test_awaiting_dispatch_lists_red_first_then_the_oldest(tree, category, departments, staff_a):
    g = tree.grid_a
    white_old = waiting(Status.TRIAGED, grid=g, category=category, colour=Colour.WHITE, waited=timedelta(hours=20))
    red_new = waiting(Status.TRIAGED, grid=g, category=category, colour=Colour.RED, waited=timedelta(minutes=5))
    red_old = waiting(Status.SUBMITTED, grid=g, category=category, colour=Colour.RED, waited=timedelta(hours=2))
    yellow = waiting(Status.RETURNED, grid=g, category=category, colour=Colour.YELLOW, waited=timedelta(hours=1))
    white_new = waiting(Status.TRIAGED, grid=g, category=category, colour=Colour.WHITE, waited=timedelta(hours=1))
    # Not waiting for dispatch, or not in the area.
    queued(Status.DISPATCHED, grid=g, category=category, department=departments["a"], colour=Colour.RED)
    waiting(Status.TRIAGED, grid=tree.grid_b, category=category, colour=Colour.RED, waited=timedelta(hours=9))

    dispatcher = staff_a[Role.DISPATCHER]
    page = page_for(dispatcher)
    assert page.scope == "dispatch"  # where a dispatcher lands
    expected = [c.tracking_number for c in (red_old, red_new, yellow, white_old, white_new)]
    assert numbers(page) == expected
    assert page.rows[0].overdue  # two hours on a 30-minute clock

    # The keyset pages walk the same order.
    seen, cursor = [], None
    while True:
        part = page_for(dispatcher, "dispatch", page_size=2, cursor=cursor)
        seen += numbers(part)
        cursor = part.next_cursor
        if cursor is None:
            break
    assert seen == expected
    # The page and the API list the same, in the same order.
    html = api_for(dispatcher).get(API, {"scope": "dispatch"}).json()
    assert [r["tracking_number"] for r in html["results"]] == expected
    assert html["scopes"] == ["dispatch", "area"]


def test_supervisors_have_awaiting_dispatch_too_and_handlers_do_not(tree, category, staff_a):
    case = waiting(Status.TRIAGED, grid=tree.grid_a, category=category, colour=Colour.RED, waited=timedelta(hours=1))
    assert numbers(page_for(staff_a[Role.SUPERVISOR], "dispatch")) == [case.tracking_number]
    assert page_for(staff_a[Role.MEDIATOR], "dispatch").scope == "mine"


def test_a_returned_case_shows_its_latest_return_on_the_page_and_in_the_api(
    tree, category, departments, staff_a, client
):
    mediator = staff_a[Role.MEDIATOR]
    case = queued(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    returned(case, by=mediator, reason="属劳动争议")
    services.dispute_transition(
        dispute=case,
        action="dispatch",
        actor=Actor.for_user(staff_a[Role.DISPATCHER]),
        data={"department": departments["a"]},
    )
    returned(case, by=mediator, reason="应由人社部门处理，非本委员会受理范围")

    [row] = page_for(staff_a[Role.DISPATCHER]).rows
    assert (row.returned_by, row.return_reason) == (departments["a"].name, "应由人社部门处理，非本委员会受理范围")

    client.force_login(staff_a[Role.DISPATCHER])
    html = client.get("/en" + QUEUE).content.decode()
    assert f"Returned by {departments['a'].name}: 应由人社部门处理，非本委员会受理范围" in html
    assert "属劳动争议" not in html  # the latest return only

    api_row = api_for(staff_a[Role.DISPATCHER]).get(API).json()["results"][0]
    assert api_row["returned_by"] == departments["a"].name
    assert api_row["return_reason"] == "应由人社部门处理，非本委员会受理范围"


def test_a_handler_who_does_not_work_a_returned_case_is_not_shown_its_reason(
    tree, category, departments, staff_a, make_staff
):
    case = queued(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    returned(case, by=staff_a[Role.MEDIATOR], reason="当事人欧阳某要求转交")
    bystander = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["b"])
    rows = api_for(bystander).get(API, {"scope": "area"}).json()["results"]
    assert [r["tracking_number"] for r in rows] == [case.tracking_number]
    assert rows[0]["return_reason"] == "" and rows[0]["returned_by"] == ""


def test_the_queue_page_costs_the_same_queries_for_five_or_twenty_returned_cases(
    tree, category, departments, staff_a, client, django_assert_max_num_queries
):
    dispatcher = staff_a[Role.DISPATCHER]
    client.force_login(dispatcher)

    def make_returned(n):
        for i in range(n):
            case = queued(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
            returned(case, by=staff_a[Role.MEDIATOR], reason=f"退回理由{i}")

    make_returned(5)
    client.get(QUEUE)  # option lists cached
    with CaptureQueriesContext(connection) as five:
        response = client.get(QUEUE, {"scope": "dispatch"})
    five = len(five)
    assert response.content.decode().count("退回理由") == 10  # shown and in the title
    make_returned(15)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(QUEUE, {"scope": "dispatch"})
    assert response.content.decode().count("退回理由") == 40
    # Read at once: each request resets the connection's query log.
    assert five == len(twenty) <= 8
    per_page = five
    api = api_for(dispatcher)
    api.get(API, {"scope": "dispatch"})
    with django_assert_max_num_queries(per_page):
        rows = api.get(API, {"scope": "dispatch"}).json()["results"]
    assert all(r["return_reason"].startswith("退回理由") for r in rows) and len(rows) == 20
    # The selector itself: the rows, then the page's returns.
    with CaptureQueriesContext(connection) as selector:
        page_for(dispatcher, "dispatch", page_size=50)
    assert len(selector) <= 3, [q["sql"] for q in selector.captured_queries]


# --- 协办 and the search by number ------------------------------------------------------------------------------


@pytest.fixture
def assisted(tree, category, departments, make_staff):
    """A case of township B, led and taken by B's committee, which A's committee assists (联合调解)."""
    b_mediator = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"])
    case = queued(
        Status.IN_MEDIATION, grid=tree.grid_b, category=category, department=departments["b"], mediator=b_mediator
    )
    DisputeAssist.objects.create(dispute=case, department=departments["a"])
    return case


def test_the_assisting_tab_lists_the_cases_the_department_assists(assisted, staff_a, tree, category, departments):
    own = queued(grid=tree.grid_a, category=category, department=departments["a"], mediator=staff_a[Role.MEDIATOR])
    mediator = staff_a[Role.MEDIATOR]
    assert numbers(page_for(mediator, "assisting")) == [assisted.tracking_number]
    for scope in ("mine", "department", "area"):
        assert assisted.tracking_number not in numbers(page_for(mediator, scope))
    assert own.tracking_number not in numbers(page_for(mediator, "assisting"))
    body = api_for(staff_a[Role.DEPARTMENT_STAFF]).get(API, {"scope": "assisting"}).json()
    assert [r["tracking_number"] for r in body["results"]] == [assisted.tracking_number]


@pytest.mark.parametrize("scope", ["mine", "department", "area", "assisting"])
def test_the_assisting_department_finds_its_case_by_number_in_any_tab(assisted, staff_a, client, scope):
    mediator = staff_a[Role.MEDIATOR]
    number = assisted.tracking_number
    typed = f"{number[:4].lower()} {number[4:8]}-{number[8:]}"
    assert numbers(page_for(mediator, scope, {"q": typed})) == [number]
    client.force_login(mediator)
    assert f'href="/work/case/{number}/"' in client.get(QUEUE, {"scope": scope, "q": typed}).content.decode()
    api = api_for(mediator).get(API, {"scope": scope, "q": number}).json()
    assert [r["tracking_number"] for r in api["results"]] == [number]
    # The first groups, read out over the phone, find it too.
    assert number in numbers(page_for(mediator, scope, {"q": number[:8]}))


def test_a_number_finds_only_what_the_user_may_see_and_a_whole_one_any_status(
    assisted, staff_a, tree, category, departments
):
    # Township A's dispatcher sees nothing of township B: the number finds nothing.
    assert numbers(page_for(staff_a[Role.DISPATCHER], "area", {"q": assisted.tracking_number})) == []
    closed = queued(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"])
    mediator = staff_a[Role.MEDIATOR]
    assert numbers(page_for(mediator, "mine", {"q": closed.tracking_number})) == [closed.tracking_number]
    # Words are still searched within the tab only.
    assert numbers(page_for(mediator, "mine", {"q": "装修"})) == []


# --- 包案: the leader's and the supervisors' tabs ------------------------------------------------------------------


def test_cases_i_lead_and_awaiting_a_leader(tree, category, departments, staff_a, make_staff):
    supervisor = staff_a[Role.SUPERVISOR]
    g = tree.grid_a
    unled = queued(grid=g, category=category, department=departments["a"], colour=Colour.RED)
    led = queued(grid=g, category=category, department=departments["a"], colour=Colour.RED, leader=supervisor)
    queued(grid=g, category=category, department=departments["a"], colour=Colour.YELLOW)
    queued(Status.CLOSED, grid=g, category=category, department=departments["a"], colour=Colour.RED)

    assert numbers(page_for(supervisor, "unled")) == [unled.tracking_number]
    assert numbers(page_for(supervisor, "led")) == [led.tracking_number]
    row = page_for(supervisor, "area").rows
    assert {r.tracking_number: r.leader for r in row}[led.tracking_number] == supervisor.username

    # A mediator named leader gets the tab once they lead a case; the others do not.
    town_mediator = staff_a[Role.MEDIATOR]
    assert "led" not in queue.queue_scopes(town_mediator)
    other = queued(grid=g, category=category, department=departments["a"], leader=town_mediator)
    town_mediator._queue_leads_cases = None  # a new request
    assert "led" in queue.queue_scopes(town_mediator)
    assert numbers(page_for(town_mediator, "led")) == [other.tracking_number]


def test_the_tabs_on_the_page_read_in_chinese(staff_a, client):
    client.force_login(staff_a[Role.SUPERVISOR])
    html = client.get(QUEUE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for label in ("待派单", "待包案", "我包案的"):
        assert f">{label}</a>" in html
    client.force_login(staff_a[Role.MEDIATOR])
    assert ">协办</a>" in client.get(QUEUE).content.decode()


# --- The callers' search ----------------------------------------------------------------------------------------


def awaiting(tree, category, departments, *, name, phone, description="邻居装修噪音扰民"):
    case = case_in(
        Status.AWAITING_CALLBACK,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        description=description,
    )
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name=name, phone=phone)
    return case


@pytest.fixture
def waiting_calls(tree, category, departments):
    return {
        "wang": awaiting(tree, category, departments, name="王建国", phone="13811112222"),
        "li": awaiting(tree, category, departments, name="李秀英", phone="13933334444", description="拖欠货款"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("王建国", {"wang"}),
        ("138 1111 2222", {"wang"}),
        ("+86 13933334444", {"li"}),
        ("货款", {"li"}),
        ("13800000000", set()),
        ("", {"wang", "li"}),
    ],
    ids=["name", "phone-spaced", "phone-+86", "description", "unknown-phone", "empty"],
)
def test_callers_search_by_name_phone_and_words(waiting_calls, staff_a, client, query, expected):
    caller = staff_a[Role.CALLBACK_CALLER]
    by_number = {case.tracking_number: key for key, case in waiting_calls.items()}
    api = api_for(caller).get(CALLBACKS_API, {"q": query}).json()
    assert {by_number[r["tracking_number"]] for r in api["results"]} == expected
    client.force_login(caller)
    html = client.get(CALLBACKS, {"q": query}).content.decode()
    assert {key for number, key in by_number.items() if f"/work/callbacks/{number}/" in html} == expected


def test_callers_search_by_tracking_number_and_keep_the_search_across_pages(
    waiting_calls, staff_a, client, tree, category, departments, monkeypatch
):
    caller = staff_a[Role.CALLBACK_CALLER]
    number = waiting_calls["li"].tracking_number
    api = api_for(caller).get(CALLBACKS_API, {"q": number.lower()}).json()
    assert [r["tracking_number"] for r in api["results"]] == [number]

    from disputes.staff import callbacks as pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    for _n in range(2):
        awaiting(tree, category, departments, name="王建国", phone="13855556666")
    client.force_login(caller)
    html = client.get(CALLBACKS, {"q": "王建国"}).content.decode()
    [next_href] = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html) if "after=" in h]
    assert "q=%E7%8E%8B%E5%BB%BA%E5%9B%BD" in next_href
    second = client.get(next_href).content.decode()
    assert second.count("/work/callbacks/" + waiting_calls["li"].tracking_number) == 0
    # A search that finds nothing says so.
    nothing = client.get("/en" + CALLBACKS, {"q": "没有这个人"}).content.decode()
    assert "No case waiting for a callback matches this search." in nothing


def test_the_callers_search_never_reaches_outside_their_area(waiting_calls, staff_a, tree, category, departments):
    elsewhere = case_in(Status.AWAITING_CALLBACK, grid=tree.grid_b, category=category, department=departments["b"])
    PartyFactory(dispute=elsewhere, role=PartyRole.APPLICANT, name="王建国", phone="13811112222")
    Deadline.objects.filter(dispute=elsewhere, kind=DeadlineKind.CALLBACK).update(due_at=timezone.now())
    api = api_for(staff_a[Role.CALLBACK_CALLER])
    for query in ("王建国", "13811112222", elsewhere.tracking_number):
        found = {r["tracking_number"] for r in api.get(CALLBACKS_API, {"q": query}).json()["results"]}
        assert elsewhere.tracking_number not in found
