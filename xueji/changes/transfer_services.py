"""Writes of 省内转学 (F-48) and 学生学籍转移 (F-92). Each function owns its transaction and
writes its audit entry inside it; the record itself is written by ``students.services``
only (``change_status``, ``move_students``, ``place_in_class``).

省内转学 is a multi-party business of the engine (``transfer_in_province``: 转入方 then
转出方, each side's chain from its own school's process configuration; an authority in
both sides reviews once, after both schools)::

    lookup (学籍号 + 姓名, audited) → apply_transfer → [转入学校 → 转入方教育局 → 转出学校 → 转出方教育局]
        → last pass: complete_transfer (调档: 在校→转出 at the old school, move, 转出→在校 at the new one,
          a 待分班 row) → place_in_class (the receiving school's registrar)

学生学籍转移 is a batch operation (``record_transfer``): the common superior authority
chooses students of one school and a target school; the receiving school's registrar
confirms (the batch is applied at once, set-based) or refuses.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.audit.services import record_event
from xueji.common.masking import mask_national_number
from xueji.org.models import Grade, School, SchoolClass
from xueji.students import services as students
from xueji.students.models import Student
from xueji.workflow import batches, payloads, registry
from xueji.workflow import rules as workflow_rules
from xueji.workflow import services as workflow
from xueji.workflow.models import BatchStatus, Business

from .transfer_models import RecordTransfer, RecordTransferStatus, TransferPlacement

TRANSFER = "transfer_in_province"
RECORD_TRANSFER = "record_transfer"
RECORD_TRANSFER_JOB = "changes.record_transfer"
#: A confirmed 学籍转移 of at most this many students is applied in the request (well
#: under a second: bench/record_transfer.py); a larger one runs as a background job.
INLINE_LIMIT = 500
IN_SCHOOL, TRANSFERRING_OUT, DELETED = "10", "12", "99"
REASON_MAX = 200
NOT_FOUND = "未找到"

PAYLOAD = payloads.Schema("省内转学申请", (
    payloads.Field("from_school", "转出学校"),
    payloads.Field("from_grade", "原年级", required=False),
    payloads.Field("to_grade", "转入年级"),
    payloads.Field("to_grade_id", "转入年级编号", "hidden"),
    payloads.Field("reason", "转学理由"),
))


def _name(user) -> str:
    return (getattr(user, "real_name", "") or user.get_username())[:50]


def _province(school: School) -> str:
    """The province digits of a school's supervising authority ('' for a ministry school)."""
    return school.supervisor.prefix[:2]


def _move(ids, *, school_id: int, grade_id: int, actor, business_id=None, kind=None) -> None:
    """调档 into a grade, 待分班 (no class until the receiving school places them)."""
    students.move_students(ids, school=school_id, grade=grade_id, klass=None, actor=actor, kind=kind,
                           business_id=business_id)


def _status(ids, status: str, reason: str, user, business_id=None) -> None:
    students.change_status(ids, status, reason=reason[:200], date=timezone.localdate(), actor=user,
                           business_id=business_id)


def _require_registrar(user) -> None:
    if getattr(user, "role", None) != Role.SCHOOL_REGISTRAR or user.school_id is None:
        raise PermissionDenied("只有学校学籍管理员可以办理省内转学申请")


# --- 省内转学: lookup and application ---------------------------------------------------------
def find_student(national_number: str, name: str) -> Student | None:
    """The record whose 全国学籍号 **and** 姓名 are both these (not deleted); None otherwise —
    a number with another name finds nothing, so the pair reveals nothing on its own."""
    number = (national_number or "").strip().upper()[:19]
    name = (name or "").strip()[:50]
    if not number or not name:
        return None
    return (Student.objects.select_related("school__supervisor", "grade", "klass")
            .filter(national_number=number, name=name).exclude(status=DELETED).first())


def transferable(school: School, student: Student | None) -> bool:
    """Whether ``school`` may apply for ``student`` by 省内转学: a student of another school
    of the same province."""
    return (student is not None and student.school_id != school.pk
            and _province(student.school) == _province(school) != "")


