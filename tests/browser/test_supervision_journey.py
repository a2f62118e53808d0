"""督办 in a real browser: a supervisor issues a supervision order from the case page, the department's clerk
finds it in the inbox, signs for it and reports what was done, and the supervisor closes it.

Sign in (supervisor) → the case page's "发督办单" → the order's number (南浦矛调督〔year〕1号) on the case
→ sign in (clerk) → the inbox item opens the order page → 签收 → 报送办理情况 → sign in (supervisor) → the inbox
says it was answered → 办结 → the office's list shows it closed.
"""

import pytest
from django.utils import timezone

from disputes.models import SupervisionOrder
from disputes.rules.enums import Status
from grids.models import Role
from tests.browser.conftest import sign_in
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def sign_out(page, base: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/")


def test_an_order_is_issued_signed_answered_and_closed(live_server, desktop, tree, category, departments, staff_a):
    tree.town_a.doc_code = "南浦矛调督"
    tree.town_a.save(update_fields=["doc_code"])
    supervisor, clerk = staff_a[Role.SUPERVISOR], staff_a[Role.DEPARTMENT_STAFF]
    case = case_in(
        Status.ACCEPTED,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        assigned_mediator=staff_a[Role.MEDIATOR],
    )
    PartyFactory(dispute=case, name="李四", phone="13900139000")
    page = desktop
    base = live_server.url

    # The supervisor issues the order from the case page.
    sign_in(page, base, supervisor.username)
    page.goto(f"{base}/work/case/{case.tracking_number}/")
    page.click("[data-action=order] > summary")
    page.select_option("#id_order-recipient", value=f"department:{departments['a'].pk}")
    page.fill("#id_order-reason", "受理后十日未组织调解，当事人多次来电。")
    page.fill("#id_order-requirements", "三日内组织双方调解并报送情况。")
    page.fill("#id_order-reply_within_days", "3")
    submit(page, "[data-action=order] button[type=submit]")
    order = SupervisionOrder.objects.get(dispute=case)
    number = f"南浦矛调督〔{timezone.localdate().year}〕1号"
    assert order.document_number == number
    assert number in page.locator("#orders-title").locator("xpath=..").inner_text()

    # The clerk of the department finds it in the inbox and opens it.
    sign_out(page, base)
    sign_in(page, base, clerk.username)
    page.goto(f"{base}/inbox/")
    item = page.locator(".inbox-item", has_text=number)
    assert item.count() == 1
    submit(page, f".inbox-item:has-text('{number}') a:has-text('打开')")
    assert page.url.endswith(f"/work/orders/{order.pk}/"), "the inbox item leads to the order"
    assert page.locator("[data-state]").get_attribute("data-state") == "issued"

    # 签收, then the reply: an empty one is refused in Chinese and loses nothing else.
    submit(page, "[data-action=sign] button[type=submit]")
    assert page.locator("[data-state]").get_attribute("data-state") == "signed"
    submit(page, "[data-action=reply] button[type=submit]")
    errors = page.locator("[data-action=reply] .error, [data-action=reply] .field__error").all_inner_texts()
    assert "该字段是必填项。" in errors
    page.fill("#id_reply-reply", "已于次日组织双方调解，达成初步一致，正在起草协议。")
    submit(page, "[data-action=reply] button[type=submit]")
    order.refresh_from_db()
    assert (order.signed_by, order.replied_by) == (clerk, clerk)
    assert "正在起草协议" in page.locator("[data-field=reply]").inner_text()

    # The supervisor is told, closes the order, and the office's list shows it closed.
    sign_out(page, base)
    sign_in(page, base, supervisor.username)
    page.goto(f"{base}/inbox/")
    assert page.locator(".inbox-item", has_text="已回复办理情况").count() == 1
    page.goto(f"{base}/work/orders/{order.pk}/")
    page.fill("#id_close-remarks", "情况属实，予以办结。")
    submit(page, "[data-action=close] button[type=submit]")
    order.refresh_from_db()
    assert order.closed_at is not None
    page.goto(f"{base}/work/orders/?state=closed")
    assert number in page.content()
