"""The dashboard's tables and the case ledger (台账) as files a centre files: CSV and XLSX, both streamed.

Every export is a `Sheet`: a title line (the table's title, the area, the period and
数据截至), a header row, then the rows from an iterator. Nothing caps the rows and
nothing holds them all: the CSV is written line by line; the XLSX is written by
`xlsx_stream`, a workbook of one sheet in a ZIP built as it goes (the standard
library's zipfile writes to an unseekable stream with data descriptors), so its
first bytes leave before the last row is read and memory stays flat whatever the
row count.

Cells keep their type: a `Rate` is a fraction with Excel's "0.0%" format (and
"95.6%" in the CSV), counts are integers, a `tables.Number` keeps its decimals,
dates and times are Excel dates with a Chinese date format. Text typed by staff
or residents is made inert (`core.spreadsheets.safe_cell`) so it cannot run as a
formula, and characters XML cannot carry are dropped.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, cast
from urllib.parse import quote
from xml.sax.saxutils import escape  # nosec B406 - escapes text we write; nothing is parsed

from django.http import StreamingHttpResponse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from core.spreadsheets import FORMULA_STARTS, safe_cell, safe_row
from disputes.dashboard import rollups
from disputes.dashboard.periods import Period
from disputes.dashboard.tables import Number, Table, cell_text
from disputes.statistics import EMPTY, Rate

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows written between two hand-overs of the compressed bytes to the response.
ROWS_PER_FLUSH = 500

# The sheet (and file) name of each dashboard table: short, in the reader's language, as a centre names them.
SHEET_NAMES = {
    "figures": pgettext_lazy("sheet name", "Headline figures"),
    "areas": pgettext_lazy("sheet name", "By area"),
    "department": pgettext_lazy("sheet name", "By department"),
    "category": pgettext_lazy("sheet name", "By category"),
    "colour": pgettext_lazy("sheet name", "By colour"),
    "channel": pgettext_lazy("sheet name", "By channel"),
    "trend": pgettext_lazy("sheet name", "Monthly trend"),
    "overdue": pgettext_lazy("sheet name", "Overdue cases"),
    "ranking_townships": pgettext_lazy("sheet name", "Township ranking"),
    "ranking_villages": pgettext_lazy("sheet name", "Village ranking"),
    "ledger": pgettext_lazy("sheet name", "Case ledger"),
}
TITLE = gettext_lazy("%(area)s %(title)s (%(period)s; data as of %(as_of)s)")


@dataclass
class Sheet:
    """One exported table: what the title line says, the header, and the rows (any iterable)."""

    key: str
    title: str
    area: str
    period: str
    as_of: datetime
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]
    # Column widths in characters (None: from the header).
    widths: Sequence[float] | None = None
    name: str = field(default="")

    def __post_init__(self) -> None:
        if not self.name:
            self.name = sheet_name(str(SHEET_NAMES.get(self.key, self.title)))

    @property
    def heading(self) -> str:
        return str(TITLE) % {
            "area": self.area,
            "title": self.title,
            "period": self.period,
            "as_of": formats.date_format(timezone.localtime(self.as_of), "DATETIME_FORMAT"),
        }


# --- Names ------------------------------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\, not empty, no edge quote."""
    cleaned = _SHEET_FORBIDDEN.sub("", name).strip().strip("'")[:31]
    return cleaned or "Sheet1"