def lookup_student(user, national_number: str, name: str, request=None) -> Student | None:
    """省内转学申请's 查询: the receiving school's registrar finds a student by 学籍号 + 姓名.
    Every lookup is audited (who looked for which number, found or not); a pair that does
    not match — or a student of the user's own school or of another province — answers
    None, which the page shows as "未找到" only."""
    _require_registrar(user)
    number = (national_number or "").strip().upper()[:19]
    student = find_student(number, name)
    found = transferable(user.school, student)
    with transaction.atomic():
        record_event(
            action="changes.transfer_lookup",
            summary=f"省内转学查询学生:学籍号{mask_national_number(number) if number else '(空)'} {'找到' if found else NOT_FOUND}",
            actor=user, request=request, school=user.school,
            after={"national_number": number, "name": (name or "").strip()[:50], "found": found,
                   "student": student.pk if found else None},
        )
    return student if found else None


def target_grades(school: School):
    """The grades a transfer may go into: the school's grades not yet graduated."""
    return Grade.objects.filter(school=school, is_graduated=False).order_by("stage", "-entry_year")


def _check_materials(files) -> list:
    files = [f for f in (files or []) if f]
    if len(files) > workflow.MATERIALS_PER_BUSINESS:
        raise ValidationError(f"每项业务最多上传{workflow.MATERIALS_PER_BUSINESS}份证明材料")
    for upload in files:
        if getattr(upload, "size", 0) > workflow_rules.MATERIAL_MAX_BYTES:
            raise ValidationError(workflow_rules.MATERIAL_SIZE_MESSAGE)
    return files


def apply_transfer(user, *, national_number: str, name: str, to_grade, reason: str, materials=(),
                   request=None) -> Business:
    """省内转学申请: the receiving school's registrar applies for the student found by
    学籍号 + 姓名 (checked again here: the form's hidden values are not trusted), into
    ``to_grade`` of their school, with the reason and proof materials (optional, JPG/PNG
    ≤ 2 MB). Starts the engine's two-party business; refusals in Chinese."""
    _require_registrar(user)
    school = user.school
    student = find_student(national_number, name)
    if not transferable(school, student):
        raise ValidationError(NOT_FOUND)
    grade_id = to_grade.pk if isinstance(to_grade, Grade) else to_grade
    grade = target_grades(school).filter(pk=grade_id).first() if str(grade_id or "").isdigit() else None
    if grade is None:
        raise ValidationError("请选择本校的转入年级")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写转学理由")
    if len(reason) > REASON_MAX:
        raise ValidationError(f"转学理由不能超过{REASON_MAX}个字")
    files = _check_materials(materials)
    payload = {"from_school": student.school.name, "from_grade": student.grade.name, "to_grade": grade.name,
               "to_grade_id": grade.pk, "reason": reason}
    with transaction.atomic():
        business = workflow.initiate(
            kind=TRANSFER, school=school, applicant=user, student=student, stage=grade.stage,
            summary=f"{student.name}由{student.school.name}转入{grade.name}", payload=payload,
            parties={registry.SENDING: student.school}, request=request,
        )
        for upload in files:
            workflow.attach_material(business, user, upload, request=request)
    return business


# --- 省内转学: the effect ------------------------------------------------------------------------
def _party_school_id(business: Business, role: str) -> int | None:
    return business.parties.filter(role=role).values_list("school_id", flat=True).first()


