"""Cells of exported spreadsheets.

Text that a spreadsheet program would run as a formula (``=``, ``+``, ``-``, ``@``, or a
tab or carriage return before one) is prefixed with an apostrophe, so an exported cell
shows what was typed and never computes (CSV/formula injection, OWASP). Every export
(CSV or Excel) writes its cells through :func:`safe_cell` or its rows through
:func:`safe_row`; ``common/tests/test_exports.py`` walks the code for writers that do not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

#: What a spreadsheet may take as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` for a spreadsheet cell: text that would start a formula is prefixed with
    ``'``; numbers, dates, booleans and None pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    """A row of cells through :func:`safe_cell`."""
    return [safe_cell(v) for v in values]


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment_header(filename: str, fallback: str) -> str:
    """Content-Disposition of a download with a Chinese name (RFC 6266/5987):
    ``filename*=UTF-8''…`` for browsers, the ASCII ``fallback`` for older clients."""
    from xueji.common.params import content_disposition

    return content_disposition(filename, fallback=fallback)


def xlsx_response(content: bytes, filename: str, fallback: str):
    """An .xlsx download named ``filename`` (ASCII ``fallback`` for older clients)."""
    from django.http import HttpResponse

    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = attachment_header(filename, fallback)
    return response


def cell_text(value: object) -> str:
    """An imported cell as text: empty for None/blank, whole numbers without ".0" (a
    number typed into a text column), 是/否 for booleans, dates YYYYMMDD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    return str(value).strip()
