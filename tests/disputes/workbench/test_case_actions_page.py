"""The case page's actions: shown exactly when the service accepts them, and each one works through the page.

The matrix is generated from the lifecycle table's states and the staff roles:
for every role × state, each action of the page is tried against its service
(in a savepoint, rolled back), and the page must offer it if and only if the
service accepted it.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.actors import Actor
from core.exceptions import ApplicationError
from disputes import services
from disputes.models import Agreement, CaseEvent, Deadline, DisputeAssist, MediationSession
from disputes.rules import lifecycle
from disputes.rules.enums import Colour, DeadlineKind, EventKind, Status, WithdrawalVia
from disputes.services import leader as leader_service
from disputes.services import supervision, withdrawal
from disputes.staff.actions import PAGE_ACTIONS as ACTIONS
from disputes.staff.actions import actions_for, check_door
from grids.models import Role
from tests.disputes.workbench.casepage import (
    AGREEMENT_VALUES,
    action_url,
    case_url,
    client_for,
    rendered_actions,
)

pytestmark = pytest.mark.django_db

STAFF_ROLES = [Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.DISPATCHER, Role.CALLBACK_CALLER, Role.SUPERVISOR, Role.ADMIN]
REASON = "当事人要求"


class Rollback(Exception):
    pass


def perform(action: str, case, actor: Actor, department) -> None:
    """The action through its service, with valid input."""
    if action in ("accept", "start_mediation", "resume", "return"):
        services.dispute_transition(dispute=case, action=action, actor=actor, reason=REASON)
    elif action in ("dispatch", "transfer"):
        services.dispute_transition(
            dispute=case, action=action, actor=actor, reason=REASON, data={"department": department}
        )
    elif action == "report_back":
        services.outcome_report(dispute=case, actor=actor, outcome="agreement", agreement=AGREEMENT_VALUES)
    elif action == "assistance":
        services.dispute_request_assistance(dispute=case, actor=actor, department=department)
    elif action == "note":
        services.dispute_add_note(dispute=case, actor=actor, text="记录")
    elif action == "colour":
        services.dispute_override_colour(dispute=case, actor=actor, colour=Colour.RED, reason=REASON)
    elif action == "pause":
        services.dispute_pause_clock(dispute=case, actor=actor, reason=REASON)
    elif action == "resume_clock":
        services.dispute_resume_clock(dispute=case, actor=actor)
    elif action == "session":
        services.session_record(
            dispute=case, actor=actor, held_at=timezone.now() - timedelta(hours=1), place="调解室", attendees="双方"
        )
    elif action == "agreement":
        services.agreement_save(dispute=case, actor=actor, values=AGREEMENT_VALUES)
    elif action == "performance":
        services.agreement_record_performance(dispute=case, actor=actor, performance="performed")
    elif action == "merge_duplicate":
        services.dispute_merge_duplicate(actor=actor, duplicate=case, into=case.duplicate_of_id or 0, reason=REASON)
    elif action == "dismiss_duplicate":
        services.dispute_dismiss_duplicate(actor=actor, duplicate=case, reason=REASON)
    elif action == "withdrawal_request":
        withdrawal.withdrawal_request(dispute=case, actor=actor, via=WithdrawalVia.PHONE, reason=REASON)
    elif action == "withdrawal_decide":
        withdrawal.withdrawal_decide_pending(dispute=case, actor=actor, approve=False, remarks=REASON)
    elif action == "print_for_signature":
        services.agreement_print_for_signature(dispute=case, actor=actor)
    elif action == "agreement_sign":
        services.agreement_sign(dispute=case, actor=actor, signed_on=timezone.localdate())
    elif action == "judicial_apply":
        services.judicial_apply(
            dispute=case, actor=actor, applied_on=timezone.localdate(), court="南昌市东湖区人民法院"
        )
    elif action == "judicial_decide":
        services.judicial_decide(
            dispute=case,
            actor=actor,
            result="confirmed",
            ruling_number="(2026)赣0103民特123号",
            decided_on=timezone.localdate(),
        )
    elif action == "leader":
        leader_service.leader_set(dispute=case, actor=actor, leader=leader_service.leader_candidates(case).first())
    elif action == "order":
        supervision.order_issue(dispute=case, actor=actor, to_department=department, reason=REASON)
    elif action == "description":
        # Its doors check who may first (the registry), and its service checks the same rule again.
        check_door(actor.user, case, action)
        services.dispute_update_description(dispute=case, actor=actor, description="补充：双方已协商一次。")
    else:  # pragma: no cover
        raise AssertionError(action)


def accepted_by_service(action: str, case, user, department) -> bool:
    try:
        with transaction.atomic():
            perform(action, case, Actor.for_user(user), department)
            raise Rollback
    except Rollback:
        return True
    except ApplicationError:
        return False


@pytest.fixture
def people(staff_a, make_staff, tree, county_department):
    """Each staff role of township A, and a county bureau's mediator who can see but not handle the case."""
    users = dict(staff_a)
    users["other_mediator"] = make_staff(Role.MEDIATOR, area=tree.county, department=county_department)
    return users


