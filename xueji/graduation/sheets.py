"""The spreadsheets of 毕业生信息维护 (F-60), both through background jobs:

- ``graduation.export`` — two exports of graduates, each started only after the second
  account of the unit was verified (F-14; the sheets carry whole 全国学籍号), written by
  the streamed writer (every cell through ``safe_row``), audited with both names:
  - ``destinations``: the 毕业去向 template of the school's graduates (全国学籍号, 姓名,
    毕业去向 as "01-升学", 说明), to fill and import back;
  - ``admission``: 导出招生Excel (seed 004 毕业生查询), the base list of admission: the
    five columns of the admission import (``ADMISSION_COLUMNS``: 全国学籍号, 姓名,
    毕业学校标识码, 录取学校标识码 left empty, 教育阶段 = the next stage) and read-only
    columns after them (性别, 毕业年级, 毕业年度, 身份证件号 masked);
- ``graduation.destinations`` — the import of the filled 毕业去向 sheet: every row
  checked (unknown number, not a graduate of this school, name not matching, unknown
  code, empty required cell, a number twice), the passing rows written set-based by
  ``services.set_destinations`` in one transaction with one audit entry.
"""

from __future__ import annotations

import tempfile

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.audit.services import record_event
from xueji.codes import tables as code_tables
from xueji.common.masking import mask_id_number
from xueji.common.spreadsheets import cell_text
from xueji.common.xlsx_writer import XlsxStream
from xueji.jobs import registry
from xueji.jobs.services import start_job
from xueji.org import rules as org_rules
from xueji.students.models import Student

from . import selectors, services
from .models import Graduate, GraduationKind

EXPORT_JOB = "graduation.export"
IMPORT_JOB = "graduation.destinations"
#: The first five columns are the admission import's (docs/ADMISSION.md), in its order.
ADMISSION_COLUMNS = ("全国学籍号", "姓名", "毕业学校标识码", "录取学校标识码", "教育阶段")
ADMISSION_EXTRA = ("性别", "毕业年级", "毕业年度", "身份证件号")
DESTINATION_HEADERS = ("全国学籍号", "姓名", "毕业去向", "说明")
NUMBER, NAME, DESTINATION, NOTE = DESTINATION_HEADERS
#: The stage a graduate of a stage is admitted into.
NEXT_STAGE = {"1": "2", "2": "3"}
#: Who exports: the school's registrar (its graduates) and the authorities' registrars (scope).
EXPORTERS = (Role.SCHOOL_REGISTRAR, Role.AUTHORITY_REGISTRAR)
EXPORT_CAP = 500_000
SHOWN_FAILURES = 1000
TITLES = {"destinations": "毕业去向模板", "admission": "导出招生Excel"}


def admission_graduates(queryset):
    """The graduates an admission starts from: 毕业 and 结业 of 小学 and 初中, not returned
    (高中 graduates leave the system's stages; 肄业 has no graduation certificate)."""
    return queryset.filter(returned=False, stage__in=tuple(NEXT_STAGE),
                           kind__in=(GraduationKind.GRADUATED, GraduationKind.COMPLETED))


def filtered(user, what: str, conditions: dict):
    """The graduates an export covers, queried as ``user`` (the job runs it again as its
    owner): the year of graduation (毕业年度) and, for 导出招生Excel, the stage."""
    queryset = selectors.graduates_for(user).filter(returned=False)
    if what == "destinations":
        if user.role != Role.SCHOOL_REGISTRAR:
            raise PermissionDenied("只有毕业学校的学籍管理员可以维护毕业去向")
        queryset = queryset.filter(school_id=user.school_id)
    else:
        queryset = admission_graduates(queryset)
        if conditions.get("stage"):
            queryset = queryset.filter(stage=conditions["stage"])
    if conditions.get("year"):
        year = int(conditions["year"])
        queryset = queryset.filter(graduated_on__year=year)
    return queryset


def submit_export(user, what: str, conditions: dict, *, count: int, second, request=None):
    if user.role not in EXPORTERS:
        raise PermissionDenied("您的角色不能导出毕业生信息")
    if what not in TITLES:
        raise ValidationError("导出类型不正确")
    if count == 0:
        raise ValidationError("没有符合条件的毕业生")
    if count > EXPORT_CAP:
        raise ValidationError(f"一次最多导出{EXPORT_CAP:,}名毕业生,请增加查询条件分批导出")
    unit = {"school": user.school} if user.is_school_user else {"authority": user.authority}
    return start_job(EXPORT_JOB, user=user, request=request, **unit, title=f"{TITLES[what]}:{count}人",
                     params={"what": what, "conditions": conditions, "second_username": second.username,
                             "second_name": second.real_name})


def _rows(what: str, queryset):
    fields = ("student__national_number", "student__name", "school__code", "stage", "student__gender",
              "grade_name", "graduated_on", "student__id_number", "destination", "destination_note")
    ordered = queryset.order_by("school__code", "grade_name", "student__name", "pk")[:EXPORT_CAP]
    for (number, name, school_code, stage, gender, grade, day, id_number, destination,
         note) in ordered.values_list(*fields).iterator(chunk_size=2000):
        if what == "destinations":
            yield [number, name, code_tables.label("graduation_destination", destination) if destination else "", note]
        else:
            nxt = NEXT_STAGE.get(stage, "")
            yield [number, name, school_code, "", f"{nxt}-{org_rules.STAGE_NAMES[nxt]}" if nxt else "",
                   code_tables.label("gender", gender) if gender else "", grade, str(day.year),
                   mask_id_number(id_number)]


