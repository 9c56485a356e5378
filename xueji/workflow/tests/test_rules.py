"""The pure rules: chain resolution, picking the configuration, windows, transitions, the
proof-material check, and the business-type registry."""

from __future__ import annotations

import datetime as dt
import io
import os
from types import SimpleNamespace as NS

import pytest
from PIL import Image

from xueji.workflow import registry, rules

from .conftest import image_bytes

MINISTRY = NS(pk=1, level=0, name="教育部", prefix="")
GD = NS(pk=2, level=1, name="广东省教育厅", prefix="44")
GZ = NS(pk=3, level=2, name="广州市教育局", prefix="4401")
TIANHE = NS(pk=4, level=3, name="天河区教育局", prefix="440106")

COUNTY_RUN = [TIANHE, GZ, GD, MINISTRY]
CITY_RUN = [GZ, GD, MINISTRY]
PROVINCE_RUN = [GD, MINISTRY]
MINISTRY_RUN = [MINISTRY]


def _chain(levels, ancestors):
    return [(s.level, s.authority_id) for s in rules.resolve_chain(levels, ancestors, "某学校")]


# --- chains --------------------------------------------------------------------------------
def test_county_run_school_default_chain():
    assert _chain(registry.TO_SUPERVISOR, COUNTY_RUN) == [("school", None), ("supervisor", 4)]
    steps = rules.resolve_chain(registry.TO_SUPERVISOR, COUNTY_RUN, "天河小学")
    assert [s.unit for s in steps] == ["天河小学", "天河区教育局"]


def test_county_run_school_climbs_to_province():
    assert _chain(registry.TO_PROVINCE, COUNTY_RUN) == [
        ("school", None), ("supervisor", 4), ("city", 3), ("province", 2),
    ]


def test_city_run_school_does_not_ask_the_city_twice():
    assert _chain(registry.TO_PROVINCE, CITY_RUN) == [("school", None), ("supervisor", 3), ("province", 2)]


def test_province_run_school_has_no_city_step():
    assert _chain(registry.TO_PROVINCE, PROVINCE_RUN) == [("school", None), ("supervisor", 2)]
    assert _chain(["school", "supervisor", "city", "province", "ministry"], PROVINCE_RUN) == [
        ("school", None), ("supervisor", 2), ("ministry", 1),
    ]


def test_ministry_run_school():
    assert _chain(registry.TO_PROVINCE, MINISTRY_RUN) == [("school", None), ("supervisor", 1)]


def test_levels_are_climbed_in_order_whatever_order_they_were_given():
    assert _chain(["province", "school", "supervisor"], COUNTY_RUN) == [
        ("school", None), ("supervisor", 4), ("province", 2),
    ]


def test_chain_without_school_step_and_chain_that_resolves_to_nothing():
    assert _chain(["supervisor"], COUNTY_RUN) == [("supervisor", 4)]
    assert _chain(["city"], PROVINCE_RUN) == []


def test_check_levels():
    assert rules.check_levels(["school", "supervisor"]) == []
    assert rules.check_levels([]) == ["请至少选择一个审核环节"]
    assert "未知的审核环节:county" in rules.check_levels(["county"])
    assert "审核环节不能重复" in rules.check_levels(["school", "school"])


def test_chain_display_as_the_seed_writes_it():
    assert registry.chain_display(registry.TO_SUPERVISOR) == "<-主管教育局<-学校"
    assert registry.chain_display(registry.TO_PROVINCE) == "<-省级<-地市<-主管教育局<-学校"


# --- configuration -------------------------------------------------------------------------
def _config(prefix, category="1", stage="1", name=""):
    return NS(scope_prefix=prefix, category=category, stage=stage, name=name or prefix or "全国")


def test_most_specific_config_wins():
    national, province, city, county = _config(""), _config("44"), _config("4401"), _config("440106")
    prefixes = ["440106", "4401", "44", ""]
    assert rules.pick_config([national, province, city, county], "1", "1", prefixes) is county
    assert rules.pick_config([county, city, province, national], "1", "1", prefixes) is county
    assert rules.pick_config([national, province, city], "1", "1", prefixes) is city
    assert rules.pick_config([national, province], "1", "1", prefixes) is province
    assert rules.pick_config([national], "1", "1", prefixes) is national


def test_config_of_another_area_category_or_stage_does_not_apply():
    national = _config("")
    others = [_config("45"), _config("440105"), _config("440106", category="2"), _config("440106", stage="2")]
    assert rules.pick_config([*others, national], "1", "1", ["440106", "4401", "44", ""]) is national
    assert rules.pick_config(others, "1", "1", ["440106", "4401", "44", ""]) is None


