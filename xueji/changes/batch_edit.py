"""非关键信息批量修改 (F-44, seed 004 §4): the school registrar exports the chosen students
of the school (by class, or a selection) to an Excel sheet of the 72-item template with
a first column 全国学籍号, edits the non-key cells, and imports the sheet back.

Both halves are background jobs (``changes.batch_edit_export``, ``changes.batch_edit``):

- the export is bulk personal data (family phones and addresses, full ID numbers — the
  registrar must recognise the rows), so it starts only after the second-account check
  (F-14) and its audit entry names both accounts; it is streamed (openpyxl write-only),
  every cell through ``common.spreadsheets.safe_cell``;
- the import reads the sheet with the registration importer's header tolerance
  (:func:`xueji.students.excel.read_rows`), plans every row
  (:func:`batch_edit_rules.plan_row`: only touched cells count; a touched key cell
  refuses its row with a pointer to 关键数据变更), then applies every passing row in
  **one** transaction with **one** audit entry holding each record's before → after:
  ``students.services.update_records`` (the registration rules; rows failing them are
  reported, the others applied) and ``update_families``. A worker killed before that
  transaction committed leaves nothing written; there is nothing to undo.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from xueji.audit.services import record_event
from xueji.common import xlsx_reader
from xueji.common.batching import batches, paused_gc
from xueji.common.parallel import iterate_in_worker
from xueji.common.xlsx_writer import XlsxStream
from xueji.jobs import registry
from xueji.jobs.services import start_job
from xueji.org.roles import Role
from xueji.students import fields as F
from xueji.students import rules as R
from xueji.students import services as student_services
from xueji.students.excel import DATA_SHEET, cells_from_values, job_sheet, read_rows
from xueji.students.models import FamilyMember, Status, Student, StudentNumber

from . import batch_edit_rules as rules

EXPORT_JOB = "changes.batch_edit_export"
IMPORT_JOB = "changes.batch_edit"
#: Failing rows kept in the job's result (the page lists them).
SHOWN_FAILURES = 1000
_CHUNK = 1000
_STUDENT_ATTRS = tuple(f.attr for f in F.STUDENT_FIELDS if not f.is_lookup)
_MEMBER_ATTRS = tuple(f.attr for f in F.MEMBER_FIELDS[1])


# --- who, which students ---------------------------------------------------------------------------

def school_of(user):
    """The school whose records the user may batch-edit: the school registrar's own."""
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
        raise PermissionDenied("只有学校学籍管理员可以批量修改本校学生的非关键信息")
    return user.school


def editable_students(school):
    """在校 students of the school (seed 004 §4: the list shows the class's 在校 students)."""
    return Student.objects.filter(school=school, status=Status.IN_SCHOOL)


# --- the sheet's rows from the records -------------------------------------------------------------

_RECORD_COLUMNS = ("pk", "national_number", "school__code", "klass__code", *_STUDENT_ATTRS)


def _fetch(students) -> Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(values with number, school_code and class_code, family) of the records of the
    queryset ``students`` (at most a chunk: one query for them, one for their members)."""
    rows = list(students.values_list(*_RECORD_COLUMNS))
    family: dict[int, list[dict[str, Any]]] = {}
    for student_id, seq, *values in FamilyMember.objects.filter(student_id__in=[r[0] for r in rows]).order_by(
            "student_id", "seq").values_list("student_id", "seq", *_MEMBER_ATTRS):
        family.setdefault(student_id, []).append({"seq": seq, **dict(zip(_MEMBER_ATTRS, values, strict=True))})
    for pk, number, school_code, class_code, *values in rows:
        record = dict(zip(_STUDENT_ATTRS, values, strict=True))
        record.update(pk=pk, national_number=number, school_code=school_code or "", class_code=class_code or "")
        yield record, family.get(pk, [])


def _records(ids: Sequence[int]) -> Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(values with number, school_code and class_code, family) of the records ``ids``, in
    chunks (a few queries per thousand records), in the sheet's order (class, name)."""
    for chunk in batches(list(ids), _CHUNK):
        yield from _fetch(Student.objects.filter(pk__in=chunk).order_by("klass__code", "name", "pk"))


def exported_cells(record: dict[str, Any], family: list[dict[str, Any]]) -> dict[str, str]:
    """The sheet row of a record as the export writes it ({header: text})."""
    return cells_from_values(record, family[: len(F.MEMBER_FIELDS)])


def export_workbook(student_ids: Sequence[int], *, progress=None) -> bytes:
    """The sheet of the records ``student_ids``: 全国学籍号 + the 72 template columns, as
    text (Excel keeps 18-digit numbers and leading zeros), through the streamed writer
    (``common.xlsx_writer``: every row through ``safe_row``; memory flat whatever the
    number). What may not be changed is said on the page and in each refusal."""
    out = io.BytesIO()
    columns = rules.SHEET_HEADERS[1:]
    with XlsxStream(out, DATA_SHEET) as book:
        book.append(rules.SHEET_HEADERS)
        for record, family in _records(student_ids):
            cells = exported_cells(record, family)
            book.append([record["national_number"], *(cells.get(h, "") for h in columns)])
            if progress is not None:
                progress.advance()
    return out.getvalue()


