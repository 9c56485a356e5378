"""Benchmark: 全部审核 of many registrations (workflow.services.decide_many), set-based.

In a throwaway database (or ``DATABASE_URL``) it builds the test organisation tree
(xueji.testing), a primary school with a first-grade class, its registrar and leader and
the county registrar, and registers ``--count`` pupils (resident IDs, all known to the
simulated population registry; not timed). Then it times, each as one call:

1. the school leader's 全部审核通过 (every registration moves to 待上报: no hook runs);
2. the registrar's 全部上报 (``release_hold_many``);
3. the county's 全部审核通过: the last step, whose set-based hook
   (``registration.services.complete_registrations``) creates every record with its
   family member, number and identity claim.

For each it prints the seconds and the number of SQL statements (constant, whatever
``--count``). Prints one JSON object.
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
    parser.add_argument("--count", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as var_dir:
        _common.django_setup(var_dir, migrate=False)
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        from xueji.accounts.models import Role
        from xueji.org.models import Grade, SchoolClass
        from xueji.org.rules import school_year_of
        from xueji.registration import services
        from xueji.registration.models import SimulatedResident
        from xueji.registration.testing import first_grade_birth, student_row
        from xueji.students.models import Student
        from xueji.testing import build_tree, make_school, make_user
        from xueji.workflow import services as workflow
        from xueji.workflow.models import Business

        tree = build_tree()
        workflow.load_default_configs()
        school = make_school(tree.tianhe, "3440106001", "天河测试小学")
        year = school_year_of(timezone.localdate())
        grade = Grade.objects.create(school=school, stage="1", entry_year=year)
        klass = SchoolClass.objects.create(grade=grade, school=school, code=f"{year}101", name="1班")
        registrar = make_user("bench_registrar", Role.SCHOOL_REGISTRAR, school=school)
        leader = make_user("bench_leader", Role.SCHOOL_LEADER, school=school)
        county = make_user("bench_county", Role.AUTHORITY_REGISTRAR, authority=tree.tianhe)
        rows = [(i + 2, student_row(school.code, klass.code, i, birth=first_grade_birth(year, i),
                                    division="440106000000")) for i in range(args.count)]
        SimulatedResident.objects.bulk_create(
            [SimulatedResident(id_number=r["身份证件号"], name=r["姓名"]) for _, r in rows], batch_size=1000)
        started = time.perf_counter()
        outcome = services.register_rows(school, "primary-resident", registrar, rows, keep=False)
        register_s = time.perf_counter() - started
        ids = list(Business.objects.order_by("pk").values_list("pk", flat=True))

        def timed(label, fn):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                value = fn()
                seconds = time.perf_counter() - start
            return {"step": label, "seconds": round(seconds, 3), "statements": len(queries.captured_queries),
                    "per_second": round(len(ids) / seconds) if seconds else None, "result": value}

        steps = [
            timed("学校全部审核通过(无钩子)", lambda: len(workflow.decide_many(ids, leader, True).decided)),
            timed("全部上报", lambda: workflow.release_hold_many(ids, "report_pending", actor=registrar)),
            timed("区县全部审核通过(建立学籍)", lambda: len(workflow.decide_many(ids, county, True).decided)),
        ]
        print(json.dumps({
            "database": _common.database(),
            "count": args.count, "registered": outcome.passed_count, "register_seconds": round(register_s, 2),
            "steps": steps, "students": Student.objects.count(),
            "machine": _common.machine(),
        }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
