"""Benchmark: 毕业 of a county's final-grade students (xueji.graduation.services).

In a throwaway database (or ``DATABASE_URL``) it builds the test organisation tree
(xueji.testing), ``--schools`` primary schools of 天河区 each with its final grade (two
classes) and ``--count`` 在校 pupils shared among them (inserted directly, not timed), the
registrar and leader of each school and the county's registrar. Then it times, for all
the schools:

1. ``start_graduation`` (by grade): the refusal checks (final grade, open businesses,
   submitted twice, problem records) and the batch with its member snapshot;
2. the review: the school leader and the county pass each batch (``decide_batch``);
3. ``apply_batch`` of each batch (what ``execute_graduation`` runs, in the request or
   as the job): chunks of 5,000 — per chunk the status UPDATE, the status history and
   record events inserted set-based (``students.services.graduate_records``), the
   Graduate rows and an audit entry.

Prints one JSON object: seconds and SQL statements of each step and in total.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50000)
    parser.add_argument("--schools", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as var_dir:
        _common.django_setup(var_dir, migrate=False)
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        from xueji.accounts.models import Role
        from xueji.graduation import services
        from xueji.org.models import Grade, SchoolClass
        from xueji.students.models import Student
        from xueji.testing import build_tree, make_school, make_user
        from xueji.workflow import batches

        tree = build_tree()
        county = make_user("county", Role.AUTHORITY_REGISTRAR, authority=tree.tianhe)
        schools = []
        per_school = args.count // args.schools
        serial = 0
        for s in range(args.schools):
            school = make_school(tree.tianhe, f"3440106{s:03d}", f"毕业小学{s}")
            year = services.school_year(school)
            grade = Grade.objects.create(school=school, stage="1", entry_year=year - 5)
            classes = [SchoolClass.objects.create(school=school, grade=grade, code=f"{year - 5}1{n:02d}", name=f"{n}班")
                       for n in (1, 2)]
            rows = []
            for i in range(per_school):
                serial += 1
                rows.append(Student(national_number=f"L4401062015{serial:08d}", number_kind="L", name=f"学生{serial}",
                                    gender="1", birth_date="2015-01-01", id_type="1", id_number="", school=school,
                                    grade=grade, klass=classes[i % 2]))
            Student.objects.bulk_create(rows, batch_size=2000)
            schools.append((school, grade, make_user(f"reg{s}", Role.SCHOOL_REGISTRAR, school=school),
                            make_user(f"lead{s}", Role.SCHOOL_LEADER, school=school)))
        result = {"count": per_school * args.schools, "schools": args.schools, "database": connection.vendor}
        today = timezone.localdate().isoformat()
        created = []
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            for _school, grade, registrar, _ in schools:
                created.append(services.start_graduation(registrar, kind="20", date=today, by="grade",
                                                         grades=[grade.pk]))
            result["submit_s"] = round(time.perf_counter() - started, 3)
        result["submit_sql"] = len(queries)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            for batch, (_, _, _, leader) in zip(created, schools, strict=True):
                batches.decide_batch(batch, leader, True)
                batches.decide_batch(batch, county, True)
            result["review_s"] = round(time.perf_counter() - started, 3)
        result["review_sql"] = len(queries)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            for batch, (_, _, registrar, _) in zip(created, schools, strict=True):
                batches.apply_batch(batch, registrar)
            result["apply_s"] = round(time.perf_counter() - started, 3)
        result["apply_sql"] = len(queries)
        result["total_s"] = round(result["submit_s"] + result["review_s"] + result["apply_s"], 3)
        assert Student.objects.filter(status="20").count() == result["count"]
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
