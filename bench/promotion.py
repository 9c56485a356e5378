"""Benchmark: 升级 (F-62) of ``--students`` records (default 1,000,000) of every 学制 mixed
(6 / 5-year primary, 3 / 4-year junior, 3-year senior, 九年一贯制 6-3 and 5-4, 十二年一贯制),
about 500 per school, in one province; every final grade already graduated.

Setup (not timed): the records are inserted by SQL (INSERT … SELECT over a generated
series; the benchmark measures the promotion, not the one writer's registration).

- ``clean``: timed, the promotion job's work (``promotion.services.run_job``) from start
  to end — chunks of ``CHUNK_SCHOOLS`` schools, ``--workers`` at once on PostgreSQL; each
  student gets exactly one 升级 event.
- ``kill``: the records reset (not timed); the same work in a child process, SIGKILLed
  once about half of the schools are done; then run again in another child process.
  Reports both times, their sum against the clean run, and checks nobody was promoted
  twice (one 升级 event per promoted record, every record promoted).

    .venv/bin/python bench/promotion.py
    bash scripts/pg-throwaway run -- .venv/bin/python bench/promotion.py
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

YEAR = 2025
#: (stages with 学制, school type) cycled over the schools
SYSTEMS = [({"1": 6}, "211"), ({"1": 5}, "211"), ({"2": 3}, "311"), ({"2": 4}, "311"), ({"3": 3}, "342"),
           ({"1": 6, "2": 3}, "311"), ({"1": 5, "2": 4}, "311"), ({"1": 6, "2": 3, "3": 3}, "312")]
PER_SCHOOL = 500


class _Progress:
    """The job's progress as the benchmark sees it (no job row)."""

    def __init__(self):
        self.done = 0

    def set_total(self, n):
        self.total = n

    def set_done(self, n):
        self.done = n

    def advance(self, n=1):
        self.done += n

    def finish(self, result=None):
        self.result = result


def _setup(students: int) -> None:
    from django.db import connection, transaction

    from xueji.accounts.models import Role
    from xueji.org.models import Authority, Division, Grade, School, SchoolClass
    from xueji.promotion.models import PromotionRun
    from xueji.testing import make_user

    gd = Authority.objects.get(division__code="440000000000")
    county_division = Division.objects.get(code="440106000000")
    county = Authority.objects.get(division=county_division)
    make_user("bench_province", Role.AUTHORITY_REGISTRAR, authority=gd)
    vendor = connection.vendor
    made, s = 0, 0
    with transaction.atomic():
        while made < students:
            stages, school_type = SYSTEMS[s % len(SYSTEMS)]
            school = School.objects.create(
                code=f"31{s:08d}", name=f"测试学校{s}", division=county_division, supervisor=county,
                school_type=school_type, has_primary="1" in stages, has_junior="2" in stages,
                has_senior="3" in stages, primary_years=stages.get("1"), junior_years=stages.get("2"),
                senior_years=stages.get("3"), address_code=county_division.code, address="测试路1号")
            grades = [(stage, YEAR - k) for stage, years in stages.items() for k in range(1, years)]
            per_grade = max(1, PER_SCHOOL // len(grades))
            for stage, entry in grades:
                grade = Grade.objects.create(school=school, stage=stage, entry_year=entry)
                klass = SchoolClass.objects.create(school=school, grade=grade, code=f"{entry}{stage}01", name="1班")
                count = min(per_grade, students - made)
                if count <= 0:
                    break
                _common.insert_students(school.pk, grade.pk, klass.pk, count, made)
                made += count
            s += 1
        PromotionRun.objects.create(authority=gd, school_year=YEAR)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _work() -> float:
    from xueji.accounts.models import User
    from xueji.jobs.models import Job
    from xueji.promotion import services
    from xueji.promotion.models import PromotionRun

    run = PromotionRun.objects.get()
    job = Job.objects.create(kind=services.JOB_KIND, owner=User.objects.get(username="bench_province"),
                             title="升级", params={"run": run.pk}, status="running")
    started = time.perf_counter()
    services.run_job(job, _Progress())
    return time.perf_counter() - started


def _reset() -> None:
    from django.db import transaction

    from xueji.promotion.models import PromotionRun, SchoolPromotion
    from xueji.students.models import EventKind, RecordEvent, Student

    with transaction.atomic():
        RecordEvent.objects.filter(kind=EventKind.PROMOTION).delete()
        Student.objects.update(promoted_year=None)
        SchoolPromotion.objects.all().delete()
        PromotionRun.objects.update(status="running")


def _check(students: int) -> dict:
    from django.db.models import Count

    from xueji.students.models import EventKind, RecordEvent, Student

    events = RecordEvent.objects.filter(kind=EventKind.PROMOTION)
    twice = events.values("student_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    return {"events": events.count(), "promoted": Student.objects.filter(promoted_year=YEAR).count(),
            "promoted_twice": twice, "expected": students}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("XUEJI_PROMOTION_WORKERS", "2")),
                        help="threads promoting chunks at once on PostgreSQL (SQLite: always 1)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["XUEJI_PROMOTION_WORKERS"] = str(args.workers)
    if args.child:
        _common.django_setup(args.child, migrate=False)
        print(json.dumps({"seconds": round(_work(), 3)}), flush=True)
        return
    var_dir = os.environ.get("XUEJI_BENCH_DIR") or tempfile.mkdtemp(prefix="xueji-bench-promotion-")
    _common.django_setup(var_dir)
    from django.db import connection

    from xueji.promotion.models import SchoolPromotion

    started = time.perf_counter()
    _setup(args.students)
    from xueji.promotion.services import CHUNK_SCHOOLS, workers

    result = {"students": args.students, "database": _common.database(), "machine": _common.machine(),
              "workers": workers(), "chunk_schools": CHUNK_SCHOOLS, "load": os.getloadavg()[0],
              "setup_s": round(time.perf_counter() - started, 1)}
    result["clean_s"] = round(_work(), 3)
    result["clean_check"] = _check(args.students)
    schools = SchoolPromotion.objects.count()
    _reset()
    connection.close()
    env = dict(os.environ)
    command = [sys.executable, __file__, "--child", var_dir]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    started = time.perf_counter()
    while SchoolPromotion.objects.count() < schools // 2 and child.poll() is None:
        time.sleep(0.05)
        connection.close()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    killed_s = time.perf_counter() - started
    result["killed_after_s"] = round(killed_s, 3)
    result["schools_done_at_kill"] = SchoolPromotion.objects.count()
    connection.close()
    again = subprocess.run(command, env=env, stdout=subprocess.PIPE, check=True)
    result["resume_s"] = json.loads(again.stdout.decode().strip().splitlines()[-1])["seconds"]
    result["kill_total_vs_clean"] = round((killed_s + result["resume_s"]) / result["clean_s"], 3)
    result["kill_check"] = _check(args.students)
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
