"""分流: routing by the diversion list, mediator assignment, returns, transfers and joint mediation.

`dispute_route` is what the Celery task runs for every new case: triage, then
dispatch to the lead department of the nearest diversion rule, then assign a
mediator of that department. The concurrency tests at the end run it from many
threads at once on PostgreSQL, where the row locks are real.
"""

import random
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.db.models import Count

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.models import Notification
from disputes import selectors, services
from disputes.models import CaseEvent, Deadline, Dispute, DisputeAssist, DiversionRule, RoutingReturn
from disputes.rules.enums import OPEN_STATUSES, Channel, Colour, DeadlineKind, EventKind, PartyRole, Status
from disputes.selectors import disputes_visible_to
from disputes.services import intake as intake_services
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import CategoryFactory, DepartmentFactory, StaffFactory, UserFactory

QUIET = "隔壁装修噪音扰民，晚上十点后仍在施工。"
THREAT = "对方扬言要砍死我全家。"


def submit(tree, category, *, grid=None, description=QUIET, phone="13900139000", **kwargs) -> Dispute:
    """A case as a resident submits it (routing is queued on commit, which these tests never reach)."""
    return services.dispute_submit(
        category=category,
        description=description,
        grid=grid or tree.grid_a,
        channel=Channel.WEB,
        parties=[{"role": PartyRole.APPLICANT, "name": "李四", "phone": phone}],
        **kwargs,
    )


def route(case: Dispute) -> Dispute:
    return services.dispute_route(dispute_id=case.pk)


def actions(case: Dispute) -> list[str]:
    return list(case.events.filter(kind=EventKind.TRANSITION).values_list("action", flat=True))


def mediator(*, area, department, max_open_cases=30, specialties=(), username=None):
    user = UserFactory(username=username) if username else UserFactory()
    profile = StaffFactory(
        user=user, role=Role.MEDIATOR, area=area, department=department, max_open_cases=max_open_cases
    )
    profile.specialties.set(specialties)
    return user


def give_open_cases(user, n: int, *, tree, category, department) -> None:
    for _ in range(n):
        case_in(Status.ACCEPTED, grid=tree.grid_a, category=category, department=department, mediator=user)


@pytest.fixture
def rule_a(tree, category, departments):
    return DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])


# --- The diversion list -------------------------------------------------------------------------


def test_the_nearest_rule_wins(tree, category, departments):
    city_centre = DepartmentFactory(name="市矛调中心", area=tree.city)
    DiversionRule.objects.create(area=tree.city, category=category, lead_department=city_centre)
    township_rule = DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])

    in_a = route(submit(tree, category, grid=tree.grid_a))
    in_b = route(submit(tree, category, grid=tree.grid_b, phone="13700137000"))

    assert (in_a.status, in_a.lead_department, in_a.routing_rule) == (
        Status.DISPATCHED,
        departments["a"],
        township_rule,
    )
    # Township B has no rule of its own: the city's applies.
    assert (in_b.status, in_b.lead_department) == (Status.DISPATCHED, city_centre)
    dispatch = in_a.events.get(action="dispatch")
    assert dispatch.data["department"] == departments["a"].pk
    assert dispatch.data["rule"] == township_rule.pk
    assert (dispatch.from_status, dispatch.to_status, dispatch.actor_role) == (
        Status.TRIAGED,
        Status.DISPATCHED,
        "system",
    )
    assert Deadline.objects.open().filter(dispute=in_a, kind=DeadlineKind.ACCEPT).count() == 1


def test_a_rule_for_another_category_or_an_inactive_department_does_not_apply(tree, category, departments):
    other = CategoryFactory(code="labour", name="劳资纠纷")
    DiversionRule.objects.create(area=tree.town_a, category=other, lead_department=departments["a"])
    closed = DepartmentFactory(name="已撤销的调委会", area=tree.county, is_active=False)
    DiversionRule.objects.create(area=tree.county, category=category, lead_department=closed)

    case = route(submit(tree, category))

    assert (case.status, case.lead_department) == (Status.TRIAGED, None)


def test_without_a_rule_the_case_waits_in_the_dispatch_queue(tree, category):
    case = route(submit(tree, category))

    assert (case.status, case.lead_department_id, case.assigned_mediator_id) == (Status.TRIAGED, None, None)
    assert actions(case) == ["submit", "triage"]
    # It waits on the dispatch clock opened at submission (white: 24 hours), the case's next due date.
    waiting = Deadline.objects.open().get(dispute=case)
    assert (waiting.kind, waiting.due_at - case.submitted_at) == (DeadlineKind.DISPATCH, timedelta(hours=24))
    assert case.next_due_at == waiting.due_at


