"""The queue selector and page: order, scopes, filters, search, keyset pages, query counts, jurisdiction."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.exceptions import ApplicationError
from disputes.rules.enums import Channel, Colour, Status
from disputes.selectors import queue
from grids.models import Role
from tests.disputes.workbench.queue_helpers import numbers, queued
from tests.factories import CategoryFactory, PartyFactory

pytestmark = pytest.mark.django_db

QUEUE = "/work/"


def page_for(user, scope=None, params=None, **kw):
    return queue.queue_page(user=user, scope=scope, params=params or {}, **kw)


# --- Order ---------------------------------------------------------------------------------------


def test_red_first_then_nearest_deadline_then_no_deadline_last(tree, category, departments, staff_a):
    d = departments["a"]
    g = tree.grid_a
    white_soon = queued(grid=g, category=category, department=d, colour=Colour.WHITE, due_in=timedelta(hours=1))
    red_late = queued(grid=g, category=category, department=d, colour=Colour.RED, due_in=timedelta(days=2))
    red_none = queued(grid=g, category=category, department=d, colour=Colour.RED, no_deadline=True)
    red_overdue = queued(grid=g, category=category, department=d, colour=Colour.RED, due_in=timedelta(hours=-3))
    yellow = queued(grid=g, category=category, department=d, colour=Colour.YELLOW, due_in=timedelta(days=9))
    white_none = queued(grid=g, category=category, department=d, colour=Colour.WHITE, no_deadline=True)

    page = page_for(staff_a[Role.SUPERVISOR])

    assert numbers(page) == [
        c.tracking_number for c in (red_overdue, red_late, red_none, yellow, white_soon, white_none)
    ]
    assert page.next_cursor is None
    first = page.rows[0]
    assert (first.colour, first.overdue) == ("red", True)
    assert page.rows[2].next_due_at is None


def test_ties_break_on_id_and_cursor_pages_cover_every_row_once(tree, category, departments, staff_a):
    due = timezone.now() + timedelta(days=1)
    cases = []
    for n in range(23):
        colour = (Colour.RED, Colour.YELLOW, Colour.WHITE)[n % 3]
        case = queued(grid=tree.grid_a, category=category, department=departments["a"], colour=colour)
        # Many rows share colour and deadline (and some have none): only the id orders them.
        case.next_due_at = None if n % 5 == 0 else due
        case.save(update_fields=["next_due_at"])
        cases.append(case)
    supervisor = staff_a[Role.SUPERVISOR]
    expected = numbers(page_for(supervisor, page_size=100))

    seen, cursor, pages = [], None, 0
    while True:
        page = page_for(supervisor, cursor=cursor, page_size=4)
        seen += numbers(page)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 6
    assert seen == expected
    assert len(seen) == len(set(seen)) == 23
    # Within a colour: cases with the deadline by id, then those with none by id.
    reds = [c for c in cases if c.colour == Colour.RED]
    red_order = sorted((c.next_due_at is None, c.pk) for c in reds)
    assert seen[: len(reds)] == [next(c.tracking_number for c in reds if c.pk == pk) for _none, pk in red_order]


def test_a_tampered_cursor_is_refused(tree, category, departments, staff_a):
    queued(grid=tree.grid_a, category=category, department=departments["a"])
    with pytest.raises(ApplicationError) as refused:
        page_for(staff_a[Role.SUPERVISOR], cursor="WzEsbnVsbCwxXQ:forged")
    assert refused.value.code == "invalid_cursor"


# --- Scopes ----------------------------------------------------------------------------------------


def test_scopes_by_role(staff_a):
    assert queue.queue_scopes(staff_a[Role.MEDIATOR]) == ["mine", "department", "assisting", "area"]
    assert queue.queue_scopes(staff_a[Role.DEPARTMENT_STAFF]) == ["mine", "department", "assisting", "area"]
    # A dispatcher lands on 待派单; supervisors also have 待包案 and the cases they lead.
    assert queue.queue_scopes(staff_a[Role.DISPATCHER]) == ["dispatch", "area"]
    assert queue.queue_scopes(staff_a[Role.SUPERVISOR]) == ["area", "dispatch", "unled", "led"]
    assert queue.queue_scopes(staff_a[Role.ADMIN]) == ["area", "dispatch", "unled"]
    assert queue.queue_scopes(staff_a[Role.CALLBACK_CALLER]) == ["area"]


def test_mine_department_and_unassigned_in_area(tree, category, departments, staff_a, make_staff):
    me = staff_a[Role.MEDIATOR]
    colleague = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"])
    mine = queued(grid=tree.grid_a, category=category, department=departments["a"], mediator=me)
    colleagues = queued(grid=tree.grid_a, category=category, department=departments["a"], mediator=colleague)
    waiting = queued(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    unrouted = queued(Status.TRIAGED, grid=tree.village_a, category=category)
    elsewhere = queued(Status.DISPATCHED, grid=tree.grid_b, category=category, department=departments["b"])

    assert numbers(page_for(me, "mine")) == [mine.tracking_number]
    assert set(numbers(page_for(me, "department"))) == {
        mine.tracking_number,
        colleagues.tracking_number,
        waiting.tracking_number,
    }
    assert set(numbers(page_for(me, "area"))) == {waiting.tracking_number, unrouted.tracking_number}
    assert elsewhere.tracking_number not in numbers(page_for(staff_a[Role.SUPERVISOR]))
    # No scope given: a handler lands on their own cases, a supervisor on the area.
    assert page_for(me).scope == "mine"
    # A scope the role does not have falls back to the first it has.
    assert page_for(staff_a[Role.DISPATCHER], "mine").scope == "dispatch"


# --- Filters ----------------------------------------------------------------------------------------


@pytest.fixture
def assorted(tree, category, departments):
    d = departments["a"]
    other_category = CategoryFactory(code="labour", name="劳资欠薪纠纷")
    return {
        "red": queued(grid=tree.grid_a, category=category, department=d, colour=Colour.RED),
        "yellow_hotline": queued(
            grid=tree.grid_a, category=category, department=d, colour=Colour.YELLOW, channel=Channel.HOTLINE_12345
        ),
        "labour": queued(grid=tree.grid_a, category=other_category, department=d),
        "overdue": queued(grid=tree.grid_a, category=category, department=d, due_in=timedelta(hours=-1)),
        "town_b": queued(grid=tree.grid_b, category=category, department=departments["b"]),
        "closed": queued(Status.CLOSED, grid=tree.grid_a, category=category, department=d),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"red", "yellow_hotline", "labour", "overdue", "town_b"}),
        ({"status": "closed"}, {"closed"}),
        ({"colour": "red"}, {"red"}),
        ({"colour": "yellow"}, {"yellow_hotline"}),
        ({"category": "labour"}, {"labour"}),
        ({"channel": "hotline_12345"}, {"yellow_hotline"}),
        ({"overdue": "1"}, {"overdue"}),
        ({"overdue": "0"}, {"red", "yellow_hotline", "labour", "overdue", "town_b"}),
    ],
    ids=["open-only", "status", "colour-red", "colour-yellow", "category", "channel", "overdue", "overdue-off"],
)
def test_each_filter(assorted, staff_a, params, expected):
    page = page_for(staff_a[Role.ADMIN], params=params)
    assert page.valid
    by_number = {case.tracking_number: key for key, case in assorted.items()}
    assert {by_number[n] for n in numbers(page)} == expected


def test_area_filter_takes_the_area_and_everything_below(assorted, tree, staff_a):
    admin = staff_a[Role.ADMIN]
    town_b = page_for(admin, params={"area": str(tree.town_b.pk)})
    assert numbers(town_b) == [assorted["town_b"].tracking_number]
    village_a = page_for(admin, params={"area": str(tree.village_a.pk)})
    assert assorted["town_b"].tracking_number not in numbers(village_a)
    assert len(village_a.rows) == 4


def test_an_area_outside_the_users_own_is_an_invalid_filter(assorted, tree, staff_a):
    page = page_for(staff_a[Role.SUPERVISOR], params={"area": str(tree.town_b.pk)})
    assert not page.valid
    assert "area" in page.filters.errors
    assert assorted["town_b"].tracking_number not in numbers(page)


def test_search_by_tracking_number_typed_any_way(tree, category, departments, staff_a):
    case = queued(grid=tree.grid_a, category=category, department=departments["a"])
    queued(grid=tree.grid_a, category=category, department=departments["a"])
    number = case.tracking_number
    typed = f"{number[:4].lower()} {number[4:8]}-{number[8:]}"
    assert numbers(page_for(staff_a[Role.SUPERVISOR], params={"q": typed})) == [number]
    # The first groups alone, as read out over the phone.
    assert number in numbers(page_for(staff_a[Role.SUPERVISOR], params={"q": number[:6].lower()}))


def test_search_by_description_and_party_name(tree, category, departments, staff_a):
    d = departments["a"]
    noise = queued(grid=tree.grid_a, category=category, department=d, description="楼上装修噪音扰民")
    wages = queued(grid=tree.grid_a, category=category, department=d, description="老板拖欠工资三个月")
    PartyFactory(dispute=wages, role="respondent", name="欧阳建国")
    supervisor = staff_a[Role.SUPERVISOR]
    assert numbers(page_for(supervisor, params={"q": "噪音"})) == [noise.tracking_number]
    assert numbers(page_for(supervisor, params={"q": "欧阳"})) == [wages.tracking_number]
    assert numbers(page_for(supervisor, params={"q": "没有这个词"})) == []


@pytest.mark.parametrize("candidates", [queue.SEARCH_CANDIDATES, 1], ids=["looked-up", "walked"])
def test_search_finds_the_same_cases_whether_looked_up_or_walked(
    tree, category, departments, staff_a, monkeypatch, candidates
):
    """Below SEARCH_CANDIDATES matches the cases are looked up first (PostgreSQL's gram indexes), above it the
    queue is walked and each case checked: both must give the same answer, in any status, for any length."""
    monkeypatch.setattr(queue, "SEARCH_CANDIDATES", candidates)
    d = departments["a"]
    closed = queued(Status.CLOSED, grid=tree.grid_a, category=category, department=d, description="邻居家漏水")
    PartyFactory(dispute=closed, role="respondent", name="张伟")
    open_case = queued(grid=tree.grid_a, category=category, department=d, description="张伟华拖欠货款")
    other = queued(grid=tree.grid_a, category=category, department=d, description="宠物狗咬伤", applicant="李娜")
    supervisor = staff_a[Role.SUPERVISOR]

    def found(q, status=""):
        params = {"q": q, "status": status} if status else {"q": q}
        return set(numbers(page_for(supervisor, params=params)))

    assert found("张伟") == {open_case.tracking_number}
    assert found("张伟", status="closed") == {closed.tracking_number}
    assert found("漏水", status="closed") == {closed.tracking_number}
    assert found("伟") == {open_case.tracking_number}
    assert found("伟", status="closed") == {closed.tracking_number}
    assert found("娜") == {other.tracking_number}
    assert found("张伟华拖欠货款") == {open_case.tracking_number}
    assert found("华张") == set()
    assert found("龘") == set()


@pytest.mark.postgres
def test_postgres_gram_functions_index_characters_and_pairs():
    with connection.cursor() as cursor:
        cursor.execute("SELECT dispute_grams('张伟华'), dispute_term_grams('张伟华'), dispute_term_grams('张')")
        grams, term, single = cursor.fetchone()
    assert sorted(grams) == sorted(["张", "伟", "华", "张伟", "伟华"])
    assert sorted(term) == ["伟华", "张伟"]
    assert single == ["张"]


def test_search_takes_wildcards_literally(tree, category, departments, staff_a):
    d = departments["a"]
    percent = queued(grid=tree.grid_a, category=category, department=d, description="要求赔偿100%的损失")
    queued(grid=tree.grid_a, category=category, department=d, description="邻里纠纷")
    supervisor = staff_a[Role.SUPERVISOR]
    assert numbers(page_for(supervisor, params={"q": "0%"})) == [percent.tracking_number]
    assert numbers(page_for(supervisor, params={"q": "_"})) == []
    assert numbers(page_for(supervisor, params={"q": "%"})) == [percent.tracking_number]


@pytest.mark.postgres
def test_postgres_search_finds_a_mistyped_name_by_trigram_similarity(tree, category, departments, staff_a):
    case = queued(grid=tree.grid_a, category=category, department=departments["a"], applicant="Zhang Sanfeng")
    queued(grid=tree.grid_a, category=category, department=departments["a"], applicant="Li Si")
    # Not a substring of the name: only pg_trgm's similarity finds it.
    assert numbers(page_for(staff_a[Role.SUPERVISOR], params={"q": "Zhang Sanfen"})) == [case.tracking_number]
    assert numbers(page_for(staff_a[Role.SUPERVISOR], params={"q": "Zang Sanfeng"})) == [case.tracking_number]


def test_search_falls_back_to_a_substring_match_without_postgres(tree, category, departments, staff_a):
    queued(grid=tree.grid_a, category=category, department=departments["a"], applicant="Zhang Sanfeng")
    supervisor = staff_a[Role.SUPERVISOR]
    assert len(page_for(supervisor, params={"q": "sanfeng"}).rows) == 1
    # A mistyped name: only PostgreSQL's trigram similarity finds it; SQLite's LIKE does not.
    found = len(page_for(supervisor, params={"q": "Zang Sanfeng"}).rows)
    assert found == (1 if connection.vendor == "postgresql" else 0)


# --- Fixed cost per page -------------------------------------------------------------------------------


def test_query_count_does_not_depend_on_page_size_or_depth(tree, category, departments, staff_a, client):
    supervisor = staff_a[Role.SUPERVISOR]
    for n in range(60):
        queued(
            grid=tree.grid_a,
            category=category,
            department=departments["a"],
            mediator=staff_a[Role.MEDIATOR],
            colour=(Colour.RED, Colour.WHITE)[n % 2],
            due_in=timedelta(hours=n),
            applicant=f"申请人{n}",
        )
    counts = {}
    for size in (10, 50):
        with CaptureQueriesContext(connection) as queries:
            page = page_for(supervisor, page_size=size)
            assert len(page.rows) == size
        counts[size] = len(queries)
    with CaptureQueriesContext(connection) as queries:
        deeper = page_for(supervisor, page_size=10, cursor=page.next_cursor)
        assert len(deeper.rows) == 10
    counts["deep"] = len(queries)
    assert counts[10] == counts[50] == counts["deep"] <= 4, counts
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)

    client.force_login(supervisor)
    # The filter and bulk-action option lists are cached after the first view.
    client.get(QUEUE)
    page_counts = []
    for size in (10, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(QUEUE, {"page_size": size})
        assert response.status_code == 200
        assert response.content.count(b'name="cases"') == size
        page_counts.append(len(queries))
    assert page_counts[0] == page_counts[1], page_counts


# --- The page ----------------------------------------------------------------------------------------------


def test_login_lands_on_the_queue(client, staff_a):
    mediator = staff_a[Role.MEDIATOR]
    response = client.post("/accounts/login/", {"username": mediator.username, "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response.url == QUEUE


def test_mediator_page_shows_own_cases_take_next_and_no_bulk_form(tree, category, departments, staff_a, client):
    me = staff_a[Role.MEDIATOR]
    mine = queued(
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=me,
        colour=Colour.RED,
        due_in=timedelta(hours=-2),
        applicant="王小明",
    )
    client.force_login(me)
    response = client.get(QUEUE)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/work/case/{mine.tracking_number}/"' in html
    assert 'class="badge badge--red">红单<' in html  # the colour in words, not only in colour
    assert "王*" in html and "王小明" not in html
    assert 'action="/work/take-next/"' in html
    assert 'name="cases"' not in html
    assert 'aria-current="page">' in html


def test_empty_queue_says_so(staff_a, client):
    client.force_login(staff_a[Role.MEDIATOR])
    response = client.get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="panel" role="status">' in html
    assert "<table" not in html


def test_page_filters_and_next_page_link_work_without_javascript(tree, category, departments, staff_a, client):
    for _ in range(3):
        queued(grid=tree.grid_a, category=category, department=departments["a"], colour=Colour.RED)
    queued(grid=tree.grid_a, category=category, department=departments["a"], colour=Colour.WHITE)
    client.force_login(staff_a[Role.SUPERVISOR])
    response = client.get(QUEUE, {"colour": "red", "page_size": 2})
    html = response.content.decode()
    assert html.count('name="cases"') == 2
    next_href = html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert "cursor=" in next_href and "colour=red" in next_href
    second = client.get(next_href)
    assert second.content.decode().count('name="cases"') == 1
    assert 'rel="next"' not in second.content.decode()


def test_a_stale_cursor_on_the_page_starts_again_from_the_first_page(tree, category, departments, staff_a, client):
    case = queued(grid=tree.grid_a, category=category, department=departments["a"])
    client.force_login(staff_a[Role.SUPERVISOR])
    response = client.get(QUEUE, {"cursor": "nonsense"})
    assert response.status_code == 200
    assert case.tracking_number in response.content.decode()
    assert 'class="alert alert--error"' in response.content.decode()


def test_people_without_a_staff_role_get_no_queue(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(QUEUE).status_code == 403
    client.logout()
    assert client.get(QUEUE).status_code == 302


# --- Jurisdiction --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
def test_nobody_sees_a_case_outside_their_jurisdiction_in_any_scope(role, tree, category, departments, staff_a, client):
    outside = [
        queued(status, grid=tree.grid_b, category=category, department=departments["b"], applicant="赵六")
        for status in (Status.TRIAGED, Status.DISPATCHED, Status.IN_MEDIATION)
    ]
    inside = queued(grid=tree.grid_a, category=category, department=departments["a"], mediator=staff_a[Role.MEDIATOR])
    user = staff_a[role]
    client.force_login(user)
    hidden = {c.tracking_number for c in outside}
    for scope in queue.queue_scopes(user):
        for params in ({}, {"q": "赵六"}, {"area": str(tree.town_b.pk)}, {"status": "in_mediation"}):
            assert not hidden & set(numbers(page_for(user, scope, params))), (scope, params)
            html = client.get(QUEUE, {"scope": scope, **params}).content.decode()
            assert not any(n in html for n in hidden)
            api = client.get("/api/v1/queue/", {"scope": scope, **params})
            if api.status_code == 200:
                assert not hidden & {r["tracking_number"] for r in api.json()["results"]}
            else:
                assert api.status_code == 400  # the area outside theirs is refused as a filter
    if role in (Role.SUPERVISOR, Role.DISPATCHER, Role.CALLBACK_CALLER):
        assert inside.tracking_number in numbers(page_for(user, "area"))
