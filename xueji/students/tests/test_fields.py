"""The 72-item template description (SPEC F-20 … F-22, seed 000)."""

from __future__ import annotations

import pytest

from xueji.codes import tables as codes
from xueji.students import fields as F
from xueji.students.models import FamilyMember, Student

F20_KEY_HEADERS = {"姓名", "性别", "出生日期", "身份证件类型", "身份证件号", "国籍/地区", "港澳台侨外", "班号"}

TEMPLATE_STUDENT_HEADERS = (
    "学校标识码 姓名 性别 出生日期 出生地行政区划代码 民族 国籍/地区 身份证件类型 港澳台侨外 健康状况 "
    "政治面貌 身份证件号 户口性质 户口所在地行政区划 班号 入学年月 入学方式 就读方式 现住址 通信地址 "
    "家庭地址 联系电话 邮政编码 是否独生子女 是否受过学前教育 是否留守儿童 是否需要申请资助 是否享受一补 "
    "是否孤儿 是否烈士或优抚子女 上下学距离 上下学方式 是否需要乘坐校车 曾用名 身份证件有效期 血型 特长 "
    "学籍辅号 班内学号 学生来源 电子信箱 主页地址 残疾类型 是否由政府购买学位 随班就读 姓名拼音 籍贯 "
    "是否进城务工人员随迁子女"
).split()
MEMBER_SUFFIXES = (
    "姓名 关系 关系说明 现住址 户口所在地行政区划 联系电话 是否监护人 身份证件类型 身份证件号 民族 工作单位 职务"
).split()


def test_72_columns_in_template_order():
    expected = (
        TEMPLATE_STUDENT_HEADERS
        + [f"成员1{s}" for s in MEMBER_SUFFIXES]
        + [f"成员2{s}" for s in MEMBER_SUFFIXES]
    )
    assert len(expected) == 72
    assert list(F.headers()) == expected
    assert len(F.FIELDS) == 72
    assert len(set(F.headers())) == 72
    assert set(F.BY_HEADER) == set(expected)


def test_code_tables_exist():
    for f in F.FIELDS:
        if f.code_table is not None:
            assert f.code_table in codes.TABLES, f.header
        if f.kind == "code":
            assert f.code_table, f.header
        if f.only:
            assert set(f.only) <= set(codes.get(f.code_table).codes), f.header


def test_student_gender_only_male_female():
    assert F.BY_HEADER["性别"].only == ("1", "2")


_STUDENT_ATTRS = {field.name for field in Student._meta.get_fields()}
_MEMBER_ATTRS = {field.name for field in FamilyMember._meta.get_fields()}


@pytest.mark.parametrize("f", F.FIELDS, ids=lambda f: f.header)
def test_attr_exists_on_model(f):
    if f.is_lookup:
        assert f.attr in ("school_code", "class_code")
        assert f.member is None
        return
    if f.member is None:
        assert f.attr in _STUDENT_ATTRS
        model_field = Student._meta.get_field(f.attr)
    else:
        assert f.member in (1, 2)
        assert f.attr in _MEMBER_ATTRS
        model_field = FamilyMember._meta.get_field(f.attr)
    if f.max_length and getattr(model_field, "max_length", None):
        assert f.max_length <= model_field.max_length, f.header
    if f.kind == "bool":
        assert model_field.get_internal_type() == "BooleanField"
    if f.kind == "code":
        # the longest code of the table fits the column
        longest = max(len(c) for c in codes.get(f.code_table).codes)
        assert longest <= model_field.max_length, f.header


def test_attrs_unique_per_owner():
    assert len({f.attr for f in F.STUDENT_FIELDS}) == len(F.STUDENT_FIELDS) == 48
    for n in (1, 2):
        assert [f.attr for f in F.MEMBER_FIELDS[n]] == [f.attr for f in F.MEMBER_FIELDS[1]]
        assert all(f.member == n for f in F.MEMBER_FIELDS[n])


def test_key_fields_exactly_f20():
    assert set(F.KEY_HEADERS) == F20_KEY_HEADERS
    assert F.KEY_ATTRS == {"name", "gender", "birth_date", "id_type", "id_number", "nationality", "hmt", "class_code"}


def test_required_by_id_type():
    id_number = F.BY_HEADER["身份证件号"]
    assert id_number.required == "by_id_type"
    assert id_number.required_for("1") and id_number.required_for("A")
    assert not id_number.required_for("Z")
    household = F.BY_HEADER["户口所在地行政区划"]
    assert household.required_for("1") and household.required_for("Z")
    assert not household.required_for("A")
    assert F.BY_HEADER["姓名"].required_for(None)
    assert not F.BY_HEADER["曾用名"].required_for("1")
    for f in F.FIELDS:
        if f.member:
            assert f.required in ("member", "optional")


def test_every_field_has_help_and_kind():
    for f in F.FIELDS:
        assert f.help and f.kind in F.KINDS


def test_match_header_tolerates_spaces_fullwidth_and_marks():
    assert F.match_header(" 国籍／地区 ").header == "国籍/地区"
    assert F.match_header("*姓名").header == "姓名"
    assert F.match_header("身份证件号★").header == "身份证件号"
    assert F.match_header("姓 名").header == "姓名"
    assert F.match_header("成员１姓名").header == "成员1姓名"
    assert F.match_header("学号") is None
    assert F.match_header(None) is None


def test_entries():
    assert set(F.ENTRIES) == {
        "primary-resident", "primary-foreign", "primary-no-id",
        "other-resident", "other-foreign", "other-no-id",
    }
    assert F.entry("primary-resident").id_types == {"1"}
    assert F.entry("other-foreign").id_types == set("6789A")
    assert F.entry("primary-no-id").id_types == {"Z"}
    assert not F.entry("primary-no-id").excel and not F.entry("other-no-id").excel
    assert F.entry("primary-resident").first_grade and not F.entry("other-resident").first_grade
    assert not F.entry("primary-resident").single and F.entry("other-resident").single
    with pytest.raises(KeyError):
        F.entry("nope")


def test_example_row_covers_required_columns():
    row = F.example_row()
    for header in F.headers():
        f = F.BY_HEADER[header]
        if f.required_for("1"):
            assert row.get(header), header


def test_field_rules_doc_lists_every_column():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "FIELD_RULES.md").read_text(encoding="utf-8")
    for index, header in enumerate(F.headers(), start=1):
        assert f"| {index} | {header} |" in doc, header