def test_a_red_case_waits_for_a_person_when_the_setting_says_so(tree, category, rule_a, settings):
    settings.RED_CASES_NEED_HUMAN_DISPATCH = True

    case = route(submit(tree, category, description=THREAT))

    assert (case.colour, case.status, case.lead_department_id) == (Colour.RED, Status.TRIAGED, None)
    assert actions(case) == ["submit", "triage"]


def test_a_red_case_is_dispatched_at_once_when_the_setting_is_off(tree, category, rule_a, departments, settings):
    settings.RED_CASES_NEED_HUMAN_DISPATCH = False

    case = route(submit(tree, category, description=THREAT))

    assert (case.colour, case.status, case.lead_department) == (Colour.RED, Status.DISPATCHED, departments["a"])


def test_routing_twice_changes_nothing(tree, category, departments, rule_a):
    m = mediator(area=tree.town_a, department=departments["a"])
    case = submit(tree, category)
    first = route(case)
    events = list(CaseEvent.objects.filter(dispute=case).values_list("pk", "kind", "action"))
    deadlines = list(Deadline.objects.filter(dispute=case).values_list("pk", "kind", "due_at", "cancelled_at"))
    notifications = Notification.objects.count()

    again = route(case)

    assert (first.status, first.assigned_mediator_id) == (Status.DISPATCHED, m.pk)
    assert (again.status, again.assigned_mediator_id, again.lead_department_id) == (
        Status.DISPATCHED,
        m.pk,
        departments["a"].pk,
    )
    assert list(CaseEvent.objects.filter(dispute=case).values_list("pk", "kind", "action")) == events
    assert list(Deadline.objects.filter(dispute=case).values_list("pk", "kind", "due_at", "cancelled_at")) == deadlines
    assert Notification.objects.count() == notifications


def test_routing_a_missing_case_returns_none(db):
    assert services.dispute_route(dispute_id=987654321) is None


def test_disputes_unrouted_lists_only_old_submitted_cases(tree, category, rule_a):
    from datetime import timedelta

    from django.utils import timezone

    old = submit(tree, category)
    Dispute.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(minutes=10))
    fresh = submit(tree, category, phone="13700137000")
    routed = submit(tree, category, phone="13600136000")
    Dispute.objects.filter(pk=routed.pk).update(submitted_at=timezone.now() - timedelta(minutes=10))
    route(routed)

    assert selectors.disputes_unrouted(older_than=timedelta(minutes=5)) == [old.pk]
    assert set(selectors.disputes_unrouted(older_than=timedelta(0))) == {old.pk, fresh.pk}


# --- Joint mediation (联合调解) ----------------------------------------------------------------


def test_the_rules_assisting_departments_join_the_case(tree, category, departments, make_staff):
    police = DepartmentFactory(name="南浦派出所", area=tree.town_a)
    rule = DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])
    # Township B's committee assists: its staff cannot see township A's cases by area.
    rule.assisting_departments.set([police, departments["b"], departments["a"]])
    helper = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"])
    stranger = make_staff(Role.MEDIATOR, area=tree.town_b, department=DepartmentFactory(area=tree.town_b))

    case = route(submit(tree, category))

    # The lead department is not listed as its own assistant.
    assert set(DisputeAssist.objects.filter(dispute=case).values_list("department", flat=True)) == {
        police.pk,
        departments["b"].pk,
    }
    assert disputes_visible_to(helper).filter(pk=case.pk).exists()
    assert not disputes_visible_to(stranger).filter(pk=case.pk).exists()

    note = services.dispute_add_note(dispute=case, actor=Actor.for_user(helper), text="已联系双方，周三到场。")
    assert (note.kind, note.actor, note.is_public) == (EventKind.NOTE, helper, False)
    with pytest.raises(NotFoundError):
        services.dispute_add_note(dispute=case, actor=Actor.for_user(stranger), text="看看")

    before = actions(case)
    with pytest.raises(PermissionDeniedError) as refused:
        services.dispute_transition(dispute=case, action="accept", actor=Actor.for_user(helper))
    assert refused.value.code == "not_handler"
    case.refresh_from_db()
    assert (case.status, actions(case)) == (Status.DISPATCHED, before)


