"""学前调档 (SPEC F-45): the school's list of incoming first-graders, matched against the
preschool registry (幼儿园学籍), then completed (学前档案信息补录) into a first-grade
registration, or exported as the registration template to be completed and imported.

Every write is here, one function per operation, each in one transaction with its audit
entry. The bulk path is set-based: the rows are cleaned in memory by the same field rules
as registration (:func:`xueji.students.rules.clean_row`, restricted to the five columns),
duplicates are checked with one query per batch, the registry is asked once per batch and
the requests are inserted with ``bulk_create``.

- :func:`add_children`       新增 / Excel导入: clean, refuse duplicates, match, insert
- :func:`update_child`       修改: the same rules; matched again
- :func:`delete_children`    删除
- :func:`confirm_match`      待确认学前学籍 → choose one record, or none
- :func:`rematch_children`   ask the registry again (未查到 may be found later)
- :func:`supplement`         学前档案信息补录 → ``register_rows`` (the registration pipeline)
- :func:`export_workbook`    调档学生导出 → the 72-column registration template, prefilled

A request is *in registration* (已发起学籍注册业务或已成为正式学籍) while its own
registration, or a registration of the same school with the same ID number (imported
through 小学新生注册 after an export), is open or has passed. Such a request can't be
edited, deleted, exported or completed again; one whose registration was rejected or
withdrawn can.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.audit.services import record_event
from xueji.codes import tables as codes
from xueji.common import xlsx_reader
from xueji.common.batching import batches
from xueji.common.spreadsheets import safe_cell, safe_row
from xueji.org.models import School
from xueji.students import fields as F
from xueji.students import numbers
from xueji.students import rules as field_rules
from xueji.students.excel import DATA_SHEET, ExcelFormatError, build_template, read_rows
from xueji.workflow.models import BusinessStatus

from . import adapters, services
from .models import PreschoolRequest, PreschoolStatus, Registration

__all__ = [
    "CHILD_HEADERS",
    "DUPLICATE_MESSAGE",
    "AddResult",
    "REG_STATE_LABELS",
    "add_children",
    "build_children_template",
    "children_for",
    "clean_child",
    "confirm_match",
    "delete_children",
    "export_workbook",
    "import_children",
    "is_in_registration",
    "registration_entry",
    "rematch_children",
    "supplement",
    "supplement_initial",
    "update_child",
]

#: The five columns of the 学前调档名单 (seed 000 "表3": 5项基本信息).
CHILD_HEADERS = ("姓名", "性别", "出生日期", "身份证件类型", "身份证件号")
DUPLICATE_MESSAGE = "身份证号已经录入,不允许重复录入"
BATCH_SIZE = 2000
TEMPLATE_FILENAME = "学前调档名单导入模板.xlsx"
_ATTRS = {"姓名": "name", "性别": "gender", "出生日期": "birth_date", "身份证件类型": "id_type", "身份证件号": "id_number"}

#: ``reg_state`` of a request (学籍注册状态).
REG_NONE, REG_PENDING, REG_DONE, REG_ENDED = "none", "pending", "done", "ended"
REG_STATE_LABELS = {
    REG_NONE: "未完成注册", REG_PENDING: "注册审核中", REG_DONE: "已完成注册", REG_ENDED: "注册未通过或已撤销",
}


@dataclass
class AddResult:
    """What a 新增 or an Excel import did: the requests created and each failing row with
    every reason (``services.RowOutcome``)."""

    created: list[PreschoolRequest] = field(default_factory=list)
    failed: list[services.RowOutcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        by_status = {s.value: 0 for s in PreschoolStatus}
        for r in self.created:
            by_status[r.status] += 1
        return by_status


# --- permission and scope ---------------------------------------------------------------

def check_actor(user, school: School | int) -> None:
    """学前调档 belongs to the school's own registrar (``school``: the school or its pk)."""
    school_id = school if isinstance(school, int) else school.pk
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id != school_id:
        raise PermissionDenied("只有本校学籍管理员可以办理学前调档")


_check_actor = check_actor


