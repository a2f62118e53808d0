"""申请撤回 from the tracking page: the resident files a request that awaits the centre's approval."""

import pytest

from disputes.models import CaseEvent, WithdrawalRequest
from disputes.rules.enums import EventKind, PartyRole, Status, WithdrawalVia
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db
TRACK = "/track/"
PHONE = "13800138000"


@pytest.fixture
def case(tree, category, departments, staff_a):
    made = case_in(
        Status.IN_MEDIATION,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
    )
    PartyFactory(dispute=made, role=PartyRole.APPLICANT, name="张三", phone=PHONE)
    return made


def tracked(client, case):
    answer = client.post(TRACK, {"tracking_number": case.tracking_number, "phone": PHONE})
    assert answer.status_code == 302
    return client


def test_the_resident_asks_to_withdraw(client, case, staff_a):
    page = tracked(client, case).get(TRACK).content.decode()
    assert 'name="withdrawal"' in page
    answer = client.post(TRACK, {"withdrawal": "1", "reason": "已经和邻居谈好了"})
    assert answer.status_code == 302 and answer["Location"].endswith(TRACK)
    request = WithdrawalRequest.objects.get(dispute=case)
    assert (request.state, request.via, request.reason, request.recorded_by) == (
        WithdrawalRequest.State.PENDING,
        WithdrawalVia.SMS_LINK,
        "已经和邻居谈好了",
        None,
    )
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION
    page = client.get(TRACK).content.decode()
    # The page says it awaits the centre's approval, offers no second request, and the timeline shows it.
    assert 'id="withdrawal" role="status"' in page and 'name="withdrawal"' not in page
    assert CaseEvent.objects.filter(dispute=case, kind=EventKind.WITHDRAWAL_REQUESTED, is_public=True).exists()


def test_in_english_the_page_says_it_awaits_approval(client, case):
    tracked(client, case)
    client.post(TRACK, {"withdrawal": "1", "reason": "settled"})
    page = client.get("/en" + TRACK).content.decode()
    assert "Your request awaits the approval of the centre" in page
    assert "You asked to withdraw the case" in page


def test_a_reason_is_required(client, case):
    tracked(client, case)
    answer = client.post(TRACK, {"withdrawal": "1", "reason": "  "})
    assert answer.status_code == 400
    assert 'id="id_reason_error"' in answer.content.decode()
    assert not WithdrawalRequest.objects.exists()


def test_without_a_proven_case_nothing_is_filed(client, case):
    answer = client.post(TRACK, {"withdrawal": "1", "reason": "已和解"})
    assert answer.status_code == 302
    assert not WithdrawalRequest.objects.exists()


def test_a_closed_case_offers_no_withdrawal(client, tree, category, departments):
    closed = case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"])
    PartyFactory(dispute=closed, role=PartyRole.APPLICANT, name="张三", phone=PHONE)
    page = tracked(client, closed).get(TRACK).content.decode()
    assert 'name="withdrawal"' not in page
    answer = client.post(TRACK, {"withdrawal": "1", "reason": "已和解"})
    assert answer.status_code == 400
    assert 'id="withdrawal-refusal"' in answer.content.decode()
    assert not WithdrawalRequest.objects.exists()
