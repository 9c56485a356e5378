"""Organisation rules as pure functions: division codes, school identifiers, grades, 班号.

No database here. Each check returns a list of Chinese messages (empty when valid) or
raises nothing; callers turn messages into form errors, import row errors or API errors.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence

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


# --------------------------------------------------------------------------------------
# Division names: "广东省广州市天河区" → 440106000000 (籍贯, 出生地, 户口所在地).
# --------------------------------------------------------------------------------------
#: Names that stand for "the counties directly under" in the national list, never a place.
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
_PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_CITY_SUFFIXES = ("地区", "市", "盟")
_COUNTY_SUFFIXES = ("区", "县", "市", "旗")
_AUTONOMOUS = ("自治州", "自治县", "自治旗")


def fold_place_name(text: str) -> str:
    """A place name as the index compares it: NFKC (full-width letters and digits), no
    whitespace or punctuation between the parts, 其它 → 其他."""
    import unicodedata

    folded = unicodedata.normalize("NFKC", text or "")
    return "".join(c for c in folded if not c.isspace() and c not in "-—–·,,、/()()").replace("其它", "其他")


def _ethnic_names() -> tuple[str, ...]:
    from xueji.codes import tables as codes

    names = {name for _, name in codes.get("ethnicity").items if name.endswith("族") and len(name) >= 2}
    return tuple(sorted(names, key=len, reverse=True))


def place_name_variants(name: str, level: int) -> frozenset[str]:
    """How people write a province, city or county: the full name, without its suffix
    (广东省 → 广东, 广州市 → 广州, 天河区 → 天河, 广西壮族自治区 → 广西), an autonomous
    prefecture or county by its place name (延边朝鲜族自治州 → 延边). Never shorter than
    two characters."""
    name = fold_place_name(name)
    variants = {name}
    suffixes = {1: _PROVINCE_SUFFIXES, 2: _CITY_SUFFIXES, 3: _COUNTY_SUFFIXES}[level]
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            variants.add(name[: -len(suffix)])
            break
    if name.endswith(_AUTONOMOUS):
        for ethnic in _ethnic_names():
            index = name.find(ethnic)
            if index >= 2:
                variants.add(name[:index])
                break
    return frozenset(variants)


class DivisionNames:
    """The national division list as plain data for :func:`resolve_division_name`:
    build it once with :func:`build_division_names` and cache it while the table is
    unchanged (it goes into the field rules' context).

    - ``county_codes``: the codes that reach a county — level 3, or a city with no county
      under it (东莞市, 中山市, 儋州市, 嘉峪关市);
    - ``provinces``: (code, variants); ``cities``: (code, province code, variants);
    - ``counties``: a variant of a county's name → its (code, province, city) — the city
      is "" under a placeholder (北京市 → 市辖区 → 东城区).

    The codes are worked out at once; the name tables only when a name is first looked up
    (most sheets give 12-digit codes, and a worker process that never meets a name never
    builds them)."""

    def __init__(self, rows: Iterable[tuple[str, str, int, str | None]]):
        self._rows = tuple(rows)
        has_children = {parent for _, _, _, parent in self._rows if parent}
        self.county_codes: frozenset[str] = frozenset(
            code for code, _, level, _ in self._rows
            if level == 3 or (level == 2 and code not in has_children))
        self._tables: tuple | None = None

    @property
    def provinces(self) -> tuple[tuple[str, frozenset[str]], ...]:
        return self._name_tables()[0]

    @property
    def cities(self) -> tuple[tuple[str, str, frozenset[str]], ...]:
        return self._name_tables()[1]

    @property
    def counties(self) -> Mapping[str, tuple[tuple[str, str, str], ...]]:
        return self._name_tables()[2]

    def _name_tables(self) -> tuple:
        if self._tables is None:
            self._tables = _name_tables(self._rows)
        return self._tables


def build_division_names(rows: Iterable[tuple[str, str, int, str | None]]) -> DivisionNames:
    """``rows``: every division as (code, name, level, parent code)."""
    return DivisionNames(rows)


def _name_tables(rows: tuple) -> tuple:
    """(provinces, cities, counties) of :class:`DivisionNames`."""
    by_code = {code: (name, level, parent) for code, name, level, parent in rows}
    has_children = {parent for _, _, _, parent in rows if parent}
    provinces, cities = [], []
    counties: dict[str, list[tuple[str, str, str]]] = {}
    for code, name, level, parent in rows:
        if level == 1:
            provinces.append((code, place_name_variants(name, 1)))
        elif level == 2:
            if name not in PLACEHOLDER_NAMES:
                cities.append((code, parent or "", place_name_variants(name, 2)))
            if code not in has_children:
                for variant in place_name_variants(name, 2):
                    counties.setdefault(variant, []).append((code, parent or "", ""))
        elif level == 3:
            if name in PLACEHOLDER_NAMES:
                continue
            city = parent or ""
            city_name = by_code.get(city, ("", 0, None))
            province = city_name[2] or "" if city_name[1] == 2 else city
            if city_name[0] in PLACEHOLDER_NAMES or city_name[1] != 2:
                city = ""
            for variant in place_name_variants(name, 3):
                counties.setdefault(variant, []).append((code, province or "", city))
    return tuple(provinces), tuple(cities), {k: tuple(dict.fromkeys(v)) for k, v in counties.items()}


def resolve_division_name(text: str, names: DivisionNames) -> tuple[str | None, str]:
    """The county-level code a written place names: ``("440106000000", "")`` for
    "广东省广州市天河区" (also "广东广州天河区", "广州市天河区", "天河区" when only one
    county has that name). Otherwise ``(None, "ambiguous")`` when several counties fit,
    ``(None, "not_county")`` when nothing at county level does (a province or city
    alone, an unknown name)."""
    text = fold_place_name(text)
    if not text:
        return None, "not_county"
    found: set[str] = set()
    starts = [("", text)] + [(code, text[len(v):]) for code, variants in names.provinces
                             for v in variants if text.startswith(v)]
    for province, rest in starts:
        steps = [("", rest)] + [
            (code, rest[len(v):]) for code, parent, variants in names.cities
            if not province or parent == province for v in variants if rest.startswith(v)
        ]
        for city, tail in steps:
            for code, county_province, county_city in names.counties.get(tail, ()):
                if (not province or county_province == province) and (not city or county_city == city):
                    found.add(code)
    if len(found) == 1:
        return found.pop(), ""
    return None, ("ambiguous" if found else "not_county")


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


def class_label(stage: str, entry_year: int, class_name: str, code: str, school_year: int,
                years: dict[str, int | None]) -> str:
    """A class as a person names it, with its 班号 beside: 一年级1班(2026101); a class
    not yet started or already graduated by its grade: 小学2019级1班(2019101)."""
    current = current_year_label(stage, entry_year, school_year, years)
    if current in ("未入学", "已毕业"):
        current = grade_name(stage, entry_year)
    return f"{current}{class_name}({code})"


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


# --- the lowest common superior authority ----------------------------------------------------

def chain_from_top(authority_id: int, parents: Mapping[int, int | None]) -> list[int]:
    """``authority_id`` and the authorities above it (``parents``: id → parent id), from
    the top (教育部, 省, 市, 区县 …)."""
    chain, seen = [], set()
    current: int | None = authority_id
    while current is not None and current not in seen:
        seen.add(current)
        chain.append(current)
        current = parents.get(current)
    return list(reversed(chain))


def lowest_common_superior(chains: Sequence[Sequence[int]]) -> int | None:
    """The arbitrating authority (问题学籍仲裁, 重复招生仲裁): ``chains`` holds, for each
    school, the ids of its supervising authority and those above it **from the top**
    (教育部, 省, 市, 区县 …). The answer is the deepest authority all chains share (教育部 for
    two provinces; the county itself when all schools are supervised by it). None when
    there are no chains or they share nothing."""
    chains = [list(c) for c in chains if c]
    if not chains:
        return None
    common = None
    for level in zip(*chains, strict=False):
        if all(a == level[0] for a in level):
            common = level[0]
        else:
            break
    return common