def test_request_assistance_by_the_handler(tree, category, departments, rule_a, make_staff):
    lead = mediator(area=tree.town_a, department=departments["a"])
    b_staff = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_b, department=departments["b"])
    case = route(submit(tree, category))
    assert case.assigned_mediator_id == lead.pk

    services.dispute_request_assistance(
        dispute=case, actor=Actor.for_user(lead), department=departments["b"], reason="涉及朝阳洲的租户"
    )
    # Asking again adds nothing.
    services.dispute_request_assistance(dispute=case, actor=Actor.for_user(lead), department=departments["b"])

    assert DisputeAssist.objects.filter(dispute=case, department=departments["b"]).count() == 1
    event = case.events.get(kind=EventKind.ASSISTANCE)
    assert (event.reason, event.data["department"]) == ("涉及朝阳洲的租户", departments["b"].pk)
    assert Notification.objects.filter(recipient_user=b_staff, kind="assistance", dispute_id=case.pk).count() == 1
    assert disputes_visible_to(b_staff).filter(pk=case.pk).exists()
    with pytest.raises(ApplicationError) as lead_itself:
        services.dispute_request_assistance(dispute=case, actor=Actor.for_user(lead), department=departments["a"])
    assert lead_itself.value.code == "already_lead"


def test_request_assistance_by_a_handler_of_another_department_is_refused(
    tree, category, departments, rule_a, make_staff
):
    case = route(submit(tree, category))
    # Same township, another department: sees the case by area, but does not handle it.
    neighbour_dept = DepartmentFactory(name="南浦司法所", area=tree.town_a)
    same_area = make_staff(Role.MEDIATOR, area=tree.town_a, department=neighbour_dept)
    # Township B's committee does not even see it.
    outsider = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"])
    police = DepartmentFactory(name="南浦派出所", area=tree.town_a)

    with pytest.raises(PermissionDeniedError) as refused:
        services.dispute_request_assistance(dispute=case, actor=Actor.for_user(same_area), department=police)
    assert refused.value.code == "not_handler"
    with pytest.raises(NotFoundError):
        services.dispute_request_assistance(dispute=case, actor=Actor.for_user(outsider), department=police)
    assert not DisputeAssist.objects.filter(dispute=case).exists()
    assert not case.events.filter(kind=EventKind.ASSISTANCE).exists()


# --- Mediator assignment -------------------------------------------------------------------------


def test_only_mediators_of_the_lead_department_in_the_area_or_above_are_candidates(
    tree, category, departments, rule_a, make_staff
):
    # Each of these would be the first choice (a specialist with no cases) if it were a candidate.
    sibling_township = mediator(area=tree.town_b, department=departments["a"], specialties=[category])
    other_department = mediator(area=tree.town_a, department=departments["b"], specialties=[category])
    inactive = mediator(area=tree.town_a, department=departments["a"], specialties=[category])
    inactive.is_active = False
    inactive.save()
    not_a_mediator = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"])
    county_level = mediator(area=tree.county, department=departments["a"])

    case = route(submit(tree, category))

    assert case.assigned_mediator_id == county_level.pk
    assert case.assigned_mediator_id not in {sibling_township.pk, other_department.pk, inactive.pk, not_a_mediator.pk}


def test_a_specialist_is_preferred_over_a_less_busy_generalist(tree, category, departments, rule_a):
    generalist = mediator(area=tree.town_a, department=departments["a"])
    specialist = mediator(area=tree.village_a, department=departments["a"], specialties=[category])
    give_open_cases(specialist, 3, tree=tree, category=category, department=departments["a"])

    case = route(submit(tree, category))

    assert case.assigned_mediator_id == specialist.pk
    event = case.events.get(kind=EventKind.ASSIGNED)
    assert event.data == {"mediator": specialist.pk, "open_cases": 3, "specialist": True}
    assert event.actor_role == "system"
    assert generalist.pk != specialist.pk


def test_then_the_fewest_open_cases(tree, category, departments, rule_a):
    busy = mediator(area=tree.town_a, department=departments["a"])
    idle = mediator(area=tree.town_a, department=departments["a"])
    give_open_cases(busy, 2, tree=tree, category=category, department=departments["a"])
    # Finished cases do not count.
    for status in (Status.CLOSED, Status.REPORTED, Status.AWAITING_CALLBACK):
        case_in(status, grid=tree.grid_a, category=category, department=departments["a"], mediator=idle)
    give_open_cases(idle, 1, tree=tree, category=category, department=departments["a"])

    case = route(submit(tree, category))

    assert case.assigned_mediator_id == idle.pk
    assert case.events.get(kind=EventKind.ASSIGNED).data["open_cases"] == 1


