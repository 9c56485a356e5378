"""The 72-item Excel template (学籍导入模板) and the reader for filled-in sheets.

- :func:`build_template` writes the template of a registration entry as .xlsx bytes
  (openpyxl, no macros): the header row of :func:`xueji.students.fields.headers`, the
  help text as a comment on each header cell, drop-down lists for the code columns fed
  from a hidden sheet "代码表", every column but 上下学距离 formatted as text (so Excel
  keeps 18-digit ID numbers, 12-digit division codes and leading zeros), the header row
  frozen, and a visible sheet "填报说明" listing each column.
- :func:`read_rows` reads the first visible sheet of an uploaded workbook and yields
  ``(sheet row number, {header: cell value})`` for every non-empty row under the header
  row. An .xlsx is streamed by :mod:`xueji.common.xlsx_reader` (standard library, memory
  bounded: a 100,000-row sheet never sits in memory whole); other formats (.xls, .ods,
  .xlsb) and encrypted workbooks go to python-calamine, which reads them whole. Both
  give the values as python-calamine does (str, float for every number, bool, date,
  datetime, time, timedelta, "" for an empty cell); :func:`xueji.students.rules.clean_row`
  does the rest.

Both sides take the columns from :mod:`xueji.students.fields`; nothing is listed here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import operator
import os
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from xueji.codes import tables as codes
from xueji.common import xlsx_reader
from xueji.common.spreadsheets import safe_cell, safe_row
from xueji.students import fields as F

__all__ = [
    "DATA_SHEET",
    "CODE_SHEET",
    "HELP_SHEET",
    "TEMPLATE_ENTRIES",
    "TEMPLATE_ROWS",
    "ExcelFormatError",
    "build_template",
    "check_bounds",
    "cells_from_values",
    "failed_rows_filename",
    "read_rows",
    "template_filename",
]

DATA_SHEET = "学生信息"
CODE_SHEET = "代码表"
HELP_SHEET = "填报说明"
#: Rows (below the header) that get the drop-down lists.
TEMPLATE_ROWS = 10000
#: How far down :func:`read_rows` looks for the header row (title rows above it are
#: tolerated).
HEADER_SEARCH_ROWS = 10

#: The entries that have an Excel import (SPEC F-40: 无身份证件 is single entry only).
TEMPLATE_ENTRIES = tuple(key for key, e in F.ENTRIES.items() if e.excel)


class ExcelFormatError(ValueError):
    """The upload is not a workbook this importer can read; the message is for the user."""


# --------------------------------------------------------------------------------------
# Template.
# --------------------------------------------------------------------------------------
def template_filename(entry: str) -> str:
    """``居民身份证小学新生注册导入模板.xlsx`` …"""
    return f"{F.entry(entry).label}导入模板.xlsx"


def _list_values(f: F.Field, entry: F.Entry) -> tuple[str, ...] | None:
    """The drop-down values of a column, or None for a column without a list."""
    if f.kind == "bool":
        return ("是", "否")
    if f.kind == "choice":
        return tuple(f"{code}-{name}" for code, name in f.options or ())
    if f.kind != "code" or f.code_table is None:
        return None
    only: Iterable[str] | None = f.only
    if f.attr == "id_type" and f.member is None:
        only = sorted(entry.id_types)
    items = codes.choices(f.code_table, only=only)
    return tuple(f"{code}-{codes.name_of(f.code_table, code)}" for code, _ in items)


def _column_width(f: F.Field) -> float:
    by_kind = {
        "id_number": 22, "division": 16, "date": 12, "yearmonth": 10, "phone": 16,
        "text": 24 if (f.max_length or 0) >= 100 else 14, "code": 16, "choice": 18,
        "id_valid_until": 22, "email": 20, "url": 20, "name": 12, "pinyin": 18,
    }
    header = sum(2 if ord(c) > 0x2E7F else 1 for c in f.header) + 2
    return float(max(header, by_kind.get(f.kind, 10)))


def _requirement(f: F.Field) -> str:
    if f.required == "always":
        return "必填"
    if f.required == "by_id_type":
        if f.required_id_types == frozenset("16789A"):
            return "身份证件类型不是Z-其他时必填"
        return "居民身份证和无身份证件(Z)学生必填"
    if f.required == "member":
        return "填写该成员时必填" + (";至少填写成员1" if f.member == 1 else "")
    return "选填"


def failed_rows_filename(entry: str) -> str:
    """``居民身份证小学新生注册未通过行.xlsx`` …"""
    return f"{F.entry(entry).label}未通过行.xlsx"


REASON_HEADER = "错误原因"


def _cell_of(f: F.Field, value: Any) -> str:
    """A cleaned value (as the business payload keeps it: codes, ISO dates, booleans) as
    the template's cell text: codes as the drop-down's "代码-名称", dates YYYYMMDD."""
    if value is None or value == "":
        return ""
    if f.kind == "bool":
        return "是" if value else "否"
    if f.kind == "date":
        return str(value).replace("-", "")[:8]
    if f.kind == "code" and f.code_table:
        name = codes.name_of(f.code_table, str(value))
        return f"{value}-{name}" if name else str(value)
    if f.kind == "choice":
        name = dict(f.options or ()).get(str(value))
        return f"{value}-{name}" if name else str(value)
    return str(value)


_MEMO_CLASSES = {"bool": bool, "code": str, "choice": str}  # kinds whose few values are memoised


def _cell_plan(fields: Iterable[F.Field]) -> tuple:
    """(header, attr, field, memo class or None, memo, plain) per column: how
    :func:`cells_from_values` writes each — memoised :func:`_cell_of` for codes, choices
    and booleans (a few values each), ``str`` for the plain kinds, :func:`_cell_of` else."""
    plan = []
    for f in fields:
        memo_class = _MEMO_CLASSES.get(f.kind) if (f.kind != "code" or f.code_table) else None
        plain = f.kind not in {"bool", "date", "code", "choice"}
        plan.append((f.header, f.attr, f, memo_class, {}, plain))
    return tuple(plan)


_STUDENT_CELLS = _cell_plan(F.STUDENT_FIELDS)
_MEMBER_CELLS = {seq: _cell_plan(fields) for seq, fields in F.MEMBER_FIELDS.items()}


def _cells_into(cells: dict[str, str], plan: tuple, values: dict[str, Any]) -> None:
    for header, attr, f, memo_class, memo, plain in plan:
        value = values.get(attr)
        if value is None or value == "":
            continue
        if plain:
            text = value if value.__class__ is str else str(value)
        elif value.__class__ is memo_class:
            text = memo.get(value)
            if text is None:
                if len(memo) > 2000:
                    memo.clear()
                text = memo[value] = _cell_of(f, value)
        else:
            text = _cell_of(f, value)
        if text:
            cells[header] = text


def cells_from_values(values: dict[str, Any], family: list[dict[str, Any]]) -> dict[str, str]:
    """A row of the template ({header: text}, empty cells left out) from cleaned student
    values and family members (the business payload): what 导出未通过行 writes for a row
    that passed the field rules and was turned away afterwards (查重), and what the
    非关键信息批量修改 sheet holds. Each cell as :func:`_cell_of` writes it (the code
    names memoised: 10,000 rows × 72 columns)."""
    cells: dict[str, str] = {}
    _cells_into(cells, _STUDENT_CELLS, values)
    for member in family:
        plan = _MEMBER_CELLS.get(member.get("seq"))
        if plan is not None:
            _cells_into(cells, plan, member)
    return cells


def build_template(entry: str, rows: Iterable[tuple[dict[str, str], str]] | None = None) -> bytes:
    """The .xlsx template of a registration entry (``primary-resident``,
    ``primary-foreign``, ``other-resident``, ``other-foreign``). The columns are the same
    for every entry; the 身份证件类型 list offers only the types the entry accepts.

    With ``rows`` (``({header: text}, reasons)`` pairs) it is 导出未通过行: the rows are
    filled in under the header, with a last column 错误原因, ready to be corrected and
    imported again (the importer ignores the extra column). Every cell goes through
    :func:`xueji.common.spreadsheets.safe_cell`."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = F.entry(entry)
    if not spec.excel:
        raise ValueError(f"{spec.label}没有Excel导入模板")

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    code_ws = wb.create_sheet(CODE_SHEET)
    help_ws = wb.create_sheet(HELP_SHEET)
    wb.properties.title = template_filename(entry)[:-5]
    wb.properties.creator = "学籍系统"

    key_fill = PatternFill("solid", fgColor="FFF2CC")
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    bold = Font(bold=True)
    required_font = Font(bold=True, color="C00000")
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    lists: dict[tuple[str, ...], str] = {}  # values → range on the code sheet
    code_col = 0
    for index, f in enumerate(F.FIELDS, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=f.header)
        cell.font = bold if f.required == "optional" else required_font
        cell.fill = key_fill if f.key else header_fill
        cell.alignment = center
        note = [f.help, f"【{_requirement(f)}】"]
        if f.key:
            note.append("【关键数据:注册后只能通过关键数据变更修改】")
        comment = Comment("\n".join(note), "学籍系统")
        comment.width, comment.height = 260, 110
        cell.comment = comment
        dimension = ws.column_dimensions[letter]
        dimension.width = _column_width(f)
        if f.text_format:
            dimension.number_format = "@"

        values = _list_values(f, spec)
        if values:
            ref = lists.get(values)
            if ref is None:
                code_col += 1
                code_letter = get_column_letter(code_col)
                title = (codes.get(f.code_table).name if f.code_table and f.kind == "code" else f.header)
                code_ws.cell(row=1, column=code_col, value=title).font = bold
                for row, value in enumerate(values, start=2):
                    code_ws.cell(row=row, column=code_col, value=safe_cell(value))
                code_ws.column_dimensions[code_letter].width = 24
                ref = f"{quote_sheetname(CODE_SHEET)}!${code_letter}$2:${code_letter}${len(values) + 1}"
                lists[values] = ref
            validation = DataValidation(
                type="list", formula1=ref, allow_blank=True, showDropDown=False,
                showErrorMessage=True, errorStyle="warning",
                errorTitle=f.header, error="请从下拉列表中选择;也可直接填写代码或名称。",
                showInputMessage=False,
            )
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            ws.add_data_validation(validation)

    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32
    code_ws.sheet_state = "hidden"
    if rows is not None:
        _write_failed_rows(ws, rows, required_font, center)

    help_ws.append(["序号", "列名", "必填", "关键数据", "代码表", "说明", "示例"])
    for c in help_ws[1]:
        c.font = bold
        c.fill = header_fill
    for index, f in enumerate(F.FIELDS, start=1):
        table = codes.get(f.code_table).name if f.code_table and f.kind == "code" else ""
        help_ws.append(safe_row([
            index, f.header, _requirement(f), "是" if f.key else "", table, f.help, f.example,
        ]))
    for letter, width in zip("ABCDEFG", (6, 24, 30, 10, 14, 70, 24), strict=True):
        help_ws.column_dimensions[letter].width = width
    help_ws.column_dimensions["G"].number_format = "@"
    help_ws.freeze_panes = "A2"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_failed_rows(ws, rows: Iterable[tuple[dict[str, str], str]], font, alignment) -> None:
    from openpyxl.utils import get_column_letter

    from xueji.common.spreadsheets import safe_cell

    reason_column = len(F.FIELDS) + 1
    cell = ws.cell(row=1, column=reason_column, value=REASON_HEADER)
    cell.font, cell.alignment = font, alignment
    ws.column_dimensions[get_column_letter(reason_column)].width = 60
    for number, (cells, reasons) in enumerate(rows, start=2):
        for index, f in enumerate(F.FIELDS, start=1):
            text = cells.get(f.header)
            if text:
                ws.cell(row=number, column=index, value=safe_cell(str(text)))
        ws.cell(row=number, column=reason_column, value=safe_cell(reasons))


