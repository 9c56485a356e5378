"""Pure rules of 日常管理 (no database): what a key data change or a 学籍异动 may do.

Each section belongs to one business; the services read the database and call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from xueji.students import rules as student_rules

# ======================================================================================
# 关键数据变更 (SPEC F-43, seed 004 §6)
# ======================================================================================
#: The controlled fields (受控字段) on the record itself, in the order of the seed's form.
KEY_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"), ("gender", "性别"), ("birth_date", "出生日期"), ("id_type", "身份证件类型"),
    ("id_number", "身份证件号"), ("nationality", "国籍/地区"), ("hmt", "港澳台侨外"),
)
KEY_LABELS = dict(KEY_FIELDS)
IDENTITY_ATTRS = ("id_type", "id_number")
RESIDENT, NO_DOCUMENT = "1", "Z"

KEY_CHANGE = "key_change"
KEY_CHANGE_NO_ID = "key_change_no_id"
KEY_CHANGE_NAME_ID = "key_change_name_id"
KEY_CHANGE_KINDS = (KEY_CHANGE, KEY_CHANGE_NO_ID, KEY_CHANGE_NAME_ID)

#: How long after a change of the name (or the ID) a change of the other still needs
#: every level up to 省级 (seed 004 §6: "一年以内先后变更姓名和身份证件号").
NAME_ID_WINDOW_DAYS = 365

NOTHING_CHANGED = "没有需要变更的关键数据"
NAME_AND_ID_TOGETHER = "不能同时变更姓名和身份证件号"
NEEDS_GUARDIAN = "无身份证件的学生须至少有一名持居民身份证的家庭成员"


def normalized(attr: str, value: Any) -> Any:
    """A controlled value as the record holds it (ID numbers upper case without spaces)."""
    if attr == "id_number":
        return student_rules.normalize_id_number(value)
    if attr in ("name",) and isinstance(value, str):
        return value.strip()
    return value


def changed_attrs(current: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The controlled fields ``new`` changes, in the form's order."""
    return [attr for attr, _ in KEY_FIELDS
            if attr in new and normalized(attr, new[attr]) != normalized(attr, current.get(attr))]


def identity_changed(changed: Iterable[str]) -> bool:
    return any(attr in IDENTITY_ATTRS for attr in changed)


@dataclass(frozen=True)
class PastChange:
    """A completed key change of the same student: when, and what it changed."""

    finished: dt.date
    attrs: frozenset[str]


def _recent(past: Iterable[PastChange], today: dt.date) -> list[PastChange]:
    since = today - dt.timedelta(days=NAME_ID_WINDOW_DAYS)
    return [p for p in past if p.finished >= since]


def name_then_id(changed: Iterable[str], past: Iterable[PastChange], today: dt.date) -> bool:
    """Does this change, with the completed ones of the last year, change the name and
    the ID one after the other (→ every level up to 省级)?"""
    changed = set(changed)
    recent = _recent(past, today)
    if "name" in changed and any(identity_changed(p.attrs) for p in recent):
        return True
    return identity_changed(changed) and any("name" in p.attrs for p in recent)


def key_change_refusals(number_kind: str, current: Mapping[str, Any], new: Mapping[str, Any], *,
                        placement_changed: bool = False) -> list[str]:
    """Why a key change can't be applied for (seed 004 §6 "如下两种情况不允许发起申请"):
    nothing changes; an official number (G/J) asked to become 无身份证件 (the one rule
    of ``students.rules.number_after_key_change``); name and ID changed together."""
    changed = changed_attrs(current, new)
    if not changed and not placement_changed:
        return [NOTHING_CHANGED]
    errors = []
    merged = {**current, **{a: new[a] for a in changed}}
    if identity_changed(changed):
        _, refusal = student_rules.number_after_key_change(
            number_kind, (current.get("id_type") or "", current.get("id_number") or ""),
            (merged.get("id_type") or "", normalized("id_number", merged.get("id_number") or "")), None)
        if refusal:
            errors.append(refusal)
    if "name" in changed and identity_changed(changed):
        errors.append(NAME_AND_ID_TOGETHER)
    return errors


def key_change_kind(current: Mapping[str, Any], new: Mapping[str, Any], past: Iterable[PastChange],
                    today: dt.date) -> str:
    """The business type (and so the chain) of an allowed change: to 无身份证件 → the no-ID
    chain (up to 省级, like a no-ID registration); name and ID one after the other within
    a year → up to 省级; otherwise 关键数据变更."""
    changed = changed_attrs(current, new)
    if "id_type" in changed and new.get("id_type") == NO_DOCUMENT:
        return KEY_CHANGE_NO_ID
    if name_then_id(changed, past, today):
        return KEY_CHANGE_NAME_ID
    return KEY_CHANGE


def needs_verification(current: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """查重认证 with the population registry: a resident ID after the change whose number or
    holder's name changes (seed 004 §6: "若要更变姓名或居民身份证号,需要先经过准实时查重认证")."""
    changed = changed_attrs(current, new)
    after_type = new.get("id_type", current.get("id_type"))
    return after_type == RESIDENT and ("name" in changed or identity_changed(changed))