@pytest.mark.parametrize("status", list(Status))
def test_the_page_offers_exactly_what_the_services_accept(status, people, make_case, county_department):
    case = make_case(status)
    for who, user in people.items():
        expected = {a for a in ACTIONS if accepted_by_service(a, case, user, county_department)}
        assert actions_for(user, case, keys=ACTIONS) == expected, (status, who)
        html = client_for(user).get(case_url(case)).content.decode()
        assert rendered_actions(html) == expected, (status, who)
        # Nothing was changed by the tries.
        case.refresh_from_db()
        assert case.status == status


@pytest.mark.parametrize("status", sorted(withdrawal.OPEN_STATES))
def test_with_a_withdrawal_pending_the_page_offers_exactly_what_the_services_accept(
    status, people, make_case, county_department
):
    """撤回: while the applicant's request awaits a decision, no second one is offered, and the supervisors of
    the area (and administrators) are offered the decision."""
    case = make_case(status)
    withdrawal.withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=REASON)
    for who, user in people.items():
        expected = {a for a in ACTIONS if accepted_by_service(a, case, user, county_department)}
        assert actions_for(user, case, keys=ACTIONS) == expected, (status, who)
        assert "withdrawal_request" not in expected
        assert ("withdrawal_decide" in expected) == (who in (Role.SUPERVISOR, Role.ADMIN)), (status, who)
        html = client_for(user).get(case_url(case)).content.decode()
        assert rendered_actions(html) == expected, (status, who)
        case.refresh_from_db()
        assert case.status == status


def test_the_matrix_covers_every_transition_of_the_page():
    # Each table action the page offers is reachable by some role from some state.
    for action in [key for key, spec in ACTIONS.items() if spec.transition]:
        t = lifecycle.TRANSITIONS[action]
        assert t.sources and t.roles & set(STAFF_ROLES)


