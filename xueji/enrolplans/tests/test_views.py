"""The 招生计划数 pages for every role: who sees which page, out-of-scope objects 404 +
audit, bad filters 403 + audit, bad ids never 500; set, request, decide from the pages."""

import pytest
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.enrolplans import selectors, services
from xueji.enrolplans.models import ChangeState, PlanChange
from xueji.portal.todos import todos_for

PAGES = ("enrolplans:plans", "enrolplans:changes")
ALLOWED = {
    "school_registrar": {"enrolplans:plans"},
    "school_leader": {"enrolplans:plans"},
    "th_registrar": set(PAGES), "gz_registrar": set(PAGES), "gd_registrar": set(PAGES),
    "moe_registrar": set(PAGES),
    "class_teacher": set(), "data_checker": set(), "th_admin": set(), "parent": set(),
}


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_every_role_sees_only_its_pages(client, world, who):
    client.force_login(getattr(world.users, who))
    for name in PAGES:
        status = client.get(reverse(name)).status_code
        assert status == (200 if name in ALLOWED[who] else 403), (who, name, status)


def test_the_authoritys_list_shows_the_scope_and_filters(client, world, year):
    services.set_plan(world.users.th_registrar, world.th_middle, year, "2", 321)
    client.force_login(world.users.th_registrar)
    page = client.get(reverse("enrolplans:plans"), {"stage": "2", "year": year}).content.decode()
    assert "天河测试中学" in page and "321" in page and "七年级" in page and "天河测试小学" not in page
    page = client.get(reverse("enrolplans:plans"), {"stage": "1", "year": year}).content.decode()
    assert "天河测试小学" in page and "海珠测试小学" not in page and "广州市直属高中" not in page
    page = client.get(reverse("enrolplans:plans"), {"stage": "2", "year": year, "unset": "1"}).content.decode()
    assert "天河测试中学" not in page
    page = client.get(reverse("enrolplans:plans"), {"stage": "3", "year": year, "unset": "1",
                                                    "school": world.th_middle.pk}).content.decode()
    assert "天河测试中学" in page and "高一" in page
    page = client.get(reverse("enrolplans:plans"), {"stage": "1", "q": "3440106001"}).content.decode()
    assert "天河测试小学" in page
    # the city sees the city-run school and both counties
    client.force_login(world.users.gz_registrar)
    page = client.get(reverse("enrolplans:plans"), {"stage": "3"}).content.decode()
    assert "广州市直属高中" in page and "天河测试中学" in page
    # the ministry reads, without the forms
    client.force_login(world.users.moe_registrar)
    page = client.get(reverse("enrolplans:plans"), {"stage": "2", "year": year}).content.decode()
    assert "321" in page and 'name="planned"' not in page and "导入" not in page


@pytest.mark.parametrize("params", [
    {"year": "abc"}, {"year": "20261"}, {"stage": "9"}, {"stage": "1' or 1=1"}, {"school": "abc"},
    {"school": "99999999999999999999999"}, {"school": "-1"},
])
def test_bad_filters_are_403_and_audited(client, world, params):
    client.force_login(world.users.th_registrar)
    before = AuditEntry.objects.filter(action__in=("scope.denied", "auth.permission_denied")).count()
    assert client.get(reverse("enrolplans:plans"), params).status_code == 403
    assert AuditEntry.objects.filter(action__in=("scope.denied", "auth.permission_denied")).count() == before + 1


def test_a_school_filter_outside_the_scope_is_403_and_audited(client, world):
    client.force_login(world.users.th_registrar)
    for school in (world.hz_school, world.city_school, world.gx_school):
        before = AuditEntry.objects.filter(action="scope.denied").count()
        assert client.get(reverse("enrolplans:plans"), {"school": school.pk}).status_code == 403
        assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    client.force_login(world.users.th_registrar)
    assert client.get(reverse("enrolplans:changes"), {"state": "weird"}).status_code == 403


def test_setting_from_the_page_and_out_of_scope_schools(client, world, year):
    client.force_login(world.users.th_registrar)
    here = reverse("enrolplans:plans") + f"?stage=1&year={year}"
    response = client.post(reverse("enrolplans:plan_set"), {"school": world.th_school.pk, "year": year, "stage": "1",
                                                            "planned": "95", "next": here})
    assert response.status_code == 302 and response["Location"] == here
    assert selectors.plan_for(world.th_school, year, "1") == 95
    page = client.post(reverse("enrolplans:plan_set"), {"school": world.th_school.pk, "year": year, "stage": "1",
                                                        "planned": "-3"}, follow=True).content.decode()
    assert "不能为负数" in page and selectors.plan_for(world.th_school, year, "1") == 95
    page = client.post(reverse("enrolplans:plan_set"), {"school": world.th_school.pk, "year": year, "stage": "3",
                                                        "planned": "3"}, follow=True).content.decode()
    assert "没有高中学段" in page
    # an open redirect is not followed
    response = client.post(reverse("enrolplans:plan_set"), {"school": world.th_school.pk, "year": year, "stage": "1",
                                                            "planned": "96", "next": "https://evil.example/"})
    assert response["Location"] == reverse("enrolplans:plans")
    for school in (world.hz_school.pk, world.city_school.pk, "abc", "", 10**30):
        before = AuditEntry.objects.filter(action="scope.denied").count()
        response = client.post(reverse("enrolplans:plan_set"), {"school": school, "year": year, "stage": "1",
                                                                "planned": "1"})
        assert response.status_code == 404, school
        assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    assert selectors.plan_for(world.hz_school, year, "1") is None
    for who in (world.users.school_registrar, world.users.moe_registrar):
        client.force_login(who)
        assert client.post(reverse("enrolplans:plan_set"), {"school": world.th_school.pk, "year": year,
                                                            "stage": "1", "planned": "1"}).status_code == 403
        assert client.post(reverse("enrolplans:import"), {}).status_code == 403