# --- windows -------------------------------------------------------------------------------
def test_window_blocks_inside_only():
    start = dt.datetime(2026, 7, 21, 0, 0, tzinfo=dt.UTC)
    end = dt.datetime(2026, 8, 14, 23, 59, 59, tzinfo=dt.UTC)
    window = NS(business_types=["transfer_in_province", "suspend"], starts_at=start, ends_at=end)
    assert rules.window_blocks([window], "suspend", start) is window
    assert rules.window_blocks([window], "suspend", end) is window
    assert rules.window_blocks([window], "suspend", start + dt.timedelta(days=3)) is window
    assert rules.window_blocks([window], "suspend", start - dt.timedelta(seconds=1)) is None
    assert rules.window_blocks([window], "suspend", end + dt.timedelta(seconds=1)) is None
    assert rules.window_blocks([window], "resume", start + dt.timedelta(days=3)) is None
    assert rules.window_blocks([], "suspend", start) is None


# --- transitions and permissions -------------------------------------------------------------
def test_transition():
    assert rules.transition(2, 0, True) == rules.ADVANCE
    assert rules.transition(2, 1, True) == rules.PASSED
    assert rules.transition(2, 0, False) == rules.FAILED
    assert rules.transition(1, 0, True) == rules.PASSED


def test_refusal_by_level():
    at_school = NS(current_level="school", school_id=7, current_school_id=7, current_authority_id=None)
    at_county = NS(current_level="supervisor", school_id=7, current_school_id=None, current_authority_id=4)
    # a transfer at the sending school's step: that school's leader decides, not the applicant's
    at_sending = NS(current_level="school", school_id=7, current_school_id=8, current_authority_id=None)
    leader = NS(role="school_leader", school_id=7, authority_id=None)
    other_leader = NS(role="school_leader", school_id=8, authority_id=None)
    registrar = NS(role="school_registrar", school_id=7, authority_id=None)
    county = NS(role="authority_registrar", school_id=None, authority_id=4)
    county_admin = NS(role="authority_admin", school_id=None, authority_id=4)
    city = NS(role="authority_registrar", school_id=None, authority_id=3)
    assert rules.refusal(leader, at_school) is None
    assert rules.refusal(other_leader, at_school)
    assert rules.refusal(registrar, at_school)
    assert rules.refusal(county, at_school)
    assert rules.refusal(county, at_county) is None
    assert rules.refusal(county_admin, at_county)
    assert rules.refusal(city, at_county)
    assert rules.refusal(leader, at_county)
    assert rules.refusal(other_leader, at_sending) is None
    assert rules.refusal(leader, at_sending) == "只有本校学籍主管领导可以审核该业务"
    assert rules.refusal(leader, NS(current_level="school", school_id=7, current_school_id=None,
                                    current_authority_id=None))  # a step without its school: nobody


# --- proof materials -------------------------------------------------------------------------
def test_real_png_and_jpeg_are_accepted():
    png = rules.check_material("a.png", image_bytes("PNG"))
    assert png.ok and png.content_type == "image/png" and png.extension == "png"
    jpeg = rules.check_material("b.jpeg", image_bytes("JPEG"))
    assert jpeg.ok and jpeg.content_type == "image/jpeg" and jpeg.extension == "jpg"


def test_content_decides_not_the_name():
    assert rules.check_material("证明.txt", image_bytes("PNG")).ok
    assert rules.check_material("证明.jpg", "这是一个文本文件".encode()).errors == ["证明材料只能是JPG或PNG图片"]


def test_image_over_2mb_is_refused():
    side = 850  # random pixels barely compress: ~2.1 MB as PNG
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    assert 2 * 1024 * 1024 < len(data) < 2.5 * 1024 * 1024
    assert rules.check_material("big.png", data).errors == ["证明材料不能超过2MB"]
    assert rules.check_material("exact.png", image_bytes("PNG")).ok


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n" + os.urandom(200),                      # PNG header, garbage after
    b"\xff\xd8\xff\xe0" + os.urandom(200),                       # JPEG header, garbage after
    image_bytes("JPEG", (64, 64))[:300],                         # truncated JPEG
    image_bytes("PNG", (64, 64))[:60],                           # truncated PNG
    image_bytes("GIF"),                                          # a real image, but GIF
    image_bytes("BMP"),
    b"",
])
def test_not_a_decodable_jpg_or_png_is_refused(data):
    check = rules.check_material("x.jpg", data)
    assert not check.ok
    assert check.errors[0] in {"证明材料只能是JPG或PNG图片", "证明材料文件为空"}


