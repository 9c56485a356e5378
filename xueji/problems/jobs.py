"""The background job of the 问题学籍 lists (registered in ``apps.ready``):

``problems.export`` 导出Excel: the records of one list (处理 / 审核 / 仲裁 / 查询) with the
list's conditions, the columns the list shows — ID numbers and 全国学籍号 masked as on the
page — written by the streamed writer ``common.xlsx_writer`` (every cell through
``safe_row``: formula cells escaped). Names of pupils are personal data, so the export is
verified by a second account of the unit (F-14) like every bulk export.

The worker runs the list's query again as the job's owner: the scope is the owner's at
the time of the export; a condition no longer in scope fails the job. Audited
(``problems.exported``) with both accounts' names in the job's last transaction.
"""

from __future__ import annotations

import tempfile

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.audit.services import record_event
from xueji.common.batching import batches
from xueji.common.masking import mask_id_number, mask_national_number
from xueji.common.xlsx_writer import XlsxStream
from xueji.jobs import registry
from xueji.jobs.services import start_job

from . import list_selectors
from .list_forms import ListQueryForm

EXPORT_JOB = "problems.export"
EXPORT_CAP = 100_000
HEADERS = ("问题学籍类型", "错误类型", "处理状态", "等待谁", "已等待工作日", "是否超期", "是否锁定", "学籍处理状态",
           "处理方式", "学校标识码", "学校名称", "年级名称", "班级名称", "学生姓名", "性别", "身份证件类型", "身份证件号",
           "全国学籍号", "对方", "历史问题学籍", "产生时间")


def check_count(count: int) -> None:
    if count == 0:
        raise ValidationError("没有符合条件的问题学籍")
    if count > EXPORT_CAP:
        raise ValidationError(f"一次最多导出{EXPORT_CAP:,}条问题学籍,请增加查询条件分批导出")


def submit(user, *, page: str, query: dict, sort: str, count: int, second, request=None):
    """Queue the export of list ``page`` with ``query``, verified by ``second`` (F-14)."""
    title = list_selectors.PAGES[page].title
    unit = {"school": user.school} if user.is_school_user else {"authority": user.authority}
    return start_job(EXPORT_JOB, user=user, request=request, **unit, title=f"{title}导出Excel:{count}条",
                     params={"page": page, "query": query, "sort": sort[:40],
                             "second_username": second.username, "second_name": second.real_name})


def _rows(job):
    key = job.params.get("page")
    if key not in list_selectors.PAGES:
        raise ValidationError("导出参数不正确")
    page = list_selectors.PAGES[key]
    owner = job.owner
    form = ListQueryForm(job.params.get("query") or {}, query=page.kind == "query",
                         authority=owner.is_authority_user)
    if not form.is_valid():
        raise ValidationError("查询条件不正确,请重新导出")
    try:
        rows = list_selectors.apply_conditions(owner, list_selectors.rows_for(owner, page), form.cleaned_data)
    except list_selectors.FilterRefused as refused:
        raise PermissionDenied(f"所选{refused.what}已不在您的数据范围内") from None
    sort = job.params.get("sort") or list_selectors.DEFAULT_SORT[page.kind]
    key_ = sort.removeprefix("-")
    order = list_selectors.SORTABLE.get(key_) or list_selectors.SORTABLE["created"]
    ordering = ("-" + order) if sort.startswith("-") else order
    return page, list_selectors.with_relations(rows).order_by(ordering, "pk")


def export_line(row: list_selectors.Row) -> list:
    s, g = row.student, row.group
    return [row.kind, g.note, row.state, row.waiting_for, "" if row.waited is None else row.waited,
            "是" if row.overdue else "否", "是" if g.locked else "否", row.member_state, row.method,
            s.school.code, s.school.name, s.grade.name, s.klass.name if s.klass else "待分班", s.name, row.gender,
            row.id_type, mask_id_number(s.id_number), mask_national_number(s.national_number), row.counterpart,
            "是" if g.historical else "否", timezone.localtime(g.created_at).strftime("%Y-%m-%d %H:%M")]


def _verified(job) -> str:
    owner = job.owner
    return (f"{owner.real_name}({owner.username})经{job.params.get('second_name', '')}"
            f"({job.params.get('second_username', '')})验证")


def run_export(job, progress):
    page, rows = _rows(job)
    total = rows.order_by()[:EXPORT_CAP].count()
    progress.set_total(total)
    written = 0
    with tempfile.TemporaryFile() as out:
        with XlsxStream(out, page.title) as book:
            book.append(list(HEADERS))
            for chunk in batches(rows[:EXPORT_CAP].iterator(chunk_size=1000), 1000):
                for row in list_selectors.decorate(chunk, job.owner):
                    book.append(export_line(row))
                written += len(chunk)
                progress.set_done(written)
        out.seek(0)
        filename = f"{page.title}{timezone.localdate():%Y%m%d}.xlsx"
        unit = ({"school": job.school} if job.school_id
                else {"authority_prefix": job.authority.prefix if job.authority else None})
        with transaction.atomic():
            progress.attach_file(filename, out)
            progress.set_done(written)
            record_event(action="problems.exported", summary=f"{page.title}导出Excel:{written}条,{_verified(job)}",
                         actor=job.owner, target=job, **unit,
                         after={"count": written, "query": job.params.get("query"),
                                "second_username": job.params.get("second_username"),
                                "second_name": job.params.get("second_name")})
            progress.finish({"summary": [f"已导出{written}条问题学籍:{filename}"]})


def refuse_rerun(job, user, request=None):
    """An export is verified once by the second account (F-14); a new one is verified again."""
    raise ValidationError("导出需要重新经本单位另一账号验证,请回到列表页面重新导出")


def register_kinds() -> None:
    registry.register(EXPORT_JOB, name="问题学籍导出Excel", run=run_export, rerun=refuse_rerun)
