"""The pure rules of 招生计划数: the bounds of a figure, the years that may be set, the
stages, the grade a plan is for, and 计划数 vs 已录取."""

import datetime as dt

import pytest

from xueji.enrolplans import rules


@pytest.mark.parametrize("value,expected", [
    ("120", 120), (120, 120), (120.0, 120), (" 0 ", 0), ("5000", 5000), ("1,200", 1200),
])
def test_whole_numbers_in_bounds_pass(value, expected):
    assert rules.parse_planned(value) == (expected, None)


@pytest.mark.parametrize("value,message", [
    ("", "请填写招生计划数"), (None, "请填写招生计划数"), ("abc", "不是整数"), ("-1", "不能为负数"), (-3, "不能为负数"),
    (1.5, "应为整数"), ("1.5", "不是整数"), ("5001", "不能超过5,000"), (10**12, "不能超过"), ("１２", "不是整数"),
    (True, "应为整数"), ("9" * 40, "不是整数"),
])
def test_bad_figures_are_refused_in_chinese(value, message):
    number, refusal = rules.parse_planned(value)
    assert number is None and message in refusal


def test_years():
    today = dt.date(2026, 3, 1)
    assert rules.settable_years(today) == [2025, 2026, 2027]
    assert rules.parse_year("2026") == 2026 and rules.parse_year(2026.0) == 2026
    for bad in ("abc", "26", "20266", "", None, "２０２６"):
        assert rules.parse_year(bad) is None
    assert rules.year_refusal(2026, today) is None
    assert "不在可设置的范围内" in rules.year_refusal(2030, today)
    assert "4位年份" in rules.year_refusal(None, today)


def test_stages():
    assert [rules.parse_stage(v) for v in ("1", "2-初中", "高中", 3.0, " 1-小学 ")] == ["1", "2", "3", "3", "1"]
    assert rules.parse_stage("4") is None and rules.parse_stage("大学") is None and rules.parse_stage("") is None
    years = {"1": 6, "2": None, "3": None}
    assert rules.stage_refusal("1", years) is None
    assert rules.stage_refusal("2", years, "天河测试小学") == "天河测试小学没有初中学段"
    assert "应为1-小学" in rules.stage_refusal(None, years)


def test_the_first_grade_by_the_schools_years():
    assert rules.first_grade_label("1", {"1": 6}) == "一年级"
    assert rules.first_grade_label("2", {"1": 6, "2": 3}) == "七年级"
    assert rules.first_grade_label("2", {"1": 5, "2": 4}) == "六年级"
    assert rules.first_grade_label("2", {"2": 3}) == "七年级"
    assert rules.first_grade_label("3", {"3": 3}) == "高一"


def test_plan_progress():
    assert rules.plan_progress(None, 3) == "未设置招生计划数,已录取3人"
    assert rules.plan_progress(120, 98) == "计划120人,已录取98人,尚余22人"
    assert rules.plan_progress(10, 13) == "计划10人,已录取13人,超出计划3人"
