"""代码表: the national code tables (SPEC F-24, F-72, seed 004 §20) as plain Python data.

Every table is a :class:`CodeTable` in :data:`TABLES`, keyed by a short English key
(``"gender"``, ``"ethnicity"`` …). The values a record stores are the *codes*; every
person-facing display shows "code + Chinese name" (``label("gender", "1") == "1-男"``).

The module-level functions are pure and O(1): every lookup goes through dicts built once
at import time, so an Excel import of 100,000 rows can call :func:`parse` per cell.

- ``get(key)``              the :class:`CodeTable` (``KeyError`` for an unknown key)
- ``name_of(key, code)``    the Chinese name of a stored code, or ``None``
- ``label(key, code)``      ``"1-男"``; the raw value if unknown, ``""`` if empty
- ``choices(key)``          ``[("1", "1-男"), …]`` for form fields
- ``is_valid(key, code)``   is ``code`` (a ``str``) a canonical code of the table
- ``parse(key, value)``     user/Excel input → canonical code, or ``None``

Where a standard gives the codes they are followed; where the seeds give only names the
codes are this system's own, numbered in the template's order with 其他 last as 9 (99).
docs/CODE_TABLES.md records the standard, the source and every such decision.
"""

from __future__ import annotations

import gettext
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pycountry

__all__ = [
    "TABLES",
    "CodeTable",
    "aliases_of",
    "choices",
    "get",
    "is_valid",
    "label",
    "name_of",
    "parse",
]


@dataclass(frozen=True)
class CodeTable:
    """一张代码表: its key, Chinese name, the standard it follows, where its values come
    from, and its ``(code, name)`` items in display order.

    ``aliases`` are further ``(text, code)`` spellings that :func:`parse` accepts (the
    template's wording, a standard's full name where the table shows the short one …);
    they are never displayed as the name. ``note`` says what a user of the table should
    know (a value the student rules don't allow, a code this system chose …).
    """

    key: str
    name: str
    standard: str
    source: str
    items: tuple[tuple[str, str], ...]
    aliases: tuple[tuple[str, str], ...] = ()
    note: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.items)


def _numbered(names: str, width: int = 1, start: int = 1) -> tuple[tuple[str, str], ...]:
    """``"走读 住校"`` → ``(("1", "走读"), ("2", "住校"))``."""
    return tuple((str(i).zfill(width), name) for i, name in enumerate(names.split(), start))


# --------------------------------------------------------------------------------------
# 民族 GB 3304-1991: the standard's order is the code order (01 汉族 … 56 基诺族).
# --------------------------------------------------------------------------------------
_ETHNIC_GROUPS = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 "
    "满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 傈僳族 "
    "佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 "
    "达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
    "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 "
    "独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
)
_ETHNICITY_ITEMS = _numbered(_ETHNIC_GROUPS, width=2) + (("97", "其他"), ("98", "外国血统中国籍人士"))
# The template asks for the name without 族 ("民族:…填写汉字,例:汉").
_ETHNICITY_ALIASES = tuple((name[:-1], code) for code, name in _ETHNICITY_ITEMS if name.endswith("族"))


# --------------------------------------------------------------------------------------
# 国籍/地区 GB/T 2659 (= ISO 3166-1): loaded from pycountry and its zh_CN translation.
# --------------------------------------------------------------------------------------
#: Names where Chinese national usage (and GB/T 2659's Chinese short names) differ from
#: the zh_CN translation shipped with pycountry.
NATIONALITY_NAME_OVERRIDES: dict[str, str] = {
    "TWN": "中国台湾",
    "HKG": "中国香港",
    "MAC": "中国澳门",
    "KOR": "韩国",
    "PRK": "朝鲜",
    "IRN": "伊朗",
    "LAO": "老挝",
    "SYR": "叙利亚",
    "VEN": "委内瑞拉",
    "BOL": "玻利维亚",
    "MDA": "摩尔多瓦",
    "KHM": "柬埔寨",
    "GTM": "危地马拉",
    "KGZ": "吉尔吉斯斯坦",
    "BGD": "孟加拉国",
    "MLT": "马耳他",
    "PYF": "法属波利尼西亚",
    "COG": "刚果（布）",
    "COD": "刚果（金）",
}
#: Shown first in choices: 中国, then 香港, 澳门, 台湾 (the template: "选择中国、香港……").
_NATIONALITY_FIRST = ("CHN", "HKG", "MAC", "TWN")
_NATIONALITY_EXTRA_ALIASES = (
    ("中华人民共和国", "CHN"),
    ("香港", "HKG"),
    ("澳门", "MAC"),
    ("台湾", "TWN"),
    ("中国香港特别行政区", "HKG"),
    ("中国澳门特别行政区", "MAC"),
)


