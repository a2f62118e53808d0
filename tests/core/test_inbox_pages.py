"""收件箱 pages: the badge in every staff page's header, the inbox page, "open" and marking read (no JavaScript)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Notification
from disputes.rules.enums import Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'<span class="inbox-count"[^>]*aria-label="([^"]*)"[^>]*>([^<]*)</span>')


def staff_item(user, kind="assigned", body="新案件已分派给您。", **fields) -> Notification:
    return Notification.objects.create(
        channel=Notification.Channel.STAFF, recipient_user=user, kind=kind, body=body, **fields
    )


def badge_of(html: str) -> tuple[str, str]:
    found = BADGE.search(html)
    assert found, "no inbox badge on the page"
    return found.group(1), found.group(2)


@pytest.mark.parametrize(("prefix", "label"), [("", "3 条未读消息"), ("/en", "3 unread messages")])
def test_a_staff_page_shows_the_unread_count_in_the_header(client, staff_a, prefix, label):
    dispatcher = staff_a[Role.DISPATCHER]
    for _ in range(3):
        staff_item(dispatcher)
    staff_item(dispatcher, read_at=staff_item(UserFactory()).created_at)  # read: not counted
    client.force_login(dispatcher)
    html = client.get(f"{prefix}/work/").content.decode()
    assert badge_of(html) == (label, "3")
    # The menu's inbox link carries it, and the page loads the script that keeps it live.
    assert re.search(r'<a href="[^"]*/inbox/">(收件箱|Inbox)<span class="inbox-count"', html)
    assert "js/inbox.js" in html


def test_the_badge_shows_99_plus_and_hides_at_zero(client, staff_a):
    mediator = staff_a[Role.MEDIATOR]
    client.force_login(mediator)
    assert " hidden>0</span>" in client.get("/work/").content.decode()
    Notification.objects.bulk_create(
        Notification(channel=Notification.Channel.STAFF, recipient_user=mediator, kind="assigned", body="b")
        for _ in range(120)
    )
    assert badge_of(client.get("/work/").content.decode()) == ("超过 99 条未读消息", "99+")


def test_the_badge_adds_one_query_to_a_staff_page(client, staff_a, settings):
    """The same page rendered with the badge's context processor and without it: one query apart."""
    supervisor = staff_a[Role.SUPERVISOR]
    staff_item(supervisor)
    client.force_login(supervisor)
    client.get("/work/")  # warm caches (options, sessions)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/work/").status_code == 200
        return len(captured)

    with_badge = queries()
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": [p for p in processors if p != "core.inbox_views.inbox_badge"],
            },
        }
    ]
    without = queries()
    assert with_badge - without == 1


def test_anonymous_pages_have_no_badge_and_no_inbox_query(client):
    with CaptureQueriesContext(connection) as captured:
        html = client.get("/submit/").content.decode()
    assert "inbox-count" not in html and "js/inbox.js" not in html
    assert not [q for q in captured if "core_notification" in q["sql"]]


