"""The streamed .xlsx writer: what it writes opens in openpyxl with the same values,
formula text is escaped, characters XML forbids are dropped, dates are YYYY-MM-DD."""

import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from xueji.common.xlsx_writer import MAX_CELL, XlsxStream


def _read(content: bytes):
    book = load_workbook(io.BytesIO(content))
    return book.sheetnames, [list(r) for r in book.active.iter_rows(values_only=True)]


def test_rows_round_trip():
    out = io.BytesIO()
    with XlsxStream(out, "在校生/查询") as book:
        book.append(["姓名", "出生日期", "距离", "人数", "是否", "空"])
        book.append(["张三", dt.date(2018, 1, 2), Decimal("1.5"), 3, True, None])
        book.append([" 前后空格 ", dt.datetime(2026, 1, 2, 3, 4), "", 0, False, "a<b&c>\"d\""])
    names, rows = _read(out.getvalue())
    assert names == ["在校生_查询"]
    assert rows[0] == ["姓名", "出生日期", "距离", "人数", "是否", "空"]
    assert rows[1] == ["张三", "2018-01-02", 1.5, 3, "是", None]
    assert rows[2] == [" 前后空格 ", "2026-01-02 03:04", None, 0, "否", "a<b&c>\"d\""]


def test_formula_cells_are_escaped():
    out = io.BytesIO()
    with XlsxStream(out) as book:
        book.append(['=HYPERLINK("http://x","点我")', "+1", "-1", "@A1", "\t=1", "a=b"])
    _names, rows = _read(out.getvalue())
    assert rows[0] == ['\'=HYPERLINK("http://x","点我")', "'+1", "'-1", "'@A1", "'\t=1", "a=b"]


def test_control_characters_and_long_text():
    out = io.BytesIO()
    with XlsxStream(out) as book:
        book.append(["a\x00b\x0bc", "x" * (MAX_CELL + 10)])
    _names, rows = _read(out.getvalue())
    assert rows[0][0] == "abc" and len(rows[0][1]) == MAX_CELL


def test_many_rows_stream_into_a_file(tmp_path):
    path = tmp_path / "big.xlsx"
    with XlsxStream(path) as book:
        for i in range(3000):
            book.append([i, f"学生{i}"])
    sheet = load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3000 and rows[-1] == (2999, "学生2999")
