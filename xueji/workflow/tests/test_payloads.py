"""Typed business content: the schema checks at initiate (bad input refused in Chinese)
and the display rows (labels, code-名称, dates, masked ID and phone numbers, before →
after, verification results, family members as their own rows — never a raw dict or an
English key)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from xueji.students import fields
from xueji.workflow import payloads
from xueji.workflow.payloads import Field, Schema

CHANGE = Schema("关键数据变更", (
    Field("id_type", "身份证件类型", "change", inner="code", code_table="id_type"),
    Field("id_number", "身份证件号", "change", inner="id_number"),
    Field("name", "姓名", "change", required=False),
    Field("reason", "变更原因"),
    Field("effective", "生效日期", "date", required=False),
    Field("verification", "认证结果", "verification", required=False),
    Field("urgent", "加急", "bool", required=False),
    Field("distance", "上下学距离", "number", required=False),
    Field("phone", "联系电话", "phone", required=False),
    Field("place", "出生地", "division", required=False),
    Field("mode", "随班就读", "choice", required=False, options=fields.INCLUSIVE_EDUCATION),
    Field("internal", "内部", "hidden", required=False),
))

GOOD = {
    "id_type": {"before": "Z", "after": "1"},
    "id_number": {"before": "", "after": "440106201901010019"},
    "reason": "补办身份证",
    "effective": "2026-09-01",
    "verification": {"status": "passed", "note": "人口信息库比对一致"},
    "urgent": False,
    "distance": "1.5",
    "phone": "13800138000",
    "place": "440106000000",
    "mode": "0",
    "internal": {"klass_id": 5},
}


def test_a_good_payload_passes():
    assert payloads.check(CHANGE, GOOD) == []
    assert payloads.check(CHANGE, {**GOOD, "effective": dt.date(2026, 9, 1), "distance": decimal.Decimal("2")}) == []


@pytest.mark.parametrize(("change", "message"), [
    ({"extra": 1}, "业务内容含有未定义的项:extra"),
    ({"reason": ""}, "业务内容缺少“变更原因”"),
    ({"reason": None}, "业务内容缺少“变更原因”"),
    ({"id_type": {"before": "Z", "after": "Q"}}, "业务内容“身份证件类型”格式不正确"),
    ({"id_type": "1"}, "业务内容“身份证件类型”应为变更前后的值"),
    ({"id_type": {"before": "Z"}}, "业务内容“身份证件类型”应为变更前后的值"),
    ({"id_type": {"before": "Z", "after": "1", "when": "now"}}, "业务内容“身份证件类型”应为变更前后的值"),
    ({"effective": "2026-02-30"}, "业务内容“生效日期”格式不正确"),
    ({"effective": "20260901"}, "业务内容“生效日期”格式不正确"),
    ({"verification": {"status": "maybe"}}, "业务内容“认证结果”格式不正确"),
    ({"urgent": "是"}, "业务内容“加急”格式不正确"),
    ({"distance": "一公里"}, "业务内容“上下学距离”格式不正确"),
    ({"distance": True}, "业务内容“上下学距离”格式不正确"),
    ({"mode": "7"}, "业务内容“随班就读”格式不正确"),
    ({"phone": 13800138000}, "业务内容“联系电话”格式不正确"),
])
def test_bad_payloads_are_refused_in_chinese(change, message):
    assert message in payloads.check(CHANGE, {**GOOD, **change})


def test_not_a_mapping_and_nothing_at_all():
    assert payloads.check(CHANGE, ["a"]) == ["业务内容格式不正确"]
    assert payloads.check(CHANGE, "text") == ["业务内容格式不正确"]
    assert "业务内容缺少“变更原因”" in payloads.check(CHANGE, None)
    assert payloads.check(payloads.EMPTY, None) == [] and payloads.check(payloads.EMPTY, {}) == []
    assert payloads.check(payloads.EMPTY, {"x": 1}) == ["业务内容含有未定义的项:x"]


def test_display_rows():
    rows = {r.label: r.text for r in payloads.display_rows(CHANGE, GOOD, division_names={"440106000000": "天河区"})}
    assert rows["身份证件类型"] == "Z-其他 → 1-居民身份证"
    assert rows["身份证件号"] == "(空) → 4401**********0019"
    assert rows["姓名"] == "—"
    assert rows["变更原因"] == "补办身份证"
    assert rows["生效日期"] == "2026-09-01"
    assert rows["认证结果"] == "认证通过(人口信息库比对一致)"
    assert rows["加急"] == "否"
    assert rows["联系电话"] == "138****8000"
    assert rows["出生地"] == "440106000000 天河区"
    assert rows["随班就读"] == "0-非随班就读"
    assert "内部" not in rows


def test_reveal_shows_full_numbers():
    rows = {r.label: r.text for r in payloads.display_rows(CHANGE, GOOD, reveal=True)}
    assert rows["身份证件号"] == "(空) → 440106201901010019" and rows["联系电话"] == "13800138000"
    assert payloads.has_sensitive(CHANGE)
    assert not payloads.has_sensitive(Schema("无", (Field("reason", "原因"),)))


def test_bad_stored_values_never_show_raw():
    stored = {**GOOD, "id_type": "not a change", "verification": {"status": "?"}, "effective": {"y": 2026}}
    rows = {r.label: r.text for r in payloads.display_rows(CHANGE, stored)}
    assert rows["身份证件类型"] == payloads.BAD_VALUE
    assert rows["认证结果"] == payloads.BAD_VALUE and rows["生效日期"] == payloads.BAD_VALUE
    assert payloads.display_rows(CHANGE, ["x"]) == [payloads.Row("业务内容", payloads.BAD_VALUE)]
    assert payloads.display_rows(CHANGE, None) == []


def test_schema_declarations_are_checked():
    with pytest.raises(ValueError):
        Field("x", "某项", "blob")
    with pytest.raises(ValueError):
        Field("x", "某项", "code")
    with pytest.raises(ValueError):
        Field("x", "某项", "record")
    with pytest.raises(ValueError):
        Schema("重复", (Field("x", "甲"), Field("x", "乙")))


def test_a_student_number_is_masked_like_the_id_it_carries():
    schema = Schema("误操作删除申请", (Field("national_number", "申请时全国学籍号", "student_number"),))
    number = "G440106201901010019"
    rows = {r.label: r.text for r in payloads.display_rows(schema, {"national_number": number})}
    assert rows["申请时全国学籍号"] == "G4401**********0019"
    revealed = {r.label: r.text for r in payloads.display_rows(schema, {"national_number": number}, reveal=True)}
    assert revealed["申请时全国学籍号"] == number and payloads.has_sensitive(schema)
    temporary = {r.label: r.text for r in payloads.display_rows(schema, {"national_number": "L440106201901010001"})}
    assert temporary["申请时全国学籍号"] == "L440106201901010001"  # J/L numbers carry no ID (decision 15)
