"""Organisation rules: division codes, school codes, 学制, grade names, 班号."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xueji.org import rules


@pytest.mark.parametrize("code,level", [
    ("440000000000", 1), ("440100000000", 2), ("440106000000", 3), ("110101000000", 3),
])
def test_division_level_of_good_codes(code, level):
    assert rules.division_level_of(code) == level
    assert rules.check_division_code_format(code) == []


@pytest.mark.parametrize("code,fragment", [
    ("", "不能为空"),
    ("440106", "12位数字"),             # 6-digit code not padded
    ("4401060000001", "12位数字"),      # 13 digits
    ("44010600000X", "12位数字"),
    ("440106001000", "视为外区县"),     # padded otherwise (a township code)
    ("000000000000", "不是有效"),
])
def test_division_code_bad_values(code, fragment):
    errors = rules.check_division_code_format(code, "出生地")
    assert errors and fragment in errors[0]
    assert errors[0].startswith("出生地")


@pytest.mark.parametrize("code", ["", "344010600", "34401060011", "344010600A", " "])
def test_school_code_bad(code):
    assert rules.check_school_code(code)


def test_school_code_good():
    assert rules.check_school_code("3440106001") == []


@pytest.mark.parametrize("stages,ok", [
    ({"1": 6}, True), ({"1": 5, "2": 4}, True), ({"1": 6, "2": 3, "3": 3}, True),
    ({"1": 6, "2": 4}, False),   # 10 years of compulsory education
    ({"1": 5, "2": 3}, False),
    ({"1": 7}, False), ({"3": 4}, False), ({"2": None}, False), ({}, False),
])
def test_school_stages(stages, ok):
    assert (rules.check_school_stages(stages) == []) is ok


def test_grade_name():
    assert rules.grade_name("1", 2016) == "小学2016级"
    assert rules.grade_name("3", 2024) == "高中2024级"


@pytest.mark.parametrize("stage,entry,school_year,years,label", [
    ("1", 2026, 2026, {"1": 6}, "一年级"),
    ("1", 2021, 2026, {"1": 6}, "六年级"),
    ("1", 2020, 2026, {"1": 6}, "已毕业"),
    ("1", 2027, 2026, {"1": 6}, "未入学"),
    ("2", 2026, 2026, {"1": 6, "2": 3}, "七年级"),
    ("2", 2026, 2026, {"1": 5, "2": 4}, "六年级"),   # 5-4 system
    ("2", 2023, 2026, {"1": 5, "2": 4}, "九年级"),
    ("3", 2025, 2026, {"3": 3}, "高二"),
])
def test_current_year_label(stage, entry, school_year, years, label):
    assert rules.current_year_label(stage, entry, school_year, years) == label


def test_school_year_starts_in_september():
    assert rules.school_year_of(dt.date(2026, 8, 31)) == 2025
    assert rules.school_year_of(dt.date(2026, 9, 1)) == 2026


def test_class_code_examples_from_spec():
    assert rules.check_class_code("2013101", "1", 2013) == []
    assert rules.check_class_code("2011202", "2", 2011) == []
    assert rules.class_code(2013, "1", 1) == "2013101"


@pytest.mark.parametrize("code,stage,year,fragment", [
    ("", None, None, "不能为空"),
    ("201310", None, None, "7位数字"),
    ("20131011", None, None, "7位数字"),
    ("2013a01", None, None, "7位数字"),
    ("2013401", None, None, "学段"),
    ("2013100", None, None, "01至99"),
    ("2013101", "2", 2013, "学段(小学)与年级学段(初中)不一致"),
    ("2013101", "1", 2014, "入学年份2013与年级入学年份2014不一致"),
    ("0999101", None, None, "入学年份不正确"),
])
def test_class_code_bad(code, stage, year, fragment):
    errors = rules.check_class_code(code, stage, year)
    assert any(fragment in e for e in errors), errors


@given(year=st.integers(1950, 2100), stage=st.sampled_from(["1", "2", "3"]), number=st.integers(1, 99))
def test_class_code_roundtrip(year, stage, number):
    code = rules.class_code(year, stage, number)
    assert len(code) == 7
    assert rules.check_class_code(code, stage, year) == []


@given(year=st.integers(1950, 2100), stage=st.sampled_from(["1", "2", "3"]),
       other=st.sampled_from(["1", "2", "3"]), number=st.integers(1, 99))
def test_class_code_other_stage_refused(year, stage, other, number):
    code = rules.class_code(year, stage, number)
    assert (rules.check_class_code(code, other, year) == []) is (stage == other)


def test_entry_year_window():
    today = dt.date(2026, 11, 23)
    assert rules.check_entry_year(2026, today) == []
    assert rules.check_entry_year(2027, today) == []
    assert rules.check_entry_year(2028, today)
    assert rules.check_entry_year(1900, today)
    assert rules.check_entry_year(None, today)
