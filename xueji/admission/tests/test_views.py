"""The 招生入学 pages: each role sees only its pages; bad filters are 403, out-of-scope ids
404 + audit, nothing answers 500; the registrar admits, retrieves and places from the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xueji.admission import services
from xueji.admission.models import AdmissionResult, State
from xueji.audit.models import AuditEntry
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from .conftest import row

PAGES = ("admission:junior_import_settings", "admission:senior_import_settings", "admission:results",
         "admission:admit", "admission:retrieve", "admission:placement", "admission:progression")
AUTHORITY = {"admission:junior_import_settings", "admission:senior_import_settings", "admission:results",
             "admission:progression"}
SCHOOL = {"admission:results", "admission:admit", "admission:retrieve", "admission:placement"}
ALLOWED = {
    "school_registrar": SCHOOL, "school_leader": SCHOOL, "th_registrar": AUTHORITY, "gd_registrar": AUTHORITY,
    "class_teacher": set(), "data_checker": set(), "th_admin": set(), "parent": set(),
}


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_every_role_sees_only_its_pages(client, adm, who):
    client.force_login(getattr(adm.users, who))
    for name in PAGES:
        status = client.get(reverse(name)).status_code
        assert status == (200 if name in ALLOWED[who] else 403), (who, name, status)


@pytest.mark.parametrize("name", ["admission:results", "admission:admit", "admission:retrieve", "admission:placement"])
@pytest.mark.parametrize("params", [{"stage": "9"}, {"state": "x"}, {"number": "abc"}, {"id_number": "一二三"},
                                    {"year": "20x5"}])
def test_bad_filters_are_403(client, adm, name, params):
    client.force_login(adm.u.th_junior_registrar)
    assert client.get(reverse(name), params).status_code == 403


def test_odd_paging_and_sorting_never_500(client, adm):
    client.force_login(adm.users.th_registrar)
    for params in ({"page": "x"}, {"size": "-1"}, {"sort": "nonsense"}, {"job": "abc"}):
        assert client.get(reverse("admission:results"), params).status_code in (200, 404)


def test_admit_retrieve_and_place_from_the_pages(client, adm):
    u, w = adm.u, adm.users
    outcome = services.import_results(w.th_registrar, [(2, row(adm.th_pupils[0], adm.th_primary, adm.th_junior)),
                                                       (3, row(adm.th_pupils[1], adm.th_primary, adm.th_junior))])
    a, b = AdmissionResult.objects.filter(pk__in=outcome.created_ids).order_by("pk")
    client.force_login(u.th_junior_registrar)
    page = client.get(reverse("admission:admit")).content.decode()
    assert adm.th_pupils[0].name in page and adm.th_pupils[0].id_number not in page  # masked
    assert client.post(reverse("admission:admit"), {"result": [a.pk, b.pk]}).status_code == 302
    a.refresh_from_db()
    assert a.state == State.REVIEWING
    for r in (a, b):
        business = Business.objects.get(pk=AdmissionResult.objects.get(pk=r.pk).business_id)
        workflow.decide(business, u.th_junior_leader, True)
        business.refresh_from_db()
        workflow.decide(business, w.th_registrar, True)
    assert adm.th_pupils[0].name in client.get(reverse("admission:retrieve")).content.decode()
    assert client.post(reverse("admission:retrieve"), {"result": [a.pk, b.pk]}).status_code == 302
    assert set(AdmissionResult.objects.values_list("state", flat=True)) == {State.RETRIEVED}
    from xueji.org.models import SchoolClass

    c1, c2 = SchoolClass.objects.filter(grade=adm.th_grade).order_by("code")
    page = client.post(reverse("admission:placement"), {"result": [a.pk, b.pk], "klass": [c1.pk, c2.pk],
                                                        "how": "auto"}).content.decode()
    assert "分班结果" in page and "已分班2人" in page
    assert set(AdmissionResult.objects.values_list("state", flat=True)) == {State.PLACED}
    client.force_login(w.th_registrar)
    page = client.get(reverse("admission:progression"), {"year": str(adm.year)}).content.decode()
    assert adm.th_pupils[0].name in page and adm.th_junior.name in page and adm.th_primary.name in page


def test_another_schools_rows_are_404_and_audited(client, adm):
    w = adm.users
    outcome = services.import_results(w.hz_registrar, [(2, row(adm.hz_pupils[0], adm.hz_primary, adm.hz_junior))])
    (other,) = outcome.created_ids
    client.force_login(adm.u.th_junior_registrar)
    for name, data in (("admission:admit", {"result": [other]}), ("admission:retrieve", {"result": [other, "x"]}),
                       ("admission:placement", {"result": [other], "klass": ["1"], "how": "auto"})):
        before = AuditEntry.objects.filter(action="scope.denied").count()
        response = client.post(reverse(name), data, follow=True)
        assert response.status_code == 200 and "不在您的数据范围内" in response.content.decode()
        assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    assert AdmissionResult.objects.get(pk=other).state == State.WAITING
    client.force_login(w.th_registrar)
    assert client.post(reverse("admission:delete", args=[other])).status_code == 404
    assert client.post(reverse("admission:delete", args=[999999])).status_code == 404
    client.force_login(adm.users.school_leader)
    assert client.post(reverse("admission:admit"), {"result": [other]}).status_code == 403


def test_the_ministry_does_not_set_the_import_level(client, adm):
    client.force_login(adm.users.moe_registrar)
    assert client.get(reverse("admission:junior_import_settings")).status_code == 403
    assert client.post(reverse("admission:senior_import_settings"), {"level": "1"}).status_code == 403


def test_settings_page_saves_and_shows_subordinates(client, adm):
    client.force_login(adm.users.gz_registrar)
    page = client.get(reverse("admission:junior_import_settings")).content.decode()
    assert "天河区教育局" in page and "区县" in page
    assert client.post(reverse("admission:junior_import_settings"), {"level": "2", "delegate": "0"}).status_code == 302
    assert services.effective_import_level(adm.th_junior, "2") == "2"
    client.force_login(adm.users.th_registrar)
    page = client.get(reverse("admission:junior_import_settings")).content.decode()
    assert "未下放权限" in page
    page = client.post(reverse("admission:junior_import_settings"), {"level": "4"}, follow=True).content.decode()
    assert "未下放" in page


def test_results_page_imports_enters_and_reports(client, adm, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(adm.users.th_registrar)
    assert client.get(reverse("admission:template")).status_code == 200
    page = client.post(reverse("admission:enter"), {"number": adm.th_pupils[0].national_number, "name": "错的",
                                                    "graduating": adm.th_primary.code, "admitting": adm.th_junior.code,
                                                    "stage": "2"}, follow=True).content.decode()
    assert "与学籍号不符" in page
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("admission:import"), {"file": SimpleUploadedFile("a.txt", b"x")}, follow=True)
    assert "只能导入Excel文件" in response.content.decode()
    from .test_import import _workbook

    content = _workbook([row(adm.th_pupils[0], adm.th_primary, adm.th_junior),
                         row(adm.th_pupils[1], adm.th_primary, adm.th_junior, name="错名")])
    response = client.post(reverse("admission:import"), {"file": SimpleUploadedFile("r.xlsx", content)})
    assert response.status_code == 302
    from xueji.jobs.models import Job

    job = Job.objects.get(kind=services.IMPORT_JOB)
    page = client.get(reverse("admission:results"), {"job": job.pk}).content.decode()
    assert "导入1行" in page and "与学籍号不符" in page
    client.force_login(adm.users.hz_registrar)
    assert client.get(reverse("admission:results"), {"job": job.pk}).status_code == 404


def test_results_page_tells_a_school_who_imports_and_offers_the_import_only_to_that_unit(client, adm):
    """By default 天河区 imports: 天河测试中学's registrar is told so and sees no import form;
    once 天河区 sets 学校 (the province and city delegating), the school imports its own."""
    u, w = adm.u, adm.users
    client.force_login(u.th_junior_registrar)
    page = client.get(reverse("admission:results")).content.decode()
    assert "本校初中招生结果由<strong>天河区教育局</strong>导入" in page
    assert "本校高中招生结果由<strong>天河区教育局</strong>导入" in page
    assert 'data-testid="enter-form"' not in page and "下载招生结果模板" not in page
    services.save_setting(w.gd_registrar, stage="2", level="3", delegate=True)
    services.save_setting(w.gz_registrar, stage="2", level="3", delegate=True)
    services.save_setting(w.th_registrar, stage="2", level="4", delegate=False)
    page = client.get(reverse("admission:results")).content.decode()
    assert "本校初中招生结果由<strong>本校</strong>导入" in page and 'data-testid="enter-form"' in page
    # an authority registrar imports (each row checked against the settings) and is told how
    client.force_login(w.th_registrar)
    page = client.get(reverse("admission:results")).content.decode()
    assert 'data-testid="enter-form"' in page and "由本单位导入的学校" in page
    assert 'data-testid="importers"' not in page


def test_import_settings_form_shows_the_level_in_force(client, adm):
    """Nothing set: the form preselects the inherited level (区县), not the first option."""
    client.force_login(adm.users.gz_registrar)
    page = client.get(reverse("admission:junior_import_settings")).content.decode()
    assert '<option value="3" selected>区县</option>' in page
    services.save_setting(adm.users.gz_registrar, stage="2", level="2", delegate=False)
    page = client.get(reverse("admission:junior_import_settings")).content.decode()
    assert '<option value="2" selected>地市</option>' in page
