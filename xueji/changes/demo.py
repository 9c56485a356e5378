"""Demo data of 日常管理 in the showcase school (``portal.demo`` calls these): a key data
change and a 休学 waiting for the leader; 误操作删除 requests — one waiting at the school
leader, one the leader passed (waiting for the county's 删除 / 驳回). Idempotent."""

from __future__ import annotations

import datetime as dt
import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xueji.org.models import SchoolClass
from xueji.students import numbers, verification
from xueji.students import rules as student_rules
from xueji.students.models import Status, Student
from xueji.workflow.models import Business

from . import deletion, key_changes, status_changes
from .models import CheckStatus, KeyChangeCheck


def _proof(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), (240, 240, 240)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def seed_changes(school, registrar, today: dt.date) -> int:
    """Two requests of ``school``'s registrar: a class change (关键数据变更) and a 休学.
    Nothing when the school already has such businesses. Returns how many were made."""
    kinds = ("key_change", "suspend")
    if Business.objects.filter(school=school, kind__in=kinds).exists():
        return 0
    busy = Business.objects.filter(status="open", student__isnull=False).values("student_id")  # NOT IN and NULL: none
    pupils = list(Student.objects.filter(school=school, status="10", number_kind="G").exclude(pk__in=busy)
                  .select_related("klass", "grade", "school").order_by("pk")[:2])
    if len(pupils) < 2:
        return 0
    first, second = pupils
    other = (SchoolClass.objects.filter(school=school, grade_id=first.grade_id).exclude(pk=first.klass_id)
             .order_by("code").first())
    made = 0
    if other is not None:
        key_changes.request_key_change(first, registrar, {}, klass=other.pk, reason="按家长申请调整班级",
                                       proof=_proof("调班申请.png"))
        made += 1
    status_changes.request_status_change(second, registrar, "suspend", date=today, reason="因病休学",
                                         proof=_proof("病历证明.png"))
    return made + 1


def _corrected_id(student: Student) -> str | None:
    """Another valid resident ID for ``student`` (same division, birth date and gender):
    the kind of correction a registrar makes when one digit of the sequence was wrong."""
    current = student.id_number or ""
    if student.id_type != numbers.RESIDENT_ID_TYPE or len(current) != 18:
        return None
    for seq in range(3, 999, 2):
        order = seq + (0 if student.gender == "1" else 1)
        first17 = f"{current[:14]}{order:03d}"
        candidate = first17 + student_rules.id_check_digit(first17)
        if candidate != current and not Student.objects.filter(id_number=candidate).exists():
            return candidate
    return None


def seed_waiting_for_registry(school, registrar) -> bool:
    """A 身份证件号 correction (关键数据变更) sent while the population registry did not
    answer: it waits on 待查重认证 and no reviewer can decide it until
    ``manage.py retry_key_change_verification`` gets the registry's answer. Nothing when
    the school already has one waiting."""
    if KeyChangeCheck.objects.filter(business__school=school, verify_status=CheckStatus.PENDING).exists():
        return False
    busy = Business.objects.filter(status="open", student__isnull=False).values("student_id")
    pupil = (Student.objects.filter(school=school, status=Status.IN_SCHOOL, number_kind="G", id_type="1")
             .exclude(pk__in=busy).select_related("grade", "school").order_by("pk")[2:3].first())
    new_id = _corrected_id(pupil) if pupil else None
    if new_id is None:
        return False
    with verification.registry_unreachable():
        key_changes.request_key_change(pupil, registrar, {"id_number": new_id}, reason="户口簿身份证号码录入有误,更正",
                                       proof=_proof("户口簿.png"))
    return True


def seed_mistaken_deletions(school, registrar, leader) -> None:
    if Business.objects.filter(kind=deletion.KIND, school=school).exists():
        return
    pupils = list(Student.objects.filter(school=school, status=Status.IN_SCHOOL).exclude(businesses__status="open")
                  .order_by("-pk")[:2])
    reasons = ("重复注册,学生实际在外校就读", "误将外校学生录入本校")
    for n, (student, reason) in enumerate(zip(pupils, reasons, strict=False)):
        business = deletion.request_deletion(student, registrar, reason=reason)
        if n == 1:
            deletion.decide_request(business, leader, passed=True, opinion="情况属实")


def _decide_all(business, reviewers) -> None:
    """Pass ``business`` at each step whose reviewer is among ``reviewers`` until it ends."""
    from xueji.workflow import services as workflow

    for reviewer in reviewers:
        business.refresh_from_db()
        if business.status != "open":
            return
        try:
            workflow.decide(business, reviewer, True, "同意")
        except (PermissionDenied, ValidationError):
            continue  # not this reviewer's step


def seed_suspended_and_resumed(school, registrar, leader, county_registrar, today: dt.date) -> bool:
    """A pupil of ``school`` who suspended (休学) and came back (复学) to the same class, both
    through the real applications and the configured chains: the record's history shows the
    two businesses. Nothing when the school already has a 复学."""
    if Business.objects.filter(school=school, kind="resume").exists():
        return False
    busy = Business.objects.filter(status="open", student__isnull=False).values("student_id")
    pupil = (Student.objects.filter(school=school, status=Status.IN_SCHOOL, number_kind="G", klass__isnull=False)
             .exclude(pk__in=busy).order_by("-pk").select_related("klass").first())
    if pupil is None:
        return False
    reviewers = [leader, county_registrar]
    suspend = status_changes.request_status_change(pupil, registrar, "suspend", date=today - dt.timedelta(days=60),
                                                   reason="因病休学", proof=_proof("休学病历.png"))
    _decide_all(suspend, reviewers)
    pupil.refresh_from_db()
    resume = status_changes.request_status_change(pupil, registrar, "resume", date=today - dt.timedelta(days=3),
                                                  reason="病愈复学", klass=pupil.klass_id, proof=_proof("复学证明.png"))
    _decide_all(resume, reviewers)
    return True