def test_a_full_specialist_is_passed_over(tree, category, departments, rule_a):
    specialist = mediator(area=tree.town_a, department=departments["a"], specialties=[category], max_open_cases=2)
    give_open_cases(specialist, 2, tree=tree, category=category, department=departments["a"])
    generalist = mediator(area=tree.town_a, department=departments["a"], max_open_cases=2)
    give_open_cases(generalist, 1, tree=tree, category=category, department=departments["a"])

    case = route(submit(tree, category))

    assert case.assigned_mediator_id == generalist.pk


def test_when_everyone_is_full_the_case_stays_with_the_department(tree, category, departments, rule_a):
    for _ in range(2):
        m = mediator(area=tree.town_a, department=departments["a"], max_open_cases=1)
        give_open_cases(m, 1, tree=tree, category=category, department=departments["a"])

    case = route(submit(tree, category))

    assert (case.status, case.lead_department, case.assigned_mediator_id) == (
        Status.DISPATCHED,
        departments["a"],
        None,
    )
    assert not case.events.filter(kind=EventKind.ASSIGNED).exists()
    assert not Notification.objects.filter(dispute_id=case.pk, channel=Notification.Channel.STAFF).exists()


def test_the_assigned_mediator_gets_a_staff_notification(tree, category, departments, rule_a):
    m = mediator(area=tree.town_a, department=departments["a"])

    case = route(submit(tree, category))

    notification = Notification.objects.get(dispute_id=case.pk, channel=Notification.Channel.STAFF)
    assert (notification.channel, notification.recipient_user, notification.kind, notification.state) == (
        Notification.Channel.STAFF,
        m,
        "assigned",
        Notification.State.SENT,  # the inbox is its delivery (no staff SMS copy by default)
    )
    assert case.tracking_number_display in notification.body
    # The mediator now holds the case: it is in their queue and they may accept it.
    assert disputes_visible_to(m).filter(pk=case.pk).exists()
    accepted = services.dispute_transition(dispute=case, action="accept", actor=Actor.for_user(m))
    assert (accepted.status, accepted.assigned_mediator_id) == (Status.ACCEPTED, m.pk)


# --- Return (退回) and transfer --------------------------------------------------------------------


def test_a_returned_case_goes_back_to_dispatch_and_is_counted_against_the_rule(
    tree, category, departments, rule_a, make_staff
):
    m = mediator(area=tree.town_a, department=departments["a"])
    dispatcher = make_staff(Role.DISPATCHER, area=tree.town_a)
    case = route(submit(tree, category))
    assert case.assigned_mediator_id == m.pk

    returned = services.dispute_transition(
        dispute=case, action="return", actor=Actor.for_user(m), reason="属于朝阳洲街道辖区"
    )

    assert (returned.status, returned.lead_department_id, returned.assigned_mediator_id, returned.routing_rule_id) == (
        Status.RETURNED,
        None,
        None,
        None,
    )
    miss = RoutingReturn.objects.get(dispute=case)
    assert (miss.department, miss.rule, miss.reason) == (departments["a"], rule_a, "属于朝阳洲街道辖区")
    # Back to dispatch: the handling clocks are cancelled, a dispatch clock runs from the return.
    assert list(Deadline.objects.open().filter(dispute=case).values_list("kind", flat=True)) == [DeadlineKind.DISPATCH]
    assert returned.events.get(action="return").data["from_department"] == departments["a"].pk
    # The sweeper's routing task leaves a returned case alone: a person decides now.
    assert route(case).status == Status.RETURNED

    dispatched = services.dispute_transition(
        dispute=case, action="dispatch", actor=Actor.for_user(dispatcher), data={"department": departments["b"]}
    )

    assert (dispatched.status, dispatched.lead_department, dispatched.routing_rule_id) == (
        Status.DISPATCHED,
        departments["b"],
        None,
    )
    assert Deadline.objects.open().filter(dispute=case, kind=DeadlineKind.ACCEPT).count() == 1
    assert actions(case) == ["submit", "triage", "dispatch", "return", "dispatch"]


