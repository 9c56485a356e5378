"""误操作删除 (F-34): the school asks, the chain reviews (default: the school leader, then
the county 删除 / 驳回), the school can cancel; deleted → 已删除 (99) with the identity and
the G number free for a new registration; rejected or cancelled → unchanged; double
submissions, statuses, scope and bad ids."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from xueji.audit.models import AuditEntry
from xueji.changes import deletion
from xueji.org.models import Grade, SchoolClass
from xueji.org.rules import school_year_of
from xueji.registration import services as registration
from xueji.registration.models import Registration, SimulatedResident
from xueji.registration.testing import first_grade_birth, student_row
from xueji.students.models import IdentityClaim, StatusChange, Student, StudentNumber
from xueji.workflow.models import Business, Material
from xueji.workflow.services import load_default_configs

LIST = "changes:mistaken_deletion_list"


@pytest.fixture
def reg(world):
    load_default_configs()
    year = school_year_of(timezone.localdate())
    grade = Grade.objects.create(school=world.th_school, stage="1", entry_year=year)
    klass = SchoolClass.objects.create(grade=grade, school=world.th_school, code=f"{year}101", name="1班")
    hz_grade = Grade.objects.create(school=world.hz_school, stage="1", entry_year=year)
    hz_class = SchoolClass.objects.create(grade=hz_grade, school=world.hz_school, code=f"{year}101", name="1班")
    return SimpleNamespace(world=world, users=world.users, klass=klass, hz_class=hz_class)


def _row(klass, i):
    row = student_row(klass.school.code, klass.code, i, birth=first_grade_birth(klass.grade.entry_year, i),
                      division="440106000000")
    SimulatedResident.objects.get_or_create(id_number=row["身份证件号"], defaults={"name": row["姓名"]})
    return row


def _registered(reg, row, *, school=None, registrar=None, leader=None, county=None) -> Student:
    """A record through the whole registration chain (查重认证 → school → 上报 → county)."""
    u = reg.users
    school = school or reg.world.th_school
    outcome = registration.register_rows(school, "primary-resident", registrar or u.school_registrar, [(2, row)])
    assert not outcome.failed, outcome.failed[0].messages if outcome.failed else None
    (pending,) = outcome.passed
    registration.school_review([pending], leader or u.school_leader, True, "")
    regs = list(Registration.objects.filter(pk=pending.pk).select_related("business"))
    registration.report(regs, registrar or u.school_registrar)
    regs = list(Registration.objects.filter(pk=pending.pk).select_related("business"))
    registration.authority_review(regs, county or u.th_registrar, True, "")
    return Registration.objects.get(pk=pending.pk).student


@pytest.fixture
def pupils(reg):
    reg.rows = [_row(reg.klass, i) for i in (1, 2, 3)]
    reg.records = [_registered(reg, row) for row in reg.rows]
    hz_row = _row(reg.hz_class, 4)
    u = reg.users
    from xueji.accounts.models import Role
    from xueji.testing import make_user

    reg.hz_leader = make_user("hz_leader", Role.SCHOOL_LEADER, school=reg.world.hz_school)
    reg.hz_record = _registered(reg, hz_row, school=reg.world.hz_school, registrar=u.hz_school_registrar,
                                leader=reg.hz_leader, county=u.hz_registrar)
    return reg


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "white").save(out, format="PNG")
    return out.getvalue()


def _ask(client, reg, student, reason="重复注册,学生实际不在本校", **extra):
    client.force_login(reg.users.school_registrar)
    return client.post(reverse("changes:mistaken_deletion_apply"), {"student": student.pk, "reason": reason, **extra})


def _decide(client, user, business, passed, opinion=""):
    client.force_login(user)
    return client.post(reverse("changes:mistaken_deletion_decide", args=[business.pk]),
                       {"passed": "1" if passed else "0", "opinion": opinion})


def test_request_leader_county_deletes_and_the_id_can_register_again(client, pupils):
    u = pupils.users
    student = pupils.records[0]
    response = _ask(client, pupils, student, proof=SimpleUploadedFile("证明.png", _png(), content_type="image/png"))
    assert response.status_code == 302 and response["Location"] == reverse(LIST)
    business = Business.objects.get(kind="mistaken_delete")
    assert business.student == student and business.payload["reason"] == "重复注册,学生实际不在本校"
    assert Material.objects.filter(business=business).count() == 1
    student.refresh_from_db()
    assert student.status == "10"  # pending: the status stays, the open business blocks others
    page = client.get(reverse(LIST)).content.decode()
    assert student.name in page and "申请删除中" in page and student.id_number not in page
    # the school leader passes (the school step of the default chain) …
    assert _decide(client, u.school_leader, business, True).status_code == 302
    business.refresh_from_db()
    assert business.is_open and business.current_level == "supervisor"
    # … the school registrar may not decide, the county deletes
    assert _decide(client, u.school_registrar, business, True).status_code == 403
    client.force_login(u.th_registrar)
    page = client.get(reverse(LIST)).content.decode()
    assert 'data-testid="deletion-decide"' in page and ">删除</button>" in page
    assert _decide(client, u.th_registrar, business, True).status_code == 302
    business.refresh_from_db()
    student.refresh_from_db()
    assert business.status == "passed" and student.status == "99"
    assert not IdentityClaim.objects.filter(student=student).exists()
    # the G number was released: the deleted record keeps a temporary L number, still findable
    assert student.number_kind == "L" and student.national_number.startswith("L440106")
    assert StudentNumber.objects.get(number=student.national_number).student == student
    assert not StudentNumber.objects.filter(number="G" + pupils.rows[0]["身份证件号"]).exists()
    change = StatusChange.objects.filter(student=student).latest("pk")
    assert change.old_status == "10" and change.new_status == "99" and "误操作删除" in change.reason
    entry = AuditEntry.objects.filter(action="workflow.decided").latest("seq")
    assert "学籍已删除" in entry.summary
    # the deleted record stays queryable: under 已删除 of the list
    page = client.get(reverse(LIST) + "?state=deleted").content.decode()
    assert student.name in page and "已删除" in page
    # a new registration of the same ID goes through, with G + the ID
    again = _registered(pupils, dict(pupils.rows[0]))
    assert again.pk != student.pk and again.national_number == "G" + pupils.rows[0]["身份证件号"]
    assert again.status == "10" and Student.objects.filter(id_number=pupils.rows[0]["身份证件号"]).count() == 2


def test_rejected_stays_in_school(client, pupils):
    u = pupils.users
    student = pupils.records[1]
    _ask(client, pupils, student)
    business = Business.objects.get(kind="mistaken_delete")
    _decide(client, u.school_leader, business, True)
    response = _decide(client, u.th_registrar, business, False)  # 驳回 needs an opinion
    assert "审核意见" in client.get(response["Location"]).content.decode()
    business.refresh_from_db()
    assert business.is_open
    _decide(client, u.th_registrar, business, False, "经核实该生在本校就读")
    business.refresh_from_db()
    student.refresh_from_db()
    assert business.status == "failed" and student.status == "10" and student.number_kind == "G"
    assert IdentityClaim.objects.filter(student=student).exists()
    page = client.get(reverse(LIST) + "?state=rejected").content.decode()
    assert student.name in page and "已驳回" in page
    # once ended, the student may be asked for again
    assert _ask(client, pupils, student).status_code == 302


def test_cancelled_returns_to_in_school(client, pupils):
    u = pupils.users
    student = pupils.records[2]
    _ask(client, pupils, student)
    business = Business.objects.get(kind="mistaken_delete")
    client.force_login(u.th_registrar)  # only the applicant school cancels
    assert client.post(reverse("changes:mistaken_deletion_cancel", args=[business.pk])).status_code == 403
    client.force_login(u.school_registrar)
    page = client.get(reverse(LIST)).content.decode()
    assert 'data-testid="deletion-cancel"' in page
    assert client.post(reverse("changes:mistaken_deletion_cancel", args=[business.pk])).status_code == 302
    business.refresh_from_db()
    student.refresh_from_db()
    assert business.status == "withdrawn" and student.status == "10"
    # an ended request can be neither cancelled nor decided again
    response = client.post(reverse("changes:mistaken_deletion_cancel", args=[business.pk]), follow=True)
    assert "已结束" in response.content.decode()
    response = _decide(client, u.school_leader, business, True)
    assert Business.objects.get(pk=business.pk).status == "withdrawn"


def test_double_submission_and_refusals(client, pupils):
    student = pupils.records[0]
    assert _ask(client, pupils, student).status_code == 302
    response = _ask(client, pupils, student)
    assert response.status_code == 200 and "该学生已有在办业务" in response.content.decode()
    assert Business.objects.filter(kind="mistaken_delete").count() == 1
    with pytest.raises(ValidationError, match="该学生已有在办业务"):
        deletion.request_deletion(student, pupils.users.school_registrar, reason="再次申请")
    other = pupils.records[1]
    for reason in ("", "   ", "长" * 151):
        response = _ask(client, pupils, other, reason=reason)
        assert response.status_code == 200 and not Business.objects.filter(student=other).exists(), reason
    response = _ask(client, pupils, other, proof=SimpleUploadedFile("证明.png", b"not an image", content_type="image/png"))
    assert response.status_code == 200 and "JPG或PNG" in response.content.decode()
    assert not Business.objects.filter(student=other).exists()
    with pytest.raises(PermissionDenied):
        deletion.request_deletion(other, pupils.users.school_leader, reason="x")
    # a deleted record can't be asked for; a status that does not allow it (F-27) is refused
    from xueji.students import services as S

    S.change_status([other], "20", reason="毕业", date=timezone.localdate())
    other.refresh_from_db()
    with pytest.raises(ValidationError, match="不能办理误操作删除"):
        deletion.request_deletion(other, pupils.users.school_registrar, reason="x")


def test_scope_and_bad_ids(client, pupils):
    u = pupils.users
    _ask(client, pupils, pupils.records[0])
    business = Business.objects.get(kind="mistaken_delete")
    denied = AuditEntry.objects.filter(action="scope.denied").count
    before = denied()
    # another school: its registrar neither sees, asks for, decides nor cancels
    client.get(reverse(LIST))  # the success message shown
    client.force_login(u.hz_school_registrar)
    assert 'data-testid="deletion-row"' not in client.get(reverse(LIST)).content.decode()
    assert client.get(reverse("changes:mistaken_deletion_apply"), {"student": pupils.records[0].pk}).status_code == 404
    assert client.post(reverse("changes:mistaken_deletion_cancel", args=[business.pk])).status_code == 404
    # another county's registrar
    assert _decide(client, u.hz_registrar, business, True).status_code == 404
    client.force_login(u.hz_registrar)
    assert 'data-testid="deletion-row"' not in client.get(reverse(LIST)).content.decode()
    assert denied() == before + 3
    # bad ids
    client.force_login(u.school_registrar)
    assert client.get(reverse("changes:mistaken_deletion_apply"), {"student": "abc"}).status_code == 404
    assert client.get(reverse("changes:mistaken_deletion_apply"), {"student": pupils.hz_record.pk}).status_code == 404
    assert client.post("/changes/mistaken-deletions/abc/decide/").status_code == 404
    assert client.post(reverse("changes:mistaken_deletion_decide", args=[999999])).status_code == 404
    page = client.get(reverse("changes:mistaken_deletion_apply"), {"number": "G0000"}).content.decode()
    assert "本校没有该全国学籍号的学生" in page
    assert client.get(reverse(LIST), {"state": "bogus", "page": "x", "sort": "nope"}).status_code == 200
    # a business of another type (a registration) can't be reached through these pages
    registration_business = Business.objects.exclude(kind="mistaken_delete").first()
    assert client.post(reverse("changes:mistaken_deletion_cancel", args=[registration_business.pk])).status_code == 404
    assert denied() == before + 7
    # roles: every other role is refused the page
    for user in (u.class_teacher, u.data_checker, u.th_admin, u.gz_admin, u.gd_admin, u.moe_admin, u.parent):
        client.force_login(user)
        assert client.get(reverse(LIST)).status_code == 403, user.username
    for user in (u.school_leader, u.th_registrar, u.gz_registrar, u.gd_registrar, u.moe_registrar):
        client.force_login(user)
        assert client.get(reverse(LIST)).status_code == 200, user.username
        assert client.get(reverse("changes:mistaken_deletion_apply")).status_code == 403, user.username
    # the city, province and ministry see the request but can't decide it (not their step)
    client.force_login(u.gz_registrar)
    page = client.get(reverse(LIST)).content.decode()
    assert pupils.records[0].name in page and 'data-testid="deletion-decide"' not in page
    assert _decide(client, u.gz_registrar, business, True).status_code == 403


def test_deleting_a_problem_record_settles_its_group(pupils):
    """A 身份证件号重复 pair: deleting one settles the group (the other stays); a group of
    three stays open with two live records."""
    from xueji.problems.models import ProblemGroup, ProblemKind
    from xueji.problems.services import NewGroup, open_groups

    a, b, c = pupils.records
    pair, trio = open_groups([NewGroup(ProblemKind.ID_DUPLICATE, (a.pk, b.pk), "测试"),
                              NewGroup(ProblemKind.NO_ID_DUPLICATE, (a.pk, b.pk, c.pk), "测试")])
    business = deletion.request_deletion(a, pupils.users.school_registrar, reason="重复注册")
    deletion.decide_request(business, pupils.users.school_leader, passed=True)
    deletion.decide_request(business, pupils.users.th_registrar, passed=True)
    pair, trio = ProblemGroup.objects.get(pk=pair.pk), ProblemGroup.objects.get(pk=trio.pk)
    assert pair.resolved and pair.resolution == deletion.SETTLED
    assert not trio.resolved
    entry = AuditEntry.objects.filter(action="workflow.decided").latest("seq")
    assert "1组问题学籍处理完毕" in entry.summary
