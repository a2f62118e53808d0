"""The printable mediation agreement (调解协议书): everything on it, the standard clauses, the print logged."""

import re
from html import unescape

import pytest
from django.utils.translation import gettext

from core.dates import long_date
from core.models import PersonalDataAccess
from disputes.models import Agreement
from disputes.rules.enums import Status
from grids.models import Role
from tests.disputes.workbench.casepage import (
    AGREEMENT_VALUES,
    APPLICANT_ADDRESS,
    APPLICANT_ID,
    APPLICANT_PHONE,
    RESPONDENT_PHONE,
    case_url,
    client_for,
    future,
)

pytestmark = pytest.mark.django_db

CLAUSES = (
    "This agreement takes effect once it is signed (or sealed) by every party and signed by the people's mediator, "
    "and the seal of the people's mediation committee is affixed.",
    "The parties may jointly apply to the people's court for judicial confirmation of this agreement within thirty "
    "days of the day it takes effect.",
)


@pytest.fixture
def case(make_case):
    case = make_case(Status.IN_MEDIATION)
    Agreement.objects.create(dispute=case, **{**AGREEMENT_VALUES, "perform_by": future(10)})
    return case


def test_the_print_shows_the_whole_agreement_and_is_logged(case, mediator, departments):
    answer = client_for(mediator).get(case_url(case, "agreement_print"))
    assert answer.status_code == 200
    html = answer.content.decode()
    assert gettext("Mediation agreement") in html
    assert case.tracking_number_display in html
    assert departments["a"].name in html, "the mediation organisation is the lead department"
    # The parties in clear: names, ID number, address, phones.
    for clear in ("李四", "王五", APPLICANT_ID, APPLICANT_ADDRESS, APPLICANT_PHONE, RESPONDENT_PHONE):
        assert clear in html
    for text in AGREEMENT_VALUES.values():
        if text:
            assert text in html
    # The perform-by date written out (core.dates.long_date), never 2026-12-18.
    assert long_date(future(10)) in html and future(10).isoformat() not in html
    for clause in CLAUSES:
        assert gettext(clause) in unescape(html)
    # A signature line per party, the mediator's and the committee's seal.
    assert html.count('class="signature"') == 3
    assert gettext("People's mediation committee (seal):") in unescape(html)
    row = PersonalDataAccess.objects.get()
    assert (row.user, row.action, row.what, row.case_ref, row.object_id) == (
        mediator,
        PersonalDataAccess.Action.PRINT,
        "agreement",
        case.tracking_number,
        case.agreement.pk,
    )


def test_the_print_is_a_page_for_paper(case, mediator):
    html = client_for(mediator).get(case_url(case, "agreement_print")).content.decode()
    assert "css/print.css" in html and "js/print.js" in html
    assert 'class="site-nav"' not in html, "no navigation on paper"
    assert "<script>" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script"
    assert "data-print hidden" in html, "the button appears only when JavaScript can print"


def test_the_print_stylesheet_is_a4():
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "static/css/print.css").read_text()
    assert "@page { size: A4; margin: 20mm; }" in css
    assert "@media print" in css and ".toolbar, .no-print { display: none !important; }" in css


def test_only_those_working_the_case_may_print(case, make_staff, tree, county_department):
    bystander = make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=county_department)
    assert client_for(bystander).get(case_url(case, "agreement_print")).status_code == 403
    outsider = make_staff(Role.SUPERVISOR, area=tree.town_b)
    assert client_for(outsider).get(case_url(case, "agreement_print")).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_no_agreement_no_print(make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    assert client_for(mediator).get(case_url(case, "agreement_print")).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_the_case_page_links_to_the_print(case, mediator):
    html = client_for(mediator).get(case_url(case)).content.decode()
    assert case_url(case, "agreement_print") in html
