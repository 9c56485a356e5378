"""Benchmark: 学籍卡 (F-49) — many record cards through the background job.

In a throwaway database (or ``DATABASE_URL``) it sets up the national divisions, a
primary school in 天河区 with 20 classes and its school registrar, then (not timed)
``--students`` records of the 72-item template (two family members each, every third
one with a status change) through ``students.services.create_records``. Timed: the job
``students.record_cards`` run end to end as the page starts it (``start_job`` on the
immediate backend: card data read in chunks of 200, one Word document per student in a
zip named by 全国学籍号, the file kept on the job, the audit entry) — once as the zip and
once as one document with a page break per student. Prints one JSON object.

    .venv/bin/python bench/record_cards.py --students 1000
    bash scripts/pg-throwaway run -- .venv/bin/python bench/record_cards.py --students 1000
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        _common.django_setup(var)
        from django.conf import settings

        settings.MEDIA_ROOT = var
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                      "QUEUES": ["default"]}}
        from django.db import transaction
        from record_writer import SCHOOL_CODE, build_world, make_rows, make_specs

        from xueji.accounts.models import Role
        from xueji.jobs.models import Job
        from xueji.students import services
        from xueji.students.jobs import RECORD_CARDS_JOB
        from xueji.students.models import Student
        from xueji.testing import make_user

        world = build_world(SCHOOL_CODE)
        specs = make_specs(make_rows(args.students, world, duplicates=False), world)
        with transaction.atomic():
            created = services.create_records(specs)
        ids = [c.pk for c in created]
        services.change_status(ids[::3], "11", reason="因病休学", date=dt.date.today())
        owner = make_user("bench_school_registrar", Role.SCHOOL_REGISTRAR, school=world["school"])
        second = make_user("bench_school_registrar2", Role.SCHOOL_REGISTRAR, school=world["school"])
        ordered = list(Student.objects.filter(pk__in=ids).order_by("klass__code", "name", "pk"))
        from xueji.students.jobs import submit_record_cards

        result = {"benchmark": "record_cards", "students": len(ids), "machine": _common.machine(),
                  "database": _common.database()}
        for fmt in ("zip", "docx"):
            started = time.perf_counter()
            job = submit_record_cards(ordered, owner, school=world["school"], fmt=fmt, second=second)
            seconds = time.perf_counter() - started
            job = Job.objects.get(pk=job.pk)
            assert job.kind == RECORD_CARDS_JOB and job.status == "done", (job.status, job.message)
            result[fmt] = {"seconds": round(seconds, 2), "cards_per_s": round(len(ids) / seconds),
                           "file_mb": round(job.output_file.size / 1e6, 1)}
        result["max_rss_mb"] = _common.max_rss_mb()
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
