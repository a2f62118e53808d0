"""What staff who see a case but do not work it get of its people, on every staff door (disputes.visibility).

Two bystanders of a case handled by township A's committee: a mediator of another committee in
the same township, and a callback caller before the report-back. The case's description, a
session and the draft agreement carry the parties' names, phones, an ID-card number and a bank
account; none of them may reach a bystander in clear, through the staff API or the pages. Those
who work the case see everything, and each read of the sessions and the agreement is logged.
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.models import PersonalDataAccess
from disputes import intake
from disputes.models import Agreement, Attachment, CaseEvent, DisputeAssist, MediationSession
from disputes.rules.enums import EventKind, Status
from disputes.selectors import disputes_visible_to, user_works_case
from disputes.selectors.access import cases_worked_by
from disputes.visibility import BYSTANDER, Shown, case_lens, mask_numbers, mask_people
from grids.models import Role
from tests.disputes.workbench.casepage import (
    APPLICANT_ADDRESS,
    APPLICANT_ID,
    APPLICANT_PHONE,
    RESPONDENT_PHONE,
    case_url,
    client_for,
)
from tests.factories import DepartmentFactory

WITNESS_PHONE = "13512345678"
BANK_ACCOUNT = "6222020200001234567"
DESCRIPTION = (
    f"李四（电话{APPLICANT_PHONE}）家楼上是王五家，卫生间漏水。李四住在{APPLICANT_ADDRESS}，邻居电话{WITNESS_PHONE}。"
)
ATTENDEES = f"李四（申请人，身份证{APPLICANT_ID}）、王五、见证人赵六{WITNESS_PHONE}"
NOTES = "赵六说王五愿意赔偿，钱打到卡上"
TERMS = f"王五于月底前将两千元转入李四的银行账户{BANK_ACCOUNT}"
NOTE = f"已电话联系李四 {APPLICANT_PHONE}"
OVERRIDE_REASON = "王五扬言要报复李四"
# Nothing of these may reach a bystander.
SECRETS = (
    "李四",
    "王五",
    "赵六",
    APPLICANT_PHONE,
    RESPONDENT_PHONE,
    WITNESS_PHONE,
    APPLICANT_ID,
    APPLICANT_ADDRESS,
    BANK_ACCOUNT,
    NOTES,
    "两千元",
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(make_case, mediator):
    case = make_case(
        Status.IN_MEDIATION,
        description=DESCRIPTION,
        occurred_place=APPLICANT_ADDRESS,
        triage_reasons=[{"rule": "staff_override", "colour": "red", "params": {"reason": OVERRIDE_REASON}}],
    )
    MediationSession.objects.create(
        dispute=case,
        held_at=timezone.now() - timedelta(hours=2),
        place="李四家",
        attendees=ATTENDEES,
        notes=NOTES,
        recorded_by=mediator,
    )
    Agreement.objects.create(
        dispute=case,
        facts=DESCRIPTION,
        points_in_dispute="王五是否承担维修费用",
        terms=TERMS,
        performance_method="银行转账",
        perform_by=timezone.localdate() + timedelta(days=20),
    )
    CaseEvent.objects.create(dispute=case, actor=mediator, actor_role=Role.MEDIATOR, kind=EventKind.NOTE, reason=NOTE)
    Attachment.objects.create(
        dispute=case,
        storage_name="cd" * 16,
        original_name="李四身份证.jpg",
        content_type="image/jpeg",
        size=10,
        sha256="0" * 64,
    )
    return case


@pytest.fixture
def bystanders(make_staff, tree, staff_a):
    other_committee = DepartmentFactory(name="南浦街道物业纠纷调解委员会", area=tree.town_a)
    return {
        "mediator of another committee": make_staff(Role.MEDIATOR, area=tree.town_a, department=other_committee),
        "caller before the report-back": staff_a[Role.CALLBACK_CALLER],
    }


BYSTANDERS = ["mediator of another committee", "caller before the report-back"]


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def case_api_paths() -> list[str]:
    """Every staff GET about one dispute in the API schema (a path whose only parameter is the case)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if "get" in operations and path.startswith("/api/v1/cases/{tracking_number}/") and path.count("{") == 1
    )


def assert_nothing_in_clear(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} shows {secret} in clear"


def test_the_case_paths_are_found():
    assert {
        "/api/v1/cases/{tracking_number}/",
        "/api/v1/cases/{tracking_number}/sessions/",
        "/api/v1/cases/{tracking_number}/agreement/",
    } <= set(case_api_paths())


