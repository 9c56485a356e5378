"""The pure rules: the import-setting delegation, the stage order, who reviews across
counties / cities, a sheet's stage cell, and the automatic class placement."""

from __future__ import annotations

import pytest

from xueji.admission import rules as R

V = R.SettingValue


@pytest.mark.parametrize("chain, level, decided_by, may_set", [
    ([], R.COUNTY, None, False),
    ([(1, 1, None)], R.COUNTY, None, True),                                      # nothing set: 区县, the province may set
    ([(1, 1, V(R.PROVINCE, False)), (2, 2, None)], R.PROVINCE, 1, False),        # province not delegating
    ([(1, 1, V(R.PROVINCE, False)), (2, 2, V(R.SCHOOL, True)), (3, 3, V(R.SCHOOL, False))], R.PROVINCE, 1, False),
    ([(1, 1, V(R.CITY, True)), (2, 2, V(R.CITY, False))], R.CITY, 2, True),       # province → city; the city may set
    ([(1, 1, V(R.CITY, True)), (2, 2, V(R.CITY, False)), (3, 3, V(R.SCHOOL, False))], R.CITY, 2, False),
    ([(1, 1, V(R.COUNTY, True)), (2, 2, V(R.COUNTY, True)), (3, 3, V(R.SCHOOL, False))], R.SCHOOL, 3, True),
    ([(1, 1, V(R.COUNTY, True)), (2, 2, None), (3, 3, V(R.SCHOOL, False))], R.SCHOOL, 3, True),  # city unset: passes
    ([(1, 1, V(R.CITY, True)), (2, 2, None), (3, 3, None)], R.CITY, 1, True),
])
def test_effective_setting_by_the_delegation_chain(chain, level, decided_by, may_set):
    assert R.effective_setting(chain) == R.Effective(level, decided_by, may_set)


def test_a_directly_run_school_is_imported_by_its_supervisor():
    chain = [(1, 1, V(R.SCHOOL, False))]
    assert R.importing_level(1, chain) == R.PROVINCE
    assert R.importing_level(2, chain) == R.CITY
    assert R.importing_level(3, chain + [(2, 2, None), (3, 3, None)]) == R.SCHOOL


@pytest.mark.parametrize("authority_level, level, delegate, may_set, refused", [
    (1, R.PROVINCE, True, True, None),
    (2, R.PROVINCE, False, True, "只能选择"),
    (3, R.COUNTY, False, True, None),
    (3, R.CITY, False, True, "只能选择"),
    (3, R.SCHOOL, True, True, "不需选择"),
    (2, R.CITY, False, False, "未下放"),
    (0, R.PROVINCE, False, True, "只有省级"),
    (1, "9", False, True, "只能选择"),
])
def test_setting_refusals(authority_level, level, delegate, may_set, refused):
    refusal = R.setting_refusal(authority_level, level, delegate, may_set=may_set)
    assert (refusal is None) if refused is None else (refused in refusal)


@pytest.mark.parametrize("graduated, admitted, refused", [
    ("1", "2", None), ("2", "3", None), ("1", "3", "应录取入初中"), ("2", "2", "应录取入高中"),
    ("3", "3", "不能录取入"), ("1", "1", "应为初中或高中"), (None, "2", "不能录取入"),
])
def test_stage_order(graduated, admitted, refused):
    refusal = R.stage_refusal(graduated, admitted)
    assert (refusal is None) if refused is None else (refused in refusal)


@pytest.mark.parametrize("stage, admitting, graduating, cross", [
    ("2", "440106000000", "440106001000", False),   # one county
    ("2", "440106000000", "440105000000", True),    # two counties of 广州
    ("3", "440106000000", "440105000000", False),   # 高中: two counties of one city
    ("3", "440106000000", "440304000000", True),    # 高中: 广州 and 深圳
    ("2", "440106000000", "", True),
])
def test_who_reviews_across_counties_and_cities(stage, admitting, graduating, cross):
    assert R.needs_graduating_review(stage, admitting, graduating) is cross


@pytest.mark.parametrize("value, stage", [
    ("初中", "2"), ("高中", "3"), ("2", "2"), (3, "3"), (3.0, "3"), ("2-初中", "2"), (" 高中 ", "3"),
    ("小学", None), ("", None), (None, None), ("4", None), ("初 中", None),
])
def test_stage_cells(value, stage):
    assert R.parse_stage(value if not isinstance(value, float) else R.cell_text(value)) == stage


