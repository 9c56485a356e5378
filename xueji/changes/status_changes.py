"""学籍异动 (SPEC F-47, seed 004 §7): 休学, 复学, 留级, 跳级, 开除, 退学, 死亡, 失踪, 出境,
入境复学, 去中职就读, 恢复入学资格, 转入特教/工读.

- :func:`request_status_change` — 学籍异动申请 (school registrar): type, date, reason,
  proof, and for 复学/入境复学/恢复入学资格/留级/跳级 the class the student goes to; the
  refusals of :mod:`xueji.changes.rules` (the status table F-27 is
  ``students.rules.ALLOWED_BUSINESS``); the chain is the type's configured one;
- :func:`complete_status_change` (``on_complete``, on the last pass) — the effect through
  ``students.services``: ``change_status`` (with its history) and ``move_students``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.audit.services import record_event
from xueji.org.models import SchoolClass
from xueji.students import rules as student_rules
from xueji.students import services as student_services
from xueji.students.models import StatusChange, Student
from xueji.workflow import payloads, registry
from xueji.workflow import services as workflow
from xueji.workflow.models import Business, BusinessStatus

from . import rules

#: 学籍异动的业务内容 (the seed's 学生异动信息: 异动类别 is the business type).
PAYLOAD = payloads.Schema("学籍异动:异动日期、异动原因及对学籍状态、年级、班级的影响", (
    payloads.Field("change_date", "异动日期", "date"),
    payloads.Field("reason", "异动原因"),
    payloads.Field("status", "学籍状态", "change", required=False),
    payloads.Field("suspended_on", "休学日期", "date", required=False),
    payloads.Field("suspended_grade", "休学时年级", required=False),
    payloads.Field("grade", "年级", "change", required=False),
    payloads.Field("klass", "班级", "change", required=False, inner="class"),
    payloads.Field("klass_id", "班级", "hidden", required=False),
))

ACTION_LABELS = {"changes.status_change_requested": "学籍异动申请"}


def suspension_of(student: Student) -> tuple[dt.date | None, str]:
    """When the student last went on 休学 and from which grade (复学 shows both): the date
    from the status history, the grade from that 休学 business."""
    change = StatusChange.objects.filter(student=student, new_status="11").order_by("-date", "-pk").first()
    business = (Business.objects.filter(student=student, kind="suspend", status=BusinessStatus.PASSED)
                .order_by("-finished_at").values_list("payload", flat=True).first())
    grade = business.get("suspended_grade", "") if isinstance(business, dict) else ""
    return (change.date if change else None), grade


def offered_types(student: Student) -> list[rules.StatusChangeType]:
    """The 学籍异动 the form offers: those the status allows (F-27) that apply to the
    student's 学段 (去中职就读: 初中、高中)."""
    stage = student.grade.stage
    return [t for t in rules.allowed_status_changes(student.status, stage) if stage in registry.get(t.code).stages]


def _grade(klass) -> rules.Grade | None:
    return rules.Grade(klass.grade.stage, klass.grade.entry_year) if klass is not None else None


def request_status_change(student: Student, user, kind: str, *, date, reason: str, klass=None, proof=None,
                          request=None, today: dt.date | None = None) -> Business:
    """学籍异动申请: refused in Chinese by the rules (status, date, reason, class), without a
    proof material, and by the engine (a business in progress, the stage, a window)."""
    today = today or timezone.localdate()
    student = Student.objects.select_related("school", "grade", "klass").get(pk=student.pk)
    target = None
    if klass not in (None, ""):
        target = SchoolClass.objects.select_related("grade", "school").filter(
            pk=getattr(klass, "pk", klass), school_id=student.school_id, grade__is_graduated=False).first()
        if target is None:
            raise ValidationError("只能调入本校的班级")
    ctype = rules.STATUS_CHANGES.get(kind)
    errors = rules.status_change_refusals(
        kind, status=student.status, date=date, today=today, reason=reason, birth_date=student.birth_date,
        current=rules.Grade(student.grade.stage, student.grade.entry_year), target=_grade(target) if ctype and ctype.placement != rules.NO_PLACEMENT else None,
        stage=student.grade.stage)
    if proof is None:
        errors.append("请上传证明材料")
    if errors:
        raise ValidationError(errors)
    reason = reason.strip()
    payload: dict = {"change_date": date.isoformat(), "reason": reason}
    if ctype.new_status and ctype.new_status != student.status:
        payload["status"] = {"before": student.get_status_display(),
                             "after": student_rules.STATUS_NAMES[ctype.new_status]}
    if kind == "suspend":
        payload["suspended_grade"] = student.grade.name
    if kind == "resume":
        on, grade = suspension_of(student)
        if on is not None:
            payload["suspended_on"] = on.isoformat()
        payload["suspended_grade"] = grade or student.grade.name
    if target is not None and ctype.placement != rules.NO_PLACEMENT:
        if target.grade_id != student.grade_id:
            payload["grade"] = {"before": student.grade.name, "after": target.grade.name}
        payload["klass"] = {"before": student.klass.code if student.klass_id else "", "after": target.code}
        payload["klass_id"] = target.pk
    with transaction.atomic():
        business = workflow.initiate(
            kind=kind, school=student.school, applicant=user, student=student, stage=student.grade.stage,
            summary=f"{student.name} {ctype.name}", payload=payload, request=request)
        workflow.attach_material(business, user, proof, request=request)
        record_event(action="changes.status_change_requested", summary=f"学籍异动申请:{student.name} {ctype.name}",
                     actor=user, request=request, target=business,
                     after={"student": student.pk, "kind": kind, "date": date.isoformat()})
    return business


def complete_status_change(business: Business, decision=None, user=None) -> registry.Effect:
    """on_complete: the status and placement change, through ``students.services`` (the
    status history written there)."""
    ctype = rules.STATUS_CHANGES[business.kind]
    payload = business.payload if isinstance(business.payload, dict) else {}
    detail: dict = {}
    if payload.get("klass_id"):
        moved = student_services.move_students([business.student_id], klass=payload["klass_id"], actor=user,
                                               business_id=business.pk, reason=ctype.name)
        if moved:
            detail["klass"] = payload.get("klass")
    if ctype.new_status:
        date = dt.date.fromisoformat(payload["change_date"])
        (_, old), = student_services.change_status([business.student_id], ctype.new_status,
                                                   reason=f"{ctype.name}:{payload.get('reason', '')}"[:200],
                                                   date=date, actor=user, business_id=business.pk)
        detail["status"] = {"before": student_rules.STATUS_NAMES.get(old, old),
                            "after": student_rules.STATUS_NAMES[ctype.new_status]}
    return registry.Effect(f"学籍异动已生效:{ctype.name}", detail)


def register() -> None:
    """Plug the 学籍异动 types' effect into the engine (``apps.ready``)."""
    for code in rules.STATUS_CHANGE_KINDS:
        registry.set_handlers(code, on_complete=complete_status_change, payload=PAYLOAD)
