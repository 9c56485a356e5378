"""Division names (籍贯, 出生地, 户口所在地 written as "广东省广州市天河区"): the pure index
and parser of org.rules, over the real national list (the cpca file, no database) and
with hypothesis."""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from xueji.org import rules
from xueji.org.services import _parent_code, read_division_source


@functools.cache
def national():
    source = read_division_source()
    known = {code for code, _, _ in source}
    rows = [(code, name, level, _parent_code(code, level, known)) for code, name, level in source]
    return rows, rules.build_division_names(rows)


def _by_code():
    rows, _ = national()
    return {code: (name, level, parent) for code, name, level, parent in rows}


def _counties():
    """(code, province name, city name or "", county name) of every real county."""
    by_code = _by_code()
    out = []
    for code, (name, level, parent) in by_code.items():
        if level != 3 or name in rules.PLACEHOLDER_NAMES:
            continue
        parent_name, parent_level, grand = by_code[parent]
        if parent_level == 1:
            out.append((code, parent_name, "", name))
        else:
            city = "" if parent_name in rules.PLACEHOLDER_NAMES else parent_name
            out.append((code, by_code[grand][0], city, name))
    return sorted(out)


COUNTIES = _counties()
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def resolve(text):
    return rules.resolve_division_name(text, national()[1])


def test_the_list_is_the_national_one():
    _, names = national()
    assert len(COUNTIES) > 2800
    assert "440106000000" in names.county_codes
    assert "440100000000" not in names.county_codes  # 广州市 has counties: not county level
    assert "441900000000" in names.county_codes  # 东莞市 has none: it is


@pytest.mark.parametrize("text, code", [
    ("广东省广州市天河区", "440106000000"),
    ("广东广州天河区", "440106000000"),
    ("广东 广州 天河", "440106000000"),
    ("广东省\u3000广州市\u3000天河区", "440106000000"),
    ("广州市天河区", "440106000000"),
    ("天河区", "440106000000"),
    ("北京市朝阳区", "110105000000"),
    ("吉林省吉林市船营区", "220204000000"),
    ("吉林市船营区", "220204000000"),
    ("延边朝鲜族自治州延吉市", "222401000000"),
    ("延边延吉市", "222401000000"),
    ("新疆维吾尔自治区乌鲁木齐市天山区", "650102000000"),
    ("新疆乌鲁木齐天山区", "650102000000"),
    ("广东省东莞市", "441900000000"),
    ("河南省济源市", "419001000000"),
])
def test_names_people_write(text, code):
    assert resolve(text) == (code, "")


@pytest.mark.parametrize("text, problem", [
    ("广东省", "not_county"),
    ("广东省广州市", "not_county"),
    ("广州市", "not_county"),
    ("市辖区", "not_county"),
    ("广东省广州市天河区天河路1号", "not_county"),
    ("火星省", "not_county"),
    ("", "not_county"),
    ("   ", "not_county"),
    ("朝阳区", "ambiguous"),  # 北京市 and 长春市
    ("鼓楼区", "ambiguous"),
])
def test_what_does_not_name_one_county(text, problem):
    assert resolve(text) == (None, problem)


@PROPERTY
@given(st.sampled_from(COUNTIES))
def test_every_county_by_its_full_name(county):
    code, province, city, name = county
    assert resolve(province + city + name) == (code, "")


@PROPERTY
@given(st.sampled_from(COUNTIES), st.booleans(), st.booleans(), st.text(alphabet=" \u3000", max_size=2))
def test_every_county_without_suffixes_and_with_spaces(county, short_province, short_city, space):
    """The province and city may lose 省/市/自治区; spaces (also full-width) anywhere
    between the parts change nothing."""
    code, province, city, name = county
    p = min(rules.place_name_variants(province, 1), key=len) if short_province else province
    c = (min(rules.place_name_variants(city, 2), key=len) if short_city else city) if city else ""
    assert resolve(space.join((p, c, name))) == (code, "")


@PROPERTY
@given(st.sampled_from(COUNTIES))
def test_a_province_or_city_alone_never_resolves(county):
    code, province, city, _ = county
    assert resolve(province)[0] is None
    if city:
        by_code = _by_code()
        city_code = next(c for c, (n, level, _) in by_code.items() if level == 2 and n == city
                         and c[:2] == code[:2])
        if city_code not in national()[1].county_codes:
            assert resolve(province + city)[0] is None


@PROPERTY
@given(st.text(max_size=12))
def test_anything_resolves_to_a_county_or_to_nothing(text):
    """No text resolves to a province or a city that has counties, and no text raises."""
    code, problem = resolve(text)
    if code is None:
        assert problem in ("not_county", "ambiguous")
    else:
        assert code in national()[1].county_codes and problem == ""


@PROPERTY
@given(st.sampled_from(COUNTIES), st.text(alphabet="街道路号村组镇乡0123456789", min_size=1, max_size=6))
def test_an_address_below_a_county_is_refused(county, tail):
    code, province, city, name = county
    assume(not any(tail == v for v in rules.place_name_variants(name, 3)))
    assert resolve(province + city + name + tail)[0] != code


def test_variants_of_autonomous_and_short_names():
    assert rules.place_name_variants("广西壮族自治区", 1) == {"广西壮族自治区", "广西"}
    assert rules.place_name_variants("延边朝鲜族自治州", 2) == {"延边朝鲜族自治州", "延边"}
    assert "天河" in rules.place_name_variants("天河区", 3)
    assert rules.place_name_variants("东区", 3) == {"东区"}  # never shorter than two characters


def test_class_label():
    years = {"1": 6, "2": 3}
    assert rules.class_label("1", 2026, "1班", "2026101", 2026, years) == "一年级1班(2026101)"
    assert rules.class_label("2", 2025, "3班", "2025203", 2026, years) == "八年级3班(2025203)"
    assert rules.class_label("1", 2019, "1班", "2019101", 2026, years) == "小学2019级1班(2019101)"  # graduated
    assert rules.class_label("1", 2027, "1班", "2027101", 2026, years) == "小学2027级1班(2027101)"  # not started
