"""The result import: every per-row refusal, the import setting deciding who imports at
each level (province not delegating, province → city, city → county, 直属 schools), the
template, hand entry, oversized and fake files."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from xueji.admission import rules as R
from xueji.admission import services
from xueji.admission.models import AdmissionResult, ImportSetting
from xueji.audit.models import AuditEntry

from .conftest import row


def failures_of(user, *rows):
    outcome = services.import_results(user, list(enumerate(rows, start=2)))
    return outcome, {n: " ".join(m) for n, m in outcome.failures.items()}


def test_every_per_row_refusal(adm):
    w = adm.users
    p, q, hz = adm.th_pupils[0], adm.th_pupils[1], adm.hz_pupils[0]
    from xueji.changes.tests.conftest import pupil
    from xueji.org.models import SchoolClass

    in_school = pupil(SchoolClass.objects.filter(school=adm.th_primary).first())
    outcome, failed = failures_of(
        w.th_registrar,
        row(p, adm.th_primary, adm.th_junior),                                 # 2 passes
        row(p, adm.th_primary, adm.th_junior),                                 # 3 twice in the file
        {**row(q, adm.th_primary, adm.th_junior), "学籍号": "G440106201001019999"},  # 4 unknown number
        row(q, adm.th_primary, adm.th_junior, name="王某某"),                   # 5 name not matching
        row(in_school, adm.th_primary, adm.th_junior),                         # 6 not a graduate
        row(q, adm.th_primary, adm.th_junior, "3"),                            # 7 wrong stage
        row(q, adm.hz_primary, adm.th_junior),                                 # 8 wrong graduating school
        row(hz, adm.hz_primary, adm.hz_junior),                                # 9 admitting school out of scope
        {**row(q, adm.th_primary, adm.th_junior), "录取学校标识码": "9999999999"},  # 10 unknown school
        {**row(q, adm.th_primary, adm.th_junior), "教育阶段": "大学"},           # 11 bad stage
        {"学籍号": "", "姓名": "", "毕业学校标识码": "", "录取学校标识码": "", "教育阶段": ""},  # 12 empty
        row(q, adm.th_primary, adm.th_primary),                                # 13 no 初中 at a primary school
    )
    assert outcome.rows == 12 and outcome.created == 1
    assert "与第2行重复" in failed[3]
    assert "不存在" in failed[4]
    assert "与学籍号不符" in failed[5]
    assert "不是毕业生" in failed[6]
    assert "应录取入初中" in failed[7]
    assert "毕业学校不符" in failed[8]
    assert "不在您的数据范围内" in failed[9]
    assert "“9999999999”不存在" in failed[10]
    assert "应为初中或高中" in failed[11]
    assert "学籍号不能为空" in failed[12] and "姓名不能为空" in failed[12]
    assert "没有初中学段" in failed[13]
    # a second import of the same row: already in that school's results
    _, again = failures_of(w.th_registrar, row(p, adm.th_primary, adm.th_junior))
    assert "已在" in again[2]
    assert AuditEntry.objects.filter(action="admission.imported").count() == 2
    result = outcome.as_result("x.xlsx")
    assert result["failed_count"] == 11 and result["failures"][0]["row"] == 3


def test_only_registrars_import(adm):
    for user in (adm.users.school_leader, adm.users.th_admin, adm.users.parent, adm.users.class_teacher):
        with pytest.raises(PermissionDenied):
            services.import_results(user, [(2, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))])


def test_by_default_the_county_imports(adm):
    w = adm.users
    assert services.effective_import_level(adm.th_junior, "2") == R.COUNTY
    _, failed = failures_of(w.gz_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    assert "由天河区教育局导入" in failed[2]
    _, failed = failures_of(adm.u.th_junior_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    assert "由天河区教育局导入" in failed[2]


def test_province_not_delegating(adm):
    w = adm.users
    services.save_setting(w.gd_registrar, stage="2", level=R.PROVINCE, delegate=False)
    assert services.effective_import_level(adm.th_junior, "2") == R.PROVINCE
    assert services.effective_import_level(adm.th_junior, "3") == R.COUNTY  # the other stage is apart
    with pytest.raises(ValidationError, match="未下放"):
        services.save_setting(w.gz_registrar, stage="2", level=R.COUNTY, delegate=True)
    _, failed = failures_of(w.th_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    assert "由广东省教育厅导入" in failed[2]
    outcome, _ = failures_of(w.gd_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    assert outcome.created == 1


def test_province_delegating_to_the_city(adm):
    w = adm.users
    services.save_setting(w.gd_registrar, stage="2", level=R.CITY, delegate=True)
    assert services.effective_import_level(adm.th_junior, "2") == R.CITY
    services.save_setting(w.gz_registrar, stage="2", level=R.CITY, delegate=False)
    with pytest.raises(ValidationError, match="未下放"):
        services.save_setting(w.th_registrar, stage="2", level=R.SCHOOL, delegate=False)
    assert services.importer_of(adm.th_junior, "2") == adm.tree.gz
    # 深圳 did not set: the province's 地市 holds there too
    assert services.importer_of(adm.ft_junior, "2") == adm.tree.sz
    outcome, _ = failures_of(w.gz_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    assert outcome.created == 1


def test_city_delegating_to_the_county(adm):
    w = adm.users
    services.save_setting(w.gd_registrar, stage="2", level=R.COUNTY, delegate=True)
    services.save_setting(w.gz_registrar, stage="2", level=R.COUNTY, delegate=True)
    services.save_setting(w.th_registrar, stage="2", level=R.SCHOOL, delegate=True)  # delegate ignored for a county
    assert ImportSetting.objects.get(authority=adm.tree.tianhe).delegate is False
    assert services.effective_import_level(adm.th_junior, "2") == R.SCHOOL
    assert services.effective_import_level(adm.hz_junior, "2") == R.COUNTY  # 海珠 kept the city's
    _, failed = failures_of(w.th_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    assert "由天河测试中学导入" in failed[2]
    outcome, _ = failures_of(adm.u.th_junior_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    assert outcome.created == 1
    # a school imports its own rows only
    _, failed = failures_of(adm.u.th_junior_registrar, row(adm.hz_pupils[0], adm.hz_primary, adm.hz_junior))
    assert "不在您的数据范围内" in failed[2]
    # the city stops delegating: the county's setting no longer counts
    services.save_setting(w.gz_registrar, stage="2", level=R.CITY, delegate=False)
    assert services.effective_import_level(adm.th_junior, "2") == R.CITY


def test_a_directly_run_school_is_imported_by_its_supervisor(adm):
    w = adm.users
    services.save_setting(w.gd_registrar, stage="3", level=R.SCHOOL, delegate=False)
    assert services.effective_import_level(adm.th_junior, "3") == R.SCHOOL
    assert services.importer_of(adm.city_senior, "3") == adm.tree.gz
    outcome, _ = failures_of(w.gz_registrar, row(adm.th_juniors[0], adm.th_junior, adm.city_senior, "3"))
    assert outcome.created == 1


def test_setting_refusals_by_role_and_level(adm):
    w = adm.users
    with pytest.raises(PermissionDenied):
        services.save_setting(adm.u.th_junior_registrar, stage="2", level=R.SCHOOL, delegate=False)
    with pytest.raises(ValidationError, match="只能选择"):
        services.save_setting(w.th_registrar, stage="2", level=R.PROVINCE, delegate=False)
    with pytest.raises(ValidationError, match="初中或高中"):
        services.save_setting(w.gd_registrar, stage="1", level=R.PROVINCE, delegate=False)
    with pytest.raises(ValidationError, match="只有省级"):
        services.save_setting(w.moe_registrar, stage="2", level=R.PROVINCE, delegate=False)
    assert AuditEntry.objects.filter(action="admission.setting_saved").count() == 0


def test_hand_entry(adm):
    w = adm.users
    result = services.enter_result(w.th_registrar, number=adm.th_pupils[0].national_number,
                                   name=adm.th_pupils[0].name, graduating_code=adm.th_primary.code,
                                   admitting_code=adm.th_junior.code, stage="初中")
    assert result.source == "hand" and result.stage == "2"
    with pytest.raises(ValidationError, match="已在"):
        services.enter_result(w.th_registrar, number=adm.th_pupils[0].national_number, name=adm.th_pupils[0].name,
                              graduating_code=adm.th_primary.code, admitting_code=adm.th_junior.code, stage="2")
    assert AuditEntry.objects.filter(action="admission.entered").count() == 1
    services.delete_result(w.th_registrar, result)
    result.refresh_from_db()
    assert result.state == "withdrawn"
    with pytest.raises(ValidationError):
        services.delete_result(w.th_registrar, result)


def _workbook(rows) -> bytes:
    from xueji.common.xlsx_writer import XlsxStream

    buffer = io.BytesIO()
    with XlsxStream(buffer, "招生结果") as sheet:
        sheet.append(R.HEADERS)
        for r in rows:
            sheet.append([r[h] for h in R.HEADERS])
    return buffer.getvalue()


def test_the_template_reads_back(adm):
    from xueji.students.excel import read_rows

    content = services.template_workbook()
    assert list(read_rows(io.BytesIO(_workbook([row(adm.th_pupils[0], adm.th_primary, adm.th_junior)])),
                          headers=R.HEADERS))[0][1]["姓名"] == adm.th_pupils[0].name
    from xueji.students.excel import ExcelFormatError

    with pytest.raises(ExcelFormatError, match="没有数据|表头"):
        list(read_rows(io.BytesIO(content), headers=R.HEADERS))


def test_the_import_job_reports_rows_and_refuses_fake_files(adm, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xueji.jobs.models import Job

    w = adm.users
    content = _workbook([row(adm.th_pupils[0], adm.th_primary, adm.th_junior),
                         row(adm.th_pupils[1], adm.th_primary, adm.th_junior, name="错名")])
    job = services.submit_import(w.th_registrar, SimpleUploadedFile("招生结果.xlsx", content))
    job = Job.objects.get(pk=job.pk)
    assert job.status == "done", job.error if hasattr(job, "error") else job.status
    assert job.result["created"] == 1 and job.result["failures"][0]["row"] == 3
    assert AdmissionResult.objects.filter(job=job).count() == 1
    fake = services.submit_import(w.th_registrar, SimpleUploadedFile("招生结果.xlsx", b"not a workbook at all"))
    fake = Job.objects.get(pk=fake.pk)
    assert fake.status == "failed"
