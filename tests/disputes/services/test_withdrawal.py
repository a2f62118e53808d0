"""撤回: withdrawal only at the applicant's request, approved by a supervisor of the case's area."""

import pytest
from django.utils import translation

from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.models import Notification
from disputes import services
from disputes.models import CaseEvent, Deadline, Dispute, WithdrawalRequest
from disputes.rules.enums import EventKind, Outcome, Status, WithdrawalVia
from disputes.services.withdrawal import (
    withdrawal_decide,
    withdrawal_decide_pending,
    withdrawal_request,
)
from grids import roles
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db
REASON = "双方已自行和解，申请人要求撤回"


@pytest.fixture
def case(tree, category, departments, staff_a):
    made = case_in(
        Status.IN_MEDIATION,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
    )
    PartyFactory(dispute=made, name="李四", phone="13900139000")
    return made


def actor(staff_a, role):
    return Actor.for_user(staff_a[role])


def sms(case):
    return list(Notification.objects.filter(channel="sms", dispute_id=case.pk).values_list("kind", "body"))


def inbox(user, kind):
    return list(
        Notification.objects.filter(channel="staff", recipient_user=user, kind=kind).values_list("body", "link")
    )


@pytest.mark.parametrize(
    ("role", "via"),
    [
        (Role.MEDIATOR, WithdrawalVia.PHONE),
        (Role.DEPARTMENT_STAFF, WithdrawalVia.IN_PERSON),
        (Role.DISPATCHER, WithdrawalVia.WRITING),
        (Role.SUPERVISOR, WithdrawalVia.PHONE),
        (Role.ADMIN, WithdrawalVia.IN_PERSON),
    ],
)
def test_staff_record_the_applicants_request(case, staff_a, role, via):
    request = withdrawal_request(dispute=case, actor=actor(staff_a, role), via=via, reason=f"  {REASON} ")
    request.refresh_from_db()
    assert (request.state, request.via, request.reason, request.recorded_by) == (
        WithdrawalRequest.State.PENDING,
        via,
        REASON,
        staff_a[role],
    )
    assert request.area_path == case.area_path
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.WITHDRAWAL_REQUESTED)
    assert (event.actor, event.reason, event.data["via"], event.is_public) == (staff_a[role], REASON, via, True)
    # The case goes on being handled until a supervisor decides.
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION
    # The area's supervisors are told, with a link to the case and no personal data.
    [(body, link)] = inbox(staff_a[Role.SUPERVISOR], "withdrawal_requested")
    assert case.tracking_number_display in body and link == f"/work/case/{case.tracking_number}/"
    assert "李四" not in body and "13900139000" not in body


def test_the_resident_asks_from_the_tracking_page(case, staff_a):
    request = withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    assert request.recorded_by is None and request.via == WithdrawalVia.SMS_LINK
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.WITHDRAWAL_REQUESTED)
    assert event.actor is None and event.actor_role == "resident"
    assert len(inbox(staff_a[Role.SUPERVISOR], "withdrawal_requested")) == 1


def test_the_supervisors_told_are_the_nearest_level_that_has_any(case, staff_a, make_staff, tree):
    county = make_staff(Role.SUPERVISOR, area=tree.county)
    assert roles.nearest_supervisors(case.area_path) == [staff_a[Role.SUPERVISOR]]
    staff_a[Role.SUPERVISOR].staff.delete()
    assert roles.nearest_supervisors(case.area_path) == [county]


@pytest.mark.parametrize(
    ("role", "via", "reason", "code", "en"),
    [
        (Role.MEDIATOR, WithdrawalVia.PHONE, "  ", "reason_required", "Please give the applicant's reason"),
        (Role.MEDIATOR, WithdrawalVia.SMS_LINK, REASON, "via_required", "Say how the applicant asked"),
        (Role.MEDIATOR, "telepathy", REASON, "via_required", "Say how the applicant asked"),
        ("resident", WithdrawalVia.PHONE, REASON, "via_required", "Say how the applicant asked"),
        (Role.MEDIATOR, WithdrawalVia.PHONE, "长" * 2001, "reason_too_long", "The reason is too long"),
    ],
)
def test_refusals_of_a_request(case, staff_a, role, via, reason, code, en):
    who = Actor.resident() if role == "resident" else actor(staff_a, role)
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        withdrawal_request(dispute=case, actor=who, via=via, reason=reason)
    assert caught.value.code == code and str(caught.value.message).startswith(en)
    assert not WithdrawalRequest.objects.exists()


@pytest.mark.parametrize(
    ("via", "reason", "zh"),
    [
        (WithdrawalVia.PHONE, "", "请填写申请人撤回的理由。"),
        ("telepathy", REASON, "请选择申请人提出撤回的方式。"),
        (WithdrawalVia.PHONE, "长" * 2001, "理由过长（最多2000个字符）。"),
    ],
    ids=["reason_required", "via_required", "reason_too_long"],
)
def test_refusals_in_chinese(case, staff_a, via, reason, zh):
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as caught:
        withdrawal_request(dispute=case, actor=actor(staff_a, Role.MEDIATOR), via=via, reason=reason)
    assert str(caught.value.message) == zh


