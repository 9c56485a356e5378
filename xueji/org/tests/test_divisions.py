"""The national division list (F-01): complete, 12-digit, consistent parents, and the
authority tree built from it."""

import pytest
from django.core.management import call_command

from xueji.audit.models import AuditEntry
from xueji.org.models import Authority, Division
from xueji.org.services import read_division_source

PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}


@pytest.fixture
def loaded(db):
    call_command("load_divisions", verbosity=0)


def test_source_is_the_package_list():
    rows = read_division_source()
    assert len(rows) > 3000
    assert all(len(code) == 12 and code.isdigit() for code, _, _ in rows)


def test_every_province_present(loaded):
    provinces = dict(Division.objects.filter(level=1).values_list("code", "name"))
    assert {code[:2]: name for code, name in provinces.items()} == PROVINCES


def test_codes_are_12_digits_and_parents_consistent(loaded):
    assert Division.objects.filter(level=2).count() > 300
    assert Division.objects.filter(level=3).count() > 2800
    for d in Division.objects.select_related("parent"):
        assert len(d.code) == 12 and d.code.isdigit() and d.code.endswith("000000")
        if d.level == 1:
            assert d.parent is None
        else:
            assert d.parent is not None and d.parent.level < d.level
            assert d.code.startswith(d.parent.prefix)


def test_well_known_counties(loaded):
    assert Division.objects.get(code="440106000000").name == "天河区"
    assert Division.objects.get(code="440106000000").parent_id == "440100000000"
    assert Division.objects.get(code="110101000000").name == "东城区"


def test_authority_tree(loaded):
    ministry = Authority.objects.get(level=0)
    assert ministry.name == "教育部" and ministry.prefix == ""
    assert Authority.objects.count() == Division.objects.count() + 1
    gd = Authority.objects.get(code="440000000000")
    assert gd.name == "广东省教育厅" and gd.parent == ministry and gd.prefix == "44"
    assert Authority.objects.get(code="110000000000").name == "北京市教育委员会"
    tianhe = Authority.objects.get(code="440106000000")
    assert tianhe.name == "天河区教育局"
    assert [a.code for a in tianhe.ancestors()] == ["440106000000", "440100000000", "440000000000", "000000000000"]
    for a in Authority.objects.exclude(level=0).select_related("parent"):
        assert a.prefix.startswith(a.parent.prefix)


def test_ancestors_in_one_query_then_cached(loaded, django_assert_num_queries):
    with django_assert_num_queries(1):
        tianhe = Authority.objects.get(code="440106000000")
    with django_assert_num_queries(1):
        chain = tianhe.ancestors()
    assert [a.code for a in chain] == ["440106000000", "440100000000", "440000000000", "000000000000"]
    assert [a.level for a in chain] == [3, 2, 1, 0]
    with django_assert_num_queries(0):
        assert [a.code for a in tianhe.ancestors()] == [a.code for a in chain]
        assert tianhe.parent.parent.parent.name == "教育部"
    # Parents already loaded (select_related) are used as they are: nothing is asked.
    city = Authority.objects.select_related("parent__parent").get(code="440100000000")
    with django_assert_num_queries(0):
        assert [a.code for a in city.ancestors()] == ["440100000000", "440000000000", "000000000000"]
    ministry = Authority.objects.get(level=0)
    with django_assert_num_queries(0):
        assert ministry.ancestors() == [ministry]


def test_ancestors_follow_parent_outside_the_prefixes(loaded, django_assert_num_queries):
    """A parent whose prefix is not one of the child's (not in a well-formed tree) is
    still found, by its own query (then its own superiors by prefix)."""
    odd = Authority.objects.create(code="999999000001", name="测试单位", level=3, prefix="999999",
                                   parent=Authority.objects.get(code="440100000000"))
    odd = Authority.objects.get(pk=odd.pk)
    with django_assert_num_queries(3):
        chain = odd.ancestors()
    assert [a.code for a in chain] == ["999999000001", "440100000000", "440000000000", "000000000000"]


def test_loading_twice_changes_nothing(loaded):
    before = (Division.objects.count(), Authority.objects.count(),
              sorted(Authority.objects.values_list("code", "parent_id", "name")))
    call_command("load_divisions", verbosity=0)
    after = (Division.objects.count(), Authority.objects.count(),
             sorted(Authority.objects.values_list("code", "parent_id", "name")))
    assert before == after
    assert AuditEntry.objects.filter(action="org.divisions_loaded").count() == 2
