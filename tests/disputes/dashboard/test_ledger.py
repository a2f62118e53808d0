"""台账: every case of the area registered in the period, masked unless the reader handles it, streamed."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.models import PersonalDataAccess
from disputes.dashboard import ledger
from disputes.dashboard.periods import month_period
from disputes.models import Deadline
from disputes.rules.enums import DeadlineKind, Outcome, PartyRole, Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

NOVEMBER = datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI)
DECEMBER = datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)
NAME, PHONE = "欧阳明辉", "13912345678"
OTHER_NAME = "李四海"
PLACE = "南浦街道船山路88号3栋502室"


@pytest.fixture
def cases(tree, category, departments, staff_a, make_staff):
    """In township A: one case of A's committee (mediator staff_a's), one of another mediator in B's committee;
    one in December; one in township B."""
    mediator = staff_a[Role.MEDIATOR]
    other = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"])
    ours = case_in(
        Status.CLOSED,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=mediator,
        submitted_at=NOVEMBER,
        reported_at=NOVEMBER + timedelta(days=5),
        occurred_place=PLACE,
        description=f"{NAME}与{OTHER_NAME}因漏水发生纠纷，电话{PHONE}。",
        callback_result="satisfied",
    )
    Deadline.objects.create(
        dispute=ours,
        kind=DeadlineKind.RESOLVE,
        due_at=NOVEMBER + timedelta(days=30),
        done_at=NOVEMBER + timedelta(days=5),
    )
    theirs = case_in(
        Status.IN_MEDIATION,
        grid=tree.grid_a,
        category=category,
        department=departments["b"],
        mediator=other,
        submitted_at=NOVEMBER + timedelta(days=1),
        occurred_place=PLACE,
        description=f"{NAME}反映噪音扰民，电话{PHONE}。",
    )
    # Its resolution deadline passed while it is still open: 超期.
    Deadline.objects.filter(dispute=theirs).update(due_at=NOVEMBER + timedelta(days=3))
    december = case_in(Status.SUBMITTED, grid=tree.grid_a, category=category, submitted_at=DECEMBER)
    elsewhere = case_in(Status.SUBMITTED, grid=tree.grid_b, category=category, submitted_at=NOVEMBER)
    for case in (ours, theirs, december, elsewhere):
        PartyFactory(dispute=case, role=PartyRole.APPLICANT, name=NAME, phone=PHONE, address=PLACE)
        PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name=OTHER_NAME, phone="13700001111")
    return {"ours": ours, "theirs": theirs, "december": december, "elsewhere": elsewhere}


def ledger_url(area, fmt="csv", month="2026-11"):
    return reverse("disputes:dashboard_ledger", args=[area.code, fmt]) + f"?kind=month&month={month}"


def csv_rows(response):
    title, header, *rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return title, header, {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_a_supervisor_gets_every_case_of_the_period_masked(client, cases, staff_a, tree):
    client.force_login(staff_a[Role.SUPERVISOR])
    response = client.get(ledger_url(tree.town_a))
    assert response.status_code == 200 and response.streaming
    title, header, rows = csv_rows(response)
    assert header == ledger.ledger_columns() and len(header) == 19
    # November's two cases of township A; not December's, not township B's.
    assert set(rows) == {cases["ours"].tracking_number_display, cases["theirs"].tracking_number_display}
    text = b"".join(client.get(ledger_url(tree.town_a)).streaming_content).decode("utf-8-sig")
    for secret in (NAME, OTHER_NAME, PHONE, "88号3栋502室"):
        assert secret not in text, secret
    row = list(rows.values())[0]
    columns = ledger.ledger_columns()
    assert row[columns[5]] == "欧***" and row[columns[6]] == "李**" and row[columns[7]] == "139****5678"
    assert tree.town_a.name in title[0]
    # One line in the personal data log per file.
    assert PersonalDataAccess.objects.filter(user=staff_a[Role.SUPERVISOR], action="export").count() == 2


def test_the_mediator_who_handles_a_case_reads_it_in_clear_and_no_other(cases, staff_a, tree):
    period = month_period(NOVEMBER.date())
    rows = {r[0]: r for r in ledger.ledger_rows(staff_a[Role.MEDIATOR], tree.town_a, period)}
    ours, theirs = rows[cases["ours"].tracking_number_display], rows[cases["theirs"].tracking_number_display]
    assert ours[5:9] == [NAME, OTHER_NAME, PHONE, PLACE]
    assert NAME in ours[9] and PHONE in ours[9]
    assert theirs[5:8] == ["欧***", "李**", "139****5678"] and PLACE not in theirs[8]
    assert NAME not in theirs[9] and PHONE not in theirs[9]
    # A supervisor handles none of them.
    supervisor = list(ledger.ledger_rows(staff_a[Role.SUPERVISOR], tree.town_a, period))
    assert all(NAME not in " ".join(str(c) for c in row) for row in supervisor)


def test_a_supervisor_who_leads_a_case_reads_that_one_in_clear(client, cases, staff_a, tree):
    supervisor = staff_a[Role.SUPERVISOR]
    cases["theirs"].leader = supervisor
    cases["theirs"].save(update_fields=["leader"])
    client.force_login(supervisor)
    _title, header, rows = csv_rows(client.get(ledger_url(tree.town_a)))
    assert rows[cases["theirs"].tracking_number_display][header[5]] == NAME
    assert rows[cases["ours"].tracking_number_display][header[5]] == "欧***"


def test_the_ledger_fields(cases, staff_a, tree):
    period = month_period(NOVEMBER.date())
    rows = {r[0]: r for r in ledger.ledger_rows(staff_a[Role.SUPERVISOR], tree.town_a, period)}
    ours, theirs = rows[cases["ours"].tracking_number_display], rows[cases["theirs"].tracking_number_display]
    assert ours[1] == NOVEMBER.date() and ours[3] == "邻里纠纷"
    assert ours[10] == cases["ours"].lead_department.name
    assert ours[14] == (NOVEMBER + timedelta(days=5)).date()  # 办结日期
    assert ours[15] == (NOVEMBER + timedelta(days=30)).date()  # 办结时限
    assert ours[16] == "No" or ours[16] == "否"
    assert ours[17] == str(Outcome(cases["ours"].outcome).label)
    assert theirs[16] in ("Yes", "是") and theirs[14] is None


def test_xlsx_ledger_has_dates_and_a_frozen_header(client, cases, staff_a, tree):
    client.force_login(staff_a[Role.ADMIN])
    response = client.get(ledger_url(tree.town_a, "xlsx"))
    assert response.status_code == 200 and response.streaming
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.freeze_panes == "A3" and sheet.max_row == 2 + 2
    registered = sheet.cell(row=3, column=2)
    assert registered.value.date() == NOVEMBER.date() and "年" in registered.number_format
    # An administrator reads a whole area, handling none of it: masked.
    assert all(NAME not in str(c.value) for row in sheet.iter_rows() for c in row)


def test_jurisdiction(client, cases, staff_a, tree):
    client.force_login(staff_a[Role.SUPERVISOR])
    assert client.get(ledger_url(tree.town_b)).status_code == 404
    assert client.get(ledger_url(tree.county)).status_code == 404
    assert client.get(ledger_url(tree.village_a)).status_code == 200
    assert client.get(reverse("disputes:dashboard_ledger", args=[tree.town_a.code, "pdf"])).status_code == 404
    client.force_login(staff_a[Role.MEDIATOR])
    assert client.get(ledger_url(tree.town_a)).status_code == 403
    client.force_login(staff_a[Role.ADMIN])
    _title, _header, rows = csv_rows(client.get(ledger_url(tree.county)))
    assert cases["elsewhere"].tracking_number_display in rows and len(rows) == 3
    client.logout()
    assert client.get(ledger_url(tree.town_a)).status_code == 302


def test_period_filter(client, cases, staff_a, tree):
    client.force_login(staff_a[Role.SUPERVISOR])
    _title, _header, rows = csv_rows(client.get(ledger_url(tree.town_a, month="2026-12")))
    assert set(rows) == {cases["december"].tracking_number_display}
    _title, _header, rows = csv_rows(client.get(ledger_url(tree.town_a, month="2026-10")))
    assert rows == {}


def test_pages_keep_the_order_and_lose_no_row_and_cost_no_query_per_row(
    cases, staff_a, tree, category, departments, monkeypatch
):
    # Twenty cases registered at the same moment: the keyset breaks the tie by id.
    for _ in range(20):
        case = case_in(Status.SUBMITTED, grid=tree.grid_a, category=category, submitted_at=NOVEMBER)
        PartyFactory(dispute=case, name=NAME)
    period = month_period(NOVEMBER.date())
    whole = [r[0] for r in ledger.ledger_rows(staff_a[Role.MEDIATOR], tree.town_a, period)]
    monkeypatch.setattr(ledger, "CHUNK", 3)
    with CaptureQueriesContext(connection) as queries:
        paged = [r[0] for r in ledger.ledger_rows(staff_a[Role.MEDIATOR], tree.town_a, period)]
    assert paged == whole and len(paged) == 22 and len(set(paged)) == 22
    # Three queries a page of 3 (the cases, their parties, their deadlines), a few more to settle the
    # reader: not one a row.
    pages = -(-22 // 3)
    assert len(queries.captured_queries) <= 3 * pages + 3


def test_first_bytes_leave_before_the_rows_are_read(client, cases, staff_a, tree):
    client.force_login(staff_a[Role.SUPERVISOR])
    response = client.get(ledger_url(tree.town_a, "xlsx"))
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as before:
        first = next(chunks)
    assert first.startswith(b"PK")
    assert not any("disputes_dispute" in q["sql"] for q in before.captured_queries)
    assert load_workbook(io.BytesIO(first + b"".join(chunks))).active.max_row == 4

    response = client.get(ledger_url(tree.town_a, "csv"))
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as before:
        first = next(chunks)
    # The byte-order mark, the title and the header, before the cases are read.
    assert first.startswith("\ufeff".encode()) and first.decode("utf-8-sig").count("\n") == 2
    assert not any("disputes_dispute" in q["sql"] for q in before.captured_queries)
    with CaptureQueriesContext(connection) as rest:
        body = (first + b"".join(chunks)).decode("utf-8-sig")
    assert any("disputes_dispute" in q["sql"] for q in rest.captured_queries)
    assert cases["ours"].tracking_number_display in body


def test_the_dashboard_links_to_the_ledger_of_its_area_and_period(client, cases, staff_a, tree):
    client.force_login(staff_a[Role.SUPERVISOR])
    page = client.get(reverse("disputes:dashboard_area", args=[tree.village_a.code]) + "?kind=month&month=2026-11")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        reverse("disputes:dashboard_ledger", args=[tree.village_a.code, "xlsx"]) + "?kind=month&amp;month=2026-11"
        in html
    )


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.postgres
def test_a_later_page_starts_where_the_last_ended_in_the_index(cases, staff_a, tree, category, monkeypatch):
    """The keyset's lower bound is an index condition, not a filter: page n does not read pages 1…n-1 again."""
    for i in range(30):
        case_in(Status.SUBMITTED, grid=tree.grid_a, category=category, submitted_at=NOVEMBER + timedelta(minutes=i))
    monkeypatch.setattr(ledger, "CHUNK", 5)
    period = month_period(NOVEMBER.date())
    with CaptureQueriesContext(connection) as queries:
        rows = list(ledger.ledger_rows(staff_a[Role.SUPERVISOR], tree.town_a, period))
    assert len(rows) == 32
    pages = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "disputes_dispute"."id"')]
    assert len(pages) == 7
    with connection.cursor() as cursor:
        # A few dozen rows would be read sequentially; the plan for a large table walks the index.
        # Statistics of this test's rows, not of whatever an earlier test in this database left behind.
        cursor.execute("ANALYZE disputes_dispute")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + pages[5])
        plan = cursor.fetchone()[0][0]["Plan"]
    removed = sum(node.get("Rows Removed by Filter", 0) for node in _plan_nodes(plan))
    scans = [node for node in _plan_nodes(plan) if node.get("Relation Name") == "disputes_dispute"]
    assert scans and all("submitted_at" in node.get("Index Cond", "") for node in scans), [
        (node.get("Index Name"), node.get("Index Cond"), node.get("Filter")) for node in scans
    ]
    # The sixth page read its 5 rows (and one past), not the 25 before it.
    assert removed < 5, removed
