"""Benchmark: 招生入学 — the import of the admission result list and admit + review + 调档
(xueji.admission.services).

In a throwaway database (or ``DATABASE_URL``) it builds the test organisation tree, primary
schools in 天河区 and 海珠区 with ``--count`` primary graduates (毕业 records and their
Graduate rows inserted directly, not timed; a quarter from 海珠区, so their admission needs
the graduating county's review too) and ``--schools`` junior schools of 天河区, each with its
first grade. Then it times:

1. the import: an .xlsx of the five columns (written before, not timed) read in a stream
   and imported by 天河区教育局 — ``import_results`` (per-row checks, one read of the numbers
   per chunk, one insert, one audit entry): rows/s;
2. 录取 of every row by each school's registrar (``admit``: a review business per row
   through ``initiate_many``, duplicates check, problem-record lock);
3. the review: ``decide_many`` by each school's leader, 天河区 and (for the crossing rows)
   海珠区 — reported apart;
4. 调档 (``retrieve`` → ``students.admit_records``, 毕业去向, hand-over).

Prints one JSON object: seconds and SQL statements of each step, rows/s of the import,
admit + 调档 and the whole flow in seconds. ``--profile``: per step, the statement shapes
that took the most time (stderr).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402


class Statements:
    """Counts the statements of a step (and, with ``profile``, their time by shape)."""

    def __init__(self, profile: bool):
        self.profile, self.count, self.shapes, self.commit_s = profile, 0, {}, 0.0

    def timed_commit(self, commit):
        def wrapper():
            started = time.perf_counter()
            try:
                return commit()
            finally:
                self.commit_s += time.perf_counter() - started
        return wrapper

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        if not self.profile:
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            shape = re.sub(r"(%s|\?|\d+)(\s*,\s*(%s|\?|\d+))+", "…", sql)[:160]
            spent, n = self.shapes.get(shape, (0.0, 0))
            self.shapes[shape] = (spent + time.perf_counter() - started, n + 1)

    def report(self, step: str) -> None:
        if self.profile:
            total = sum(spent for spent, _ in self.shapes.values())
            print(f"--- {step}: {self.count} statements, {total:.3f} s in them, {self.commit_s:.3f} s in COMMIT",
                  file=sys.stderr)
            for shape, (spent, n) in sorted(self.shapes.items(), key=lambda kv: -kv[1][0])[:12]:
                print(f"{spent:8.3f} s {n:6d}x  {shape}", file=sys.stderr)
        self.count, self.shapes, self.commit_s = 0, {}, 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100000)
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--profile", action="store_true",
                        help="also print, per step, the statements that took the most time (to stderr)")
    parser.add_argument("--cprofile", action="store_true", help="also print each step's Python profile (stderr)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as var_dir:
        _common.django_setup(var_dir, migrate=False)
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        from xueji.accounts.models import Role
        from xueji.admission import rules, services
        from xueji.admission.models import AdmissionResult
        from xueji.common.xlsx_writer import XlsxStream
        from xueji.graduation.models import Graduate
        from xueji.org.models import Grade, SchoolClass
        from xueji.students.excel import read_rows
        from xueji.students.models import Student
        from xueji.testing import build_tree, make_school, make_user
        from xueji.workflow import services as workflow
        from xueji.workflow.models import Business

        tree = build_tree()
        th, hz = (make_user("th", Role.AUTHORITY_REGISTRAR, authority=tree.tianhe),
                  make_user("hz", Role.AUTHORITY_REGISTRAR, authority=tree.haizhu))
        year = services.admission_year()
        graduated_on = min(dt.date(year, 7, 1), timezone.localdate())
        primaries = []
        for s, county in enumerate([tree.tianhe] * 3 + [tree.haizhu]):
            school = make_school(county, f"3{county.prefix}9{s:02d}", f"小学{s}")
            grade = Grade.objects.create(school=school, stage="1", entry_year=year - 6)
            primaries.append((school, grade))
        juniors = []
        for s in range(args.schools):
            school = make_school(tree.tianhe, f"3440106{s:03d}", f"初中{s}", stages={"2": 3}, school_type="311")
            grade = Grade.objects.create(school=school, stage="2", entry_year=year)
            for n in range(1, 5):
                SchoolClass.objects.create(school=school, grade=grade, code=f"{year}2{n:02d}", name=f"{n}班")
            juniors.append((school, make_user(f"reg{s}", Role.SCHOOL_REGISTRAR, school=school),
                            make_user(f"lead{s}", Role.SCHOOL_LEADER, school=school)))
        rows, students, graduates = [], [], []
        for i in range(args.count):
            school, grade = primaries[i % 4]
            students.append(Student(national_number=f"L4401062013{i:08d}", number_kind="L", name=f"学生{i}",
                                    gender="1" if i % 2 else "2", birth_date="2013-01-01", id_type="1", id_number="",
                                    school=school, grade=grade, status="20"))
        Student.objects.bulk_create(students, batch_size=5000)
        ids = dict(Student.objects.values_list("national_number", "pk"))
        for i, s in enumerate(students):
            school, grade = primaries[i % 4]
            graduates.append(Graduate(student_id=ids[s.national_number], school=school, stage="1",
                                      grade_name=grade.name, kind="20", graduated_on=graduated_on))
            rows.append([s.national_number, s.name, school.code, juniors[i % args.schools][0].code, "初中"])
        Graduate.objects.bulk_create(graduates, batch_size=5000)
        sheet = Path(var_dir) / "results.xlsx"
        with XlsxStream(sheet, "招生结果") as stream:
            stream.append(rules.HEADERS)
            for r in rows:
                stream.append(r)
        result = {"count": args.count, "schools": args.schools, "database": connection.vendor,
                  "machine": _common.machine()}
        stats = Statements(args.profile)
        if args.profile:
            connection.ensure_connection()
            connection._commit = stats.timed_commit(connection._commit)

        def step(label: str, work) -> None:
            profiler = cProfile.Profile() if args.cprofile else None
            started = time.perf_counter()
            with connection.execute_wrapper(stats):
                if profiler:
                    profiler.runcall(work)
                else:
                    work()
            if profiler:
                print(f"--- {label}: Python", file=sys.stderr)
                profile_stats = pstats.Stats(profiler, stream=sys.stderr)
                profile_stats.sort_stats("tottime").print_stats(15)
                profile_stats.sort_stats("cumulative").print_stats(r"xueji", 30)
            result[f"{label}_s"] = round(time.perf_counter() - started, 3)
            result[f"{label}_statements"] = stats.count
            stats.report(label)

        outcomes = []
        with sheet.open("rb") as handle:
            step("import", lambda: outcomes.append(services.import_results(
                th, read_rows(handle, headers=rules.HEADERS))))
        result["import_rows_per_s"] = round(args.count / result["import_s"])
        assert outcomes[0].created == args.count, outcomes[0].as_result()["failures"][:3]

        def admit_all():
            for school, registrar, _ in juniors:
                services.admit(registrar, list(AdmissionResult.objects.filter(admitting_school=school)
                                               .values_list("pk", flat=True)))

        def review_all():
            for school, _, leader in juniors:
                workflow.decide_many(Business.objects.filter(school=school, status="open", position=0), leader, True)
            workflow.decide_many(Business.objects.filter(status="open", current_authority=tree.tianhe), th, True)
            workflow.decide_many(Business.objects.filter(status="open", current_authority=tree.haizhu), hz, True)

        def retrieve_all():
            for school, registrar, _ in juniors:
                services.retrieve(registrar, list(AdmissionResult.objects.filter(admitting_school=school)
                                                  .values_list("pk", flat=True)))

        step("admit", admit_all)
        step("review", review_all)
        step("retrieve", retrieve_all)
        assert Student.objects.filter(status="10", grade__stage="2").count() == args.count
        result["admit_and_retrieve_s"] = round(result["admit_s"] + result["retrieve_s"], 3)
        result["flow_s"] = round(result["admit_s"] + result["review_s"] + result["retrieve_s"], 3)
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