def test_the_two_factor_pages_which_hide_the_staff_menu_hide_the_badge(client, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    html = client.get(reverse("two_factor_setup")).content.decode()
    assert "inbox-count" not in html


def test_the_inbox_page_lists_unread_first_marked_and_filters(client, staff_a, tree, category):
    mediator = staff_a[Role.MEDIATOR]
    case = case_in(Status.ACCEPTED, grid=tree.grid_a, category=category)
    assigned = staff_item(mediator, kind="assigned", body="新案件已分派给您。", dispute_id=case.pk)
    staff_item(mediator, kind="supervision_order", body="督办单：请于3日内回复。", link="/work/case/X/")
    staff_item(mediator, kind="deadline_reminder", body="受理时限已到。", read_at=assigned.created_at)
    staff_item(UserFactory(), body="别人的消息")
    client.force_login(mediator)

    html = client.get("/inbox/").content.decode()
    assert "收件箱" in html and "别人的消息" not in html
    assert html.count('class="inbox-item inbox-item--unread"') == 2
    assert html.count('class="inbox-item"') == 1
    assert "督办单：请于3日内回复。" in html and "受理时限已到。" in html
    assert f'href="/inbox/{assigned.pk}/open/"' in html
    assert "全部标为已读" in html

    unread = client.get("/inbox/", {"show": "unread"}).content.decode()
    assert "受理时限已到。" not in unread and "督办单：请于3日内回复。" in unread
    supervision = client.get("/inbox/", {"group": "supervision"}).content.decode()
    assert "督办单：请于3日内回复。" in supervision and "新案件已分派给您。" not in supervision
    # A hand-edited filter shows everything rather than failing.
    assert client.get("/inbox/", {"group": "nonsense", "before": "x"}).status_code == 200

    english = client.get("/en/inbox/").content.decode()
    assert "Inbox" in english and "Mark all as read" in english and "Supervision orders" in english


def test_the_inbox_page_pages_by_id(client, staff_a, settings):
    mediator = staff_a[Role.MEDIATOR]
    made = [staff_item(mediator, body=f"消息{i:02d}") for i in range(30)]
    client.force_login(mediator)
    first = client.get("/inbox/").content.decode()
    assert "消息29" in first and "消息04" not in first
    older = re.search(r'href="(/inbox/\?before=\d+)"', first.replace("&amp;", "&"))
    assert older, "no link to older messages"
    second = client.get(older.group(1)).content.decode()
    assert "消息04" in second and "消息29" not in second
    assert made[0].body in second
    assert "回到最新" in second


def test_open_marks_read_and_goes_to_the_case(client, staff_a, tree, category):
    mediator = staff_a[Role.MEDIATOR]
    case = case_in(Status.ACCEPTED, grid=tree.grid_a, category=category)
    item = staff_item(mediator, dispute_id=case.pk)
    client.force_login(mediator)
    response = client.get(f"/inbox/{item.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == reverse("disputes:case", kwargs={"tracking_number": case.tracking_number})
    item.refresh_from_db()
    assert item.read_at is not None


def test_open_never_leads_off_the_site_and_hides_other_readers_items(client, staff_a):
    mediator = staff_a[Role.MEDIATOR]
    phish = staff_item(mediator, link="https://evil.example/")
    theirs = staff_item(UserFactory())
    client.force_login(mediator)
    response = client.get(f"/inbox/{phish.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert client.get(f"/inbox/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_one_and_mark_all_read_with_forms(client, staff_a):
    mediator = staff_a[Role.MEDIATOR]
    one, two = staff_item(mediator), staff_item(mediator)
    theirs = staff_item(UserFactory())
    client.force_login(mediator)
    response = client.post("/inbox/read/", {"id": [one.pk, theirs.pk], "next": "/inbox/?show=unread"})
    assert response.status_code == 303 and response["Location"] == "/inbox/?show=unread"
    one.refresh_from_db()
    theirs.refresh_from_db()
    assert one.read_at is not None and theirs.read_at is None
    page = client.get("/inbox/?show=unread").content.decode()
    assert "已将 1 条消息标为已读。" in page
    assert badge_of(page)[1] == "1"

    response = client.post("/inbox/read/", {"all": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/inbox/"
    two.refresh_from_db()
    assert two.read_at is not None
    assert "全部消息已标为已读。" in client.get("/inbox/").content.decode()


@pytest.mark.parametrize(
    ("prefix", "message"),
    [("", "请选择要标为已读的消息。"), ("/en", "Choose the messages to mark as read.")],
)
def test_an_empty_mark_read_form_is_refused_with_a_message(client, staff_a, prefix, message):
    client.force_login(staff_a[Role.MEDIATOR])
    response = client.post(f"{prefix}/inbox/read/", {}, follow=True)
    assert message in response.content.decode()


def test_the_inbox_needs_a_sign_in(client):
    response = client.get("/inbox/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post("/inbox/read/", {"all": "1"}).status_code == 302
