"""The database mirror and its loader."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from xueji.codes.models import CodeItem, CodeTableRecord
from xueji.codes.services import load_code_tables
from xueji.codes.tables import TABLES, CodeTable

pytestmark = pytest.mark.django_db

N_ITEMS = sum(len(t.items) for t in TABLES.values())


def test_load_creates_everything():
    counts = load_code_tables()
    assert counts["tables"] == counts["tables_created"] == len(TABLES)
    assert counts["items"] == counts["items_created"] == N_ITEMS
    assert CodeTableRecord.objects.count() == len(TABLES)
    assert CodeItem.objects.count() == N_ITEMS
    male = CodeItem.objects.get(table_id="gender", code="1")
    assert (male.name, male.sort_order, male.is_active) == ("男", 1, True)
    assert CodeItem.objects.get(table_id="nationality", code="CHN").sort_order == 1


def test_load_is_idempotent(django_assert_max_num_queries):
    load_code_tables()
    before = list(CodeItem.objects.values_list("id", "table_id", "code", "name", "sort_order", "is_active"))
    with django_assert_max_num_queries(4):  # two reads; nothing to write (plus savepoints)
        counts = load_code_tables()
    assert counts["tables_created"] == counts["tables_updated"] == 0
    assert counts["items_created"] == counts["items_updated"] == counts["items_deactivated"] == 0
    assert counts["tables"] == len(TABLES) and counts["items"] == N_ITEMS
    after = list(CodeItem.objects.values_list("id", "table_id", "code", "name", "sort_order", "is_active"))
    assert before == after


def test_load_repairs_changes_and_retires_codes():
    load_code_tables()
    CodeItem.objects.filter(table_id="gender", code="1").update(name="错误", is_active=False)
    CodeTableRecord.objects.filter(key="gender").update(name="错误")
    CodeItem.objects.create(table_id="gender", code="X", name="旧代码", sort_order=99)
    counts = load_code_tables()
    assert counts["tables_updated"] == 1
    assert counts["items_updated"] == 1
    assert counts["items_deactivated"] == 1
    assert CodeItem.objects.get(table_id="gender", code="1").name == "男"
    assert CodeTableRecord.objects.get(key="gender").name == "性别"
    assert CodeItem.objects.get(table_id="gender", code="X").is_active is False


def test_load_accepts_other_tables():
    demo = {"demo": CodeTable("demo", "演示", "无", "测试", (("1", "甲"), ("2", "乙")))}
    counts = load_code_tables(demo)
    assert counts["items_created"] == 2
    assert list(CodeItem.objects.filter(table_id="demo").values_list("code", "name")) == [("1", "甲"), ("2", "乙")]


def test_management_command_prints_counts():
    out = StringIO()
    call_command("load_codes", stdout=out)
    assert f"代码表 {len(TABLES)} 张" in out.getvalue()
    assert f"代码项 {N_ITEMS} 项" in out.getvalue()
    out = StringIO()
    call_command("load_codes", stdout=out)
    assert "新增 0,更新 0,停用 0" in out.getvalue()
    assert CodeItem.objects.count() == N_ITEMS