def test_one_pending_request_per_case(case, staff_a):
    withdrawal_request(dispute=case, actor=actor(staff_a, Role.MEDIATOR), via=WithdrawalVia.PHONE, reason=REASON)
    with translation.override("en"), pytest.raises(ConflictError) as caught:
        withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    assert caught.value.code == "withdrawal_pending" and caught.value.status_code == 409
    assert "already awaits" in str(caught.value.message)
    assert WithdrawalRequest.objects.filter(dispute=case).count() == 1


@pytest.mark.parametrize("status", [Status.REPORTED, Status.AWAITING_CALLBACK, Status.CLOSED, Status.WITHDRAWN])
def test_only_an_open_case(tree, category, departments, staff_a, status):
    closed = case_in(status, grid=tree.grid_a, category=category, department=departments["a"])
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        withdrawal_request(dispute=closed, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    assert caught.value.code == "wrong_state" and "only be requested while the case is open" in str(
        caught.value.message
    )


def test_who_may_record(case, staff_a, make_staff, tree, departments):
    with pytest.raises(PermissionDeniedError) as caught:
        withdrawal_request(
            dispute=case, actor=actor(staff_a, Role.CALLBACK_CALLER), via=WithdrawalVia.PHONE, reason=REASON
        )
    assert caught.value.code == "wrong_role"
    # A mediator of the area from another department sees the case but does not hold it.
    other = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["b"])
    with pytest.raises(PermissionDeniedError) as caught:
        withdrawal_request(dispute=case, actor=Actor.for_user(other), via=WithdrawalVia.PHONE, reason=REASON)
    assert caught.value.code == "not_handler"
    # Outside the area: not found.
    outsider = make_staff(Role.DISPATCHER, area=tree.town_b)
    with pytest.raises(NotFoundError):
        withdrawal_request(dispute=case, actor=Actor.for_user(outsider), via=WithdrawalVia.PHONE, reason=REASON)
    assert not WithdrawalRequest.objects.exists()


def test_approval_withdraws_the_case(case, staff_a):
    request = withdrawal_request(
        dispute=case, actor=actor(staff_a, Role.DISPATCHER), via=WithdrawalVia.PHONE, reason=REASON
    )
    decided = withdrawal_decide(request=request, actor=actor(staff_a, Role.SUPERVISOR), approve=True)
    assert (decided.state, decided.decided_by) == (WithdrawalRequest.State.APPROVED, staff_a[Role.SUPERVISOR])
    assert decided.decided_at is not None
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.WITHDRAWN, Outcome.WITHDRAWN)
    assert case.closed_at is not None
    # Every clock stops, as today's withdrawal does.
    assert not Deadline.objects.open().filter(dispute=case).exists()
    kinds = list(CaseEvent.objects.filter(dispute=case).order_by("id").values_list("kind", "action", "actor_role"))
    assert kinds == [
        (EventKind.WITHDRAWAL_REQUESTED, "", Role.DISPATCHER),
        (EventKind.WITHDRAWAL_DECIDED, "", Role.SUPERVISOR),
        (EventKind.TRANSITION, "withdraw", Role.SUPERVISOR),
    ]
    move = CaseEvent.objects.get(dispute=case, action="withdraw")
    assert move.reason == REASON and move.data["withdrawal_request"] == request.pk
    decided_event = CaseEvent.objects.get(dispute=case, kind=EventKind.WITHDRAWAL_DECIDED)
    assert decided_event.data["approved"] is True and not decided_event.is_public
    # The applicant gets an SMS; whoever recorded it and the mediator get an inbox item.
    [(kind, body)] = sms(case)
    assert kind == "withdrawal_approved" and case.tracking_number_display in body
    assert len(inbox(staff_a[Role.DISPATCHER], "withdrawal_decided")) == 1
    assert len(inbox(staff_a[Role.MEDIATOR], "withdrawal_decided")) == 1


def test_refusal_needs_remarks_and_the_case_continues(case, staff_a):
    request = withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    supervisor = actor(staff_a, Role.SUPERVISOR)
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        withdrawal_decide(request=request, actor=supervisor, approve=False, remarks=" ")
    assert caught.value.code == "remarks_required"
    assert str(caught.value.message) == "Please say why the withdrawal is refused."
    decided = withdrawal_decide(
        request=request, actor=supervisor, approve=False, remarks="对方仍在讨要欠款，需继续调解"
    )
    assert decided.state == WithdrawalRequest.State.REFUSED
    assert decided.decision_remarks == "对方仍在讨要欠款，需继续调解"
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION and case.outcome == ""
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.WITHDRAWAL_DECIDED)
    assert event.data["approved"] is False and event.is_public
    [(kind, _body)] = sms(case)
    assert kind == "withdrawal_refused"
    # Only the mediator is told (the applicant recorded it themselves).
    assert len(inbox(staff_a[Role.MEDIATOR], "withdrawal_decided")) == 1
    # Decided once: a second decision is refused; a new request may be made.
    with pytest.raises(ConflictError) as caught:
        withdrawal_decide(request=request, actor=supervisor, approve=True)
    assert caught.value.code == "withdrawal_decided"
    withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)