def test_clock_buttons_follow_the_clock(make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    assert {"pause"} <= actions_for(mediator, case, keys=ACTIONS)
    assert "resume_clock" not in actions_for(mediator, case, keys=ACTIONS)
    answer = client_for(mediator).post(
        action_url(case, "pause"), {"pause-reason": "等待伤情鉴定", "pause-category": "appraisal"}
    )
    assert answer.status_code == 303
    actions = actions_for(mediator, case, keys=ACTIONS)
    assert "resume_clock" in actions and "pause" not in actions
    assert Deadline.objects.get(dispute=case, kind=DeadlineKind.RESOLVE).paused_at is not None
    assert client_for(mediator).post(action_url(case, "resume_clock")).status_code == 303
    assert Deadline.objects.get(dispute=case, kind=DeadlineKind.RESOLVE).paused_at is None


# --- each action through the page -----------------------------------------------------------------------


def post(user, case, action, data=None, follow=False):
    return client_for(user).post(action_url(case, action), data or {}, follow=follow)


def test_accept_start_and_note(make_case, mediator, staff_a):
    case = make_case(Status.DISPATCHED)
    answer = post(staff_a[Role.DEPARTMENT_STAFF], case, "accept")
    assert answer.status_code == 303 and answer["Location"] == case_url(case)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.assigned_mediator == staff_a[Role.DEPARTMENT_STAFF]
    assert post(staff_a[Role.DEPARTMENT_STAFF], case, "start_mediation").status_code == 303
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION
    answer = post(staff_a[Role.SUPERVISOR], case, "note", {"note-text": "请尽快化解"}, follow=True)
    assert CaseEvent.objects.filter(dispute=case, kind=EventKind.NOTE, reason="请尽快化解").exists()
    assert "请尽快化解" in answer.content.decode()


def test_return_needs_a_reason_beside_the_field(make_case, mediator):
    case = make_case(Status.ACCEPTED)
    answer = post(mediator, case, "return", {"return-reason": ""})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'class="field field--invalid"' in html and 'id="id_return-reason_error"' in html
    assert '<details class="action action--danger" data-action="return" open>' in html
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert post(mediator, case, "return", {"return-reason": "不属于本委员会管辖"}).status_code == 303
    case.refresh_from_db()
    assert case.status == Status.RETURNED and case.lead_department is None


def test_transfer_and_assistance(make_case, mediator, county_department, departments):
    case = make_case(Status.ACCEPTED)
    answer = post(mediator, case, "assistance", {"assistance-department": county_department.pk})
    assert answer.status_code == 303
    assert DisputeAssist.objects.filter(dispute=case, department=county_department).exists()
    refused = post(mediator, case, "transfer", {"transfer-department": departments["b"].pk, "transfer-reason": ""})
    assert refused.status_code == 400
    answer = post(mediator, case, "transfer", {"transfer-department": departments["b"].pk, "transfer-reason": "属地"})
    assert answer.status_code == 303
    case.refresh_from_db()
    assert (case.status, case.lead_department) == (Status.DISPATCHED, departments["b"])


def test_colour_override_and_withdraw(make_case, mediator, staff_a):
    case = make_case(Status.IN_MEDIATION)
    assert post(mediator, case, "colour", {"colour-colour": Colour.RED, "colour-reason": "扬言报复"}).status_code == 303
    case.refresh_from_db()
    assert case.colour == Colour.RED and case.colour_overridden
    # 撤回: no direct withdrawal; the mediator records the applicant's request, the supervisor approves it.
    assert post(mediator, case, "withdraw", {"withdraw-reason": "双方自行和解"}).status_code == 404
    data = {"withdrawal_request-via": "phone", "withdrawal_request-reason": "双方自行和解"}
    assert post(mediator, case, "withdrawal_request", data).status_code == 303
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION
    decision = {"withdrawal_decide-decision": "approve", "withdrawal_decide-remarks": ""}
    assert post(staff_a[Role.SUPERVISOR], case, "withdrawal_decide", decision).status_code == 303
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN


def test_session_through_the_page_starts_mediation(make_case, mediator):
    case = make_case(Status.ACCEPTED)
    held = timezone.localtime() - timedelta(hours=2)
    data = {
        "session-held_at": held.strftime("%Y-%m-%dT%H:%M"),
        "session-place": "船山社区调解室",
        "session-attendees": "李四\n王五",
        "session-notes": "双方同意分担",
    }
    answer = post(mediator, case, "session", data, follow=True)
    assert answer.status_code == 200
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION
    session = MediationSession.objects.get(dispute=case)
    assert (session.place, session.recorded_by) == ("船山社区调解室", mediator)
    assert "船山社区调解室" in answer.content.decode()


def test_a_future_session_is_refused_beside_the_field(make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    later = timezone.localtime() + timedelta(days=1)
    answer = post(
        mediator,
        case,
        "session",
        {"session-held_at": later.strftime("%Y-%m-%dT%H:%M"), "session-place": "调解室", "session-attendees": "双方"},
    )
    assert answer.status_code == 400
    assert 'id="id_session-held_at_error"' in answer.content.decode()
    assert not MediationSession.objects.filter(dispute=case).exists()


def test_a_refusal_is_a_message_and_nothing_is_saved(make_case, make_staff, tree, county_department):
    case = make_case(Status.ACCEPTED)
    # Sees the case (county) and has a handler's role, but does not handle it: the service refuses.
    other = make_staff(Role.MEDIATOR, area=tree.county, department=county_department)
    answer = client_for(other).post(action_url(case, "start_mediation"))
    # Not theirs to do: a 403 (as the API answers), on the case page with the service's reason.
    assert answer.status_code == 403
    assert gettext("Only the department handling this case may do this.") in answer.content.decode()
    assert 'class="alert alert--error" role="alert"' in answer.content.decode()
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert not CaseEvent.objects.filter(dispute=case, action="start_mediation").exists()


def test_an_unknown_action_is_not_found(make_case, mediator):
    case = make_case(Status.ACCEPTED)
    assert post(mediator, case, "explode").status_code == 404


def test_actions_need_post(make_case, mediator):
    case = make_case(Status.DISPATCHED)
    assert client_for(mediator).get(action_url(case, "accept")).status_code == 405


def test_agreement_form_is_prefilled_from_the_case(make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    html = client_for(mediator).get(case_url(case)).content.decode()
    assert f"{case.description}</textarea>" in html
    assert not Agreement.objects.filter(dispute=case).exists()