@pytest.mark.parametrize("who", BYSTANDERS)
def test_the_api_masks_the_case_for_a_bystander(case, bystanders, who):
    api = api_for(bystanders[who])
    for path in case_api_paths():
        answer = api.get(path.replace("{tracking_number}", case.tracking_number))
        assert answer.status_code == 200, (path, answer.content[:300])
        assert_nothing_in_clear(json.dumps(answer.json(), ensure_ascii=False), f"{path} to the {who}")

    detail = api.get(f"/api/v1/cases/{case.tracking_number}/").json()
    assert sorted(p["name"] for p in detail["parties"]) == ["李*", "王*"]
    assert "李*（电话139****9000）家楼上是王*家" in detail["description"]
    assert detail["occurred_place"] == "南昌市西湖区****"
    assert "王*扬言要报复李*" in detail["reasons"][0]["text"]
    assert f"已电话联系李* {APPLICANT_PHONE[:3]}****{APPLICANT_PHONE[-4:]}" in [e["reason"] for e in detail["events"]]

    [session] = api.get(f"/api/v1/cases/{case.tracking_number}/sessions/").json()
    assert session["masked"] is True and session["notes"] is None
    assert session["attendees"].startswith("李*") and "、王*、见" in session["attendees"]
    assert session["place"] == "李*家"

    agreement = api.get(f"/api/v1/cases/{case.tracking_number}/agreement/").json()
    assert agreement["masked"] is True
    assert [agreement[k] for k in ("facts", "points_in_dispute", "terms", "performance_method")] == [None] * 4
    assert agreement["performance"] == "pending" and agreement["perform_by"] == str(case.agreement.perform_by)
    assert not PersonalDataAccess.objects.exists(), "nothing was shown in clear, so nothing is logged"


@pytest.mark.parametrize("who", BYSTANDERS)
def test_the_case_page_masks_the_case_for_a_bystander(case, bystanders, who):
    answer = client_for(bystanders[who]).get(case_url(case))
    assert answer.status_code == 200
    html = answer.content.decode()
    assert_nothing_in_clear(html, f"the case page to the {who}")
    assert "李*（电话139****9000）家楼上是王*家" in html
    assert "李*身份证.jpg" in html
    # Told why, in the default language.
    assert "您未承办该案件，调解协议内容仅向承办人员显示。" in html
    assert not PersonalDataAccess.objects.exists()


def test_the_callback_page_masks_the_case_for_a_caller_before_the_report_back(case, bystanders):
    caller = bystanders["caller before the report-back"]
    answer = client_for(caller).get(f"/en/work/callbacks/{case.tracking_number}/")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert_nothing_in_clear(html, "the callback page before the report-back")
    assert "You do not work this case: the agreement's text is shown only to those who do." in html
    assert not PersonalDataAccess.objects.exists()


def test_the_page_speaks_english_when_asked(case, bystanders):
    html = client_for(bystanders[BYSTANDERS[0]]).get("/en" + case_url(case)).content.decode()
    assert "You do not work this case: the agreement's text is shown only to those who do." in html
    assert "who attended is masked and the session notes are not shown" in html


def test_a_worker_reads_in_clear_and_each_read_of_sessions_and_agreement_is_logged(case, mediator):
    session = case.sessions.get()
    api = api_for(mediator)

    sessions = api.get(f"/api/v1/cases/{case.tracking_number}/sessions/").json()
    assert sessions[0]["attendees"] == ATTENDEES and sessions[0]["notes"] == NOTES
    assert sessions[0]["masked"] is False
    row = PersonalDataAccess.objects.get()
    assert (row.user, row.action, row.what, row.case_ref, row.object_id) == (
        mediator,
        PersonalDataAccess.Action.REVEAL,
        "session.attendees",
        case.tracking_number,
        session.pk,
    )
    assert APPLICANT_ID not in json.dumps(row.detail), "the log never holds the data"

    agreement = api.get(f"/api/v1/cases/{case.tracking_number}/agreement/").json()
    assert agreement["terms"] == TERMS and agreement["masked"] is False
    row = PersonalDataAccess.objects.latest("pk")
    assert (row.user, row.what, row.object_id) == (mediator, "agreement", case.agreement.pk)

    detail = api.get(f"/api/v1/cases/{case.tracking_number}/").json()
    assert detail["description"] == DESCRIPTION and sorted(p["name"] for p in detail["parties"]) == ["李四", "王五"]
    assert PersonalDataAccess.objects.count() == 2, "the case itself shows no session or agreement"

    PersonalDataAccess.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        html = client_for(mediator).get(case_url(case)).content.decode()
    assert BANK_ACCOUNT in html and NOTES in html and APPLICANT_ID in html and "李四" in html
    rows = PersonalDataAccess.objects.filter(user=mediator, case_ref=case.tracking_number)
    assert {(r.what, r.object_id) for r in rows} == {
        ("session.attendees", session.pk),
        ("agreement", case.agreement.pk),
    }
    inserts = [
        q for q in queries.captured_queries if q["sql"].startswith("INSERT") and "personaldataaccess" in q["sql"]
    ]
    assert len(inserts) == 1, "one insert per view of the page"