def complete_transfer(business: Business, decision, user):
    """The last pass (调档), in the decision's transaction: the record moves to the
    receiving school's grade (待分班), its status history showing it leave the sending
    school (在校 → 转出) and arrive (转出 → 在校). Refused (the decision rolls back) when the
    student is no longer 在校 at the sending school or the grade is gone."""
    sending = _party_school_id(business, registry.SENDING)
    student = Student.objects.select_for_update(of=("self",)).select_related("school").get(pk=business.student_id)
    if student.school_id != sending:
        raise ValidationError(f"{student.name}已不在转出学校,不能调档")
    if student.status != IN_SCHOOL:
        raise ValidationError(f"{student.name}的学籍状态不是在校,不能调档")
    grade = Grade.objects.filter(pk=business.payload.get("to_grade_id"), school_id=business.school_id).first()
    if grade is None:
        raise ValidationError("转入年级已不存在,不能调档")
    from_school = student.school
    to_school = business.school
    _status([student.pk], TRANSFERRING_OUT, f"省内转学,转出至{to_school.name}", user, business.pk)
    _move([student.pk], school_id=to_school.pk, grade_id=grade.pk, actor=user, business_id=business.pk)
    _status([student.pk], IN_SCHOOL, f"省内转学,由{from_school.name}转入", user, business.pk)
    TransferPlacement.objects.create(business=business, student=student, school=to_school, grade=grade,
                                     from_school=from_school)
    return registry.Effect(
        f"学籍已由{from_school.name}调至{to_school.name}{grade.name}(待分班)",
        {"student": student.pk, "from_school": from_school.pk, "to_school": to_school.pk, "grade": grade.pk},
    )


# --- 分班 (class placement after a transfer) ---------------------------------------------------
def place_in_class(user, placement: TransferPlacement, klass, request=None) -> TransferPlacement:
    """转入学生分班: the receiving school's registrar places a transferred student in a class
    of the grade they came into."""
    _require_registrar(user)
    klass_id = klass.pk if isinstance(klass, SchoolClass) else klass
    with transaction.atomic():
        placement = TransferPlacement.objects.select_for_update().get(pk=placement.pk)
        if placement.school_id != user.school_id:
            raise PermissionDenied("只能为本校转入的学生分班")
        if placement.is_placed:
            raise ValidationError("该学生已分班")
        target = SchoolClass.objects.filter(pk=klass_id, grade_id=placement.grade_id,
                                            school_id=placement.school_id).select_related("grade", "school").first() \
            if str(klass_id or "").isdigit() else None
        if target is None:
            raise ValidationError("请选择转入年级的班级")
        student = Student.objects.select_for_update().get(pk=placement.student_id)
        if student.school_id != placement.school_id:
            raise ValidationError(f"{student.name}已不在本校,不能分班")
        before = {"klass": student.klass_id}
        if student.klass_id != target.pk:
            students.place_in_class([student.pk], target.pk, actor=user, business_id=placement.business_id)
        placement.klass, placement.placed_at, placement.placed_by = target, timezone.now(), user
        placement.save(update_fields=["klass", "placed_at", "placed_by"])
        record_event(
            action="changes.transfer_placed", summary=f"转入学生分班:{student.name} 分入{target.label}",
            actor=user, request=request, target=student, school=user.school,
            before=before, after={"klass": target.pk, "placement": placement.pk},
        )
    return placement


# --- 学生学籍转移 (F-92): a batch operation --------------------------------------------------------
def common_superior(a: School, b: School):
    """The nearest authority above both schools (the county for two schools of one county)."""
    above_b = {x.pk for x in b.supervisor.ancestors()}
    return next((x for x in a.supervisor.ancestors() if x.pk in above_b), None)


def _school(value) -> School | None:
    if isinstance(value, School):
        return value
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return School.objects.select_related("supervisor").filter(pk=int(value)).first()
    return None


def record_transfer_check(authority, criteria: dict) -> list[str]:
    """The criteria of a 学籍转移 (the batch kind's ``check``): two different schools in
    the authority's scope, the authority being their nearest common superior or above;
    one of grade / class / chosen students of the sending school."""
    errors = []
    source, target = _school(criteria.get("from_school")), _school(criteria.get("to_school"))
    if source is None or target is None:
        return ["请选择转出学校和转入学校"]
    if source.pk == target.pk:
        return ["转出学校和转入学校不能相同"]
    for school in (source, target):
        if not school.supervisor.prefix.startswith(authority.prefix):
            errors.append(f"{school.name}不在本单位管辖范围内")
    if errors:
        return errors
    by = criteria.get("by")
    if by == "grade":
        if not Grade.objects.filter(pk=criteria.get("grade") or 0, school=source, is_graduated=False).exists():
            errors.append("请选择转出学校的年级")
    elif by == "class":
        if not SchoolClass.objects.filter(pk=criteria.get("klass") or 0, school=source).exists():
            errors.append("请选择转出学校的班级")
    elif by == "students":
        ids = criteria.get("students") or []
        if not ids or not all(isinstance(i, int) for i in ids):
            errors.append("请选择学生")
    else:
        errors.append("请选择按年级、按班级或按学生转移")
    return errors