def test_transfer_to_another_department(tree, category, departments, rule_a, make_staff):
    m = mediator(area=tree.town_a, department=departments["a"])
    b_handler = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_b, department=departments["b"])
    case = route(submit(tree, category))
    first_accept = Deadline.objects.open().get(dispute=case, kind=DeadlineKind.ACCEPT)

    moved = services.dispute_transition(
        dispute=case,
        action="transfer",
        actor=Actor.for_user(m),
        reason="对方住在朝阳洲",
        data={"department": departments["b"]},
    )

    assert (moved.status, moved.lead_department, moved.assigned_mediator_id) == (
        Status.DISPATCHED,
        departments["b"],
        None,
    )
    event = moved.events.get(action="transfer")
    assert (event.data["from_department"], event.data["department"], event.reason) == (
        departments["a"].pk,
        departments["b"].pk,
        "对方住在朝阳洲",
    )
    first_accept.refresh_from_db()
    assert first_accept.cancelled_at is not None
    assert Deadline.objects.open().filter(dispute=case, kind=DeadlineKind.ACCEPT).count() == 1
    # The new department sees the case and may accept it; the old mediator no longer holds it.
    assert disputes_visible_to(b_handler).filter(pk=case.pk).exists()
    with pytest.raises(PermissionDeniedError):
        services.dispute_transition(dispute=case, action="accept", actor=Actor.for_user(m))
    accepted = services.dispute_transition(dispute=case, action="accept", actor=Actor.for_user(b_handler))
    assert accepted.status == Status.ACCEPTED


def test_transfer_needs_a_reason(tree, category, departments, rule_a):
    m = mediator(area=tree.town_a, department=departments["a"])
    case = route(submit(tree, category))
    with pytest.raises(ApplicationError) as refused:
        services.dispute_transition(
            dispute=case, action="transfer", actor=Actor.for_user(m), data={"department": departments["b"]}
        )
    assert refused.value.code == "reason_required"
    case.refresh_from_db()
    assert case.lead_department == departments["a"]


# --- Concurrency (PostgreSQL) ------------------------------------------------------------------------

CASES = 40
MEDIATORS = 5
MAX_OPEN = 8  # 5 × 8 = 40: exactly enough room, so any lost or double assignment shows
THREADS = 6


def _route_all(ids: list[int], errors: list, barrier: threading.Barrier) -> None:
    try:
        barrier.wait(timeout=30)
        for pk in ids:
            services.dispute_route(dispute_id=pk)
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_routing_does_each_step_once_and_overbooks_nobody(tree, category, departments, rule_a, monkeypatch):
    monkeypatch.setattr(intake_services, "routing_enqueue", lambda pk: None)
    mediators = [
        mediator(area=tree.town_a, department=departments["a"], max_open_cases=MAX_OPEN) for _ in range(MEDIATORS)
    ]
    ids = [submit(tree, category, phone=f"1390000{n:04d}").pk for n in range(CASES)]
    barrier = threading.Barrier(THREADS)
    errors: list = []
    threads = []
    for n in range(THREADS):
        order = ids[:]
        random.Random(n).shuffle(order)
        threads.append(threading.Thread(target=_route_all, args=(order, errors, barrier), daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a routing thread hung (deadlock?)"
    assert errors == []

    per_case = Counter(
        CaseEvent.objects.filter(dispute_id__in=ids, action__in=["triage", "dispatch"]).values_list(
            "dispute_id", "action"
        )
    )
    assert all(per_case[(pk, "triage")] == 1 and per_case[(pk, "dispatch")] == 1 for pk in ids), per_case
    assigned = Counter(
        CaseEvent.objects.filter(dispute_id__in=ids, kind=EventKind.ASSIGNED).values_list("dispute_id", flat=True)
    )
    assert assigned == dict.fromkeys(ids, 1)
    assert Deadline.objects.open().filter(dispute_id__in=ids, kind=DeadlineKind.ACCEPT).count() == CASES
    load = dict(
        Dispute.objects.filter(assigned_mediator__in=mediators, status__in=OPEN_STATUSES)
        .values_list("assigned_mediator")
        .annotate(n=Count("pk"))
    )
    assert max(load.values()) <= MAX_OPEN, load
    assert sum(load.values()) == CASES
    assert Notification.objects.filter(kind="assigned", dispute_id__in=ids).count() == CASES
