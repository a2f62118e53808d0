"""收件箱 in a real browser: the dispatcher's header badge follows new messages without a reload, and reading lowers it.

Sign in → the badge shows the unread count → a message written on the server appears in the
badge within INBOX_POLL_SECONDS (1 s here) → on the inbox page a bar offers the new messages
→ "mark as read" and "mark all as read" lower the count → "open" leads to the case.

`SCREENSHOT_DIR=docs/screenshots pytest tests/browser/test_inbox.py` redraws docs/screenshots/inbox.png
(the inbox in Chinese, with messages of several kinds).
"""

import pytest

from core.models import Notification
from disputes.rules.enums import Status
from grids.models import Role
from tests.browser.conftest import check_accessible, sign_in
from tests.disputes.cases import case_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BADGE = "nav.site-nav [data-inbox-count]"


def message(user, kind: str, body: str, **fields) -> Notification:
    """A staff message as the services write it (the delivery itself is not what is tested here)."""
    return Notification.objects.create(
        channel=Notification.Channel.STAFF, recipient_user=user, kind=kind, body=body, **fields
    )


def wait_for_badge(page, text: str) -> None:
    page.wait_for_function(
        "([selector, text]) => { const b = document.querySelector(selector);"
        " return b && !b.hidden && b.textContent.trim() === text; }",
        arg=[BADGE, text],
    )


def test_the_badge_follows_new_messages_and_reading_lowers_it(
    live_server, desktop, settings, tree, category, departments, staff_a, shoot
):
    settings.INBOX_POLL_SECONDS = 1
    dispatcher = staff_a[Role.DISPATCHER]
    cases = [
        case_in(Status.TRIAGED, grid=tree.grid_a, category=category),
        case_in(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"]),
        case_in(Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["a"]),
        case_in(Status.IN_MEDIATION, grid=tree.grid_a, category=category, department=departments["a"]),
    ]
    n = [c.tracking_number_display for c in cases]
    old = message(dispatcher, "assigned", f"新案件{n[0]}（红单）已分派给您。", dispute_id=cases[0].pk)
    old.read_at = old.created_at
    old.save()
    message(dispatcher, "deadline_reminder", f"案件{n[1]}：时限“受理”已到期。", dispute_id=cases[1].pk)
    message(dispatcher, "escalated", f"案件{n[2]}已超期（“办结”），已提级交由您督办。", dispute_id=cases[2].pk)
    page = desktop

    # Signed in, on the queue: the header shows two unread messages, named for screen readers.
    sign_in(page, live_server.url, dispatcher.username)
    badge = page.locator(BADGE)
    assert badge.inner_text() == "2"
    assert badge.get_attribute("aria-label") == "2 条未读消息"

    # A message written on the server shows in the badge without a reload.
    url_before = page.url
    message(
        dispatcher,
        "supervision_order",
        f"督办单 南浦综治〔2026〕3号：请于3日内报告案件{n[3]}的办理情况。",
        dispute_id=cases[3].pk,
    )
    wait_for_badge(page, "3")
    assert page.url == url_before
    assert badge.get_attribute("aria-label") == "3 条未读消息"

    # The inbox: unread messages marked; a newer message is offered in a bar, not pushed into the list.
    with page.expect_navigation():
        page.click("nav.site-nav a[href$='/inbox/']")
    assert page.locator(".inbox-item--unread").count() == 3
    message(dispatcher, "assistance", f"案件{n[1]}邀请贵部门协办（联合调解）。", dispute_id=cases[1].pk)
    bar = page.locator("[data-inbox-new]")
    bar.wait_for(state="visible")
    assert bar.inner_text().strip() == "有 1 条新消息，点击刷新。"
    wait_for_badge(page, "4")
    with page.expect_navigation():
        bar.locator("a").click()
    assert page.locator(".inbox-item--unread").count() == 4
    message(dispatcher, "leader_set", f"您已被确定为案件{n[2]}的包案领导。", dispute_id=cases[2].pk)
    message(dispatcher, "petition_reminder_letter", "信访事项提醒函：信访件XF20260001 请于5日内答复。")
    page.reload()
    check_accessible(page, "inbox")
    shoot(page, "inbox")

    # Marking one read lowers the count; "open" marks read and leads to the case.
    with page.expect_navigation():
        page.locator(".inbox-item--unread").first.locator("button[type=submit]").click()
    assert page.locator(BADGE).inner_text() == "5"
    assert "已将 1 条消息标为已读。" in page.locator(".alert").inner_text()
    escalated = page.locator(".inbox-item", has_text="已提级交由您督办")
    with page.expect_navigation():
        escalated.locator("a:text-is('打开')").click()
    assert page.url.endswith(f"/work/case/{cases[2].tracking_number}/")
    assert page.locator(BADGE).inner_text() == "4"

    # Mark all read: the badge disappears.
    page.goto(f"{live_server.url}/inbox/")
    with page.expect_navigation():
        page.click("form.inbox-all button[type=submit]")
    assert page.locator(BADGE).is_hidden()
    assert page.locator(".inbox-item--unread").count() == 0
    assert Notification.objects.filter(recipient_user=dispatcher, read_at__isnull=True).count() == 0
