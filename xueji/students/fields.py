"""学生信息字段: the one description of every column of the 72-item template (seed 000,
SPEC F-21/F-22) — header, model field, kind, code table, key data or not, when it is
required, maximum length and the help text the Excel template shows.

Every entry path uses this module: the Excel template and importer
(``xueji.students.excel``), the row cleaner (``xueji.students.rules.clean_row``), the
forms and the API. Nothing else lists the columns.

- :data:`FIELDS`           the 72 :class:`Field` in template order
- :data:`BY_HEADER`        header → :class:`Field`
- :data:`STUDENT_FIELDS`   the 48 columns of the student (``member is None``)
- :data:`MEMBER_FIELDS`    ``{1: (...12 fields...), 2: (...)}`` for 家庭成员 1 and 2
- :data:`KEY_ATTRS` / :data:`KEY_HEADERS`   关键数据 (SPEC F-20)
- :func:`headers`          the header row, in order
- :func:`match_header`     a header as a person typed it (spaces, full-width, ``*``) → Field
- :data:`ENTRIES`          the six registration entries (SPEC F-40) and what they allow

Required (``Field.required``), decided from the ★ marks of the national 学生基本信息表
and the 填报说明 of seed 000 (docs/FIELD_RULES.md lists every decision):

- ``"always"``      must be filled for every student;
- ``"by_id_type"``  must be filled when the student's 身份证件类型 is in
  ``Field.required_id_types`` — 身份证件号 for every type but Z ("身份证件类型为Z-其他
  以外的证件类型时,身份证件号必填"); 出生地, 籍贯, 民族, 户口性质, 户口所在地 for Chinese
  residents (types 1 and Z), who have a 户口; optional for 港澳台和外籍 students;
- ``"member"``      a family member's 姓名 and 关系: required once any cell of that member
  is filled; at least one member is required (成员1, SPEC F-22);
- ``"optional"``    may be left empty.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = [
    "BY_ATTR",
    "BY_HEADER",
    "ENTRIES",
    "FIELDS",
    "GROUPS",
    "INCLUSIVE_EDUCATION",
    "KEY_ATTRS",
    "KEY_HEADERS",
    "MEMBER_FIELDS",
    "STUDENT_FIELDS",
    "Entry",
    "Field",
    "entry",
    "example_row",
    "headers",
    "match_header",
    "normalize_header",
]

#: The kinds of value a column holds; ``rules.clean_row`` has one cleaner per kind.
KINDS = (
    "school",          # 学校标识码: 10 digits, must be the importing school
    "class",           # 班号: 7 digits, a class of the school
    "name",            # a person's name (汉字, · for minority names; Latin letters for foreigners)
    "pinyin",          # 姓名拼音: Latin letters and spaces
    "text",            # free text with a maximum length
    "code",            # a value of a code table in xueji.codes.tables
    "choice",          # a value of a small list carried here (no code table yet)
    "bool",            # 是/否
    "date",            # YYYYMMDD
    "yearmonth",       # YYYYMM
    "division",        # a county: 12-digit division code (6 digits + 000000) or its full name
    "id_number",       # 身份证件号 (resident ID checked by GB 11643)
    "id_valid_until",  # 身份证件有效期: YYYYMMDD-YYYYMMDD or YYYYMMDD-长期
    "decimal1",        # a number with at most one decimal (上下学距离, km)
    "phone",           # mobile or landline with area code
    "postcode",        # 6 digits
    "email",
    "url",
)

REQUIRED = ("always", "by_id_type", "member", "optional")

#: Sections of the student form, named as in the national system (seed 004 screenshots).
GROUPS = (
    ("basic", "学生个人基础信息"),
    ("aux", "学生个人辅助信息"),
    ("enrolment", "学生学籍基本信息"),
    ("contact", "学生个人联系信息"),
    ("extended", "学生个人扩展信息"),
    ("commute", "学生上下学交通方式"),
    ("family", "家庭成员信息"),
)

#: 随班就读 has no table in xueji.codes.tables yet; the values are the national system's
#: drop-down (非随班就读 / 视力、听力、智力、其他残疾随班就读); the codes are ours.
INCLUSIVE_EDUCATION: tuple[tuple[str, str], ...] = (
    ("0", "非随班就读"),
    ("1", "视力残疾随班就读"),
    ("2", "听力残疾随班就读"),
    ("3", "智力残疾随班就读"),
    ("9", "其他残疾随班就读"),
)

_ALL_ID_TYPES = frozenset("16789AZ")
_WITH_NUMBER = frozenset("16789A")   # every type but Z must give a number
_DOMESTIC = frozenset("1Z")          # Chinese residents: have a 户口, a 民族, a birthplace code


@dataclass(frozen=True)
class Field:
    """One column of the template.

    ``attr`` is the :class:`~xueji.students.models.Student` field, or for a family member
    (``member`` 1 or 2) the :class:`~xueji.students.models.FamilyMember` field. 学校标识码
    and 班号 are lookups, not model fields: their attrs are ``school_code`` and
    ``class_code``. ``only`` restricts a code table to some codes (student 性别: 1, 2).
    ``options`` are the ``(code, name)`` values of a ``"choice"`` column.
    """

    header: str
    attr: str
    kind: str
    help: str
    code_table: str | None = None
    key: bool = False
    required: str = "optional"
    required_id_types: frozenset[str] = frozenset()
    max_length: int | None = None
    member: int | None = None
    group: str = "basic"
    example: str = ""
    only: tuple[str, ...] | None = None
    options: tuple[tuple[str, str], ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.header}: unknown kind {self.kind!r}")
        if self.required not in REQUIRED:
            raise ValueError(f"{self.header}: unknown required {self.required!r}")
        if (self.kind == "code") != (self.code_table is not None) and self.kind != "bool":
            raise ValueError(f"{self.header}: code_table goes with kind 'code'")
        if (self.kind == "choice") != (self.options is not None):
            raise ValueError(f"{self.header}: options go with kind 'choice'")

    @property
    def is_lookup(self) -> bool:
        """学校标识码 and 班号 name a school and a class, not a model field."""
        return self.kind in ("school", "class")

    @property
    def text_format(self) -> bool:
        """Should the Excel column be formatted as text ("@")? Every column but the
        numeric 上下学距离: Excel otherwise eats leading zeros and turns 18-digit ID
        numbers and 12-digit division codes into numbers."""
        return self.kind != "decimal1"

    def required_for(self, id_type: str | None) -> bool:
        """Must this column be filled for a student with ``id_type``? (``"member"``
        columns are decided per member by ``rules.check_family``.)"""
        if self.required == "always":
            return True
        if self.required == "by_id_type":
            return id_type is not None and id_type in self.required_id_types
        return False


def _f(header: str, attr: str, kind: str, help: str, **kw: object) -> Field:
    return Field(header=header, attr=attr, kind=kind, help=help, **kw)  # type: ignore[arg-type]


_YES_NO = {"kind": "bool", "code_table": "yes_no"}

STUDENT_FIELDS: tuple[Field, ...] = (
    _f("学校标识码", "school_code", "school", "10位学校标识码,取自学校基本信息,如3440106001",
       required="always", max_length=10, group="enrolment", example="3440106001"),
    _f("姓名", "name", "name",
       "户口簿上的中文姓名(外国人填正式汉字姓名或护照姓名),少数民族姓名中间用“·”",
       key=True, required="always", max_length=50, example="张小明"),
    _f("性别", "gender", "code", "选择:1-男,2-女", code_table="gender", key=True,
       required="always", only=("1", "2"), example="1-男"),
    _f("出生日期", "birth_date", "date",
       "8位数字YYYYMMDD,如20190101(单元格设为文本);居民身份证学生须与证件号一致",
       key=True, required="always", example="20190101"),
    _f("出生地行政区划代码", "birthplace_code", "division",
       "户口簿上的出生地,精确到区县:填写区县全称如“广东省广州市天河区”,或12位区划代码(6位区划代码后补6个0)如440106000000",
       required="by_id_type", required_id_types=_DOMESTIC, max_length=12, example="440106000000"),
    _f("民族", "ethnicity", "code", "根据户口簿选择,如:01-汉族", code_table="ethnicity",
       required="by_id_type", required_id_types=_DOMESTIC, example="01-汉族"),
    _f("国籍/地区", "nationality", "code", "选择,如:CHN-中国", code_table="nationality",
       key=True, required="always", example="CHN-中国"),
    _f("身份证件类型", "id_type", "code",
       "选择,如:1-居民身份证;港澳台和外籍学生选6、7、8、9或A", code_table="id_type",
       key=True, required="always", example="1-居民身份证"),
    _f("港澳台侨外", "hmt", "code", "选择,如:00-否", code_table="hmt", key=True,
       required="always", example="00-否"),
    _f("健康状况", "health", "code", "选择,如:10-健康或良好", code_table="health",
       required="always", example="10-健康或良好"),
    _f("政治面貌", "political", "code", "选择,如:13-群众(少先队员填群众)", code_table="political",
       example="13-群众"),
    _f("身份证件号", "id_number", "id_number",
       "身份证件类型对应的证件号码;居民身份证18位(单元格设为文本);证件类型为Z-其他时可不填",
       key=True, required="by_id_type", required_id_types=_WITH_NUMBER, max_length=30,
       example="440106201901010019"),
    _f("户口性质", "household_type", "code", "以户口簿为准:1-农业户口或2-非农业户口",
       code_table="household_type", required="by_id_type", required_id_types=_DOMESTIC,
       group="aux", example="2-非农业户口"),
    _f("户口所在地行政区划", "household_code", "division",
       "户口所在地,精确到区县:区县全称如“广东省广州市天河区”,或12位区划代码如440106000000", required="by_id_type",
       required_id_types=_DOMESTIC, max_length=12, group="aux", example="440106000000"),
    _f("班号", "class_code", "class",
       "4位入学年份+1位学段(1-小学,2-初中,3-高中)+2位班级编号,如2025101为小学2025年入学的一班",
       key=True, required="always", max_length=7, group="enrolment", example="2025101"),
    _f("入学年月", "entry_month", "yearmonth", "6位数字YYYYMM,如202509", required="always",
       max_length=6, group="enrolment", example="202509"),
    _f("入学方式", "entry_mode", "code", "选择,如:1-就近入学", code_table="entry_mode",
       required="always", group="enrolment", example="1-就近入学"),
    _f("就读方式", "study_mode", "code", "选择:1-走读或2-住校", code_table="study_mode",
       required="always", group="enrolment", example="1-走读"),
    _f("现住址", "current_address", "text", "省市+区县+镇乡(街道)+村组(路街门牌号)",
       required="always", max_length=200, group="contact", example="广东省广州市天河区天河路1号"),
    _f("通信地址", "postal_address", "text", "能联系到学生的地址", required="always",
       max_length=200, group="contact", example="广东省广州市天河区天河路1号"),
    _f("家庭地址", "home_address", "text", "学生家庭的地址", required="always",
       max_length=200, group="contact", example="广东省广州市天河区天河路1号"),
    _f("联系电话", "phone", "phone", "手机11位,或带区号的固定电话如020-12345678",
       required="always", max_length=20, group="contact", example="13800138000"),
    _f("邮政编码", "postcode", "postcode", "6位数字", required="always", max_length=6,
       group="contact", example="510630"),
    _f("是否独生子女", "only_child", help="“是”或“否”", required="always", group="extended",
       example="否", **_YES_NO),
    _f("是否受过学前教育", "preschool_educated", help="入学前是否上过幼儿园:“是”或“否”",
       required="always", group="extended", example="是", **_YES_NO),
    _f("是否留守儿童", "left_behind",
       help="父母外出务工、由其他亲属监护的义务教育阶段子女:“是”或“否”", required="always",
       group="extended", example="否", **_YES_NO),
    _f("是否需要申请资助", "needs_aid", help="“是”或“否”", required="always",
       group="extended", example="否", **_YES_NO),
    _f("是否享受一补", "one_subsidy", help="是否享受家庭经济困难寄宿生生活补助:“是”或“否”",
       required="always", group="extended", example="否", **_YES_NO),
    _f("是否孤儿", "orphan", help="以有认定资格的部门出具的证明为准:“是”或“否”",
       required="always", group="extended", example="否", **_YES_NO),
    _f("是否烈士或优抚子女", "martyr_child", help="以有认定资格的部门出具的证明为准:“是”或“否”",
       required="always", group="extended", example="否", **_YES_NO),
    _f("上下学距离", "commute_distance", "decimal1", "公里,最多1位小数,如1.5",
       group="commute", example="1.5"),
    _f("上下学方式", "commute_mode", "code", "选择,如:1-步行", code_table="commute_mode",
       group="commute", example="1-步行"),
    _f("是否需要乘坐校车", "school_bus", help="“是”或“否”", group="commute", example="否",
       **_YES_NO),
    _f("曾用名", "former_name", "name", "曾正式使用过的姓名,可不填", max_length=50, group="aux"),
    _f("身份证件有效期", "id_valid_until", "id_valid_until",
       "如20190101-20290101或20190101-长期,可不填", max_length=20, group="aux"),
    _f("血型", "blood_type", "code", "选择,如:0-未知血型", code_table="blood_type",
       group="aux", example="0-未知血型"),
    _f("特长", "speciality", "text", "简短表述,可不填", max_length=100, group="aux"),
    _f("学籍辅号", "aux_number", "text", "各省本地的学生编号,小学一年级新生不填", max_length=30,
       group="enrolment"),
    _f("班内学号", "class_seat_number", "text", "校内学号编排,由学校填写,如2019001",
       max_length=20, group="enrolment"),
    _f("学生来源", "student_source", "code", "选择:1-正常入学、2-借读、9-其他",
       code_table="student_source", group="enrolment", example="1-正常入学"),
    _f("电子信箱", "email", "email", "按实际情况填写,可不填", max_length=100, group="contact"),
    _f("主页地址", "homepage", "url", "按实际情况填写,可不填", max_length=200, group="contact"),
    _f("残疾类型", "disability_type", "code", "选择,如:0-无残疾", code_table="disability_type",
       group="extended", example="0-无残疾"),
    _f("是否由政府购买学位", "government_funded_place", help="“是”或“否”,可不填",
       group="extended", **_YES_NO),
    _f("随班就读", "inclusive_education", "choice",
       "残疾人在普通中小学接受基础教育的类别,选择,如:0-非随班就读", options=INCLUSIVE_EDUCATION,
       group="extended", example="0-非随班就读"),
    _f("姓名拼音", "name_pinyin", "pinyin", "姓名全称的汉语拼音,如ZHANG XIAOMING,可不填",
       max_length=100, group="aux"),
    _f("籍贯", "native_place_code", "division", "祖居或本人出生地,按户口簿精确填写到区县:区县全称如“广东省广州市天河区”,或12位区划代码如440106000000",
       required="by_id_type", required_id_types=_DOMESTIC, max_length=12, example="440106000000"),
    _f("是否进城务工人员随迁子女", "migrant_worker_child",
       help="户籍在外省或本省外县的乡村、随务工父母在城镇接受义务教育:“是”或“否”",
       required="always", group="extended", example="否", **_YES_NO),
)


def _member_fields(n: int) -> tuple[Field, ...]:
    p = f"成员{n}"
    first = n == 1
    return (
        _f(f"{p}姓名", "name", "name", "户口簿上的姓名" + (";至少填写1名家庭成员" if first else ""),
           required="member", max_length=50, member=n, group="family",
           example="张大明" if first else ""),
        _f(f"{p}关系", "relation", "code", "家庭成员或监护人与学生的关系,如:1-父亲",
           code_table="relation", required="member", member=n, group="family",
           example="1-父亲" if first else ""),
        _f(f"{p}关系说明", "relation_note", "text", "关系选择为“9-其他”时必须填写对关系的说明",
           max_length=50, member=n, group="family"),
        _f(f"{p}现住址", "current_address", "text", "省市+区县+镇乡(街道)+村组(路街门牌号)",
           max_length=200, member=n, group="family"),
        _f(f"{p}户口所在地行政区划", "household_code", "division",
           "户口所在地,精确到区县:区县全称如“广东省广州市天河区”,或12位区划代码如440106000000", max_length=12, member=n, group="family"),
        _f(f"{p}联系电话", "phone", "phone", "手机11位,或带区号的固定电话", max_length=20,
           member=n, group="family", example="13800138000" if first else ""),
        _f(f"{p}是否监护人", "is_guardian", help="“是”或“否”;无身份证件的学生至少1名监护人须填居民身份证",
           member=n, group="family", example="是" if first else "", **_YES_NO),
        _f(f"{p}身份证件类型", "id_type", "code", "选择,如:1-居民身份证", code_table="id_type",
           member=n, group="family", example="1-居民身份证" if first else ""),
        _f(f"{p}身份证件号", "id_number", "id_number", "身份证件类型对应的证件号码(单元格设为文本)",
           max_length=30, member=n, group="family", example="440106198501010015" if first else ""),
        _f(f"{p}民族", "ethnicity", "code", "选择,如:01-汉族", code_table="ethnicity", member=n,
           group="family", example="01-汉族" if first else ""),
        _f(f"{p}工作单位", "employer", "text", "可不填", max_length=100, member=n, group="family"),
        _f(f"{p}职务", "position", "text", "可不填", max_length=50, member=n, group="family"),
    )


MEMBER_FIELDS: dict[int, tuple[Field, ...]] = {1: _member_fields(1), 2: _member_fields(2)}

#: The 72 columns in template order.
FIELDS: tuple[Field, ...] = STUDENT_FIELDS + MEMBER_FIELDS[1] + MEMBER_FIELDS[2]

BY_HEADER: dict[str, Field] = {f.header: f for f in FIELDS}
#: Student columns by model attr (``BY_ATTR["birth_date"].header == "出生日期"``).
BY_ATTR: dict[str, Field] = {f.attr: f for f in STUDENT_FIELDS}

#: 关键数据 (SPEC F-20): changed only through a key-data change (F-43).
KEY_HEADERS: tuple[str, ...] = tuple(f.header for f in FIELDS if f.key)
KEY_ATTRS: frozenset[str] = frozenset(f.attr for f in FIELDS if f.key)

assert len(FIELDS) == 72, len(FIELDS)
assert len(BY_HEADER) == 72


def headers() -> tuple[str, ...]:
    """The template's header row, in order."""
    return _HEADERS


