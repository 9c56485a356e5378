"""Division columns (出生地, 籍贯, 户口所在地, 成员N户口所在地) in clean_row: a county-level
name or the 12-digit code; anything not reaching a county refused (seed 000: 籍贯
"精确填写到某某省某某市某某区或县")."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xueji.org import rules as org_rules
from xueji.students import fields as F
from xueji.students import rules as R

TODAY = dt.date(2025, 9, 10)
ROWS = [
    ("440000000000", "广东省", 1, None),
    ("440100000000", "广州市", 2, "440000000000"),
    ("440101000000", "市辖区", 3, "440100000000"),
    ("440106000000", "天河区", 3, "440100000000"),
    ("440105000000", "海珠区", 3, "440100000000"),
    ("441900000000", "东莞市", 2, "440000000000"),
    ("110000000000", "北京市", 1, None),
    ("110100000000", "市辖区", 2, "110000000000"),
    ("110105000000", "朝阳区", 3, "110100000000"),
    ("220000000000", "吉林省", 1, None),
    ("220100000000", "长春市", 2, "220000000000"),
    ("220104000000", "朝阳区", 3, "220100000000"),
]
NAMES = org_rules.build_division_names(ROWS)
CODES = frozenset(code for code, *_ in ROWS)
DIVISION_HEADERS = [f.header for f in F.FIELDS if f.kind == "division"]
NOT_COUNTY = "应精确填写到区县(如“广东省广州市天河区”或12位行政区划代码)"


def clean(changes: dict, names=NAMES) -> R.CleanResult:
    row = dict(F.example_row())
    row.update(changes)
    context = R.CleanContext(entry="resident", today=TODAY, known_division_codes=CODES, division_names=names)
    return R.clean_row(row, context=context)


def _value(result: R.CleanResult, header: str):
    field = F.BY_HEADER[header]
    if field.member is None:
        return result.values[field.attr]
    member = next(m for m in result.family if m["seq"] == field.member)
    return member[field.attr]


def test_every_division_column_is_covered():
    assert set(DIVISION_HEADERS) == {"出生地行政区划代码", "户口所在地行政区划", "籍贯",
                                     "成员1户口所在地行政区划", "成员2户口所在地行政区划"}


@pytest.mark.parametrize("header", DIVISION_HEADERS)
@pytest.mark.parametrize("text", ["广东省广州市天河区", "广东广州天河区", "广州市 天河区", "440106000000", 440106000000])
def test_a_county_by_name_or_code_is_stored_as_its_code(header, text):
    changes = {header: text}
    if header.startswith("成员2"):
        changes.update({"成员2姓名": "李四", "成员2关系": "2-母亲"})
    result = clean(changes)
    assert result.errors == []
    assert _value(result, header) == "440106000000"


@pytest.mark.parametrize("header", DIVISION_HEADERS)
@pytest.mark.parametrize("text", ["广东省", "广东省广州市", "440100000000", "440000000000", "广东省广州市天河区天河路1号",
                                  "火星"])
def test_what_does_not_reach_a_county_is_refused_saying_so(header, text):
    changes = {header: text}
    if header.startswith("成员2"):
        changes.update({"成员2姓名": "李四", "成员2关系": "2-母亲"})
    result = clean(changes)
    assert f"{header}{NOT_COUNTY}" in result.errors


def test_a_city_without_counties_is_county_level():
    assert clean({"籍贯": "广东省东莞市"}).values["native_place_code"] == "441900000000"
    assert clean({"籍贯": "441900000000"}).errors == []


def test_an_ambiguous_name_asks_for_the_province():
    result = clean({"籍贯": "朝阳区"})
    assert result.errors == ["籍贯“朝阳区”对应多个区县,请写明所在省、市或填写12位行政区划代码"]
    assert clean({"籍贯": "吉林省长春市朝阳区"}).values["native_place_code"] == "220104000000"
    assert clean({"籍贯": "北京市朝阳区"}).values["native_place_code"] == "110105000000"


def test_unknown_and_malformed_codes_keep_their_messages():
    assert clean({"籍贯": "440199000000"}).errors == ["籍贯“440199000000”不存在"]
    assert clean({"籍贯": "440106"}).errors[0].startswith("籍贯应为12位数字")


def test_without_the_index_only_codes_are_taken():
    """A context without division_names (format and existence only) behaves as before."""
    result = clean({"籍贯": "广东省广州市天河区"}, names=None)
    assert result.errors and result.errors[0].startswith("籍贯应为12位数字")
    assert clean({"籍贯": "440100000000"}, names=None).errors == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_any_text_gives_a_county_code_or_a_message(text):
    result = clean({"籍贯": text})
    code = result.values["native_place_code"]
    if text.strip():
        assert (code in NAMES.county_codes and not [e for e in result.errors if e.startswith("籍贯")]) or (
            code == "" and any(e.startswith("籍贯") for e in result.errors))
