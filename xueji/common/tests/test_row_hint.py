"""last_row_hint: the row count a sheet declares, for a progress bar only."""

import io

from openpyxl import Workbook

from xueji.common.xlsx_reader import last_row_hint


def _book(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    for i in range(rows):
        sheet.append([f"r{i}", i])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_declared_last_row():
    assert last_row_hint(_book(1234)) == 1234
    assert last_row_hint(io.BytesIO(_book(3))) == 3  # a file object, as an upload


def test_no_hint_for_what_is_not_a_workbook():
    assert last_row_hint(b"not a workbook") is None
    assert last_row_hint(b"PK\x03\x04 truncated zip") is None
    assert last_row_hint(b"") is None