def example_row() -> dict[str, str]:
    """A complete valid row of made-up data ({header: text}): a first-grader of class
    2025101 at school 3440106001 in 天河区 (440106), with a father as member 1. For
    tests, demo data and the template's help."""
    return {f.header: f.example for f in FIELDS if f.example}


_HEADERS = tuple(f.header for f in FIELDS)

# A header as people type it: full-width characters (NFKC), spaces anywhere, a required
# mark (* ★ ☆) before or after it.
_HEADER_MARKS = "*★☆※"


def normalize_header(text: object) -> str:
    """Fold a header cell to the form :func:`match_header` compares: NFKC, whitespace
    removed, required marks (``*``, ``★``) at either end removed."""
    if text is None:
        return ""
    folded = "".join(unicodedata.normalize("NFKC", str(text)).split())
    return folded.strip(_HEADER_MARKS)


_BY_NORMALIZED: dict[str, Field] = {normalize_header(f.header): f for f in FIELDS}


def match_header(text: object) -> Field | None:
    """The :class:`Field` a header cell names (``" 国籍／地区 "`` → 国籍/地区), or None."""
    return _BY_NORMALIZED.get(normalize_header(text))


# --------------------------------------------------------------------------------------
# The six registration entries (SPEC F-40; seed 004 小学新生注册 / 非小学新生注册).
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """一个注册入口. ``kind`` is what ``rules.CleanContext.entry`` takes; ``id_types``
    the 身份证件类型 it accepts; ``excel``/``single`` whether it has an Excel import and a
    single-record form. Every entry uses the same 72 columns (:data:`FIELDS`)."""

    key: str
    label: str
    kind: str            # "resident" | "foreign" | "no-id"
    first_grade: bool    # 小学新生注册: the first-grade entry-age rule applies
    id_types: frozenset[str]
    excel: bool
    single: bool


