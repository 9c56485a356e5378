"""非关键信息批量修改 (F-44) — the pure half: which cells of an edited sheet row differ
from what was exported, and what that asks for.

The sheet is the 72-item template with a first column 全国学籍号 (the row's record),
filled from the record by :func:`xueji.students.excel.cells_from_values` (codes as
"代码-名称", dates YYYYMMDD, 是/否). A cell the person did not touch reads back as the
same text; only touched cells are looked at, so a record loaded years ago with a gap
elsewhere can still be corrected column by column (the rules themselves are the
registration rules, applied by ``students.services.update_records``).

- a touched **key** cell (姓名, 性别, 出生日期, 身份证件类型/号, 国籍/地区, 港澳台侨外, 班号)
  whose value really differs (through the registration cleaners: "男" is "1-男") refuses
  the row: key data changes only through 关键数据变更; 学校标识码 only by a transfer;
  a key cell emptied counts as untouched (the sheet never removes key data);
- touched student cells become the change of the record's non-key data;
- touched member cells (成员1…, 成员2…) replace the first two family members (members
  beyond the second, kept on the record page, stay as they are).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xueji.common.spreadsheets import cell_text  # noqa: F401  (the sheet's cells as text, one place)
from xueji.students import fields as F
from xueji.students import rules as R

NUMBER_HEADER = "全国学籍号"
#: The columns of the sheet: the record's number, then the template's 72.
SHEET_HEADERS: tuple[str, ...] = (NUMBER_HEADER, *F.headers())
_KEY = frozenset(F.KEY_HEADERS)
_LOOKUP = frozenset(f.header for f in F.STUDENT_FIELDS if f.is_lookup)
_STUDENT = {f.header: f for f in F.STUDENT_FIELDS}
_MEMBER = {f.header: f for fs in F.MEMBER_FIELDS.values() for f in fs}


def touched(exported: Mapping[str, str], row: Mapping[str, object]) -> list[str]:
    """The headers of ``row`` (as the sheet gives them) whose text differs from the
    ``exported`` text of the record (headers absent from the sheet are untouched)."""
    found = []
    for header, value in row.items():
        was = exported.get(header, "")
        if value == was or (not was and (value is None or value == "")) or header == NUMBER_HEADER:
            continue  # the common case: the exported text read back as it was
        if cell_text(value) != was:
            found.append(header)
    return found


@dataclass
class RowPlan:
    """What one sheet row asks for: ``changes`` (student attr → cell, non-key),
    ``family`` (member dicts of FamilyMember attrs, None when untouched), ``errors``
    (the row is refused when any)."""

    changes: dict[str, object] = field(default_factory=dict)
    family: list[dict[str, Any]] | None = None
    errors: list[str] = field(default_factory=list)


def key_changes(headers: Iterable[str], merged: Mapping[str, object], current: Mapping[str, object], *,
                context: R.CleanContext) -> list[str]:
    """The key columns among ``headers`` whose value (``merged``: the exported row with the
    sheet's cells over it, cleaned by the registration rules) differs from the record's
    ``current`` values (attr → stored value, plus ``school_code`` and ``class_code``)."""
    headers = [h for h in headers if h in _KEY or h in _LOOKUP]
    if not headers:
        return []
    values = R.clean_row(merged, context=context).values
    changed = []
    for header in headers:
        attr = _STUDENT[header].attr
        new, old = values.get(attr), current.get(attr)
        if isinstance(new, str) and not new.strip():
            continue  # emptied: untouched
        if (new or "") != (old or ""):
            changed.append(header)
    return changed


def plan_row(exported: Mapping[str, str], row: Mapping[str, object], current: Mapping[str, object],
             family: list[Mapping[str, Any]], *, context: R.CleanContext) -> RowPlan:
    """What the sheet ``row`` asks of the record exported as ``exported``; ``current`` its
    stored values (attr → value, with ``school_code``/``class_code``), ``family`` its
    stored members (in seq order, dicts of FamilyMember attrs)."""
    plan = RowPlan()
    headers = touched(exported, row)
    if not headers:
        return plan
    merged: dict[str, object] = dict(exported)
    merged.update((h, row[h]) for h in headers)
    for header in key_changes(headers, merged, current, context=context):
        if header in _KEY:
            plan.errors.append(f"{header}{R.KEY_DATA_MESSAGE}")
        else:
            plan.errors.append(f"{header}不能批量修改(转学或调档办理)")
    if plan.errors:
        return plan
    members_touched = False
    for header in headers:
        f = _STUDENT.get(header)
        if f is not None:
            if not f.key and not f.is_lookup:
                plan.changes[f.attr] = row[header]
        elif header in _MEMBER:
            members_touched = True
    if members_touched:
        plan.family = member_rows(merged, family)
    return plan


def member_rows(merged: Mapping[str, object], family: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The family as ``update_family`` takes it: members 1 and 2 from the sheet's cells,
    the stored members beyond the second as they are."""
    members = [{f.attr: merged.get(f.header) for f in F.MEMBER_FIELDS[seq]} for seq in sorted(F.MEMBER_FIELDS)]
    return members + [dict(m) for m in family[len(F.MEMBER_FIELDS):]]
