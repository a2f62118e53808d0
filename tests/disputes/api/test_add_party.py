"""Adding a party through the staff API: who may, what a phone must be, and which triage reasons the reply shows.

The service decides (`services.check_party_adder`, `services.clean_party`); the API
only passes the body on. The reply's reasons are those the user may trace to a
record they can open (`selectors.TriageReasonFilter`); the stored colour and
reasons stay as computed.
"""

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from core.actors import Actor
from disputes.models import CaseEvent, Dispute, DisputeAssist, Party
from disputes.rules.enums import Colour, EventKind, PartyRole, Status
from disputes.rules.triage import reason_text
from grids.models import DepartmentKind, Role
from petitions import services as petition_services
from petitions.rules import Form as PetitionForm
from tests.disputes.cases import case_in
from tests.factories import DepartmentFactory, PartyFactory

pytestmark = pytest.mark.django_db

PETITIONER_PHONE = "13600136000"
APPLICANT_PHONE = "13800138000"
RESPONDENT_PHONE = "13700137000"


@pytest.fixture
def mediator(staff_a):
    return staff_a[Role.MEDIATOR]


@pytest.fixture
def accepted(tree, category, departments, mediator):
    case = case_in(Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator)
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, phone=APPLICANT_PHONE)
    return case


def client_for(user, **headers) -> APIClient:
    client = APIClient(**headers)
    client.force_login(user)
    return client


def parties_url(case) -> str:
    return f"/api/v1/cases/{case.tracking_number}/parties/"


def stored(case) -> tuple:
    """What adding a party would change: the parties, the events, the colour and reasons."""
    case = Dispute.objects.get(pk=case.pk)
    return (
        list(case.parties.values_list("pk", "role", "name", "phone")),
        list(CaseEvent.objects.filter(dispute=case).values_list("pk", flat=True)),
        case.colour,
        case.triage_reasons,
    )


RESPONDENT = {"role": "respondent", "name": "王五", "phone": RESPONDENT_PHONE}


# --- Who may add a party ---------------------------------------------------------------------------


def test_a_callback_caller_who_sees_the_case_may_not_add_a_party(accepted, staff_a):
    before = stored(accepted)

    answer = client_for(staff_a[Role.CALLBACK_CALLER]).post(parties_url(accepted), RESPONDENT, format="json")

    assert answer.status_code == 403, answer.content
    assert answer.json()["error"]["code"] == "wrong_role"
    assert stored(accepted) == before


def test_a_mediator_of_another_committee_in_the_same_township_may_not_add_a_party(accepted, make_staff, tree):
    """They see the case (same township) but do not handle it."""
    other_committee = DepartmentFactory(name="南浦街道司法所", area=tree.town_a, kind=DepartmentKind.JUDICIAL_OFFICE)
    outsider = make_staff(Role.MEDIATOR, area=tree.town_a, department=other_committee)
    before = stored(accepted)

    answer = client_for(outsider).post(parties_url(accepted), RESPONDENT, format="json")

    assert answer.status_code == 403, answer.content
    assert answer.json()["error"]["code"] == "not_handler"
    assert stored(accepted) == before


def test_an_assisting_department_may_not_add_a_party(accepted, make_staff, tree):
    """联合调解: the assisting department sees the case and adds notes, not parties."""
    helper_department = DepartmentFactory(name="西湖区人社局", area=tree.county, kind=DepartmentKind.LABOUR)
    DisputeAssist.objects.create(dispute=accepted, department=helper_department)
    helper = make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=helper_department)
    before = stored(accepted)

    answer = client_for(helper).post(parties_url(accepted), RESPONDENT, format="json")

    assert answer.status_code == 403, answer.content
    assert stored(accepted) == before


