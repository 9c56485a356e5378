"""Typed business content (业务内容): each business type declares what its ``payload``
holds — fields with Chinese labels and kinds — so the engine can refuse a malformed
payload when the business starts and every page can show it as labelled rows.

Pure: no database. A :class:`Schema` is a tuple of :class:`Field`; the kinds are

==============  ==============================================================  ===========================
kind            stored value (JSON)                                             shown as
==============  ==============================================================  ===========================
``text``        a string                                                        the text
``number``      a number (or its text)                                          the number
``bool``        true / false / null                                             是 / 否
``code``        a code of ``code_table`` (:mod:`xueji.codes.tables`)            ``1-居民身份证``
``choice``      a code of ``options``                                           ``0-非随班就读``
``date``        ISO date text                                                   ``2019-01-01``
``id_number``   an ID document number                                           masked ``4401**********0019``
``student_number`` a 全国学籍号 (G = "G" + the resident ID)                      masked ``G4401**********0019``
``phone``       a phone number                                                  masked ``138****8000``
``division``    a 12-digit division code                                        ``440106000000 广东省广州市天河区``
``class``       a 7-digit 班号 of the business's school                          ``一年级1班(2026101)``
``yearmonth``   six digits YYYYMM                                               ``2026-09``
``change``      ``{"before": …, "after": …}`` of the kind ``inner``             ``原值 → 新值``
``verification`` ``{"status": passed|failed|pending|na, "note": …}``            ``认证通过`` (说明)
``record``      a mapping of ``fields`` (a whole row, e.g. the 72-item record)  one labelled row per filled field
``members``     a list of mappings of ``fields`` (家庭成员)                      rows per member, titled ``item_label``
``hidden``      anything the effect needs (a class id)                          not shown
==============  ==============================================================  ===========================

:func:`display_rows` gives ``[Row(label, text, section)]``; ID numbers and phone numbers
are masked unless ``reveal`` (the audited 查看 action). No English key and no raw dict ever
reaches a page: a value that does not fit its kind is shown as ``（格式不正确）``.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from xueji.codes import tables
from xueji.common.masking import mask_id_number, mask_national_number, mask_phone

KINDS = frozenset({
    "text", "number", "bool", "code", "choice", "date", "id_number", "student_number", "phone", "division", "class",
    "yearmonth", "change",
    "verification", "record", "members", "hidden",
})
#: Kinds whose value may be revealed only through the audited 查看 action.
SENSITIVE = frozenset({"id_number", "student_number", "phone"})
VERIFICATION_NAMES = {"passed": "认证通过", "failed": "认证不通过", "pending": "未认证", "na": "无需认证"}
BAD_VALUE = "(格式不正确)"


@dataclass(frozen=True)
class Field:
    """One item of a business's content."""

    key: str
    label: str
    kind: str = "text"
    required: bool = True
    code_table: str | None = None
    options: tuple[tuple[str, str], ...] | None = None
    #: ``change``: the kind of the before and after values (with ``code_table``/``options``).
    inner: str = "text"
    #: ``record`` / ``members``: the fields of the mapping.
    fields: tuple[Field, ...] = ()
    #: ``members``: the title of each member's rows, ``{n}`` its number ("家庭成员{n}").
    item_label: str = "第{n}项"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.key}: unknown payload kind {self.kind!r}")
        if (self.kind == "code" or (self.kind == "change" and self.inner == "code")) and not self.code_table:
            raise ValueError(f"{self.key}: a code needs its code_table")
        if self.kind in ("record", "members") and not self.fields:
            raise ValueError(f"{self.key}: {self.kind} needs fields")


@dataclass(frozen=True)
class Schema:
    """业务内容的说明: ``description`` says in Chinese what the business carries."""

    description: str
    fields: tuple[Field, ...] = ()

    def __post_init__(self) -> None:
        keys = [f.key for f in self.fields]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate payload keys in {keys!r}")


#: The content of a type that declares none: nothing.
EMPTY = Schema("无业务内容")


class Row(NamedTuple):
    label: str
    text: str
    section: str = ""