def run_export(job, progress):
    what = job.params.get("what")
    if what not in TITLES:
        raise ValidationError("导出参数不正确")
    queryset = filtered(job.owner, what, job.params.get("conditions") or {})
    total = queryset.order_by()[:EXPORT_CAP].count()
    progress.set_total(total)
    headers = DESTINATION_HEADERS if what == "destinations" else ADMISSION_COLUMNS + ADMISSION_EXTRA
    written = 0
    with tempfile.TemporaryFile() as out:
        with XlsxStream(out, TITLES[what]) as book:
            book.append(headers)
            for row in _rows(what, queryset):
                book.append(row)
                written += 1
                if written % 1000 == 0:
                    progress.set_done(written)
        out.seek(0)
        filename = f"{'毕业去向' if what == 'destinations' else '招生名单'}{timezone.localdate():%Y%m%d}.xlsx"
        owner = job.owner
        verified = (f"{owner.real_name}({owner.username})经{job.params.get('second_name', '')}"
                    f"({job.params.get('second_username', '')})验证")
        unit = ({"school": job.school} if job.school_id
                else {"authority_prefix": job.authority.prefix if job.authority else None})
        with transaction.atomic():
            progress.attach_file(filename, out)
            progress.set_done(written)
            record_event(action="graduation.admission_export" if what == "admission" else "graduation.destinations_exported",
                         summary=f"{TITLES[what]}:{written}人,{verified}", actor=owner, target=job, **unit,
                         after={"count": written, "conditions": job.params.get("conditions"),
                                "second_username": job.params.get("second_username"),
                                "second_name": job.params.get("second_name")})
            progress.finish({"summary": [f"已导出{written}名毕业生:{filename}"]})


# --- import of 毕业去向 ------------------------------------------------------------------------
def submit_import(user, uploaded_file, request=None):
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
        raise PermissionDenied("只有毕业学校的学籍管理员可以维护毕业去向")
    return start_job(IMPORT_JOB, user=user, school=user.school, input_file=uploaded_file, request=request,
                     title=f"导入毕业去向:{uploaded_file.name}"[:200], params={"filename": uploaded_file.name[:200]})


def apply_destinations(user, source, *, filename: str = "", progress=None, finish=None) -> dict:
    """The filled 毕业去向 sheet of the user's school: each row checked, the passing rows
    written together (``services.set_destinations``: one transaction, one audit entry)."""
    from xueji.students.excel import read_rows

    if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
        raise PermissionDenied("只有毕业学校的学籍管理员可以维护毕业去向")
    rows = list(read_rows(source, headers=DESTINATION_HEADERS, min_header_matches=3))
    if progress is not None:
        progress.set_total(len(rows))
    numbers = {cell_text(row.get(NUMBER)).upper() for _, row in rows} - {""}
    live: dict[str, Graduate] = {}
    for graduate in (Graduate.objects.filter(school_id=user.school_id, returned=False,
                                             student__national_number__in=numbers)
                     .select_related("student").order_by("graduated_on", "pk")):
        live[graduate.student.national_number] = graduate  # the latest graduation wins
    known = set(Student.objects.filter(national_number__in=numbers - set(live)).values_list("national_number",
                                                                                            flat=True))
    failures: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    seen: dict[str, int] = {}
    items: list[tuple[int, str, str]] = []
    for number_row, row in rows:
        number, name = cell_text(row.get(NUMBER)).upper(), cell_text(row.get(NAME))
        names[number_row] = name[:50]
        errors = []
        if not number:
            errors.append("全国学籍号不能为空")
        if not name:
            errors.append("姓名不能为空")
        raw = cell_text(row.get(DESTINATION))
        code = code_tables.parse("graduation_destination", raw) if raw else None
        if not raw:
            errors.append("毕业去向不能为空")
        elif code is None:
            errors.append(f"毕业去向“{raw[:20]}”不是有效的代码")
        note = cell_text(row.get(NOTE))
        if len(note) > 100:
            errors.append("说明不能超过100个字")
        if number:
            if number in seen:
                errors.append(f"全国学籍号与第{seen[number]}行重复")
            elif number in live:
                seen[number] = number_row
                if name and live[number].student.name != name:
                    errors.append(f"姓名“{name[:20]}”与全国学籍号不符")
            elif number in known:
                errors.append(f"全国学籍号“{number[:19]}”不是本校的毕业生")
            else:
                errors.append(f"全国学籍号“{number[:19]}”不存在")
        if errors:
            failures[number_row] = errors
        else:
            items.append((live[number].pk, code, note))
    changed = services.set_destinations(user, items, filename=filename) if items else 0
    result = {
        "filename": filename, "rows": len(rows), "changed": changed, "unchanged": len(items) - changed,
        "failed_count": len(failures),
        "failures": [{"row": r, "name": names.get(r, ""), "messages": failures[r]}
                     for r in sorted(failures)[:SHOWN_FAILURES]],
        "summary": [f"共{len(rows)}行:修改{changed}人,未改动{len(items) - changed}人,未通过{len(failures)}行"],
    }
    if progress is not None:
        progress.set_done(len(rows))
    if finish is not None:
        finish(result)
    return result


def run_import(job, progress):
    from xueji.students.excel import job_sheet

    with job_sheet(job) as handle:
        apply_destinations(job.owner, handle, filename=job.params.get("filename", ""), progress=progress,
                           finish=progress.finish)


def import_result_url(job) -> str:
    return reverse("graduation:graduates") + f"?job={job.pk}"


def register() -> None:
    registry.register(EXPORT_JOB, name="导出毕业生", run=run_export)
    registry.register(IMPORT_JOB, name="导入毕业去向", run=run_import, result_url=import_result_url)

