"""The background jobs of 综合查询 (registered in ``apps.ready``):

- ``reports.export``  导出Excel: the query's students with the chosen columns, whole ID,
  G and phone numbers (the export was verified by a second account of the unit, F-14),
  written by the streamed writer ``common.xlsx_writer`` (every cell through ``safe_row``);
- ``reports.photos``  导出照片: a zip of the students' photos named ``<全国学籍号>.jpg``.

The worker runs the query again as the job's owner, so the scope is the owner's at the
time of the export; a condition no longer in scope fails the job. Both audited
(``reports.exported`` / ``reports.photos_exported``) with both accounts' names, in the
job's last transaction.
"""

from __future__ import annotations

import tempfile
import zipfile

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.audit.services import record_event
from xueji.common.xlsx_writer import XlsxStream
from xueji.jobs import registry
from xueji.jobs.services import start_job

from . import rules, selectors
from .forms import QueryForm

EXPORT_JOB = "reports.export"
PHOTOS_JOB = "reports.photos"
_TITLES = {"students": ("在校生查询", False), "student_search": ("学生信息查询", True)}


def check_count(what: str, count: int) -> None:
    """Refusals before an export is queued: nothing to export, or more than one file holds."""
    if count == 0:
        raise ValidationError("没有符合条件的学生")
    cap = rules.EXPORT_CAP if what == "excel" else rules.PHOTO_CAP
    if count > cap:
        raise ValidationError(f"一次最多导出{cap:,}名学生{'的照片' if what == 'photos' else ''},"
                              "请增加查询条件(如按区县、学校)分批导出")


def submit(what: str, user, *, page: str, query: dict, ids: list[int] | None, columns: list[str], sort: str,
           count: int, second, request=None):
    """Queue the export of ``what`` ("excel" or "photos"): the query conditions (or the
    chosen ``ids`` within them), verified by ``second`` (F-14)."""
    title, _all = _TITLES[page]
    kind = EXPORT_JOB if what == "excel" else PHOTOS_JOB
    unit = {"school": user.school} if user.is_school_user else {"authority": user.authority}
    return start_job(kind, user=user, request=request, **unit,
                     title=f"{title}{'导出Excel' if what == 'excel' else '导出照片'}:{count}人",
                     params={"page": page, "query": query, "ids": ids, "columns": columns, "sort": sort[:40],
                             "second_username": second.username, "second_name": second.real_name})


def _students(job):
    """The job's students, queried again as its owner."""
    page = job.params.get("page")
    if page not in _TITLES:
        raise ValidationError("导出参数不正确")
    _title, all_statuses = _TITLES[page]
    form = QueryForm(job.params.get("query") or {}, all_statuses=all_statuses)
    if not form.is_valid():
        raise ValidationError("查询条件不正确,请重新导出")
    try:
        students = selectors.query(job.owner, form.cleaned_data, all_statuses=all_statuses)
    except selectors.FilterRefused as refused:
        raise PermissionDenied(f"所选{refused.what}已不在您的数据范围内") from None
    if job.params.get("ids"):
        students = students.filter(pk__in=job.params["ids"])
    return students


def _unit(job) -> dict:
    return {"school": job.school} if job.school_id else {"authority_prefix": job.authority.prefix if job.authority
                                                        else None}


def _verified(job) -> str:
    owner = job.owner
    return (f"{owner.real_name}({owner.username})经{job.params.get('second_name', '')}"
            f"({job.params.get('second_username', '')})验证")


def run_export(job, progress):
    page = job.params["page"]
    title, _all = _TITLES[page]
    students = _students(job)
    columns = rules.clean_columns(job.params.get("columns"), page)
    sort, descending = rules.parse_sort(job.params.get("sort"))
    total = students.order_by()[: rules.EXPORT_CAP].count()
    progress.set_total(total)
    written = 0
    with tempfile.TemporaryFile() as out:
        with XlsxStream(out, title) as book:
            book.append([rules.BY_KEY[k].label for k in columns])
            for row in selectors.rows_for_export(students, columns, sort=sort, descending=descending):
                book.append(row)
                written += 1
                if written % 1000 == 0:
                    progress.set_done(written)
        out.seek(0)
        filename = f"{title}{timezone.localdate():%Y%m%d}.xlsx"
        with transaction.atomic():
            progress.attach_file(filename, out)
            progress.set_done(written)
            record_event(action="reports.exported", summary=f"{title}导出Excel:{written}人,{_verified(job)}",
                         actor=job.owner, target=job, **_unit(job),
                         after={"count": written, "columns": columns, "query": job.params.get("query"),
                                "second_username": job.params.get("second_username"),
                                "second_name": job.params.get("second_name")})
            progress.finish({"summary": [f"已导出{written}名学生:{filename}"]})


def run_photos(job, progress):
    page = job.params["page"]
    title, _all = _TITLES[page]
    students = list(_students(job).exclude(photo="").order_by("national_number")
                    .only("pk", "national_number", "photo")[: rules.PHOTO_CAP])
    progress.set_total(len(students))
    written, missing = 0, 0
    with tempfile.TemporaryFile() as out:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            for student in students:
                photo = selectors.photo_of(student)
                try:
                    with photo.open("rb") as source, archive.open(f"{student.national_number}.jpg", "w") as target:
                        for chunk in iter(lambda: source.read(1 << 16), b""):
                            target.write(chunk)
                    written += 1
                except (OSError, ValueError):
                    missing += 1
                progress.set_done(written + missing)
        out.seek(0)
        filename = f"{title}照片{timezone.localdate():%Y%m%d}.zip"
        with transaction.atomic():
            progress.attach_file(filename, out)
            record_event(action="reports.photos_exported",
                         summary=f"{title}导出照片:{written}张,{_verified(job)}",
                         actor=job.owner, target=job, **_unit(job),
                         after={"count": written, "missing": missing, "query": job.params.get("query"),
                                "second_username": job.params.get("second_username"),
                                "second_name": job.params.get("second_name")})
            summary = [f"已导出{written}名学生的照片:{filename}"]
            if missing:
                summary.append(f"{missing}名学生的照片文件缺失,未导出")
            if not students:
                summary = ["符合条件的学生都没有照片"]
            progress.finish({"summary": summary})


def refuse_rerun(job, user, request=None):
    """An export is not run again from its job page: the second account verified that one
    export (F-14); a new one is verified again."""
    raise ValidationError("导出需要重新经本单位另一账号验证,请回到查询页面重新导出")


def register_kinds() -> None:
    registry.register(EXPORT_JOB, name="综合查询导出Excel", run=run_export, rerun=refuse_rerun)
    registry.register(PHOTOS_JOB, name="综合查询导出照片", run=run_photos, rerun=refuse_rerun)

