"""Demo (演示) of 日常管理: 误操作删除 requests in the showcase school — one waiting at the
school leader, one the leader passed (waiting for the county's 删除 / 驳回). Idempotent."""

from __future__ import annotations

from xueji.students.models import Status, Student
from xueji.workflow.models import Business

from . import deletion


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