def period_label(period: Period) -> str:
    """The period as a centre writes it: 2026年11月, 2026年第4季度, 2026年, 2026年11月3日至2026年11月20日."""
    if period.kind == "month":
        return formats.date_format(period.start, "YEAR_MONTH_FORMAT")
    if period.kind == "quarter":
        return _("%(year)s Q%(quarter)s") % {"year": period.start.year, "quarter": (period.start.month - 1) // 3 + 1}
    if period.kind == "year":
        return pgettext("period", "%(year)s") % {"year": period.start.year}
    return _("%(start)s to %(end)s") % {
        "start": formats.date_format(period.start, "DATE_FORMAT"),
        "end": formats.date_format(period.last_day, "DATE_FORMAT"),
    }


def as_of() -> datetime:
    """数据截至 of a table read from the rollups: when they were last refreshed, or now when not recorded."""
    return rollups.refreshed_at() or timezone.now()


def file_name(area_name: str, period: Period, sheet: str) -> str:
    """西湖区_2026年11月_乡镇排名: the parts a clerk files it under, without characters file systems refuse."""
    raw = "_".join((area_name, period_label(period), sheet))
    return re.sub(r'[\\/:*?"<>|\s]+', "_", raw)


def disposition(filename: str, fallback: str) -> str:
    """attachment with the Chinese name (RFC 6266 / 5987 filename*) and an ASCII one for old clients."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def table_sheet(table: Table, *, key: str, area_name: str, period: Period, rows: Iterable[Sequence[Any]] | None = None):
    """A dashboard table as a sheet; `rows` replaces the table's own (the overdue export streams every case,
    read from the cases now: its 数据截至 is now, not the rollups' refresh)."""
    return Sheet(
        key=key,
        title=table.title,
        area=area_name,
        period=period_label(period),
        as_of=as_of() if rows is None else timezone.now(),
        columns=list(table.columns),
        rows=table.rows if rows is None else rows,
        widths=_widths(table.columns, table.rows if rows is None else ()),
    )


def _text_width(text: str) -> float:
    return sum(2 if ord(ch) > 0x2E7F else 1.1 for ch in text)


def _widths(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[float]:
    widths = [_text_width(str(c)) for c in columns]
    for row in list(rows)[:200]:
        for i, value in enumerate(list(row)[: len(widths)]):
            widths[i] = max(widths[i], _text_width(cell_text(value)))
    return [min(max(w + 2, 8), 60) for w in widths]


# --- CSV --------------------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds a generator."""

    def write(self, value: str) -> str:
        return value


def csv_text(value: Any) -> str:
    """A cell in the CSV: rates as "95.6%", dates as 2026-11-03 (Excel reads both), empty as "—"."""
    if type(value) is str:
        return value
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else f"{value:%Y-%m-%d %H:%M}"
        )
    if isinstance(value, date):
        return value.isoformat()
    return cell_text(value)


def csv_lines(source: Table | Sheet) -> Iterator[str]:
    sheet = source if isinstance(source, Sheet) else _bare_sheet(source)
    writer = csv.writer(_Echo())
    # A byte-order mark, so Excel opens the Chinese text as UTF-8.
    yield "\ufeff"
    yield writer.writerow([safe_cell(sheet.heading)])
    # Names typed by staff (areas, categories, mediators) reach these cells: none may run as a formula.
    yield writer.writerow(safe_row(str(c) for c in sheet.columns))
    for row in sheet.rows:
        yield writer.writerow(safe_row(csv_text(value) for value in row))


def _bare_sheet(table: Table) -> Sheet:
    """A table without title line (area unknown): the header and the rows."""
    return Sheet(
        key=table.key,
        title=table.title,
        area="",
        period="",
        as_of=timezone.now(),
        columns=table.columns,
        rows=table.rows,
    )


def _encoded(lines: Iterable[str], batch: int = 64, head: int = 3) -> Iterator[bytes]:
    """The lines as UTF-8, a few dozen to a chunk (one chunk per line would be a write per row); the first
    `head` lines (the byte-order mark, the title, the header) leave at once, before any row is read."""
    buffer: list[str] = []
    for count, line in enumerate(lines, start=1):
        buffer.append(line)
        if len(buffer) >= batch or count == head:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
    if buffer:
        yield "".join(buffer).encode("utf-8")


def csv_response(sheet: Sheet | Table, filename: str, fallback: str | None = None) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_encoded(csv_lines(sheet)), content_type=CSV_TYPE)
    response["Content-Disposition"] = disposition(f"{filename}.csv", f"{fallback or filename}.csv")
    return response


