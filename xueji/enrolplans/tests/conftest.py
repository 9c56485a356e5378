"""Fixtures of the 招生计划数 tests: the world's schools (天河测试小学 6-year primary,
天河测试中学 初中+高中, 海珠测试小学 in another county, 兴宁测试小学 in another province, the
city-run 广州市直属高中) and an .xlsx writer for sheets of plans."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from xueji.enrolplans import rules


@pytest.fixture
def year():
    return rules.enrolment_year(timezone.localdate())


def sheet_bytes(rows, headers=("学校标识码", "学校名称", "招生年度", "教育阶段", "招生计划数")) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
