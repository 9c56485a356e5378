"""Pure rules of 招生入学 (no database): who imports the admission result list
(招生结果导入设置, F-63), which stage follows which, whether the graduating school's
authority reviews too, the checks of one imported row and the automatic 分班."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: 导入单位级别 (models.ImportLevel).
PROVINCE, CITY, COUNTY, SCHOOL = "1", "2", "3", "4"
LEVEL_NAMES = {PROVINCE: "省级", CITY: "地市", COUNTY: "区县", SCHOOL: "学校"}
#: Authority.level → the import level of that authority.
AUTHORITY_IMPORT_LEVEL = {1: PROVINCE, 2: CITY, 3: COUNTY}
#: Nothing set anywhere: the county imports (seed 001: 统一招生由区县导入招生结果).
DEFAULT_LEVEL = COUNTY

STAGE_NAMES = {"1": "小学", "2": "初中", "3": "高中"}
ADMISSION_STAGES = ("2", "3")
#: The stage a graduate of a stage is admitted into.
NEXT_STAGE = {"1": "2", "2": "3"}

MALE, FEMALE = "1", "2"

#: The five columns of the admission result template (seed 001, SPEC F-64).
NUMBER, NAME, GRADUATING, ADMITTING, STAGE = "学籍号", "姓名", "毕业学校标识码", "录取学校标识码", "教育阶段"
HEADERS = (NUMBER, NAME, GRADUATING, ADMITTING, STAGE)


# --- 招生结果导入设置 --------------------------------------------------------------------------

@dataclass(frozen=True)
class SettingValue:
    level: str
    delegate: bool


def levels_allowed(authority_level: int) -> tuple[str, ...]:
    """The import levels an authority may choose: its own level or below (a county: 区县 or
    学校); the ministry sets nothing (the province is the top of the setting)."""
    own = AUTHORITY_IMPORT_LEVEL.get(authority_level)
    if own is None:
        return ()
    return tuple(level for level in (PROVINCE, CITY, COUNTY, SCHOOL) if level >= own)


def setting_refusal(authority_level: int, level: str, delegate: bool, *, may_set: bool) -> str | None:
    """Why an authority may not save (``level``, ``delegate``), or None."""
    if authority_level not in AUTHORITY_IMPORT_LEVEL:
        return "只有省级、地市、区县教育行政部门可以设置招生结果导入单位级别"
    if not may_set:
        return "上级教育行政部门未下放权限,本级不能设置"
    if level not in levels_allowed(authority_level):
        allowed = "、".join(LEVEL_NAMES[x] for x in levels_allowed(authority_level))
        return f"导入单位级别只能选择{allowed}"
    if authority_level == 3 and delegate:
        return "区县级不需选择是否下放"
    return None


@dataclass(frozen=True)
class Effective:
    """The effective setting for the schools under an authority chain: the level that
    imports, the authority whose setting decided it (None: the default), and whether the
    last authority of the chain may set its own."""

    level: str
    decided_by: int | None
    may_set: bool


def effective_setting(chain: Sequence[tuple[int, int, SettingValue | None]]) -> Effective:
    """Walk ``chain`` — ``(authority id, authority level, its setting or None)`` from the
    province down (province, city, county) — as seed 004 says: the province sets first; if
    it delegates (下放) the city may set, if the city delegates the county may. A level not
    delegating fixes the level for everything under it. An authority that may set but has
    not leaves the level as above it (nothing set at all: the default, 区县).

    ``may_set`` is whether the chain's LAST authority may save its own setting."""
    level, decided_by, may_set = DEFAULT_LEVEL, None, True
    last_may_set = False
    for authority_id, authority_level, value in chain:
        last_may_set = may_set
        if may_set and value is not None:
            level, decided_by = value.level, authority_id
            may_set = value.delegate and authority_level < 3
    return Effective(level, decided_by, last_may_set)


def importing_level(supervisor_level: int, chain: Sequence[tuple[int, int, SettingValue | None]]) -> str:
    """The level that imports the results of a school: the setting applies to schools
    supervised by a county only; a school run directly by a city or a province (直属) is
    imported by its supervising authority."""
    if supervisor_level in (1, 2):
        return AUTHORITY_IMPORT_LEVEL[supervisor_level]
    return effective_setting(chain).level


# --- stages, cross reviews --------------------------------------------------------------------

def stage_refusal(graduated_stage: str | None, admitted_stage: str) -> str | None:
    """The stage admitted into must follow the stage graduated from (小学 → 初中 → 高中)."""
    if admitted_stage not in ADMISSION_STAGES:
        return "教育阶段应为初中或高中"
    expected = NEXT_STAGE.get(graduated_stage or "")
    if expected is None:
        return f"该生为{STAGE_NAMES.get(graduated_stage or '', '')}毕业生,不能录取入{STAGE_NAMES[admitted_stage]}"
    if expected != admitted_stage:
        return (f"该生为{STAGE_NAMES[graduated_stage]}毕业生,应录取入{STAGE_NAMES[expected]},"
                f"不能录取入{STAGE_NAMES[admitted_stage]}")
    return None