# --- XLSX, streamed ---------------------------------------------------------------------------------------

# Cell styles (indexes into cellXfs in STYLES below).
S_TEXT, S_INT, S_PERCENT, S_DEC2, S_DATE, S_DATETIME, S_HEADER, S_TITLE, S_DEC1 = range(9)
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="4"><numFmt numFmtId="164" formatCode="0.0%"/>\
<numFmt numFmtId="165" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>\
<numFmt numFmtId="166" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot; hh:mm"/>\
<numFmt numFmtId="167" formatCode="0.0"/></numFmts>
<fonts count="3"><font><sz val="11"/><name val="宋体"/><charset val="134"/></font>\
<font><b/><sz val="11"/><name val="宋体"/><charset val="134"/></font>\
<font><b/><sz val="14"/><name val="宋体"/><charset val="134"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="9">\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">\
<alignment horizontal="center" vertical="center" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""

ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
</Relationships>"""

WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
</Relationships>"""

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Characters XML 1.0 cannot carry (control characters other than tab and newlines).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = date(1899, 12, 30)


def _workbook_xml(name: str, last_column: str) -> str:
    quoted = "'" + name.replace("'", "''") + "'"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><bookViews><workbookView/></bookViews>'
        f'<sheets><sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets>'
        # The title and the header repeat on every printed page.
        f'<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">{escape(quoted)}!$1:$2'
        "</definedName></definedNames></workbook>"
    )


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _serial(value: datetime | date) -> float:
    """Excel's serial day number (1900 date system) of a local date or time."""
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        days = (local.date() - _EXCEL_EPOCH).days
        return days + (local.hour * 3600 + local.minute * 60 + local.second) / 86_400
    return float((value - _EXCEL_EPOCH).days)


def _text_cell(text: str, style: int = S_TEXT) -> str:
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub("", text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    if style:
        return f'<c s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
    return f'<c t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _number_cell(number: float | int, style: int) -> str:
    return f'<c s="{style}"><v>{number!r}</v></c>'


EMPTY_CELL = _text_cell(EMPTY)


def xlsx_cell(value: Any) -> str:
    """One <c> element: numbers as numbers with their format, text inline (and inert).

    Cells carry no reference (r="B3"): the schema makes it optional and a row's cells follow in order.
    The common types are tested first: this runs once per cell of a 100,000-row ledger.
    """
    kind = type(value)
    if kind is str:
        return _text_cell(safe_cell(value) if value.startswith(FORMULA_STARTS) else value)
    if value is None:
        return EMPTY_CELL
    if kind is date:
        return _number_cell(float((value - _EXCEL_EPOCH).days), S_DATE)
    if kind is int:
        return _number_cell(value, S_INT)
    if isinstance(value, Rate):
        fraction = value.value
        return EMPTY_CELL if fraction is None else _number_cell(round(fraction, 6), S_PERCENT)
    if isinstance(value, Number):
        rounded = value.rounded()
        return EMPTY_CELL if rounded is None else _number_cell(rounded, S_DEC1 if value.places == 1 else S_DEC2)
    if isinstance(value, bool):
        return _text_cell(str(value))
    if isinstance(value, int):
        return _number_cell(value, S_INT)
    if isinstance(value, float | Decimal):
        number = float(value)
        return _number_cell(number, S_INT if number.is_integer() else S_DEC2)
    if isinstance(value, datetime):
        return _number_cell(_serial(value), S_DATETIME)
    if isinstance(value, date):
        return _number_cell(_serial(value), S_DATE)
    return _text_cell(str(safe_cell(cell_text(value))))


class _Sink:
    """An unseekable file the ZIP writes into; the generator hands on what gathered since the last flush."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def xlsx_stream(sheet: Sheet) -> Iterator[bytes]:
    """The workbook's bytes as they are made: constant memory, the first bytes before the rows are read."""
    sink = _Sink()
    columns = list(sheet.columns)
    last = column_letter(max(len(columns) - 1, 0))
    with zipfile.ZipFile(cast(IO[bytes], sink), "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook_xml(sheet.name, last))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", STYLES)
        yield sink.take()
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            widths = sheet.widths or [min(max(_text_width(str(c)) + 2, 8), 60) for c in columns]
            cols = "".join(
                f'<col min="{i}" max="{i}" width="{w:.1f}" customWidth="1"/>' for i, w in enumerate(widths, start=1)
            )
            part.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
                    '<sheetViews><sheetView workbookViewId="0">'
                    '<pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" state="frozen"/>'
                    '<selection pane="bottomLeft" activeCell="A3" sqref="A3"/></sheetView></sheetViews>'
                    '<sheetFormatPr defaultRowHeight="15"/>'
                    f"<cols>{cols}</cols><sheetData>"
                    f'<row r="1" ht="24" customHeight="1">{_text_cell(sheet.heading, S_TITLE)}</row>'
                    '<row r="2">' + "".join(_text_cell(str(safe_cell(str(c))), S_HEADER) for c in columns) + "</row>"
                ).encode("utf-8")
            )
            buffer: list[str] = []
            number = 2
            for row in sheet.rows:
                number += 1
                buffer.append(f'<row r="{number}">{"".join(map(xlsx_cell, row))}</row>')
                if len(buffer) >= ROWS_PER_FLUSH:
                    part.write("".join(buffer).encode("utf-8"))
                    buffer.clear()
                    data = sink.take()
                    if data:
                        yield data
            part.write(
                (
                    "".join(buffer)
                    + "</sheetData>"
                    + (f'<mergeCells count="1"><mergeCell ref="A1:{last}1"/></mergeCells>' if last != "A" else "")
                    + '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                    '<pageSetup paperSize="9" orientation="landscape" fitToHeight="0"/>'
                    "</worksheet>"
                ).encode("utf-8")
            )
    yield sink.take()


