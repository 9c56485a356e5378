"""综合查询 rules (pure, no database): the columns a query may show and export, how each
value is displayed, which columns sort and how, and the paging limits.

The columns come from the one field catalogue (``students.fields.STUDENT_FIELDS``): every
basic-data column of the 72-item template can be chosen, plus the record's own columns
(学籍状态, 学校, 年级, 班级 …). Codes show as "1-男", dates YYYY-MM-DD, yes/no as 是/否;
in lists the ID numbers, G numbers and phone numbers are masked (F-16), in an export
verified by a second account (F-14) they are whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from xueji.codes import tables
from xueji.common.masking import mask_id_number, mask_national_number, mask_phone
from xueji.org.roles import Role
from xueji.students import fields as F
from xueji.students.models import Status

#: Statuses of 在校生查询: the records held at a school now (在校, 休学). 学生信息查询
#: shows every status (docs/DECISIONS.md).
IN_SCHOOL_STATUSES = ("10", "11")

#: The "共 N 条" count counts this far (``COUNT(*)`` over ``LIMIT COUNT_CAP + 1``): its
#: cost is bounded whatever the scope holds. A larger result is sorted only by the default
#: order, which an index gives (docs/DECISIONS.md).
COUNT_CAP = 2_000
#: Rows a list reaches by paging (OFFSET ≤ this); beyond, narrow the conditions or export.
PAGED_ROWS = 10_000
PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = 20
#: Most rows an export writes (a province exports by county or school).
EXPORT_CAP = 200_000
#: Most photos in one zip.
PHOTO_CAP = 5_000

#: The flags of F-21 a query may ask for (是/否).
FLAG_ATTRS = (
    "only_child", "preschool_educated", "left_behind", "migrant_worker_child", "needs_aid", "one_subsidy",
    "orphan", "martyr_child", "government_funded_place", "school_bus",
)


@dataclass(frozen=True)
class Column:
    """A column of the list and the export: ``key`` (the chooser's value), its Chinese
    ``label`` and ``kind`` — how a value shows (see :func:`display`)."""

    key: str
    label: str
    kind: str
    attr: str = ""
    code_table: str | None = None
    options: tuple[tuple[str, str], ...] | None = None
    member: int | None = None  # 家庭成员1 / 2: the value is that family member's


def _from_field(f: F.Field) -> Column:
    key = f"m{f.member}_{f.attr}" if f.member else f.attr
    common = {"attr": f.attr, "member": f.member}
    if f.kind == "code":
        return Column(key, f.header, "code", code_table=f.code_table, **common)
    if f.kind == "bool":
        return Column(key, f.header, "bool", **common)
    if f.kind == "choice":
        return Column(key, f.header, "choice", options=f.options, **common)
    if f.kind in ("date", "division", "id_number", "phone"):
        return Column(key, f.header, f.kind, **common)
    return Column(key, f.header, "text", **common)


_OWN = (
    Column("national_number", "全国学籍号", "national_number", "national_number"),
    Column("status", "学籍状态", "status", "status"),
    Column("school_name", "学校名称", "school_name"),
    Column("school_code", "学校标识码", "school_code"),
    Column("grade", "年级", "grade"),
    Column("klass", "班级", "klass"),
    Column("updated_at", "最近变动时间", "datetime", "updated_at"),
)
_OWN_KEYS = {c.key for c in _OWN}

_by_attr = {f.attr: f for f in F.STUDENT_FIELDS}
#: Every column, in the order the chooser lists them.
COLUMNS: tuple[Column, ...] = (
    _from_field(_by_attr["name"]),
    _OWN[0],
    *(_from_field(f) for f in F.STUDENT_FIELDS if f.attr not in ("name", "school_code", "class_code")
      and f.attr not in _OWN_KEYS),
    *_OWN[1:],
    *(_from_field(f) for n in sorted(F.MEMBER_FIELDS) for f in F.MEMBER_FIELDS[n]),
)
BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}

#: The columns shown before a user chooses (the seed's 在校生信息列表 and 学生信息列表).
DEFAULT_COLUMNS = {
    "students": ("name", "national_number", "id_number", "gender", "birth_date", "school_name", "grade", "klass",
                 "native_place_code", "ethnicity", "home_address"),
    "student_search": ("name", "national_number", "id_number", "gender", "status", "school_name", "school_code",
                       "grade", "klass"),
}
#: Columns always shown (the chooser cannot drop them): who the row is.
FIXED_COLUMNS = ("name", "national_number")
MAX_COLUMNS = 80

#: Sort keys (``?sort=key`` or ``-key``) and the ordering each means; nothing else sorts.
#: ``klass`` (the default) follows the index (school, class, name) so the first page of a
#: province needs no sort of its million rows.
SORTS: dict[str, tuple[str, ...]] = {
    "klass": ("school_id", "klass_id", "name"),
    "name": ("name",),
    "national_number": ("national_number",),
    "gender": ("gender", "name"),
    "birth_date": ("birth_date",),
    "school_code": ("school__code", "klass_id", "name"),
    "grade": ("grade__entry_year", "grade__stage"),
    "entry_month": ("entry_month",),
    "status": ("status",),
    "updated_at": ("updated_at",),
}
DEFAULT_SORT = "klass"
#: Which column header sorts by which key.
SORT_OF_COLUMN = {"name": "name", "national_number": "national_number", "gender": "gender",
                  "birth_date": "birth_date", "school_name": "school_code", "school_code": "school_code",
                  "grade": "grade", "klass": "klass", "entry_month": "entry_month", "status": "status",
                  "updated_at": "updated_at"}


def parse_sort(value: str | None) -> tuple[str, bool]:
    """``(key, descending)`` of a ``sort`` parameter; the default for anything not whitelisted."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.removeprefix("-")
    if key not in SORTS:
        return DEFAULT_SORT, False
    return key, descending


def ordering(key: str, descending: bool) -> list[str]:
    """The ORM ordering of a sort key, with ``pk`` last so pages are stable."""
    fields = SORTS[key]
    sign = "-" if descending else ""
    return [sign + f for f in fields] + [sign + "pk"]


def parse_page(value: str | None) -> int:
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        return 1
    return max(int(text), 1)


def parse_size(value: str | None) -> int:
    text = (value or "").strip()
    return int(text) if text in {str(s) for s in PAGE_SIZES} else DEFAULT_PAGE_SIZE


def max_page(size: int) -> int:
    """The last page a list reaches (``PAGED_ROWS`` rows)."""
    return max(PAGED_ROWS // size, 1)


def effective_sort(key: str, descending: bool, count: int) -> tuple[str, bool, bool]:
    """``(key, descending, kept)``: a result larger than ``COUNT_CAP`` is listed in the
    default order (sorting a province's million rows by name for one page would cost
    seconds); ``kept`` is False when the asked sort was set aside."""
    if count > COUNT_CAP and key != DEFAULT_SORT:
        return DEFAULT_SORT, False, False
    return key, descending, True


def clean_columns(keys, page: str) -> list[str]:
    """The chosen column keys that exist, in catalogue order, the fixed ones first; the
    page's default when nothing valid was chosen."""
    wanted = {str(k) for k in keys or () if str(k) in BY_KEY}
    if not wanted:
        wanted = set(DEFAULT_COLUMNS[page])
    wanted |= set(FIXED_COLUMNS)
    ordered = [c.key for c in COLUMNS if c.key in wanted]
    return ordered[:MAX_COLUMNS]


def count_text(count: int) -> str:
    """What the list says about its size: "共 N 条", or that there are more than the cap."""
    if count > COUNT_CAP:
        return f"超过{COUNT_CAP:,}条"
    return f"共{count:,}条"


def _yes_no(value) -> str:
    if value is None:
        return ""
    return "是" if value else "否"


_STATUS_NAMES = dict(Status.choices)


def formatter(column: Column, *, full: bool, divisions: Mapping[str, str] | None = None) -> Callable:
    """``value → what a person reads`` for a record's own value of ``column`` (not 学校/
    年级/班级): made once per column, so a large export does not decide the kind per
    cell; code labels are memoised. ``divisions`` is read when called (it may grow)."""
    kind = column.kind
    if kind in ("code", "choice", "status"):
        if kind == "code":
            def name(value):
                return tables.label(column.code_table, value)
        elif kind == "status":
            def name(value):
                return f"{value}-{_STATUS_NAMES.get(value, '')}" if value else ""
        else:
            options = dict(column.options or ())

            def name(value):
                return f"{value}-{options[value]}" if value in options else (value or "")
        memo: dict = {}

        def code(value):
            if value not in memo:
                memo[value] = name(value) if len(memo) < 1000 else None
            shown = memo[value]
            return shown if shown is not None else name(value)
        return code
    if kind == "bool":
        return _yes_no
    if kind == "date":
        return lambda value: value.isoformat() if isinstance(value, dt.date) else (value or "")
    if kind == "datetime":
        return lambda value: value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else (value or "")
    if kind == "division":
        names = divisions if divisions is not None else {}

        def division(value):
            if not value:
                return ""
            full_name = names.get(value)
            return f"{value} {full_name}" if full_name else value
        return division
    if kind in ("id_number", "national_number", "phone"):
        if full:
            return lambda value: value or ""
        return {"id_number": mask_id_number, "national_number": mask_national_number, "phone": mask_phone}[kind]
    return lambda value: "" if value is None else str(value)


def display_value(column: Column, value, *, full: bool, divisions: Mapping[str, str] | None = None) -> object:
    """A record's own value of ``column`` (not 学校/年级/班级) as a person reads it."""
    return formatter(column, full=full, divisions=divisions)(value)


#: The kinds whose value is the record's placement, not one of its own fields.
PLACEMENT_KINDS = frozenset({"school_name", "school_code", "grade", "klass"})


def display(column: Column, student, *, full: bool, divisions: Mapping[str, str] | None = None,
            class_label: Callable | None = None) -> object:
    """The value of ``column`` for ``student`` as a person reads it. ``full``: the whole ID,
    G and phone numbers (an F-14 export) instead of masked ones. ``divisions``: code → full
    name of the division codes (looked up once per page or export batch). ``class_label``:
    the class's label from the class (default ``klass.label``)."""
    kind = column.kind
    if column.member:
        member = getattr(student, "members_by_seq", {}).get(column.member)
        return display_value(column, getattr(member, column.attr) if member else None, full=full,
                             divisions=divisions)
    if kind == "school_name":
        return student.school.name
    if kind == "school_code":
        return student.school.code
    if kind == "grade":
        return student.grade.name
    if kind == "klass":
        if student.klass is None:
            return "待分班"
        return class_label(student.klass) if class_label else student.klass.label
    return display_value(column, getattr(student, column.attr), full=full, divisions=divisions)


def division_attrs(columns: list[str]) -> list[str]:
    """The record's own attributes of the chosen columns that hold division codes."""
    return [BY_KEY[k].attr for k in columns if BY_KEY[k].kind == "division" and not BY_KEY[k].member]


def member_columns(columns: list[str]) -> list[Column]:
    return [BY_KEY[k] for k in columns if BY_KEY[k].member]


def entry_month_ok(value: str) -> bool:
    """YYYYMM with a real month (入学年月)."""
    return len(value) == 6 and value.isdigit() and 1900 <= int(value[:4]) <= 2100 and 1 <= int(value[4:]) <= 12


#: Who may export the query result (Excel, photos): the registrars and leaders, the class
#: teacher for their class, the authority registrar. Not the data-check account (it checks,
#: it does not take data away), not the system administrator, never a parent.
EXPORT_ROLES = frozenset({Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.CLASS_TEACHER, Role.AUTHORITY_REGISTRAR})


def may_query(role: str) -> bool:
    """Every role but the parent queries the students of its scope."""
    return role != Role.PARENT


def may_export(role: str) -> bool:
    return role in EXPORT_ROLES
