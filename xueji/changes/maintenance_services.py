"""学籍数据维护 (F-23, F-44): the school's direct edit of a record's non-key data, family
members, tabs (学习简历, 奖励, 惩罚, 居住证) and photo — each one business operation in one
transaction with its audit entry (before → after). The record itself is written by
``students.services`` only (update_records, update_family, add_part, remove_part,
set_photo), which also adds the event to the record's history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from xueji.audit.services import record_event
from xueji.common.masking import mask_national_number
from xueji.org.roles import may_maintain_record
from xueji.students import rules as student_rules
from xueji.students import services as student_services
from xueji.students.models import Student
from xueji.workflow.rules import MATERIAL_MAX_BYTES, check_material


def check_may_edit(user, student: Student) -> None:
    """Refuse (403) anyone but the record's own school registrar or data-check account,
    and any edit of a deleted record."""
    if not may_maintain_record(user.role, user.school_id, student.school_id):
        raise PermissionDenied("只有本校学籍管理员和数据核查专用账号可以维护学籍信息")
    if student.status == student_rules.DELETED_STATUS:
        raise PermissionDenied("已删除的学籍不能维护")


def _who(student: Student) -> str:
    return f"{student.name}({mask_national_number(student.national_number)})"


def update_fields(user, student: Student, raw: Mapping[str, Any], *, request=None, reason: str = ""):
    """保存基本信息: the non-key items a person submitted (attr → text) through
    ``students.services.update_records``; one audit entry ``changes.record_updated``
    with what really changed. Returns the :class:`RecordUpdate` or None (nothing changed)."""
    check_may_edit(user, student)
    with transaction.atomic():
        (update,) = student_services.update_records([(student.pk, dict(raw))], actor=user, reason=reason) or (None,)
        if update is not None:
            record_event(action="changes.record_updated", summary=f"学籍数据维护:修改{_who(student)}的"
                         f"{len(update.after)}项信息", actor=user, request=request, target=student,
                         before=update.before, after=update.after, school=student.school)
    return update


def update_family(user, student: Student, members: Sequence[Mapping[str, Any]], *, request=None):
    """保存家庭成员 (``students.services.update_family``), audited
    (``changes.family_updated``) when it changed."""
    check_may_edit(user, student)
    with transaction.atomic():
        before, after = student_services.update_family(student.pk, members, actor=user)
        if before != after:
            record_event(action="changes.family_updated", summary=f"学籍数据维护:修改{_who(student)}的家庭成员",
                         actor=user, request=request, target=student, before={"family": before},
                         after={"family": after}, school=student.school)
    return before != after


def add_part(user, student: Student, kind: str, raw: Mapping[str, Any], *, request=None) -> int:
    check_may_edit(user, student)
    if kind not in student_rules.PARTS:
        raise ValidationError("不是学籍信息的页签")
    with transaction.atomic():
        pk = student_services.add_part(student.pk, kind, raw, actor=user)
        label = student_rules.PARTS[kind][0]
        record_event(action="changes.record_part_added", summary=f"学籍数据维护:为{_who(student)}增加{label}",
                     actor=user, request=request, target=student,
                     after={"part": label, **{k: str(v) for k, v in raw.items() if k != "part"}},
                     school=student.school)
    return pk


def remove_part(user, student: Student, kind: str, part_id, *, request=None) -> None:
    check_may_edit(user, student)
    if kind not in student_rules.PARTS:
        raise ValidationError("不是学籍信息的页签")
    with transaction.atomic():
        student_services.remove_part(student.pk, kind, part_id, actor=user)
        label = student_rules.PARTS[kind][0]
        record_event(action="changes.record_part_removed", summary=f"学籍数据维护:删除{_who(student)}的一条{label}",
                     actor=user, request=request, target=student, before={"part": label, "id": part_id},
                     school=student.school)


PHOTO_MAX_BYTES = MATERIAL_MAX_BYTES


def set_photo(user, student: Student, upload, *, request=None) -> str:
    """上传照片: checked by its content as proof materials are (``workflow.rules.
    check_material``: JPEG or PNG that Pillow verifies and decodes, at most 2 MB), stored
    under a name the system gives, audited (``changes.photo_updated``)."""
    check_may_edit(user, student)
    if upload is None:
        raise ValidationError("请选择照片文件")
    data = upload.read(PHOTO_MAX_BYTES + 1)
    checked = check_material(getattr(upload, "name", ""), data)
    if not checked.ok:
        raise ValidationError([m.replace("证明材料", "照片") for m in checked.errors])
    with transaction.atomic():
        stored = student_services.set_photo(student.pk, data, f".{checked.extension}", actor=user)
        record_event(action="changes.photo_updated", summary=f"学籍数据维护:更换{_who(student)}的照片",
                     actor=user, request=request, target=student,
                     after={"photo": f"{checked.width}×{checked.height}", "bytes": len(data)}, school=student.school)
    return stored


ACTION_LABELS = {
    "changes.record_updated": "学籍数据维护",
    "changes.family_updated": "家庭成员维护",
    "changes.record_part_added": "学籍信息增加",
    "changes.record_part_removed": "学籍信息删除",
    "changes.photo_updated": "更换照片",
    "changes.students_placed": "分班",
}


def register_audit_labels() -> None:
    """The audit log's names of these actions and of the record's items (called from
    ``apps.ready``)."""
    from xueji.audit import rules as audit_rules
    from xueji.students import fields as F

    for code, label in ACTION_LABELS.items():
        audit_rules.ACTION_LABELS.setdefault(code, label)
    audit_rules.ACTION_AREAS.setdefault("changes", "日常管理")
    labels = {f.attr: f.header for f in F.STUDENT_FIELDS if not f.is_lookup}
    labels.update({f.attr: f.header[3:] for f in F.MEMBER_FIELDS[1] if f.attr not in labels})
    labels.update({"family": "家庭成员", "part": "信息类别", "photo": "照片", "bytes": "文件大小(字节)", "seq": "序号"})
    audit_rules.register_field_labels(labels, object_type="students.student")


def place_students(user, students, klass, *, request=None) -> int:
    """分班: the school registrar puts pupils of the school (待分班, or in another class) in
    a class of the school (``students.services.place_in_class``: set-based, a 分班 event
    each), one audit entry ``changes.students_placed``. Returns how many moved."""
    from xueji.org.roles import Role

    if user.role != Role.SCHOOL_REGISTRAR or user.school_id != klass.school_id:
        raise PermissionDenied("只有本校学籍管理员可以分班")
    ids = [s.pk for s in students]
    if not ids:
        raise ValidationError("请选择要分班的学生")
    with transaction.atomic():
        moved = student_services.place_in_class(ids, klass.pk, user)
        if moved:
            record_event(action="changes.students_placed", summary=f"分班:{len(moved)}名学生分到{klass.label}",
                         actor=user, request=request, school=klass.school,
                         before={"klass": [p.klass_id for p in moved]},
                         after={"klass": klass.pk, "students": [p.student_id for p in moved]})
    return len(moved)
