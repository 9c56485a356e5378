"""The pages of 省内转学 and 学生学籍转移: a transfer from the application page to the class
placement, the lookup that says only "未找到", a third school refused with 404 and an
audit entry, and who may open each page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.audit.models import AuditEntry
from xueji.changes.models import RecordTransfer, TransferPlacement
from xueji.org.models import Grade, SchoolClass
from xueji.students.models import Student
from xueji.testing import make_user
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from .conftest import make_student


def _page(client, user, name, *args, query="", method="get", data=None):
    client.force_login(user)
    url = reverse(name, args=args) + query
    return client.post(url, data or {}) if method == "post" else client.get(url)


def _scope_denials() -> int:
    return AuditEntry.objects.filter(action="scope.denied").count()


def _lookup(client, world, number, name):
    client.force_login(world.users.school_registrar)
    return client.post(reverse("changes:transfer_apply"), {"action": "lookup", "national_number": number,
                                                           "name": name})


def test_a_transfer_from_the_application_page_to_the_class(client, world, people, png):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    page = _lookup(client, world, student.national_number, "李四").content.decode()
    assert 'data-testid="found-student"' in page and "福田测试小学" in page
    found = page.split('data-testid="found-student"')[1].split("</table>")[0]
    assert student.id_number not in found and student.national_number not in found   # masked (typed: in the form)
    grade = Grade.objects.get(school=world.th_school, entry_year=2024)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("changes:transfer_apply"), {
        "action": "apply", "national_number": student.national_number, "name": "李四", "to_grade": grade.pk,
        "reason": "随父母工作调动", "materials": [SimpleUploadedFile("证明.png", png, "image/png")],
    })
    business = Business.objects.get(kind="transfer_in_province")
    assert response.status_code == 302 and response["Location"] == reverse("workflow:business_detail",
                                                                             args=[business.pk])
    assert business.materials.count() == 1
    listing = _page(client, u.th_registrar, "changes:transfer_list").content.decode()
    assert "李四" in listing and "福田测试小学" in listing and "天河测试小学" in listing
    assert "0个工作日" in listing and student.national_number not in listing
    # each party decides on the engine's business page
    for reviewer in (u.school_leader, u.th_registrar, p.futian_leader, p.futian_county):
        response = _page(client, reviewer, "workflow:business_decide", business.pk, method="post",
                         data={"decision": "pass", "opinion": "同意"})
        assert response.status_code == 302
    business.refresh_from_db()
    assert business.status == "passed"
    listing = _page(client, u.school_registrar, "changes:transfer_list", query="?state=passed").content.decode()
    assert "已调档" in listing and "待分班 1 人" in listing
    home = _page(client, u.school_registrar, "portal:home").content.decode()
    assert "转入待分班的学生" in home
    page = _page(client, u.school_registrar, "changes:transfer_placement").content.decode()
    assert "李四" in page and "待分班" in page
    placement = TransferPlacement.objects.get()
    target = SchoolClass.objects.get(school=world.th_school, code="2024102")
    response = _page(client, u.school_registrar, "changes:transfer_place", placement.pk, method="post",
                     data={"klass": target.pk})
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.klass_id == target.pk and student.school_id == world.th_school.pk
    assert "没有待分班的转入学生" in _page(client, u.school_registrar, "changes:transfer_placement").content.decode()
    # the sending school still sees the business, not the record
    assert _page(client, p.futian_registrar, "workflow:business_detail", business.pk).status_code == 200


def test_a_wrong_name_says_only_not_found(client, world, people):
    student = make_student(people.futian, name="李四")
    page = _lookup(client, world, student.national_number, "李五").content.decode()
    assert "未找到" in page and "福田测试小学" not in page and 'data-testid="found-student"' not in page
    entry = AuditEntry.objects.get(action="changes.transfer_lookup")
    assert entry.after["found"] is False and entry.actor == world.users.school_registrar
    # posting the apply form with a wrong pair starts nothing and reveals nothing
    grade = Grade.objects.get(school=world.th_school, entry_year=2024)
    page = client.post(reverse("changes:transfer_apply"), {
        "action": "apply", "national_number": student.national_number, "name": "李五", "to_grade": grade.pk,
        "reason": "x"}, follow=True).content.decode()
    assert "未找到" in page and "福田测试小学" not in page and not Business.objects.exists()
    # empty and oversized input is a form error, not a 500
    assert _lookup(client, world, "", "").status_code == 200
    assert _lookup(client, world, "G" * 100, "名" * 100).status_code == 200


def test_a_third_school_gets_404_and_an_audit_entry(client, world, people):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    from xueji.changes import transfer_services

    business = transfer_services.apply_transfer(u.school_registrar, national_number=student.national_number,
                                                name="李四", to_grade=Grade.objects.get(school=world.th_school,
                                                                                         entry_year=2024),
                                                reason="x")
    for outsider in (p.third_registrar, p.third_leader, u.hz_registrar):
        before = _scope_denials()
        assert _page(client, outsider, "workflow:business_detail", business.pk).status_code == 404
        assert _scope_denials() == before + 1
        assert "李四" not in _page(client, outsider, "changes:transfer_list").content.decode()
    before = _scope_denials()
    response = _page(client, p.third_registrar, "workflow:business_withdraw", business.pk, method="post")
    assert response.status_code == 404 and _scope_denials() == before + 1
    business.refresh_from_db()
    assert business.status == "open"


def test_placement_of_another_school_is_404(client, world, people):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    from xueji.changes import transfer_services

    business = transfer_services.apply_transfer(u.school_registrar, national_number=student.national_number,
                                                name="李四", to_grade=Grade.objects.get(school=world.th_school,
                                                                                         entry_year=2024),
                                                reason="x")
    for reviewer in (u.school_leader, u.th_registrar, p.futian_leader, p.futian_county):
        workflow.decide(business, reviewer, True)
    placement = TransferPlacement.objects.get()
    before = _scope_denials()
    response = _page(client, p.futian_registrar, "changes:transfer_place", placement.pk, method="post",
                     data={"klass": SchoolClass.objects.filter(school=p.futian).first().pk})
    assert response.status_code == 404 and _scope_denials() == before + 1
    # a class id that is not a number: a message, not a 500
    response = _page(client, u.school_registrar, "changes:transfer_place", placement.pk, method="post",
                     data={"klass": "abc"})
    assert response.status_code == 302
    placement.refresh_from_db()
    assert not placement.is_placed


def test_overdue_transfer_shows_in_the_list_and_the_to_dos(client, world, people, monkeypatch):
    u, p = world.users, people
    student = make_student(p.futian, name="超期生")
    from xueji.changes import transfer_services

    friday = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    monkeypatch.setattr(timezone, "now", lambda: friday)
    transfer_services.apply_transfer(u.school_registrar, national_number=student.national_number, name="超期生",
                                     to_grade=Grade.objects.get(school=world.th_school, entry_year=2024), reason="x")
    monkeypatch.setattr(timezone, "now", lambda: friday + dt.timedelta(days=10))   # Monday after next
    listing = _page(client, u.th_registrar, "changes:transfer_list", query="?overdue=on").content.decode()
    assert "超期生" in listing and "6个工作日" in listing and "超期" in listing
    home = _page(client, u.school_leader, "portal:home").content.decode()
    assert "超期未审核的业务" in home
    home = _page(client, u.th_registrar, "portal:home").content.decode()
    assert "辖区超期未办结业务" in home


# --- record transfer pages -----------------------------------------------------------------
def test_record_transfer_pages(client, world, people):
    u = world.users
    grade = Grade.objects.get(school=world.hz_school, entry_year=2024)
    pupils = [make_student(world.hz_school, name=f"海珠{n}", grade=grade) for n in range(3)]
    page = _page(client, u.gz_registrar, "changes:record_transfer_list",
                 query=f"?from_school={world.hz_school.code}").content.decode()
    assert "海珠0" in page and 'data-testid="record-transfer-form"' in page
    response = _page(client, u.gz_registrar, "changes:record_transfer_list", method="post", data={
        "from_school": world.hz_school.code, "to_school": world.th_school.code, "by": "students",
        "students": [pupils[0].pk, pupils[1].pk]})
    assert response.status_code == 302
    transfer = RecordTransfer.objects.get()
    assert transfer.batch.total == 2
    # a student of another school among the chosen refuses the whole request, audited
    before = _scope_denials()
    other = make_student(people.third, name="别校生")
    _page(client, u.gz_registrar, "changes:record_transfer_list", method="post", data={
        "from_school": world.hz_school.code, "to_school": world.th_school.code, "by": "students",
        "students": [pupils[2].pk, other.pk, "abc"]})
    assert RecordTransfer.objects.count() == 1 and _scope_denials() == before + 1
    # a school outside the registrar's scope: 404 and audit
    before = _scope_denials()
    response = _page(client, u.th_registrar, "changes:record_transfer_list", query=f"?from_school={world.hz_school.code}")
    assert response.status_code == 404 and _scope_denials() == before + 1
    assert _page(client, u.th_registrar, "changes:record_transfer_list", query="?from_school=abc").status_code == 200
    # the receiving school confirms on its page
    page = _page(client, u.school_registrar, "changes:record_transfer_confirm").content.decode()
    assert "海珠0" in page and "海珠2" not in page
    assert "待确认的学籍转入" in _page(client, u.school_registrar, "portal:home").content.decode()
    before = _scope_denials()
    assert _page(client, u.hz_school_registrar, "changes:record_transfer_decide", transfer.pk, method="post",
                 data={"action": "confirm"}).status_code == 404
    assert _scope_denials() == before + 1
    response = _page(client, u.school_registrar, "changes:record_transfer_decide", transfer.pk, method="post",
                     data={"action": "confirm"})
    assert response.status_code == 302
    assert set(Student.objects.filter(pk__in=[pupils[0].pk, pupils[1].pk]).values_list("school_id", flat=True)) == {
        world.th_school.pk}
    assert Student.objects.get(pk=pupils[2].pk).school_id == world.hz_school.pk
    page = _page(client, u.gz_registrar, "changes:record_transfer_list").content.decode()
    assert "已确认转入" in page


# --- who may open each page ------------------------------------------------------------------
PAGES = ["changes:transfer_list", "changes:transfer_apply", "changes:transfer_placement",
         "changes:record_transfer_list", "changes:record_transfer_confirm"]
ALLOWED = {
    "school_registrar": {"changes:transfer_list", "changes:transfer_apply", "changes:transfer_placement",
                         "changes:record_transfer_confirm"},
    "school_leader": {"changes:transfer_list", "changes:transfer_placement"},
    "class_teacher": set(),
    "data_checker": set(),
    "th_registrar": {"changes:transfer_list", "changes:record_transfer_list"},
    "gz_registrar": {"changes:transfer_list", "changes:record_transfer_list"},
    "gd_registrar": {"changes:transfer_list", "changes:record_transfer_list"},
    "moe_registrar": {"changes:transfer_list", "changes:record_transfer_list"},
    "th_admin": set(), "gz_admin": set(), "gd_admin": set(), "moe_admin": set(),
    "parent": set(),
}


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_who_opens_each_page(client, world, people, who):
    user = getattr(world.users, who)
    for name in PAGES:
        status = _page(client, user, name).status_code
        assert status == (200 if name in ALLOWED[who] else 403), (who, name, status)


def test_pages_need_a_login(client, world):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_post_only_actions_refuse_get_and_other_roles(client, world, people):
    u = world.users
    for name in ("changes:transfer_place", "changes:record_transfer_decide"):
        assert _page(client, u.school_registrar, name, 1).status_code == 405
    for user in (u.school_leader, u.th_registrar, make_user("p2", Role.PARENT)):
        for name in ("changes:transfer_place", "changes:record_transfer_decide"):
            assert _page(client, user, name, 1, method="post").status_code == 403


def test_direction_filter_for_schools_and_authorities(client, world, people):
    u, p = world.users, people
    from xueji.changes import transfer_services

    incoming = make_student(p.futian, name="转入生")
    transfer_services.apply_transfer(u.school_registrar, national_number=incoming.national_number, name="转入生",
                                     to_grade=Grade.objects.get(school=world.th_school, entry_year=2024), reason="x")
    outgoing = make_student(world.th_school, name="转出生")
    transfer_services.apply_transfer(p.futian_registrar, national_number=outgoing.national_number, name="转出生",
                                     to_grade=Grade.objects.get(school=p.futian, entry_year=2024), reason="x")
    for user in (u.school_registrar, u.th_registrar):
        inbound = _page(client, user, "changes:transfer_list", query="?direction=in").content.decode()
        outbound = _page(client, user, "changes:transfer_list", query="?direction=out").content.decode()
        assert "转入生" in inbound and "转出生" not in inbound, user.username
        assert "转出生" in outbound and "转入生" not in outbound, user.username
    inbound = _page(client, p.futian_county, "changes:transfer_list", query="?direction=in").content.decode()
    assert "转出生" in inbound and "转入生" not in inbound
    # the province covers both sides: both listed, without a direction badge
    page = _page(client, u.gd_registrar, "changes:transfer_list").content.decode()
    assert "转入生" in page and "转出生" in page and "text-bg-light" not in page
    assert _page(client, u.gd_registrar, "changes:transfer_list", query="?direction=bogus&state=x").status_code == 200


def test_record_transfer_form_errors_are_shown(client, world, people):
    u = world.users
    page = _page(client, u.gz_registrar, "changes:record_transfer_list", method="post", data={
        "from_school": world.hz_school.code, "to_school": world.th_school.code, "by": "grade", "grade": "999999"})
    assert page.status_code == 200 and "年级:" in page.content.decode()
    page = _page(client, u.gz_registrar, "changes:record_transfer_list", method="post", data={
        "from_school": world.hz_school.code, "to_school": "", "by": "grade"})
    assert "请填写转入学校标识码" in page.content.decode()
    assert not RecordTransfer.objects.exists()


def test_reviewers_see_the_sending_school_and_grade_then_the_placement(client, world, people):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    from xueji.changes import transfer_services

    business = transfer_services.apply_transfer(u.school_registrar, national_number=student.national_number,
                                                name="李四", to_grade=Grade.objects.get(school=world.th_school,
                                                                                         entry_year=2024),
                                                reason="x")
    queue = _page(client, u.school_leader, "workflow:queue").content.decode()
    assert "转出学校" in queue and "福田测试小学" in queue and "小学2024级" in queue
    for reviewer in (u.school_leader, u.th_registrar, p.futian_leader, p.futian_county):
        workflow.decide(business, reviewer, True)
    detail = _page(client, u.school_registrar, "workflow:business_detail", business.pk).content.decode()
    facts = detail.split('data-testid="business-facts"')[1].split("</table>")[0]
    assert "已调档至小学2024级" in facts and "待分班" in facts
