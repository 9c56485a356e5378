"""Benchmark: the one writer of the record — ``students.services.create_records`` — and
首次数据采集 (``registration.collection.collect``), which writes through it.

In a throwaway database (or ``DATABASE_URL``) it sets up the national divisions and
authorities, a primary school in 天河区 with 20 third-grade classes, the county's
学籍管理员 and the simulated population registry, then (not timed) ``--rows`` valid
rows of the 72-item template (two family members each).

- ``create_records``: the rows cleaned by ``clean_row`` (not timed) become specs as a
  registration's completion builds them — 95 % verified (G + the ID), 5 % temporary
  (a new L number) — their identities claimed beforehand as pending registrations
  hold them; then timed: ``create_records`` of all of them in batches of ``--batch``
  (5,000: one 全部审核), each batch in its own transaction (commit included).
- ``update_records``: the records created as above (not timed), then timed: one
  ``update_records`` call (学籍数据维护 / 批量修改) changing three non-key items of
  every record (联系电话, 健康状况, 上下学距离 — each through the registration rules),
  in one transaction with its 字段修改 history events (commit included).
- ``collection``: the rows written into the template as Excel saves it (not timed; 2 % duplicate IDs
  within the file, 2 % unknown to the registry, 1 % pupils without an ID document),
  then timed: ``collect`` end to end (read, clean, 查重, 认证, numbers, records,
  problem groups, audit).

- ``--undo`` (with ``collection``): before the timed runs, the same load once more (not
  timed) made to fail at its very end (every batch committed, the run not finished), then
  timed: ``collection.withdraw_run`` taking all of it back (records, problem groups,
  memberships, classes) — the database is as before, and the timed runs follow.

``--repeat N`` (SQLite) restores the database between runs and reports the median.
Prints one JSON object.

    .venv/bin/python bench/record_writer.py --rows 10000 --repeat 3
    .venv/bin/python bench/record_writer.py --rows 10000 --what update_records --repeat 3
    bash scripts/pg-throwaway run -- .venv/bin/python bench/record_writer.py --rows 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
from registration_import import _restore, _snapshot, write_workbook  # noqa: E402

SCHOOL_CODE = "3440106001"
COLLECTION_SCHOOL_CODE = "3440106002"
DIVISION = "440106000000"
#: household divisions of the rows, one per 179,640 (天河 first: smaller runs are as before)
_BLOCK_DIVISIONS = ("440106000000", "440103000000", "440104000000", "440105000000", "440111000000",
                    "440112000000", "440113000000", "440114000000", "440115000000", "440117000000")
REGISTRAR = "bench_county_registrar"
CLASSES = 20


def _entry_year() -> int:
    from django.utils import timezone

    from xueji.org.rules import school_year_of

    return school_year_of(timezone.localdate()) - 2


def build_world(code: str) -> dict:
    from xueji.accounts.models import Role, User
    from xueji.org.models import Authority, Grade, SchoolClass
    from xueji.testing import make_school, make_user

    tianhe = Authority.objects.get(code=DIVISION)
    school = make_school(tianhe, code, f"天河基准小学{code[-1]}")
    year = _entry_year()
    grade = Grade.objects.create(school=school, stage="1", entry_year=year)
    classes = [SchoolClass.objects.create(grade=grade, school=school, code=f"{year}1{k:02d}", name=f"{k}班")
               for k in range(1, CLASSES + 1)]
    if not User.objects.filter(username=REGISTRAR).exists():
        make_user(REGISTRAR, Role.AUTHORITY_REGISTRAR, authority=tianhe)
    return {"school": school, "classes": classes, "year": year}


def make_rows(n: int, world: dict, *, duplicates: bool, start: int = 0) -> list[dict]:
    """Rows ``start`` … ``start + n - 1`` with distinct resident IDs: within a block of
    179,640 indexes the birth day (cycle 360) and ID sequence (499) differ; each block
    takes the household division of another county of 广州 (10 counties: 1,796,400 rows)."""
    from xueji.registration.testing import person_name, student_row

    year = world["year"]
    code = world["school"].code
    rows = []
    for n_ in range(n):
        i = start + n_
        birth = dt.date(year - 7, 9, 1) + dt.timedelta(days=i % 360)
        klass = world["classes"][i % CLASSES]
        row = student_row(code, klass.code, i, birth=birth, division=_BLOCK_DIVISIONS[i // 179_640])
        row.update({"上下学方式": "1", "是否需要乘坐校车": "否", "学生来源": "1",
                    "成员1联系电话": f"139{i % 100000000:08d}", "成员1现住址": "测试路1号", "成员1民族": "01",
                    "成员2姓名": person_name(i + 9000), "成员2关系": "2", "成员2是否监护人": "是"})
        if duplicates and i % 50 == 7 and rows:
            row = dict(rows[-1], 姓名=row["姓名"])  # the same ID under another name
        elif duplicates and i % 100 == 13 and rows:
            row.update({"身份证件类型": "Z", "身份证件号": "", "成员1身份证件类型": "1",
                        "成员1身份证件号": rows[0]["身份证件号"]})
        rows.append(row)
    return rows


def seed_registry(rows: list[dict], unknown_every: int) -> int:
    """The simulated registry knows every row's ID under its name, except every
    ``unknown_every``-th, which it answers as not found."""
    from xueji.registration.models import SimulatedResident

    people, unknown = {}, set()
    for i, r in enumerate(rows):
        if r.get("身份证件号"):
            if unknown_every and i % unknown_every == 3:
                unknown.add(r["身份证件号"])
            else:
                people.setdefault(r["身份证件号"], r["姓名"])
    SimulatedResident.objects.bulk_create(
        [SimulatedResident(id_number=k, name=v) for k, v in people.items() if k not in unknown]
        + [SimulatedResident(id_number=k, not_found=True) for k in unknown], batch_size=5000, ignore_conflicts=True)
    return len(people) - len(unknown & set(people))


# --- create_records ------------------------------------------------------------------------

def make_specs(rows: list[dict], world: dict) -> list:
    """Specs as a registration's completion builds them; identities claimed beforehand."""
    from django.db import transaction

    from xueji.registration.services import rules_context
    from xueji.students import numbers, rules, services

    context = rules_context(world["school"], "other-resident")
    class_ids = {c.code: c.pk for c in world["classes"]}
    specs = []
    for i, raw in enumerate(rows):
        cleaned = rules.clean_row(raw, context=context)
        assert not cleaned.errors, cleaned.errors
        v = cleaned.values
        temporary = i % 20 == 11
        specs.append(services.NewRecord(
            values=v, family=cleaned.family, school_id=world["school"].pk, klass_id=class_ids[v["class_code"]],
            number_kind="L" if temporary else "G", number="" if temporary else numbers.official_number(v["id_number"]),
            identity_key=numbers.identity_key(v["id_type"], v["id_number"])))
    with transaction.atomic():
        services.claim_identities([(s.identity_key, world["school"].pk, 10_000_000 + i) for i, s in enumerate(specs)])
    return specs


