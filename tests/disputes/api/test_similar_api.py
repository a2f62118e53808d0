"""API: /cases/{number}/similar/, /party-history/ and /similar/{source}/draft/ (disputes.api.similar)."""

import pytest
from rest_framework.test import APIClient

from core.models import PersonalDataAccess
from disputes.models import Agreement, CaseEvent
from disputes.rules.enums import EventKind, PartyRole, Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db

STORY = "{a}反映楼上住户{b}装修期间噪音扰民，且导致其家中卫生间天花板漏水，双方协商未果。"


def api_for(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_login(user)
    return api


@pytest.fixture
def cases(tree, category, departments, staff_a):
    mediator = staff_a[Role.MEDIATOR]

    def make(status, names, phone, grid=None):
        grid = grid or tree.grid_a
        department = departments["a"] if grid == tree.grid_a else departments["b"]
        case = case_in(
            status,
            grid=grid,
            category=category,
            department=department,
            mediator=mediator if grid == tree.grid_a else None,
            description=STORY.format(a=names[0], b=names[1]),
        )
        PartyFactory(dispute=case, role=PartyRole.APPLICANT, name=names[0], phone=phone)
        PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name=names[1], phone="")
        return case

    current = make(Status.IN_MEDIATION, ("李四", "王五"), "13900139000")
    alike = [
        make(Status.CLOSED, names, f"1381111000{i}")
        for i, names in enumerate((("赵敏", "钱进"), ("孙丽", "周涛"), ("吴芳", "郑华")))
    ]
    Agreement.objects.create(
        dispute=alike[0],
        facts="f",
        points_in_dispute="维修费用由谁承担",
        terms="钱进向赵敏支付维修费3000元。",
        performance_method="现金支付，电话13811110000。",
    )
    history = make(Status.CLOSED, ("李四", "马六"), "13900139000")
    outside = make(Status.CLOSED, ("孔亮", "曹操"), "13500000000", grid=tree.grid_b)
    return {"current": current, "alike": alike, "history": history, "outside": outside}


def test_similar_lists_masked_cases_and_logs_each(cases, staff_a):
    current = cases["current"]
    answer = api_for(staff_a[Role.MEDIATOR]).get(f"/api/v1/cases/{current.tracking_number}/similar/")
    assert answer.status_code == 200
    rows = answer.json()["cases"]
    got = {r["tracking_number"] for r in rows}
    assert got == {c.tracking_number for c in cases["alike"]}
    [with_agreement] = [r for r in rows if r["has_agreement"]]
    assert with_agreement["terms"] == "〔乙方〕向〔甲方〕支付维修费〔金额〕。"
    assert with_agreement["performance_method"] == "现金支付，电话〔电话〕。"
    text = answer.content.decode()
    for secret in ("赵敏", "钱进", "13811110000", "3000元"):
        assert secret not in text
    logged = PersonalDataAccess.objects.filter(what="dispute.similar")
    assert {r.case_ref for r in logged} == got
    assert all(r.detail == {"page": "api", "for_case": current.tracking_number, "masked": True} for r in logged)


def test_party_history_for_those_who_work_the_case(cases, staff_a):
    current = cases["current"]
    answer = api_for(staff_a[Role.MEDIATOR]).get(f"/api/v1/cases/{current.tracking_number}/party-history/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["available"] is True
    assert [(r["tracking_number"], r["matched_by"]) for r in body["cases"]] == [
        (cases["history"].tracking_number, ["phone"])
    ]
    assert (
        PersonalDataAccess.objects.filter(
            what="dispute.party_history", case_ref=cases["history"].tracking_number
        ).count()
        == 1
    )
    # A caller before the report-back sees the case, not its people's other cases.
    answer = api_for(staff_a[Role.CALLBACK_CALLER]).get(f"/api/v1/cases/{current.tracking_number}/party-history/")
    assert answer.status_code == 200 and answer.json() == {"available": False, "cases": []}


def test_who_may_call_it(cases, staff_a, tree, departments, make_staff):
    current = cases["current"]
    for path in ("similar", "party-history"):
        url = f"/api/v1/cases/{current.tracking_number}/{path}/"
        assert api_for().get(url).status_code == 403
        # Township B's mediator cannot see township A's case: 404, as for a number that does not exist.
        other = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"])
        assert api_for(other).get(url).status_code == 404
        assert api_for(staff_a[Role.SUPERVISOR]).get(url).status_code == 200


def test_draft_from_a_similar_case(cases, staff_a):
    current, source = cases["current"], cases["alike"][0]
    url = f"/api/v1/cases/{current.tracking_number}/similar/{source.tracking_number}/draft/"
    assert api_for(staff_a[Role.CALLBACK_CALLER]).post(url).status_code == 403
    assert not Agreement.objects.filter(dispute=current).exists()
    answer = api_for(staff_a[Role.MEDIATOR]).post(url)
    assert answer.status_code == 201, answer.content
    assert answer.json()["terms"] == "〔乙方〕向〔甲方〕支付维修费〔金额〕。"
    event = CaseEvent.objects.get(dispute=current, kind=EventKind.AGREEMENT)
    assert event.data["drafted_from"] == source.tracking_number
    # The case's timeline in the API names the source to a reader who may open it.
    detail = api_for(staff_a[Role.MEDIATOR]).get(f"/api/v1/cases/{current.tracking_number}/").json()
    assert any((e.get("data") or {}).get("drafted_from") == source.tracking_number for e in detail["events"])
    # Again: there is a draft now.
    assert api_for(staff_a[Role.MEDIATOR]).post(url).status_code == 409


def test_draft_from_a_case_the_reader_cannot_see_is_404(cases, staff_a):
    current, outside = cases["current"], cases["outside"]
    Agreement.objects.create(dispute=outside, facts="f", points_in_dispute="p", terms="t", performance_method="m")
    url = f"/api/v1/cases/{current.tracking_number}/similar/{outside.tracking_number}/draft/"
    assert api_for(staff_a[Role.MEDIATOR]).post(url).status_code == 404
