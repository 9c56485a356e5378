"""Reads of registrations and uploads, scoped (F-11)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from xueji.accounts.models import Role
from xueji.common.masking import mask_national_number
from xueji.org.roles import UPLOAD_ROLES
from xueji.org.selectors import schools_for

from .models import Registration, Upload


def uploads_for(user) -> QuerySet[Upload]:
    """学籍注册导入 of the schools in scope, for the roles that work with them (the
    school's registrar and leader, the authorities); a class teacher, the data-check
    account and a parent see none (their scope is not the school's new pupils)."""
    if not user.is_authenticated or user.role not in UPLOAD_ROLES:
        return Upload.objects.none()
    return Upload.objects.filter(school__in=schools_for(user)).select_related("school", "user")


def job_of_upload(upload: Upload, user):
    """The latest import job of ``upload`` that ``user`` may follow (``jobs_for``: the
    starter, the school's registrar and leader), or None."""
    from xueji.jobs.selectors import jobs_for

    from .services import IMPORT_JOB

    return jobs_for(user).filter(kind=IMPORT_JOB, params__upload=upload.pk).order_by("-pk").first()


def registrations_for(user) -> QuerySet[Registration]:
    """Every registration of the schools in scope (authorities, the school's staff)."""
    if user.role in {Role.CLASS_TEACHER, Role.PARENT, Role.DATA_CHECKER}:
        return Registration.objects.none()
    return Registration.objects.filter(school__in=schools_for(user)).select_related("business", "school")


def pending_for_school(school, state: str) -> QuerySet[Registration]:
    """The school's open registrations in one state:
    ``audit`` waiting for the school leader, ``report`` audited and waiting for 上报,
    ``submitted`` reported and waiting at an authority, ``dedup`` still in 查重认证."""
    base = Registration.objects.filter(school=school, business__status="open")
    if state == "audit":
        return base.filter(business__current_level="school", business__hold="")
    if state == "report":
        return base.filter(business__hold="report_pending")
    if state == "dedup":
        return base.filter(business__hold="dedup_pending")
    return base.exclude(business__current_level="school").filter(business__hold="")


def waiting_for_authority(user) -> QuerySet[Registration]:
    """Registrations reported and waiting at the user's own authority."""
    return Registration.objects.filter(
        business__status="open", business__hold="", business__current_authority=user.authority_id,
    )


def school_counts(school, group: str = "") -> dict:
    """How many of the school's open registrations are in each state (of one half of
    学籍注册 — ``primary`` / ``other`` entries — when ``group``), as the lists count them."""
    open_ = Registration.objects.filter(school=school, business__status="open")
    if group:
        open_ = open_.filter(entry__startswith=f"{group}-")
    return open_.aggregate(
        audit=Count("pk", filter=Q(business__current_level="school", business__hold="")),
        report=Count("pk", filter=Q(business__hold="report_pending")),
        submitted=Count("pk", filter=~Q(business__current_level="school") & Q(business__hold="")),
    )


#: What reviewers of a registration see beside it (待审核业务, 业务详情).
FACT_COLUMNS = ("查重认证", "姓名性别出生日期相同")


def review_facts(businesses) -> dict[int, list[tuple[str, str]]]:
    """The 查重认证 result of registration businesses (one query): ``{business id:
    [(label, text)]}``."""
    regs = Registration.objects.filter(business_id__in=[b.pk for b in businesses]).select_related("student").only(
        "business_id", "dedup_status", "verify_status", "verify_note", "similar", "student", "student__national_number")
    result = {}
    for reg in regs:
        check = f"{reg.get_dedup_status_display()},{reg.get_verify_status_display()}"
        if reg.verify_note:
            check += f"({reg.verify_note})"
        similar = f"有{len(reg.similar)}条,请核对" if reg.similar else "无"
        result[reg.business_id] = [("查重认证", check), ("姓名性别出生日期相同", similar)]
        if reg.student is not None:  # completed: the record it created (the detail page shows it)
            result[reg.business_id].append(("建立的学籍", f"全国学籍号 {mask_national_number(reg.student.national_number)}"))
    return result
