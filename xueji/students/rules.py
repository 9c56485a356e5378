"""Student field rules (SPEC F-20 … F-25) as pure functions: no database, no Django.

Whatever needs the database — the known division codes, the school's classes — comes in
as plain data (:class:`CleanContext`). Every entry path (form, Excel import, API) uses
these rules; docs/FIELD_RULES.md lists each rule with its message.

Each ``check_*`` returns a list of Chinese messages, empty when the value is valid. Each
message starts with the field's name ("成员1姓名格式不正确…", "身份证件号校验位错误").

:func:`clean_row` takes one row of the 72-item template as ``{header: cell value}`` (str,
int, float, date/datetime as a spreadsheet gives them) and returns the cleaned model
values, the family members and every error of the row, in column order. It does only
dict lookups and precompiled regular expressions and memoises the cells of low-variety
columns per :class:`CleanContext`: about 70–100 µs a row with two family members on a
2-core machine (100,000 rows in 7–10 s).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from operator import mul
from typing import Any

from xueji.codes import tables as codes
from xueji.org import rules as org_rules
from xueji.students import fields as F

__all__ = [
    "EXCEL_NUMBER_MESSAGE",
    "CleanContext",
    "CleanResult",
    "EntryAgeRule",
    "ALLOWED_BUSINESS",
    "STATUS_NAMES",
    "age_on",
    "as_text",
    "business_allowed",
    "birth_date_from_id",
    "check_birth_date",
    "check_distance",
    "check_division_code",
    "check_email",
    "check_entry_age",
    "check_entry_month",
    "check_family",
    "check_id_agrees",
    "check_id_valid_until",
    "check_identity_consistency",
    "check_key_data",
    "check_name",
    "check_phone",
    "check_postcode",
    "check_required",
    "full_values",
    "stored_values",
    "check_resident_id",
    "clean_row",
    "gender_from_id",
    "id_check_digit",
    "is_foreign_name_allowed",
    "normalize_id_number",
    "normalize_name",
    "number_after_key_change",
    "parse_date",
    "parse_year_month",
    "required_fields",
]

EXCEL_NUMBER_MESSAGE = "身份证件号被Excel转换为数字,末位已丢失,请将该列设置为文本格式后重新填写"

# --------------------------------------------------------------------------------------
# Resident ID (GB 11643-1999 公民身份号码).
# --------------------------------------------------------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_DIGITS17 = re.compile(r"^[0-9]{17}$")
_SCIENTIFIC = re.compile(r"^[0-9](?:\.[0-9]+)?E\+?[0-9]+$")
_OTHER_DOCUMENT = re.compile(r"^[0-9A-Z()\-/]{3,30}$")

#: The earliest birth year an ID number may carry.
_ID_MIN_YEAR = 1900


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    if not _DIGITS17.match(first17 or ""):
        raise ValueError("first17 must be 17 digits")
    return _ID_CHECK_CHARS[sum(map(mul, map(int, first17), _ID_WEIGHTS)) % 11]


def normalize_id_number(number: object) -> str:
    """Full-width → half-width, whitespace removed, letters upper-cased (``x`` → ``X``)."""
    if number is None:
        return ""
    text = str(number)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).upper()


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def birth_date_from_id(number: str) -> dt.date | None:
    """The birth date embedded in an 18-character resident ID, or None."""
    number = normalize_id_number(number)
    if len(number) != 18 or not number[:14].isdigit() or int(number[6:10]) < _ID_MIN_YEAR:
        return None
    return _date_or_none(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender_from_id(number: str) -> str | None:
    """性别 code from the 17th digit: odd → "1" 男, even → "2" 女."""
    number = normalize_id_number(number)
    if len(number) != 18 or not number[16].isdigit():
        return None
    return "1" if int(number[16]) % 2 else "2"


def check_resident_id(
    number: object,
    *,
    known_divisions: Iterable[str] | None = None,
    strict_division: bool = True,
    known_provinces: Iterable[str] | None = None,
    today: dt.date | None = None,
    field: str = "身份证件号",
) -> list[str]:
    """A 居民身份证 number (GB 11643): 18 characters, 17 digits and a digit or X (``x`` is
    accepted: callers store :func:`normalize_id_number`), the check character right, the
    embedded birth date a real date not after ``today``, and the first six digits a known
    division.

    ``known_divisions`` is a set of 6-digit codes; ``None`` skips the division check.
    With ``strict_division`` (the SPEC's rule) the six digits must be in it; without, a
    code whose province (first two digits) is known passes too — for ID numbers issued
    under a county code since revoked or renamed. ``known_provinces`` (2-digit) may be
    passed to avoid deriving it from ``known_divisions`` on every call.
    """
    text = normalize_id_number(number)
    if not text:
        return [f"{field}不能为空"]
    if isinstance(number, (int, float)) and not isinstance(number, bool):
        return [EXCEL_NUMBER_MESSAGE.replace("身份证件号", field, 1)]
    if known_divisions is not None and not isinstance(known_divisions, (set, frozenset)):
        known_divisions = set(known_divisions)
    if known_divisions is not None and not strict_division and known_provinces is None:
        known_provinces = {code[:2] for code in known_divisions}
    return _resident_id_errors(text, known_divisions, strict_division, known_provinces,  # type: ignore[arg-type]
                               today or dt.date.today(), field)


def _resident_id_errors(
    text: str,
    known: set[str] | frozenset[str] | None,
    strict: bool,
    provinces: set[str] | frozenset[str] | None,
    today: dt.date,
    field: str,
) -> list[str]:
    """:func:`check_resident_id` on a normalised number (the fast path of clean_row)."""
    if "E" in text and _SCIENTIFIC.match(text):
        return [EXCEL_NUMBER_MESSAGE.replace("身份证件号", field, 1)]
    if len(text) != 18:
        return [f"{field}应为18位,当前为{len(text)}位"]
    if not _ID_SHAPE.match(text):
        return [f"{field}格式不正确(前17位应为数字,末位为数字或X)"]
    errors: list[str] = []
    birth = _date_or_none(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    if birth is None or birth.year < _ID_MIN_YEAR:
        errors.append(f"{field}中的出生日期“{text[6:14]}”不是有效日期")
    elif birth > today:
        errors.append(f"{field}中的出生日期“{text[6:14]}”晚于当前日期")
    if _ID_CHECK_CHARS[sum(map(mul, map(int, text[:17]), _ID_WEIGHTS)) % 11] != text[17]:
        errors.append(f"{field}校验位错误")
    if known is not None:
        prefix = text[:6]
        if prefix not in known:
            if strict:
                errors.append(f"{field}前6位“{prefix}”不是有效的行政区划代码")
            elif provinces is not None and prefix[:2] not in provinces:
                errors.append(f"{field}前6位“{prefix}”不是有效的行政区划代码(省级代码不存在)")
    return errors


def check_id_agrees(
    number: str, birth_date: dt.date | None, gender: str | None, *, field: str = "身份证件号"
) -> list[str]:
    """出生日期 and 性别 must agree with a resident ID (only a well-formed number is
    compared; its own errors come from :func:`check_resident_id`)."""
    errors: list[str] = []
    from_id = birth_date_from_id(number)
    if birth_date is not None and from_id is not None and birth_date != from_id:
        errors.append(f"出生日期与{field}不一致")
    sex = gender_from_id(number)
    if gender and sex and gender != sex:
        errors.append(f"性别与{field}不一致")
    return errors


# --------------------------------------------------------------------------------------
# Names.
# --------------------------------------------------------------------------------------
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CHINESE_NAME = re.compile(rf"^[{_HAN}]+(?:·[{_HAN}]+)*$")
_FOREIGN_NAME = re.compile(rf"^[A-Za-z{_HAN}\u00c0-\u024f]+(?:[ ·.'\-]+[A-Za-z{_HAN}\u00c0-\u024f]+)*\.?$")
_PINYIN = re.compile(r"^[A-Za-züÜ]+(?:[ ·'\-][A-Za-züÜ]+)*$")
#: The separators people type for the middle dot of a minority name.
_DOT_LOOKALIKES = "•・･‧∙⋅˙\u0387\u2219\u30fb\uff65"
_DOTS = str.maketrans({c: "·" for c in _DOT_LOOKALIKES + ".．"})
_DOTS_FOREIGN = str.maketrans({c: "·" for c in _DOT_LOOKALIKES})
_FOREIGN_ID_TYPES = frozenset("6789A")
_FOREIGN_HMT = frozenset(("41", "51"))


def is_foreign_name_allowed(id_type: str | None, hmt: str | None = None) -> bool:
    """Latin letters are allowed in the name of a student (or member) who holds a
    港澳台/foreign document (ID types 6, 7, 8, 9, A) or is a foreigner (港澳台侨外 41, 51)."""
    return (id_type in _FOREIGN_ID_TYPES) or (hmt in _FOREIGN_HMT)


def normalize_name(value: object, *, foreign: bool = False) -> str:
    """What a name is stored as: surrounding whitespace removed; a Chinese name loses its
    inner spaces too ("张 三" → "张三") and every look-alike of the middle dot becomes
    "·"; a foreign name keeps single spaces and is folded to half-width."""
    text = "" if value is None else str(value)
    if foreign:
        return " ".join(unicodedata.normalize("NFKC", text).split()).translate(_DOTS_FOREIGN)
    return "".join(text.split()).translate(_DOTS)


def check_name(value: object, *, foreign: bool = False, field: str = "姓名") -> list[str]:
    """姓名: Chinese characters (any CJK block, rare characters included), 2–50 of them;
    a minority name may join its parts with "·". ``foreign`` (a student or member with a
    港澳台/foreign document) also allows Latin letters, spaces, "-", "'" and "."."""
    text = normalize_name(value, foreign=foreign)
    if not text:
        return [f"{field}不能为空"]
    if len(text) > 50:
        return [f"{field}不能超过50个字符"]
    if _CHINESE_NAME.match(text):
        if len(text) < 2:
            return [f"{field}格式不正确(至少2个汉字)"]
        return []
    if foreign and _FOREIGN_NAME.match(text):
        if len(text) < 2:
            return [f"{field}格式不正确(至少2个字符)"]
        return []
    if foreign:
        return [f"{field}格式不正确(只能填写汉字或英文字母,可含空格、“·”、“-”)"]
    return [f"{field}格式不正确(只能填写汉字,少数民族姓名可用“·”分隔)"]


# --------------------------------------------------------------------------------------
# Dates.
# --------------------------------------------------------------------------------------
_DATE_SEP = re.compile(
    r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?"
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
)
_YM_SEP = re.compile(r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*月?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31

#: parse results: (value, problem) with problem None, "format" or "invalid".
_FORMAT = "format"
_INVALID = "invalid"


def _integral(value: int | float | Decimal) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def _excel_serial(n: int) -> dt.date | None:
    """An Excel (1900 date system) serial day number → date; 60 is the fictitious
    1900-02-29."""
    if 1 <= n < 60:
        return dt.date(1899, 12, 31) + dt.timedelta(days=n - 1)
    if 60 < n <= _EXCEL_MAX_SERIAL:
        return _EXCEL_EPOCH + dt.timedelta(days=n)
    return None


def _parse_date(value: object) -> tuple[dt.date | None, str | None]:
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, bool):
        return None, _FORMAT
    if isinstance(value, (int, float, Decimal)):
        n = _integral(value)
        if n is None:
            return None, _FORMAT
        if 10000101 <= n <= 99991231:
            text = str(n)
        else:
            day = _excel_serial(n)
            return (day, None) if day else (None, _FORMAT)
    else:
        text = str(value).strip()
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
    if len(text) == 8 and text.isdigit() and text.isascii():
        year, month, day_ = int(text[:4]), int(text[4:6]), int(text[6:])
    else:
        match = _DATE_SEP.match(text)
        if not match:
            return None, _FORMAT
        year, month, day_ = (int(g) for g in match.groups())
    day = _date_or_none(year, month, day_)
    return (day, None) if day else (None, _INVALID)


def parse_date(value: object) -> dt.date | None:
    """A date from what a person or a spreadsheet gave: ``"20190101"``, ``"2019-1-1"``,
    ``"2019/01/01"``, ``"2019.01.01"``, ``"2019年1月1日"``, a ``date``/``datetime``, the
    number 20190101 or an Excel serial day number. None if it is not a real date."""
    return _parse_date(value)[0]


def check_birth_date(
    value: object, *, today: dt.date | None = None, max_age: int = 30, field: str = "出生日期"
) -> list[str]:
    """出生日期: YYYYMMDD (or a spreadsheet date), a real date, not after today, and not
    more than ``max_age`` years ago."""
    day, problem = _parse_date(value)
    return _birth_date_errors(day, problem, value, today or dt.date.today(), max_age, field)


def _birth_date_errors(day, problem, raw, today, max_age, field) -> list[str]:
    if problem == _FORMAT:
        return [f"{field}格式不正确(应为8位数字YYYYMMDD,如20190101)"]
    if problem == _INVALID:
        return [f"{field}“{_show(raw)}”不是有效日期"]
    if day > today:
        return [f"{field}不能晚于当前日期"]
    if today.year - day.year > max_age:
        return [f"{field}不合理(早于{today.year - max_age}年)"]
    return []


def _parse_year_month(value: object) -> tuple[tuple[int, int] | None, str | None]:
    if isinstance(value, (dt.date, dt.datetime)):
        return (value.year, value.month), None
    if isinstance(value, bool):
        return None, _FORMAT
    if isinstance(value, (int, float, Decimal)):
        n = _integral(value)
        if n is None:
            return None, _FORMAT
        text = str(n)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.isdigit() and len(text) in (6, 8):
        year, month = int(text[:4]), int(text[4:6])
        if len(text) == 8 and _date_or_none(year, month, int(text[6:])) is None:
            return None, _INVALID
    else:
        match = _YM_SEP.match(text)
        if not match:
            day, problem = _parse_date(text)
            if day is None:
                return None, problem if problem == _INVALID else _FORMAT
            return (day.year, day.month), None
        year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1900:
        return None, _INVALID
    return (year, month), None


def parse_year_month(value: object) -> str | None:
    """``"YYYYMM"`` from ``"202509"``, ``"2025-09"``, ``"2025年9月"``, ``"20250901"``, a
    date or the number 202509; None if it is not a real month."""
    ym = _parse_year_month(value)[0]
    return f"{ym[0]:04d}{ym[1]:02d}" if ym else None


def _next_month(day: dt.date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def check_entry_month(
    value: object,
    *,
    birth_date: dt.date | None = None,
    today: dt.date | None = None,
    field: str = "入学年月",
) -> list[str]:
    """入学年月: YYYYMM, a real month, not after next month, not before the birth month."""
    ym, problem = _parse_year_month(value)
    return _entry_month_errors(ym, problem, value, birth_date, today or dt.date.today(), field)


def _entry_month_errors(ym, problem, raw, birth_date, today, field) -> list[str]:
    if problem == _FORMAT:
        return [f"{field}格式不正确(应为6位数字YYYYMM,如202509)"]
    if problem == _INVALID:
        return [f"{field}“{_show(raw)}”不是有效的年月"]
    if ym > _next_month(today):
        return [f"{field}不能晚于下个月"]
    if birth_date is not None and ym < (birth_date.year, birth_date.month):
        return [f"{field}不能早于出生日期"]
    return []


@dataclass(frozen=True)
class EntryAgeRule:
    """小学一年级入学年龄 (SPEC F-25): ``min_age`` full years by the ``cutoff`` (month,
    day) of the entry year; ``max_age`` (full years on that day), if set, is the oldest
    allowed. A province configures its own bounds; the default is six by 31 August."""

    min_age: int = 6
    cutoff: tuple[int, int] = (8, 31)
    max_age: int | None = None


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Full years of age on ``day`` (周岁)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_entry_age(
    birth_date: dt.date,
    entry_year: int,
    *,
    min_age: int = 6,
    cutoff: tuple[int, int] = (8, 31),
    max_age: int | None = None,
) -> list[str]:
    """First-grade entry age: ``min_age`` full years old by ``cutoff`` of the entry year
    (born on 31 August six years before: in; on 1 September: out) and, if ``max_age`` is
    set, not older than that on the same day. Message "入学年龄不符合要求"."""
    month, day = cutoff
    on = _date_or_none(entry_year, month, day) or dt.date(entry_year, month, 28)
    age = age_on(birth_date, on)
    if age < min_age:
        return [f"入学年龄不符合要求(入学当年{month}月{day}日前应满{min_age}周岁)"]
    if max_age is not None and age > max_age:
        return [f"入学年龄不符合要求(入学当年{month}月{day}日不应超过{max_age}周岁)"]
    return []


def check_id_valid_until(value: object, *, field: str = "身份证件有效期") -> list[str]:
    """身份证件有效期: ``YYYYMMDD-YYYYMMDD`` (start before end) or ``YYYYMMDD-长期`` or
    ``长期``; "." separators inside the dates and "—", "~", "至" between them accepted."""
    return _valid_until(value, field)[1]


_VALID_UNTIL = re.compile(
    r"^([0-9]{4})[.\-/]?([0-9]{2})[.\-/]?([0-9]{2})\s*(?:-|~|至|—|–)\s*"
    r"(?:([0-9]{4})[.\-/]?([0-9]{2})[.\-/]?([0-9]{2})|(长期))$"
)


def _valid_until(value: object, field: str) -> tuple[str, list[str]]:
    text = unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""
    text = text.replace("—", "-").replace("–", "-").replace("~", "-")
    if text == "长期":
        return text, []
    match = _VALID_UNTIL.match(text)
    message = f"{field}格式不正确(应为YYYYMMDD-YYYYMMDD或YYYYMMDD-长期)"
    if not match:
        return "", [message]
    y1, m1, d1, y2, m2, d2, forever = match.groups()
    start = _date_or_none(int(y1), int(m1), int(d1))
    if start is None:
        return "", [message]
    if forever:
        return f"{y1}{m1}{d1}-长期", []
    end = _date_or_none(int(y2), int(m2), int(d2))
    if end is None:
        return "", [message]
    if end <= start:
        return "", [f"{field}的截止日期应晚于起始日期"]
    return f"{y1}{m1}{d1}-{y2}{m2}{d2}", []


# --------------------------------------------------------------------------------------
# Numbers, phones, postcodes, e-mail.
# --------------------------------------------------------------------------------------
_MAX_DISTANCE = Decimal(1000)


def _distance(value: object, field: str) -> tuple[Decimal | None, str | None]:
    if isinstance(value, bool):
        return None, f"{field}应为数字(公里,最多1位小数)"
    try:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidOperation
            number = Decimal(repr(value))
        elif isinstance(value, (int, Decimal)):
            number = Decimal(value)
        else:
            number = Decimal(unicodedata.normalize("NFKC", str(value)).strip())
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        return None, f"{field}应为数字(公里,最多1位小数)"
    if number < 0:
        return None, f"{field}不能为负数"
    if number >= _MAX_DISTANCE:
        return None, f"{field}应小于1000公里"
    if number != number.quantize(Decimal("0.1")):
        return None, f"{field}最多保留1位小数"
    return number.quantize(Decimal("0.1")), None


def check_distance(value: object, *, field: str = "上下学距离") -> list[str]:
    """上下学距离 (km): a non-negative number below 1000 with at most one decimal."""
    error = _distance(value, field)[1]
    return [error] if error else []


_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[1-9][0-9]{1,2}-?[1-9][0-9]{6,7}(?:-[0-9]{1,6})?$")
_INTERNATIONAL = re.compile(r"^\+[1-9][0-9]{6,14}$")
_PHONE_SPACES = re.compile(r"[\s()()]")


def _as_text(value: object) -> str:
    """A cell as text: integral numbers without ".0", strings stripped."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal)):
        n = _integral(value)
        return str(n) if n is not None else str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y%m%d") if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    return str(value).strip()


#: A spreadsheet cell as the text a person typed (``20190101`` for a date cell, ``1`` for
#: 1.0): what an import keeps of a failing row (导出未通过行).
as_text = _as_text


def _phone(value: object, field: str) -> tuple[str, str | None]:
    text = _as_text(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = _PHONE_SPACES.sub("", text)
    if text.startswith("+86"):
        text = text[3:].lstrip("-")
    bare = text.replace("-", "")
    if _MOBILE.match(bare):
        return bare, None
    if _LANDLINE.match(text) or (text.startswith("+") and _INTERNATIONAL.match(bare)):
        return text, None
    return "", f"{field}格式不正确(手机号为11位,固定电话需带区号,如020-12345678)"


def check_phone(value: object, *, field: str = "联系电话") -> list[str]:
    """联系电话: a mainland mobile (11 digits, 1[3-9]…, "+86" allowed), a landline with
    its area code (0 + 2–3 digits, then 7–8 digits; hyphens and an extension allowed), or
    an international number in "+" form (港澳台 and foreign families)."""
    error = _phone(value, field)[1]
    return [error] if error else []


_POSTCODE = re.compile(r"^[0-9]{6}$")


def _postcode(value: object, field: str) -> tuple[str, str | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        n = _integral(value)
        text = str(n).zfill(6) if n is not None and 0 <= n < 1_000_000 else str(value)
    else:
        text = unicodedata.normalize("NFKC", _as_text(value)).replace(" ", "")
    if _POSTCODE.match(text):
        return text, None
    return "", f"{field}应为6位数字"


def check_postcode(value: object, *, field: str = "邮政编码") -> list[str]:
    """邮政编码: 6 digits (a numeric cell that lost its leading zero is padded)."""
    error = _postcode(value, field)[1]
    return [error] if error else []


_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$")


def check_email(value: object, *, field: str = "电子信箱") -> list[str]:
    """电子信箱: name@domain.tld, at most 100 characters."""
    text = _as_text(value)
    if len(text) > 100:
        return [f"{field}不能超过100个字符"]
    if not _EMAIL.match(text):
        return [f"{field}格式不正确"]
    return []


# --------------------------------------------------------------------------------------
# Division codes.
# --------------------------------------------------------------------------------------
def _division_text(value: object) -> str:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        n = _integral(value)
        return str(n) if n is not None else str(value)
    text = _as_text(value)
    return text if text.isascii() else unicodedata.normalize("NFKC", text).strip()


def check_division_code(
    code: object, known_codes: Iterable[str] | None, field: str = "行政区划代码"
) -> list[str]:
    """A 12-digit division code (``org.rules.check_division_code_format``: 6 digits and
    six zeros) that exists in ``known_codes`` (12-digit codes; None skips existence)."""
    text = _division_text(code)
    errors = org_rules.check_division_code_format(text, field)
    if errors:
        return errors
    if known_codes is not None and text not in known_codes:
        return [f"{field}“{text}”不存在"]
    return []


# --------------------------------------------------------------------------------------
# Identity, required fields, family.
# --------------------------------------------------------------------------------------
_HMT_OF_DOCUMENT = {"6": "01", "7": "03", "8": "05"}
_NO_RESIDENT_ID_HMT = frozenset(("01", "03", "05", "41", "51"))
_CHINESE_NATIONALITY = frozenset(("CHN", "HKG", "MAC", "TWN"))


def check_identity_consistency(id_type: str | None, nationality: str | None, hmt: str | None) -> list[str]:
    """身份证件类型, 国籍/地区 and 港澳台侨外 must fit together:

    - 居民身份证 (1): 国籍/地区 CHN, and not a 港澳台同胞 or foreigner (01, 03, 05, 41, 51);
    - 香港/澳门特区证件 (6, 7), 台湾居民来往大陆通行证 (8): 港澳台侨外 01, 03, 05;
    - 境外永久居留证 (9), 护照 (A): 港澳台侨外 not 00 否;
    - a foreign 国籍/地区 (not CHN/HKG/MAC/TWN) goes with 41 外籍华裔人, 51 外国人 or
      99 其他, and 41/51 with a foreign 国籍/地区.
    Any of the three missing: nothing is compared.
    """
    errors: list[str] = []
    if id_type == "1":
        if nationality and nationality != "CHN":
            errors.append("持居民身份证的学生国籍/地区应为CHN-中国")
        if hmt in _NO_RESIDENT_ID_HMT:
            errors.append(f"持居民身份证的学生港澳台侨外不能为“{codes.label('hmt', hmt)}”")
    elif id_type in _HMT_OF_DOCUMENT:
        wanted = _HMT_OF_DOCUMENT[id_type]
        if hmt and hmt != wanted:
            errors.append(
                f"身份证件类型“{codes.label('id_type', id_type)}”与港澳台侨外不一致(应为{codes.label('hmt', wanted)})"
            )
    elif id_type in ("9", "A"):
        if hmt == "00":
            errors.append(f"身份证件类型为“{codes.label('id_type', id_type)}”的学生港澳台侨外不能为“00-否”")
    if nationality and hmt:
        foreign_country = nationality not in _CHINESE_NATIONALITY
        if foreign_country and hmt not in ("41", "51", "99"):
            errors.append("国籍/地区为外国的学生,港澳台侨外应为41外籍华裔人、51外国人或99其他")
        elif not foreign_country and hmt in ("41", "51"):
            errors.append(f"港澳台侨外为“{codes.label('hmt', hmt)}”的学生,国籍/地区不能为中国")
    return errors


@lru_cache(maxsize=16)
def required_fields(id_type: str | None) -> tuple[str, ...]:
    """The headers that must be filled for a student with ``id_type`` (an unknown or
    missing type: only the ``"always"`` columns). Family members' 姓名/关系 are decided by
    :func:`check_family`."""
    return tuple(f.header for f in F.FIELDS if f.required_for(id_type))


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_required(row: Mapping[str, object], id_type: str | None) -> list[str]:
    """"X不能为空" for every required header of ``id_type`` that ``row`` ({header: value})
    leaves empty (None or blank text)."""
    return [f"{header}不能为空" for header in required_fields(id_type) if _is_empty(row.get(header))]


_MEMBER_DATA_ATTRS = tuple(f.attr for f in F.MEMBER_FIELDS[1])
#: A member cell that was filled but refused while cleaning the row (and reported then):
#: check_family treats it as filled and as nothing it can check further.
_REFUSED = "\x00"
_RELATION_OTHER = "9"


def check_family(
    members: Iterable[Mapping[str, Any]],
    student_id_type: str | None,
    *,
    known_divisions: Iterable[str] | None = None,
    strict_division: bool = False,
    known_provinces: Iterable[str] | None = None,
    foreign_student: bool = False,
    today: dt.date | None = None,
) -> list[str]:
    """家庭成员 (SPEC F-22, F-25). ``members`` are dicts of FamilyMember attrs plus
    ``seq`` (1, 2 …) — cleaned values (codes, ``is_guardian`` True/False/None).

    - at least one member with a 姓名;
    - a member with any data needs 姓名 (in the 姓名 format) and 关系;
    - 关系 9 其他 needs 关系说明;
    - 身份证件号 needs 身份证件类型, and a type other than Z needs a number; a 居民身份证
      number is checked like the student's (:func:`check_resident_id`; by default a
      member's number from a revoked county passes if its province is known —
      ``strict_division`` turns that off);
    - a student of ID type Z needs a guardian (是否监护人 是) with a valid 居民身份证.
    """
    errors: list[str] = []
    named = 0
    guardian_with_id = False
    for member in members:
        seq = member.get("seq")
        p = f"成员{seq}"
        for attr in _MEMBER_DATA_ATTRS:  # any data at all? (inline: once per member of every row)
            value = member.get(attr)
            if value is not None and (value.__class__ is not str or (value and not value.isspace())):
                break
        else:
            continue
        name = member.get("name")
        id_type = member.get("id_type") or None
        if _is_empty(name):
            errors.append(f"{p}姓名不能为空")
        else:
            named += 1
            errors += check_name(
                name, foreign=foreign_student or is_foreign_name_allowed(id_type), field=f"{p}姓名"
            )
        relation = member.get("relation")
        if _is_empty(relation):
            errors.append(f"{p}关系不能为空")
        elif relation == _RELATION_OTHER and _is_empty(member.get("relation_note")):
            errors.append(f"{p}关系为“其他”时,{p}关系说明不能为空")
        number = member.get("id_number")
        id_ok = False
        if number == _REFUSED or id_type == _REFUSED:
            pass  # refused while cleaning the row, and reported there
        elif not _is_empty(number) and id_type is None:
            errors.append(f"{p}身份证件类型不能为空(已填写{p}身份证件号)")
        elif id_type is not None and id_type != "Z" and _is_empty(number):
            errors.append(f"{p}身份证件号不能为空")
        elif id_type == "1":
            id_errors = check_resident_id(
                number, known_divisions=known_divisions, strict_division=strict_division,
                known_provinces=known_provinces, today=today, field=f"{p}身份证件号",
            )
            errors += id_errors
            id_ok = not id_errors
        if id_ok and member.get("is_guardian") is True:
            guardian_with_id = True
    if named == 0:
        errors.append("成员1姓名不能为空(至少填写1名家庭成员)")
    if student_id_type == "Z" and not guardian_with_id:
        errors.append("无身份证件的学生至少要有1名监护人(是否监护人为“是”)填写有效的居民身份证号")
    return errors


# --------------------------------------------------------------------------------------
# clean_row
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CleanContext:
    """What :func:`clean_row` needs from outside the row, as plain data.

    - ``entry``: "resident" (身份证件类型 1 only), "foreign" (6, 7, 8, 9, A), "no-id" (Z),
      or "" (any type: data collection, batch edit);
    - ``first_grade``: 小学新生注册 — the entry-age rule applies, the class must be a 小学
      class and 入学年月 must be in its entry year;
    - ``known_division_codes``: the 12-digit codes that exist (None: format check only —
      a registration service must pass them);
    - ``known_division_prefixes``: 6-digit codes an ID number may start with (include
      revoked divisions here); None: derived from ``known_division_codes``;
    - ``division_names``: the name index (``org.rules.build_division_names``): division
      columns then take a county-level name ("广东省广州市天河区") as well as the code, and
      refuse what does not reach a county; None: codes only, any known level;
    - ``classes``: the school's classes, 班号 → (stage, entry year), only those this entry
      may register to (None: format check only);
    - ``school_code``: the importing school's 学校标识码 (None: format check only);
    - ``entry_age``: the province's :class:`EntryAgeRule`;
    - ``strict_id_division``: a student's resident ID must start with a known division
      (SPEC); ``strict_member_id_division``: the same for family members (default off:
      parents' numbers often carry counties revoked since);
    - ``today``: the local date (pass ``django.utils.timezone.localdate()``).
    """

    entry: str = ""
    first_grade: bool = False
    today: dt.date = field(default_factory=dt.date.today)
    known_division_codes: frozenset[str] | set[str] | None = None
    known_division_prefixes: frozenset[str] | set[str] | None = None
    division_names: org_rules.DivisionNames | None = None
    classes: Mapping[str, tuple[str, int]] | None = None
    school_code: str | None = None
    entry_age: EntryAgeRule = EntryAgeRule()
    strict_id_division: bool = True
    strict_member_id_division: bool = False
    max_student_age: int = 30

    def __post_init__(self) -> None:
        if self.entry not in F.ID_TYPES_BY_ENTRY_KIND:
            raise ValueError(f"unknown entry {self.entry!r}")

    @cached_property
    def id_prefixes(self) -> frozenset[str] | None:
        if self.known_division_prefixes is not None:
            return frozenset(self.known_division_prefixes)
        if self.known_division_codes is not None:
            return frozenset(code[:6] for code in self.known_division_codes)
        return None

    @cached_property
    def id_provinces(self) -> frozenset[str] | None:
        prefixes = self.id_prefixes
        return None if prefixes is None else frozenset(p[:2] for p in prefixes)

    @cached_property
    def allowed_id_types(self) -> frozenset[str]:
        return F.ID_TYPES_BY_ENTRY_KIND[self.entry]

    @cached_property
    def memos(self) -> dict[str, dict]:
        """Per-column memo of cleaned cells for this import (see ``_MEMO_KINDS``)."""
        return {f.header: {} for f in F.FIELDS}


@dataclass
class CleanResult:
    """``values``: Student attr → Python value (str codes, ``date``, ``bool``/None,
    ``Decimal``/None, "" for empty text) plus ``school_code`` and ``class_code``;
    ``family``: one dict per member that has data (FamilyMember attrs plus ``seq``);
    ``errors``: every message for the row, in column order; ``problems``: the same as
    ``(header, message)`` pairs, the header being the column the message is about (for
    highlighting a cell)."""

    values: dict[str, Any]
    family: list[dict[str, Any]]
    errors: list[str]
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# Cleaners: (field, raw non-empty value, context) → (value, error or None).
def _clean_text(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    text = _as_text(raw)
    if f.max_length and len(text) > f.max_length:
        return "", f"{f.header}不能超过{f.max_length}个字符"
    return text, None


#: Parsed code-table cells, per table: a column holds few distinct spellings, so an
#: import parses each once ("1-男" 100,000 times is one parse and 99,999 dict hits).
_CODE_MEMO: dict[str, dict[object, str | None]] = {}
_CODE_MEMO_LIMIT = 5000


def _parse_code(table: str, raw: object) -> str | None:
    memo = _CODE_MEMO.get(table)
    if memo is None:
        memo = _CODE_MEMO[table] = {}
    try:
        return memo[raw]
    except KeyError:
        pass
    except TypeError:  # unhashable
        return codes.parse(table, raw)
    code = codes.parse(table, raw)
    if len(memo) >= _CODE_MEMO_LIMIT:
        memo.clear()
    if raw.__class__ in (str, int, float):  # not bool: True == 1 would share a slot
        memo[raw] = code
    return code


def _clean_code(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    code = _parse_code(f.code_table, raw)  # type: ignore[arg-type]
    if code is None:
        return "", f"{f.header}“{_show(raw)}”不是有效的取值,请从下拉列表中选择"
    if f.only is not None and code not in f.only:
        allowed = "或".join(codes.label(f.code_table, c) for c in f.only)  # type: ignore[arg-type]
        return "", f"{f.header}只能填写{allowed}"
    return code, None


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).replace("其它", "其他")


def _choice_index(options: tuple[tuple[str, str], ...]) -> dict[str, str]:
    index: dict[str, str] = {}
    for code, name in options:
        for text in (code, name, *(f"{code}{sep}{name}" for sep in ("", "-", "_", ":", "、", "."))):
            index[_fold(text)] = code
    return index


_CHOICES: dict[str, dict[str, str]] = {
    f.header: _choice_index(f.options) for f in F.FIELDS if f.options is not None
}


def _clean_choice(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    code = _CHOICES[f.header].get(_fold(_as_text(raw)))
    if code is None:
        return "", f"{f.header}“{_show(raw)}”不是有效的取值,请从下拉列表中选择"
    return code, None


#: Spellings of 是否留守儿童 in older templates (非留守儿童 / 单亲 / 双亲留守儿童).
_BOOL_EXTRA = {"非留守儿童": False, "单亲留守儿童": True, "双亲留守儿童": True}


def _clean_bool(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    code = _parse_code("yes_no", raw)
    if code is not None:
        return code == "1", None
    text = _as_text(raw)
    if text in _BOOL_EXTRA:
        return _BOOL_EXTRA[text], None
    return None, f"{f.header}只能填写“是”或“否”"


def _clean_date(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    day, problem = _parse_date(raw)
    errors = _birth_date_errors(day, problem, raw, ctx.today, ctx.max_student_age, f.header)
    return (day, None) if not errors else (None, errors[0])


def _clean_year_month(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    ym, problem = _parse_year_month(raw)
    # The birth-date comparison happens once the whole row is read.
    errors = _entry_month_errors(ym, problem, raw, None, ctx.today, f.header)
    return (f"{ym[0]:04d}{ym[1]:02d}", None) if not errors else ("", errors[0])


#: What a division column says of a value that does not name a county (seed 000: 籍贯
#: "精确填写到某某省某某市某某区或县").
NOT_COUNTY_MESSAGE = "应精确填写到区县(如“广东省广州市天河区”或12位行政区划代码)"


def _clean_division(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    """A 12-digit code, or — with ``ctx.division_names`` — a county-level name, to the
    county's code."""
    text = _division_text(raw)
    names = ctx.division_names
    if names is not None and not text.isascii():
        code, problem = org_rules.resolve_division_name(text, names)
        if code is not None:
            return code, None
        if problem == "ambiguous":
            return "", f"{f.header}“{_show(raw)}”对应多个区县,请写明所在省、市或填写12位行政区划代码"
        return "", f"{f.header}{NOT_COUNTY_MESSAGE}"
    errors = check_division_code(text, ctx.known_division_codes, f.header)
    if errors:
        return "", errors[0]
    if names is not None and text not in names.county_codes:
        return "", f"{f.header}{NOT_COUNTY_MESSAGE}"
    return text, None


def _clean_id_number(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    """Normalise; refuse what Excel made a number. The per-type checks come later."""
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        n = _integral(raw)
        if n is None or abs(n) >= 10**14:
            return "", EXCEL_NUMBER_MESSAGE.replace("身份证件号", f.header, 1)
        return _NumericId(str(n)), None
    text = normalize_id_number(raw)
    if _SCIENTIFIC.match(text):
        return "", EXCEL_NUMBER_MESSAGE.replace("身份证件号", f.header, 1)
    if len(text) > 30:
        return "", f"{f.header}不能超过30个字符"
    return text, None


class _NumericId(str):
    """An ID number that came from a numeric cell (so a resident ID lost its digits)."""


def _clean_distance(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    return _distance(raw, f.header)


def _clean_phone(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    text, error = _phone(raw, f.header)
    if not error and len(text) > (f.max_length or 20):
        return "", f"{f.header}不能超过{f.max_length}个字符"
    return text, error


def _clean_postcode(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    return _postcode(raw, f.header)


def _clean_email(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    text = _as_text(raw)
    errors = check_email(text, field=f.header)
    return (text, None) if not errors else ("", errors[0])


def _clean_url(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    text = _as_text(raw)
    if f.max_length and len(text) > f.max_length:
        return "", f"{f.header}不能超过{f.max_length}个字符"
    if any(c.isspace() for c in text):
        return "", f"{f.header}格式不正确(不能含空格)"
    return text, None


def _clean_valid_until(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    text, errors = _valid_until(_as_text(raw), f.header)
    return (text, None) if not errors else ("", errors[0])


def _clean_pinyin(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    text = " ".join(unicodedata.normalize("NFKC", _as_text(raw)).split())
    if f.max_length and len(text) > f.max_length:
        return "", f"{f.header}不能超过{f.max_length}个字符"
    if not _PINYIN.match(text):
        return "", f"{f.header}格式不正确(只能填写拼音字母和空格)"
    return text, None


def _clean_raw_text(f: F.Field, raw: object, ctx: CleanContext) -> tuple[Any, str | None]:
    """姓名, 学校标识码, 班号: kept as text here, checked once the row is read."""
    return (raw if isinstance(raw, str) else _as_text(raw)), None


_CLEANERS = {
    "school": _clean_raw_text,
    "class": _clean_raw_text,
    "name": _clean_raw_text,
    "pinyin": _clean_pinyin,
    "text": _clean_text,
    "code": _clean_code,
    "choice": _clean_choice,
    "bool": _clean_bool,
    "date": _clean_date,
    "yearmonth": _clean_year_month,
    "division": _clean_division,
    "id_number": _clean_id_number,
    "id_valid_until": _clean_valid_until,
    "decimal1": _clean_distance,
    "phone": _clean_phone,
    "postcode": _clean_postcode,
    "email": _clean_email,
    "url": _clean_url,
}

_EMPTY_BY_KIND = {"bool": None, "date": None, "decimal1": None}

#: Kinds whose cleaned value depends only on the cell and the context, and whose
#: columns hold few distinct values: their results are memoised per import.
_MEMO_KINDS = frozenset(
    ("code", "choice", "bool", "date", "yearmonth", "division", "decimal1", "postcode", "id_valid_until")
)


#: The cell types memoised (what a spreadsheet gives; not bool, whose True == 1).
_MEMO_CLASSES = frozenset((str, int, float, dt.date, dt.datetime))


def _plan(fields: Iterable[F.Field]) -> tuple[tuple[str, str, Any, F.Field, Any, bool], ...]:
    """(header, attr, cleaner, field, empty value, memoise?) for each column, built once."""
    return tuple(
        (f.header, f.attr, _CLEANERS[f.kind], f, _EMPTY_BY_KIND.get(f.kind, ""), f.kind in _MEMO_KINDS)
        for f in fields
    )


_STUDENT_PLAN = _plan(F.STUDENT_FIELDS)
_MEMBER_PLAN = {n: _plan(fs) for n, fs in F.MEMBER_FIELDS.items()}
#: header → (member seq, 0 for the student's own columns; attr, cleaner, field, empty
#: value, memoise?): clean_row walks the cells the row has, not every column.
_COLUMNS = {
    header: (seq, attr, cleaner, f, blank, memoise)
    for seq, plan in ((0, _STUDENT_PLAN), *_MEMBER_PLAN.items())
    for header, attr, cleaner, f, blank, memoise in plan
}
_STUDENT_BLANKS = {attr: blank for _, attr, _, _, blank, _ in _STUDENT_PLAN}
_STUDENT_HEADERS = {header for header, *_ in _STUDENT_PLAN}  # never changed: clean_row takes differences
_MEMBER_BLANKS = {seq: {"seq": seq, **{attr: blank for _, attr, _, _, blank, _ in plan}}
                  for seq, plan in _MEMBER_PLAN.items()}


def stored_values(values: dict[str, Any]) -> dict[str, Any]:
    """Cleaned record values as a business payload keeps them: the text items left empty
    (about a third of the 72) are left out — a smaller payload is a cheaper write (on
    PostgreSQL every payload is parsed into ``jsonb``: docs/PERFORMANCE.md). Booleans and
    ``None`` stay. :func:`full_values` gives the whole mapping back."""
    return {attr: value for attr, value in values.items() if value != "" or _STUDENT_BLANKS.get(attr) != ""}


def full_values(values: dict[str, Any]) -> dict[str, Any]:
    """Every record value, with the blank of each item a payload left out
    (:func:`stored_values`) — what :func:`clean_row` gave."""
    return {**_STUDENT_BLANKS, **values}


_INCLUSIVE_DISABILITY = {"1": ("1",), "2": ("2",), "3": ("5",), "9": ("3", "4", "6", "7")}


def _show(value: object) -> str:
    text = _as_text(value)
    return text if len(text) <= 30 else text[:30] + "…"


_POSITION = {header: index for index, header in enumerate(F.headers())}


def _member_header(message: str) -> str:
    """The member column a check_family message is about (成员1姓名 …); the guardian
    rule goes to 成员1是否监护人."""
    for f in _MEMBER_FIELDS_LONGEST_FIRST:
        if message.startswith(f.header):
            return f.header
    return "成员1是否监护人"


_MEMBER_FIELDS_LONGEST_FIRST = sorted(
    F.MEMBER_FIELDS[1] + F.MEMBER_FIELDS[2], key=lambda f: len(f.header), reverse=True
)


def clean_row(raw: Mapping[str, object], *, context: CleanContext) -> CleanResult:
    """Clean and check one row of the 72-item template (``{header: cell value}``; missing
    headers count as empty). Returns every error of the row — the row passes only when
    ``errors`` is empty. See the module docstring and docs/FIELD_RULES.md."""
    ctx = context
    values: dict[str, Any] = dict(_STUDENT_BLANKS)
    problems: list[tuple[str, str]] = []
    add = problems.append
    filled: list[str] = []
    bad: set[str] = set()  # headers whose value was refused (no further checks on them)
    memos = ctx.memos
    members: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}  # seq → (member, what check_family sees)

    # Each filled cell the row has, through its column's cleaner (memoised for the
    # columns with few distinct values).
    for header, cell in raw.items():
        column = _COLUMNS.get(header)
        if column is None:
            continue  # not a template column
        if cell is None or (cell.__class__ is str and (not cell or cell.isspace())):  # type: ignore[union-attr]
            continue
        seq, attr, cleaner, f, blank, memoise = column
        if memoise and cell.__class__ in _MEMO_CLASSES:
            memo = memos[header]
            result = memo.get(cell)
            if result is None:
                if len(memo) > 20000:
                    memo.clear()
                result = memo[cell] = cleaner(f, cell, ctx)
            value, error = result
        else:
            value, error = cleaner(f, cell, ctx)
        if not seq:
            values[attr] = value
            filled.append(header)
            if error:
                add((header, error))
                bad.add(header)
            continue
        pair = members.get(seq)
        if pair is None:
            pair = members[seq] = (dict(_MEMBER_BLANKS[seq]), dict(_MEMBER_BLANKS[seq]))
        if error:
            add((header, error))
            pair[0][attr] = blank
            # Filled but refused (already reported): present for check_family, but
            # not a value it would judge again.
            pair[1][attr] = _REFUSED
        else:
            pair[0][attr] = pair[1][attr] = value
    empty = _STUDENT_HEADERS.difference(filled)

    id_type = values["id_type"] or None
    hmt = values["hmt"] or None
    nationality = values["nationality"] or None

    # 身份证件类型 allowed by the entry.
    if id_type is not None and id_type not in ctx.allowed_id_types:
        allowed = "、".join(codes.label("id_type", t) for t in sorted(ctx.allowed_id_types))
        add(("身份证件类型", f"身份证件类型“{codes.label('id_type', id_type)}”不能在本入口注册(应为{allowed})"))

    # 身份证件号.
    number = values["id_number"]
    if number and "身份证件号" not in bad:
        if id_type == "1":
            if isinstance(number, _NumericId):
                id_errors = [EXCEL_NUMBER_MESSAGE]
            else:
                id_errors = _resident_id_errors(
                    number, ctx.id_prefixes, ctx.strict_id_division, ctx.id_provinces, ctx.today, "身份证件号"
                )
            problems += [("身份证件号", e) for e in id_errors]
            if id_errors:
                bad.add("身份证件号")
            else:
                birth_from_id = _date_or_none(int(number[6:10]), int(number[10:12]), int(number[12:14]))
                gender_from_number = "1" if int(number[16]) % 2 else "2"
                # 性别 and 出生日期 left empty are taken from the number.
                if "出生日期" in empty:
                    values["birth_date"] = birth_from_id
                    empty.discard("出生日期")
                    problems += [("出生日期", e) for e in _birth_date_errors(
                        birth_from_id, None, number, ctx.today, ctx.max_student_age, "出生日期")]
                elif values["birth_date"] is not None and values["birth_date"] != birth_from_id:
                    add(("出生日期", "出生日期与身份证件号不一致"))
                if "性别" in empty:
                    values["gender"] = gender_from_number
                    empty.discard("性别")
                elif values["gender"] and values["gender"] != gender_from_number:
                    add(("性别", "性别与身份证件号不一致"))
        elif id_type is not None and not _OTHER_DOCUMENT.match(number):
            add(("身份证件号", "身份证件号格式不正确(只能含字母、数字、括号和“-”)"))
        values["id_number"] = str(number)

    # Required columns.
    for header in required_fields(id_type):
        if header in empty:
            add((header, f"{header}不能为空"))

    # 姓名 and 曾用名.
    foreign = is_foreign_name_allowed(id_type, hmt)
    for attr, header in (("name", "姓名"), ("former_name", "曾用名")):
        if header not in empty:
            name_errors = check_name(values[attr], foreign=foreign, field=header)
            problems += [(header, e) for e in name_errors]
            values[attr] = normalize_name(values[attr], foreign=foreign) if not name_errors else ""

    for message in check_identity_consistency(id_type, nationality, hmt):
        add(("国籍/地区" if "国籍/地区应为" in message else "港澳台侨外", message))

    # 学校标识码.
    if "学校标识码" not in empty:
        school = _division_text(values["school_code"])
        values["school_code"] = school
        school_errors = org_rules.check_school_code(school)
        if not school_errors and ctx.school_code is not None and school != ctx.school_code:
            school_errors = [f"学校标识码“{school}”与当前学校({ctx.school_code})不一致"]
        problems += [("学校标识码", e) for e in school_errors]

    # 班号, 入学年月, 入学年龄.
    birth = values["birth_date"]
    entry_month = values["entry_month"]
    placement = None
    if "班号" not in empty:
        code = _division_text(values["class_code"])
        values["class_code"] = code
        placement = ctx.classes.get(code) if ctx.classes is not None else None
        if placement is not None:
            class_errors = org_rules.check_class_code(code, placement[0], placement[1])
        else:
            class_errors = org_rules.check_class_code(code)
            if not class_errors and ctx.classes is not None:
                class_errors = [f"班号“{code}”在本校不存在"]
        if not class_errors and ctx.first_grade:
            stage = placement[0] if placement else code[4]
            if stage != "1":
                class_errors = [f"班号“{code}”不是小学班级,小学新生只能注册到小学一年级班级"]
        problems += [("班号", e) for e in class_errors]
        if class_errors:
            placement = None
    if entry_month:
        if birth is not None and (int(entry_month[:4]), int(entry_month[4:])) < (birth.year, birth.month):
            add(("入学年月", "入学年月不能早于出生日期"))
        if ctx.first_grade and placement is not None and int(entry_month[:4]) != placement[1]:
            add(("入学年月", f"入学年月{entry_month}与班号的入学年份{placement[1]}不一致"))
    if ctx.first_grade and birth is not None:
        entry_year = placement[1] if placement else (int(entry_month[:4]) if entry_month else None)
        if entry_year is not None:
            rule = ctx.entry_age
            problems += [("出生日期", e) for e in check_entry_age(
                birth, entry_year, min_age=rule.min_age, cutoff=rule.cutoff, max_age=rule.max_age)]

    # 随班就读 and 残疾类型.
    inclusive = values["inclusive_education"]
    if inclusive and inclusive != "0":
        disability = values["disability_type"]
        if disability and disability not in _INCLUSIVE_DISABILITY[inclusive]:
            add(("随班就读", "随班就读与残疾类型不一致"))

    # 家庭成员.
    family: list[dict[str, Any]] = []
    checkable: list[dict[str, Any]] = []
    for seq in sorted(members):
        member, check = members[seq]
        member_type = member["id_type"] or None
        if check["id_number"] is _REFUSED or check["id_type"] is _REFUSED:
            check["id_type"] = check["id_number"] = _REFUSED
        elif member_type == "1" and isinstance(member["id_number"], _NumericId):
            header = f"成员{seq}身份证件号"
            add((header, EXCEL_NUMBER_MESSAGE.replace("身份证件号", header, 1)))
            check["id_type"] = check["id_number"] = _REFUSED
        member["name"] = normalize_name(
            member["name"], foreign=foreign or is_foreign_name_allowed(member_type)
        )
        member["id_number"] = str(member["id_number"])
        family.append(member)
        checkable.append(check)
    for message in check_family(
        checkable, id_type,
        known_divisions=ctx.id_prefixes, strict_division=ctx.strict_member_id_division,
        known_provinces=ctx.id_provinces, foreign_student=foreign, today=ctx.today,
    ):
        add((_member_header(message), message))

    if problems:
        problems.sort(key=lambda p: _POSITION[p[0]])
    return CleanResult(values=values, family=family, errors=[m for _, m in problems], problems=problems)


# --------------------------------------------------------------------------------------
# 学籍状态 and the businesses each allows (SPEC F-27) — the one table.
# --------------------------------------------------------------------------------------
#: 学籍状态 code → name. ``models.Status`` holds the same codes (a test keeps the two
#: equal); this plain table is what the pure rules below speak.
STATUS_NAMES: dict[str, str] = {
    "10": "在校", "11": "休学", "12": "转出", "20": "毕业", "21": "结业", "22": "肄业",
    "30": "辍学", "31": "死亡", "32": "失踪", "33": "开除", "34": "退学", "35": "出境",
    "36": "去中职就读", "39": "其他离校", "99": "已删除",
}
DELETED_STATUS = "99"

# Business type codes (xueji.workflow.registry) grouped as the menus of seed 004 group
# them. Plain strings: students sits below workflow and the codes are stable ASCII.
_KEY_MAINTENANCE = frozenset({"key_change", "key_change_no_id", "key_change_name_id", "record_change"})
_PROBLEMS = frozenset({
    "problem_change", "problem_change_no_id", "problem_proof", "problem_delete",
    "xp_problem_change", "xp_problem_proof", "xp_problem_delete",
})
_GRADUATION = frozenset({"graduate_primary", "graduate_junior", "graduate_senior"})
_COMPLETION = frozenset({"complete_primary", "complete_junior", "complete_senior"})
_TRANSFER = frozenset({"transfer_in_province", "transfer_in_province_out"})
_LEFT = frozenset({"appeal"}) | _PROBLEMS  # what every record that has left school may still do

#: 学籍状态 → the business types (workflow codes) a student in it may start (F-27).
#: docs/RECORD.md shows it as a table; docs/DECISIONS.md says where seed 004 is silent.
ALLOWED_BUSINESS: dict[str, frozenset[str]] = {
    "10": _KEY_MAINTENANCE | _PROBLEMS | _TRANSFER | _GRADUATION | _COMPLETION | frozenset({
        "appeal", "suspend", "repeat_grade", "skip_grade", "expel", "quit_school", "death", "missing",
        "go_abroad", "to_special_school", "dropout", "incomplete", "to_vocational",
        "transfer_on_promotion", "transfer_cross_province", "mistaken_delete",
    }),
    "11": _KEY_MAINTENANCE | _PROBLEMS | frozenset({
        "appeal", "resume", "expel", "quit_school", "death", "missing", "mistaken_delete",
    }),
    "12": frozenset(),  # 转出: the transfer in progress is the only business
    "20": _LEFT | frozenset({
        "graduate_return", "transfer_on_promotion", "transfer_cross_province", "cross_province_after_graduation",
        "admit_junior", "admit_senior", "dup_admission_evidence",
    }),
    "21": _LEFT | _GRADUATION | frozenset({
        "graduate_return", "cross_province_after_graduation", "admit_junior", "admit_senior",
        "dup_admission_evidence",
    }),
    "22": _LEFT | _GRADUATION | _COMPLETION | frozenset({"graduate_return"}),
    "30": _LEFT | _GRADUATION | _COMPLETION | frozenset({"restore_admission", "death", "missing"}),
    "31": _LEFT,
    "32": _LEFT | frozenset({"restore_admission", "death"}),
    "33": _LEFT | frozenset({"restore_admission", "transfer_cross_province"}),
    "34": _LEFT | frozenset({"restore_admission", "transfer_cross_province"}),
    "35": _LEFT | frozenset({"return_from_abroad", "transfer_cross_province", "death"}),
    "36": _LEFT | frozenset({"restore_admission"}),
    "39": _LEFT | _GRADUATION | _COMPLETION | frozenset({"restore_admission", "transfer_cross_province"}),
    "99": frozenset(),
}

#: (status, business type) → the 学段 the student must be in: 跨省转学 of a graduate is
#: for a 小学毕业 pupil only (seed 004 §18).
STAGE_LIMITS: dict[tuple[str, str], tuple[str, ...]] = {("20", "transfer_cross_province"): ("1",)}


def business_allowed(status: str, kind: str, *, kind_name: str = "", stage: str | None = None) -> str | None:
    """May a student with 学籍状态 ``status`` (in 学段 ``stage``) start a business of
    type ``kind``? None when yes, else the Chinese refusal ("学籍状态为休学的学生不能办理
    省内转学"). ``kind_name`` is the type's Chinese name (the workflow registry's)."""
    what = kind_name or "该业务"
    if status not in STATUS_NAMES:
        return f"学籍状态“{status}”不是有效的学籍状态,不能办理{what}"
    if kind not in ALLOWED_BUSINESS[status]:
        return f"学籍状态为{STATUS_NAMES[status]}的学生不能办理{what}"
    stages = STAGE_LIMITS.get((status, kind))
    if stages is not None and stage not in stages:
        if stage in org_rules.STAGE_NAMES:
            return f"学籍状态为{STATUS_NAMES[status]}的{org_rules.STAGE_NAMES[stage]}学生不能办理{what}"
        allowed = "、".join(org_rules.STAGE_NAMES[s] for s in stages)
        return f"学籍状态为{STATUS_NAMES[status]}的学生只有{allowed}学生可以办理{what}"
    return None


# --------------------------------------------------------------------------------------
# Key data changes (关键数据, F-20/F-43): what the record may become, and its number.
# --------------------------------------------------------------------------------------
#: The key data a key change may set on the record itself (班号 is a placement: a move).
KEY_CHANGE_ATTRS = frozenset(F.KEY_ATTRS - {"class_code"})
_GENDERS = frozenset(("1", "2"))


def check_key_data(values: Mapping[str, Any], *, today: dt.date,
                   known_divisions: Iterable[str] | None = None) -> list[str]:
    """The key data of a record after a change (``values``: the KEY_CHANGE_ATTRS, cleaned
    Python values) must hold together: a name, 性别 1/2, a real birth date not after
    ``today``, known codes, a document number fitting its type (a resident ID checked
    like at registration, agreeing with 出生日期 and 性别; type Z without a number), and
    身份证件类型, 国籍/地区 and 港澳台侨外 consistent."""
    errors: list[str] = []
    id_type = values.get("id_type") or ""
    hmt = values.get("hmt") or ""
    nationality = values.get("nationality") or ""
    errors += check_name(values.get("name"), foreign=is_foreign_name_allowed(id_type, hmt))
    if values.get("gender") not in _GENDERS:
        errors.append("性别应为1-男或2-女")
    birth = values.get("birth_date")
    if not isinstance(birth, dt.date) or isinstance(birth, dt.datetime):
        errors.append("出生日期不是有效日期")
        birth = None
    elif birth > today:
        errors.append("出生日期不能晚于当前日期")
    for attr, table, header in (("id_type", "id_type", "身份证件类型"), ("nationality", "nationality", "国籍/地区"),
                                ("hmt", "hmt", "港澳台侨外")):
        if not codes.is_valid(table, values.get(attr)):
            errors.append(f"{header}“{values.get(attr) or ''}”不是有效的代码")
    number = normalize_id_number(values.get("id_number"))
    if id_type == "1":
        id_errors = check_resident_id(number, known_divisions=known_divisions, today=today)
        errors += id_errors
        if not id_errors:
            errors += check_id_agrees(number, birth, values.get("gender"))
    elif id_type == "Z":
        if number:
            errors.append("身份证件类型为Z-其他时不填身份证件号")
    elif id_type:
        if not number:
            errors.append("身份证件号不能为空")
        elif not _OTHER_DOCUMENT.match(number):
            errors.append("身份证件号格式不正确(只能含字母、数字、括号和“-”)")
    errors += check_identity_consistency(id_type or None, nationality or None, hmt or None)
    return errors


def number_after_key_change(number_kind: str, old_identity: tuple[str, str], new_identity: tuple[str, str],
                            verified: bool | None, *, problem: bool = False) -> tuple[str, str | None]:
    """What becomes of the 全国学籍号 when the identity (身份证件类型, 身份证件号)
    changes (SPEC F-26, F-43). Returns ``(action, refusal)``; ``action`` is "keep", "G"
    (G + the new resident ID), "L" or "J" (a new sequenced number); ``refusal`` a
    Chinese message when the change is not possible.

    - a verified resident ID (认证通过) → G (the old number stays findable);
    - an unverified resident ID → L, unless the number already is an L;
    - a 港澳台/foreign document → J, unless the number already is a J;
    - type Z: an official number (G/J) can't become 无身份证件 (F-43); an L becomes J;
    - ``problem`` (问题学籍变更, seed 004 §2): an official number (G/J) changed to a
      港澳台/foreign document gets a new temporary number (L);
    - the identity unchanged: the number is kept."""
    old_type, old_number = old_identity
    new_type, new_number = new_identity
    if (old_type, normalize_id_number(old_number)) == (new_type, normalize_id_number(new_number)):
        return "keep", None
    if new_type == "1":
        if verified:
            return "G", None
        return ("keep" if number_kind == "L" else "L"), None
    if new_type == "Z":
        if number_kind in ("G", "J"):
            return "keep", "正式学籍号学生不能将身份证件类型变更为无身份证件"
        return "J", None
    if problem and number_kind in ("G", "J"):
        return "L", None
    return ("keep" if number_kind == "J" else "J"), None


# --------------------------------------------------------------------------------------
# Non-key data maintenance (学籍数据维护, 批量修改; F-44): the same rules as registration.
# --------------------------------------------------------------------------------------
#: Student attrs that a direct edit may set: the template's own columns that are not key
#: data and not lookups (学校标识码 and 班号 name a placement).
EDITABLE_ATTRS: frozenset[str] = frozenset(f.attr for f in F.STUDENT_FIELDS if not f.key and not f.is_lookup)
KEY_DATA_MESSAGE = "是关键数据,不能直接修改,请通过“关键数据变更”办理"


def refused_attrs(attrs: Iterable[str]) -> list[str]:
    """Why some of ``attrs`` may not be edited directly: key data (points to 关键数据变更),
    学校标识码 (a transfer), or not a field of the record. Empty when all may."""
    errors = []
    for attr in attrs:
        f = F.BY_ATTR.get(attr)
        if f is None:
            errors.append(f"“{attr}”不是学籍信息项")
        elif f.key:
            errors.append(f"{f.header}{KEY_DATA_MESSAGE}")
        elif f.is_lookup:
            errors.append(f"{f.header}不能直接修改(转学或调档办理)")
    return errors


def record_cell(attr: str, value: object) -> object:
    """A stored value of the record as the cell :func:`clean_row` reads back to the same
    value: booleans as 是/否, decimals as text, None and "" as empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return str(value)
    return value


_ROW_ATTRS = tuple((f.header, f.attr) for f in F.STUDENT_FIELDS if not f.is_lookup)
#: Problems check_changes leaves out: the lookups (a placement is not edited here) and
#: the family members (edited on their own, :func:`clean_family`).
_NOT_EDITED_HEADERS = frozenset(f.header for f in F.FIELDS if f.is_lookup or f.member is not None)


def record_row(values: Mapping[str, object]) -> dict[str, object]:
    """The 72-item template row (student columns but the lookups 学校标识码 and 班号) of a
    record's stored ``values`` (attr → value), as :func:`clean_row` takes it; empty
    values are left out (a missing header is an empty cell). Same as
    :func:`record_cell` for each, inlined: an edit of 10,000 records builds 20,000 rows."""
    row = {}
    for header, attr in _ROW_ATTRS:
        value = values.get(attr)
        if value is None or value == "":
            continue
        cls = value.__class__
        if cls is bool:
            value = "是" if value else "否"
        elif cls is Decimal:
            value = str(value)
        row[header] = value
    return row


def check_changes(current: Mapping[str, object], changes: Mapping[str, object], *,
                  context: CleanContext) -> tuple[dict[str, Any], list[str]]:
    """A direct edit of non-key data (F-44) through the registration rules: the record's
    stored ``current`` values (attr → value, at least every attr of :data:`EDITABLE_ATTRS`
    and the key data the rules compare with) with ``changes`` (attr → what a person or a
    spreadsheet gave) must pass :func:`clean_row` — only the problems the change brings
    count (a record loaded with a gap elsewhere can still be corrected field by field).
    Returns ``(cleaned values of the changed attrs, errors)``; key data and lookups are
    refused (:func:`refused_attrs`)."""
    errors = refused_attrs(changes)
    if errors:
        return {}, errors
    before = record_row(current)
    after = dict(before)
    for attr, value in changes.items():
        after[F.BY_ATTR[attr].header] = value
    result = clean_row(after, context=context)
    cleaned = {attr: result.values[attr] for attr in changes}
    problems = [p for p in result.problems if p[0] not in _NOT_EDITED_HEADERS]
    if not problems:
        return cleaned, []
    earlier = set(clean_row(before, context=context).problems)
    return cleaned, [message for problem in problems if problem not in earlier for message in [problem[1]]]


@lru_cache(maxsize=64)
def _member_plan(seq: int) -> tuple[tuple[str, str, Any, F.Field, Any], ...]:
    """The member columns of 成员``seq`` (the template carries two; the record page any
    number), named 成员3姓名 … beyond two."""
    base = F.MEMBER_FIELDS[1]
    fields_ = F.MEMBER_FIELDS.get(seq) or tuple(
        F.Field(**{**f.__dict__, "header": f"成员{seq}" + f.header[3:], "member": seq}) for f in base)
    return tuple((f.header, f.attr, _CLEANERS[f.kind], f, _EMPTY_BY_KIND.get(f.kind, "")) for f in fields_)


def clean_family(members: Iterable[Mapping[str, object]], *, id_type: str | None, hmt: str | None = None,
                 context: CleanContext) -> tuple[list[dict[str, Any]], list[str]]:
    """家庭成员 as a form or a spreadsheet gives them (dicts of FamilyMember attrs, any
    cell type; numbered 1, 2 … in order, members with no data left out) through the
    cleaners of :func:`clean_row` and :func:`check_family`. Returns ``(cleaned members
    with seq, errors)``."""
    foreign = is_foreign_name_allowed(id_type, hmt)
    cleaned: list[dict[str, Any]] = []
    checkable: list[dict[str, Any]] = []
    errors: list[str] = []
    seq = 0
    for raw in members:
        if all(_is_empty(raw.get(attr)) for attr in _MEMBER_DATA_ATTRS):
            continue
        seq += 1
        member: dict[str, Any] = {"seq": seq}
        check: dict[str, Any] = {"seq": seq}
        for _header, attr, cleaner, f, blank in _member_plan(seq):
            cell = raw.get(attr)
            cell = record_cell(attr, cell) if isinstance(cell, bool) else cell
            if _is_empty(cell):
                member[attr] = check[attr] = blank
                continue
            value, error = cleaner(f, cell, context)
            if error:
                errors.append(error)
                member[attr], check[attr] = blank, _REFUSED
            else:
                member[attr] = check[attr] = value
        member_type = member["id_type"] or None
        if member_type == "1" and isinstance(member["id_number"], _NumericId):
            errors.append(EXCEL_NUMBER_MESSAGE.replace("身份证件号", f"成员{seq}身份证件号", 1))
            check["id_type"] = check["id_number"] = _REFUSED
        member["name"] = normalize_name(member["name"], foreign=foreign or is_foreign_name_allowed(member_type))
        member["id_number"] = str(member["id_number"])
        cleaned.append(member)
        checkable.append(check)
    errors += check_family(checkable, id_type, known_divisions=context.id_prefixes,
                           strict_division=context.strict_member_id_division, known_provinces=context.id_provinces,
                           foreign_student=foreign, today=context.today)
    return cleaned, errors


# --------------------------------------------------------------------------------------
# The record's other parts (学籍数据维护 tabs, F-23): 学习简历, 奖励, 惩罚, 居住证.
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PartField:
    attr: str
    header: str
    kind: str  # "text" | "yearmonth" | "date"
    required: bool = False
    max_length: int = 100


#: Each tab: (label, its fields in form order). The models (``students.models``) have the
#: same attrs; the seeds name the tabs only, the items are ours (docs/DECISIONS.md).
PARTS: dict[str, tuple[str, tuple[PartField, ...]]] = {
    "resume": ("学习简历", (
        PartField("start", "起始年月", "yearmonth", True), PartField("end", "终止年月", "yearmonth"),
        PartField("school_name", "学校(单位)名称", "text", True), PartField("role", "担任职务", "text", max_length=50),
        PartField("witness", "证明人", "text", max_length=50))),
    "award": ("奖励信息", (
        PartField("start", "奖励日期", "date", True), PartField("name", "奖励名称", "text", True),
        PartField("level", "奖励级别", "text", max_length=20), PartField("issuer", "颁奖单位", "text"),
        PartField("note", "说明", "text", max_length=200))),
    "punishment": ("惩罚信息", (
        PartField("start", "处分日期", "date", True), PartField("name", "处分名称", "text", True),
        PartField("reason", "处分原因", "text", max_length=200), PartField("revoked_on", "撤销日期", "date"))),
    "residence": ("居住证信息", (
        PartField("start", "签发日期", "date", True), PartField("number", "居住证号", "text", True, 30),
        PartField("holder", "持证人", "text", True, 50), PartField("issuer", "签发机关", "text"),
        PartField("valid_until", "有效期至", "date"))),
}
_FUTURE_ALLOWED = frozenset({"valid_until"})


def check_part(kind: str, raw: Mapping[str, object], *, today: dt.date) -> tuple[dict[str, Any], list[str]]:
    """One row of a record tab (``kind`` of :data:`PARTS`) from a form: required items,
    lengths, real dates (YYYY-MM-DD or YYYYMMDD; not after ``today`` but 有效期至), year
    months (YYYYMM), an end not before its start. Returns ``(cleaned values, errors)``."""
    if kind not in PARTS:
        return {}, [f"“{kind}”不是学籍信息的页签"]
    values: dict[str, Any] = {}
    errors: list[str] = []
    for pf in PARTS[kind][1]:
        cell = raw.get(pf.attr)
        if _is_empty(cell):
            if pf.required:
                errors.append(f"{pf.header}不能为空")
            values[pf.attr] = None if pf.kind == "date" else ""
            continue
        if pf.kind == "text":
            text = _as_text(cell)
            if len(text) > pf.max_length:
                errors.append(f"{pf.header}不能超过{pf.max_length}个字符")
            values[pf.attr] = text
        elif pf.kind == "yearmonth":
            ym = parse_year_month(cell)
            if ym is None:
                errors.append(f"{pf.header}应为6位年月YYYYMM,如202309")
            elif (int(ym[:4]), int(ym[4:])) > (today.year, today.month):
                errors.append(f"{pf.header}不能晚于当前年月")
            values[pf.attr] = ym or ""
        else:
            day = parse_date(cell)
            if day is None or day.year < 1900:
                errors.append(f"{pf.header}“{_show(cell)}”不是有效日期")
            elif day > today and pf.attr not in _FUTURE_ALLOWED:
                errors.append(f"{pf.header}不能晚于今天")
            values[pf.attr] = day
    for start, end in (("start", "end"), ("start", "revoked_on"), ("start", "valid_until")):
        a, b = values.get(start), values.get(end)
        if a and b and type(a) is type(b) and b < a:
            errors.append(f"{_part_header(kind, end)}不能早于{_part_header(kind, start)}")
    return values, errors


def _part_header(kind: str, attr: str) -> str:
    return next(pf.header for pf in PARTS[kind][1] if pf.attr == attr)
