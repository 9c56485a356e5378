"""Pure rules of 毕业 and 毕业生退回 (no database)."""

from __future__ import annotations

import calendar
import datetime as dt

from xueji.org import rules as org_rules

GRADUATED, COMPLETED, INCOMPLETE = "20", "21", "22"
KIND_NAMES = {GRADUATED: "毕业", COMPLETED: "结业", INCOMPLETE: "肄业"}
IN_SCHOOL = "10"

#: 返回 window: the supervising authority may return a graduate within this many months.
RETURN_MONTHS = 6

OPEN_BUSINESS_MESSAGE = "有在办业务,请先在“在办业务清理”中处理完毕后再办理毕业"


def business_kind(kind: str, stage: str) -> str:
    """The workflow business type whose F-27 permission a graduation needs: 毕业 →
    graduate_<stage>, 结业 → complete_<stage>, 肄业 → incomplete."""
    stage_word = {"1": "primary", "2": "junior", "3": "senior"}.get(stage)
    if kind == INCOMPLETE:
        return "incomplete"
    if stage_word is None or kind not in KIND_NAMES:
        raise ValueError(f"bad graduation kind/stage {kind!r}/{stage!r}")
    return f"{'graduate' if kind == GRADUATED else 'complete'}_{stage_word}"


def business_name(kind: str, stage: str) -> str:
    if kind == INCOMPLETE:
        return "肄业"
    return f"{org_rules.STAGE_NAMES.get(stage, '')}{KIND_NAMES[kind]}"


def stage_years(stage: str, years: dict[str, int | None]) -> int:
    return years.get(stage) or max(org_rules.ALLOWED_YEARS[stage])


def is_final_grade(stage: str, entry_year: int, school_year: int, years: dict[str, int | None]) -> bool:
    """Is the grade in the last year of its stage in ``school_year`` by the school's 学制
    (小学 6 or 5, 初中 3 or 4, 高中 3)?"""
    return org_rules.year_in_stage(entry_year, school_year) == stage_years(stage, years)


def is_past_final_grade(stage: str, entry_year: int, school_year: int, years: dict[str, int | None]) -> bool:
    """A grade whose last year is over (往届): its students still in school graduate by 往届生毕业."""
    return org_rules.year_in_stage(entry_year, school_year) > stage_years(stage, years)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def return_deadline(graduated_on: dt.date) -> dt.date:
    """The last day the supervising authority may return a graduate (半年内)."""
    return add_months(graduated_on, RETURN_MONTHS)


def return_refusal(*, is_supervisor: bool, is_province: bool, graduated_on: dt.date,
                   today: dt.date) -> str | None:
    """毕业生退回 (F-61): within half a year of graduation the school's supervising
    authority (or the province) returns; after that only the province. None when allowed."""
    within = today <= return_deadline(graduated_on)
    if is_province:
        return None
    if not is_supervisor:
        return "只有学校的主管教育行政部门或省级教育行政部门可以退回毕业生"
    if not within:
        return (f"毕业已超过半年(毕业日期{graduated_on:%Y-%m-%d},可由主管教育行政部门退回至"
                f"{return_deadline(graduated_on):%Y-%m-%d}),只能由省级教育行政部门退回")
    return None