def _registration_state() -> Case:
    """``reg_state``: the request's registration state, from its own registration or one
    of the same school with the same ID number (imported after an export)."""
    same_id = Registration.objects.filter(
        school=OuterRef("school_id"), id_type=OuterRef("id_type"), id_number=OuterRef("id_number"),
    ).exclude(id_number="")
    return Case(
        When(Q(registration__business__status=BusinessStatus.PASSED)
             | Exists(same_id.filter(business__status=BusinessStatus.PASSED)), then=Value(REG_DONE)),
        When(Q(registration__business__status=BusinessStatus.OPEN)
             | Exists(same_id.filter(business__status=BusinessStatus.OPEN)), then=Value(REG_PENDING)),
        When(registration__isnull=False, then=Value(REG_ENDED)),
        default=Value(REG_NONE),
        output_field=CharField(),
    )


def children_for(school: School) -> QuerySet[PreschoolRequest]:
    """The school's 学前调档名单, each with ``reg_state`` (see :data:`REG_STATE_LABELS`)."""
    return PreschoolRequest.objects.filter(school=school).annotate(reg_state=_registration_state())


def is_in_registration(request_obj: PreschoolRequest) -> bool:
    state = getattr(request_obj, "reg_state", None)
    if state is None:
        state = children_for(request_obj.school).filter(pk=request_obj.pk).values_list("reg_state", flat=True).first()
    return state in (REG_PENDING, REG_DONE)


def _refuse_in_registration(requests: Iterable[PreschoolRequest], what: str) -> None:
    locked = [r for r in requests if is_in_registration(r)]
    if locked:
        names = "、".join(r.name for r in locked[:5]) + ("等" if len(locked) > 5 else "")
        raise ValidationError(f"{names}已发起学籍注册业务或已成为正式学籍,不允许{what}")


# --- the five columns ------------------------------------------------------------------------

def _context(school: School, today: dt.date) -> field_rules.CleanContext:
    """The registration rules' context for any ID type, without placement checks."""
    base = services.rules_context(school, "primary-resident", today)
    return dataclasses.replace(base, entry="", first_grade=False, classes=None, school_code=None)


def clean_child(raw: Mapping[str, object], context: field_rules.CleanContext) -> tuple[dict, list[str]]:
    """One row of the list (``{header: value}``, the five columns) → the request's values
    and every error, by the registration field rules: for a 居民身份证 the gender and
    birth date are taken from the number when empty and must agree with it when given."""
    row = {h: raw.get(h) for h in CHILD_HEADERS}
    cleaned = field_rules.clean_row(row, context=context)
    errors = [m for header, m in cleaned.problems if header in _ATTRS]
    values = {attr: cleaned.values.get(attr) for attr in _ATTRS.values()}
    values["id_number"] = str(values["id_number"] or "")
    return values, errors


def _identity(values: Mapping) -> str | None:
    return numbers.identity_key(values.get("id_type") or "", values.get("id_number"))


# --- matching -------------------------------------------------------------------------------

def _record_json(record: adapters.PreschoolRecord) -> dict:
    return {
        "ref": record.ref, "name": record.name, "gender": record.gender,
        "birth_date": record.birth_date.strftime("%Y%m%d"), "id_type": record.id_type,
        "id_number": record.id_number, "kindergarten": record.kindergarten, "data": dict(record.data or {}),
    }


def _match(requests: list[PreschoolRequest]) -> None:
    """Ask the preschool registry once for all of ``requests`` and set status, matches and
    chosen (not saved)."""
    if not requests:
        return
    found = adapters.preschool_registry().find([
        adapters.Child(r.name, r.gender, r.birth_date, r.id_type, r.id_number or "") for r in requests
    ])
    for req, records in zip(requests, found, strict=True):
        req.matches = [_record_json(m) for m in records]
        if len(records) == 1:
            req.status, req.chosen = PreschoolStatus.MATCHED, req.matches[0]
        elif records:
            req.status, req.chosen = PreschoolStatus.TO_CONFIRM, None
        else:
            req.status, req.chosen = PreschoolStatus.NOT_FOUND, None