def time_create_records(specs: list, batch: int) -> dict:
    from django.db import transaction

    from xueji.students.services import create_records

    started = time.perf_counter()
    created = 0
    for start in range(0, len(specs), batch):
        with transaction.atomic():
            created += len(create_records(specs[start:start + batch]))
    seconds = time.perf_counter() - started
    return {"records": created, "seconds": round(seconds, 2), "records_per_s": round(created / seconds)}


def time_update_records(ids: list[int]) -> dict:
    from django.db import transaction

    from xueji.students.services import update_records

    changes = [(pk, {"phone": f"139{i:08d}", "health": "20", "commute_distance": f"{i % 90}.5"})
               for i, pk in enumerate(ids)]
    started = time.perf_counter()
    with transaction.atomic():
        updated = len(update_records(changes, reason="基准测试"))
    seconds = time.perf_counter() - started
    return {"records": updated, "seconds": round(seconds, 2), "records_per_s": round(updated / seconds)}


# --- 首次数据采集 ----------------------------------------------------------------------------

def write_sheet(path: Path, rows: list[dict]) -> None:
    """The 72-item template with the rows, strings shared as Excel saves them (the
    registration benchmark's writer)."""
    write_workbook(path, rows)


def time_collection(path: Path) -> dict:
    from xueji.accounts.models import User
    from xueji.org.models import School
    from xueji.registration.collection import collect

    school = School.objects.get(code=COLLECTION_SCHOOL_CODE)
    user = User.objects.get(username=REGISTRAR)
    started = time.perf_counter()
    report = collect(school, user, path, filename=path.name)
    seconds = time.perf_counter() - started
    return {"rows": report.rows, "created": report.created, "failed": len(report.failed),
            "problem_groups": report.groups_by_label, "numbers": dict(report.numbers),
            "seconds": round(seconds, 2), "rows_per_s": round(report.rows / seconds)}