def needs_graduating_review(stage: str, admitting_division: str, graduating_division: str) -> bool:
    """Does the graduating school's authority review too? For compulsory education (初中)
    when the schools are in different counties, for 高中 in different cities — by the
    schools' division codes (区县 = the first 6 digits, 地市 = the first 4)."""
    digits = 6 if stage == "2" else 4
    return (admitting_division or "")[:digits] != (graduating_division or "")[:digits]


def parse_stage(value: object) -> str | None:
    """教育阶段 as written in a sheet: "初中" / "高中", "2" / "3", "2-初中"."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if text.endswith(".0"):
        text = text[:-2]
    for code in ADMISSION_STAGES:
        if text in (code, STAGE_NAMES[code], f"{code}-{STAGE_NAMES[code]}"):
            return code
    return None


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- one row of the result list --------------------------------------------------------------

@dataclass(frozen=True)
class GraduateFact:
    """What the import knows of a 学籍号: the record and its live graduation."""

    student_id: int
    name: str
    status: str
    graduate_id: int | None       # None: not a graduate
    graduated_stage: str | None
    graduating_school_code: str | None


@dataclass(frozen=True)
class SchoolFact:
    school_id: int
    name: str
    stages: tuple[str, ...]
    refusal: str | None           # why the importer may not import for it (scope, setting)


GRADUATED_STATUSES = ("20", "21")


def check_row(row: Mapping[str, str], stage: str | None, graduate: GraduateFact | None,
              admitting: SchoolFact | None) -> list[str]:
    """The Chinese reasons refusing one result row (empty: it passes). ``row`` holds the
    five cells as text; ``graduate`` / ``admitting`` what was found for the number and the
    admitting school's code (None: unknown)."""
    errors: list[str] = []
    number, name = row.get(NUMBER, ""), row.get(NAME, "")
    if not number:
        errors.append("学籍号不能为空")
    elif graduate is None:
        errors.append(f"学籍号“{number}”不存在")
    if not name:
        errors.append("姓名不能为空")
    elif graduate is not None and graduate.name != name:
        errors.append(f"姓名“{name}”与学籍号不符")
    if graduate is not None and (graduate.graduate_id is None or graduate.status not in GRADUATED_STATUSES):
        errors.append("该生不是毕业生")
    elif graduate is not None:
        if not row.get(GRADUATING, ""):
            errors.append("毕业学校标识码不能为空")
        elif row[GRADUATING] != graduate.graduating_school_code:
            errors.append(f"毕业学校标识码“{row[GRADUATING]}”与该生的毕业学校不符")
    if stage is None:
        errors.append("教育阶段应为初中或高中" if row.get(STAGE, "") else "教育阶段不能为空")
    elif graduate is not None and graduate.graduate_id is not None:
        refusal = stage_refusal(graduate.graduated_stage, stage)
        if refusal:
            errors.append(refusal)
    code = row.get(ADMITTING, "")
    if not code:
        errors.append("录取学校标识码不能为空")
    elif admitting is None:
        errors.append(f"录取学校标识码“{code}”不存在")
    else:
        if admitting.refusal:
            errors.append(admitting.refusal)
        elif stage is not None and stage not in admitting.stages:
            errors.append(f"{admitting.name}没有{STAGE_NAMES[stage]}学段")
    return errors


# --- 分班 --------------------------------------------------------------------------------------

@dataclass
class ClassLoad:
    """A class before automatic placement: how many boys, girls (and others) it has."""

    class_id: int
    boys: int = 0
    girls: int = 0
    others: int = 0

    @property
    def size(self) -> int:
        return self.boys + self.girls + self.others

    def of(self, gender: str) -> int:
        return self.boys if gender == MALE else self.girls if gender == FEMALE else self.others

    def add(self, gender: str) -> None:
        if gender == MALE:
            self.boys += 1
        elif gender == FEMALE:
            self.girls += 1
        else:
            self.others += 1


def plan_placement(students: Iterable[tuple[int, str]], classes: Sequence[ClassLoad]) -> dict[int, int]:
    """自动分班: ``students`` ``(id, gender)`` into ``classes`` (in their order), balancing
    class size and the ratio of boys and girls: the students go gender by gender (the
    larger group first), each into the class with the fewest students, then the fewest of
    that gender, then the first. Every class ends within one student of the others in size
    and, when the classes started even, in boys and in girls. Returns {student id: class id}."""
    if not classes:
        return {}
    loads = [ClassLoad(c.class_id, c.boys, c.girls, c.others) for c in classes]
    groups: dict[str, list[int]] = {}
    for student_id, gender in students:
        groups.setdefault(gender if gender in (MALE, FEMALE) else "", []).append(student_id)
    order = sorted(groups, key=lambda g: (-len(groups[g]), g == "", g))
    plan: dict[int, int] = {}
    for gender in order:
        for student_id in sorted(groups[gender]):
            index = min(range(len(loads)), key=lambda i: (loads[i].size, loads[i].of(gender), i))
            loads[index].add(gender)
            plan[student_id] = loads[index].class_id
    return plan