def record_transfer_select(authority, criteria: dict) -> list[int]:
    """The students a 学籍转移 covers: 在校 students of the sending school in the grade, the
    class or among the chosen ids."""
    students_qs = Student.objects.filter(school_id=criteria["from_school"], status=IN_SCHOOL)
    by = criteria["by"]
    if by == "grade":
        students_qs = students_qs.filter(grade_id=criteria["grade"])
    elif by == "class":
        students_qs = students_qs.filter(klass_id=criteria["klass"])
    else:
        students_qs = students_qs.filter(pk__in=criteria["students"])
    return list(students_qs.values_list("pk", flat=True))


def _target_grade(to_school_id: int, stage: str, entry_year: int) -> Grade | None:
    return Grade.objects.filter(school_id=to_school_id, stage=stage, entry_year=entry_year,
                                is_graduated=False).first()


def record_transfer_apply(batch, student_ids: list[int], user) -> dict[int, str]:
    """One chunk of a confirmed 学籍转移, set-based: each student moves into the receiving
    school's grade of the same stage and entry year (待分班); those who left the sending
    school meanwhile, are no longer 在校, have a business in progress, or have no such
    grade at the receiving school fail with the reason."""
    criteria = batch.criteria
    to_school_id, from_school_id = criteria["to_school"], criteria["from_school"]
    rows = list(Student.objects.select_for_update(of=("self",)).filter(pk__in=student_ids)
                .values_list("pk", "school_id", "status", "grade__stage", "grade__entry_year"))
    busy = set(Business.objects.filter(student_id__in=student_ids, status="open").values_list("student_id", flat=True))
    failures: dict[int, str] = {}
    by_grade: dict[int, list[int]] = {}
    grades: dict[tuple, Grade | None] = {}
    for pk, school_id, status, stage, entry_year in rows:
        if school_id != from_school_id:
            failures[pk] = "学生已不在转出学校"
            continue
        if status != IN_SCHOOL:
            failures[pk] = "学籍状态不是在校"
            continue
        if pk in busy:
            failures[pk] = "该学生有在办业务"
            continue
        key = (stage, entry_year)
        if key not in grades:
            grades[key] = _target_grade(to_school_id, stage, entry_year)
        grade = grades[key]
        if grade is None:
            failures[pk] = "转入学校没有对应的年级"
            continue
        by_grade.setdefault(grade.pk, []).append(pk)
    found = {row[0] for row in rows}
    failures.update({pk: "学籍不存在" for pk in student_ids if pk not in found})
    to_school = School.objects.get(pk=to_school_id)
    from_school = School.objects.get(pk=from_school_id)
    placements = []
    for grade_id, ids in by_grade.items():
        _status(ids, TRANSFERRING_OUT, f"学籍转移,转出至{to_school.name}", user)
        _move(ids, school_id=to_school_id, grade_id=grade_id, actor=user, kind="move")
        _status(ids, IN_SCHOOL, f"学籍转移,由{from_school.name}转入", user)
        placements.extend(TransferPlacement(batch=batch, student_id=pk, school_id=to_school_id, grade_id=grade_id,
                                            from_school_id=from_school_id) for pk in ids)
    TransferPlacement.objects.bulk_create(placements, batch_size=1000)
    return failures