def test_a_worker_page_without_sessions_or_agreement_logs_nothing(make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    assert client_for(mediator).get(case_url(case)).status_code == 200
    assert not PersonalDataAccess.objects.exists()


def test_a_caller_works_the_callback_and_the_agreement_read_is_logged(case, staff_a):
    caller = staff_a[Role.CALLBACK_CALLER]
    Agreement.objects.filter(dispute=case).update(terms=TERMS)
    case.status, case.reported_at, case.outcome = Status.AWAITING_CALLBACK, timezone.now(), "agreement"
    case.save()
    html = client_for(caller).get(f"/work/callbacks/{case.tracking_number}/").content.decode()
    assert BANK_ACCOUNT in html
    assert PersonalDataAccess.objects.filter(user=caller, what="agreement", object_id=case.agreement.pk).count() == 1


@pytest.fixture
def stored_file(case, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    attachment = case.attachments.get()
    path = intake.attachment_path(attachment.storage_name)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xd8\xff an ID card")
    return attachment


@pytest.mark.parametrize("who", BYSTANDERS)
def test_a_bystander_cannot_open_the_attachments(case, bystanders, stored_file, who):
    client = client_for(bystanders[who])
    url = case_url(case, "case_attachment", pk=stored_file.pk)
    assert url not in client.get(case_url(case)).content.decode(), "no download link"
    answer = client.get(url)
    assert answer.status_code == 403
    assert b"an ID card" not in answer.content
    assert not PersonalDataAccess.objects.exists()


def test_a_worker_downloads_an_attachment_and_it_is_logged(case, mediator, stored_file):
    answer = client_for(mediator).get(case_url(case, "case_attachment", pk=stored_file.pk))
    assert answer.status_code == 200 and b"".join(answer.streaming_content).endswith(b"an ID card")
    row = PersonalDataAccess.objects.get()
    assert (row.user, row.action, row.what, row.object_id) == (mediator, "reveal", "attachment", stored_file.pk)


def queue_numbers(user, term: str) -> list[str]:
    answer = api_for(user).get("/api/v1/queue/", {"q": term, "scope": "area"})
    assert answer.status_code == 200
    return [row["tracking_number"] for row in answer.json()["results"]]


@pytest.mark.parametrize("who", BYSTANDERS)
def test_a_bystander_finds_a_case_by_its_number_not_by_a_name_or_phone(make_case, bystanders, who, staff_a):
    """The area's queue lists the case to the bystander; searching it by a name or a phone would say whose it is."""
    waiting = make_case(Status.DISPATCHED, description=DESCRIPTION)  # lead: committee A, no mediator yet
    user, worker = bystanders[who], staff_a[Role.DEPARTMENT_STAFF]
    assert queue_numbers(user, "") == [waiting.tracking_number], "the bystander's queue lists the case"
    for term in ("李四", "王五", APPLICANT_PHONE, WITNESS_PHONE, "漏水"):
        assert queue_numbers(user, term) == [], f"the {who} found the case by {term}"
        assert queue_numbers(worker, term) == [waiting.tracking_number], f"its handler finds it by {term}"
    assert queue_numbers(user, waiting.tracking_number.lower()) == [waiting.tracking_number]
    assert queue_numbers(user, waiting.tracking_number[:4]) == [waiting.tracking_number]


def test_the_worked_cases_condition_agrees_with_user_works_case(
    make_case, bystanders, staff_a, make_staff, tree, county_department
):
    cases = [make_case(status) for status in (Status.DISPATCHED, Status.IN_MEDIATION, Status.AWAITING_CALLBACK)]
    assisted = make_case(Status.IN_MEDIATION)
    DisputeAssist.objects.create(dispute=assisted, department=county_department)
    cases.append(assisted)
    users = [
        *staff_a.values(),
        *bystanders.values(),
        make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=county_department),
        make_staff(Role.CALLBACK_CALLER, area=tree.county),
    ]
    for user in users:
        visible = disputes_visible_to(user).filter(pk__in=[c.pk for c in cases])
        condition = cases_worked_by(user)
        by_query = set(visible.filter(condition) if condition is not None else visible)
        by_rule = {c for c in visible if user_works_case(user, c)}
        assert by_query == by_rule, user.staff.role


# --- The masks themselves (no database) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13900139000", "电话139****9000"),
        ("１３９００１３９０００", "139****9000"),
        ("身份证360103198001010016", "身份证360*************16"),
        ("身份证36010319800101001X", "身份证360*************1X"),
        ("卡号6222 0202 0000 1234 567", "卡号***************4567"),
        ("座机0791-86881234", "座机********1234"),
        ("欠款5000元，2024年3月", "欠款5000元，2024年3月"),
        ("案号(2024)赣0103民初1234号", "案号(2024)赣0103民初1234号"),
    ],
)
@pytest.mark.django_db(False)
def test_numbers_are_masked_by_pattern(text, masked):
    assert mask_numbers(text) == masked


@pytest.mark.django_db(False)
def test_a_list_of_people_is_masked_item_by_item():
    assert mask_people("李四（申请人）、王五\n调解员张三") == "李******、王*\n调****"


def test_the_table_leaves_nothing_in_clear_that_names_people(case, bystanders):
    """Every field a bystander gets is masked or absent, except dates and the agreement's status."""
    assert {field for field, shown in BYSTANDER.items() if shown == Shown.CLEAR} == {
        "session.held_at",
        "agreement.status",
    }
    lens = case_lens(bystanders[BYSTANDERS[0]], case)
    assert not lens.works
    assert lens.text("session.notes", NOTES) is None
    assert lens.text("description", DESCRIPTION).startswith("李*（电话139****9000）")