def test_a_refusal_without_remarks_in_chinese(case, staff_a):
    request = withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as caught:
        withdrawal_decide(request=request, actor=actor(staff_a, Role.SUPERVISOR), approve=False)
    assert str(caught.value.message) == "请说明不同意撤回的理由。"


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.DISPATCHER, Role.CALLBACK_CALLER])
def test_only_supervisors_and_admins_decide(case, staff_a, role):
    request = withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    with translation.override("en"), pytest.raises(PermissionDeniedError) as caught:
        withdrawal_decide(request=request, actor=actor(staff_a, role), approve=True)
    assert caught.value.code == "wrong_role"
    assert "Only a supervisor of the case's area" in str(caught.value.message)
    request.refresh_from_db()
    assert request.state == WithdrawalRequest.State.PENDING
    assert Dispute.objects.get(pk=case.pk).status == Status.IN_MEDIATION


def test_a_supervisor_of_another_area_may_not_decide(case, staff_a, make_staff, tree, departments):
    request = withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    elsewhere = make_staff(Role.SUPERVISOR, area=tree.town_b)
    with pytest.raises(NotFoundError):
        withdrawal_decide(request=request, actor=Actor.for_user(elsewhere), approve=True)
    # One who sees the case through their department, not their area: refused all the same.
    through_department = make_staff(Role.SUPERVISOR, area=tree.town_b, department=departments["a"])
    with pytest.raises(PermissionDeniedError) as caught:
        withdrawal_decide(request=request, actor=Actor.for_user(through_department), approve=True)
    assert caught.value.code == "not_in_area"
    # A supervisor higher up the tree, and an administrator, may.
    county = make_staff(Role.SUPERVISOR, area=tree.county)
    withdrawal_decide(request=request, actor=Actor.for_user(county), approve=True)
    assert Dispute.objects.get(pk=case.pk).status == Status.WITHDRAWN


def test_an_admin_decides_the_pending_request_of_a_case(case, staff_a):
    withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    withdrawal_decide_pending(dispute=case, actor=actor(staff_a, Role.ADMIN), approve=True)
    assert Dispute.objects.get(pk=case.pk).status == Status.WITHDRAWN
    with pytest.raises(ConflictError) as caught:
        withdrawal_decide_pending(dispute=case, actor=actor(staff_a, Role.ADMIN), approve=True)
    assert caught.value.code == "no_pending_withdrawal"


def test_approval_of_a_case_no_longer_open_changes_nothing(case, staff_a):
    request = withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    Dispute.objects.filter(pk=case.pk).update(status=Status.REPORTED, outcome=Outcome.AGREEMENT)
    with pytest.raises(ApplicationError) as caught:
        withdrawal_decide(request=request, actor=actor(staff_a, Role.SUPERVISOR), approve=True)
    assert caught.value.code == "wrong_state"
    request.refresh_from_db()
    assert request.state == WithdrawalRequest.State.PENDING
    assert not CaseEvent.objects.filter(dispute=case, kind=EventKind.WITHDRAWAL_DECIDED).exists()
    assert sms(case) == []


# --- The one door refuses a withdrawal without an approved request -------------------------------------------


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_the_transition_refuses_withdraw_without_an_approved_request(case, staff_a, role):
    with translation.override("en"), pytest.raises(PermissionDeniedError) as caught:
        services.dispute_transition(dispute=case, action="withdraw", actor=actor(staff_a, role), reason=REASON)
    assert caught.value.code == "withdrawal_needs_approval"
    assert "at the applicant's request, approved by a supervisor" in str(caught.value.message)
    # A pending (or refused) request is not an approval, nor is another case's approved one.
    pending = withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    with pytest.raises(PermissionDeniedError):
        services.dispute_transition(
            dispute=case,
            action="withdraw",
            actor=actor(staff_a, role),
            reason=REASON,
            data={"withdrawal_request": pending},
        )
    assert Dispute.objects.get(pk=case.pk).status == Status.IN_MEDIATION


def test_handlers_and_residents_may_not_withdraw_directly(case, staff_a):
    for who in (actor(staff_a, Role.MEDIATOR), actor(staff_a, Role.DISPATCHER), Actor.resident()):
        with pytest.raises(PermissionDeniedError) as caught:
            services.dispute_transition(dispute=case, action="withdraw", actor=who, reason=REASON)
        assert caught.value.code == "wrong_role"
    assert Dispute.objects.get(pk=case.pk).status == Status.IN_MEDIATION
