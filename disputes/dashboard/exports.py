"""Every dashboard table to CSV (streamed row by row) and XLSX (openpyxl's write-only mode)."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.http import FileResponse, StreamingHttpResponse

from core.spreadsheets import safe_cell, safe_row
from disputes.dashboard.tables import Table, cell_text
from disputes.statistics import Rate

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(table: Table) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark, so Excel opens the Chinese text as UTF-8.
    yield "\ufeff"
    # Names typed by staff (areas, categories, mediators) reach these cells: none may run as a formula.
    yield writer.writerow(safe_row(str(c) for c in table.columns))
    for row in table.rows:
        yield writer.writerow(safe_row(cell_text(value) for value in row))


def csv_response(table: Table, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(table), content_type=CSV_TYPE)
    response["Content-Disposition"] = _disposition(f"{filename}.csv")
    return response


def _xlsx_value(value: Any) -> tuple[Any, str | None]:
    """A cell's value and number format: rates as numbers shown with a percent sign, "—" when empty."""
    if isinstance(value, Rate):
        percent = value.percent
        return (float(percent), '0.0"%"') if percent is not None else ("—", None)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value, None
    return safe_cell(cell_text(value)), None


def xlsx_file(table: Table, *, title: str) -> tempfile.SpooledTemporaryFile:
    """The workbook in a spooled temporary file (memory first, disk when large), rewound."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    sheet.append(safe_row(str(c) for c in table.columns))
    for row in table.rows:
        cells = []
        for value in row:
            data, number_format = _xlsx_value(value)
            cell = WriteOnlyCell(sheet, value=data)
            if number_format:
                cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(out)
    out.seek(0)
    return out


def xlsx_response(table: Table, filename: str) -> FileResponse:
    response = FileResponse(xlsx_file(table, title=table.key), content_type=XLSX_TYPE)
    response["Content-Disposition"] = _disposition(f"{filename}.xlsx")
    return response


def _disposition(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
