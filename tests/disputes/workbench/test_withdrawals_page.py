"""撤回审批: the case page's request and decision, its panel, and the supervisors' list of pending requests."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.actors import Actor
from disputes.models import WithdrawalRequest
from disputes.rules.enums import Colour, Status, WithdrawalVia
from disputes.services.withdrawal import withdrawal_request
from grids.models import Role
from tests.disputes.cases import case_in
from tests.disputes.workbench.casepage import action_url, case_url, client_for
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db
LIST = "/work/withdrawals/"


@pytest.fixture
def make(tree, category, departments, staff_a):
    def make(status=Status.IN_MEDIATION, grid=None, **fields):
        case = case_in(
            status,
            grid=grid or tree.grid_a,
            category=category,
            department=departments["a"],
            mediator=staff_a[Role.MEDIATOR],
            **fields,
        )
        PartyFactory(dispute=case, name="张三", phone="13800138000")
        return case

    return make


def test_the_page_offers_no_direct_withdrawal(make, staff_a):
    case = make()
    for role in (Role.MEDIATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN):
        client = client_for(staff_a[role])
        assert 'data-action="withdraw"' not in client.get(case_url(case)).content.decode()
        assert client.post(action_url(case, "withdraw"), {"withdraw-reason": "和解"}).status_code == 404
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION


def test_record_then_approve_from_the_case_page(make, staff_a):
    case = make()
    mediator = client_for(staff_a[Role.MEDIATOR])
    page = mediator.get(case_url(case)).content.decode()
    assert 'data-action="withdrawal_request"' in page and 'data-action="withdrawal_decide"' not in page
    # The form needs how the applicant asked, and the reason.
    refused = mediator.post(action_url(case, "withdrawal_request"), {"withdrawal_request-reason": "和解"})
    assert refused.status_code == 400 and 'id="id_withdrawal_request-via_error"' in refused.content.decode()
    answer = mediator.post(
        action_url(case, "withdrawal_request"),
        {"withdrawal_request-via": "in_person", "withdrawal_request-reason": "双方已达成口头协议"},
    )
    assert answer.status_code == 303
    # The panel shows the pending request; the mediator has nothing more to do about it.
    page = mediator.get(case_url(case)).content.decode()
    assert "data-withdrawal=" in page and "双方已达成口头协议" in page
    assert 'data-action="withdrawal_request"' not in page and 'data-action="withdrawal_decide"' not in page
    supervisor = client_for(staff_a[Role.SUPERVISOR])
    assert 'data-action="withdrawal_decide"' in supervisor.get(case_url(case)).content.decode()
    # A refusal needs remarks, beside the field.
    refused = supervisor.post(action_url(case, "withdrawal_decide"), {"withdrawal_decide-decision": "refuse"})
    assert refused.status_code == 400 and 'id="id_withdrawal_decide-remarks_error"' in refused.content.decode()
    answer = supervisor.post(action_url(case, "withdrawal_decide"), {"withdrawal_decide-decision": "approve"})
    assert answer.status_code == 303
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    request = WithdrawalRequest.objects.get(dispute=case)
    assert (request.via, request.recorded_by, request.decided_by) == (
        WithdrawalVia.IN_PERSON,
        staff_a[Role.MEDIATOR],
        staff_a[Role.SUPERVISOR],
    )


def test_a_mediator_posting_the_decision_is_refused(make, staff_a):
    case = make()
    withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason="和解")
    answer = client_for(staff_a[Role.MEDIATOR]).post(
        action_url(case, "withdrawal_decide"), {"withdrawal_decide-decision": "approve"}
    )
    assert answer.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION


def test_the_supervisors_list_oldest_first(make, staff_a, tree, make_staff):
    now = timezone.now()
    red = make(colour=Colour.RED)
    white = make()
    elsewhere = make(grid=tree.grid_b)
    withdrawal_request(dispute=red, actor=Actor.for_user(staff_a[Role.MEDIATOR]), via="phone", reason="不想再调了")
    withdrawal_request(dispute=white, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason="已和解")
    withdrawal_request(dispute=elsewhere, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason="已和解")
    WithdrawalRequest.objects.filter(dispute=white).update(requested_at=now - timedelta(days=2))
    html = client_for(staff_a[Role.SUPERVISOR]).get(LIST).content.decode()
    listed = [n for n in (red.tracking_number, white.tracking_number, elsewhere.tracking_number) if n in html]
    assert listed == [red.tracking_number, white.tracking_number]
    assert html.index(white.tracking_number) < html.index(red.tracking_number)
    assert "badge--red" in html and "不想再调了" in html
    # The administrator sees all three; a county supervisor too; others may not open the list.
    assert elsewhere.tracking_number in client_for(staff_a[Role.ADMIN]).get(LIST).content.decode()
    county = make_staff(Role.SUPERVISOR, area=tree.county)
    assert elsewhere.tracking_number in client_for(county).get(LIST).content.decode()
    for role in (Role.MEDIATOR, Role.DISPATCHER, Role.CALLBACK_CALLER, Role.DEPARTMENT_STAFF):
        assert client_for(staff_a[role]).get(LIST).status_code == 403


def test_approve_and_refuse_from_the_list(make, staff_a, tree):
    approved, refused, elsewhere = make(), make(), make(grid=tree.grid_b)
    for case in (approved, refused, elsewhere):
        withdrawal_request(dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason="已和解")
    supervisor = client_for(staff_a[Role.SUPERVISOR])

    def decide(case, **data):
        pk = WithdrawalRequest.objects.get(dispute=case, state="pending").pk
        body = {f"w{pk}-{key}": value for key, value in data.items()}
        return supervisor.post(reverse("disputes:withdrawal_decide", args=[pk]), body)

    assert decide(approved, decision="approve")["Location"].endswith(LIST)
    answer = decide(refused, decision="refuse")
    assert answer.status_code == 303
    assert WithdrawalRequest.objects.get(dispute=refused).state == "pending"  # no remarks: refused, nothing changed
    assert decide(refused, decision="refuse", remarks="仍需调解").status_code == 303
    assert decide(elsewhere, decision="approve").status_code == 404
    states = {c.pk: WithdrawalRequest.objects.get(dispute=c).state for c in (approved, refused, elsewhere)}
    assert states == {approved.pk: "approved", refused.pk: "refused", elsewhere.pk: "pending"}
    approved.refresh_from_db()
    refused.refresh_from_db()
    assert (approved.status, refused.status) == (Status.WITHDRAWN, Status.IN_MEDIATION)
    assert approved.tracking_number not in supervisor.get(LIST).content.decode()


def test_the_menu_names_the_list_for_supervisors(staff_a):
    assert LIST in client_for(staff_a[Role.SUPERVISOR]).get("/work/").content.decode()
    assert LIST not in client_for(staff_a[Role.MEDIATOR]).get("/work/").content.decode()