_RESIDENT = frozenset("1")
_FOREIGN = frozenset("6789A")
_NO_ID = frozenset("Z")

ENTRIES: dict[str, Entry] = {
    e.key: e
    for e in (
        Entry("primary-resident", "居民身份证小学新生注册", "resident", True, _RESIDENT, True, False),
        Entry("primary-foreign", "港澳台和外籍小学新生注册", "foreign", True, _FOREIGN, True, False),
        Entry("primary-no-id", "无身份证件小学新生注册", "no-id", True, _NO_ID, False, True),
        Entry("other-resident", "居民身份证非小学新生注册", "resident", False, _RESIDENT, True, True),
        Entry("other-foreign", "港澳台和外籍非小学新生注册", "foreign", False, _FOREIGN, True, True),
        Entry("other-no-id", "无身份证件非小学新生注册", "no-id", False, _NO_ID, False, True),
    )
}

#: ``CleanContext.entry`` value → the 身份证件类型 it allows.
ID_TYPES_BY_ENTRY_KIND: dict[str, frozenset[str]] = {
    "resident": _RESIDENT,
    "foreign": _FOREIGN,
    "no-id": _NO_ID,
    "": _ALL_ID_TYPES,
}


def entry(key: str) -> Entry:
    """The registration entry ``key`` (``KeyError`` with a clear message otherwise)."""
    try:
        return ENTRIES[key]
    except KeyError:
        raise KeyError(f"未知的注册入口: {key!r}") from None
