"""Schools (F-02, F-93), campuses, terms, grades and classes (F-03, F-04)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.org import services
from xueji.org.models import Grade, School, SchoolClass, Term


def _school_post(**overrides):
    data = {
        "code": "3440106099", "name": "天河新建小学", "category": "1", "school_type": "211",
        "has_primary": "on", "primary_years": "6", "address_code": "440106000000",
        "address": "天河路1号", "division_code": "440106000000",
    }
    data.update(overrides)
    return data


def test_county_creates_school_in_scope(client, world):
    client.force_login(world.users.th_registrar)
    response = client.post(reverse("org:school_create"), _school_post(supervisor=world.tree.tianhe.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    school = School.objects.get(code="3440106099")
    assert school.supervisor == world.tree.tianhe and school.campuses.filter(is_main=True).exists()
    assert AuditEntry.objects.filter(action="org.school_created", object_id=str(school.pk)).exists()


def test_county_cannot_create_school_under_sibling(client, world):
    client.force_login(world.users.th_registrar)
    response = client.post(reverse("org:school_create"), _school_post(supervisor=world.tree.haizhu.pk))
    assert response.status_code == 200  # the authority is not a choice: form error
    assert not School.objects.filter(code="3440106099").exists()


@pytest.mark.parametrize("overrides,fragment", [
    ({"code": "344010609"}, "10位数字"),
    ({"code": "3440106001"}, "已存在"),
    ({"address_code": "440106"}, "12位数字"),
    ({"address_code": "440199000000"}, "不是已知的行政区划"),
    ({"address_code": "440106001000"}, "视为外区县"),
    ({"primary_years": "7"}, "学制"),
    ({"has_primary": "", "primary_years": ""}, "至少应设一个教育阶段"),
    ({"has_junior": "on", "junior_years": "4"}, "合计应为9年"),
    ({"division_code": "440100000000"}, "区县代码"),
    ({"name": ""}, "必填"),
])
def test_bad_school_refused(client, world, overrides, fragment):
    client.force_login(world.users.th_registrar)
    before = School.objects.count()
    response = client.post(reverse("org:school_create"), _school_post(supervisor=world.tree.tianhe.pk, **overrides))
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert School.objects.count() == before


def test_school_registrar_edits_own_school_but_not_identity(client, world):
    client.force_login(world.users.school_registrar)
    school = world.th_school
    data = _school_post(code="9999999999", name="天河测试小学(新名)", supervisor=world.tree.haizhu.pk,
                        principal="张校长", address_code=school.address_code, division_code="440105000000")
    response = client.post(reverse("org:school_edit", args=[school.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    school.refresh_from_db()
    assert school.name == "天河测试小学(新名)" and school.principal == "张校长"
    assert school.code == "3440106001" and school.supervisor == world.tree.tianhe  # disabled fields kept
    entry = AuditEntry.objects.filter(action="org.school_updated").latest("id")
    assert entry.after["name"] == "天河测试小学(新名)" and entry.before["name"] == "天河测试小学"


def test_school_leader_cannot_edit(client, world):
    client.force_login(world.users.school_leader)
    assert client.get(reverse("org:school_edit", args=[world.th_school.pk])).status_code == 403


def test_school_registrar_cannot_edit_other_school(client, world):
    client.force_login(world.users.school_registrar)
    assert client.get(reverse("org:school_edit", args=[world.hz_school.pk])).status_code == 404


def test_my_school_redirects_to_own(client, world):
    client.force_login(world.users.school_leader)
    response = client.get(reverse("org:my_school"))
    assert response["Location"] == reverse("org:school_detail", args=[world.th_school.pk])


def test_grades_and_classes(client, world):
    client.force_login(world.users.school_registrar)
    url = reverse("org:my_school_grades")
    assert client.post(url, {"grade-stage": "1", "grade-entry_year": "2026"}).status_code == 302
    grade = Grade.objects.get(school=world.th_school, stage="1", entry_year=2026)
    assert grade.name == "小学2026级"
    # duplicate grade
    response = client.post(url, {"grade-stage": "1", "grade-entry_year": "2026"})
    assert "已存在" in response.content.decode()
    # a stage the school does not offer
    response = client.post(url, {"grade-stage": "3", "grade-entry_year": "2026"})
    assert "本校未设高中" in response.content.decode()
    assert client.post(url, {"class-grade": grade.pk, "class-code": "2026101"}).status_code == 302
    klass = SchoolClass.objects.get(code="2026101")
    assert klass.name == "1班" and klass.school == world.th_school
    for bad, fragment in [("2026201", "不一致"), ("2025101", "不一致"), ("202610", "7位数字"),
                          ("2026101", "已存在"), ("2026100", "01至99")]:
        response = client.post(url, {"class-grade": grade.pk, "class-code": bad})
        assert fragment in response.content.decode(), bad
    assert SchoolClass.objects.count() == 1


def test_class_in_another_schools_grade_refused(client, world):
    other = Grade.objects.create(school=world.hz_school, stage="1", entry_year=2026)
    client.force_login(world.users.school_registrar)
    response = client.post(reverse("org:my_school_grades"), {"class-grade": other.pk, "class-code": "2026101"})
    assert response.status_code == 404
    assert not SchoolClass.objects.exists()


def test_leader_cannot_create_grade(world, rf):
    request = rf.post("/")
    request.user = world.users.school_leader
    with pytest.raises(PermissionDenied):
        services.create_grade(request, world.users.school_leader, world.th_school, "1", 2026)


def test_terms(client, world):
    client.force_login(world.users.gd_registrar)
    url = reverse("org:term_list")
    page = client.get(url).content.decode()
    assert "---------" not in page and page.count('<option value="">请选择</option>') + page.count('<option value="" selected>请选择</option>') == 2
    response = client.post(url, {"authority": world.tree.gd.pk, "school_year": "2026", "semester": "1",
                                 "start_date": "2026-09-01", "end_date": "2027-01-31"})
    assert response.status_code == 302
    assert Term.objects.filter(authority=world.tree.gd).count() == 1
    # impossible dates
    response = client.post(url, {"authority": world.tree.gd.pk, "school_year": "2026", "semester": "2",
                                 "start_date": "2027-02-30", "end_date": "2027-07-01"})
    assert response.status_code == 200 and Term.objects.count() == 1
    response = client.post(url, {"authority": world.tree.gd.pk, "school_year": "2026", "semester": "2",
                                 "start_date": "2027-07-01", "end_date": "2027-02-01"})
    assert "结束日期应晚于开始日期" in response.content.decode()
    # another province's authority is not a choice
    response = client.post(url, {"authority": world.tree.gx.pk, "school_year": "2026", "semester": "2",
                                 "start_date": "2027-02-01", "end_date": "2027-07-01"})
    assert response.status_code == 200 and not Term.objects.filter(authority=world.tree.gx).exists()


def test_current_term_nearest_authority_wins(world):
    from xueji.org.selectors import current_term

    Term.objects.create(authority=world.tree.ministry, school_year=2026, semester="1",
                        start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 1, 31))
    province = Term.objects.create(authority=world.tree.gd, school_year=2026, semester="1",
                                   start_date=dt.date(2026, 8, 25), end_date=dt.date(2027, 1, 20))
    assert current_term(world.tree.tianhe, dt.date(2026, 11, 23)) == province
    assert current_term(world.tree.xingning, dt.date(2026, 11, 23)).authority == world.tree.ministry
    assert current_term(world.tree.xingning, dt.date(2026, 8, 1)) is None


def test_school_save_service_refuses_bad_stage_years(world, rf):
    request = rf.post("/")
    school = world.th_school
    before = services.school_snapshot(school)
    school.primary_years = 4
    with pytest.raises(ValidationError):
        services.update_school(request, world.users.school_registrar, school, before)


def test_remove_unused_classes_keeps_what_is_in_use(world):
    from django.db import transaction

    from xueji.org import services as org_services
    from xueji.org.models import Grade, SchoolClass
    from xueji.students import services as student_services
    from xueji.students.tests.conftest import pupil_values

    used_grade = Grade.objects.create(school=world.th_school, stage="1", entry_year=2020)
    idle_grade = Grade.objects.create(school=world.th_school, stage="1", entry_year=2021)
    used = SchoolClass.objects.create(school=world.th_school, grade=used_grade, code="2020101", name="1班")
    idle = SchoolClass.objects.create(school=world.th_school, grade=used_grade, code="2020102", name="2班")
    alone = SchoolClass.objects.create(school=world.th_school, grade=idle_grade, code="2021101", name="1班")
    with transaction.atomic():
        student_services.create_records([student_services.NewRecord(
            values=pupil_values(1), school_id=world.th_school.pk, klass_id=used.pk, number_kind="L")])
    removed, kept = org_services.remove_unused_classes([used.pk, idle.pk, alone.pk, 999999],
                                                       [used_grade.pk, idle_grade.pk])
    assert (removed, kept) == (["2020102", "2021101"], ["2020101"])
    assert set(SchoolClass.objects.values_list("pk", flat=True)) == {used.pk}
    assert set(Grade.objects.values_list("pk", flat=True)) == {used_grade.pk}
    assert not SchoolClass.objects.filter(pk=idle.pk).exists()