# --- checking (when a business starts) -------------------------------------------------------
def _is_date(value: Any) -> bool:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return True
    if isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return len(value) == 10
    return False


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, decimal.Decimal)):
        return True
    if isinstance(value, str):
        try:
            decimal.Decimal(value)
        except decimal.InvalidOperation:
            return False
        return True
    return False


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _value_error(f: Field, kind: str, value: Any) -> str | None:
    """Why ``value`` does not fit ``kind`` (None: it does). Empty values fit every kind."""
    if _empty(value):
        return None
    if kind in ("text", "id_number", "student_number", "phone", "division", "class"):
        ok = isinstance(value, str)
    elif kind == "yearmonth":
        ok = isinstance(value, str) and len(value) == 6 and value.isdigit()
    elif kind == "number":
        ok = _is_number(value)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "code":
        ok = isinstance(value, str) and tables.is_valid(f.code_table, value)
    elif kind == "choice":
        ok = isinstance(value, str) and value in dict(f.options or ())
    elif kind == "date":
        ok = _is_date(value)
    elif kind == "verification":
        ok = isinstance(value, Mapping) and value.get("status") in VERIFICATION_NAMES
    elif kind == "hidden":
        ok = True
    else:
        ok = False
    return None if ok else f"业务内容“{f.label}”格式不正确"


def _check_mapping(fields: Iterable[Field], value: Any, where: str = "") -> list[str]:
    fields = tuple(fields)
    if not isinstance(value, Mapping):
        return [f"业务内容{where}格式不正确"]
    known = {f.key for f in fields}
    errors = []
    unknown = [str(k) for k in value if k not in known]
    if unknown:
        errors.append(f"业务内容{where}含有未定义的项:" + "、".join(sorted(unknown)))
    for f in fields:
        item = value.get(f.key)
        if _empty(item):
            if f.required:
                errors.append(f"业务内容{where}缺少“{f.label}”")
            continue
        errors.extend(_check_field(f, item, where))
    return errors


def _check_field(f: Field, value: Any, where: str) -> list[str]:
    if f.kind == "change":
        if not isinstance(value, Mapping) or set(value) - {"before", "after"} or "after" not in value:
            return [f"业务内容“{f.label}”应为变更前后的值"]
        inner = Field(f.key, f.label, f.inner, code_table=f.code_table, options=f.options)
        return [e for e in (_value_error(inner, f.inner, value.get("before")),
                            _value_error(inner, f.inner, value.get("after"))) if e]
    if f.kind == "record":
        return _check_mapping(f.fields, value, f"“{f.label}”")
    if f.kind == "members":
        if not isinstance(value, list):
            return [f"业务内容“{f.label}”格式不正确"]
        errors = []
        for n, member in enumerate(value, start=1):
            errors.extend(_check_mapping(f.fields, member, f"“{f.item_label.format(n=n)}”"))
        return errors
    error = _value_error(f, f.kind, value)
    return [error] if error else []


def check(schema: Schema, payload: Any) -> list[str]:
    """Chinese messages for a payload that does not fit ``schema`` (empty: it fits):
    unknown items, missing required items, values of the wrong kind or code."""
    if payload is None:
        payload = {}
    return _check_mapping(schema.fields, payload)


# --- display -----------------------------------------------------------------------------------
def _code_text(name: str | None, code: str) -> str:
    return f"{code}-{name}" if name else code


def value_text(f: Field, kind: str, value: Any, *, reveal: bool = False,
               division_names: Mapping[str, str] | None = None,
               class_labels: Mapping[str, str] | None = None) -> str:
    """One value as a person reads it (empty values: ""): a division with its full name,
    a 班号 as the class's label (``org.SchoolClass.label``) when the caller looked it up."""
    if _empty(value):
        return ""
    if _value_error(f, kind, value):
        return BAD_VALUE
    if kind == "bool":
        return "是" if value else "否"
    if kind == "code":
        return _code_text(tables.name_of(f.code_table, value), value)
    if kind == "choice":
        return _code_text(dict(f.options or ()).get(value), value)
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else value
    if kind == "id_number":
        return value if reveal else mask_id_number(value)
    if kind == "student_number":
        return value if reveal else mask_national_number(value)
    if kind == "phone":
        return value if reveal else mask_phone(value)
    if kind == "division":
        name = (division_names or {}).get(value)
        return f"{value} {name}" if name else value
    if kind == "class":
        return (class_labels or {}).get(value) or value
    if kind == "yearmonth":
        return f"{value[:4]}-{value[4:]}"
    if kind == "verification":
        text = VERIFICATION_NAMES[value["status"]]
        note = str(value.get("note") or "").strip()
        return f"{text}({note})" if note else text
    return str(value)


