"""The pages of 关键数据变更: who opens them, scope (404 + audit), the form's round trip to
the business page, and the review list being the engine's 待审核业务."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.testing import PASSWORD
from xueji.workflow.models import Business

from .conftest import png_file

APPLY = reverse("changes:key_change_apply")
LIST = reverse("changes:key_change_list")


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.mark.parametrize("who,status", [
    ("school_registrar", 200), ("data_checker", 200), ("school_leader", 403), ("class_teacher", 403),
    ("th_registrar", 403), ("th_admin", 403), ("gd_registrar", 403), ("moe_registrar", 403), ("parent", 403),
])
def test_who_opens_the_application(client, place, who, status):
    login(client, getattr(place.users, who))
    assert client.get(APPLY).status_code == status


@pytest.mark.parametrize("who,status", [
    ("school_leader", 302), ("th_registrar", 302), ("gz_registrar", 302), ("gd_registrar", 302),
    ("moe_registrar", 302), ("school_registrar", 403), ("data_checker", 403), ("class_teacher", 403),
    ("th_admin", 403), ("parent", 403),
])
def test_who_opens_the_review_list(client, place, who, status):
    login(client, getattr(place.users, who))
    response = client.get(LIST)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("workflow:queue") + "?kind=key_change&kind=key_change_no_id")


def test_find_preselect_and_scope(client, place):
    s = place.pupil()
    other = place.pupil(place.hz)
    login(client, place.users.school_registrar)
    page = client.get(APPLY, {"number": s.national_number}).content.decode()
    assert s.name in page and "关键数据变更项" in page and s.id_number not in page
    page = client.get(APPLY, {"name": other.name}).content.decode()
    assert "没有找到符合条件的学生" in page
    assert client.get(APPLY, {"student": s.pk}).status_code == 200
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(APPLY, {"student": other.pk}).status_code == 404
    assert client.get(APPLY, {"student": "abc"}).status_code == 404
    assert client.post(APPLY, {"student": other.pk}).status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 3
    assert client.get(APPLY, {"number": "", "name": ""}).status_code == 200


def _form(s, **changes):
    data = {"student": s.pk, "name": s.name, "gender": s.gender, "birth_date": s.birth_date.isoformat(),
            "id_type": s.id_type, "id_number": "", "nationality": s.nationality, "hmt": s.hmt,
            "klass": s.klass_id, "reason": "更正", "proof": png_file()}
    data.update(changes)
    return data


def test_apply_and_see_before_and_after(client, place):
    s = place.pupil()
    login(client, place.users.school_registrar)
    response = client.post(APPLY, _form(s, name="李明", klass=place.c2.pk))
    business = Business.objects.get(student=s)
    assert response.status_code == 302 and response["Location"] == reverse("workflow:business_detail",
                                                                           args=[business.pk])
    page = client.get(response["Location"]).content.decode()
    assert f"{s.name} → 李明" in page and "查重认证" in page and "认证通过" in page
    assert f"{place.c1.label} → {place.c2.label}" in page
    login(client, place.users.school_leader)
    queue = client.get(client.get(LIST)["Location"]).content.decode()
    assert s.name in queue and "<th>查重认证</th>" in queue and "无需查重,认证通过" in queue


def test_refusals_are_shown_on_the_form(client, place):
    s = place.pupil(kind="G")
    login(client, place.users.school_registrar)
    page = client.post(APPLY, _form(s, id_type="Z", id_number="")).content.decode()
    assert "正式学籍号学生不能将身份证件类型变更为无身份证件" in page
    page = client.post(APPLY, _form(s)).content.decode()
    assert "没有需要变更的关键数据" in page
    page = client.post(APPLY, _form(s, name="李明", proof="")).content.decode()
    assert "该字段是必填项" in page
    page = client.post(APPLY, _form(s, birth_date="2017-02-30", klass="x", gender="9")).content.decode()
    assert "出生日期" in page
    assert not Business.objects.filter(student=s).exists()


def test_the_review_list_finds_those_that_can_be_decided_now(client, place, monkeypatch):
    from xueji.changes import key_changes as K
    from xueji.students import verification

    ready_pupil, held_pupil = place.pupil(), place.pupil()
    K.request_key_change(ready_pupil, place.users.school_registrar, {"name": "李明"}, proof=png_file())
    monkeypatch.setattr(verification, "_verifier", lambda people: None)
    K.request_key_change(held_pupil, place.users.school_registrar, {"name": "李亮"}, proof=png_file())
    login(client, place.users.school_leader)
    queue = client.get(LIST)["Location"]

    def names(waiting):
        page = client.get(queue + "&waiting=" + waiting).content.decode().split("<main", 1)[1]
        return {p.name for p in (ready_pupil, held_pupil) if p.name in page}

    assert names("") == names("nonsense") == {ready_pupil.name, held_pupil.name}
    assert names("ready") == {ready_pupil.name}
    assert names("dedup_pending") == {held_pupil.name}
    assert "待查重认证" in client.get(queue).content.decode()
