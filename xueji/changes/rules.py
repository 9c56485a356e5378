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


# ======================================================================================
# 学籍异动 (SPEC F-47, seed 004 §7)
# ======================================================================================
#: How a 学籍异动 places the student: not at all, in any class of the school, in a class
#: of a lower grade (留级: a later entry year) or of a higher one (跳级).
NO_PLACEMENT, PLACE, LOWER, HIGHER = "none", "place", "lower", "higher"


@dataclass(frozen=True)
class StatusChangeType:
    """A 学籍异动 type (a workflow business type code) and its effect."""

    code: str
    name: str
    #: 学籍状态 after it (None: unchanged — 留级, 跳级).
    new_status: str | None
    placement: str = NO_PLACEMENT


#: The types of seed 004 §7, in its order (省内转学 is its own page; 其他离校 is gone;
#: 出国 is now 出境, 回国复学 入境复学). 转入特教/工读 leaves as 其他离校 (39), the status
#: 恢复入学资格 returns from (seed 000: "从特教学校或工读学校转入另外普通学校 … 通过恢复入学资格").
STATUS_CHANGES: dict[str, StatusChangeType] = {t.code: t for t in (
    StatusChangeType("suspend", "休学", "11"),
    StatusChangeType("resume", "复学", "10", PLACE),
    StatusChangeType("repeat_grade", "留级", None, LOWER),
    StatusChangeType("skip_grade", "跳级", None, HIGHER),
    StatusChangeType("expel", "开除", "33"),
    StatusChangeType("quit_school", "退学", "34"),
    StatusChangeType("death", "死亡", "31"),
    StatusChangeType("missing", "失踪", "32"),
    StatusChangeType("go_abroad", "出境", "35"),
    StatusChangeType("return_from_abroad", "入境复学", "10", PLACE),
    StatusChangeType("to_vocational", "去中职就读", "36"),
    StatusChangeType("restore_admission", "恢复入学资格", "10", PLACE),
    StatusChangeType("to_special_school", "转入特教/工读", "39"),
)}
STATUS_CHANGE_KINDS = tuple(STATUS_CHANGES)
REASON_MAX_LENGTH = 200


def allowed_status_changes(status: str, stage: str | None = None) -> list[StatusChangeType]:
    """The 学籍异动 a student in 学籍状态 ``status`` may start (F-27: the one table,
    ``students.rules.ALLOWED_BUSINESS``), in the seed's order."""
    return [t for t in STATUS_CHANGES.values()
            if student_rules.business_allowed(status, t.code, kind_name=t.name, stage=stage) is None]


@dataclass(frozen=True)
class Grade:
    """A grade as the rules see it: its 教育阶段 and 入学年份."""

    stage: str
    entry_year: int


def status_change_refusals(kind: str, *, status: str, date: dt.date | None, today: dt.date, reason: str,
                           birth_date: dt.date | None = None, current: Grade | None = None,
                           target: Grade | None = None, target_is_current_class: bool = False,
                           stage: str | None = None) -> list[str]:
    """Why a 学籍异动 can't be applied for: an unknown type, a status that does not allow it
    (F-27), no or an impossible date (after today, before the birth date), no reason, and
    the placement its type needs (复学/入境复学/恢复入学资格: a class; 留级: a lower grade of
    the same stage; 跳级: a higher one)."""
    ctype = STATUS_CHANGES.get(kind)
    if ctype is None:
        return ["请选择异动类别"]
    errors = []
    refusal = student_rules.business_allowed(status, kind, kind_name=ctype.name, stage=stage)
    if refusal:
        errors.append(refusal)
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        errors.append("请填写有效的异动日期")
    elif date > today:
        errors.append("异动日期不能晚于今天")
    elif birth_date is not None and date < birth_date:
        errors.append("异动日期不能早于出生日期")
    reason = (reason or "").strip()
    if not reason:
        errors.append("请填写异动原因")
    elif len(reason) > REASON_MAX_LENGTH:
        errors.append(f"异动原因不能超过{REASON_MAX_LENGTH}个字")
    if ctype.placement == NO_PLACEMENT:
        return errors
    if target is None:
        errors.append(f"{ctype.name}须选择调入的班级")
        return errors
    if ctype.placement in (LOWER, HIGHER):
        if current is None or target.stage != current.stage:
            errors.append(f"{ctype.name}只能调入同一学段的班级")
        elif ctype.placement == LOWER and target.entry_year <= current.entry_year:
            errors.append("留级须调入低于现年级的班级")
        elif ctype.placement == HIGHER and target.entry_year >= current.entry_year:
            errors.append("跳级须调入高于现年级的班级")
    return errors
