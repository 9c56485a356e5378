"""毕业生退回 (F-61): within half a year the supervising authority, after that only the
province; the student returns to 在校; a query lists returned graduates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.graduation import rules, services
from xueji.graduation.models import Graduate
from xueji.students.models import StatusChange, Student
from xueji.workflow import batches


@pytest.fixture
def graduates(grad):
    batch = services.start_graduation(grad.users.school_registrar, kind="20", date=grad.today.isoformat(),
                                      by="class", classes=[grad.c2.pk])
    batches.decide_batch(batch, grad.users.school_leader, True)
    batches.decide_batch(batch, grad.users.th_registrar, True)
    batch.refresh_from_db()
    services.execute_graduation(grad.users.school_registrar, batch)
    return list(Graduate.objects.filter(batch=batch).order_by("student_id"))


def test_the_county_returns_a_graduate_within_half_a_year(grad, graduates):
    first = graduates[0]
    services.return_graduate(grad.users.th_registrar, first, "学籍信息需更正")
    first.refresh_from_db()
    assert first.returned and first.return_reason == "学籍信息需更正" and first.returned_unit == "天河区教育局"
    assert Student.objects.get(pk=first.student_id).status == "10"
    assert StatusChange.objects.filter(student_id=first.student_id, old_status="20", new_status="10").exists()
    assert AuditEntry.objects.filter(action="graduation.returned").count() == 1
    with pytest.raises(ValidationError, match="已退回"):
        services.return_graduate(grad.users.th_registrar, first, "再次")


def test_after_half_a_year_a_county_is_refused_and_the_province_may(grad, graduates):
    first = graduates[0]
    Graduate.objects.filter(pk=first.pk).update(graduated_on=grad.today - dt.timedelta(days=200))
    first.refresh_from_db()
    with pytest.raises(PermissionDenied, match="毕业已超过半年.*只能由省级教育行政部门退回"):
        services.return_graduate(grad.users.th_registrar, first, "更正")
    assert Student.objects.get(pk=first.student_id).status == "20"
    services.return_graduate(grad.users.gd_registrar, first, "更正")
    assert Student.objects.get(pk=first.student_id).status == "10"


def test_who_may_return(grad, graduates):
    g = graduates[1]
    for user, message in ((grad.users.gz_registrar, "主管教育行政部门或省级"),
                          (grad.users.hz_registrar, "主管教育行政部门或省级"),
                          (grad.users.school_registrar, "教育行政部门学籍管理员"),
                          (grad.users.th_admin, "教育行政部门学籍管理员")):
        with pytest.raises(PermissionDenied, match=message):
            services.return_graduate(user, g, "更正")
    with pytest.raises(ValidationError, match="请填写退回原因"):
        services.return_graduate(grad.users.th_registrar, g, "  ")
    with pytest.raises(ValidationError, match="不能超过200"):
        services.return_graduate(grad.users.th_registrar, g, "长" * 201)
    assert Student.objects.get(pk=g.student_id).status == "20"


def test_the_return_deadline_rule():
    assert rules.return_deadline(dt.date(2026, 7, 15)) == dt.date(2027, 1, 15)
    assert rules.return_deadline(dt.date(2026, 8, 31)) == dt.date(2027, 2, 28)
    refusal = rules.return_refusal(is_supervisor=True, is_province=False, graduated_on=dt.date(2026, 1, 1),
                                   today=dt.date(2026, 7, 2))
    assert "超过半年" in refusal
    assert rules.return_refusal(is_supervisor=True, is_province=False, graduated_on=dt.date(2026, 1, 1),
                                today=dt.date(2026, 7, 1)) is None
    assert rules.return_refusal(is_supervisor=False, is_province=True, graduated_on=dt.date(2020, 1, 1),
                                today=dt.date(2026, 7, 1)) is None


def test_the_return_page_and_the_query(client, grad, graduates):
    g = graduates[0]
    client.force_login(grad.users.th_registrar)
    page = client.get(reverse("graduation:returns"), {"number": g.student.national_number})
    assert page.status_code == 200 and g.student.name in page.content.decode()
    table = page.content.decode().split('data-testid="return-candidates"')[1].split("</table>")[0]
    assert g.student.national_number not in table and g.student.national_number[:5] in table   # masked
    response = client.post(reverse("graduation:return_graduate", args=[g.pk]), {"reason": "更正姓名"})
    assert response.status_code == 302
    listing = client.get(reverse("graduation:returns")).content.decode()
    assert "更正姓名" in listing and "天河区教育局" in listing
    # another county: 404 and an audit entry
    client.force_login(grad.users.hz_registrar)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.post(reverse("graduation:return_graduate", args=[graduates[1].pk]), {"reason": "x"}).status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    assert "更正姓名" not in client.get(reverse("graduation:returns")).content.decode()
    assert Student.objects.get(pk=graduates[1].student_id).status == "20"