def submit_export(school, user, student_ids: list[int], *, second, request=None):
    """导出 of the chosen students (already checked in scope by the view): a job, started
    after the second-account check (``second``)."""
    if not student_ids:
        raise ValidationError("请选择要导出的学生")
    return start_job(EXPORT_JOB, user=user, school=school, request=request,
                     title=f"非关键信息批量修改导出:{len(student_ids)}人",
                     params={"students": student_ids, "second_username": second.username,
                             "second_name": second.real_name})


def run_export(job, progress):
    ids = [pk for pk in job.params["students"] if isinstance(pk, int)]
    school = job.school
    # Still the school's 在校 students when the job runs (a transfer meanwhile takes one out).
    ids = list(editable_students(school).filter(pk__in=ids).values_list("pk", flat=True))
    progress.set_total(len(ids))
    content = export_workbook(ids, progress=progress)
    filename = f"{school.name}非关键信息批量修改.xlsx"
    name, username = job.params.get("second_name", ""), job.params.get("second_username", "")
    with transaction.atomic():
        record_event(action="changes.batch_edit_exported",
                     summary=f"非关键信息批量修改导出:{len(ids)}人,{job.owner.real_name}({job.owner.username})"
                     f"经{name}({username})验证",
                     actor=job.owner, school=school,
                     after={"students": ids[:1000], "second_username": username, "second_name": name})
        progress.attach_file(filename, content)
        progress.finish({"summary": [f"已导出{len(ids)}名学生:{filename}"]})


# --- import back -----------------------------------------------------------------------------------

def submit_import(school, user, uploaded_file, *, request=None):
    """导入 of an edited sheet: a job (the file was checked for size and bounds by the form)."""
    school_of(user)
    return start_job(IMPORT_JOB, user=user, school=school, input_file=uploaded_file, request=request,
                     title=f"非关键信息批量修改导入:{uploaded_file.name}"[:200],
                     params={"filename": uploaded_file.name[:200]})


def _resolve(school, numbers: list[str]) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """全国学籍号 → (values, family) of the school's 在校 record (a replaced number still
    resolves): one read of the records by number, then the replaced numbers' records."""
    found: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    students = editable_students(school)
    for chunk in batches(numbers, _CHUNK):
        for record, family in _fetch(students.filter(national_number__in=chunk).order_by()):
            found[record["national_number"]] = (record, family)
        missing = [n for n in chunk if n not in found]
        if missing:
            replaced = dict(StudentNumber.objects.filter(number__in=missing, student__in=students).values_list(
                "number", "student_id"))
            if replaced:
                by_pk = {r["pk"]: (r, f) for r, f in _fetch(Student.objects.filter(pk__in=set(replaced.values())).order_by())}
                found.update((n, by_pk[pk]) for n, pk in replaced.items() if pk in by_pk)
    return found


def _read_sheet(source, expected: int | None = None) -> Iterable[list[tuple[int, dict]]]:
    """The sheet's rows in batches (the worker's half: reading runs beside the planning
    of the rows read before; the first batches small, so the planning starts early)."""
    yield from batches(read_rows(source, headers=rules.SHEET_HEADERS), _CHUNK, first=100, expected=expected)


def apply_sheet(school, user, source, *, filename: str = "", progress=None, finish=None) -> dict:
    """The edited sheet ``source`` applied to the school's records: every row planned, the
    passing ones written in one transaction with one audit entry. Returns the result
    (counts, failing rows with reasons, changed fields). The cycle collector is paused
    meanwhile (:func:`~xueji.common.batching.paused_gc`)."""
    with paused_gc():
        return _apply_sheet(school, user, source, filename=filename, progress=progress, finish=finish)


