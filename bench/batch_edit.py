"""Benchmark: 非关键信息批量修改 (F-44) through its jobs — the export of a school's 在校
students to the edit sheet, and the import of the edited sheet back.

In a throwaway database (or ``DATABASE_URL``) it sets up the divisions, a primary school
in 天河区 with 20 classes and ``--rows`` records (two family members each, written by
``students.services.create_records``; not timed) and the school's 学籍管理员. Then:

1. timed: the export job (``changes.batch_edit_export``: the sheet of every record,
   streamed) — rows/s and the file size;
2. the exported sheet edited and saved as Excel saves it (strings shared; not timed): every row gets a new 上下学距离 and 健康状况,
   ``--family-share`` of the rows a new 成员1联系电话 (a family edit is one
   ``update_family`` per record), ``--key-share`` a changed 姓名 (refused rows);
3. timed: the import job (``changes.batch_edit``, started as the page starts it, run by
   the task backend until 已完成): read, plan, registration rules, one transaction with
   the history events and the audit entry — rows/s.

``--repeat N`` (SQLite) restores the database before each import and reports the median.
Prints one JSON object.

    .venv/bin/python bench/batch_edit.py --rows 10000 --repeat 3
    bash scripts/pg-throwaway run -- .venv/bin/python bench/batch_edit.py --rows 10000
    .venv/bin/python bench/batch_edit.py --rows 10000 --profile /tmp/be.prof   # then pstats
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
from record_writer import SCHOOL_CODE, build_world, make_rows, make_specs, time_create_records  # noqa: E402
from registration_import import Breakdown, _restore, _snapshot, _write_shared_strings  # noqa: E402

USER = "bench_school_registrar"


def edit_sheet(content: bytes, path: Path, *, family_share: float, key_share: float) -> int:
    """The exported sheet edited, saved as Excel and WPS save a workbook (strings in a
    shared-string table: the registration benchmark's writer). Returns the rows whose
    key data was changed (refused)."""
    from openpyxl import load_workbook

    from xueji.changes import batch_edit

    source = load_workbook(io.BytesIO(content), read_only=True)["学生信息"]
    rows = [list(r) for r in source.iter_rows(values_only=True)]
    header = rows[0]
    family_every = round(1 / family_share) if family_share else 0
    key_every = round(1 / key_share) if key_share else 0
    edited, refused = [], 0
    for i, values in enumerate(rows[1:]):
        row = {h: v for h, v in zip(header, values, strict=True) if v not in (None, "")}
        row["上下学距离"] = f"{i % 90}.5"
        row["健康状况"] = "20" if i % 2 else "10-健康或良好"
        if family_every and i % family_every == 1:
            row["成员1联系电话"] = f"137{i:08d}"
        if key_every and i % key_every == 2:
            row["姓名"] = "改名" + str(row["姓名"])[:3]
            refused += 1
        edited.append(row)
    _write_shared_strings(path, batch_edit.export_workbook([]), edited)
    return refused


def breakdown() -> Breakdown:
    """Wall time inside the import's steps (inclusive; ``--breakdown``)."""
    from xueji.changes import batch_edit
    from xueji.students import rules as field_rules
    from xueji.students import services as student_services

    timers = Breakdown()
    timers.wrap_generator(batch_edit, "iterate_in_worker", "waiting for the sheet's rows")
    timers.wrap_generator(batch_edit, "_records", "batch_edit._records (per record)")
    for name in ("_resolve", "exported_cells", "record_event"):
        timers.wrap(batch_edit, name, f"batch_edit.{name}")
    timers.wrap(batch_edit.rules, "plan_row", "batch_edit_rules.plan_row")
    timers.wrap(batch_edit.R, "clean_family", "rules.clean_family")
    timers.wrap(field_rules, "clean_row", "rules.clean_row")
    for name in ("update_records", "update_family", "update_families", "_locked", "_history"):
        timers.wrap(student_services, name, f"students.services.{name}")
    timers.wrap(field_rules, "check_changes", "rules.check_changes")
    timers.wrap(student_services.bulk, "update_rows", "bulk.update_rows")
    return timers


def time_import(school, user, content: bytes, profile: str | None = None) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xueji.changes import batch_edit

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu = time.perf_counter(), time.process_time()
    job = batch_edit.submit_import(school, user, SimpleUploadedFile("edited.xlsx", content))
    job.refresh_from_db()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    assert job.status == "done", (job.status, job.message)
    rows = job.result["rows"]
    return {"rows": rows, "changed": job.result["changed"], "failed": job.result["failed_count"],
            "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "cpu_seconds": round(cpu, 2),  # this process's (the sheet is read in a second one)
            "first_failures": job.result["failures"][:2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--family-share", type=float, default=0.05)
    parser.add_argument("--key-share", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--breakdown", action="store_true", help="time the import's steps (first run)")
    parser.add_argument("--profile", help="cProfile the first import into this file (its timing then inflated; "
                        "the sheet is read in a worker process, outside the profile)")
    args = parser.parse_args()
    results: dict = {"rows": args.rows, "machine": _common.machine()}
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as var_dir:
        _common.django_setup(var_dir)
        from django.db import connection

        from xueji.accounts.models import Role
        from xueji.changes import batch_edit
        from xueji.students.models import Student
        from xueji.testing import make_user

        results["database"] = _common.database()
        world = build_world(SCHOOL_CODE)
        time_create_records(make_specs(make_rows(args.rows, world, duplicates=False), world), 5000)
        school = world["school"]
        user = make_user(USER, Role.SCHOOL_REGISTRAR, school=school)
        ids = list(Student.objects.filter(school=school).values_list("pk", flat=True))
        started = time.perf_counter()
        content = batch_edit.export_workbook(ids)
        seconds = time.perf_counter() - started
        results["export"] = {"rows": len(ids), "seconds": round(seconds, 2), "rows_per_s": round(len(ids) / seconds),
                             "bytes": len(content)}
        sheet = Path(var_dir) / "edited.xlsx"
        refused = edit_sheet(content, sheet, family_share=args.family_share, key_share=args.key_share)
        edited = sheet.read_bytes()
        from django.urls import reverse

        reverse("changes:batch_edit")  # the URL map, loaded as a running worker has it (jobs_worker warms it)
        snapshot = _snapshot(var_dir) if args.repeat > 1 else None
        runs = []
        timers = breakdown() if args.breakdown else None
        for attempt in range(args.repeat if snapshot else 1):
            if attempt:
                _restore(snapshot)
            runs.append(time_import(school, user, edited, args.profile if not attempt else None))
            if timers is not None and not attempt:
                results["breakdown"] = timers.report()
            assert runs[-1]["failed"] == refused, runs[-1]
        rates = [r["rows_per_s"] for r in runs]
        results["import"] = {**runs[rates.index(sorted(rates)[len(rates) // 2])],
                             "rows_per_s_median": round(statistics.median(rates)), "runs": rates,
                             "family_share": args.family_share, "key_share": args.key_share}
        results["peak_rss_mb"] = _common.max_rss_mb()
        connection.close()
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
