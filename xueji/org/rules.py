"""Organisation rules as pure functions: division codes, school identifiers, grades, 班号.

No database here. Each check returns a list of Chinese messages (empty when valid) or
raises nothing; callers turn messages into form errors, import row errors or API errors.
"""

from __future__ import annotations

import datetime as dt
import re

STAGE_NAMES = {"1": "小学", "2": "初中", "3": "高中"}
#: 学制 each stage may have (SPEC F-02: 小学 6 or 5, 初中 3 or 4, 高中 3).
ALLOWED_YEARS = {"1": (6, 5), "2": (3, 4), "3": (3,)}
CHINESE_NUMERALS = "零一二三四五六七八九十"

_DIVISION_CODE = re.compile(r"^[0-9]{12}$")
_SCHOOL_CODE = re.compile(r"^[0-9]{10}$")
_CLASS_CODE = re.compile(r"^[0-9]{7}$")


def division_level_of(code: str) -> int | None:
    """The level a well-formed 12-digit code names: 1 province, 2 city, 3 county.

    ``None`` when the code is not a province/city/county code in the statistical format
    (6-digit GB/T 2260 code followed by six zeros)."""
    if not _DIVISION_CODE.match(code or "") or code[6:] != "000000":
        return None
    if code[:2] == "00":
        return None
    if code[2:6] == "0000":
        return 1
    if code[4:6] == "00":
        return 2
    return 3


def division_prefix(code: str, level: int) -> str:
    """The significant digits of a division code at ``level`` (2, 4 or 6 digits)."""
    return code[: {1: 2, 2: 4, 3: 6}[level]]


def check_division_code_format(code: str, field: str = "行政区划代码") -> list[str]:
    """A 12-digit division code: six GB/T 2260 digits padded with six zeros.

    A 6-digit code, or one padded otherwise, is an error ("视为外区县", SPEC F-01)."""
    code = (code or "").strip()
    if not code:
        return [f"{field}不能为空"]
    if not _DIVISION_CODE.match(code):
        return [f"{field}应为12位数字(6位区划代码后补6个0),当前为“{code}”"]
    if code[6:] != "000000":
        return [f"{field}“{code}”后6位应为0,否则视为外区县"]
    if division_level_of(code) is None:
        return [f"{field}“{code}”不是有效的行政区划代码"]
    return []


def check_school_code(code: str) -> list[str]:
    """学校标识码: 10 digits."""
    code = (code or "").strip()
    if not code:
        return ["学校标识码不能为空"]
    if not _SCHOOL_CODE.match(code):
        return [f"学校标识码应为10位数字,当前为“{code}”"]
    return []


def check_stage_years(stage: str, years: int | None) -> list[str]:
    """学制 allowed for a stage."""
    name = STAGE_NAMES[stage]
    if years is None:
        return [f"{name}学制不能为空"]
    if years not in ALLOWED_YEARS[stage]:
        allowed = "或".join(str(y) for y in ALLOWED_YEARS[stage])
        return [f"{name}学制应为{allowed}年,当前为{years}年"]
    return []


def check_school_stages(
    stages: dict[str, int | None],
) -> list[str]:
    """The stages a school offers and their 学制: at least one stage; each stage's
    years allowed; 小学 and 初中 together make nine years (6+3 or 5+4)."""
    if not stages:
        return ["学校至少应设一个教育阶段"]
    errors: list[str] = []
    for stage, years in sorted(stages.items()):
        errors += check_stage_years(stage, years)
    primary, junior = stages.get("1"), stages.get("2")
    if not errors and primary and junior and primary + junior != 9:
        errors.append(f"小学与初中学制合计应为9年(6+3或5+4),当前为{primary}+{junior}")
    return errors


def grade_name(stage: str, entry_year: int) -> str:
    """年级名称, e.g. 小学2016级."""
    return f"{STAGE_NAMES[stage]}{entry_year}级"


def school_year_of(day: dt.date) -> int:
    """The school year (学年, by its first calendar year) a day falls in when no term is
    configured: a school year starts on 1 September."""
    return day.year if day.month >= 9 else day.year - 1


def year_in_stage(entry_year: int, school_year: int) -> int:
    """Which year of its stage a grade is in during ``school_year`` (1 = first)."""
    return school_year - entry_year + 1


def current_year_label(stage: str, entry_year: int, school_year: int, years: dict[str, int | None]) -> str:
    """The grade's current year as a person says it: 一年级…九年级 through compulsory
    education (初中 numbered after 小学, so 七年级 at a 6-3 school and 六年级 at a 5-4
    school), 高一…高三; 未入学 before entry and 已毕业 after the last year.

    ``years`` is the school's 学制 by stage."""
    n = year_in_stage(entry_year, school_year)
    stage_years = years.get(stage) or max(ALLOWED_YEARS[stage])
    if n < 1:
        return "未入学"
    if n > stage_years:
        return "已毕业"
    if stage == "1":
        return f"{_numeral(n)}年级"
    if stage == "2":
        primary_years = years.get("1") or (9 - stage_years)
        return f"{_numeral(primary_years + n)}年级"
    return f"高{_numeral(n)}"


def _numeral(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMERALS[n]
    return str(n)


def class_code(entry_year: int, stage: str, number: int) -> str:
    """Compose a 班号: entry year (4) + stage digit (1) + class number (2)."""
    return f"{entry_year:04d}{stage}{number:02d}"


def check_class_code(code: str, stage: str | None = None, entry_year: int | None = None) -> list[str]:
    """班号: 7 digits = entry year + stage digit (1 小学, 2 初中, 3 高中) + class number
    01–99; when the grade is known, year and stage must be the grade's."""
    code = (code or "").strip()
    if not code:
        return ["班号不能为空"]
    if not _CLASS_CODE.match(code):
        return [f"班号应为7位数字(入学年份4位+学段1位+班序号2位),当前为“{code}”"]
    errors = []
    year, digit, number = int(code[:4]), code[4], int(code[5:])
    if digit not in STAGE_NAMES:
        errors.append(f"班号“{code}”第5位学段应为1(小学)、2(初中)或3(高中)")
    if number == 0:
        errors.append(f"班号“{code}”后2位班序号应为01至99")
    if not 1900 <= year <= 2100:
        errors.append(f"班号“{code}”前4位入学年份不正确")
    if entry_year is not None and year != entry_year:
        errors.append(f"班号“{code}”的入学年份{year}与年级入学年份{entry_year}不一致")
    if stage is not None and digit in STAGE_NAMES and digit != stage:
        errors.append(
            f"班号“{code}”的学段({STAGE_NAMES[digit]})与年级学段({STAGE_NAMES[stage]})不一致"
        )
    return errors


def check_entry_year(entry_year: int | None, today: dt.date) -> list[str]:
    """A grade's entry year: not before 1950, not after next school year."""
    if entry_year is None:
        return ["入学年份不能为空"]
    if entry_year < 1950 or entry_year > school_year_of(today) + 1:
        return [f"入学年份{entry_year}不在允许范围内"]
    return []
