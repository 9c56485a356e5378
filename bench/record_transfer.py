"""Benchmark: 学生学籍转移 of a whole grade (changes.transfer_services), confirmed in the request.

In a throwaway database (or ``DATABASE_URL``) it builds the test organisation tree
(xueji.testing), two primary schools of one county with a 2024 grade (two classes each),
``--count`` 在校 pupils in the sending grade (inserted directly, not timed) and the
county's registrar. Then it times, each as one call:

1. ``create_record_transfer`` by the county (the batch with its member snapshot);
2. ``confirm_record_transfer`` by the receiving school's registrar: the batch applied
   at once in chunks of 1,000 — per chunk two status changes with their history rows,
   the move (``students.services.move_students``), the 待分班 rows and an audit entry.

Prints one JSON object: seconds and SQL statements of each step.
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
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as var_dir:
        _common.django_setup(var_dir, migrate=False)
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        call_command("migrate", verbosity=0)
        from xueji.accounts.models import Role
        from xueji.changes import transfer_services
        from xueji.org.models import Grade, SchoolClass
        from xueji.students.models import Student
        from xueji.testing import build_tree, make_school, make_user

        tree = build_tree()
        source = make_school(tree.tianhe, "3440106001", "转出小学")
        target = make_school(tree.tianhe, "3440106002", "转入小学")
        grades = {}
        for school in (source, target):
            grade = Grade.objects.create(school=school, stage="1", entry_year=2024)
            for n in (1, 2):
                SchoolClass.objects.create(school=school, grade=grade, code=f"20241{n:02d}", name=f"{n}班")
            grades[school.pk] = grade
        klass = SchoolClass.objects.filter(school=source).order_by("code").first()
        Student.objects.bulk_create([
            Student(national_number=f"L44010620180101{i:04d}", number_kind="L", name=f"学生{i}", gender="1",
                    birth_date="2018-01-01", id_type="1", id_number="", school=source, grade=grades[source.pk],
                    klass=klass)
            for i in range(args.count)
        ], batch_size=1000)
        county = make_user("county", Role.AUTHORITY_REGISTRAR, authority=tree.tianhe)
        registrar = make_user("target_registrar", Role.SCHOOL_REGISTRAR, school=target)
        result = {"count": args.count, "database": connection.vendor}
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            transfer = transfer_services.create_record_transfer(county, from_school=source, to_school=target,
                                                                by="grade", grade=grades[source.pk])
            result["create_s"] = round(time.perf_counter() - started, 3)
        result["create_sql"] = len(queries)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            transfer_services.confirm_record_transfer(registrar, transfer, True)
            result["confirm_s"] = round(time.perf_counter() - started, 3)
        result["confirm_sql"] = len(queries)
        transfer.batch.refresh_from_db()
        assert transfer.batch.succeeded == args.count, transfer.batch.failed
        assert Student.objects.filter(school=target).count() == args.count
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