def xlsx_bytes(sheet: Sheet) -> bytes:
    """The whole workbook at once (tests, small tables)."""
    return b"".join(xlsx_stream(sheet))


def xlsx_file(table: Table, *, title: str):
    """A table's workbook as a file object (without title line: area and period unknown here)."""
    import io

    sheet = Sheet(
        key=table.key,
        title=table.title,
        area="",
        period="",
        as_of=timezone.now(),
        columns=table.columns,
        rows=table.rows,
        name=sheet_name(title),
    )
    return io.BytesIO(xlsx_bytes(sheet))


def xlsx_response(sheet: Sheet, filename: str, fallback: str | None = None) -> StreamingHttpResponse:
    response = StreamingHttpResponse(xlsx_stream(sheet), content_type=XLSX_TYPE)
    response["Content-Disposition"] = disposition(f"{filename}.xlsx", f"{fallback or filename}.xlsx")
    return response


def in_language(chunks: Iterable[bytes], language: str | None) -> Iterator[bytes]:
    """Each chunk made in the request's language: a streamed body is produced after the view has returned,
    when the middleware's language may no longer be the active one."""
    iterator = iter(chunks)
    while True:
        with translation.override(language):
            chunk = next(iterator, None)
        if chunk is None:
            return
        yield chunk


def response(sheet: Sheet, fmt: str, filename: str, fallback: str) -> StreamingHttpResponse:
    """The sheet as a streamed CSV or XLSX download, named `filename` (Chinese) with an ASCII `fallback`."""
    language = translation.get_language()
    if fmt == "csv":
        body: Iterable[bytes] = _encoded(csv_lines(sheet))
        content_type, extension = CSV_TYPE, "csv"
    else:
        body, content_type, extension = xlsx_stream(sheet), XLSX_TYPE, "xlsx"
    streamed = StreamingHttpResponse(in_language(body, language), content_type=content_type)
    streamed["Content-Disposition"] = disposition(f"{filename}.{extension}", f"{fallback}.{extension}")
    return streamed
