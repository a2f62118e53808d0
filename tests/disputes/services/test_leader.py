"""包案 (disputes.services.leader): naming a leader, who may, who may be named, what the leader then sees; the
inbox items a red case without a leader, a transfer and a return leave (disputes.services.handover)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.models import Notification
from disputes import selectors, services
from disputes.models import CaseEvent
from disputes.rules.enums import Colour, EventKind, PartyRole, Status
from disputes.selectors import queue
from disputes.services import leader as leader_service
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


def actor(user) -> Actor:
    return Actor.for_user(user)


def inbox(user, kind: str) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient_user=user, kind=kind, channel=Notification.Channel.STAFF).order_by("pk")
    )


@pytest.fixture
def red_case(tree, category, departments, staff_a):
    case = case_in(
        Status.IN_MEDIATION,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
        colour=Colour.RED,
    )
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name="欧阳小明", phone="13800138000")
    return case


@pytest.fixture
def district_leader(make_staff, tree):
    user = make_staff(Role.SUPERVISOR, area=tree.county, username="district-leader")
    user.staff.display_name = "区领导王强"
    user.staff.save()
    return user


# --- Naming a leader ------------------------------------------------------------------------------------


def test_a_supervisor_names_a_district_leader_who_is_told_and_sees_it_on_the_timeline(
    red_case, staff_a, district_leader
):
    supervisor = staff_a[Role.SUPERVISOR]
    case = leader_service.leader_set(dispute=red_case, actor=actor(supervisor), leader=district_leader)

    case.refresh_from_db()
    assert case.leader_id == district_leader.pk
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.LEADER_SET)
    assert event.actor_id == supervisor.pk
    assert event.data["from"] is None and event.data["to"] == district_leader.pk
    assert event.data["to_name"] == "区领导王强"
    [item] = inbox(district_leader, "leader_set")
    assert item.link == f"/work/case/{case.tracking_number}/"
    assert item.dispute_id == case.pk
    assert case.tracking_number_display in item.body
    assert "欧阳" not in item.body  # no party's name in an inbox body


def test_replacing_a_leader_needs_a_reason_and_records_from_and_to(
    red_case, staff_a, district_leader, make_staff, tree
):
    supervisor = actor(staff_a[Role.SUPERVISOR])
    leader_service.leader_set(dispute=red_case, actor=supervisor, leader=district_leader)
    town_leader = make_staff(Role.SUPERVISOR, area=tree.town_a, username="town-leader")

    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        leader_service.leader_set(dispute=red_case, actor=supervisor, leader=town_leader)
    assert refused.value.code == "reason_required"
    assert str(refused.value.message) == "Please give a reason for replacing the leader."
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as refused_zh:
        leader_service.leader_set(dispute=red_case, actor=supervisor, leader=town_leader)
    assert str(refused_zh.value.message) == "请说明更换包案领导的理由。"
    red_case.refresh_from_db()
    assert red_case.leader_id == district_leader.pk

    leader_service.leader_set(dispute=red_case, actor=supervisor, leader=town_leader.pk, reason="区领导调岗")
    red_case.refresh_from_db()
    assert red_case.leader_id == town_leader.pk
    latest = CaseEvent.objects.filter(dispute=red_case, kind=EventKind.LEADER_SET).latest("pk")
    assert (latest.data["from"], latest.data["to"], latest.reason) == (district_leader.pk, town_leader.pk, "区领导调岗")
    assert len(inbox(town_leader, "leader_set")) == 1

    with pytest.raises(ApplicationError) as same:
        leader_service.leader_set(dispute=red_case, actor=supervisor, leader=town_leader, reason="再次")
    assert same.value.code == "leader_unchanged"


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.DISPATCHER, Role.CALLBACK_CALLER])
def test_other_roles_may_not_name_a_leader(red_case, staff_a, district_leader, role):
    with translation.override("en"), pytest.raises(PermissionDeniedError) as refused:
        leader_service.leader_set(dispute=red_case, actor=actor(staff_a[role]), leader=district_leader)
    assert refused.value.code == "wrong_role"
    assert str(refused.value.message) == "Your role may not take this action."
    with translation.override("zh-hans"), pytest.raises(PermissionDeniedError) as refused_zh:
        leader_service.leader_set(dispute=red_case, actor=actor(staff_a[role]), leader=district_leader)
    assert str(refused_zh.value.message) == "您的角色无权进行此操作。"
    red_case.refresh_from_db()
    assert red_case.leader_id is None
    assert not inbox(district_leader, "leader_set")


def test_a_supervisor_of_another_township_cannot_even_find_the_case(red_case, make_staff, tree, district_leader):
    other = make_staff(Role.SUPERVISOR, area=tree.town_b)
    with pytest.raises(NotFoundError):
        leader_service.leader_set(dispute=red_case, actor=actor(other), leader=district_leader)


def test_leading_a_case_does_not_let_one_name_its_leader_outside_ones_area(red_case, make_staff, tree, staff_a):
    """A supervisor who leads a case outside their area (they moved) sees it but does not cover it."""
    moved = make_staff(Role.SUPERVISOR, area=tree.town_b)
    red_case.leader = moved
    red_case.save(update_fields=["leader"])
    with translation.override("en"), pytest.raises(PermissionDeniedError) as refused:
        leader_service.leader_set(dispute=red_case, actor=actor(moved), leader=staff_a[Role.SUPERVISOR], reason="换人")
    assert refused.value.code == "not_your_area"
    assert str(refused.value.message) == "Only a supervisor whose area covers the case may name its leader."
    with translation.override("zh-hans"), pytest.raises(PermissionDeniedError) as refused_zh:
        leader_service.leader_set(dispute=red_case, actor=actor(moved), leader=staff_a[Role.SUPERVISOR], reason="换人")
    assert str(refused_zh.value.message) == "只有辖区覆盖本案的主管可以指定包案领导。"


def test_the_leader_must_be_active_staff_of_the_case_area_or_above(red_case, staff_a, make_staff, tree):
    supervisor = actor(staff_a[Role.SUPERVISOR])
    other_township = make_staff(Role.SUPERVISOR, area=tree.town_b)
    retired = make_staff(Role.SUPERVISOR, area=tree.county)
    retired.is_active = False
    retired.save()
    from tests.factories import UserFactory

    not_staff = UserFactory()
    for candidate in (other_township, retired, not_staff, 10**9):
        with translation.override("en"), pytest.raises(ApplicationError) as refused:
            leader_service.leader_set(dispute=red_case, actor=supervisor, leader=candidate)
        assert refused.value.code == "leader_not_eligible"
        assert refused.value.extra == {"field": "leader"}
        assert "area above it" in str(refused.value.message)
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as refused_zh:
        leader_service.leader_set(dispute=red_case, actor=supervisor, leader=other_township)
    assert str(refused_zh.value.message) == "包案领导须为本案所在区域或其上级区域的在岗工作人员。"
    # The grid's own staff and the city's are in the chain.
    city = make_staff(Role.SUPERVISOR, area=tree.city)
    assert set(leader_service.leader_candidates(red_case).values_list("pk", flat=True)) >= {
        city.pk,
        staff_a[Role.SUPERVISOR].pk,
        staff_a[Role.MEDIATOR].pk,
    }
    assert other_township.pk not in set(leader_service.leader_candidates(red_case).values_list("pk", flat=True))


def test_a_closed_case_gets_no_leader(tree, category, departments, staff_a, district_leader):
    closed = case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"])
    with pytest.raises(ApplicationError) as refused:
        leader_service.leader_set(dispute=closed, actor=actor(staff_a[Role.SUPERVISOR]), leader=district_leader)
    assert refused.value.code == "wrong_state"


def test_an_administrator_names_a_leader_anywhere(tree, category, departments, staff_a, make_staff):
    case = case_in(Status.ACCEPTED, grid=tree.grid_b, category=category, department=departments["b"])
    leader = make_staff(Role.SUPERVISOR, area=tree.town_b)
    leader_service.leader_set(dispute=case, actor=actor(staff_a[Role.ADMIN]), leader=leader)
    case.refresh_from_db()
    assert case.leader_id == leader.pk


# --- What the leader sees ---------------------------------------------------------------------------------


def test_a_leader_sees_only_the_cases_they_lead_outside_their_area(tree, category, departments, make_staff):
    led = case_in(Status.ACCEPTED, grid=tree.grid_b, category=category, department=departments["b"])
    PartyFactory(dispute=led, role=PartyRole.APPLICANT, name="赵六", phone="13700137000")
    neighbour = case_in(Status.ACCEPTED, grid=tree.grid_b, category=category, department=departments["b"])
    leader = make_staff(Role.SUPERVISOR, area=tree.town_a)
    led.leader = leader
    led.save(update_fields=["leader"])

    visible = set(selectors.disputes_visible_to(leader).values_list("pk", flat=True))
    assert led.pk in visible
    assert neighbour.pk not in visible
    assert selectors.dispute_get_for(leader, led.tracking_number).pk == led.pk
    with pytest.raises(NotFoundError):
        selectors.dispute_get_for(leader, neighbour.tracking_number)
    # They answer for it: its people in clear, and it is in their queue's 我包案的 tab.
    assert selectors.user_works_case(leader, led)
    assert not selectors.user_works_case(leader, neighbour)
    page = queue.queue_page(user=leader, scope="led", params={})
    assert [row.tracking_number for row in page.rows] == [led.tracking_number]


# --- 红单待指定包案领导 ------------------------------------------------------------------------------------------


def test_a_case_turned_red_asks_the_supervisors_of_its_area_for_a_leader(
    tree, category, departments, staff_a, make_staff
):
    county_supervisor = make_staff(Role.SUPERVISOR, area=tree.county)
    case = case_in(
        Status.IN_MEDIATION,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
        colour=Colour.YELLOW,
    )
    services.dispute_override_colour(
        dispute=case, actor=actor(staff_a[Role.MEDIATOR]), colour=Colour.RED, reason="当事人扬言报复"
    )
    [item] = inbox(staff_a[Role.SUPERVISOR], "leader_needed")
    assert item.link == f"/work/case/{case.tracking_number}/"
    assert case.tracking_number_display in item.body
    # The nearest level that has supervisors is asked, not every level above it.
    assert not inbox(county_supervisor, "leader_needed")
    # Red again (already red): no second request.
    services.dispute_override_colour(
        dispute=case, actor=actor(staff_a[Role.MEDIATOR]), colour=Colour.RED, reason="再次"
    )
    assert len(inbox(staff_a[Role.SUPERVISOR], "leader_needed")) == 1


def test_triage_to_red_asks_for_a_leader_and_a_led_case_does_not(tree, category, staff_a, district_leader):
    threat = case_in(Status.SUBMITTED, grid=tree.grid_a, category=category, description="对方说要砍死我全家。")
    services.dispute_transition(dispute=threat, action="triage", actor=Actor.system())
    threat.refresh_from_db()
    assert threat.colour == Colour.RED
    assert [n.dispute_id for n in inbox(staff_a[Role.SUPERVISOR], "leader_needed")] == [threat.pk]

    led = case_in(Status.IN_MEDIATION, grid=tree.grid_a, category=category, colour=Colour.WHITE, leader=district_leader)
    assert leader_service.leader_needed_notices([led]) == []


def test_leader_needed_notices_read_the_supervisors_once_for_a_batch(tree, category, staff_a, make_staff):
    make_staff(Role.SUPERVISOR, area=tree.county, username="county-sup")
    cases = [
        case_in(Status.ACCEPTED, grid=g, category=category, colour=Colour.RED) for g in (tree.grid_a, tree.grid_b)
    ] * 3
    with CaptureQueriesContext(connection) as queries:
        notices = leader_service.leader_needed_notices(cases)
    assert len(queries) == 1
    # Township A's supervisor for A's cases; B has none of its own, so the county's are asked.
    by_case = {(n.dispute_id, n.recipient_user.username) for n in notices}
    assert (cases[0].pk, staff_a[Role.SUPERVISOR].username) in by_case
    assert (cases[1].pk, "county-sup") in by_case
    assert all(n.pk is None and n.kind == "leader_needed" for n in notices)


# --- 转办 and 退回: the inbox items of a hand-over --------------------------------------------------------------


def test_a_transfer_tells_the_new_departments_heads(tree, category, departments, staff_a, make_staff):
    head = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_b, department=departments["b"], username="head-b")
    head.staff.is_head = True
    head.staff.save()
    clerk = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"], username="clerk-b")
    case = case_in(Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["a"])
    services.dispute_transition(
        dispute=case,
        action="transfer",
        actor=actor(staff_a[Role.SUPERVISOR]),
        reason="属朝阳洲街道管辖",
        data={"department": departments["b"]},
    )
    [item] = inbox(head, "transfer")
    assert item.link == f"/work/case/{case.tracking_number}/" and item.dispute_id == case.pk
    assert departments["b"].name in item.body
    assert not inbox(clerk, "transfer")  # a department with a head: the head is told


def test_a_transfer_to_a_department_without_a_head_tells_its_staff(tree, category, departments, staff_a, make_staff):
    clerk = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"], username="clerk-b")
    case = case_in(Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["a"])
    services.dispute_transition(
        dispute=case,
        action="transfer",
        actor=actor(staff_a[Role.DISPATCHER]),
        reason="转办",
        data={"department": departments["b"]},
    )
    assert len(inbox(clerk, "transfer")) == 1


def test_a_return_tells_the_areas_dispatchers_with_the_reason_masked(tree, category, departments, staff_a, make_staff):
    city_dispatcher = make_staff(Role.DISPATCHER, area=tree.city)
    case = case_in(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"], mediator=None)
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name="欧阳小明", phone="13800138000")
    services.dispute_transition(
        dispute=case,
        action="return",
        actor=actor(staff_a[Role.MEDIATOR]),
        reason="欧阳小明的纠纷属劳动争议，电话13800138000",
    )
    [item] = inbox(staff_a[Role.DISPATCHER], "return")
    assert item.link == f"/work/case/{case.tracking_number}/"
    assert departments["a"].name in item.body
    assert "属劳动争议" in item.body
    assert "欧阳小明" not in item.body and "13800138000" not in item.body
    assert not inbox(city_dispatcher, "return")  # the nearest level's dispatchers


def test_a_refused_return_leaves_no_inbox_item(tree, category, departments, staff_a):
    case = case_in(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    with pytest.raises(ApplicationError):
        services.dispute_transition(dispute=case, action="return", actor=actor(staff_a[Role.MEDIATOR]), reason="")
    assert not Notification.objects.filter(kind="return").exists()
