"""A streamed .xlsx writer for large exports: rows go straight into the zip member of the
worksheet (deflated as they come), so memory stays constant however many rows are written,
and it is several times faster than openpyxl's write-only mode (no cell objects: each row
is one string of XML).

Every row passes through :func:`xueji.common.spreadsheets.safe_row` (formula escaping);
cells are written as inline strings (text) or numbers, so a spreadsheet program never
re-interprets what was exported. Used by the 综合查询 exports (``xueji.reports``).

    with XlsxStream(file_obj, "在校生") as book:
        book.append(["姓名", "学籍号"])
        for row in rows:
            book.append(row)
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape

from xueji.common.spreadsheets import safe_row

#: Characters XML 1.0 does not allow (control characters but tab, LF, CR).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Excel's limit of characters in a cell.
MAX_CELL = 32767
#: Excel's limit of rows in a worksheet.
MAX_ROWS = 1_048_576

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
    'state="frozen"/></sheetView></sheetViews><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"


def _sheet_title(name: str) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "_", name or "Sheet1")[:31]
    return escape(name, {'"': "&quot;"})


def _text(value: str) -> str:
    if len(value) > MAX_CELL:
        value = value[:MAX_CELL]
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _string(value: str) -> str:
    text = _text(value)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def _cell(value: object) -> str:
    if type(value) is str:
        return _string(value) if value else "<c/>"
    if value is None:
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="inlineStr"><is><t>{"是" if value else "否"}</t></is></c>'
    if isinstance(value, (int, float, Decimal)):
        return f"<c><v>{value}</v></c>"
    if isinstance(value, dt.datetime):
        return _string(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, dt.date):
        return _string(value.isoformat())
    return _string(str(value)) if str(value) else "<c/>"


class XlsxStream:
    """One worksheet written row by row into ``target`` (a path or a binary file object)."""

    def __init__(self, target, sheet_name: str = "Sheet1", *, compresslevel: int = 1) -> None:
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._zip.writestr("[Content_Types].xml", _CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", _ROOT_RELS)
        self._zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        self._zip.writestr("xl/styles.xml", _STYLES)
        self._zip.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{_sheet_title(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._buffer: list[str] = [_SHEET_START]
        self._buffered = 0
        self.rows = 0
        self._closed = False

    def append(self, values: Iterable[object]) -> None:
        """One row; every cell through ``safe_row``. Refused past Excel's row limit."""
        if self.rows >= MAX_ROWS:
            raise ValueError("超过Excel工作表的最大行数")
        self.rows += 1
        self._buffer.append("<row>" + "".join(_cell(v) for v in safe_row(values)) + "</row>")
        self._buffered += 1
        if self._buffered >= 500:
            self._flush()

    def _flush(self) -> None:
        self._sheet.write("".join(self._buffer).encode("utf-8"))
        self._buffer.clear()
        self._buffered = 0

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._buffer.append(_SHEET_END)
        self._flush()
        self._sheet.close()
        self._zip.close()

    def __enter__(self) -> XlsxStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
