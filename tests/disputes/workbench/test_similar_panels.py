"""The case page's 类案参考 and 当事人历史 panels and its 参照起草 button (disputes.staff.similar)."""

import re

import pytest

from core.models import PersonalDataAccess
from disputes.models import Agreement, CaseEvent
from disputes.rules.enums import EventKind, PartyRole, Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.disputes.workbench.casepage import APPLICANT_PHONE, case_url, client_for
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def similar_case(tree, category, departments, mediator):
    """A closed neighbour case of other people, with an agreement."""
    case = case_in(
        Status.CLOSED,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=mediator,
        description="赵敏反映楼上住户钱进装修期间噪音扰民，多次协商未果。",
        callback_result="satisfied",
    )
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name="赵敏", phone="13811110000")
    PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="钱进", phone="")
    Agreement.objects.create(
        dispute=case,
        facts="f",
        points_in_dispute="噪音",
        terms="钱进保证每日18时后停止施工，并赔偿赵敏800元。",
        performance_method="当场现金支付。",
        performance=Agreement.Performance.PERFORMED,
    )
    return case


@pytest.fixture
def history_case(make_case):
    """An earlier closed case of the same applicant (make_case gives every case the same parties)."""
    return make_case(Status.CLOSED)


def test_the_page_shows_both_panels_with_links_and_logs_each_row(make_case, similar_case, history_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    html = client_for(mediator).get(case_url(case) + "?similar=1").content.decode()
    similar_rows = re.findall(r'data-similar="([A-Z0-9]+)"', html)
    history_rows = re.findall(r'data-history="([A-Z0-9]+)"', html)
    assert similar_rows == [similar_case.tracking_number]
    assert history_rows == [history_case.tracking_number]
    assert case_url(similar_case) in html and case_url(history_case) in html
    assert "〔乙方〕保证每日18时后停止施工，并赔偿〔甲方〕〔金额〕。" in html
    for secret in ("赵敏", "钱进", "800元", "13811110000"):
        assert secret not in html
    assert "类案参考" in html or "Similar past cases" in html
    rows = PersonalDataAccess.objects.filter(what__in=("dispute.similar", "dispute.party_history"))
    assert sorted((r.what, r.case_ref) for r in rows) == sorted(
        [("dispute.similar", similar_case.tracking_number), ("dispute.party_history", history_case.tracking_number)]
    )
    assert all(r.detail == {"page": "case", "for_case": case.tracking_number, "masked": True} for r in rows)
    assert f'data-draft-from="{similar_case.tracking_number}"' in html


def test_the_panels_are_read_and_logged_only_when_asked_for(make_case, similar_case, history_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    html = client_for(mediator).get(case_url(case)).content.decode()
    assert 'data-panel="similar-closed"' in html and "?similar=1" in html
    assert "data-similar=" not in html and "data-history=" not in html
    assert not PersonalDataAccess.objects.filter(what__in=("dispute.similar", "dispute.party_history")).exists()


def test_a_bystander_gets_no_history_panel_and_no_draft_button(make_case, similar_case, history_case, staff_a):
    case = make_case(Status.IN_MEDIATION)
    caller = staff_a[Role.CALLBACK_CALLER]
    html = client_for(caller).get(case_url(case) + "?similar=1").content.decode()
    assert 'data-panel="similar"' in html and 'data-panel="party_history"' not in html
    assert "data-draft-from" not in html
    assert APPLICANT_PHONE not in html


def test_draft_from_a_similar_case_on_the_page(make_case, similar_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    url = case_url(case, "case_draft_from_similar", source_number=similar_case.tracking_number)
    answer = client_for(mediator).post(url)
    assert answer.status_code == 303
    agreement = Agreement.objects.get(dispute=case)
    assert agreement.terms == "〔乙方〕保证每日18时后停止施工，并赔偿〔甲方〕〔金额〕。"
    assert CaseEvent.objects.get(dispute=case, kind=EventKind.AGREEMENT).data["drafted_from"] == (
        similar_case.tracking_number
    )
    html = client_for(mediator).get("/en" + case_url(case)).content.decode()
    assert f"Drafted from the agreement of case {similar_case.tracking_number_display}" in html
    assert "data-draft-from" not in html, "the case has a draft now"


def test_draft_refused_to_a_reader_who_may_not_draft(make_case, similar_case, staff_a):
    case = make_case(Status.IN_MEDIATION)
    url = case_url(case, "case_draft_from_similar", source_number=similar_case.tracking_number)
    answer = client_for(staff_a[Role.CALLBACK_CALLER]).post(url)
    assert answer.status_code == 403
    assert not Agreement.objects.filter(dispute=case).exists()