def test_a_dispatcher_whose_area_does_not_cover_the_case_may_not_add_a_party(accepted, make_staff, tree, departments):
    """Seeing a case through a department is not working its area."""
    other = make_staff(Role.DISPATCHER, area=tree.town_b, department=departments["a"])
    before = stored(accepted)

    answer = client_for(other).post(parties_url(accepted), RESPONDENT, format="json")

    assert answer.status_code == 403, answer.content
    assert answer.json()["error"]["code"] == "not_in_area"
    assert stored(accepted) == before


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN])
def test_those_working_the_case_add_a_party(accepted, staff_a, role):
    answer = client_for(staff_a[role]).post(parties_url(accepted), RESPONDENT, format="json")

    assert answer.status_code == 200, answer.content
    added = Party.objects.get(dispute=accepted, role=PartyRole.RESPONDENT)
    assert (added.name, added.phone) == ("王五", RESPONDENT_PHONE)
    event = CaseEvent.objects.get(dispute=accepted, kind=EventKind.PARTY_ADDED)
    assert event.actor == staff_a[role]


# --- The phone ---------------------------------------------------------------------------------------


def test_a_phone_that_is_not_a_phone_is_refused_in_the_users_language(accepted, mediator):
    before = stored(accepted)
    body = {**RESPONDENT, "phone": "not a phone 123"}

    chinese = client_for(mediator).post(parties_url(accepted), body, format="json")
    english = client_for(mediator, HTTP_ACCEPT_LANGUAGE="en").post(parties_url(accepted), body, format="json")

    assert (chinese.status_code, english.status_code) == (400, 400)
    assert chinese.json()["error"]["code"] == "invalid_phone"
    assert chinese.json()["error"]["extra"] == {"field": "phone"}
    assert chinese.json()["error"]["message"] == "请输入有效的11位手机号码。"
    assert english.json()["error"]["message"] == "Enter a valid mobile phone number (11 digits)."
    assert stored(accepted) == before


def test_the_phone_is_stored_normalised(accepted, mediator):
    answer = client_for(mediator).post(
        parties_url(accepted), {**RESPONDENT, "phone": "+86 137-0013-7000"}, format="json"
    )

    assert answer.status_code == 200, answer.content
    assert Party.objects.get(dispute=accepted, role=PartyRole.RESPONDENT).phone == RESPONDENT_PHONE


# --- An applicant ----------------------------------------------------------------------------------------

NEW_APPLICANT = {"role": "applicant", "name": "李梅", "phone": "13500135000"}


