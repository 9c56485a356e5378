"""误操作删除 (SPEC F-34; seed 001 "误操作删除业务处理"): a school registrar asks to delete
a record registered by mistake; the configured chain reviews it (default 学校 → 主管教育局:
the school leader confirms, the county "删除" or "驳回"); the school can "取消申请" while
it is pending. The business type ``mistaken_delete`` is the engine's; this module plugs
its effect in (``apps.ready``) and holds the feature's writes and reads.

- While a request is pending the record keeps its 学籍状态 (在校 or 休学); the engine's
  one-open-business-per-student constraint blocks every other business for it, and the
  lists show it as 申请删除中 (docs/DECISIONS.md).
- 删除 (the last level passes): ``students.services.delete_records`` — status 已删除
  (99), the identity claim and an official G number released, so the child can be
  registered again; the deleted record stays, findable as a deleted record.
- 驳回 (fails) and 取消申请 (withdrawn): the business ends, nothing changed on the record.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.common.masking import mask_national_number
from xueji.students import services as student_services
from xueji.students.models import Status
from xueji.students.selectors import students_for
from xueji.workflow import payloads
from xueji.workflow import selectors as workflow_selectors
from xueji.workflow import services as workflow
from xueji.workflow.models import Business, BusinessStatus
from xueji.workflow.registry import Effect

KIND = "mistaken_delete"
REASON_MAX = 150

PAYLOAD = payloads.Schema("误操作删除申请", (
    payloads.Field("reason", "删除原因"),
    payloads.Field("national_number", "申请时全国学籍号", "student_number"),
    payloads.Field("status", "申请时学籍状态", "choice", options=tuple(Status.choices)),
))

#: The states of a request as the list names them (seed 001: 未处理, 删除, 驳回, 取消申请).
STATES = {
    BusinessStatus.OPEN: "未处理",
    BusinessStatus.PASSED: "已删除",
    BusinessStatus.FAILED: "已驳回",
    BusinessStatus.WITHDRAWN: "已取消申请",
}
#: Who opens the 误操作删除 page: the school registrar (asks, cancels), the school leader
#: (the school step of the default chain) and the authority registrar (删除 / 驳回).
PAGE_ROLES = frozenset({Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR})


# --- reads --------------------------------------------------------------------------------------

def requests_for(user) -> QuerySet[Business]:
    """The 误操作删除 requests ``user`` may see (the engine's business scope)."""
    return (workflow_selectors.businesses_for(user).filter(kind=KIND)
            .select_related("school", "student", "current_authority", "current_school"))


def requestable_students_for(user) -> QuerySet:
    """The records a school registrar may ask to delete: their school's, not deleted."""
    if not user.is_authenticated or user.role != Role.SCHOOL_REGISTRAR:
        return students_for(user).none()
    return students_for(user).exclude(status=Status.DELETED).select_related("school", "grade", "klass")


# --- writes -------------------------------------------------------------------------------------

def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写删除原因")
    if len(reason) > REASON_MAX:
        raise ValidationError(f"删除原因不能超过{REASON_MAX}个字")
    return reason


def request_deletion(student, user, *, reason: str, proof=None, request=None) -> Business:
    """申请删除: the school registrar asks to delete ``student`` (a record of their school,
    scoped by the caller) for ``reason``, with an optional proof image. Refused: another
    role, an empty or too long reason, a status that does not allow it (F-27), a student
    with a business in progress (a second request included — the database decides under
    races), a bad proof file. The engine writes the audit entry."""
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id != student.school_id:
        raise PermissionDenied("只有本校学籍管理员可以申请误操作删除")
    reason = _clean_reason(reason)
    payload = {"reason": reason, "national_number": student.national_number, "status": student.status}
    with transaction.atomic():
        business = workflow.initiate(
            kind=KIND, school=student.school, applicant=user, student=student, stage=student.grade.stage,
            summary=f"{student.name}({mask_national_number(student.national_number)})申请误操作删除",
            payload=payload, request=request)
        if proof:
            workflow.attach_material(business, user, proof, request=request)
    return business


def cancel_request(business: Business, user, *, request=None) -> Business:
    """取消申请: the school withdraws a pending request; the record is as it was (在校)."""
    if business.kind != KIND:
        raise ValidationError("不是误操作删除申请")
    return workflow.withdraw(business, user, request=request, note="学校取消误操作删除申请")


def decide_request(business: Business, user, *, passed: bool, opinion: str = "", request=None) -> Business:
    """删除 (the last level passes) / 驳回 (fails, opinion required) — or, at an earlier
    level of the chain, 审核通过 / 审核不通过: the engine's decision."""
    if business.kind != KIND:
        raise ValidationError("不是误操作删除申请")
    return workflow.decide(business, user, passed, opinion, request=request)


def complete_deletion(business: Business, decision=None, user=None) -> Effect:
    """on_complete of ``mistaken_delete``: the record becomes 已删除 (one writer:
    ``students.services.delete_records``), in the transaction of the last decision."""
    reason = (business.payload or {}).get("reason", "")
    (done,) = student_services.delete_records([business.student_id], reason=reason, date=timezone.localdate(),
                                              actor=user, business_id=business.pk)
    settled = settle_problem_groups(done.student_id, user)
    return Effect(f"学籍已删除({mask_national_number(done.old_number)})"
                  + (f",{len(settled)}组问题学籍处理完毕" if settled else ""),
                  {"student": done.student_id, "old_status": done.old_status,
                   "old_number": done.old_number, "number": done.number, "problem_groups_resolved": settled})


#: The resolution written on a problem group a deletion settles.
SETTLED = "学籍已误操作删除,问题学籍处理完毕"


def settle_problem_groups(student_id: int, user=None) -> list[int]:
    """问题学籍 the deleted record was in: it leaves them (``problems.handling.members_left``,
    the state machine's ``member_left``): a group left with at most one record that is not
    deleted has no problem any more (身份证件号错误 of that record; a 身份证件号重复 pair
    whose other record stays, evidenced automatically — as 问题学籍删除 settles it,
    F-51); a group that still holds two or more live records goes on with them."""
    from xueji.problems import handling

    return handling.members_left([student_id], resolution=SETTLED, user=user)
