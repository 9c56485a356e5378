"""The pages of 学籍异动: who opens them, scope, the types offered by status, the round trip."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from xueji.audit.models import AuditEntry
from xueji.changes import status_changes as S
from xueji.testing import PASSWORD
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from .conftest import png_file

APPLY = reverse("changes:status_change_apply")
LIST = reverse("changes:status_change_list")


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.mark.parametrize("who,status", [
    ("school_registrar", 200), ("data_checker", 403), ("school_leader", 403), ("class_teacher", 403),
    ("th_registrar", 403), ("th_admin", 403), ("moe_registrar", 403), ("parent", 403),
])
def test_who_opens_the_application(client, place, who, status):
    login(client, getattr(place.users, who))
    assert client.get(APPLY).status_code == status


@pytest.mark.parametrize("who,status", [
    ("school_leader", 302), ("th_registrar", 302), ("gd_registrar", 302), ("school_registrar", 403),
    ("data_checker", 403), ("th_admin", 403), ("parent", 403),
])
def test_who_opens_the_review_list(client, place, who, status):
    login(client, getattr(place.users, who))
    response = client.get(LIST)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("workflow:queue") + "?kind=suspend&kind=resume")


def test_scope(client, place):
    other = place.pupil(place.hz)
    login(client, place.users.school_registrar)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(APPLY, {"student": other.pk}).status_code == 404
    assert client.get(APPLY, {"student": "x1"}).status_code == 404
    assert client.post(APPLY, {"student": other.pk, "kind": "suspend"}).status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 3
    page = client.get(APPLY, {"name": other.name}).content.decode()
    assert "没有找到符合条件的学生" in page


def test_the_types_offered_follow_the_status(client, place):
    active, dead = place.pupil(), place.pupil(status="31")
    login(client, place.users.school_registrar)
    page = client.get(APPLY, {"student": active.pk}).content.decode()
    assert ">休学</option>" in page and ">复学</option>" not in page and ">去中职就读</option>" not in page
    page = client.get(APPLY, {"student": dead.pk}).content.decode()
    assert "学籍状态为死亡的学生不能办理学籍异动" in page and "status-change-form" not in page


def test_apply_review_and_resume_page(client, place):
    s = place.pupil()
    login(client, place.users.school_registrar)
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    response = client.post(APPLY, {"student": s.pk, "kind": "suspend", "date": day, "reason": "因病休养",
                                   "klass": "", "proof": png_file()})
    business = Business.objects.get(student=s)
    assert response.status_code == 302 and response["Location"] == reverse("workflow:business_detail",
                                                                           args=[business.pk])
    page = client.get(response["Location"]).content.decode()
    assert "在校 → 休学" in page and "因病休养" in page and day in page
    for reviewer in (place.users.school_leader, place.users.th_registrar):
        workflow.decide(business, reviewer, True, "")
    page = client.get(APPLY, {"student": s.pk}).content.decode()
    assert ">复学</option>" in page and day in page and place.g2022.name in page
    page = client.post(APPLY, {"student": s.pk, "kind": "resume", "date": timezone.localdate().isoformat(),
                               "reason": "病愈", "klass": "", "proof": png_file()}).content.decode()
    assert "复学须选择调入的班级" in page
    page = client.post(APPLY, {"student": s.pk, "kind": "resume", "date": "2026-13-01", "reason": "",
                               "klass": "abc"}).content.decode()
    assert "异动日期" in page and Business.objects.filter(student=s).count() == 1
    response = client.post(APPLY, {"student": s.pk, "kind": "resume", "date": timezone.localdate().isoformat(),
                                   "reason": "病愈", "klass": place.c23.pk, "proof": png_file()})
    page = client.get(response["Location"]).content.decode()
    assert "休学 → 在校" in page and f"{place.c1.label} → {place.c23.label}" in page and day in page
    assert S.suspension_of(s)[1] == place.g2022.name
