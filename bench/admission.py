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

Prints one JSON object: seconds of each step, rows/s of the import, admit + 调档 and the
whole flow in seconds.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100000)
    parser.add_argument("--schools", type=int, default=20)
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
        started = time.perf_counter()
        with sheet.open("rb") as handle:
            outcome = services.import_results(th, read_rows(handle, headers=rules.HEADERS))
        result["import_s"] = round(time.perf_counter() - started, 3)
        result["import_rows_per_s"] = round(args.count / result["import_s"])
        assert outcome.created == args.count, outcome.as_result()["failures"][:3]
        started = time.perf_counter()
        for school, registrar, _ in juniors:
            services.admit(registrar, list(AdmissionResult.objects.filter(admitting_school=school)
                                           .values_list("pk", flat=True)))
        result["admit_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        for school, _, leader in juniors:
            workflow.decide_many(Business.objects.filter(school=school, status="open", position=0), leader, True)
        workflow.decide_many(Business.objects.filter(status="open", current_authority=tree.tianhe), th, True)
        workflow.decide_many(Business.objects.filter(status="open", current_authority=tree.haizhu), hz, True)
        result["review_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        for school, registrar, _ in juniors:
            services.retrieve(registrar, list(AdmissionResult.objects.filter(admitting_school=school)
                                              .values_list("pk", flat=True)))
        result["retrieve_s"] = round(time.perf_counter() - started, 3)
        assert Student.objects.filter(status="10", grade__stage="2").count() == args.count
        result["admit_and_retrieve_s"] = round(result["admit_s"] + result["retrieve_s"], 3)
        result["flow_s"] = round(result["admit_s"] + result["review_s"] + result["retrieve_s"], 3)
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