# --- 新增 and Excel导入 ------------------------------------------------------------------------

def add_children(
    school: School, user, rows: Iterable[tuple[int, Mapping[str, object]]], *, source_name: str = "",
    request=None, today: dt.date | None = None, progress=None, job=None,
) -> AddResult:
    """新增 / Excel导入: rows ``(row number, {header: value})`` become requests, each matched
    against the preschool registry. A row with an error, or whose ID is already in the
    school's list (or earlier in the same file), is refused with every reason. ``job``:
    the import job, noted on each request it adds (:func:`undo_import`)."""
    _check_actor(user, school)
    context = _context(school, today or timezone.localdate())
    result = AddResult()
    seen: dict[str, int] = {}
    for batch in batches(rows, BATCH_SIZE):
        _add_batch(school, user, batch, context, source_name[:200], seen, result, request, job)
        if progress is not None:
            progress.set_done(max(progress.done, batch[-1][0] - 1))
    return result


def _row_failure(row: int, raw: Mapping, messages: list[str]) -> services.RowOutcome:
    return services.RowOutcome(row, messages, str(raw.get("姓名") or "")[:50], str(raw.get("身份证件号") or "")[:30])


def _add_batch(school, user, batch, context, source_name, seen, result: AddResult, request, job=None) -> None:
    good: list[tuple[int, Mapping, dict, str | None]] = []
    for row, raw in batch:
        values, errors = clean_child(raw, context)
        key = _identity(values)
        if key and not errors:
            if key in seen:
                errors.append(f"{DUPLICATE_MESSAGE}(与本文件第{seen[key]}行重复)")
            else:
                seen[key] = row
        if errors:
            result.failed.append(_row_failure(row, raw, errors))
        else:
            good.append((row, raw, values, key))
    if not good:
        return
    keys = [k for *_, k in good if k]
    taken = set()
    if keys:
        for id_type, id_number in PreschoolRequest.objects.filter(
            school=school, id_number__in=[k.split(":", 1)[1] for k in keys],
        ).values_list("id_type", "id_number"):
            taken.add(numbers.identity_key(id_type, id_number))
    accepted = []
    for row, raw, values, key in good:
        if key and key in taken:
            result.failed.append(_row_failure(row, raw, [DUPLICATE_MESSAGE]))
        else:
            accepted.append((row, raw, PreschoolRequest(school=school, created_by=user, source_name=source_name,
                                                         job=job, **values)))
    if not accepted:
        return
    _match([r for _, _, r in accepted])  # the registry is asked outside the transaction
    with transaction.atomic():
        try:
            with transaction.atomic():
                created = PreschoolRequest.objects.bulk_create([r for _, _, r in accepted])
        except IntegrityError:  # another registrar entered one of these IDs meanwhile
            created = []
            for row, raw, req in accepted:
                try:
                    with transaction.atomic():
                        req.save()
                    created.append(req)
                except IntegrityError:
                    result.failed.append(_row_failure(row, raw, [DUPLICATE_MESSAGE]))
        if created:
            statuses = {s.label: sum(1 for r in created if r.status == s) for s in PreschoolStatus}
            record_event(
                action="registration.preschool_added",
                summary=f"学前调档名单新增{len(created)}人" + (f"(导入{source_name})" if source_name else "")
                + ":" + ",".join(f"{k}{v}人" for k, v in statuses.items() if v),
                actor=user, request=request, school=school,
                after={"requests": [r.pk for r in created][:1000], "source": source_name},
            )
    result.created.extend(created)


def import_children(school: School, user, uploaded_file, *, request=None, today: dt.date | None = None,
                    progress=None, source_name: str | None = None, job=None) -> AddResult:
    """Excel导入 of the five-column list (:func:`build_children_template`); the file name is
    kept as 导入Excel名称. An unreadable file raises ValidationError. ``progress``: the
    job's (:class:`xueji.jobs.services.Progress`), advanced batch by batch; ``job``: the
    job itself, noted on every request added (:func:`undo_import` removes exactly those)."""
    _check_actor(user, school)
    name = source_name if source_name is not None else (getattr(uploaded_file, "name", "") or "")
    if progress is not None:
        last = xlsx_reader.last_row_hint(uploaded_file)
        uploaded_file.seek(0)
        progress.set_total(last - 1 if last and last > 1 else None)
    try:
        rows = read_rows(uploaded_file, headers=CHILD_HEADERS, min_header_matches=3)
        return add_children(school, user, rows, source_name=name, request=request, today=today, progress=progress,
                            job=job)
    except ExcelFormatError as error:
        raise ValidationError(str(error)) from error


