"""The background job of the students app (registered in ``apps.ready``):
``students.record_cards`` 学籍卡批量导出 — many record cards (F-49) built by the worker,
downloaded from the job page. Read-only: nothing to undo when it does not finish."""

from __future__ import annotations

from django.db import transaction

from xueji.jobs import registry
from xueji.jobs.services import start_job

from . import cards

RECORD_CARDS_JOB = "students.record_cards"


def submit_record_cards(students, user, *, school, fmt: str, second, request=None):
    """Queue the cards of ``students`` (scoped, checked and verified by the caller)."""
    ids = [s.pk for s in students]
    return start_job(RECORD_CARDS_JOB, user=user, school=school, request=request,
                     title=f"学籍卡批量导出:{len(ids)}人",
                     params={"students": ids, "format": fmt, "second_username": second.username,
                             "second_name": second.real_name})


def run_record_cards(job, progress):
    ids = [int(pk) for pk in job.params.get("students", [])]
    fmt = job.params.get("format", "zip")
    progress.set_total(len(ids))
    content, filename, count = cards.build_many(ids, fmt=fmt, progress=progress.set_done)
    with transaction.atomic():
        cards.record_many_exported(ids, count, job.owner, fmt=fmt, second=(
            job.params.get("second_name", ""), job.params.get("second_username", "")))
        progress.attach_file(filename, content)
        progress.done = len(ids)
        progress.finish({"summary": [f"已导出{count}名学生的学籍卡:{filename}"]})


def register_kinds() -> None:
    registry.register(RECORD_CARDS_JOB, name="学籍卡批量导出", run=run_record_cards)
