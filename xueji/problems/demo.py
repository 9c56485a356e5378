"""Demo 问题学籍 (演示数据): duplicate records (身份证件号重复) in every state of the handling,
made and moved through the real writers — ``students.services`` makes the duplicate record,
``services.group_duplicate_identities`` opens the group, ``handling`` and the engine do
every step with the demo's reviewers:

1. 待学校处理 — 天河区示范小学 (school1) holds the later record and must act;
2. 处理审核中 — school1's 佐证 waits for its 学籍主管领导;
3. 一方已佐证 — 海珠区示范小学 evidenced (approved by 海珠区教育局); now school1's turn;
4. 待仲裁 at 天河区教育局 — two schools of 天河区 both evidenced;
5. 待仲裁 at 广州市教育局 — 天河区 and 海珠区 both evidenced;
6. 跨省, 待仲裁 at 教育部 — school1 and 南宁市青秀区示范小学 (广西) both evidenced;
7. 已锁定 (招生期间) — waiting, locked;
8. 仲裁后待学校处理 — 天河区教育局 passed school1's record, the other school must change or delete;
9. 已处理完毕 — 海珠区示范小学 deleted its record, school1's was evidenced automatically.

Idempotent: nothing is added once a new (not historical) 身份证件号重复 group exists.
"""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xueji.accounts.models import Role
from xueji.accounts.selectors import first_user
from xueji.org.models import School, SchoolClass
from xueji.students import numbers
from xueji.students import services as student_services
from xueji.students.models import FamilyMember, Status, Student
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from . import handling, services
from .models import Method, ProblemGroup, ProblemKind, ProblemMember

SCHOOL1, NINE_YEAR, HAIZHU, GUANGXI = "3440106001", "3440106003", "3440105001", "3450103001"
_VALUES = ("name", "gender", "birth_date", "id_type", "id_number", "nationality", "hmt", "ethnicity")


def _proof(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), (235, 240, 245)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _holders(school: School, count: int) -> list[Student]:
    """In-school primary pupils of ``school`` holding their resident ID, with no business and no
    problem (every demo school of the pairs has a primary stage)."""
    busy = Business.objects.filter(status="open", student__isnull=False).values("student_id")
    return list(Student.objects.filter(school=school, status=Status.IN_SCHOOL, number_kind="G", id_type="1", grade__stage="1",
                                       klass__isnull=False, problem_memberships__isnull=True)
                .exclude(pk__in=busy).select_related("grade").order_by("-grade__entry_year", "-pk")[:count])


def _duplicate(holder: Student, school: School) -> Student | None:
    """A second record of ``holder``'s identity registered later in ``school`` (a class of the
    same stage): a temporary number, not holding the identity — as a duplicate is left."""
    klass = (SchoolClass.objects.filter(school=school, grade__stage=holder.grade.stage)
             .order_by("-grade__entry_year", "code").first())
    if klass is None:
        return None
    values = {attr: getattr(holder, attr) for attr in _VALUES}
    family = [{"name": m.name, "relation": m.relation, "is_guardian": m.is_guardian, "id_type": m.id_type,
               "id_number": m.id_number} for m in FamilyMember.objects.filter(student=holder).order_by("pk")[:1]]
    (made,) = student_services.create_records([student_services.NewRecord(
        values=values, school_id=school.pk, klass_id=klass.pk, number_kind="L", number="", identity_key=None,
        family=family)])
    return Student.objects.get(pk=made.pk)


def _pass(business: Business, reviewers) -> None:
    """Pass ``business`` at each step whose reviewer is among ``reviewers`` until it ends."""
    for reviewer in reviewers:
        business.refresh_from_db()
        if business.status != "open":
            return
        try:
            workflow.decide(business, reviewer, True, "情况属实,同意")
        except (PermissionDenied, ValidationError):
            continue  # not this reviewer's step


def _member(group: ProblemGroup, school: School) -> ProblemMember:
    return ProblemMember.objects.get(group=group, student__school=school)


def seed_problems() -> int:
    """Open and move the demo groups; returns how many were made."""
    if ProblemGroup.objects.filter(kind=ProblemKind.ID_DUPLICATE, historical=False).exists():
        return 0
    schools = {s.code: s for s in School.objects.filter(code__in=(SCHOOL1, NINE_YEAR, HAIZHU, GUANGXI))
               .select_related("supervisor")}
    if len(schools) < 4:
        return 0
    s1, s9, hz, gx = (schools[c] for c in (SCHOOL1, NINE_YEAR, HAIZHU, GUANGXI))
    registrar = {s.pk: first_user(Role.SCHOOL_REGISTRAR, school=s) for s in schools.values()}
    leader = {s.pk: first_user(Role.SCHOOL_LEADER, school=s) for s in schools.values()}
    county = {s.pk: first_user(Role.AUTHORITY_REGISTRAR, authority=s.supervisor) for s in schools.values()}
    if None in (*registrar.values(), *leader.values(), *county.values()):
        return 0

    # (holder's school, the later duplicate's school) for groups 1–9 of the module's list
    pairs = [(s9, s1), (hz, s1), (s1, hz), (s1, s9), (s1, hz), (gx, s1), (s9, s1), (s1, s9), (s1, hz)]
    wanted: dict[int, int] = {}
    for holder_school, _ in pairs:
        wanted[holder_school.pk] = wanted.get(holder_school.pk, 0) + 1
    by_pk = {s.pk: s for s in schools.values()}
    pool = {pk: _holders(by_pk[pk], n) for pk, n in wanted.items()}
    made = []
    for holder_school, dup_school in pairs:
        if not pool[holder_school.pk]:
            return 0
        holder = pool[holder_school.pk].pop(0)
        duplicate = _duplicate(holder, dup_school)
        if duplicate is None:
            return 0
        key = numbers.identity_key(holder.id_type, holder.id_number)
        (group,) = services.group_duplicate_identities([key], notes={key: "身份证件号与其他学籍重复"})
        made.append(group)

    def act(group, school, method, *, passed=True, after=None):
        business = handling.start_handling(_member(group, school), registrar[school.pk], method,
                                           proof=_proof(f"问题学籍{Method(method).label}证明.png"),
                                           after=after, reason="户籍证明与在校就读证明")
        if passed:
            _pass(business, [leader[school.pk], county[school.pk]])
        return business

    g1, g2, g3, g4, g5, g6, g7, g8, g9 = made
    act(g2, s1, Method.EVIDENCE, passed=False)                   # 2: waiting for school1's leader
    act(g3, hz, Method.EVIDENCE)                                 # 3: 海珠 evidenced → school1's turn
    for group in (g4, g5, g6, g8):                              # 4, 5, 6, 8: both sides evidence,
        for _ in range(2):                                       # the later record's school first
            member = ProblemMember.objects.filter(group=group, must_act=True).select_related("student__school").first()
            if member is None:
                break
            act(group, member.student.school, Method.EVIDENCE)
    handling.lock_groups([_member(g7, s1).student_id], "招生期间锁定")   # 7
    g8.refresh_from_db()
    if g8.state == "arbitration":                                 # 8: 天河区教育局 passes school1's record
        arbiter = first_user(Role.AUTHORITY_REGISTRAR, authority=g8.arbiter)
        if arbiter is not None:
            handling.arbitrate(g8, arbiter, _member(g8, s1).pk, "天河区示范小学学籍信息与户籍一致,予以通过;"
                               "天河区九年一贯制学校的学籍须变更或删除")
    act(g9, hz, Method.DELETE)                                   # 9: 海珠 deleted, resolved
    return len(made)