def undo_import(job, reason: str = "") -> int:
    """An Excel导入 that did not finish: remove the requests its job added — noted on
    each (``PreschoolRequest.job``), so nothing else of the list is touched — except one
    completed into a registration meanwhile, with the audit entry, in the caller's
    transaction. Idempotent. Returns how many."""
    ids = list(PreschoolRequest.objects.filter(job=job, registration__isnull=True).values_list("pk", flat=True))
    if not ids:
        return 0
    PreschoolRequest.objects.filter(pk__in=ids).delete()
    record_event(action="registration.preschool_deleted",
                 summary=f"撤回未完成的学前调档名单导入:{len(ids)}人" + (f"({reason})" if reason else ""),
                 actor=job.owner, school=job.school, after={"requests": ids[:1000], "source": job.params.get("filename", ""),
                                                            "job": job.pk})
    return len(ids)


def build_children_template() -> bytes:
    """学前调档名单Excel导入模板: the five columns as text, drop-downs for 性别 and 身份证件类型,
    a help sheet."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "学前调档名单"
    code_ws = wb.create_sheet("代码表")
    help_ws = wb.create_sheet("填报说明")
    notes = {
        "姓名": "户口簿上的姓名,少数民族姓名中间用“·”",
        "性别": "1-男或2-女;居民身份证可不填,按证件号生成",
        "出生日期": "8位数字YYYYMMDD;居民身份证可不填,按证件号生成",
        "身份证件类型": "如1-居民身份证;无身份证件的选Z-其他",
        "身份证件号": "18位居民身份证号(单元格为文本);身份证件类型为Z-其他时可不填",
    }
    lists = {
        "性别": [f"{c}-{codes.name_of('gender', c)}" for c in ("1", "2")],
        "身份证件类型": [f"{c}-{codes.name_of('id_type', c)}" for c, _ in codes.choices("id_type")],
    }
    fill = PatternFill("solid", fgColor="DDEBF7")
    for column, header in enumerate(CHILD_HEADERS, start=1):
        letter = chr(64 + column)
        cell = ws.cell(row=1, column=column, value=header)
        cell.font = Font(bold=True, color="C00000" if header != "身份证件号" else "000000")
        cell.fill = fill
        cell.comment = Comment(notes[header], "学籍系统")
        ws.column_dimensions[letter].width = 22 if header == "身份证件号" else 14
        ws.column_dimensions[letter].number_format = "@"
        if header in lists:
            code_col = 1 if header == "性别" else 2
            code_ws.cell(row=1, column=code_col, value=header)
            for i, value in enumerate(lists[header], start=2):
                code_ws.cell(row=i, column=code_col, value=safe_cell(value))
            code_letter = chr(64 + code_col)
            validation = DataValidation(
                type="list", allow_blank=True, showErrorMessage=True, errorStyle="warning",
                formula1=f"{quote_sheetname('代码表')}!${code_letter}$2:${code_letter}${len(lists[header]) + 1}",
            )
            validation.add(f"{letter}2:{letter}5001")
            ws.add_data_validation(validation)
    ws.freeze_panes = "A2"
    code_ws.sheet_state = "hidden"
    help_ws.append(["列名", "说明"])
    for header in CHILD_HEADERS:
        help_ws.append(safe_row([header, notes[header]]))
    help_ws.append(["", "每行一名学生;同一身份证号在本校名单中只能录入一次。导入后系统实时查询学前学籍。"])
    help_ws.column_dimensions["A"].width = 14
    help_ws.column_dimensions["B"].width = 70
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- 修改, 删除, 确认, 重新匹配 ----------------------------------------------------------------------

def _locked_fresh(req: PreschoolRequest) -> PreschoolRequest:
    """The request, locked for update, with its registration state."""
    locked = PreschoolRequest.objects.select_for_update().get(pk=req.pk)
    locked.reg_state = children_for(req.school).filter(pk=req.pk).values_list("reg_state", flat=True).first()
    return locked


def update_child(req: PreschoolRequest, user, raw: Mapping[str, object], *, request=None,
                 today: dt.date | None = None) -> PreschoolRequest:
    """修改: the same rules as 新增; the child is matched again and any earlier choice and
    补录 are forgotten. Refused once the child is in registration."""
    school = req.school
    _check_actor(user, school)
    values, errors = clean_child(raw, _context(school, today or timezone.localdate()))
    if errors:
        raise ValidationError(errors)
    key = _identity(values)
    if key and PreschoolRequest.objects.filter(
        school=school, id_type=values["id_type"], id_number=values["id_number"],
    ).exclude(pk=req.pk).exists():
        raise ValidationError(DUPLICATE_MESSAGE)
    probe = PreschoolRequest(school=school, **values)
    _match([probe])
    with transaction.atomic():
        current = _locked_fresh(req)
        _refuse_in_registration([current], "修改")
        before = {a: _plain(getattr(current, a)) for a in (*_ATTRS.values(), "status")}
        for attr, value in values.items():
            setattr(current, attr, value)
        current.status, current.matches, current.chosen = probe.status, probe.matches, probe.chosen
        current.supplement_done, current.registration = False, None
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError as error:
            raise ValidationError(DUPLICATE_MESSAGE) from error
        record_event(action="registration.preschool_updated", summary=f"修改学前调档学生{current.name}",
                     actor=user, request=request, target=current, school=school, before=before,
                     after={a: _plain(getattr(current, a)) for a in (*_ATTRS.values(), "status")})
    return current


def _plain(value):
    return value.strftime("%Y%m%d") if isinstance(value, dt.date) else value


def delete_children(requests: list[PreschoolRequest], user, *, request=None) -> int:
    """删除: refused (all of them) if any is in registration."""
    if not requests:
        return 0
    school = requests[0].school
    for req in requests:
        _check_actor(user, req.school_id)
    with transaction.atomic():
        current = list(children_for(school).select_for_update(of=("self",)).filter(pk__in=[r.pk for r in requests]))
        _refuse_in_registration(current, "删除")
        names = [r.name for r in current]
        PreschoolRequest.objects.filter(pk__in=[r.pk for r in current]).delete()
        record_event(action="registration.preschool_deleted",
                     summary=f"删除学前调档学生{len(current)}人:{'、'.join(names[:20])}",
                     actor=user, request=request, school=school,
                     before={"requests": [{"name": r.name, "id_number": r.id_number} for r in current[:1000]]})
    return len(current)


def confirm_match(req: PreschoolRequest, user, ref: str | None, *, request=None) -> PreschoolRequest:
    """学前学籍确认 of a 待确认学前学籍 child: ``ref`` one of its records (→ 已匹配学前学籍),
    or None for 确认都不匹配 (→ 未查到学前学籍)."""
    _check_actor(user, req.school)
    with transaction.atomic():
        current = _locked_fresh(req)
        if current.status != PreschoolStatus.TO_CONFIRM:
            raise ValidationError("只有处理状态为“待确认学前学籍”的学生需要确认")
        _refuse_in_registration([current], "修改")
        if ref:
            chosen = next((m for m in current.matches if m.get("ref") == ref), None)
            if chosen is None:
                raise ValidationError("所选学前学籍不在匹配结果中")
            current.status, current.chosen = PreschoolStatus.MATCHED, chosen
        else:
            current.status, current.chosen = PreschoolStatus.NOT_FOUND, None
        current.save(update_fields=["status", "chosen"])
        record_event(action="registration.preschool_confirmed",
                     summary=f"确认{current.name}的学前学籍:" + (f"{current.chosen['kindergarten']}({ref})" if ref else "都不匹配"),
                     actor=user, request=request, target=current, school=current.school,
                     after={"status": current.status, "ref": ref or ""})
    return current


def rematch_children(requests: list[PreschoolRequest], user, *, request=None) -> int:
    """重新匹配: ask the registry again for children not (or not uniquely) matched; those
    already matched or in registration are left alone. One registry call."""
    if not requests:
        return 0
    for req in requests:
        _check_actor(user, req.school_id)
    school = requests[0].school
    candidates = [r for r in children_for(school).filter(pk__in=[r.pk for r in requests])
                  if r.status != PreschoolStatus.MATCHED and not is_in_registration(r)]
    _match(candidates)
    with transaction.atomic():
        PreschoolRequest.objects.bulk_update(candidates, ["status", "matches", "chosen"])
        record_event(action="registration.preschool_rematched", summary=f"学前调档重新匹配{len(candidates)}人",
                     actor=user, request=request, school=school,
                     after={"requests": [r.pk for r in candidates][:1000]})
    return len(candidates)


# --- 学前档案信息补录 --------------------------------------------------------------------------

def registration_entry(id_type: str) -> str:
    """The 小学新生注册 entry of an ID type."""
    if id_type == numbers.RESIDENT_ID_TYPE:
        return "primary-resident"
    if id_type == numbers.NO_DOCUMENT_TYPE:
        return "primary-no-id"
    return "primary-foreign"


def _key_values(req: PreschoolRequest) -> dict[str, str]:
    """The five columns as the request holds them (what 补录 and the export can't change)."""
    return {
        "姓名": req.name, "性别": req.gender, "出生日期": req.birth_date.strftime("%Y%m%d"),
        "身份证件类型": req.id_type, "身份证件号": req.id_number or "",
    }


def supplement_initial(req: PreschoolRequest) -> dict[str, object]:
    """The prefilled 补录 row ``{header: value}``: the confirmed preschool record's data
    (``PreschoolRecord.data`` keyed by template header), then the request's five columns,
    the school, and what follows from the ID type and from having a preschool record."""
    row: dict[str, object] = {}
    data = (req.chosen or {}).get("data") or {}
    for header, value in data.items():
        if header in F.BY_HEADER and value not in (None, ""):
            row[header] = value
    if req.id_type == numbers.RESIDENT_ID_TYPE or req.id_type == numbers.NO_DOCUMENT_TYPE:
        row.setdefault("国籍/地区", "CHN")
        row.setdefault("港澳台侨外", "00")
    if req.status == PreschoolStatus.MATCHED:
        row["是否受过学前教育"] = "是"
    row.update(_key_values(req))
    row["学校标识码"] = req.school.code
    return row


def supplement(req: PreschoolRequest, user, raw: Mapping[str, object], *, proof=None, request=None,
               today: dt.date | None = None) -> services.BatchResult:
    """学前档案信息补录: the completed row goes through ``services.register_rows`` (the same
    rules, 查重认证 and approval chain as 小学新生注册); the five columns are the request's.
    A child without an ID document goes through ``services.register_single`` with the
    proof material 无身份证号学生在校就读证明 (``proof``, required there). On success the
    request is marked 已补录 and linked to its registration; otherwise the rules' messages
    come back in ``failed``."""
    _check_actor(user, req.school)
    with transaction.atomic():
        current = _locked_fresh(req)
        if current.status != PreschoolStatus.MATCHED:
            raise ValidationError("只有处理状态为“已匹配学前学籍”的学生可以补录学籍信息,其他学生请导出后在小学新生注册中导入")
        _refuse_in_registration([current], "再次补录")
        row = dict(raw)
        row.update(_key_values(current))
        row["学校标识码"] = current.school.code
        entry = registration_entry(current.id_type)
        if current.id_type == numbers.NO_DOCUMENT_TYPE:
            outcome = services.register_single(current.school, entry, user, row, proof=proof, request=request)
        else:
            outcome = services.register_rows(current.school, entry, user, [(1, row)], request=request, today=today)
        if outcome.passed:
            current.registration = outcome.passed[0]
            current.supplement_done = True
            current.save(update_fields=["registration", "supplement_done"])
            record_event(action="registration.preschool_supplemented",
                         summary=f"学前档案信息补录:{current.name},已提交注册申请", actor=user, request=request,
                         target=current, school=current.school, after={"registration": current.registration_id})
    return outcome


# --- 调档学生导出 ------------------------------------------------------------------------------

def _cell(f: F.Field, value: object) -> str:
    """A value as the template's drop-down shows it ("1-男"), or as text."""
    if value is None:
        return ""
    if f.kind == "bool":
        if isinstance(value, bool):
            return "是" if value else "否"
        return str(value)
    if f.kind == "code" and f.code_table:
        code = codes.parse(f.code_table, value)
        return f"{code}-{codes.name_of(f.code_table, code)}" if code else str(value)
    if f.kind == "choice" and f.options:
        name = dict(f.options).get(str(value))
        return f"{value}-{name}" if name else str(value)
    return str(value)


def _exportable(requests: list[PreschoolRequest], user) -> tuple[list[PreschoolRequest], str]:
    """The chosen children as they are now, and their template's entry; ValidationError
    (or PermissionDenied) when they can't be exported (see :func:`export_workbook`)."""
    if not requests:
        raise ValidationError("请选择要导出的学生")
    school = requests[0].school
    for req in requests:
        _check_actor(user, req.school_id)
    current = list(children_for(school).filter(pk__in=[r.pk for r in requests]).order_by("created_at", "pk"))
    if not current:
        raise ValidationError("请选择要导出的学生")
    if any(r.id_type == numbers.NO_DOCUMENT_TYPE for r in current):
        raise ValidationError("无身份证件的学生不能导出")
    waiting = [r.name for r in current if r.status == PreschoolStatus.TO_CONFIRM]
    if waiting:
        raise ValidationError(f"{'、'.join(waiting[:5])}的处理状态为“待确认学前学籍”,请先确认学前学籍后再导出")
    _refuse_in_registration(current, "导出")
    entries = {registration_entry(r.id_type) for r in current}
    if len(entries) > 1:
        raise ValidationError("不同身份证件类型的学生不能一起导出:居民身份证学生和港澳台及外籍学生请分别导出")
    return current, entries.pop()


def check_export(requests: list[PreschoolRequest], user) -> None:
    """The refusals of :func:`export_workbook`, checked before the export is queued."""
    _exportable(requests, user)


def export_workbook(requests: list[PreschoolRequest], user, *, request=None,
                    verified_by: tuple[str, str] = ("", "")) -> tuple[bytes, str]:
    """调档学生导出: the chosen children in the registration template of their ID type
    (居民身份证 or 港澳台和外籍), prefilled with the five columns and the preschool data.
    Refused for children without an ID document (no Excel registration for them), children
    still 待确认学前学籍, children in registration, and a mix of the two templates.
    ``verified_by``: (name, username) of the second account that verified the export
    (F-14), named in the audit entry. Returns (xlsx bytes, file name)."""
    from openpyxl import load_workbook

    current, entry = _exportable(requests, user)
    school = current[0].school
    book = load_workbook(io.BytesIO(build_template(entry)))
    sheet = book[DATA_SHEET]
    headers = [c.value for c in sheet[1]]
    for req in current:
        row = supplement_initial(req)
        sheet.append(safe_row(_cell(F.BY_HEADER[h], row.get(h)) if h in row else None for h in headers))
    out = io.BytesIO()
    book.save(out)
    label = "居民身份证" if entry == "primary-resident" else "港澳台和外籍"
    name, username = verified_by
    record_event(action="registration.preschool_exported",
                 summary=f"调档学生导出({label}):{len(current)}人"
                 + (f",{user.real_name}({user.username})经{name}({username})验证" if username else ""),
                 actor=user, request=request, school=school,
                 after={"requests": [r.pk for r in current][:1000], "template": entry,
                        "second_username": username, "second_name": name})
    return out.getvalue(), f"{label}调档学生导出.xlsx"