def _rows(fields: Iterable[Field], payload: Mapping, section: str, reveal: bool, names: dict, skip_empty: bool) -> list[Row]:
    """``names``: the keyword arguments of :func:`value_text` that name things."""
    rows: list[Row] = []
    for f in fields:
        value = payload.get(f.key)
        if f.kind == "hidden":
            continue
        if f.kind == "record":
            rows.extend(_rows(f.fields, value if isinstance(value, Mapping) else {}, f.label, reveal, names, True))
            continue
        if f.kind == "members":
            for n, member in enumerate(value if isinstance(value, list) else [], start=1):
                if isinstance(member, Mapping):
                    rows.extend(_rows(f.fields, member, f.item_label.format(n=n), reveal, names, True))
            continue
        if f.kind == "change":
            inner = Field(f.key, f.label, f.inner, code_table=f.code_table, options=f.options)
            if not isinstance(value, Mapping):
                text = BAD_VALUE if not _empty(value) else ""
            else:
                before = value_text(inner, f.inner, value.get("before"), reveal=reveal, **names) or "(空)"
                after = value_text(inner, f.inner, value.get("after"), reveal=reveal, **names) or "(空)"
                text = f"{before} → {after}"
        else:
            text = value_text(f, f.kind, value, reveal=reveal, **names)
        if not text and skip_empty:
            continue
        rows.append(Row(f.label, text or "—", section))
    return rows


def display_rows(schema: Schema, payload: Any, *, reveal: bool = False,
                 division_names: Mapping[str, str] | None = None,
                 class_labels: Mapping[str, str] | None = None) -> list[Row]:
    """The payload as labelled rows in the schema's order; a ``record`` or each member of
    ``members`` is its own section of filled fields. ID and phone numbers are masked
    unless ``reveal``; divisions and classes named from ``division_names`` /
    ``class_labels`` (:func:`codes_of_kind` says which to look up)."""
    if not isinstance(payload, Mapping):
        return [Row("业务内容", BAD_VALUE)] if not _empty(payload) else []
    names = {"division_names": division_names, "class_labels": class_labels}
    return _rows(schema.fields, payload, "", reveal, names, False)


def has_sensitive(schema: Schema) -> bool:
    """Does the schema hold anything masked (so a 查看 action makes sense)?"""
    def walk(fields: Iterable[Field]) -> bool:
        return any(f.kind in SENSITIVE or (f.kind == "change" and f.inner in SENSITIVE) or walk(f.fields)
                   for f in fields)
    return walk(schema.fields)


def division_codes(schema: Schema, payload: Any) -> set[str]:
    """The division codes a payload names (for one lookup of their names)."""
    return codes_of_kind(schema, payload, "division")


def codes_of_kind(schema: Schema, payload: Any, kind: str) -> set[str]:
    """The values of one kind (``division``, ``class``) a payload holds, for one lookup of
    their names."""
    found: set[str] = set()

    def walk(fields: Iterable[Field], value: Any) -> None:
        if not isinstance(value, Mapping):
            return
        for f in fields:
            item = value.get(f.key)
            if f.kind == kind and isinstance(item, str) and item:
                found.add(item)
            elif f.kind == "change" and f.inner == kind and isinstance(item, Mapping):
                found.update(v for v in (item.get("before"), item.get("after")) if isinstance(v, str) and v)
            elif f.kind == "record":
                walk(f.fields, item)
            elif f.kind == "members" and isinstance(item, list):
                for member in item:
                    walk(f.fields, member)

    walk(schema.fields, payload)
    return found


# --- a schema from the 72-item catalogue -------------------------------------------------------
_CATALOGUE_KINDS = {
    "code": "code", "bool": "bool", "choice": "choice", "date": "date", "id_number": "id_number",
    "phone": "phone", "division": "division", "decimal1": "number", "class": "class", "yearmonth": "yearmonth",
}


def from_catalogue(catalogue: Iterable, *, label: Callable[[Any], str] = lambda f: f.header) -> tuple[Field, ...]:
    """Payload fields for columns of :mod:`xueji.students.fields` (``Field.attr`` → key,
    the header → label, the column kind → the payload kind), none of them required (the
    field rules already checked the row)."""
    result = []
    for column in catalogue:
        kind = _CATALOGUE_KINDS.get(column.kind, "text")
        result.append(Field(
            column.attr, label(column), kind, required=False,
            code_table=column.code_table if kind == "code" else None,
            options=column.options if kind == "choice" else None,
        ))
    return tuple(result)