def test_school_requests_and_the_supervisor_decides(client, world, year):
    u = world.users
    services.set_plan(u.th_registrar, world.th_school, year, "1", 120)
    client.force_login(u.school_registrar)
    page = client.get(reverse("enrolplans:plans")).content.decode()
    assert "120" in page and "一年级" in page and "申请变更" in page and 'name="planned"' not in page
    response = client.post(reverse("enrolplans:change_request"), {"year": year, "stage": "1", "requested": "150",
                                                                  "reason": "新增两个班"})
    assert response.status_code == 302
    change = PlanChange.objects.get()
    page = client.post(reverse("enrolplans:change_request"), {"year": year, "stage": "1", "requested": "160",
                                                              "reason": "再增"}, follow=True).content.decode()
    assert "不能重复提交" in page and PlanChange.objects.count() == 1
    page = client.get(reverse("enrolplans:plans")).content.decode()
    assert "变更审核中(申请150)" in page and "审核中" in page
    # the leader sees it read-only
    client.force_login(u.school_leader)
    page = client.get(reverse("enrolplans:plans")).content.decode()
    assert "新增两个班" in page and "change_request" not in page and 'name="requested"' not in page
    assert client.post(reverse("enrolplans:change_request"), {"year": year, "stage": "1", "requested": "1",
                                                              "reason": "x"}).status_code == 403
    # the to-do of the county; none for the city
    assert any(t.label == "待核办的招生计划数变更" and t.count == 1 for t in todos_for(u.th_registrar))
    assert not any(t.label == "待核办的招生计划数变更" for t in todos_for(u.gz_registrar))
    # the city sees the request but does not decide it; another county gets 404
    client.force_login(u.gz_registrar)
    page = client.get(reverse("enrolplans:changes")).content.decode()
    assert "新增两个班" in page and "同意" not in page.split("<tbody>")[1]
    page = client.post(reverse("enrolplans:change_decide", args=[change.pk]), {"passed": "1"},
                       follow=True).content.decode()
    assert PlanChange.objects.get().state == ChangeState.OPEN
    client.force_login(u.hz_registrar)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.post(reverse("enrolplans:change_decide", args=[change.pk]), {"passed": "1"}).status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    assert client.post(reverse("enrolplans:change_decide", args=[999999]), {"passed": "1"}).status_code == 404
    assert client.post("/enrolplans/changes/abc/decide/", {"passed": "1"}).status_code == 404
    # the county decides
    client.force_login(u.th_registrar)
    page = client.get(reverse("enrolplans:changes")).content.decode()
    assert "新增两个班" in page and "同意" in page
    page = client.post(reverse("enrolplans:change_decide", args=[change.pk]), {"passed": "maybe"},
                       follow=True).content.decode()
    assert "请选择同意或不同意" in page
    client.post(reverse("enrolplans:change_decide", args=[change.pk]), {"passed": "1", "opinion": "同意"})
    assert PlanChange.objects.get().state == ChangeState.APPROVED
    assert selectors.plan_for(world.th_school, year, "1") == 150
    page = client.get(reverse("enrolplans:changes"), {"state": "done"}).content.decode()
    assert "审核通过" in page
    client.force_login(u.school_registrar)
    page = client.get(reverse("enrolplans:plans")).content.decode()
    assert "150" in page and "审核通过" in page
    # a school's page never shows another school's request
    client.force_login(u.hz_school_registrar)
    assert "新增两个班" not in client.get(reverse("enrolplans:plans")).content.decode()


def test_bad_request_input_never_500(client, world, year):
    client.force_login(world.users.school_registrar)
    for data in ({}, {"year": "x", "stage": "1", "requested": "1", "reason": "r"},
                 {"year": year, "stage": "z", "requested": "1", "reason": "r"},
                 {"year": year, "stage": "1", "requested": "1" * 50, "reason": "r"},
                 {"year": year, "stage": "1", "requested": "5", "reason": "r" * 500}):
        assert client.post(reverse("enrolplans:change_request"), data).status_code == 302
    assert not PlanChange.objects.exists()
    assert client.get(reverse("enrolplans:change_request")).status_code == 405