# --------------------------------------------------------------------------------------
# Reading.
# --------------------------------------------------------------------------------------
Source = str | os.PathLike | bytes | IO[bytes]

_NOT_EXCEL = "文件不是有效的Excel文件"
_NO_DATA = "Excel文件中没有数据"


def _open_workbook(source: Source) -> Any:
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            return CalamineWorkbook.from_filelike(io.BytesIO(bytes(source)))
        if isinstance(source, (str, os.PathLike)):
            return CalamineWorkbook.from_path(os.fspath(source))
        if hasattr(source, "seek"):
            source.seek(0)
        return CalamineWorkbook.from_filelike(source)
    except PasswordError:
        raise ExcelFormatError("Excel文件设置了密码,请取消密码后重新上传") from None
    except FileNotFoundError:
        raise
    except Exception:  # calamine raises several error types (zip, xml, format …)
        raise ExcelFormatError(_NOT_EXCEL) from None


def _first_sheet(workbook: Any) -> Any:
    """The first visible worksheet (the template's hidden 代码表 is never read)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    try:
        for index, meta in enumerate(workbook.sheets_metadata):
            if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
                return workbook.get_sheet_by_index(index)
        return workbook.get_sheet_by_index(0)
    except Exception:
        raise ExcelFormatError(_NOT_EXCEL) from None


def import_limits(max_rows: int | None = None) -> xlsx_reader.Limits:
    """The bounds of an uploaded workbook (settings ``XUEJI_IMPORT_*``)."""
    from django.conf import settings

    return xlsx_reader.Limits(
        max_expanded_bytes=settings.XUEJI_IMPORT_MAX_EXPANDED_MB << 20,
        max_strings_bytes=settings.XUEJI_IMPORT_MAX_STRINGS_MB << 20,
        max_strings=settings.XUEJI_IMPORT_MAX_STRINGS,
        max_rows=settings.XUEJI_IMPORT_MAX_ROWS if max_rows is None else max_rows,
    )


def check_bounds(source: Source, max_rows: int | None = None) -> None:
    """The quick bounds check of a workbook (:func:`import_limits`: expanded size,
    shared-string part, rows), raising :class:`ExcelFormatError` with the reason; nothing
    is read beyond the zip's directory and a count of the sheet's rows. A file that is not
    a workbook passes here and is reported by the reading itself."""
    try:
        xlsx_reader.check_workbook(source, import_limits(max_rows))
    except xlsx_reader.LimitError as error:
        raise ExcelFormatError(error.message) from None
    except (xlsx_reader.XlsxError, OSError):
        return
    finally:
        if hasattr(source, "seek"):
            source.seek(0)


@contextlib.contextmanager
def job_sheet(job) -> Iterator[IO[bytes]]:
    """The uploaded workbook of a sheet-import job, opened; a workbook that cannot be read
    (``ExcelFormatError``) fails the job with its reason (a ``ValidationError``)."""
    from django.core.exceptions import ValidationError

    with job.input_file.open("rb") as handle:
        try:
            yield handle
        except ExcelFormatError as error:
            raise ValidationError(str(error)) from None


def check_upload(source: Source, max_rows: int | None = None) -> None:
    """:func:`check_bounds` for an upload form: the reason as a form ``ValidationError``."""
    from django.core.exceptions import ValidationError

    try:
        check_bounds(source, max_rows)
    except ExcelFormatError as error:
        raise ValidationError(str(error)) from None


def _calamine_rows(source: Source, limits: xlsx_reader.Limits) -> Iterator[tuple[int, list[Any]]]:
    """``(sheet row number, cells by column)`` of the first visible sheet, read whole by
    python-calamine: the formats other than .xlsx (.xls, .ods, .xlsb). A zip-based one
    is checked against ``limits`` before calamine expands it."""
    try:
        xlsx_reader.check_zip(source, limits)
    except xlsx_reader.LimitError as error:
        raise ExcelFormatError(error.message) from None
    workbook = _open_workbook(source)
    try:
        sheet = _first_sheet(workbook)
        start = sheet.start
        if start is None or sheet.height == 0:
            return
        if limits.max_rows is not None and sheet.height > limits.max_rows:
            raise ExcelFormatError(f"Excel文件的行数超过{limits.max_rows:,}行,请分批导入")
        rows = sheet.iter_rows()
        first = next(rows, None)
        if first is None:
            return
        # python-calamine 0.9 yields the empty rows above the data too (but not the empty
        # columns left of it); other versions start at the data. The first row of the
        # data is never blank, so a blank first row means the rows start at the top.
        number = 1 if start[0] > 0 and all(_is_blank(v) for v in first) else start[0] + 1
        left = [""] * start[1]  # so that column indexes are the sheet's, as for .xlsx
        yield number, left + first if left else first
        for row in rows:
            number += 1
            yield number, left + row if left else row
    finally:
        workbook.close()


def _sheet_rows(source: Source, limits: xlsx_reader.Limits
                ) -> tuple[Iterator[tuple[int, list[Any]]], Callable[[], None]]:
    """``(sheet row number, cells by column)`` of the first visible sheet, and how to
    close it: an .xlsx is streamed by :mod:`xueji.common.xlsx_reader` (memory bounded,
    whatever the number of rows); what it cannot read (.xls, .ods, .xlsb, an encrypted
    workbook, not a workbook at all) goes to python-calamine, which also words the error.
    The iterator may raise :class:`xlsx_reader.XlsxError` (a damaged .xlsx)."""
    try:
        sheet = xlsx_reader.open_first_sheet(source, limits)
    except xlsx_reader.NotXlsxError:
        rows = _calamine_rows(source, limits)
        return rows, rows.close
    except xlsx_reader.LimitError as error:
        raise ExcelFormatError(error.message) from None
    except xlsx_reader.XlsxError:
        raise ExcelFormatError(_NOT_EXCEL) from None
    return iter(sheet), sheet.close


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and (not value or value.isspace()))


def _has_value(row: list[Any]) -> bool:
    # blank as the data rows count it: a cell of spaces kept by xml:space="preserve"
    # (as Excel — and openpyxl with lxml — writes it) is no data either
    return any(not _is_blank(v) for v in row)


def _header_map(row: list[Any], known: dict[str, str]) -> dict[int, str]:
    """Column index → canonical header for the cells of ``row`` that name a column."""
    columns: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, cell in enumerate(row):
        if not isinstance(cell, str):
            continue
        header = known.get(F.normalize_header(cell))
        if header is None:
            continue
        if header in seen:
            raise ExcelFormatError(
                f"表头“{header}”重复(第{xlsx_reader.column_letters(seen[header])}列和第{xlsx_reader.column_letters(index)}列)"
            )
        seen[header] = index
        columns[index] = header
    return columns


def read_rows(
    source: Source,
    *,
    headers: Iterable[str] | None = None,
    min_header_matches: int = 3,
    max_rows: int | None = None,
    rows_checked: bool = False,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(row number, {header: value})`` for each non-empty data row of the first
    visible sheet; the row number is the sheet's (the first data row under a header in
    row 1 is 2).

    ``source`` is a path, bytes or a binary file object (a Django ``UploadedFile``).
    ``headers`` are the columns to read (default: the 72 of the template); a header cell
    matches when it is equal after removing spaces, folding full-width characters and
    dropping a required mark (``*``, ``★``). The header row is the first of the first
    ten rows in which at least ``min_header_matches`` cells (or every wanted header, if
    fewer) match. Other columns are ignored; the order of the columns does not matter;
    a wanted column missing from the sheet is simply absent from the dicts.

    An .xlsx is streamed: memory stays flat whatever the number of rows, and a damaged
    sheet body is only noticed when the reading gets there (after earlier rows were
    yielded). Other formats are read whole by python-calamine.

    ``max_rows`` bounds the rows of the sheet, empty ones included (default
    ``XUEJI_IMPORT_MAX_ROWS``); it and the other bounds of :func:`import_limits` (the
    expanded size, the shared strings) are checked before the first row is read.
    ``rows_checked``: the caller checks the row bound itself (:func:`check_upload`, e.g.
    in parallel with this reading, before it writes anything), so the sheet is not
    scanned twice; a row beyond the bound still ends the reading.

    Raises :class:`ExcelFormatError` (a message for the user) when the file is not a
    workbook, is encrypted, is beyond the bounds, has no data, has no header row, or has
    a header twice.
    """
    wanted = tuple(headers) if headers is not None else F.headers()
    known = {F.normalize_header(h): h for h in wanted}
    need = min(min_header_matches, len(known))

    limits = import_limits(max_rows)
    bound = limits.max_rows
    if rows_checked:
        limits = dataclasses.replace(limits, max_rows=None)
    rows, close = _sheet_rows(source, limits)
    try:
        columns: dict[int, str] | None = None
        has_data = False
        for number, row in rows:
            has_data = has_data or _has_value(row)
            if number > HEADER_SEARCH_ROWS:
                break
            candidate = _header_map(row, known)
            if len(candidate) >= need:
                columns = candidate
                break
        if columns is None:
            if not has_data and not any(_has_value(row) for _, row in rows):
                raise ExcelFormatError(_NO_DATA)
            sample = "“" + "”“".join(wanted[:3]) + "”"
            raise ExcelFormatError(
                f"未找到表头行:第1行应为模板的列名(如{sample}),请使用系统下载的模板填写"
            )
        names = tuple(columns.values())
        indexes = tuple(columns)
        if indexes == tuple(range(len(indexes))):  # the template's columns, in its order
            pick = None
        else:
            pick = operator.itemgetter(*indexes) if len(indexes) > 1 else (lambda r: (r[indexes[0]],))
        width = max(indexes) + 1
        template = dict.fromkeys(names, "")  # copying a dict of the same keys is the fastest
        yielded = False
        for number, row in rows:
            if rows_checked and bound is not None and number > bound:
                raise ExcelFormatError(f"Excel文件的行数超过{bound:,}行(空行也计算在内),请分批导入")
            if len(row) < width:
                row = row + [""] * (width - len(row))
            values = template.copy()
            values.update(zip(names, row if pick is None else pick(row), strict=False))
            for value in values.values():
                if not _is_blank(value):
                    break
            else:
                continue
            yielded = True
            yield number, values
        if not yielded:
            raise ExcelFormatError(_NO_DATA)
    except xlsx_reader.LimitError as error:
        raise ExcelFormatError(error.message) from None
    except xlsx_reader.XlsxError:
        raise ExcelFormatError(_NOT_EXCEL) from None
    finally:
        close()