def test_png_with_corrupted_chunk_is_refused():
    data = bytearray(image_bytes("PNG", (40, 40)))
    data[40:60] = os.urandom(20)  # inside the image data: CRC no longer matches
    assert not rules.check_material("x.png", bytes(data)).ok


# --- the registry ----------------------------------------------------------------------------
SEED_TYPES = [
    "居民身份证小学新生注册", "居民身份证非小学新生注册", "港澳台和外籍小学新生注册", "港澳台和外籍非小学新生注册",
    "无身份证件小学新生注册", "无身份证件非小学新生注册", "关键数据变更", "关键数据变更(无身份证件)",
    "关键数据变更(一年内先后变更姓名和身份证件号)", "学籍申诉", "学籍变更", "恢复入学资格", "休学", "复学", "留级",
    "跳级", "开除", "退学", "死亡", "失踪", "出境", "入境复学", "转入特教/工读", "省内转学", "省内转学(转出)",
    "升级转学", "小学毕业", "小学结业", "初中毕业", "初中结业", "高中毕业", "高中结业", "肄业", "辍学", "去中职就读",
    "小学招生录取", "初中招生录取", "高中招生录取", "问题学籍变更", "问题学籍变更(无身份证件号)", "问题学籍佐证",
    "问题学籍删除", "跨省问题学籍变更", "跨省问题学籍佐证", "跨省问题学籍删除", "跨省转学", "毕业后跨省就学",
    "误操作删除", "毕业生退回",
]


def test_registry_has_every_type_of_the_seed_with_ascii_codes():
    names = {t.name: t for t in registry.all_types()}
    assert set(SEED_TYPES) <= set(names)
    codes = [t.code for t in registry.all_types()]
    assert len(codes) == len(set(codes))
    assert all(c.isascii() and c.replace("_", "").isalnum() for c in codes)


def test_default_chains_of_spec_f30():
    chains = {t.name: t.default_chain for t in registry.all_types()}
    for name in ("无身份证件小学新生注册", "无身份证件非小学新生注册", "关键数据变更(无身份证件)",
                 "关键数据变更(一年内先后变更姓名和身份证件号)"):
        assert chains[name] == ("school", "supervisor", "city", "province"), name
    for name in ("居民身份证小学新生注册", "关键数据变更", "休学", "省内转学", "小学毕业", "误操作删除"):
        assert chains[name] == ("school", "supervisor"), name


def test_stage_specific_types():
    assert registry.get("reg_primary_resident").stages == ("1",)
    assert registry.get("graduate_junior").stages == ("2",)
    assert registry.get("admit_senior").stages == ("3",)
    assert registry.get("suspend").stages == ("1", "2", "3")


def test_set_handlers_keeps_what_it_is_not_given():
    saved = registry.get("resume")
    try:
        def done(business):
            return None

        registry.set_handlers("resume", on_complete=done)
        registry.set_handlers("resume", on_end=done)
        assert registry.get("resume").on_complete is done and registry.get("resume").on_end is done
        registry.set_handlers("resume", on_complete=None)
        assert registry.get("resume").on_complete is None and registry.get("resume").on_end is done
        assert registry.get("resume").default_chain == saved.default_chain
    finally:
        registry._TYPES["resume"] = saved


def test_register_rejects_bad_definitions():
    with pytest.raises(ValueError):
        registry.register("坏代码", "坏", registry.TO_SUPERVISOR)
    with pytest.raises(ValueError):
        registry.register("bad_chain", "坏", ["county"])
    with pytest.raises(ValueError):
        registry.register("bad_stage", "坏", registry.TO_SUPERVISOR, stages=["4"])
    assert registry.find("bad_chain") is None


def test_kinds_label_names_a_set_of_types_by_what_they_share():
    from xueji.workflow.rules import kinds_label

    assert kinds_label(["居民身份证小学新生注册", "港澳台和外籍小学新生注册", "无身份证件小学新生注册"]) == "小学新生注册(全部3类)"
    assert kinds_label(["居民身份证非小学新生注册", "无身份证件非小学新生注册"]) == "非小学新生注册(全部2类)"
    assert kinds_label(["休学", "复学"]) == "休学、复学"  # "学" alone names nothing
    # one character apart: the ending would be cut inside a word (中招生录取)
    assert kinds_label(["初中招生录取", "高中招生录取"]) == "初中招生录取、高中招生录取"
    assert kinds_label(["关键数据变更"]) == "关键数据变更"
    assert kinds_label([]) == ""
