"""Fixtures and helpers for the case-page tests (imported by name into each test module)."""

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from disputes.models import Agreement, AgreementVersion, Dispute
from disputes.rules.enums import PartyRole, Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import DepartmentFactory, PartyFactory

APPLICANT_PHONE = "13900139000"
APPLICANT_ID = "360103198001010016"
APPLICANT_ADDRESS = "南昌市西湖区船山路12号302室"
RESPONDENT_PHONE = "13700137000"
AGREEMENT_VALUES = {
    "facts": "楼上住户卫生间漏水，导致楼下天花板发霉。",
    "points_in_dispute": "维修费用由谁承担。",
    "terms": "王五承担维修费用人民币两千元，并于维修完成前停止使用该卫生间。",
    "performance_method": "一次性现金支付。",
    "perform_by": None,
}


@pytest.fixture
def county_department(tree):
    """A county bureau: somewhere to transfer to, or to ask for assistance."""
    return DepartmentFactory(name="西湖区人力资源和社会保障局", area=tree.county)


@pytest.fixture
def mediator(staff_a):
    return staff_a[Role.MEDIATOR]


@pytest.fixture
def make_case(tree, category, departments, mediator, county_department):
    """make_case(status, **fields) → a case of township A's committee, assigned to `mediator`, with two parties.

    Cases reported back with an agreement get their Agreement row, as the outcome service requires.
    """

    def make(status: str = Status.ACCEPTED, **fields) -> Dispute:
        case = case_in(
            status, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator, **fields
        )
        PartyFactory(
            dispute=case,
            role=PartyRole.APPLICANT,
            name="李四",
            phone=APPLICANT_PHONE,
            id_number=APPLICANT_ID,
            address=APPLICANT_ADDRESS,
        )
        PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="王五", phone=RESPONDENT_PHONE)
        if case.outcome == "agreement":
            agreement = Agreement.objects.create(dispute=case, **AGREEMENT_VALUES)
            # Reported back: its version 1 was signed (that day) and frozen, as the report-back does.
            reported_on = timezone.localdate(case.reported_at)
            version = AgreementVersion.objects.create(
                agreement=agreement,
                version=1,
                frozen_at=case.reported_at,
                frozen_by=AgreementVersion.FrozenBy.REPORTED,
                signed_on=reported_on,
                effective_on=reported_on,
                **AGREEMENT_VALUES,
            )
            Agreement.objects.filter(pk=agreement.pk).update(signed_version=version)
        return case

    return make


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def case_url(case, name: str = "case", **kwargs) -> str:
    return reverse(f"disputes:{name}", kwargs={"tracking_number": case.tracking_number, **kwargs})


def action_url(case, action: str) -> str:
    return case_url(case, "case_action", action=action)


def rendered_actions(html: str) -> set[str]:
    """The action forms the page shows (each carries data-action)."""
    return set(re.findall(r'data-action="([a-z_]+)"', html))


def future(days: int = 10) -> date:
    from django.utils import timezone

    return timezone.localdate() + timedelta(days=days)