def _apply_sheet(school, user, source, *, filename: str, progress, finish) -> dict:
    expected = max((xlsx_reader.last_row_hint(source) or 1) - 1, 0) or None
    if hasattr(source, "seek"):
        source.seek(0)
    if progress is not None:
        progress.set_total(expected)
    failures: dict[int, list[str]] = {}
    seen: dict[str, int] = {}
    context = student_services.rules_context()
    plans: dict[int, tuple[int, rules.RowPlan]] = {}  # student id → (sheet row, plan)
    who: dict[int, str] = {}  # student id → "姓名(全国学籍号)", as the audit entry names the records
    names: dict[int, str] = {}
    rows_read = 0
    for sheet in iterate_in_worker(_read_sheet, source, expected):  # read batch n + 1 while batch n is planned
        rows_read += len(sheet)
        numbered: list[tuple[int, str, dict]] = []
        for number_row, row in sheet:
            number = rules.cell_text(row.get(rules.NUMBER_HEADER)).upper()
            if not number:
                failures[number_row] = ["全国学籍号不能为空(请使用导出的表格,不要删除第一列)"]
            elif number in seen:
                failures[number_row] = [f"全国学籍号与第{seen[number]}行重复"]
            else:
                seen[number] = number_row
                numbered.append((number_row, number, row))
        found = _resolve(school, [n for _, n, _ in numbered])
        for number_row, number, row in numbered:
            if number not in found:
                failures[number_row] = [f"全国学籍号“{number}”不是本校在校学生"]
                continue
            record, family = found[number]
            pk = record["pk"]
            who[pk] = f"{record['name']}({record['national_number']})"
            names[number_row] = record["name"]
            plan = rules.plan_row(exported_cells(record, family), row, record, family, context=context)
            if plan.family is not None and not plan.errors:
                _, plan.errors = R.clean_family(plan.family, id_type=record["id_type"] or None,
                                                hmt=record["hmt"] or None, context=context)
            if plan.errors:
                failures[number_row] = plan.errors
            elif plan.changes or plan.family is not None:
                plans[pk] = (number_row, plan)
        if progress is not None:
            progress.advance(len(sheet))
    result: dict[str, Any] = {}
    with transaction.atomic():
        updates, family_changed = _write(plans, failures, user, context)
        changed = {u.student_id for u in updates}
        people = sorted(set(changed) | set(family_changed))
        result = {
            "filename": filename, "rows": rows_read, "changed": len(people),
            "unchanged": rows_read - len(failures) - len(people), "failed_count": len(failures),
            "failures": [{"row": r, "name": names.get(r, ""), "messages": failures[r]}
                         for r in sorted(failures)[:SHOWN_FAILURES]],
            "fields": _field_counts(updates, family_changed),
            "summary": [f"共{rows_read}行:修改{len(people)}人,未改动{rows_read - len(failures) - len(people)}人,"
                        f"未通过{len(failures)}行"],
        }
        record_event(
            action="changes.batch_edited",
            summary=f"非关键信息批量修改:{filename},修改{len(people)}人,未通过{len(failures)}行",
            actor=user, school=school,
            before={who[u.student_id]: u.before for u in updates} | {
                f"{who[pk]}家庭成员": b for pk, (b, _) in family_changed.items()},
            after={who[u.student_id]: u.after for u in updates} | {
                f"{who[pk]}家庭成员": a for pk, (_, a) in family_changed.items()},
        )
        if finish is not None:
            finish(result)
    return result


def _write(plans: dict[int, tuple[int, rules.RowPlan]], failures: dict[int, list[str]], user, context):
    """The passing rows written (in the caller's transaction): the records' non-key data
    (``update_records``), then their families (``update_families``), each record's row
    all or nothing — a row refused by either writer leaves its record as it was (its
    messages go to ``failures``). The families' rules ran at planning already, so a
    family refusal here (the record changed meanwhile) is rare: the writes are then
    undone to a savepoint and redone without those rows. Returns (record updates,
    {student id: (members before, after)})."""
    skip: set[int] = set()
    while True:
        savepoint = transaction.savepoint()
        refused: dict[int, list[str]] = {}
        updates = student_services.update_records(
            [(pk, plan.changes) for pk, (_, plan) in plans.items() if plan.changes and pk not in skip],
            actor=user, reason="非关键信息批量修改", context=context, refused=refused)
        family_refused: dict[int, list[str]] = {}
        families = student_services.update_families(
            [(pk, plan.family) for pk, (_, plan) in plans.items()
             if plan.family is not None and pk not in refused and pk not in skip],
            actor=user, reason="非关键信息批量修改", context=context, refused=family_refused)
        for pk, messages in (refused | family_refused).items():
            failures[plans[pk][0]] = messages
        if not family_refused:
            transaction.savepoint_commit(savepoint)
            return updates, {u.student_id: (u.before, u.after) for u in families}
        transaction.savepoint_rollback(savepoint)
        skip |= set(family_refused)


def _field_counts(updates, family_changed) -> list[list]:
    counts: dict[str, int] = {}
    for update in updates:
        for attr in update.after:
            header = F.BY_ATTR[attr].header
            counts[header] = counts.get(header, 0) + 1
    if family_changed:
        counts["家庭成员"] = len(family_changed)
    return sorted(([h, n] for h, n in counts.items()), key=lambda item: -item[1])


def run_import(job, progress):
    with job_sheet(job) as handle:
        apply_sheet(job.school, job.owner, handle, filename=job.params.get("filename", ""), progress=progress,
                    finish=progress.finish)


def import_result_url(job) -> str:
    return reverse("changes:batch_edit") + f"?job={job.pk}"


ACTION_LABELS = {"changes.batch_edited": "非关键信息批量修改", "changes.batch_edit_exported": "非关键信息批量修改导出"}


def register_kinds() -> None:
    from xueji.audit import rules as audit_rules

    for code, label in ACTION_LABELS.items():
        audit_rules.ACTION_LABELS.setdefault(code, label)
    registry.register(EXPORT_JOB, name="非关键信息批量修改导出", run=run_export)
    registry.register(IMPORT_JOB, name="非关键信息批量修改导入", run=run_import, result_url=import_result_url)

