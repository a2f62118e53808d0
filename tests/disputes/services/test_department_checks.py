"""The departments a person may send a case to or ask to assist, checked in the services (not only by the page).

The case page lists the departments serving the case's place (its areas up the tree,
any area of its county: `selectors.departments_serving`); the services refuse any
other, so the staff API, the bulk actions and the page refuse the same things.
"""

import pytest

from core.actors import Actor
from core.exceptions import ApplicationError
from disputes import services
from disputes.models import CaseEvent, Dispute, DisputeAssist, DiversionRule
from disputes.rules.enums import Channel, PartyRole, Status
from grids.models import DepartmentKind, Role
from tests.disputes.cases import case_in
from tests.factories import DepartmentFactory, area_child

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_county(tree):
    """A department of the next county (青山湖区): not one that serves a case in 西湖区."""
    county = area_child(tree.city, code="360111", name="青山湖区")
    return DepartmentFactory(name="青山湖区人民调解委员会", area=county)


@pytest.fixture
def county_bureau(tree):
    return DepartmentFactory(name="西湖区人社局", area=tree.county, kind=DepartmentKind.LABOUR)


@pytest.fixture
def mediator(staff_a):
    return Actor.for_user(staff_a[Role.MEDIATOR])


@pytest.fixture
def accepted(tree, category, departments, staff_a):
    return case_in(
        Status.ACCEPTED,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
    )


def snapshot(case) -> tuple:
    case = Dispute.objects.get(pk=case.pk)
    return (
        case.status,
        case.lead_department_id,
        case.assigned_mediator_id,
        list(CaseEvent.objects.filter(dispute=case).values_list("pk", flat=True)),
        list(DisputeAssist.objects.filter(dispute=case).values_list("department_id", flat=True)),
        list(case.deadlines.values_list("pk", "done_at", "cancelled_at")),
    )


def test_assistance_from_another_county_is_refused(accepted, mediator, other_county):
    before = snapshot(accepted)

    with pytest.raises(ApplicationError) as refused:
        services.dispute_request_assistance(dispute=accepted, actor=mediator, department=other_county, reason="协助")

    assert refused.value.code == "department_not_eligible"
    assert refused.value.extra == {"field": "department"}
    assert snapshot(accepted) == before


def test_assistance_from_the_county_or_a_neighbouring_township_is_accepted(
    accepted, mediator, county_bureau, departments
):
    services.dispute_request_assistance(dispute=accepted, actor=mediator, department=county_bureau, reason="欠薪")
    services.dispute_request_assistance(dispute=accepted, actor=mediator, department=departments["b"], reason="邻镇")

    assert set(DisputeAssist.objects.filter(dispute=accepted).values_list("department_id", flat=True)) == {
        county_bureau.pk,
        departments["b"].pk,
    }


def test_an_inactive_department_is_refused(accepted, mediator, county_bureau):
    county_bureau.is_active = False
    county_bureau.save()
    before = snapshot(accepted)

    with pytest.raises(ApplicationError) as assist:
        services.dispute_request_assistance(dispute=accepted, actor=mediator, department=county_bureau)
    with pytest.raises(ApplicationError) as transfer:
        services.dispute_transition(
            dispute=accepted, action="transfer", actor=mediator, reason="转办", data={"department": county_bureau}
        )

    assert (assist.value.code, transfer.value.code) == ("department_not_eligible", "department_not_eligible")
    assert snapshot(accepted) == before


@pytest.mark.parametrize("given_as", ["object", "id"])
def test_a_transfer_to_another_county_is_refused(accepted, mediator, other_county, given_as):
    department = other_county if given_as == "object" else other_county.pk
    before = snapshot(accepted)

    with pytest.raises(ApplicationError) as refused:
        services.dispute_transition(
            dispute=accepted, action="transfer", actor=mediator, reason="转办", data={"department": department}
        )

    assert refused.value.code == "department_not_eligible"
    assert snapshot(accepted) == before


def test_a_transfer_to_the_department_already_leading_is_refused(accepted, mediator, departments):
    before = snapshot(accepted)

    with pytest.raises(ApplicationError) as refused:
        services.dispute_transition(
            dispute=accepted, action="transfer", actor=mediator, reason="转办", data={"department": departments["a"]}
        )

    assert refused.value.code == "already_lead"
    assert snapshot(accepted) == before


def test_a_transfer_within_the_county_goes_through(accepted, mediator, county_bureau):
    case = services.dispute_transition(
        dispute=accepted, action="transfer", actor=mediator, reason="属劳资纠纷", data={"department": county_bureau}
    )

    assert (case.status, case.lead_department_id) == (Status.DISPATCHED, county_bureau.pk)


def test_a_dispatcher_may_not_dispatch_to_another_county(tree, category, staff_a, other_county):
    case = case_in(Status.TRIAGED, grid=tree.grid_a, category=category)
    before = snapshot(case)

    with pytest.raises(ApplicationError) as refused:
        services.dispute_transition(
            dispute=case,
            action="dispatch",
            actor=Actor.for_user(staff_a[Role.DISPATCHER]),
            data={"department": other_county},
        )

    assert refused.value.code == "department_not_eligible"
    assert snapshot(case) == before


def test_the_platform_still_follows_the_diversion_list(tree, category, other_county):
    """分流清单 is the administrator's: routing by it is not second-guessed (and a routing task never fails on it)."""
    DiversionRule.objects.create(area=tree.grid_a, category=category, lead_department=other_county)
    case = services.dispute_submit(
        category=category,
        description="邻居装修噪音扰民。",
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[{"role": PartyRole.APPLICANT, "name": "李四", "phone": "13900139000"}],
    )

    routed = services.dispute_route(dispute_id=case.pk)

    assert (routed.status, routed.lead_department_id) == (Status.DISPATCHED, other_county.pk)
