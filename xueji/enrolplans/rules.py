"""Pure rules of 招生计划数 (no database): the bounds of a plan, which years may be set,
which stages a school has, how a cell or a form field becomes a number, and the words
of 计划数 vs 已录取 on the admission pages."""

from __future__ import annotations

import datetime as dt

from xueji.org import rules as org_rules

STAGE_NAMES = org_rules.STAGE_NAMES
STAGES = tuple(STAGE_NAMES)
#: The sanity bound of one school's plan for one stage (the largest schools take in a
#: few thousand a year; a figure above this is a typing error).
PLAN_MAX = 5000
#: How far from the current enrolment year a plan may be set: last year's (corrections)
#: up to next year's.
YEARS_BACK, YEARS_AHEAD = 1, 1
REASON_MAX = 200


def enrolment_year(today: dt.date) -> int:
    """The enrolment (招生) year a day belongs to: the calendar year whose September
    intake it plans or admits (a plan for 2026 is set in spring 2026 and used until the
    2026 intake is over)."""
    return today.year


def settable_years(today: dt.date) -> list[int]:
    year = enrolment_year(today)
    return list(range(year - YEARS_BACK, year + YEARS_AHEAD + 1))


def parse_year(value: object) -> int | None:
    """A 招生年度 from a form field or a cell ("2026", 2026.0); None when it is not one."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) != 4:
        return None
    return int(text)


def year_refusal(year: int | None, today: dt.date) -> str | None:
    if year is None:
        return "招生年度应为4位年份"
    years = settable_years(today)
    if year not in years:
        return f"招生年度{year}不在可设置的范围内({years[0]}–{years[-1]})"
    return None


def parse_stage(value: object) -> str | None:
    """教育阶段 as its code: "2", "2-初中", "初中" → "2"; None when unknown."""
    text = str(value if value is not None else "").strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    code = text.split("-", 1)[0].strip()
    if code in STAGE_NAMES:
        return code
    by_name = {name: code for code, name in STAGE_NAMES.items()}
    return by_name.get(text)


def stage_label(stage: str) -> str:
    """"1-小学"."""
    return f"{stage}-{STAGE_NAMES[stage]}" if stage in STAGE_NAMES else stage


def stage_refusal(stage: str | None, years: dict[str, int | None], school_name: str = "") -> str | None:
    """Refused when ``stage`` is unknown or the school (学制 ``years``) does not offer it."""
    if stage is None:
        return "教育阶段应为1-小学、2-初中或3-高中"
    if not years.get(stage):
        return f"{school_name or '该学校'}没有{STAGE_NAMES[stage]}学段"
    return None


def first_grade_label(stage: str, years: dict[str, int | None]) -> str:
    """The grade a stage's plan is for, by the school's 学制: 一年级, 七年级 (6-3) or 六年级
    (5-4), 高一."""
    return org_rules.current_year_label(stage, 2000, 2000, years)


def parse_planned(value: object) -> tuple[int | None, str | None]:
    """A plan figure from a form field or a cell: (number, None) or (None, why). Whole
    numbers 0…PLAN_MAX; "120", 120, 120.0 are 120; "", "abc", -1, 1.5, 5001 refused."""
    if isinstance(value, bool):
        return None, "招生计划数应为整数"
    if isinstance(value, float):
        if not value.is_integer():
            return None, "招生计划数应为整数"
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip().replace(",", "")
        if not text:
            return None, "请填写招生计划数"
        if text.startswith("-") and text[1:].isdigit():
            return None, "招生计划数不能为负数"
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            return None, f"招生计划数“{text[:20]}”不是整数"
        number = int(text)
    if number < 0:
        return None, "招生计划数不能为负数"
    if number > PLAN_MAX:
        return None, f"招生计划数不能超过{PLAN_MAX:,}"
    return number, None


def reason_refusal(reason: str) -> str | None:
    if not reason:
        return "请填写变更原因"
    if len(reason) > REASON_MAX:
        return f"变更原因不能超过{REASON_MAX}个字"
    return None


def plan_progress(planned: int | None, admitted: int) -> str:
    """计划数 vs 已录取, as the admission pages show it."""
    if planned is None:
        return f"未设置招生计划数,已录取{admitted}人"
    if admitted > planned:
        return f"计划{planned}人,已录取{admitted}人,超出计划{admitted - planned}人"
    return f"计划{planned}人,已录取{admitted}人,尚余{planned - admitted}人"
