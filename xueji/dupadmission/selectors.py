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


# --- what the pages show ----------------------------------------------------------------------

def state_label(duplicate: DuplicateAdmission) -> str:
    """处理状态 as a person reads it (the case may not exist yet: 待佐证核办)."""
    if duplicate.resolved:
        return CaseState.RESOLVED.label
    case = getattr(duplicate, "case", None) if _has_case(duplicate) else None
    return case.get_state_display() if case is not None else CaseState.EVIDENCE.label


def _has_case(duplicate: DuplicateAdmission) -> bool:
    try:
        duplicate.case  # noqa: B018
    except DuplicateCase.DoesNotExist:
        return False
    return True


def case_of(duplicate: DuplicateAdmission) -> DuplicateCase | None:
    return duplicate.case if _has_case(duplicate) else None


def latest_evidence(admission_ids) -> dict[int, DuplicateEvidence]:
    latest: dict[int, DuplicateEvidence] = {}
    for item in DuplicateEvidence.objects.filter(admission_id__in=list(admission_ids)).order_by("pk"):
        latest[item.admission_id] = item
    return latest


def members_by_duplicate(duplicate_ids) -> dict[int, list[AdmissionResult]]:
    found: dict[int, list[AdmissionResult]] = {}
    for r in AdmissionResult.objects.filter(duplicate_group_id__in=list(duplicate_ids)).select_related(
            "admitting_school").order_by("pk"):
        found.setdefault(r.duplicate_group_id, []).append(r)
    return found


def filtered(user, queryset, data: dict, *, field: str = ""):
    """Apply the query conditions to duplicates (``field`` = "" ) or rows
    (``field`` = "duplicate_group__"). Returns (queryset, refused school code or None):
    a school code outside the user's scope refuses (the view answers 403 + audit)."""
    from xueji.org.selectors import schools_for

    state = data.get("state") or ""
    if state == "resolved":
        queryset = queryset.filter(**{f"{field}resolved": True})
    elif state == "open":
        queryset = queryset.filter(**{f"{field}resolved": False})
    if data.get("year"):
        queryset = queryset.filter(**{f"{field}year": data["year"]})
    if data.get("stage"):
        queryset = queryset.filter(**{f"{field}stage": data["stage"]})
    if data.get("name"):
        queryset = queryset.filter(**{f"{field}student__name__contains": data["name"].strip()})
    code = data.get("school")
    if code:
        school = schools_for(user).filter(code=code).first()
        if school is None:
            return queryset.none(), code
        members = AdmissionResult.objects.filter(admitting_school=school, duplicate_group=OuterRef("pk"))
        queryset = queryset.filter(Exists(members))
    return queryset, None
