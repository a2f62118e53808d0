# ruff: noqa: F811 (the fixtures imported from tests.disputes.orders are parameters here)
"""The 督办 pages: the supervisor's and the recipient's lists, the case page's panel and action, the order page's
sign / reply / close forms, and the printed 督办单 (GB/T 9704: 代字〔2026〕N号, full-width colon, Chinese dates)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from disputes.models import SupervisionOrder
from disputes.rules.enums import EventKind
from tests.disputes.orders import case, clock, issue, offices, people  # noqa: F401

pytestmark = pytest.mark.django_db


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_the_supervisor_lists_the_orders_of_the_office_by_state(client, clock, case, people):
    first = issue(case, people["supervisor"])
    second = issue(case, people["supervisor"])
    clock.shift(timedelta(hours=30))

    everything = page(client, people["supervisor"], reverse("disputes:orders")).content.decode()
    overdue = page(client, people["supervisor"], reverse("disputes:orders"), state="overdue").content.decode()
    replied = page(client, people["supervisor"], reverse("disputes:orders"), state="replied").content.decode()

    assert first.document_number in everything and second.document_number in everything
    assert "我发出的督办单" in everything and "已超期" in everything
    assert overdue.count('data-state="overdue"') == 2
    assert "暂无督办单" in replied


def test_the_recipient_sees_the_orders_to_their_department_and_the_menu_entry(client, clock, case, people):
    order = issue(case, people["supervisor"])

    body = page(client, people["clerk"], reverse("disputes:orders")).content.decode()
    other = page(client, people["b_clerk"], reverse("disputes:orders")).content.decode()

    assert order.document_number in body and "待签收" in body
    assert f'href="{reverse("disputes:orders")}"' in body  # the menu's 督办 entry
    assert "我发出的督办单" not in body  # a handler has no "issued" box
    assert order.document_number not in other


def test_the_case_page_shows_the_open_orders_and_offers_the_action_to_supervisors(client, clock, case, people):
    order = issue(case, people["supervisor"])
    url = reverse("disputes:case", kwargs={"tracking_number": case.tracking_number})

    as_supervisor = page(client, people["supervisor"], url).content.decode()
    as_mediator = page(client, people["mediator"], url).content.decode()

    assert order.document_number in as_supervisor and 'id="orders-title"' in as_supervisor
    assert 'data-action="order"' in as_supervisor
    assert order.document_number in as_mediator
    assert 'data-action="order"' not in as_mediator


def test_the_case_action_issues_an_order_and_refuses_a_missing_reason(client, clock, case, people, departments):
    client.force_login(people["supervisor"])
    url = reverse("disputes:case_action", kwargs={"tracking_number": case.tracking_number, "action": "order"})
    body = {"order-recipient": f"department:{departments['a'].pk}", "order-reply_within_days": "3"}

    refused = client.post(url, {**body, "order-reason": ""})
    done = client.post(url, {**body, "order-reason": "受理后十日未调解", "order-requirements": "尽快组织调解"})
    person = client.post(
        url, {**body, "order-recipient": f"user:{people['mediator'].pk}", "order-reason": "请说明进展"}
    )

    assert refused.status_code == 400
    assert done.status_code == 303 and person.status_code == 303
    orders = list(SupervisionOrder.objects.order_by("pk"))
    assert [o.to_department_id for o in orders] == [departments["a"].pk, None]
    assert orders[1].to_user == people["mediator"]
    assert orders[0].requirements == "尽快组织调解"


def test_sign_reply_and_close_on_the_order_page(client, clock, case, people):
    order = issue(case, people["supervisor"])
    url = reverse("disputes:order", kwargs={"pk": order.pk})

    before = page(client, people["clerk"], url).content.decode()
    assert 'data-action="sign"' in before and 'data-action="reply"' in before
    assert 'data-action="close"' not in before
    signed = client.post(reverse("disputes:order_sign", kwargs={"pk": order.pk}))
    twice = client.post(reverse("disputes:order_sign", kwargs={"pk": order.pk}))
    empty = client.post(reverse("disputes:order_reply", kwargs={"pk": order.pk}), {"reply-reply": ""})
    replied = client.post(reverse("disputes:order_reply", kwargs={"pk": order.pk}), {"reply-reply": "已组织调解"})
    assert (signed.status_code, twice.status_code, empty.status_code, replied.status_code) == (303, 409, 400, 303)

    client.force_login(people["supervisor"])
    issuer_view = client.get(url).content.decode()
    assert 'data-action="close"' in issuer_view and "已组织调解" in issuer_view
    no_remarks = client.post(reverse("disputes:order_close", kwargs={"pk": order.pk}), {"close-decision": "send_back"})
    closed = client.post(reverse("disputes:order_close", kwargs={"pk": order.pk}), {"close-decision": "close"})
    assert no_remarks.status_code == 400 and "请说明还需补充办理的内容" in no_remarks.content.decode()
    assert closed.status_code == 303
    order.refresh_from_db()
    assert order.closed_at is not None
    assert order.dispute.events.filter(kind=EventKind.ORDER_CLOSED).count() == 1


def test_a_non_recipient_cannot_sign_and_an_outsider_does_not_find_the_order(client, clock, case, people):
    order = issue(case, people["supervisor"])

    client.force_login(people["supervisor"])
    refused = client.post(reverse("disputes:order_sign", kwargs={"pk": order.pk}))
    client.force_login(people["b_clerk"])
    hidden = client.get(reverse("disputes:order", kwargs={"pk": order.pk}))
    hidden_print = client.get(reverse("disputes:order_print", kwargs={"pk": order.pk}))

    assert refused.status_code == 403
    assert hidden.status_code == 404 and hidden_print.status_code == 404
    order.refresh_from_db()
    assert order.signed_at is None


def test_the_printed_order_follows_gb_t_9704(client, clock, case, people, departments):
    order = issue(case, people["supervisor"], requirements="三日内组织双方调解。")
    for _ in range(11):
        issue(case, people["supervisor"])
    twelfth = SupervisionOrder.objects.get(number=12)

    body = page(
        client, people["supervisor"], reverse("disputes:order_print", kwargs={"pk": twelfth.pk})
    ).content.decode()
    first = page(
        client, people["supervisor"], reverse("disputes:order_print", kwargs={"pk": order.pk})
    ).content.decode()

    assert re.search(r"data-number>南浦矛调督〔2026〕12号<", body)
    assert "第" not in twelfth.document_number and "〔2026〕12号" in body
    assert "南浦街道社会矛盾纠纷调处化解中心" in body  # the red header and the signature
    assert body.count("南浦街道社会矛盾纠纷调处化解中心") == 2
    assert re.search(r"<h1[^>]*>督办单</h1>", body)
    assert f"data-addressee>{departments['a'].name}：<" in body
    assert "请于2026年12月8日前签收，并于2026年12月10日前报送办理情况。" in body
    assert "data-date>2026年12月7日<" in body
    assert "2026年12月07日" not in body and "2026-12-07" not in body
    assert "办理要求：三日内组织双方调解。" in first
    assert f"案件编号：{' '.join(case.tracking_number_display.split())}" in first or "案件编号：" in first
    assert "order_print.css" in body


def test_the_printed_order_in_english(client, clock, case, people, departments):
    order = issue(case, people["supervisor"])
    client.force_login(people["supervisor"])

    body = client.get("/en" + reverse("disputes:order_print", kwargs={"pk": order.pk})).content.decode()

    assert "data-date>7 December 2026<" in body
    assert f"data-addressee>{departments['a'].name}:<" in body
    assert "Please sign for this order by 8 December 2026 and report what was done by 10 December 2026." in body