def record_transfer_describe(criteria: dict) -> list[tuple[str, str]]:
    schools = School.objects.in_bulk([criteria.get("from_school"), criteria.get("to_school")])
    by = {"grade": "按年级", "class": "按班级", "students": "按学生"}.get(criteria.get("by"), "")
    rows = [("转出学校", getattr(schools.get(criteria.get("from_school")), "name", "")),
            ("转入学校", getattr(schools.get(criteria.get("to_school")), "name", "")), ("转移方式", by)]
    if criteria.get("by") == "grade":
        grade = Grade.objects.filter(pk=criteria.get("grade")).first()
        rows.append(("年级", grade.name if grade else ""))
    elif criteria.get("by") == "class":
        klass = SchoolClass.objects.filter(pk=criteria.get("klass")).select_related("grade", "school").first()
        rows.append(("班级", klass.label if klass else ""))
    return rows


def register_record_transfer() -> None:
    registry.register_batch_kind(RECORD_TRANSFER, "学生学籍转移", select=record_transfer_select,
                                 apply=record_transfer_apply, check=record_transfer_check,
                                 describe=record_transfer_describe, chunk_size=1000)


def create_record_transfer(user, *, from_school: School, to_school: School, by: str, grade=None, klass=None,
                           student_ids: Iterable[int] = (), request=None) -> RecordTransfer:
    """学生学籍转移 by the common superior authority (or one above it): one batch operation
    with its member snapshot, waiting for the receiving school's confirmation."""
    if getattr(user, "role", None) != Role.AUTHORITY_REGISTRAR or user.authority_id is None:
        raise PermissionDenied("只有教育部门学籍管理员可以办理学生学籍转移")
    criteria = {"from_school": from_school.pk, "to_school": to_school.pk, "by": by}
    if by == "grade":
        criteria["grade"] = grade.pk if isinstance(grade, Grade) else grade
    elif by == "class":
        criteria["klass"] = klass.pk if isinstance(klass, SchoolClass) else klass
    elif by == "students":
        criteria["students"] = sorted({int(i) for i in student_ids})
    with transaction.atomic():
        batch = batches.create_batch(
            kind=RECORD_TRANSFER, initiator=user, authority=user.authority, criteria=criteria,
            summary=f"{from_school.name}学生学籍转移至{to_school.name}", request=request,
        )
        transfer = RecordTransfer.objects.create(batch=batch, from_school=from_school, to_school=to_school)
    return transfer


def confirm_record_transfer(user, transfer: RecordTransfer, accept: bool, opinion: str = "",
                            request=None):
    """学籍转入确认: the receiving school's registrar confirms — the students move, in
    chunks, each chunk with its audit entry (``batches.apply_batch``): in this request up
    to ``INLINE_LIMIT`` students, else as a background job (returned) — or refuses (an
    opinion required; the batch is closed, nobody moves). Returns the job or None."""
    if getattr(user, "role", None) != Role.SCHOOL_REGISTRAR or user.school_id != transfer.to_school_id:
        raise PermissionDenied("只有转入学校的学籍管理员可以确认学籍转入")
    opinion = (opinion or "").strip()
    if not accept and not opinion:
        raise ValidationError("拒绝转入时必须填写意见")
    if len(opinion) > 200:
        raise ValidationError("意见不能超过200个字")
    with transaction.atomic():
        transfer = RecordTransfer.objects.select_for_update().select_related("batch").get(pk=transfer.pk)
        if transfer.status != RecordTransferStatus.WAITING:
            raise ValidationError("该学籍转移已处理")
        if transfer.batch.status != BatchStatus.APPROVED:
            raise ValidationError("该学籍转移已撤销或已执行")
        transfer.status = RecordTransferStatus.CONFIRMED if accept else RecordTransferStatus.REFUSED
        transfer.decided_by, transfer.decided_by_name = user, _name(user)
        transfer.opinion, transfer.decided_at = opinion, timezone.now()
        transfer.save()
        if not accept:
            batches.end_batch(transfer.batch, user, note=f"转入学校拒绝:{opinion}", request=request)
        record_event(
            action="changes.record_transfer_confirmed" if accept else "changes.record_transfer_refused",
            summary=f"学籍转入{'确认' if accept else '拒绝'}:{transfer.batch.summary}"
            f"(学生{transfer.batch.total}人){'' if accept else ':' + opinion}",
            actor=user, request=request, target=transfer.batch, school=user.school,
            after={"status": transfer.status, "opinion": opinion},
        )
    if accept:
        return apply_record_transfer(user, transfer, request=request)
    return None


