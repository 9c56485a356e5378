"""Formula cells in exports (issue 7 §6): every exported text cell that begins with
= + - @ tab or CR is escaped, and every export writer in the code uses the helper."""

import re
from pathlib import Path

import pytest

from xueji.common.spreadsheets import safe_cell, safe_row

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value,expected", [
    ('=HYPERLINK("http://x","点我")', '\'=HYPERLINK("http://x","点我")'),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"), ("\r=1", "'\r=1"),
    ("张三", "张三"), ("a=b", "a=b"), ("", ""), (None, None), (-5, -5), (1.5, 1.5), (True, True),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_safe_row():
    assert safe_row(["=1", 2, "x"]) == ["'=1", 2, "x"]


#: What writes an export: a CSV writer, or openpyxl cells and rows.
_WRITERS = re.compile(r"csv\.writer\(|\.append\(\[|\.append\(safe_row|\.cell\([^)]*value=")


def test_every_export_writer_uses_the_helper():
    """A module that writes CSV or Excel cells (outside tests) imports the helper: later
    exports are held to the rule without anyone remembering it."""
    offenders = []
    for path in (ROOT / "xueji").rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path.name == "testing.py":
            continue
        text = path.read_text(encoding="utf-8")
        uses_sheet = "csv.writer(" in text or "openpyxl" in text
        if uses_sheet and _WRITERS.search(text) and "safe_row" not in text and "safe_cell" not in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