def loads(*sizes):
    return [R.ClassLoad(i + 1, boys, girls) for i, (boys, girls) in enumerate(sizes)]


def placed(plan, genders, classes):
    result = {c.class_id: [c.boys, c.girls] for c in classes}
    for student, klass in plan.items():
        result[klass][0 if genders[student] == "1" else 1] += 1
    return result


@pytest.mark.parametrize("boys, girls, start, expected", [
    (4, 4, [(0, 0), (0, 0)], {1: [2, 2], 2: [2, 2]}),
    (5, 3, [(0, 0), (0, 0)], {1: [3, 1], 2: [2, 2]}),
    (6, 0, [(0, 0), (0, 0), (0, 0)], {1: [2, 0], 2: [2, 0], 3: [2, 0]}),
    (2, 2, [(3, 0), (0, 0)], {1: [3, 1], 2: [2, 1]}),     # the small class fills first
    (3, 3, [(2, 0), (0, 2)], {1: [3, 2], 2: [2, 3]}),     # genders evened out
    (0, 0, [(1, 1)], {1: [1, 1]}),
])
def test_automatic_placement_balances_size_and_gender(boys, girls, start, expected):
    genders = {i: "1" for i in range(boys)} | {100 + i: "2" for i in range(girls)}
    classes = loads(*start)
    plan = R.plan_placement(genders.items(), classes)
    assert set(plan) == set(genders)
    assert placed(plan, genders, classes) == expected
    # the given loads are not changed
    assert [(c.boys, c.girls) for c in classes] == start


def test_placement_without_classes_or_with_unknown_genders():
    assert R.plan_placement([(1, "1")], []) == {}
    plan = R.plan_placement([(1, "9"), (2, ""), (3, "1")], loads((0, 0), (0, 0)))
    assert sorted(plan.values()) == [1, 1, 2]


def row(**cells):
    base = {R.NUMBER: "G1", R.NAME: "张三", R.GRADUATING: "S1", R.ADMITTING: "S2", R.STAGE: "初中"}
    return base | cells


GRAD = R.GraduateFact(1, "张三", "20", 10, "1", "S1")
SCHOOL = R.SchoolFact(2, "某中学", ("2",), None)


@pytest.mark.parametrize("cells, stage, graduate, school, message", [
    ({}, "2", GRAD, SCHOOL, None),
    ({R.NUMBER: ""}, "2", None, SCHOOL, "学籍号不能为空"),
    ({}, "2", None, SCHOOL, "不存在"),
    ({R.NAME: "李四"}, "2", GRAD, SCHOOL, "与学籍号不符"),
    ({R.NAME: ""}, "2", GRAD, SCHOOL, "姓名不能为空"),
    ({}, "2", R.GraduateFact(1, "张三", "10", None, None, None), SCHOOL, "不是毕业生"),
    ({}, "2", R.GraduateFact(1, "张三", "10", 10, "1", "S1"), SCHOOL, "不是毕业生"),  # returned to 在校
    ({R.GRADUATING: "S9"}, "2", GRAD, SCHOOL, "毕业学校不符"),
    ({}, "3", GRAD, R.SchoolFact(2, "某中学", ("2", "3"), None), "应录取入初中"),
    ({R.STAGE: "大学"}, None, GRAD, SCHOOL, "应为初中或高中"),
    ({R.STAGE: ""}, None, GRAD, SCHOOL, "教育阶段不能为空"),
    ({R.ADMITTING: ""}, "2", GRAD, SCHOOL, "录取学校标识码不能为空"),
    ({}, "2", GRAD, None, "录取学校标识码“S2”不存在"),
    ({}, "2", GRAD, R.SchoolFact(2, "某中学", ("2",), "不在您的数据范围内"), "不在您的数据范围内"),
    ({}, "2", GRAD, R.SchoolFact(2, "某中学", ("3",), None), "没有初中学段"),
])
def test_check_row(cells, stage, graduate, school, message):
    errors = R.check_row(row(**cells), stage, graduate, school)
    assert (errors == []) if message is None else any(message in e for e in errors), errors