class _Abort(Exception):
    pass


def time_undo(path: Path) -> dict:
    """A load that fails after its last batch, then its withdrawal, timed."""
    from django.db import transaction

    from xueji.accounts.models import User
    from xueji.org.models import School
    from xueji.registration import collection
    from xueji.students.models import Student

    school = School.objects.get(code=COLLECTION_SCHOOL_CODE)
    user = User.objects.get(username=REGISTRAR)
    before = Student.objects.count()
    run = collection.start_run(school, user, path.name)

    def abort(report):
        raise _Abort

    try:
        collection.collect(school, user, path, filename=path.name, run=run, finish=abort)
    except _Abort:
        pass
    loaded = Student.objects.count() - before
    started = time.perf_counter()
    with transaction.atomic():
        note = collection.withdraw_run(run, "基准测试")
    seconds = time.perf_counter() - started
    assert Student.objects.count() == before, "the withdrawal left records"
    return {"records": loaded, "seconds": round(seconds, 2), "records_per_s": round(loaded / seconds),
            "note": note}


def _median(runs: list[dict], key: str) -> dict:
    ordered = sorted(runs, key=lambda r: r[key])
    result = dict(ordered[(len(ordered) - 1) // 2])
    if len(runs) > 1:
        result[f"{key}_runs"] = [r[key] for r in runs]
        result[f"{key}_median"] = statistics.median(r[key] for r in runs)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=5_000, help="records per create_records call")
    parser.add_argument("--what", choices=["create_records", "update_records", "collection", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--undo", action="store_true", help="also time taking back an unfinished collection")
    args = parser.parse_args()
    results: dict = {"rows": args.rows, "machine": _common.machine()}
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as var_dir:
        _common.django_setup(var_dir)
        from django.db import connection

        results["database"] = _common.database()
        if args.what in ("create_records", "both"):
            world = build_world(SCHOOL_CODE)
            rows = make_rows(args.rows, world, duplicates=False)
            specs = make_specs(rows, world)
            snapshot = _snapshot(var_dir) if args.repeat > 1 else None
            runs = []
            for attempt in range(args.repeat if snapshot else 1):
                if attempt:
                    _restore(snapshot)
                runs.append(time_create_records(specs, args.batch))
            results["create_records"] = {"batch": args.batch, **_median(runs, "records_per_s")}
            connection.close()
        if args.what == "update_records":
            from xueji.students.models import Student

            world = build_world(SCHOOL_CODE)
            specs = make_specs(make_rows(args.rows, world, duplicates=False), world)
            time_create_records(specs, args.batch)
            ids = list(Student.objects.order_by("pk").values_list("pk", flat=True))
            snapshot = _snapshot(var_dir) if args.repeat > 1 else None
            runs = []
            for attempt in range(args.repeat if snapshot else 1):
                if attempt:
                    _restore(snapshot)
                runs.append(time_update_records(ids))
            results["update_records"] = _median(runs, "records_per_s")
            connection.close()
        if args.what in ("collection", "both"):
            world = build_world(COLLECTION_SCHOOL_CODE)
            rows = make_rows(args.rows, world, duplicates=True, start=max(args.rows, 20_000))
            results["registry_seeded"] = seed_registry(rows, unknown_every=50)
            sheet = Path(var_dir) / "collection.xlsx"
            write_sheet(sheet, rows)
            del rows
            if args.undo:
                results["collection_undo"] = time_undo(sheet)
            snapshot = _snapshot(var_dir) if args.repeat > 1 else None
            runs = []
            for attempt in range(args.repeat if snapshot else 1):
                if attempt:
                    _restore(snapshot)
                runs.append(time_collection(sheet))
            results["collection"] = _median(runs, "rows_per_s")
            connection.close()
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
