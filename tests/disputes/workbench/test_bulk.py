"""批量操作: assign, transfer, recolour selected cases; one refused case does not undo the others."""

import pytest
from rest_framework.test import APIClient

from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from core.models import Notification
from disputes.models import CaseEvent, Dispute
from disputes.rules.enums import Colour, EventKind, Status
from disputes.services.queue import MAX_BULK, BulkAction, queue_bulk
from grids.models import Role
from tests.disputes.workbench.queue_helpers import queued

pytestmark = pytest.mark.django_db

BULK_PAGE = "/work/bulk/"
BULK_API = "/api/v1/queue/bulk/"


@pytest.fixture
def a_mediator(make_staff, tree, departments):
    return make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"], username="mediator-a2")


def bulk(actor_user, **kw):
    return queue_bulk(actor=Actor.for_user(actor_user), **kw)


def test_assign_changes_each_eligible_case_and_lists_the_refused_one(
    tree, category, departments, staff_a, a_mediator, django_capture_on_commit_callbacks
):
    ok1 = queued(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    ok2 = queued(
        Status.IN_MEDIATION,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
    )
    # Led by another department: its handlers are not this mediator's colleagues.
    wrong_department = queued(Status.DISPATCHED, grid=tree.village_a, category=category, department=departments["b"])
    closed = queued(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"])

    with django_capture_on_commit_callbacks(execute=True):
        results = bulk(
            staff_a[Role.DISPATCHER],
            action=BulkAction.ASSIGN,
            tracking_numbers=[c.tracking_number for c in (ok1, wrong_department, ok2, closed)],
            mediator=a_mediator,
            reason="按片区重新分配",
        )

    assert [(r.tracking_number, r.ok, r.code) for r in results] == [
        (ok1.tracking_number, True, ""),
        (wrong_department.tracking_number, False, "mediator_not_eligible"),
        (ok2.tracking_number, True, ""),
        (closed.tracking_number, False, "wrong_state"),
    ]
    assert "已归档" in results[3].message  # the refusal in the user's language (Chinese by default)
    for case in (ok1, ok2):
        case.refresh_from_db()
        assert case.assigned_mediator == a_mediator
        kinds = list(case.events.values_list("kind", flat=True))
        assert EventKind.ASSIGNED in kinds and EventKind.BULK in kinds
    handover = CaseEvent.objects.get(dispute=ok2, kind=EventKind.ASSIGNED)
    assert handover.data["from_mediator"] == staff_a[Role.MEDIATOR].pk
    for case in (wrong_department, closed):
        assert Dispute.objects.get(pk=case.pk).assigned_mediator_id is None
        assert not case.events.exists()
    assert Notification.objects.filter(recipient_user=a_mediator, kind="assigned").count() == 2


def test_transfer_needs_a_reason_and_refuses_cases_in_the_wrong_state(tree, category, departments, staff_a):
    dispatched = queued(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    triaged = queued(Status.TRIAGED, grid=tree.grid_a, category=category)
    already = queued(Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["b"])
    numbers = [c.tracking_number for c in (dispatched, triaged, already)]

    with pytest.raises(ApplicationError) as no_reason:
        bulk(
            staff_a[Role.SUPERVISOR],
            action=BulkAction.TRANSFER,
            tracking_numbers=numbers,
            department=departments["b"],
        )
    assert no_reason.value.code == "reason_required"

    results = bulk(
        staff_a[Role.SUPERVISOR],
        action=BulkAction.TRANSFER,
        tracking_numbers=numbers,
        department=departments["b"],
        reason="属朝阳洲街道管辖",
    )
    assert [(r.ok, r.code) for r in results] == [(True, ""), (False, "wrong_state"), (False, "already_lead")]
    dispatched.refresh_from_db()
    assert dispatched.lead_department == departments["b"]
    assert dispatched.status == Status.DISPATCHED
    transfer = dispatched.events.get(kind=EventKind.TRANSITION, action="transfer")
    assert transfer.reason == "属朝阳洲街道管辖"
    assert Dispute.objects.get(pk=triaged.pk).status == Status.TRIAGED


def test_colour_change_with_a_reason(tree, category, departments, staff_a):
    cases = [queued(grid=tree.grid_a, category=category, department=departments["a"]) for _ in range(3)]
    withdrawn = queued(Status.WITHDRAWN, grid=tree.grid_a, category=category)
    results = bulk(
        staff_a[Role.ADMIN],
        action=BulkAction.COLOUR,
        tracking_numbers=[c.tracking_number for c in [*cases, withdrawn]],
        colour=Colour.RED,
        reason="扬言报复",
    )
    assert [r.ok for r in results] == [True, True, True, False]
    assert set(Dispute.objects.filter(pk__in=[c.pk for c in cases]).values_list("colour", flat=True)) == {Colour.RED}
    bulk_events = CaseEvent.objects.filter(kind=EventKind.BULK, dispute__in=cases)
    assert bulk_events.count() == 3
    assert len({e.data["batch"] for e in bulk_events}) == 1


def test_cases_outside_jurisdiction_are_refused_as_not_found(tree, category, departments, staff_a):
    outside = queued(grid=tree.grid_b, category=category, department=departments["b"])
    [result] = bulk(
        staff_a[Role.SUPERVISOR],
        action=BulkAction.COLOUR,
        tracking_numbers=[outside.tracking_number],
        colour=Colour.RED,
        reason="x",
    )
    assert (result.ok, result.code) == (False, "not_found")
    assert Dispute.objects.get(pk=outside.pk).colour == Colour.WHITE


def test_selection_is_limited(staff_a):
    with pytest.raises(ApplicationError) as too_many:
        bulk(
            staff_a[Role.SUPERVISOR],
            action=BulkAction.COLOUR,
            tracking_numbers=[f"{n:012d}" for n in range(MAX_BULK + 1)],
            colour=Colour.RED,
            reason="x",
        )
    assert too_many.value.code == "too_many_selected"


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.CALLBACK_CALLER])
def test_handlers_and_callers_cannot_bulk_act(role, tree, category, departments, staff_a, client):
    case = queued(grid=tree.grid_a, category=category, department=departments["a"])
    user = staff_a[role]
    with pytest.raises(PermissionDeniedError):
        bulk(user, action=BulkAction.COLOUR, tracking_numbers=[case.tracking_number], colour=Colour.RED, reason="x")
    api = APIClient()
    api.force_login(user)
    body = {"action": "colour", "cases": [case.tracking_number], "colour": "red", "reason": "x"}
    assert api.post(BULK_API, body, format="json").status_code == 403
    client.force_login(user)
    assert client.post(BULK_PAGE, {**body, "cases": [case.tracking_number]}).status_code == 403
    assert 'name="cases"' not in client.get("/work/").content.decode()
    assert Dispute.objects.get(pk=case.pk).colour == Colour.WHITE


def test_page_flow_without_javascript(tree, category, departments, staff_a, a_mediator, client):
    good = queued(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    refused = queued(Status.DISPATCHED, grid=tree.village_a, category=category, department=departments["b"])
    client.force_login(staff_a[Role.DISPATCHER])
    queue_html = client.get("/work/", {"scope": "area"}).content.decode()  # a dispatcher lands on 待派单
    assert f'value="{good.tracking_number}"' in queue_html
    assert 'action="/work/bulk/"' in queue_html

    # A transfer with no reason: nothing changes, the error is beside the field, the selection is kept.
    missing = client.post(
        BULK_PAGE,
        {"cases": [good.tracking_number], "action": "transfer", "department": departments["b"].pk, "next": "/work/"},
    )
    assert missing.status_code == 400
    html = missing.content.decode()
    assert 'id="id_reason_error"' in html
    assert f'name="cases" value="{good.tracking_number}"' in html
    assert Dispute.objects.get(pk=good.pk).lead_department == departments["a"]

    done = client.post(
        BULK_PAGE,
        {
            "cases": [good.tracking_number, refused.tracking_number],
            "action": "assign",
            "mediator": a_mediator.pk,
            "next": "/work/?scope=area",
        },
    )
    assert done.status_code == 200
    html = done.content.decode()
    assert good.tracking_number in html and refused.tracking_number in html
    assert 'class="error"' in html  # the refusal, with its reason
    assert 'href="/work/?scope=area"' in html
    assert Dispute.objects.get(pk=good.pk).assigned_mediator == a_mediator
    assert Dispute.objects.get(pk=refused.pk).assigned_mediator_id is None


def test_api_bulk(tree, category, departments, staff_a, a_mediator):
    good = queued(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    triaged = queued(Status.TRIAGED, grid=tree.grid_a, category=category)
    api = APIClient()
    api.force_login(staff_a[Role.SUPERVISOR])
    response = api.post(
        BULK_API,
        {"action": "assign", "cases": [good.tracking_number, triaged.tracking_number], "mediator": a_mediator.pk},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["succeeded"] == [good.tracking_number]
    assert [(r["tracking_number"], r["code"]) for r in body["refused"]] == [(triaged.tracking_number, "wrong_state")]
    assert body["refused"][0]["message"]
    too_many = api.post(
        BULK_API, {"action": "colour", "cases": ["X"] * (MAX_BULK + 1), "colour": "red", "reason": "x"}, format="json"
    )
    assert too_many.status_code == 400
    unknown_mediator = api.post(BULK_API, {"action": "assign", "cases": [good.tracking_number]}, format="json")
    assert unknown_mediator.status_code == 400
    assert unknown_mediator.json()["error"]["code"] == "mediator_required"