def can_cancel(user, transfer: RecordTransfer) -> bool:
    """撤销: a registrar of the authority that set it up, while it waits for confirmation."""
    return (getattr(user, "role", None) == Role.AUTHORITY_REGISTRAR and user.authority_id is not None
            and user.authority_id == transfer.batch.authority_id and transfer.status == RecordTransferStatus.WAITING)


def cancel_record_transfer(user, transfer: RecordTransfer, request=None) -> RecordTransfer:
    """撤销 a 学籍转移 not yet confirmed: a registrar of the authority that set it up."""
    if getattr(user, "role", None) != Role.AUTHORITY_REGISTRAR or user.authority_id != transfer.batch.authority_id:
        raise PermissionDenied("只有发起单位的学籍管理员可以撤销该学籍转移")
    with transaction.atomic():
        transfer = RecordTransfer.objects.select_for_update().select_related("batch").get(pk=transfer.pk)
        if transfer.status != RecordTransferStatus.WAITING:
            raise ValidationError("该学籍转移已处理,不能撤销")
        batches.cancel_batch(transfer.batch, user, request=request, note="发起单位撤销学籍转移")
        transfer.status = RecordTransferStatus.CANCELLED
        transfer.save(update_fields=["status"])
    return transfer


def apply_record_transfer(user, transfer: RecordTransfer, request=None):
    """执行 a confirmed 学籍转移 (also 继续执行 after an interruption): inline when small,
    else a background job of the receiving school (its page follows the progress).
    Returns the job, or None when it was applied here."""
    if transfer.status != RecordTransferStatus.CONFIRMED:
        raise ValidationError("该学籍转移未确认")
    batch = transfer.batch
    if batch.pending <= INLINE_LIMIT:
        batches.apply_batch(batch, user, request=request)
        return None
    from xueji.jobs.services import start_job

    return start_job(RECORD_TRANSFER_JOB, user=user, school=transfer.to_school, request=request,
                     params={"transfer": transfer.pk}, title=f"学籍转入:{batch.summary}"[:200])


def run_record_transfer_job(job, progress):
    """The background job of a large confirmed 学籍转移: the batch's chunks, resumable."""
    transfer = RecordTransfer.objects.select_related("batch").get(pk=job.params["transfer"])
    progress.set_total(transfer.batch.total)

    def report(done, total):
        progress.set_total(total)
        progress.set_done(done)

    batch = batches.apply_batch(transfer.batch, job.owner, progress=report)
    progress.done = batch.succeeded + batch.failed
    progress.finish({"summary": [f"学籍转入:成功{batch.succeeded}人,失败{batch.failed}人"]})
    return {"succeeded": batch.succeeded, "failed": batch.failed}


def record_transfer_job_failed(job, reason):
    """Nothing to undo: every chunk applied stays (it is a finished part of the confirmed
    transfer); 继续执行 goes on from the rest."""
    return "已执行的学生保留,可在学籍转入确认页面继续执行"


def record_transfer_job_url(job) -> str:
    from django.urls import reverse

    return reverse("changes:record_transfer_confirm")


def register() -> None:
    """Plug 省内转学's effect and content into the engine, and the 学籍转移 batch kind
    (called from ``ChangesConfig.ready``)."""
    from xueji.jobs import registry as jobs_registry

    from . import transfer_selectors

    registry.set_handlers(TRANSFER, on_complete=complete_transfer, payload=PAYLOAD,
                          facts=transfer_selectors.review_facts, fact_columns=transfer_selectors.FACT_COLUMNS)
    register_record_transfer()
    jobs_registry.register(RECORD_TRANSFER_JOB, name="学籍转入", run=run_record_transfer_job,
                           on_failure=record_transfer_job_failed, result_url=record_transfer_job_url)
