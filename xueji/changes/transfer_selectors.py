"""Reads of 省内转学 and 学生学籍转移, limited to the user's data scope.

- 省内转学: the engine's scope of businesses (each party's school users, the authorities
  covering either party); a third school sees nothing;
- 待分班: the receiving school's own transferred students (an authority: its schools');
- 学生学籍转移: an authority registrar sees those set up by its unit or below; a school
  registrar those coming to their school.
"""

from __future__ import annotations

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.org.models import School
from xueji.org.selectors import get_in_scope, schools_for
from xueji.workflow import selectors as workflow_selectors
from xueji.workflow.models import Business, BusinessParty

from .transfer_models import RecordTransfer, RecordTransferStatus, TransferPlacement
from .transfer_services import TRANSFER

#: Who may query 省内转学 (the menu's 学校学籍管理员, 学校学籍主管领导, 教育部门学籍管理员).
TRANSFER_ROLES = frozenset({Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR})


def transfers_for(user) -> QuerySet[Business]:
    """省内转学 businesses in scope, with the sending school (``sending_id``,
    ``sending_name``, its supervisor's ``sending_prefix``) annotated — one query."""
    if getattr(user, "role", None) not in TRANSFER_ROLES:
        return Business.objects.none()
    sending = BusinessParty.objects.filter(business=OuterRef("pk"), role="sending")
    return (workflow_selectors.businesses_for(user).filter(kind=TRANSFER)
            .select_related("school__supervisor", "student", "current_authority")
            .annotate(sending_id=Subquery(sending.values("school_id")[:1]),
                      sending_name=Subquery(sending.values("school__name")[:1]),
                      sending_prefix=Subquery(sending.values("school__supervisor__prefix")[:1])))


def in_direction(transfers: QuerySet[Business], user, direction: str) -> QuerySet[Business]:
    """转入 ("in": the receiving school is the user's school, or in the authority's scope)
    or 转出 ("out": the sending school is)."""
    if user.is_school_user:
        mine = School.objects.filter(pk=user.school_id).values("pk")
    else:
        mine = schools_for(user).values("pk")
    if direction == "in":
        return transfers.filter(school_id__in=mine)
    if direction == "out":
        return transfers.filter(sending_id__in=mine)
    return transfers


def direction_of(business: Business, user) -> str:
    """The list's badge: 转入 when the receiving side is the user's school (or in the
    authority's scope) and the sending one is not, 转出 the other way round, "" when both
    sides are the user's (an authority above both schools)."""
    if user.is_school_user:
        return "转入" if business.school_id == user.school_id else "转出"
    prefix = user.authority.prefix
    receiving = business.school.supervisor.prefix.startswith(prefix)
    sending = (business.sending_prefix or "\x00").startswith(prefix)
    if receiving and not sending:
        return "转入"
    if sending and not receiving:
        return "转出"
    return ""


def transfer_for(request, pk) -> Business:
    """One 省内转学 in scope; otherwise 404 and an audit entry."""
    return get_in_scope(request, transfers_for(request.user), "省内转学", pk=pk)


def placements_for(user) -> QuerySet[TransferPlacement]:
    """转入学生 of the user's school (an authority: of its schools), newest first."""
    base = TransferPlacement.objects.select_related("student", "grade", "school", "from_school", "klass")
    if not user.is_authenticated:
        return base.none()
    if user.role in (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER) and user.school_id:
        return base.filter(school_id=user.school_id)
    if user.role in (Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN):
        return base.filter(school__in=schools_for(user))
    return base.none()


def waiting_placements_for(user) -> QuerySet[TransferPlacement]:
    """待分班: transferred students not yet placed in a class and still at the school they
    were moved to (one who moved on since waits at the next school, not here)."""
    return placements_for(user).filter(placed_at__isnull=True, student__school_id=F("school_id"))


def placement_for(request, pk) -> TransferPlacement:
    return get_in_scope(request, waiting_placements_for(request.user), "待分班学生", pk=pk)


