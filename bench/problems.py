"""Benchmark: the 问题学籍 lists over a province with ``--groups`` open groups, and the
share of 首次数据采集 spent opening problem groups.

(a) ``lists``: builds (throwaway database, or ``DATABASE_URL``) a province of
``2 × --groups`` students with ``bench/student_query.build`` (not timed), then
``--groups`` open pairs (身份证件号重复, 10 % historical, the later record's turn, turns
started within the last 30 days, deadline 14 days later) inserted set-based. Times,
through the Django test client (scope, conditions, page, rows' 等待谁/对方, rendering),
the school registrar's 省内问题学籍处理 and 问题学籍查询, the county's, city's and
province's 问题学籍查询 and 问题学籍概况, ``--repeat`` times each: p50 / p95 in ms.

(b) ``collection``: 首次数据采集 (``registration.collection.collect``) of ``--rows``
rows of the 72-item template with 1 % duplicate IDs (the same ID under another name), in
files of 100,000 rows loaded one after another into one school:
the total time, the time inside the group writers (``open_groups``,
``group_duplicate_identities``, ``group_same_people``) and the number of queries they
ran — constant in the number of groups when opening is set-based.

    .venv/bin/python bench/problems.py --what lists
    .venv/bin/python bench/problems.py --what collection --rows 100000
    bash scripts/pg-throwaway run -- .venv/bin/python bench/problems.py --what lists

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

CHUNK = 20_000


def build_groups(n_groups: int) -> None:
    """``n_groups`` open pairs of consecutive students (same school)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from xueji.common import bulk
    from xueji.problems.models import ProblemGroup, ProblemMember
    from xueji.students.models import Student

    now = timezone.now()
    ids = list(Student.objects.order_by("school_id", "pk").values_list("pk", flat=True)[: 2 * n_groups])
    g_cols = ["id", "kind", "historical", "state", "resolved", "resolution", "note", "cross_province",
              "turn_since", "turn_due", "locked", "lock_reason", "created_at", "updated_at"]
    m_cols = ["id", "group_id", "student_id", "joined_at", "rank", "state", "must_act", "method", "opinion"]
    for start in range(0, n_groups, CHUNK):
        groups, members = [], []
        for g in range(start, min(start + CHUNK, n_groups)):
            since = now - dt.timedelta(days=g % 30, minutes=g % 600)
            groups.append((g + 1, "id_duplicate", g % 10 == 0, "waiting", False, "", "身份证件号与其他学籍重复",
                           False, since, since + dt.timedelta(days=14), False, "", since, since))
            a, b = ids[2 * g], ids[2 * g + 1]
            members.append((2 * g + 1, g + 1, a, since, since - dt.timedelta(days=1), "pending", False, "", ""))
            members.append((2 * g + 2, g + 1, b, since, since, "pending", True, "", ""))
        with transaction.atomic():
            bulk.insert_rows(ProblemGroup, g_cols, groups)
            bulk.insert_rows(ProblemMember, m_cols, members)
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [ProblemGroup, ProblemMember]):
            cursor.execute(sql)
        cursor.execute("ANALYZE")


def time_lists(who: dict, repeat: int) -> dict:
    from django.test import Client
    from django.urls import reverse
    from student_query import p95

    pages = {
        "school": [("处理", "problems:handle_list", {}), ("处理 / 姓名包含李", "problems:handle_list", {"name": "李"}),
                   ("查询", "problems:index", {}), ("查询 / 超期", "problems:index", {"overdue": "1"})],
        "county": [("查询", "problems:index", {}), ("查询 / 超期 按已等待排序", "problems:index",
                                                   {"overdue": "1", "sort": "-waited"}),
                   ("概况", "problems:overview", {})],
        "city": [("查询", "problems:index", {}), ("概况", "problems:overview", {})],
        "province": [("查询", "problems:index", {}), ("查询 / 第10页", "problems:index", {"page": "10"}),
                     ("概况", "problems:overview", {})],
    }
    out = {}
    for level, entries in pages.items():
        client = Client()
        client.force_login(who[level])
        for label, name, params in entries:
            url = reverse(name)
            response = client.get(url, params)
            assert response.status_code == 200, (level, label, response.status_code)
            samples = []
            for _ in range(repeat):
                start = time.perf_counter()
                response = client.get(url, params)
                samples.append((time.perf_counter() - start) * 1000)
            rows = response.content.decode().count('data-testid="problem-row"')
            out[f"{level} / {label}"] = {"p50_ms": round(sorted(samples)[len(samples) // 2], 1),
                                         "p95_ms": p95(samples), "rows_on_page": rows}
    return out


def lists(args) -> dict:
    import student_query

    started = time.perf_counter()
    info = student_query.build(2 * args.groups, args.schools)
    build_groups(args.groups)
    built = time.perf_counter() - started
    who = student_query.users(info)
    from xueji.problems.models import ProblemGroup

    return {"groups": ProblemGroup.objects.count(), "build_s": round(built, 1), "lists": time_lists(who, args.repeat)}


def collection(args) -> dict:
    import record_writer as rw
    from django.db import connection

    from xueji.registration import collection as C

    world = rw.build_world(rw.COLLECTION_SCHOOL_CODE)
    rows = rw.make_rows(args.rows, world, duplicates=False)
    for i in range(1, len(rows)):
        if i % 100 == 7:  # 1 %: the same ID as the row before, another name
            rows[i] = dict(rows[i - 1], 姓名=rows[i]["姓名"])
    rw.seed_registry(rows, 0)
    spent = {"seconds": 0.0, "queries": 0, "calls": 0}

    def counting(execute, sql, params, many, context):
        spent["queries"] += 1
        return execute(sql, params, many, context)

    def timed(fn):
        def wrapper(*a, **k):
            spent["calls"] += 1
            start = time.perf_counter()
            with connection.execute_wrapper(counting):
                result = fn(*a, **k)
            spent["seconds"] += time.perf_counter() - start
            return result
        return wrapper

    for name in ("open_groups", "group_duplicate_identities", "group_same_people"):
        setattr(C, name, timed(getattr(C, name)))
    # one file per 100,000 rows: a 1,000,000-row sheet unpacks to ~1.8 GB, over the
    # importer's 400 MB guard — a province loads its collection school by school anyway
    per_file = 100_000
    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, start in enumerate(range(0, len(rows), per_file)):
            path = Path(tmp) / f"collection-{n + 1}.xlsx"
            rw.write_sheet(path, rows[start:start + per_file])
            parts.append(rw.time_collection(path))
            path.unlink()
    result = {"files": len(parts), "rows": sum(p["rows"] for p in parts),
              "created": sum(p["created"] for p in parts), "failed": sum(p["failed"] for p in parts),
              "seconds": round(sum(p["seconds"] for p in parts), 2)}
    result["rows_per_s"] = round(result["rows"] / result["seconds"])
    groups: dict = {}
    for p in parts:
        for label, count in p["problem_groups"].items():
            groups[label] = groups.get(label, 0) + count
    result["problem_groups"] = groups
    result["group_writers_s"] = round(spent["seconds"], 2)
    result["group_writers_share"] = f"{spent['seconds'] / result['seconds']:.1%}"
    result["group_writer_calls"] = spent["calls"]
    result["group_writer_queries"] = spent["queries"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--what", choices=["lists", "collection"], default="lists")
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        _common.django_setup(var_dir)
        result = {"what": args.what, "database": _common.database(), "machine": _common.machine()}
        result.update(lists(args) if args.what == "lists" else collection(args))
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
