"""Reads of 重复招生, scoped to the user: a school sees the duplicates it is one of the
admitting schools of (and, on 查看, every admitting school of them); an authority those
with an admitting school in its scope; the reviewer its schools' evidence waiting at its
step; the arbiter the duplicates it arbitrates."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from xueji.accounts.models import Role
from xueji.admission.models import AdmissionResult, DuplicateAdmission
from xueji.workflow.models import BusinessStatus

from .models import CaseState, DuplicateCase, DuplicateEvidence, EvidenceState

SCHOOL_ROLES = (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)


def may_handle(user) -> bool:
    """重复招生处理: the admitting school's registrar (acts) and leader (reads)."""
    return user.is_authenticated and user.role in SCHOOL_ROLES and user.school_id is not None


def may_review(user) -> bool:
    """重复招生核办 / 仲裁: authority registrars."""
    return user.is_authenticated and user.role == Role.AUTHORITY_REGISTRAR and user.authority_id is not None


def may_query(user) -> bool:
    return may_handle(user) or may_review(user)


def _member_filter(user) -> Q | None:
    if user.role in SCHOOL_ROLES and user.school_id is not None:
        return Q(admitting_school_id=user.school_id)
    if user.role == Role.AUTHORITY_REGISTRAR and user.authority_id is not None:
        return Q(admitting_school__supervisor__prefix__startswith=user.authority.prefix)
    return None


def duplicates_for(user) -> QuerySet[DuplicateAdmission]:
    """The duplicates with an admitting school in the user's scope (one EXISTS subquery)."""
    condition = _member_filter(user) if user.is_authenticated else None
    if condition is None:
        return DuplicateAdmission.objects.none()
    members = AdmissionResult.objects.filter(condition, duplicate_group=OuterRef("pk"))
    return DuplicateAdmission.objects.filter(Exists(members))


def school_rows(user) -> QuerySet[AdmissionResult]:
    """重复招生处理: the school's own admissions that are (or were) part of a duplicate."""
    if not may_handle(user):
        return AdmissionResult.objects.none()
    return AdmissionResult.objects.filter(admitting_school_id=user.school_id, duplicate_group__isnull=False)


def members(duplicate: DuplicateAdmission) -> QuerySet[AdmissionResult]:
    """Every admitting school's row of a duplicate (for 查看 / 仲裁: all side by side)."""
    return (AdmissionResult.objects.filter(duplicate_group=duplicate)
            .select_related("student", "admitting_school", "admitting_school__supervisor", "graduating_school")
            .order_by("pk"))


def evidence_of(duplicate: DuplicateAdmission) -> QuerySet[DuplicateEvidence]:
    return (DuplicateEvidence.objects.filter(case__duplicate=duplicate)
            .select_related("school", "business").order_by("pk"))


def review_queue_for(user) -> QuerySet[DuplicateEvidence]:
    """重复招生核办: evidence of the user's schools waiting at the user's authority's step."""
    if not may_review(user):
        return DuplicateEvidence.objects.none()
    return DuplicateEvidence.objects.filter(state=EvidenceState.REVIEWING, business__status=BusinessStatus.OPEN,
                                            business__current_authority_id=user.authority_id)


def evidence_in_scope(user) -> QuerySet[DuplicateEvidence]:
    """The evidence a reviewer may open: what waits for it, and what its schools gave."""
    if not may_review(user):
        return DuplicateEvidence.objects.none()
    return DuplicateEvidence.objects.filter(school__supervisor__prefix__startswith=user.authority.prefix)


def arbitration_queue_for(user) -> QuerySet[DuplicateCase]:
    """重复招生仲裁: the duplicates waiting for the user's authority to arbitrate."""
    if not may_review(user):
        return DuplicateCase.objects.none()
    return DuplicateCase.objects.filter(state=CaseState.ARBITRATION, arbiter_id=user.authority_id,
                                        duplicate__resolved=False)


def schools_to_act(user) -> QuerySet[AdmissionResult]:
    """The school's live admissions in open duplicates without evidence under review or
    passed (待佐证 / 核办不通过): its to-do."""
    from xueji.admission.models import LIVE_STATES

    live_evidence = DuplicateEvidence.objects.filter(admission=OuterRef("pk"),
                                                     state__in=[EvidenceState.REVIEWING, EvidenceState.PASSED])
    return (school_rows(user).filter(duplicate_group__resolved=False, state__in=list(LIVE_STATES))
            .exclude(duplicate_group__case__state=CaseState.ARBITRATION)
            .filter(~Exists(live_evidence)))