def record_transfers_for(user) -> QuerySet[RecordTransfer]:
    """学生学籍转移: an authority registrar's unit's and those below it; a school registrar's
    incoming ones."""
    base = RecordTransfer.objects.select_related("batch", "from_school", "to_school", "batch__authority")
    if not user.is_authenticated:
        return base.none()
    if user.role == Role.AUTHORITY_REGISTRAR and user.authority_id:
        return base.filter(batch__authority__prefix__startswith=user.authority.prefix)
    if user.role == Role.SCHOOL_REGISTRAR and user.school_id:
        return base.filter(to_school_id=user.school_id)
    return base.none()


def record_transfer_for(request, pk) -> RecordTransfer:
    return get_in_scope(request, record_transfers_for(request.user), "学生学籍转移", pk=pk)


def waiting_confirmations_for(user) -> QuerySet[RecordTransfer]:
    """学籍转入确认 waiting for a school registrar."""
    if getattr(user, "role", None) != Role.SCHOOL_REGISTRAR:
        return RecordTransfer.objects.none()
    return record_transfers_for(user).filter(status=RecordTransferStatus.WAITING)


def waiting_days(business: Business, now=None) -> int:
    return business.waiting_days(now or timezone.now())


def source_options(school) -> tuple[list, list, list]:
    """What a 学籍转移 from ``school`` (already in scope) may take: its grades not yet
    graduated, their classes, its 在校 students (at most 500 listed)."""
    from xueji.org.models import Grade, SchoolClass
    from xueji.students.models import Student

    grades = list(Grade.objects.filter(school=school, is_graduated=False).order_by("stage", "-entry_year"))
    classes = list(SchoolClass.objects.filter(school=school, grade__is_graduated=False)
                   .select_related("grade", "school").order_by("code"))
    students = list(Student.objects.filter(school=school, status="10")
                    .select_related("klass", "grade").order_by("klass__code", "name")[:500])
    return grades, classes, students


def choosable_students(school) -> QuerySet:
    """The students a 学籍转移 from ``school`` may name (在校)."""
    from xueji.students.models import Student

    return Student.objects.filter(school=school, status="10")


def members_of(transfers) -> dict[int, list]:
    """{batch id: [students]} of the record transfers still waiting (the confirm page)."""
    from xueji.workflow.models import BatchMember

    waiting = [t.batch_id for t in transfers if t.status == RecordTransferStatus.WAITING]
    members: dict[int, list] = {}
    for member in (BatchMember.objects.filter(batch_id__in=waiting)
                   .select_related("student__grade", "student__klass").order_by("student__name")[:2000]):
        members.setdefault(member.batch_id, []).append(member.student)
    return members


def classes_of_grades(grade_ids) -> dict[int, list]:
    """{grade id: [classes]} for the placement page."""
    from xueji.org.models import SchoolClass

    classes: dict[int, list] = {}
    for klass in SchoolClass.objects.filter(grade_id__in=set(grade_ids)).select_related("grade", "school").order_by("code"):
        classes.setdefault(klass.grade_id, []).append(klass)
    return classes


#: The 省内转学 columns of 待审核业务 and the rows of 核验与办理结果 on the business page.
FACT_COLUMNS = ("转出学校", "转入年级")


def review_facts(businesses) -> dict[int, list[tuple[str, str]]]:
    """What reviewers see of a page of transfers (one query for the placements): the
    sending school and the target grade; once moved, where the student was placed."""
    businesses = list(businesses)
    placements = {p.business_id: p for p in TransferPlacement.objects.filter(
        business_id__in=[b.pk for b in businesses]).select_related("klass__grade", "klass__school", "grade")}
    result = {}
    for business in businesses:
        payload = business.payload or {}
        rows = [("转出学校", str(payload.get("from_school", ""))), ("转入年级", str(payload.get("to_grade", "")))]
        placement = placements.get(business.pk)
        if placement is not None:
            rows.append(("调档结果", f"已调档至{placement.grade.name}"))
            rows.append(("分班", placement.klass.label if placement.is_placed else "待分班"))
        result[business.pk] = rows
    return result
