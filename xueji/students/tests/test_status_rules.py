"""The table of which 学籍状态 allows which business (F-27) and the key-data rules: pure,
table-tested."""

from __future__ import annotations

import datetime as dt

import pytest

from xueji.registration.testing import resident_id
from xueji.students import rules
from xueji.students.models import Status
from xueji.workflow import registry


def test_status_names_are_the_models_statuses():
    assert rules.STATUS_NAMES == dict(Status.choices)
    assert set(rules.ALLOWED_BUSINESS) == set(rules.STATUS_NAMES)


def test_every_business_in_the_table_is_a_workflow_type_and_every_type_has_a_status():
    codes = {t.code for t in registry.all_types()}
    listed = set().union(*rules.ALLOWED_BUSINESS.values())
    assert listed <= codes, listed - codes
    # A type no status allows could never start for an existing record: only the
    # registrations (no record yet), 小学招生录取 (a child without a record) and the
    # businesses about a school, not a student (招生计划数变更).
    never = {t.code for t in registry.all_types()} - listed
    assert never == {t.code for t in registry.all_types() if t.group == "学籍注册"} | {"admit_primary",
                                                                                       "enrol_plan_change"}


@pytest.mark.parametrize(("status", "kind", "stage", "refusal"), [
    ("10", "suspend", "1", None),
    ("10", "transfer_in_province", "2", None),
    ("10", "resume", "1", "学籍状态为在校的学生不能办理复学"),
    ("11", "resume", "1", None),
    ("11", "transfer_in_province", "1", "学籍状态为休学的学生不能办理省内转学"),
    ("11", "suspend", "1", "学籍状态为休学的学生不能办理休学"),
    ("12", "key_change", "1", "学籍状态为转出的学生不能办理关键数据变更"),
    ("12", "appeal", "1", "学籍状态为转出的学生不能办理学籍申诉"),
    # 跨省转学: 在校, 其他离校, 出境, 退学, 开除 and 小学毕业 (seed 004 §18)
    ("10", "transfer_cross_province", "3", None),
    ("39", "transfer_cross_province", "2", None),
    ("35", "transfer_cross_province", "1", None),
    ("34", "transfer_cross_province", "2", None),
    ("33", "transfer_cross_province", "2", None),
    ("20", "transfer_cross_province", "1", None),
    ("20", "transfer_cross_province", "2", "学籍状态为毕业的初中学生不能办理跨省转学"),
    ("20", "transfer_cross_province", None, "学籍状态为毕业的学生只有小学学生可以办理跨省转学"),
    ("11", "transfer_cross_province", "1", "学籍状态为休学的学生不能办理跨省转学"),
    ("30", "transfer_cross_province", "1", "学籍状态为辍学的学生不能办理跨省转学"),
    ("35", "return_from_abroad", "1", None),
    ("10", "return_from_abroad", "1", "学籍状态为在校的学生不能办理入境复学"),
    ("31", "death", "1", "学籍状态为死亡的学生不能办理死亡"),
    ("32", "death", "1", None),
    ("99", "appeal", "1", "学籍状态为已删除的学生不能办理学籍申诉"),
    ("99", "problem_delete", "1", "学籍状态为已删除的学生不能办理问题学籍删除"),
    ("20", "graduate_return", "1", None),
    ("10", "graduate_return", "1", "学籍状态为在校的学生不能办理毕业生退回"),
    # 往届学生毕业: not 休学, 出境, 开除, 退学, 失踪, 死亡 (seed 004 毕业升级)
    ("21", "graduate_primary", "1", None),
    ("30", "graduate_junior", "2", None),
    ("11", "graduate_primary", "1", "学籍状态为休学的学生不能办理小学毕业"),
    ("32", "graduate_primary", "1", "学籍状态为失踪的学生不能办理小学毕业"),
])
def test_business_allowed_table(status, kind, stage, refusal):
    name = registry.get(kind).name
    assert rules.business_allowed(status, kind, kind_name=name, stage=stage) == refusal


def test_unknown_status_and_kind_are_refused():
    assert rules.business_allowed("77", "suspend", kind_name="休学") == "学籍状态“77”不是有效的学籍状态,不能办理休学"
    assert rules.business_allowed("", "suspend") == "学籍状态“”不是有效的学籍状态,不能办理该业务"
    assert rules.business_allowed("10", "no_such_business") == "学籍状态为在校的学生不能办理该业务"
    for status in rules.STATUS_NAMES:
        assert rules.business_allowed(status, "reg_primary_resident") is not None


