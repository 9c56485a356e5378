"""The 毕业 pages: each role sees what its scope allows; a class or student of another
school is 404 + audit; refusals appear in Chinese with the link to 在办业务清理."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.graduation.models import Graduate
from xueji.students.models import Student
from xueji.workflow.models import BatchOperation

PAGES = ("graduation:graduation", "graduation:past", "graduation:graduates", "graduation:returns")
ALLOWED = {
    "school_registrar": set(PAGES),
    "school_leader": {"graduation:graduation", "graduation:past", "graduation:graduates", "graduation:returns"},
    "th_registrar": {"graduation:graduation", "graduation:past", "graduation:graduates", "graduation:returns"},
    "gd_registrar": {"graduation:graduation", "graduation:past", "graduation:graduates", "graduation:returns"},
    "class_teacher": set(), "data_checker": set(), "th_admin": set(), "parent": set(),
}


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_every_role_sees_only_its_pages(client, grad, who):
    client.force_login(getattr(grad.users, who))
    for name in PAGES:
        status = client.get(reverse(name)).status_code
        assert status == (200 if name in ALLOWED[who] else 403), (who, name, status)


def test_the_registrar_submits_and_executes_from_the_page(client, grad):
    from xueji.workflow import batches

    client.force_login(grad.users.school_registrar)
    page = client.get(reverse("graduation:graduation")).content.decode()
    assert grad.final.name in page and grad.young.name not in page
    response = client.post(reverse("graduation:graduation"), {"kind": "20", "date": grad.today.isoformat(),
                                                              "by": "class", "classes": [grad.c1.pk]})
    assert response.status_code == 302
    batch = BatchOperation.objects.get(kind="graduation")
    assert batch.total == 3
    # the leader and the county see it; another county does not
    for user, seen in ((grad.users.school_leader, True), (grad.users.th_registrar, True),
                       (grad.users.hz_registrar, False), (grad.users.hz_school_registrar, False)):
        client.force_login(user)
        assert (batch.summary in client.get(reverse("graduation:graduation")).content.decode()) is seen
    batches.decide_batch(batch, grad.users.school_leader, True)
    batches.decide_batch(batch, grad.users.th_registrar, True)
    client.force_login(grad.users.hz_school_registrar)
    assert client.post(reverse("graduation:execute", args=[batch.pk])).status_code == 404
    client.force_login(grad.users.school_registrar)
    assert "执行毕业" in client.get(reverse("graduation:graduation")).content.decode()
    assert client.post(reverse("graduation:execute", args=[batch.pk])).status_code == 302
    assert Student.objects.filter(status="20").count() == 3
    # then 毕业去向, single
    g = Graduate.objects.filter(batch=batch).first()
    assert client.post(reverse("graduation:destination", args=[g.pk]), {"destination": "01"}).status_code == 302
    g.refresh_from_db()
    assert g.destination == "01" and g.destination_label == "01-升学"
    assert AuditEntry.objects.filter(action="graduation.destination_set").exists()
    page = client.post(reverse("graduation:destination", args=[g.pk]), {"destination": "ZZ"}, follow=True)
    assert "不是有效的代码" in page.content.decode()
    client.force_login(grad.users.school_leader)
    assert "01-升学" in client.get(reverse("graduation:graduates")).content.decode()


def test_another_schools_class_or_student_is_404_and_audited(client, grad):
    client.force_login(grad.users.school_registrar)
    for by, field, value in (("class", "classes", grad.hz_class.pk), ("students", "students", grad.hz_pupil.pk),
                             ("class", "classes", "abc")):
        before = AuditEntry.objects.filter(action="scope.denied").count()
        response = client.post(reverse("graduation:graduation"), {"kind": "20", "date": grad.today.isoformat(),
                                                                  "by": by, field: [value]})
        assert response.status_code == 404
        assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    assert not BatchOperation.objects.exists()


def test_refusals_show_in_chinese_with_the_link(client, grad):
    from xueji.changes import status_changes
    from xueji.changes.tests.conftest import png_file

    client.force_login(grad.users.school_registrar)
    page = client.post(reverse("graduation:graduation"), {"kind": "20", "date": grad.today.isoformat(), "by": "grade",
                                                          "grades": [grad.young.pk]}).content.decode()
    assert "不是毕业年级" in page and 'data-testid="open-business-link"' not in page
    status_changes.request_status_change(grad.class_one[0], grad.users.school_registrar, "suspend",
                                         date=grad.today, reason="病休", proof=png_file())
    page = client.post(reverse("graduation:graduation"), {"kind": "20", "date": grad.today.isoformat(), "by": "grade",
                                                          "grades": [grad.final.pk]}).content.decode()
    assert "在办业务清理" in page and 'data-testid="open-business-link"' in page
    assert reverse("workflow:open_businesses") in page
    for data in ({"kind": "x", "by": "grade", "grades": [grad.final.pk]}, {"kind": "20", "date": "2026-13-01",
                 "by": "grade", "grades": [grad.final.pk]}, {}):
        assert client.post(reverse("graduation:graduation"), data).status_code == 200
    assert not BatchOperation.objects.exists()