def test_an_applicant_needs_a_reason_which_stays_on_the_event(accepted, mediator):
    before = stored(accepted)

    refused = client_for(mediator).post(parties_url(accepted), NEW_APPLICANT, format="json")
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"]["code"] == "reason_required"
    assert stored(accepted) == before

    answer = client_for(mediator).post(
        parties_url(accepted), {**NEW_APPLICANT, "reason": "申请人的配偶，共同申请"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    event = CaseEvent.objects.get(dispute=accepted, kind=EventKind.PARTY_ADDED)
    assert (event.reason, event.data["role"], event.actor) == ("申请人的配偶，共同申请", "applicant", mediator)


@pytest.mark.parametrize("status", [Status.REPORTED, Status.AWAITING_CALLBACK])
def test_no_applicant_joins_once_the_case_is_reported_back(tree, category, departments, mediator, status):
    """From then on an applicant's phone opens the rating link: nobody is made an applicant to answer it."""
    case = case_in(status, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator)
    before = stored(case)

    answer = client_for(mediator).post(parties_url(case), {**NEW_APPLICANT, "reason": "补充申请人"}, format="json")

    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "applicant_too_late"
    assert stored(case) == before
    # A respondent may still be added (e.g. found during the callback).
    assert client_for(mediator).post(parties_url(case), RESPONDENT, format="json").status_code == 200


# --- Reasons drawn only from what the user may open -------------------------------------------------------


@pytest.fixture
def petition_in_b(tree, category, departments, make_staff):
    """An open petition (信访) about village B by the person the mediator of A is about to add."""
    bureau = DepartmentFactory(name="西湖区信访局", kind=DepartmentKind.PETITIONS_BUREAU, area=tree.county)
    clerk = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_b, department=bureau, username="clerk-b")
    actor = Actor.for_user(clerk)
    petition = petition_services.petition_register(
        actor=actor,
        form=PetitionForm.VISIT,
        matter="村里征地补偿款一直没有发放到位，多次找村委会都没有结果，请求尽快发放补偿款。",
        area=tree.village_b,
        category=category,
        receiving_office=bureau,
        petitioners=[{"name": "王五", "phone": PETITIONER_PHONE, "id_number": "", "address": ""}],
    )
    return petition_services.petition_decide(
        petition=petition, actor=actor, decision="accept", handling_department=departments["b"]
    )


def open_petition_text() -> str:
    with translation.override("zh-hans"):
        return reason_text({"rule": "open_petition"})


def test_a_petition_in_another_township_raises_the_colour_but_is_not_named_to_the_mediator(
    accepted, mediator, petition_in_b, staff_a, make_staff, tree, client
):
    answer = client_for(mediator).post(parties_url(accepted), {**RESPONDENT, "phone": PETITIONER_PHONE}, format="json")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert "open_petition" not in {r["rule"] for r in body["reasons"]}
    assert "open_petition" not in {r["rule"] for r in body["triage_reasons"]}
    triage_events = [e for e in body["events"] if e["kind"] == EventKind.TRIAGE]
    assert triage_events and all(
        "open_petition" not in {r["rule"] for r in e["data"]["reasons"]} for e in triage_events
    )
    assert open_petition_text() not in answer.content.decode()
    # What is stored is what triage computed: the colour is raised and the reason names the petition.
    case = Dispute.objects.get(pk=accepted.pk)
    assert case.colour == Colour.YELLOW
    stored_reason = next(r for r in case.triage_reasons if r["rule"] == "open_petition")
    assert stored_reason["sources"] == {"petitions": [petition_in_b.pk]}
    # The case page says the same to the mediator.
    client.force_login(mediator)
    page = client.get(f"/work/case/{accepted.tracking_number}/").content.decode()
    assert open_petition_text() not in page
    # Those who may open the petition are told: an administrator, a supervisor of the whole county.
    county_supervisor = make_staff(Role.SUPERVISOR, area=tree.county, username="county-supervisor")
    for reader in (staff_a[Role.ADMIN], county_supervisor):
        detail = client_for(reader).get(f"/api/v1/cases/{accepted.tracking_number}/").json()
        assert "open_petition" in {r["rule"] for r in detail["reasons"]}, reader
        assert "sources" not in str(detail["triage_reasons"])
        client.force_login(reader)
        assert open_petition_text() in client.get(f"/work/case/{accepted.tracking_number}/").content.decode()


def test_an_earlier_case_of_the_same_parties_is_named_only_to_those_who_may_open_it(
    accepted, mediator, tree, category, departments, staff_a
):
    """同一当事人: an earlier case between the same two phones, in township B, makes the case red."""
    earlier = case_in(Status.DISPATCHED, grid=tree.grid_b, category=category, department=departments["b"])
    PartyFactory(dispute=earlier, role=PartyRole.APPLICANT, phone=APPLICANT_PHONE)
    PartyFactory(dispute=earlier, role=PartyRole.RESPONDENT, phone=RESPONDENT_PHONE)

    body = client_for(mediator).post(parties_url(accepted), RESPONDENT, format="json").json()

    assert body["colour"] == "red"
    assert {r["rule"] for r in body["reasons"]} == {"category_base"}
    case = Dispute.objects.get(pk=accepted.pk)
    assert case.colour == Colour.RED
    assert next(r for r in case.triage_reasons if r["rule"] == "prior_incident_same_parties")["sources"] == {
        "disputes": [earlier.pk]
    }
    admin_view = client_for(staff_a[Role.ADMIN]).get(f"/api/v1/cases/{accepted.tracking_number}/").json()
    prior = next(r for r in admin_view["reasons"] if r["rule"] == "prior_incident_same_parties")
    assert "1" in prior["text"]


def test_an_earlier_case_in_the_users_own_area_is_named(accepted, mediator, tree, category, departments):
    earlier = case_in(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    PartyFactory(dispute=earlier, role=PartyRole.APPLICANT, phone=APPLICANT_PHONE)
    PartyFactory(dispute=earlier, role=PartyRole.RESPONDENT, phone=RESPONDENT_PHONE)

    body = client_for(mediator).post(parties_url(accepted), RESPONDENT, format="json").json()

    assert "prior_incident_same_parties" in {r["rule"] for r in body["reasons"]}