def _nationality() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    items: list[tuple[str, str]] = []
    aliases: list[tuple[str, str]] = list(_NATIONALITY_EXTRA_ALIASES)
    for country in pycountry.countries:
        code = country.alpha_3
        english = [country.name]
        for attr in ("official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                english.append(value)
        translated = [zh.gettext(text) for text in english]
        name = NATIONALITY_NAME_OVERRIDES.get(code)
        if name is None:
            common = getattr(country, "common_name", None)
            common_zh = zh.gettext(common) if common else None
            name = common_zh if common_zh and common_zh != common else translated[0]
        items.append((code, name))
        for text in (*translated, *english, country.alpha_2):
            if text and text != name:
                aliases.append((text, code))
    first = {code: i for i, code in enumerate(_NATIONALITY_FIRST)}
    items.sort(key=lambda item: (first.get(item[0], len(first)), item[0]))
    return tuple(items), tuple(aliases)


_NATIONALITY_ITEMS, _NATIONALITY_ALIASES = _nationality()


# --------------------------------------------------------------------------------------
# The tables.
# --------------------------------------------------------------------------------------
_SEED_000 = "seed 000(72项采集表及填报说明)"
_OWN_CODES = "代码为本系统约定:按模板中的顺序编号,其他为9(两位码为99)"

_TABLE_LIST: list[CodeTable] = [
    # ---- 学生基本信息 -------------------------------------------------------------
    CodeTable(
        "gender", "性别",
        "GB/T 2261.1-2003 个人基本信息分类与代码 第1部分:人的性别代码",
        f"SPEC F-24;{_SEED_000}“性别:1-男,2-女”",
        (("1", "男"), ("2", "女"), ("0", "未知的性别"), ("9", "未说明的性别")),
        aliases=(("男性", "1"), ("女性", "2")),
        note="0 未知的性别、9 未说明的性别是标准中的取值,保留以便数据交换;学生的性别只允许 1 男、2 女(由学生字段规则限制)。",
    ),
    CodeTable(
        "ethnicity", "民族",
        "GB 3304-1991 中国各民族名称的罗马字母拼写法和代码",
        f"SPEC F-24;{_SEED_000}“用两位数字代码,如:01-汉族,02-蒙古族”;与 cpca 包 56_nations.csv 核对过名称",
        _ETHNICITY_ITEMS,
        aliases=_ETHNICITY_ALIASES,
        note="按 GB 3304 的顺序编码 01–56,另有 97 其他、98 外国血统中国籍人士。导入时也接受不带“族”字的写法(如“汉”)。",
    ),
    CodeTable(
        "nationality", "国籍/地区",
        "GB/T 2659(现行 GB/T 2659.1-2022,等同采用 ISO 3166-1)三字母代码",
        f"导入时从 pycountry {pycountry.__version__} 的 ISO 3166-1 数据及其 zh_CN 译文加载;{_SEED_000}“用三位字母代码,如:CHN-中国,USA-美国”",
        _NATIONALITY_ITEMS,
        aliases=_NATIONALITY_ALIASES,
        note="名称按我国国家用法:TWN 中国台湾、HKG 中国香港、MAC 中国澳门;若干国名用通用简称(如 KOR 韩国、PRK 朝鲜)。"
        "CHN 中国排在最前,其后为香港、澳门、台湾。导入时也接受二字母代码、英文名称和全称。",
    ),
    CodeTable(
        "id_type", "身份证件类型",
        "JY/T 1001 教育管理信息 身份证件类型代码(学籍系统采用其中 1、6、7、8、9、A、Z)",
        f"SPEC F-24;{_SEED_000}“身份证类型:1-居民身份证,6-…,A-护照,Z-其他”",
        (
            ("1", "居民身份证"),
            ("6", "香港特区护照/身份证明"),
            ("7", "澳门特区护照/身份证明"),
            ("8", "台湾居民来往大陆通行证"),
            ("9", "境外永久居住证"),
            ("A", "护照"),
            ("Z", "其他"),
        ),
        aliases=(("身份证", "1"),),
        note="Z 其他:身份证件号可不填,但须填写至少1名监护人的居民身份证,并上传《无身份证号学生在校就读证明》。",
    ),
    CodeTable(
        "hmt", "港澳台侨外",
        "JY/T 1001 教育管理信息 港澳台侨外代码",
        f"SPEC F-24;{_SEED_000}第10项“港澳台侨外”",
        (
            ("00", "否"),
            ("01", "香港同胞"),
            ("02", "香港同胞亲属"),
            ("03", "澳门同胞"),
            ("04", "澳门同胞亲属"),
            ("05", "台湾同胞"),
            ("06", "台湾同胞亲属"),
            ("11", "华侨"),
            ("12", "侨眷"),
            ("13", "归侨"),
            ("14", "归侨子女"),
            ("21", "归国留学人员"),
            ("31", "非华裔中国人"),
            ("41", "外籍华裔人"),
            ("51", "外国人"),
            ("99", "其他"),
        ),
    ),
    CodeTable(
        "health", "健康状况",
        "学籍采集表两位健康状况代码(分类参照 GB/T 2261.3-2003 健康状况代码)",
        f"SPEC F-24;{_SEED_000}“10-健康或良好、20-一般或较弱、30-有慢性病、40-有生理缺陷、50-残疾”",
        (("10", "健康或良好"), ("20", "一般或较弱"), ("30", "有慢性病"), ("40", "有生理缺陷"), ("50", "残疾")),
        aliases=(("健康或者良好", "10"), ("健康", "10"), ("良好", "10"), ("一般或者较弱", "20")),
    ),
    CodeTable(
        "political", "政治面貌",
        "GB/T 4762-1984 政治面貌代码(名称用标准中的简称)",
        f"SPEC F-24;{_SEED_000}“01-中共党员,02-中共预备党员,03-共青团员,13-群众”",
        (
            ("01", "中共党员"),
            ("02", "中共预备党员"),
            ("03", "共青团员"),
            ("04", "民革会员"),
            ("05", "民盟盟员"),
            ("06", "民建会员"),
            ("07", "民进会员"),
            ("08", "农工党党员"),
            ("09", "致公党党员"),
            ("10", "九三学社社员"),
            ("11", "台盟盟员"),
            ("12", "无党派民主人士"),
            ("13", "群众"),
        ),
        aliases=(
            ("中国共产党党员", "01"),
            ("中国共产党预备党员", "02"),
            ("中国共产主义青年团团员", "03"),
            ("团员", "03"),
            ("中国国民党革命委员会会员", "04"),
            ("中国民主同盟盟员", "05"),
            ("中国民主建国会会员", "06"),
            ("中国民主促进会会员", "07"),
            ("中国农工民主党党员", "08"),
            ("中国致公党党员", "09"),
            ("台湾民主自治同盟盟员", "11"),
            ("无党派人士", "12"),
        ),
        note="中小学生通常为 03 共青团员或 13 群众(少先队员按群众填报)。",
    ),
    CodeTable(
        "household_type", "户口性质",
        "无国家标准代码;取值为学籍采集表的“农业户口”“非农业户口”",
        f"SPEC F-24;{_SEED_000}“以户口簿为准‘农业户口’或‘非农业户口’”(种子未给代码)",
        (("1", "农业户口"), ("2", "非农业户口")),
        aliases=(("农业", "1"), ("非农业", "2"), ("非农", "2"), ("非农(居民)", "2")),
        note=f"{_OWN_CODES}。户籍制度改革后的“居民户口”不在模板取值内,未自动归类。",
    ),
    CodeTable(
        "study_mode", "就读方式",
        "无国家标准代码;取值为学籍采集表的“走读”“住校”",
        f"SPEC F-24;{_SEED_000}第20项;seed 002“此项只有走读和住校两个选项”",
        _numbered("走读 住校"),
        note=_OWN_CODES + "。",
    ),
    CodeTable(
        "student_source", "学生来源",
        "无国家标准代码;取值为学籍采集表的“正常入学”“借读”“其他”",
        f"SPEC F-24;{_SEED_000}“选择‘正常入学’‘借读’‘其他’”",
        (("1", "正常入学"), ("2", "借读"), ("9", "其他")),
        note=_OWN_CODES + "。",
    ),
    CodeTable(
        "entry_mode", "入学方式",
        "无国家标准代码;取值为全国学籍系统入学方式选项",
        f"SPEC F-24;{_SEED_000}“入学方式:就近入学”;seed 000“恢复入学资格”;SPEC F-24 的列表(种子未给代码)",
        (
            ("1", "就近入学"),
            ("2", "相对就近入学"),
            ("3", "派位"),
            ("4", "划片招生"),
            ("5", "招生考试"),
            ("6", "面试"),
            ("7", "外校转入"),
            ("8", "恢复入学资格"),
            ("9", "其他"),
        ),
        aliases=(("免试就近入学", "1"), ("电脑派位", "3"), ("转入", "7")),
        note=_OWN_CODES + "。义务教育阶段一般为 1 就近入学。",
    ),
    CodeTable(
        "blood_type", "血型",
        "教育管理信息标准血型代码(0 未知血型 … 9 其他血型)",
        f"SPEC F-24;{_SEED_000}“血型:选择,如:未知血型”",
        (
            ("0", "未知血型"),
            ("1", "A血型"),
            ("2", "B血型"),
            ("3", "AB血型"),
            ("4", "O血型"),
            ("5", "RH阳性血型"),
            ("6", "RH阴性血型"),
            ("7", "HLA血型"),
            ("8", "未定血型"),
            ("9", "其他血型"),
        ),
        aliases=(
            ("未知", "0"), ("不详", "0"),
            ("A", "1"), ("A型", "1"),
            ("B", "2"), ("B型", "2"),
            ("AB", "3"), ("AB型", "3"),
            ("O", "4"), ("O型", "4"),
            ("RH阳性", "5"), ("RH+", "5"),
            ("RH阴性", "6"), ("RH-", "6"),
        ),
        note="导入时“A”“A型”等写法也可识别;注意数字 0 是未知血型,字母 O 是 O 型。",
    ),
    CodeTable(
        "commute_mode", "上下学方式",
        "无国家标准代码;取值为学籍采集表的上下学方式选项",
        f"SPEC F-24;{_SEED_000}第33项“上下学方式”(种子未给取值和代码,取值按全国学籍系统模板)",
        (
            ("1", "步行"),
            ("2", "自行车(含电动自行车)"),
            ("3", "公共交通(含城市公交、农村客运、地铁)"),
            ("4", "家长自行接送"),
            ("5", "校车"),
            ("9", "其他"),
        ),
        aliases=(
            ("自行车", "2"), ("电动自行车", "2"), ("公共交通", "3"), ("公交", "3"),
            ("家长接送", "4"), ("乘坐校车", "5"),
        ),
        note=_OWN_CODES + "。",
    ),
    CodeTable(
        "relation", "家庭关系",
        "学籍采集表的家庭成员关系取值(GB/T 4761-2008 家庭关系代码没有与“祖父母”“外祖父母”“兄姐”一一对应的代码,故未直接采用)",
        f"SPEC F-22、F-24;{_SEED_000}“成员1关系:家庭成员或监护人与学生的关系,如‘父亲’”",
        (
            ("1", "父亲"),
            ("2", "母亲"),
            ("3", "祖父母"),
            ("4", "外祖父母"),
            ("5", "兄姐"),
            ("6", "其他亲属"),
            ("9", "其他"),
        ),
        aliases=(
            ("父", "1"), ("爸爸", "1"),
            ("母", "2"), ("妈妈", "2"),
            ("祖父", "3"), ("祖母", "3"), ("爷爷", "3"), ("奶奶", "3"),
            ("外祖父", "4"), ("外祖母", "4"), ("外公", "4"), ("外婆", "4"), ("姥爷", "4"), ("姥姥", "4"),
            ("兄", "5"), ("哥哥", "5"), ("姐", "5"), ("姐姐", "5"),
            ("伯父", "6"), ("伯母", "6"), ("叔父", "6"), ("叔叔", "6"), ("婶母", "6"), ("婶婶", "6"),
            ("姑父", "6"), ("姑母", "6"), ("姑姑", "6"), ("舅父", "6"), ("舅舅", "6"), ("舅母", "6"),
            ("姨父", "6"), ("姨母", "6"), ("姨妈", "6"),
            ("非亲属", "9"),
        ),
        note=_OWN_CODES + "。GB/T 4761 对应:父亲 51、母亲 52、祖父母 61/62、外祖父母 63/64、兄姐 71/75、"
        "其他亲属 97、其他 99(非亲属)。关系为 9 其他时须填写关系说明。",
    ),
    CodeTable(
        "disability_type", "残疾类型",
        "GB/T 26341-2010 残疾人残疾分类和分级(类别 1–7,与残疾人证号第19位一致);0 无残疾为本系统约定",
        f"SPEC F-24;{_SEED_000}“选择,如‘无残疾’”;seed 003 的取值列表;seed 004 §11“沿用一期指标,但去掉‘其他残疾’选项”",
        (
            ("0", "无残疾"),
            ("1", "视力残疾"),
            ("2", "听力残疾"),
            ("3", "言语残疾"),
            ("4", "肢体残疾"),
            ("5", "智力残疾"),
            ("6", "精神残疾"),
            ("7", "多重残疾"),
        ),
        aliases=(
            ("无", "0"), ("视力", "1"), ("听力", "2"), ("言语", "3"), ("肢体", "4"),
            ("智力", "5"), ("精神", "6"), ("多重", "7"),
        ),
        note="二期去掉了一期的“其他残疾”选项,本表不含。",
    ),
    CodeTable(
        "special_ed_mode", "特教学生就读类型",
        "无国家标准代码;取值为二期特教学生管理指标",
        "SPEC F-72;seed 004 §11“选项变为:普通学校随班就读、特教学校就读、送教上门”;同节截图中的“普通学校特教班就读”",
        (
            ("1", "普通学校随班就读"),
            ("2", "特教学校就读"),
            ("3", "送教上门"),
            ("4", "普通学校特教班就读"),
        ),
        aliases=(("随班就读", "1"), ("特教班就读", "4")),
        note="代码为本系统约定。",
    ),
    CodeTable(
        "disability_proof", "残疾证明类型",
        "无国家标准代码;取值为二期特教学生管理指标",
        "SPEC F-72;seed 004 §11“包括:残疾证、医院残疾证明、有明显残疾症状”",
        _numbered("残疾证 医院残疾证明 有明显残疾症状"),
        aliases=(("残疾人证", "1"),),
        note="代码为本系统约定。1、2 须填残疾程度;1 须填残疾证书号;3 须填残疾情况描述。",
    ),
    CodeTable(
        "disability_grade", "残疾程度",
        "GB/T 26341-2010 残疾人残疾分类和分级(一级至四级,与残疾人证号第20位一致)",
        "SPEC F-72;seed 004 §11“包括:1级、2级、3级、4级”",
        (("1", "1级"), ("2", "2级"), ("3", "3级"), ("4", "4级")),
        aliases=(("一级", "1"), ("二级", "2"), ("三级", "3"), ("四级", "4")),
    ),
    CodeTable(
        "graduation_destination", "毕业去向",
        "无国家标准代码;取值为省级毕业工作指南所列毕业去向",
        "SPEC F-24;seed 001“毕业去向主要有升学,本科,专科,中专,技校,高职,职业高中,普通高中,普通初中,就业,参军,出国,赴港澳台,待就业,其他”",
        _numbered("升学 本科 专科 中专 技校 高职 职业高中 普通高中 普通初中 就业 参军 出国 赴港澳台 待就业", width=2)
        + (("99", "其他"),),
        note=_OWN_CODES + "。",
    ),
    CodeTable(
        "yes_no", "是否",
        "无国家标准代码;通用是否标志",
        f"{_SEED_000}“‘是’或‘否’”",
        (("1", "是"), ("0", "否")),
        aliases=(("Y", "1"), ("N", "0")),
        note="1 是、0 否。导入时 True/False 也可识别。",
    ),
    # ---- 学校(组织机构)---------------------------------------------------------------
    CodeTable(
        "school_category", "办学类型(业务)",
        "无国家标准代码;业务流程配置使用的办学类型",
        "SPEC F-02、F-30;seed 004 §22 业务流程配置“办学类型”",
        _numbered("普通中小学 特教学校 工读学校"),
        note="学校的业务办学类型,业务流程配置按它区分。",
    ),
    CodeTable(
        "stage", "教育阶段",
        "无国家标准代码;取 7 位班号中的学段位",
        "SPEC F-04“学段编号为1-小学,2-初中,3-高中”;seed 000 班号说明",
        _numbered("小学 初中 高中"),
        note="即班号第5位的学段。",
    ),
    CodeTable(
        "school_type", "学校办学类型",
        "教育部教育统计 学校(机构)办学类型代码(3位;前2位即学校标识码的学校类别码:21 小学、31 普通初中、34 普通高中、37 工读学校、51 特殊教育)",
        "SPEC F-02;seed 004 §20“学校办学类型:十二年一贯制学校”",
        (
            ("211", "小学"),
            ("218", "小学教学点"),
            ("311", "初级中学"),
            ("312", "九年一贯制学校"),
            ("341", "完全中学"),
            ("342", "高级中学"),
            ("345", "十二年一贯制学校"),
            ("371", "工读学校"),
            ("511", "盲人学校"),
            ("512", "聋人学校"),
            ("513", "培智学校"),
            ("514", "其他特教学校"),
        ),
        aliases=(
            ("教学点", "218"), ("专门学校", "371"), ("弱智学校", "513"),
            ("特殊教育学校", "514"), ("特教学校", "514"),
        ),
        note="只收学籍系统覆盖的普通中小学、工读学校和特殊教育学校的类型。“特殊教育学校”导入时归入 514 其他特教学校。",
    ),
    CodeTable(
        "sponsor_type", "学校举办者类型",
        "教育统计 学校举办者类型(名称取自统计报表;3位代码为本系统按“中央 1xx / 地方 2xx / 民办 8xx / 中外合作 9xx”的结构编排)",
        "SPEC F-02;seed 004 §20“学校举办者类型:县级教育部门”",
        (
            ("111", "教育部"),
            ("112", "中央其他部门"),
            ("211", "省级教育部门"),
            ("212", "地级教育部门"),
            ("213", "县级教育部门"),
            ("214", "乡级教育部门"),
            ("221", "省级其他部门"),
            ("222", "地级其他部门"),
            ("223", "县级其他部门"),
            ("230", "地方企业"),
            ("240", "事业单位"),
            ("250", "部队"),
            ("260", "集体"),
            ("810", "民办"),
            ("910", "中外合作办学"),
        ),
        aliases=(("乡镇教育部门", "214"),),
        note="代码用于对外数据交换前,须与各地教育统计手册核对。",
    ),
    CodeTable(
        "urban_rural", "城乡分类",
        "国家统计局《统计用区划和城乡划分代码》城乡分类代码(《统计上划分城乡的规定》)",
        "SPEC F-02“城乡类型”;seed 004 §20“学校驻地城乡类型:主城区”",
        (
            ("111", "主城区"),
            ("112", "城乡结合区"),
            ("121", "镇中心区"),
            ("122", "镇乡结合区"),
            ("123", "特殊区域"),
            ("210", "乡中心区"),
            ("220", "村庄"),
        ),
    ),
    CodeTable(
        "boarding_type", "寄宿制形式",
        "无国家标准代码;取值为学校辅助信息“寄宿制形式”",
        "SPEC F-02;seed 004 §20“寄宿制形式:部分寄宿”",
        _numbered("全部寄宿 部分寄宿 无寄宿"),
        aliases=(("全寄宿", "1"), ("非寄宿", "3"), ("无", "3")),
        note="代码为本系统约定(学校表字段只有 1 位)。",
    ),
    CodeTable(
        "attached_class", "附设班类型",
        "无国家标准代码;取值为教育统计的附设教学班类型(可多选)",
        "SPEC F-02;seed 004 §20 学校基本信息“附设班类型”",
        _numbered("附设小学班 附设普通初中班 附设普通高中班 附设职业初中班 附设中职班 附设特教班"),
        aliases=(("附设特殊教育班", "6"),),
        note="代码为本系统约定;一所学校可有多个附设班类型。",
    ),
]

TABLES: dict[str, CodeTable] = {table.key: table for table in _TABLE_LIST}


# --------------------------------------------------------------------------------------
# Lookup indexes, built once.
# --------------------------------------------------------------------------------------
_WHITESPACE = re.compile(r"\s+")
_INTEGRAL_DECIMAL = re.compile(r"^([0-9]+)\.0*$")
#: What may stand between a code and its name: "1-男", "1 男", "1—男", "01:汉族", "1、男".
_SEPARATORS = "-‐‑‒–—―_:、.,/|"


def _norm(text: str) -> str:
    """Fold the spellings people type into one key: full-width → half-width (NFKC),
    whitespace removed, Latin letters upper-cased."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).upper()


class _Index:
    __slots__ = ("names", "exact", "lookup", "codes_norm", "name_keys", "width", "max_code", "labels")

    def __init__(self, table: CodeTable) -> None:
        self.names: dict[str, str] = dict(table.items)
        self.labels: dict[str, str] = {code: f"{code}-{name}" for code, name in table.items}
        # code → itself, by the code's normalised spelling ("a" → "A").
        self.codes_norm: dict[str, str] = {_norm(code): code for code, _ in table.items}
        widths = {len(code) for code, _ in table.items}
        all_digits = all(code.isdigit() for code, _ in table.items)
        #: Fixed width of an all-digit table, for Excel's lost leading zeros (1 → "01").
        self.width: int = widths.pop() if all_digits and len(widths) == 1 else 0
        self.max_code: int = max(len(code) for code, _ in table.items)

        name_keys: dict[str, set[str]] = {code: {_norm(name)} for code, name in table.items}
        for text, code in table.aliases:
            if code not in self.names:
                raise ValueError(f"代码表 {table.key} 的别名 {text!r} 指向不存在的代码 {code!r}")
            name_keys[code].add(_norm(text))
        self.name_keys: dict[str, frozenset[str]] = {c: frozenset(k) for c, k in name_keys.items()}

        # One dict for every accepted spelling. Codes win over names; a name or alias
        # that two codes share is ambiguous and left out.
        by_text: dict[str, set[str]] = {}
        for code, keys in self.name_keys.items():
            for key in keys:
                by_text.setdefault(key, set()).add(code)
        self.lookup: dict[str, str] = {
            key: next(iter(codes)) for key, codes in by_text.items() if len(codes) == 1
        }
        self.lookup.update(self.codes_norm)
        # Exact, un-normalised spellings: the fast path for clean input.
        self.exact: dict[str, str] = {code: code for code, _ in table.items}
        for text in (*(name for _, name in table.items), *(text for text, _ in table.aliases)):
            code = self.lookup.get(_norm(text))
            if code is not None:
                self.exact.setdefault(text, code)

    def code_of(self, norm: str) -> str | None:
        """The canonical code for a normalised code spelling, tolerating lost zeros."""
        code = self.codes_norm.get(norm)
        if code is not None:
            return code
        match = _INTEGRAL_DECIMAL.match(norm)
        if match:
            norm = match.group(1)
            code = self.codes_norm.get(norm)
            if code is not None:
                return code
        if self.width and norm.isascii() and norm.isdigit() and len(norm) < self.width:
            return self.codes_norm.get(norm.zfill(self.width))
        return None


_INDEX: dict[str, _Index] = {key: _Index(table) for key, table in TABLES.items()}
_CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    key: tuple((code, index.labels[code]) for code in TABLES[key].codes) for key, index in _INDEX.items()
}


def _index(key: str) -> _Index:
    try:
        return _INDEX[key]
    except KeyError:
        raise KeyError(f"未知的代码表: {key!r}") from None


# --------------------------------------------------------------------------------------
# Public functions.
# --------------------------------------------------------------------------------------
def get(key: str) -> CodeTable:
    """The table ``key``; ``KeyError`` if there is none."""
    try:
        return TABLES[key]
    except KeyError:
        raise KeyError(f"未知的代码表: {key!r}") from None


def name_of(key: str, code: object) -> str | None:
    """The Chinese name of the stored ``code`` (``name_of("gender", "1") == "男"``)."""
    if code is None:
        return None
    return _index(key).names.get(code if isinstance(code, str) else str(code))


def label(key: str, code: object) -> str:
    """What a person sees: ``"1-男"`` (the template's "代码-名称"). The raw value if it is not a code of the table
    (so bad data stays visible), ``""`` for ``None`` or ``""``."""
    index = _index(key)
    if code is None or code == "":
        return ""
    text = code if isinstance(code, str) else str(code)
    return index.labels.get(text, text)


def choices(key: str, only: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """``[(code, "code-name"), …]`` in the table's order, for a form field. ``only``
    restricts it to some codes (``choices("gender", only=("1", "2"))``)."""
    _index(key)
    items = _CHOICES[key]
    if only is None:
        return list(items)
    wanted = set(only)
    return [item for item in items if item[0] in wanted]


def is_valid(key: str, code: object) -> bool:
    """Is ``code`` exactly a canonical code of the table? (A stored value, a form's
    cleaned value. For what a person typed, use :func:`parse`.)"""
    return isinstance(code, str) and code in _index(key).names


def aliases_of(key: str) -> dict[str, list[str]]:
    """The further spellings :func:`parse` accepts, per code (for the code-table page)."""
    result: dict[str, list[str]] = {}
    for text, code in get(key).aliases:
        result.setdefault(code, []).append(text)
    return result


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        return str(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            return None
        return str(int(value))
    return str(value)


def parse(key: str, value: object) -> str | None:
    """The canonical code for what a person or a spreadsheet gave, or ``None``.

    Accepts the code (``"1"``, ``"a"`` for ``"A"``), the name (``"男"``), an alias
    (``"汉"``, ``"男性"``), and "code name" with a space or a separator (``"1 男"``,
    ``"1-男"``, ``"01汉族"``; the name must then belong to that code). Surrounding and
    inner whitespace and full-width characters are tolerated, and so are Excel's habits:
    numbers (``1``, ``1.0``, ``"1.0"``) and lost leading zeros (``1`` → ``"01"``).
    ``None``, ``""`` and anything unrecognised give ``None``.
    """
    index = _index(key)
    text = _as_text(value)
    if not text:
        return None
    code = index.exact.get(text)
    if code is not None:
        return code
    norm = _norm(text)
    if not norm:
        return None
    code = index.lookup.get(norm)
    if code is not None:
        return code
    code = index.code_of(norm)
    if code is not None:
        return code
    # "code name": try each possible code length (codes are at most 3 characters).
    for n in range(1, min(index.max_code, len(norm) - 1) + 1):
        code = index.code_of(norm[:n])
        if code is not None and norm[n:].lstrip(_SEPARATORS) in index.name_keys[code]:
            return code
    return None
