"""Cells of every export (CSV and Excel), made safe from formula injection.

A spreadsheet reads a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (``=HYPERLINK(...)``, ``=cmd|...``, DDE). Text a user
typed (a name, a username, an address) must never run as one in the recipient's Excel,
so every exported text cell that begins so gets a leading apostrophe, which spreadsheets
take as "this is text". Numbers, dates and booleans are left as they are.

Every writer of an export (``csv.writer``, openpyxl) passes its rows through
:func:`safe_row` or its cells through :func:`safe_cell`; a test walks the code for
writers that do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: What a spreadsheet may take as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text that begins like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
