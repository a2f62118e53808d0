# ruff: noqa: F811 (the fixtures imported from tests.disputes.orders are parameters here)
"""督办单: issuing, signing for, replying to and closing supervision orders; their numbers; the sweep that raises
a late order one level up the area tree (exactly once, even when two sweeps run at the same time)."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections
from django.utils import translation

from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.models import Notification
from disputes.models import CaseEvent, SupervisionOrder
from disputes.rules.enums import EventKind, Status
from disputes.selectors import supervision as order_selectors
from disputes.services import supervision
from grids.models import Role
from tests.disputes.cases import case_in
from tests.disputes.orders import NOW, actor, case, clock, issue, offices, people  # noqa: F401


def refusal(call, language: str) -> ApplicationError:
    with translation.override(language), pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


# --- Issuing ------------------------------------------------------------------------------------------------


def test_a_supervisor_issues_an_order_to_the_lead_department(clock, case, people, tree, departments):
    order = issue(case, people["supervisor"], requirements="三日内组织调解。", reply_within_days=5)

    assert order.document_number == "南浦矛调督〔2026〕1号"
    assert (order.issuing_area, order.year, order.number) == (tree.town_a, 2026, 1)
    assert order.issued_by == people["supervisor"] and not order.is_automatic
    assert order.to_department == departments["a"] and order.to_user is None
    assert order.sign_due_at == NOW + timedelta(hours=24)
    assert order.reply_due_at == NOW + timedelta(days=5)
    assert order.escalate_at == order.sign_due_at
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.ORDER_ISSUED)
    assert event.data["order"] == order.pk and event.data["number"] == order.document_number
    told = set(Notification.objects.filter(kind="supervision_order").values_list("recipient_user", flat=True))
    assert told == {people["mediator"].pk, people["clerk"].pk}
    assert order_selectors.order_state(order) == order_selectors.ISSUED


def test_the_department_head_alone_is_told_when_there_is_one(clock, case, people):
    profile = people["clerk"].staff
    profile.is_head = True
    profile.save(update_fields=["is_head"])

    issue(case, people["supervisor"])

    told = set(Notification.objects.filter(kind="supervision_order").values_list("recipient_user", flat=True))
    assert told == {people["clerk"].pk}


def test_an_order_to_a_person_who_may_see_the_case(clock, case, people):
    order = issue(case, people["supervisor"], to_department=None, to_user=people["mediator"].pk)

    assert order.to_user == people["mediator"] and order.to_department is None
    assert Notification.objects.get(kind="supervision_order").recipient_user == people["mediator"]


@pytest.mark.parametrize(
    ("language", "text"),
    [("zh-hans", "只有主管领导可以发督办单。"), ("en", "Only a supervisor may issue a supervision order.")],
)
def test_only_supervisors_issue_orders(case, people, language, text):
    exc = refusal(lambda: issue(case, people["mediator"]), language)

    assert isinstance(exc, PermissionDeniedError) and exc.code == "wrong_role"
    assert str(exc.message) == text
    assert not SupervisionOrder.objects.exists()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_refusals_are_coded_and_store_nothing(case, people, departments, tree, category, language):
    closed = case_in(
        Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"], mediator=people["mediator"]
    )
    calls = {
        "reason_required": lambda: issue(case, people["supervisor"], reason="  "),
        # The other township's committee cannot open the case.
        "recipient_invalid": lambda: issue(case, people["supervisor"], to_department=departments["b"]),
        "case_finished": lambda: issue(closed, people["supervisor"]),
    }
    for code, call in calls.items():
        exc = refusal(call, language)
        assert exc.code == code
        assert str(exc.message)
    both = refusal(lambda: issue(case, people["supervisor"], to_user=people["mediator"]), language)
    neither = refusal(lambda: issue(case, people["supervisor"], to_department=None), language)
    stranger = refusal(
        lambda: issue(case, people["supervisor"], to_department=None, to_user=people["b_clerk"]), language
    )
    assert {both.code, neither.code, stranger.code} == {"recipient_invalid"}
    finished = {
        "en": "No supervision order can be issued on a closed or withdrawn case.",
        "zh-hans": "已结案或已撤回的案件不能发督办单。",
    }
    assert str(refusal(calls["case_finished"], language).message) == finished[language]
    assert not SupervisionOrder.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.ORDER_ISSUED).exists()


def test_a_supervisor_of_another_township_does_not_find_the_case(case, people):
    with pytest.raises(NotFoundError):
        issue(case, people["b_supervisor"])


def test_numbers_run_per_office_and_year(clock, case, people, tree, category, departments):
    first = issue(case, people["supervisor"])
    county = issue(case, people["county_supervisor"])
    second = issue(case, people["supervisor"])
    clock.move_to(datetime(2027, 1, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    next_year = issue(case, people["supervisor"])

    assert [first.document_number, second.document_number] == ["南浦矛调督〔2026〕1号", "南浦矛调督〔2026〕2号"]
    assert county.document_number == "西湖矛调督〔2026〕1号"
    assert next_year.document_number == "南浦矛调督〔2027〕1号"
    assert "第" not in first.document_number


def test_an_office_without_a_code_prints_one_from_its_name(clock, case, people, tree):
    tree.town_a.doc_code = ""
    tree.town_a.save(update_fields=["doc_code"])

    assert issue(case, people["supervisor"]).document_number == "南浦督〔2026〕1号"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_orders_issued_at_once_get_distinct_consecutive_numbers(tree, category, departments, make_staff, offices):
    supervisor = make_staff(Role.SUPERVISOR, area=tree.town_a)
    cases = [
        case_in(Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["a"]) for _ in range(6)
    ]
    barrier = threading.Barrier(len(cases))
    errors: list[BaseException] = []

    def run(one):
        try:
            barrier.wait(10)
            issue(one, supervisor)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert errors == []
    assert sorted(SupervisionOrder.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]


# --- Signing for, replying, closing ---------------------------------------------------------------------------


def test_the_recipient_signs_for_the_order_once(clock, case, people):
    order = issue(case, people["supervisor"])
    clock.shift(timedelta(hours=2))

    signed = supervision.order_sign(order=order, actor=actor(people["clerk"]))

    assert signed.signed_by == people["clerk"] and signed.signed_at == NOW + timedelta(hours=2)
    assert signed.escalate_at == signed.reply_due_at
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.ORDER_SIGNED)
    assert event.data["late"] is False
    assert order_selectors.order_state(signed) == order_selectors.SIGNED
    with pytest.raises(ConflictError) as again:
        supervision.order_sign(order=order, actor=actor(people["mediator"]))
    assert again.value.code == "already_signed"


def test_a_late_signature_is_taken_and_marked_late(clock, case, people):
    order = issue(case, people["supervisor"])
    clock.shift(timedelta(hours=30))

    supervision.order_sign(order=order, actor=actor(people["clerk"]))

    assert CaseEvent.objects.get(kind=EventKind.ORDER_SIGNED).data["late"] is True


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("zh-hans", "只有督办单所送达的人员或部门可以办理。"),
        ("en", "Only the person or department the order is addressed to may do this."),
    ],
)
def test_only_a_recipient_signs_or_replies(case, people, language, text):
    order = issue(case, people["supervisor"], to_department=None, to_user=people["mediator"])
    for call in (
        lambda: supervision.order_sign(order=order, actor=actor(people["clerk"])),
        lambda: supervision.order_reply(order=order, actor=actor(people["supervisor"]), reply="已处理"),
    ):
        exc = refusal(call, language)
        assert exc.code == "not_recipient"
        assert str(exc.message) == text
    order.refresh_from_db()
    assert order.signed_at is None and order.replied_at is None


def test_an_order_outside_the_readers_cases_is_not_found(case, people):
    order = issue(case, people["supervisor"])

    with pytest.raises(NotFoundError):
        supervision.order_sign(order=order.pk, actor=actor(people["b_clerk"]))


def test_a_reply_signs_for_the_order_and_tells_the_issuer(clock, case, people):
    order = issue(case, people["supervisor"])
    clock.shift(timedelta(hours=5))

    with pytest.raises(ApplicationError) as empty:
        supervision.order_reply(order=order, actor=actor(people["clerk"]), reply=" ")
    assert empty.value.code == "reply_required"
    replied = supervision.order_reply(order=order, actor=actor(people["clerk"]), reply="已组织双方调解，达成初步意向。")

    assert replied.signed_at == replied.replied_at == NOW + timedelta(hours=5)
    assert replied.escalate_at is None
    kinds = list(
        CaseEvent.objects.filter(dispute=case, kind__startswith="order_").order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == [EventKind.ORDER_ISSUED, EventKind.ORDER_SIGNED, EventKind.ORDER_REPLIED]
    told = Notification.objects.get(kind="order_replied")
    assert told.recipient_user == people["supervisor"]
    assert told.link == f"/work/orders/{order.pk}/" or told.link.endswith(f"/orders/{order.pk}/")
    assert "已组织" not in told.body  # the reply's text stays on the order, not in the inbox
    assert order_selectors.order_state(replied) == order_selectors.REPLIED
    with pytest.raises(ConflictError):
        supervision.order_reply(order=order, actor=actor(people["clerk"]), reply="再次回复")


def test_the_issuing_office_closes_or_sends_back_an_answered_order(clock, case, people):
    order = issue(case, people["supervisor"])
    with pytest.raises(ApplicationError) as early:
        supervision.order_close(order=order, actor=actor(people["supervisor"]))
    assert early.value.code == "not_replied"
    supervision.order_reply(order=order, actor=actor(people["clerk"]), reply="已调解。")
    with pytest.raises(PermissionDeniedError) as other:
        supervision.order_close(order=order, actor=actor(people["clerk"]))
    assert other.value.code == "not_issuer"
    with pytest.raises(NotFoundError):  # another township's supervisor does not find the case at all
        supervision.order_close(order=order, actor=actor(people["b_supervisor"]))
    with pytest.raises(ApplicationError) as bare:
        supervision.order_close(order=order, actor=actor(people["supervisor"]), send_back=True)
    assert bare.value.code == "remarks_required"

    clock.shift(timedelta(days=1))
    back = supervision.order_close(
        order=order,
        actor=actor(people["supervisor"]),
        send_back=True,
        remarks="请补充协议履行情况。",
        reply_within_days=2,
    )
    assert back.replied_at is None and back.closed_at is None
    assert back.reply_due_at == NOW + timedelta(days=3) and back.escalate_at == back.reply_due_at
    assert CaseEvent.objects.filter(kind=EventKind.NOTE, data__sent_back=True).count() == 1
    assert Notification.objects.filter(kind="order_sent_back", recipient_user=people["clerk"]).exists()

    supervision.order_reply(order=order, actor=actor(people["clerk"]), reply="协议已履行。")
    # A supervisor of the level above may close it too.
    closed = supervision.order_close(order=order, actor=actor(people["county_supervisor"]), remarks="办结。")
    assert closed.closed_at is not None and closed.escalate_at is None
    assert order_selectors.order_state(closed) == order_selectors.CLOSED
    with pytest.raises(ApplicationError) as twice:
        supervision.order_sign(order=order, actor=actor(people["clerk"]))
    assert twice.value.code in ("order_closed", "already_signed")


# --- The sweep ---------------------------------------------------------------------------------------------


def test_an_unsigned_order_climbs_one_level_once(clock, case, people, tree):
    order = issue(case, people["supervisor"])
    clock.shift(timedelta(hours=23))
    assert supervision.orders_sweep() == 0

    clock.shift(timedelta(hours=2))
    assert supervision.orders_sweep() == 1
    assert supervision.orders_sweep() == 0
    clock.shift(timedelta(hours=1))
    assert supervision.orders_sweep() == 0

    order.refresh_from_db()
    raised = SupervisionOrder.objects.get(raised_from=order)
    assert order.escalated_at == NOW + timedelta(hours=25) and order.escalate_at is None
    assert order_selectors.order_state(order) == order_selectors.ESCALATED
    assert raised.issuing_area == tree.county and raised.document_number == "西湖矛调督〔2026〕1号"
    assert raised.is_automatic and raised.issued_by is None
    assert raised.to_department == order.to_department
    assert order.document_number in raised.reason
    event = CaseEvent.objects.get(kind=EventKind.ORDER_ESCALATED)
    assert event.data == {"order": order.pk, "number": order.document_number, "late": "sign", "to_area": tree.county.pk}
    assert SupervisionOrder.objects.count() == 2


def test_a_signed_order_climbs_when_the_reply_is_late_and_a_replied_one_never(clock, case, people, tree):
    late = issue(case, people["supervisor"])
    answered = issue(case, people["supervisor"])
    supervision.order_sign(order=late, actor=actor(people["clerk"]))
    supervision.order_reply(order=answered, actor=actor(people["clerk"]), reply="已办理。")
    clock.shift(timedelta(hours=25))
    assert supervision.orders_sweep() == 0

    clock.shift(timedelta(days=3))
    assert supervision.orders_sweep() == 1

    raised = SupervisionOrder.objects.get(raised_from=late)
    assert CaseEvent.objects.get(kind=EventKind.ORDER_ESCALATED).data["late"] == "reply"
    assert "not answered" in raised.reason or "未" in raised.reason
    assert not SupervisionOrder.objects.filter(raised_from=answered).exists()


def test_at_the_city_the_order_stays_open_and_the_citys_supervisors_are_told_once(clock, case, people, tree):
    order = issue(case, people["supervisor"])
    for _level in ("county", "city"):
        clock.shift(timedelta(hours=25))
        assert supervision.orders_sweep() == 1
    city_order = SupervisionOrder.objects.get(issuing_area=tree.city)
    assert city_order.document_number == "南昌矛调督〔2026〕1号"
    assert city_order.raised_from.raised_from == order

    clock.shift(timedelta(hours=25))
    assert supervision.orders_sweep() == 1
    clock.shift(timedelta(days=5))
    assert supervision.orders_sweep() == 0

    city_order.refresh_from_db()
    assert city_order.closed_at is None and city_order.escalated_at is None and city_order.escalate_at is None
    assert order_selectors.order_state(city_order) == order_selectors.OVERDUE
    told = Notification.objects.filter(kind="order_overdue")
    assert list(told.values_list("recipient_user", flat=True)) == [people["city_supervisor"].pk]
    assert SupervisionOrder.objects.count() == 3


def test_orders_on_a_closed_case_stop(clock, case, people):
    order = issue(case, people["supervisor"])
    case.status = Status.CLOSED
    case.save(update_fields=["status"])
    clock.shift(timedelta(hours=25))

    supervision.orders_sweep()

    order.refresh_from_db()
    assert order.escalate_at is None and order.escalated_at is None
    assert not SupervisionOrder.objects.filter(raised_from=order).exists()


def test_the_beat_task_runs_the_sweep(clock, case, people):
    from disputes import tasks

    issue(case, people["supervisor"])
    clock.shift(timedelta(hours=25))

    assert tasks.sweep_orders() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_raise_a_late_order_exactly_once(tree, category, departments, make_staff, offices):
    supervisor = make_staff(Role.SUPERVISOR, area=tree.town_a)
    cases = [
        case_in(Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["a"]) for _ in range(5)
    ]
    with time_machine.travel(NOW, tick=False) as traveller:
        orders = [issue(c, supervisor) for c in cases]
        traveller.shift(timedelta(hours=25))
        barrier = threading.Barrier(3)
        errors: list[BaseException] = []
        results: list[int] = []

        def sweep():
            try:
                barrier.wait(10)
                results.append(supervision.orders_sweep(batch=2))
            except BaseException as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=sweep) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        # And once more afterwards: nothing left to do.
        assert supervision.orders_sweep() == 0

    assert errors == []
    assert sum(results) == len(orders)
    for order in orders:
        assert SupervisionOrder.objects.filter(raised_from=order).count() == 1
    assert CaseEvent.objects.filter(kind=EventKind.ORDER_ESCALATED).count() == len(orders)
    assert sorted(SupervisionOrder.objects.filter(issuing_area=tree.county).values_list("number", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]


# --- The lists ------------------------------------------------------------------------------------------------


def test_the_lists_show_each_box_and_state_and_only_visible_cases(clock, case, people, tree, category, departments):
    waiting = issue(case, people["supervisor"])
    answered = issue(case, people["supervisor"])
    supervision.order_reply(order=answered, actor=actor(people["clerk"]), reply="已办理。")
    other_case = case_in(Status.ACCEPTED, grid=tree.grid_b, category=category, department=departments["b"])
    elsewhere = supervision.order_issue(
        dispute=other_case, actor=actor(people["b_supervisor"]), to_department=departments["b"], reason="超期"
    )

    issued = order_selectors.orders_issued(people["supervisor"])
    assert {o.pk for o in issued} == {waiting.pk, answered.pk}
    assert {o.pk for o in order_selectors.orders_issued(people["supervisor"], state="replied")} == {answered.pk}
    assert {o.pk for o in order_selectors.orders_issued(people["supervisor"], state="issued")} == {waiting.pk}
    received = list(order_selectors.orders_received(people["clerk"]))
    assert [o.pk for o in received] == [waiting.pk, answered.pk]  # awaiting action first
    assert elsewhere.pk not in {o.pk for o in order_selectors.orders_received(people["clerk"])}
    assert list(order_selectors.orders_issued(people["mediator"])) == []
    clock.shift(timedelta(hours=30))
    assert {o.pk for o in order_selectors.orders_issued(people["supervisor"], state="overdue")} == {waiting.pk}
    assert [o.pk for o in order_selectors.orders_on_case(people["mediator"], case)] == [answered.pk, waiting.pk]
    assert order_selectors.orders_on_case(people["b_clerk"], case) == []
