"""The code tables: completeness against the standards, and parse/label/choices."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xueji.codes import tables
from xueji.codes.tables import TABLES, choices, get, is_valid, label, name_of, parse

ALL_CODES = [(key, code) for key, table in TABLES.items() for code in table.codes]
ALL_NAMES = [(key, code, name) for key, table in TABLES.items() for code, name in table.items]


# --- the tables themselves -----------------------------------------------------------
SPEC_KEYS = {
    "gender", "ethnicity", "nationality", "id_type", "hmt", "health", "political",
    "household_type", "study_mode", "student_source", "entry_mode", "blood_type",
    "commute_mode", "relation", "disability_type", "graduation_destination", "yes_no",
    "school_category", "stage", "school_type", "sponsor_type", "urban_rural",
    "boarding_type", "attached_class", "special_ed_mode", "disability_proof", "disability_grade",
}


def test_every_table_of_the_brief_is_there():
    assert SPEC_KEYS <= set(TABLES)


@pytest.mark.parametrize("key", sorted(TABLES))
def test_table_is_well_formed(key):
    table = TABLES[key]
    assert table.key == key
    assert table.name and table.standard and table.source
    assert table.items, "a table has items"
    codes = [code for code, _ in table.items]
    names = [name for _, name in table.items]
    assert len(set(codes)) == len(codes), "codes are unique"
    assert len(set(names)) == len(names), "names are unique, so a name parses to one code"
    for code, name in table.items:
        assert code == code.strip() and code == code.upper() and 1 <= len(code) <= 3
        assert name == name.strip() and name
    for text, code in table.aliases:
        assert code in codes, f"alias {text!r} points at a code of the table"


def test_dataclass_is_frozen():
    with pytest.raises(AttributeError):
        TABLES["gender"].name = "x"  # type: ignore[misc]


def test_gender():
    assert get("gender").items[:2] == (("1", "男"), ("2", "女"))
    assert set(get("gender").codes) == {"0", "1", "2", "9"}


def test_ethnicity_gb3304():
    table = get("ethnicity")
    assert len(table.items) == 58
    assert [c for c, _ in table.items] == [f"{i:02d}" for i in range(1, 57)] + ["97", "98"]
    names = dict(table.items)
    for code, name in {
        "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族",
        "06": "苗族", "08": "壮族", "11": "满族", "15": "土家族", "23": "高山族",
        "29": "柯尔克孜族", "43": "乌孜别克族", "56": "基诺族",
        "97": "其他", "98": "外国血统中国籍人士",
    }.items():
        assert names[code] == name


def test_ethnicity_names_match_cpca_list():
    # Located without importing cpca (its __init__ needs pkg_resources).
    package_dir = Path(next(iter(find_spec("cpca").submodule_search_locations)))
    text = (package_dir / "resources" / "56_nations.csv").read_text(encoding="utf-8")
    cpca_names = {line.strip() for line in text.splitlines() if line.strip()}
    ours = {name for code, name in get("ethnicity").items if code not in {"97", "98"}}
    assert ours == cpca_names


def test_nationality_from_pycountry():
    table = get("nationality")
    assert len(table.items) >= 240
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in table.codes)
    names = dict(table.items)
    assert names["CHN"] == "中国"
    assert names["TWN"] == "中国台湾"
    assert names["HKG"] == "中国香港"
    assert names["MAC"] == "中国澳门"
    assert names["USA"] == "美国"
    assert names["KOR"] == "韩国"
    assert choices("nationality")[0] == ("CHN", "CHN-中国")
    assert [c for c, _ in choices("nationality")[:4]] == ["CHN", "HKG", "MAC", "TWN"]
    # Every name is Chinese (the zh_CN translation covers the list).
    assert all(re.search(r"[\u4e00-\u9fff]", name) for name in names.values())


def test_id_type_exact():
    assert get("id_type").items == (
        ("1", "居民身份证"),
        ("6", "香港特区护照/身份证明"),
        ("7", "澳门特区护照/身份证明"),
        ("8", "台湾居民来往大陆通行证"),
        ("9", "境外永久居住证"),
        ("A", "护照"),
        ("Z", "其他"),
    )


def test_hmt_exact():
    assert get("hmt").items == (
        ("00", "否"), ("01", "香港同胞"), ("02", "香港同胞亲属"), ("03", "澳门同胞"),
        ("04", "澳门同胞亲属"), ("05", "台湾同胞"), ("06", "台湾同胞亲属"), ("11", "华侨"),
        ("12", "侨眷"), ("13", "归侨"), ("14", "归侨子女"), ("21", "归国留学人员"),
        ("31", "非华裔中国人"), ("41", "外籍华裔人"), ("51", "外国人"), ("99", "其他"),
    )


def test_health_and_political():
    assert get("health").items == (
        ("10", "健康或良好"), ("20", "一般或较弱"), ("30", "有慢性病"), ("40", "有生理缺陷"), ("50", "残疾"),
    )
    political = dict(get("political").items)
    assert [f"{i:02d}" for i in range(1, 14)] == list(political)
    assert (political["01"], political["02"], political["03"], political["13"]) == (
        "中共党员", "中共预备党员", "共青团员", "群众",
    )


def test_school_side_tables():
    assert get("school_category").items == (("1", "普通中小学"), ("2", "特教学校"), ("3", "工读学校"))
    assert get("stage").items == (("1", "小学"), ("2", "初中"), ("3", "高中"))
    school_types = dict(get("school_type").items)
    for code, name in {"211": "小学", "218": "小学教学点", "311": "初级中学", "312": "九年一贯制学校",
                       "341": "完全中学", "342": "高级中学", "345": "十二年一贯制学校", "371": "工读学校"}.items():
        assert school_types[code] == name
    assert get("urban_rural").items == (
        ("111", "主城区"), ("112", "城乡结合区"), ("121", "镇中心区"), ("122", "镇乡结合区"),
        ("123", "特殊区域"), ("210", "乡中心区"), ("220", "村庄"),
    )
    # The school model stores boarding_type in one character, sponsor/urban/type in three.
    assert all(len(c) == 1 for c in get("boarding_type").codes)
    assert all(len(c) <= 3 for key in ("school_type", "sponsor_type", "urban_rural") for c in get(key).codes)


def test_special_education_tables():
    assert [n for _, n in get("disability_type").items] == [
        "无残疾", "视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾",
    ]
    assert [n for _, n in get("special_ed_mode").items][:3] == ["普通学校随班就读", "特教学校就读", "送教上门"]
    assert [n for _, n in get("disability_proof").items] == ["残疾证", "医院残疾证明", "有明显残疾症状"]
    assert get("disability_grade").codes == ("1", "2", "3", "4")


def test_graduation_destination_is_seed_001_list():
    names = [n for _, n in get("graduation_destination").items]
    assert names == ["升学", "本科", "专科", "中专", "技校", "高职", "职业高中", "普通高中", "普通初中",
                     "就业", "参军", "出国", "赴港澳台", "待就业", "其他"]


def test_relation_has_other_for_the_explanation_rule():
    assert parse("relation", "其他") == "9"
    assert [n for _, n in get("relation").items] == ["父亲", "母亲", "祖父母", "外祖父母", "兄姐", "其他亲属", "其他"]


def test_unknown_table_is_a_key_error():
    for call in (lambda: get("nope"), lambda: parse("nope", "1"), lambda: label("nope", "1"),
                 lambda: choices("nope"), lambda: is_valid("nope", "1"), lambda: name_of("nope", "1")):
        with pytest.raises(KeyError):
            call()


# --- parse ---------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "value", "expected"), [
    ("gender", "1", "1"),
    ("gender", "男", "1"),
    ("gender", "女", "2"),
    ("gender", "1-男", "1"),
    ("gender", "1 男", "1"),
    ("gender", "  2 女\t", "2"),
    ("gender", "1—男", "1"),
    ("gender", "1:男", "1"),
    ("gender", "１－男", "1"),
    ("gender", "男性", "1"),
    ("gender", 1, "1"),
    ("gender", 1.0, "1"),
    ("gender", "1.0", "1"),
    ("gender", Decimal("2"), "2"),
    ("gender", " 1 ", "1"),
    ("ethnicity", "01", "01"),
    ("ethnicity", 1, "01"),
    ("ethnicity", 1.0, "01"),
    ("ethnicity", "1", "01"),
    ("ethnicity", "汉族", "01"),
    ("ethnicity", "汉", "01"),
    ("ethnicity", "01-汉族", "01"),
    ("ethnicity", "01汉族", "01"),
    ("ethnicity", "56 基诺族", "56"),
    ("ethnicity", 98, "98"),
    ("nationality", "CHN", "CHN"),
    ("nationality", "chn", "CHN"),
    ("nationality", "CN", "CHN"),
    ("nationality", "中国", "CHN"),
    ("nationality", "CHN-中国", "CHN"),
    ("nationality", "香港", "HKG"),
    ("nationality", "中国台湾", "TWN"),
    ("nationality", "United States", "USA"),
    ("id_type", "a", "A"),
    ("id_type", "A-护照", "A"),
    ("id_type", "居民身份证", "1"),
    ("id_type", 1, "1"),
    ("hmt", 0, "00"),
    ("hmt", "否", "00"),
    ("hmt", "11-华侨", "11"),
    ("health", "健康或者良好", "10"),
    ("political", "中国共产主义青年团团员", "03"),
    ("political", 13, "13"),
    ("household_type", "非农业户口", "2"),
    ("blood_type", "未知血型", "0"),
    ("blood_type", "O型", "4"),
    ("commute_mode", "自行车（含电动自行车）", "2"),
    ("commute_mode", "公共交通(含城市公交、农村客运、地铁)", "3"),
    ("yes_no", "是", "1"),
    ("yes_no", True, "1"),
    ("yes_no", False, "0"),
    ("yes_no", 0, "0"),
    ("school_type", 211, "211"),
    ("disability_type", "视力", "1"),
])
def test_parse_accepts(key, value, expected):
    assert parse(key, value) == expected


@pytest.mark.parametrize(("key", "value"), [
    ("gender", None),
    ("gender", ""),
    ("gender", "   "),
    ("gender", "3"),
    ("gender", "xyz"),
    ("gender", "1-女"),  # code and name disagree
    ("gender", 1.5),
    ("gender", float("nan")),
    ("gender", float("inf")),
    ("gender", -1),
    ("gender", "男女"),
    ("ethnicity", "00"),
    ("ethnicity", 57),
    ("ethnicity", "汉族族"),
    ("nationality", "XXX"),
    ("nationality", "中"),
    ("id_type", "B"),
    ("health", 1),
    ("hmt", "1-否"),
])
def test_parse_rejects(key, value):
    assert parse(key, value) is None


# --- label, name_of, choices, is_valid -------------------------------------------------
def test_label():
    assert label("gender", "1") == "1-男"
    assert label("gender", 2) == "2-女"
    assert label("ethnicity", "01") == "01-汉族"
    assert label("nationality", "CHN") == "CHN-中国"
    assert label("id_type", "Z") == "Z-其他"
    assert label("gender", "") == ""
    assert label("gender", None) == ""
    assert label("gender", "7") == "7"  # unknown: the raw value stays visible
    assert label("ethnicity", "汉族") == "汉族"


def test_name_of_and_is_valid():
    assert name_of("gender", "1") == "男"
    assert name_of("gender", "3") is None
    assert name_of("gender", None) is None
    assert is_valid("gender", "1")
    assert not is_valid("gender", "男")
    assert not is_valid("gender", 1)
    assert not is_valid("ethnicity", "1")
    assert not is_valid("gender", None)


def test_choices():
    assert choices("gender")[:2] == [("1", "1-男"), ("2", "2-女")]
    assert choices("gender", only=("1", "2")) == [("1", "1-男"), ("2", "2-女")]
    first = choices("yes_no")
    first.clear()
    assert choices("yes_no"), "callers get a copy"


def test_aliases_of():
    assert "汉" in tables.aliases_of("ethnicity")["01"]


# --- properties ----------------------------------------------------------------------
@given(st.sampled_from(ALL_CODES))
def test_parse_of_label_is_the_code(key_code):
    key, code = key_code
    assert parse(key, label(key, code)) == code


@given(st.sampled_from(ALL_NAMES), st.sampled_from(["", " ", "  ", "\t", "\u3000"]),
       st.sampled_from(["-", " ", "", "—", ":", "、", " - "]))
def test_parse_of_code_name_and_name(key_code_name, pad, sep):
    key, code, name = key_code_name
    assert parse(key, code) == code
    assert parse(key, pad + name + pad) == code
    assert parse(key, f"{pad}{code}{sep}{name}{pad}") == code


@given(st.sampled_from(sorted(TABLES)),
       st.one_of(st.none(), st.text(max_size=12), st.integers(), st.floats(), st.booleans()))
def test_parse_never_raises_and_gives_a_code_or_none(key, value):
    result = parse(key, value)
    assert result is None or is_valid(key, result)


def test_parse_is_fast_enough_for_big_imports():
    values = ["男", "1", 1, "01-汉族", "汉", "CHN", "中国", "  2 女 ", 1.0, "garbage"] * 10_000
    keys = ["gender", "gender", "gender", "ethnicity", "ethnicity", "nationality", "nationality",
            "gender", "gender", "ethnicity"] * 10_000
    start = time.perf_counter()
    for key, value in zip(keys, values, strict=True):
        parse(key, value)
    assert time.perf_counter() - start < 5.0  # 100,000 cells


def test_every_table_is_documented():
    doc = (Path(__file__).resolve().parents[3] / "docs" / "CODE_TABLES.md").read_text(encoding="utf-8")
    for key, table in TABLES.items():
        assert f"`{key}`" in doc, f"docs/CODE_TABLES.md describes {key}"
        assert table.name in doc