# --- key data ------------------------------------------------------------------------------

TODAY = dt.date(2026, 9, 1)
BIRTH = dt.date(2016, 5, 17)
ID = resident_id("440106", BIRTH, 3, "1")


def _key(**changes):
    values = {"name": "张小明", "gender": "1", "birth_date": BIRTH, "id_type": "1", "id_number": ID,
              "nationality": "CHN", "hmt": "00"}
    values.update(changes)
    return values


def test_good_key_data_passes():
    assert rules.check_key_data(_key(), today=TODAY, known_divisions={"440106"}) == []
    assert rules.check_key_data(_key(id_type="A", id_number="E12345678", nationality="USA", hmt="51",
                                     name="John Smith"), today=TODAY) == []
    assert rules.check_key_data(_key(id_type="Z", id_number=""), today=TODAY) == []


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "姓名不能为空"),
    ({"name": "Tom"}, "姓名格式不正确(只能填写汉字,少数民族姓名可用“·”分隔)"),
    ({"gender": "3"}, "性别应为1-男或2-女"),
    ({"birth_date": "20160517"}, "出生日期不是有效日期"),
    ({"birth_date": dt.date(2027, 1, 1)}, "出生日期不能晚于当前日期"),
    ({"id_number": ID[:17] + ("1" if ID[17] != "1" else "2")}, "身份证件号校验位错误"),
    ({"id_number": ""}, "身份证件号不能为空"),
    ({"birth_date": dt.date(2016, 5, 18)}, "出生日期与身份证件号不一致"),
    ({"gender": "2"}, "性别与身份证件号不一致"),
    ({"id_type": "Q"}, "身份证件类型“Q”不是有效的代码"),
    ({"nationality": "XXX"}, "国籍/地区“XXX”不是有效的代码"),
    ({"hmt": "51"}, "持居民身份证的学生港澳台侨外不能为“51-外国人”"),
    ({"id_type": "Z", "id_number": "123456"}, "身份证件类型为Z-其他时不填身份证件号"),
    ({"id_type": "A", "id_number": "", "hmt": "51", "nationality": "USA"}, "身份证件号不能为空"),
    ({"id_type": "A", "id_number": "E 1*", "hmt": "51", "nationality": "USA"},
     "身份证件号格式不正确(只能含字母、数字、括号和“-”)"),
])
def test_bad_key_data_is_refused(changes, message):
    assert message in rules.check_key_data(_key(**changes), today=TODAY, known_divisions={"440106"})


def test_unknown_division_of_a_resident_id():
    assert "身份证件号前6位“440106”不是有效的行政区划代码" in rules.check_key_data(
        _key(), today=TODAY, known_divisions=set())


@pytest.mark.parametrize(("kind", "old", "new", "verified", "expected"), [
    ("G", ("1", ID), ("1", ID), None, ("keep", None)),
    ("G", ("1", ID), ("1", ID.lower()), None, ("keep", None)),
    ("G", ("1", ID), ("1", "440106201605170051"), True, ("G", None)),
    ("G", ("1", ID), ("1", "440106201605170051"), False, ("L", None)),
    ("L", ("1", ID), ("1", "440106201605170051"), False, ("keep", None)),
    ("L", ("1", ID), ("1", "440106201605170051"), True, ("G", None)),
    ("J", ("A", "E1"), ("1", ID), None, ("L", None)),
    ("G", ("1", ID), ("A", "E1"), None, ("J", None)),
    ("J", ("A", "E1"), ("6", "H1"), None, ("keep", None)),
    ("G", ("1", ID), ("Z", ""), None, ("keep", "正式学籍号学生不能将身份证件类型变更为无身份证件")),
    ("J", ("A", "E1"), ("Z", ""), None, ("keep", "正式学籍号学生不能将身份证件类型变更为无身份证件")),
    ("L", ("1", ID), ("Z", ""), None, ("J", None)),
])
def test_number_follows_the_identity(kind, old, new, verified, expected):
    assert rules.number_after_key_change(kind, old, new, verified) == expected
