"""What a new user stumbled on (issue 7 §7): the simulated population registry and its
notice, the row-error page and 导出未通过行, the template's Chinese name, the single-entry
form in sections with choices and division names, the division picker's data, the
registration pages in Chinese."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from xueji.audit.models import AuditEntry
from xueji.org.models import Division
from xueji.registration import adapters
from xueji.registration.models import Registration, SimulatedResident, Upload, VerifyStatus
from xueji.registration.testing import workbook_bytes
from xueji.students import fields
from xueji.students.excel import DATA_SHEET, REASON_HEADER, build_template
from xueji.students.rules import id_check_digit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SIMULATED = "xueji.registration.adapters.SimulatedPopulationRegistry"
HTTP = "xueji.registration.adapters.HttpPopulationRegistry"


def _upload(client, content: bytes, entry="primary-resident"):
    return client.post(reverse("registration:upload", args=[entry]),
                       {"file": SimpleUploadedFile("学生.xlsx", content, content_type=XLSX)})


# --- the simulated population registry ---------------------------------------------------------
def _valid_id(prefix="440106", birth="20190304", seq="123") -> str:
    first17 = prefix + birth + seq
    return first17 + id_check_digit(first17)


def test_simulated_registry_accepts_any_well_formed_number(db):
    registry = adapters.SimulatedPopulationRegistry()
    number = _valid_id()
    assert not SimulatedResident.objects.filter(id_number=number).exists()
    assert registry.verify([adapters.Person(number, "新用户")]) == {number: adapters.Verdict(True)}


def test_simulated_registry_refuses_malformed_numbers(db):
    number = _valid_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    verdicts = adapters.SimulatedPopulationRegistry().verify([
        adapters.Person(wrong, "甲"), adapters.Person("12345", "乙"), adapters.Person("", "丙"),
    ])
    assert all(not v.verified and v.reason == "人口信息库中无此身份证件号" for v in verdicts.values())


def test_simulated_registry_not_found_list_from_settings(db, settings):
    listed = _valid_id(seq="991")
    settings.XUEJI_SIMULATED_NOT_FOUND_IDS = (listed,)
    verdicts = adapters.SimulatedPopulationRegistry().verify([adapters.Person(listed, "甲"),
                                                             adapters.Person(_valid_id(seq="992"), "乙")])
    assert verdicts[listed] == adapters.Verdict(False, "人口信息库中无此身份证件号")
    assert verdicts[_valid_id(seq="992")].verified


def test_the_documented_not_found_numbers_are_well_formed(settings):
    """docs/REGISTRATION.md lists them: each must pass the field rules, or nobody could
    try them."""
    from xueji.students.rules import check_resident_id

    assert len(settings.XUEJI_SIMULATED_NOT_FOUND_IDS) >= 3
    for number in settings.XUEJI_SIMULATED_NOT_FOUND_IDS:
        assert check_resident_id(number) == [], number
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "REGISTRATION.md").read_text(encoding="utf-8")
    for number in settings.XUEJI_SIMULATED_NOT_FOUND_IDS:
        assert number in doc


def test_simulated_registry_table_not_found_and_name_mismatch(db):
    absent, known = _valid_id(seq="993"), _valid_id(seq="995")
    SimulatedResident.objects.create(id_number=absent, not_found=True)
    SimulatedResident.objects.create(id_number=known, name="王小明")
    verdicts = adapters.SimulatedPopulationRegistry().verify([
        adapters.Person(absent, "甲"), adapters.Person(known, "王晓明"),
    ])
    assert verdicts[absent] == adapters.Verdict(False, "人口信息库中无此身份证件号")
    assert verdicts[known] == adapters.Verdict(False, "姓名与人口信息库不一致")
    assert adapters.SimulatedPopulationRegistry().verify([adapters.Person(known, "王小明")])[known].verified


def test_a_new_users_id_registers_verified(client, reg):
    """The demo complaint: every ID a new user typed failed and became an L number."""
    client.force_login(reg.users.school_registrar)
    row = reg.row(1)
    SimulatedResident.objects.all().delete()  # a number the table has never seen
    _upload(client, workbook_bytes("primary-resident", [row]))
    registration = Registration.objects.get()
    assert registration.verify_status == VerifyStatus.PASSED and registration.verify_note == ""


def test_registration_pages_say_the_registry_is_simulated(client, reg, settings):
    client.force_login(reg.users.school_registrar)
    pages = [reverse("registration:index"), reverse("registration:upload", args=["primary-resident"]),
             reverse("registration:single_entry", args=["other-resident"]), reverse("registration:pending")]
    for url in pages:
        assert "人口信息库为模拟环境" in client.get(url).content.decode(), url
    settings.XUEJI_POPULATION_REGISTRY = HTTP
    for url in pages:
        assert "人口信息库为模拟环境" not in client.get(url).content.decode(), url


# --- row errors and 导出未通过行 ------------------------------------------------------------------
def _bad_upload(client, reg):
    client.force_login(reg.users.school_registrar)
    good, duplicate = reg.row(1), reg.row(2)
    rows = [
        good,
        reg.row(3, 身份证件号="440106201901011230", 成员1姓名="A1", 现住址="+HYPERLINK(\"http://x\")"),
        dict(good, 姓名=duplicate["姓名"]),  # passes the field rules, turned away by 查重
    ]
    response = _upload(client, workbook_bytes("primary-resident", rows))
    result = client.get(response["Location"])  # the job page goes on to the upload's result page
    return Upload.objects.get(pk=int(result["Location"].rstrip("/").split("/")[-1]))


def test_row_error_page_lists_reasons_without_a_stray_comma(client, reg):
    upload = _bad_upload(client, reg)
    page = client.get(reverse("registration:upload_detail", args=[upload.pk])).content.decode()
    for error in upload.row_errors.all():
        for message in error.messages:
            assert f"<li>{message}</li>" in page
    assert "</li>," not in page and ",</td>" not in page
    assert "导出未通过行" in page
    assert "440106201901011230" not in page  # the list masks ID numbers


def test_export_failed_rows_is_the_template_with_reasons(client, reg):
    upload = _bad_upload(client, reg)
    response = client.get(reverse("registration:upload_failed_rows", args=[upload.pk]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    name = "居民身份证小学新生注册未通过行.xlsx"
    assert f"filename*=UTF-8''{quote(name)}" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content))[DATA_SHEET]
    headers = [c.value for c in sheet[1]]
    assert headers == [*fields.headers(), REASON_HEADER]
    rows = [dict(zip(headers, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    rows = [r for r in rows if any(r.values())]
    assert len(rows) == 2 == upload.failed_rows
    refused, duplicate = rows
    assert refused["身份证件号"] == "440106201901011230" and refused["成员1姓名"] == "A1"
    assert refused["现住址"] == "'+HYPERLINK(\"http://x\")"  # never a formula
    assert "成员1姓名" in refused[REASON_HEADER]
    assert "重复" in duplicate[REASON_HEADER] and duplicate["班号"] and duplicate["籍贯"] == "440106000000"
    assert duplicate["性别"] in ("1-男", "2-女") and duplicate["是否独生子女"] == "否"
    assert AuditEntry.objects.filter(action="registration.failed_rows_exported").count() == 1


def test_corrected_failed_rows_import_again(client, reg):
    """The point of the export: correct the cells the reasons name, import the same file."""
    upload = _bad_upload(client, reg)
    content = client.get(reverse("registration:upload_failed_rows", args=[upload.pk])).content
    book = load_workbook(io.BytesIO(content))
    sheet = book[DATA_SHEET]
    headers = [c.value for c in sheet[1]]
    fixed = {"身份证件号": reg.row(3)["身份证件号"], "成员1姓名": "张大明", "现住址": "测试路3号"}
    for column, value in fixed.items():
        sheet.cell(row=2, column=headers.index(column) + 1, value=value)
    sheet.delete_rows(3)  # the duplicate stays a duplicate
    out = io.BytesIO()
    book.save(out)
    _upload(client, out.getvalue())
    second = Upload.objects.order_by("-pk").first()
    assert (second.total_rows, second.passed_rows, second.failed_rows) == (1, 1, 0)


def test_export_failed_rows_scope_and_role(client, reg):
    upload = _bad_upload(client, reg)
    url = reverse("registration:upload_failed_rows", args=[upload.pk])
    client.force_login(reg.users.hz_school_registrar)
    assert client.get(url).status_code == 404  # another school's upload
    client.force_login(reg.users.school_leader)
    assert client.get(url).status_code == 403
    assert client.get(reverse("registration:upload_failed_rows", args=[999999])).status_code == 404


def test_template_downloads_under_its_chinese_name(client, reg):
    client.force_login(reg.users.school_registrar)
    response = client.get(reverse("registration:template", args=["primary-resident"]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="primary-resident.xlsx"')
    assert f"filename*=UTF-8''{quote('居民身份证小学新生注册导入模板.xlsx')}" in disposition


# --- the single-entry form ----------------------------------------------------------------------
def test_single_entry_form_in_the_templates_sections(client, reg):
    client.force_login(reg.users.school_registrar)
    page = client.get(reverse("registration:single_entry", args=["other-resident"])).content.decode()
    sections = ["学生个人基础信息", "学生个人辅助信息", "学生学籍基本信息", "学生个人联系信息", "学生个人扩展信息",
                "学生上下学交通方式", "家庭成员1", "家庭成员2"]
    positions = [page.index(f'data-section="{s}"') for s in sections]
    assert positions == sorted(positions)
    assert '<option value="01">01-汉族</option>' in page
    assert '<option value="是">是</option>' in page
    assert 'data-division-picker="1"' in page and "division-picker.js" in page
    assert "<script>" not in page and "onclick" not in page.split('data-testid="single-entry"')[1]
    # required marks: 姓名 always, 籍贯 for a resident, 曾用名 never
    assert 'name="姓名"' in page and 'aria-required="true"' in page
    form = page.split('data-testid="single-entry"')[1]
    assert form.count('aria-required="true"') >= 25
    tags = {name: tag for tag in re.findall(r"<(?:input|select)[^>]*>", form)
            for name in re.findall(r'name="([^"]+)"', tag)}
    assert 'aria-required="true"' in tags["姓名"] and 'aria-required="true"' in tags["籍贯"]
    assert 'aria-required="true"' not in tags["曾用名"] and 'aria-required="true"' not in tags["成员2姓名"]


def test_single_entry_takes_a_division_name(client, reg):
    client.force_login(reg.users.school_registrar)
    row = reg.row(5, klass=reg.class3)
    row.pop("学校标识码")
    row.update({"籍贯": "广东省广州市天河区", "出生地行政区划代码": "广州市天河区", "户口所在地行政区划": "440106000000"})
    response = client.post(reverse("registration:single_entry", args=["other-resident"]), row)
    assert response.status_code == 302, response.content.decode()[:3000]
    payload = Registration.objects.get().business.payload
    assert payload["values"]["native_place_code"] == "440106000000"
    assert payload["values"]["birthplace_code"] == "440106000000"


def test_single_entry_puts_each_message_on_its_field(client, reg):
    client.force_login(reg.users.school_registrar)
    row = reg.row(6, klass=reg.class3)
    row.update({"籍贯": "广东省广州市"})
    response = client.post(reverse("registration:single_entry", args=["other-resident"]), row)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["籍贯"] == ["籍贯应精确填写到区县(如“广东省广州市天河区”或12位行政区划代码)"]
    assert not Registration.objects.exists()


# --- the division picker's data ------------------------------------------------------------------
def test_division_children_json(client, reg):
    url = reverse("org:division_children")
    assert client.get(url).status_code == 302  # login required
    client.force_login(reg.users.school_registrar)
    provinces = client.get(url).json()["items"]
    assert {"code": "440000000000", "name": "广东省", "leaf": False} in provinces
    assert all(len(item["code"]) == 12 for item in provinces)
    cities = client.get(url, {"parent": "440000000000"}).json()["items"]
    assert any(item["name"] == "广州市" for item in cities)
    counties = client.get(url, {"parent": "440100000000"}).json()["items"]
    assert {"code": "440106000000", "name": "天河区", "leaf": True} in counties
    for bad in ("abc", "4401", "' OR 1=1", "999999999999", "440106000000" * 3):
        response = client.get(url, {"parent": bad})
        assert response.status_code == 200 and response.json() == {"items": []}


@pytest.mark.django_db
def test_division_children_leave_out_placeholders(client, world):
    Division.objects.create(code="440101000000", name="市辖区", level=3, parent_id="440100000000")
    client.force_login(world.users.school_registrar)
    counties = client.get(reverse("org:division_children"), {"parent": "440100000000"}).json()["items"]
    assert "市辖区" not in {item["name"] for item in counties}


# --- registration pages in Chinese ------------------------------------------------------------------
def test_registration_detail_speaks_chinese(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    registration = Registration.objects.get()
    page = client.get(reverse("registration:detail", args=[registration.pk])).content.decode()
    assert "1-居民身份证" in page and "身份证件</th><td>1 " not in page
    assert f"一年级1班({reg.class1.code})" in page
    assert "等待学校审核" in page or "等待学校" in page
    assert ">school<" not in page and ":school" not in page
    birth = registration.birth_date
    assert f"{birth:%Y-%m-%d}" in page


def test_pending_list_shows_class_names_and_iso_dates(client, reg):
    client.force_login(reg.users.school_leader)
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    client.force_login(reg.users.school_leader)
    page = client.get(reverse("registration:pending"), {"state": "audit"}).content.decode()
    registration = Registration.objects.get()
    assert f"一年级1班({reg.class1.code})" in page
    assert f"{registration.birth_date:%Y-%m-%d}" in page


def test_primary_and_other_halves(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    client.force_login(reg.users.school_leader)
    primary = client.get(reverse("registration:pending"), {"state": "audit", "group": "primary"}).content.decode()
    other = client.get(reverse("registration:pending"), {"state": "audit", "group": "other"}).content.decode()
    name = Registration.objects.get().name
    assert name in primary and name not in other
    assert "小学新生注册" in primary
    client.force_login(reg.users.school_registrar)
    index = client.get(reverse("registration:index"), {"group": "other"}).content.decode()
    entries = index.split('data-testid="entries"')[1].split("</table>")[0]
    assert "居民身份证非小学新生注册" in entries and "居民身份证小学新生注册" not in entries
    # an unknown group is just ignored
    assert client.get(reverse("registration:index"), {"group": "<x>"}).status_code == 200


def test_built_template_with_rows_escapes_formulas():
    content = build_template("primary-resident", rows=[({"姓名": "=1+1", "现住址": "@SUM(A1)"}, "-原因")])
    sheet = load_workbook(io.BytesIO(content))[DATA_SHEET]
    values = [c.value for c in sheet[2] if c.value]
    assert values == ["'=1+1", "'@SUM(A1)", "'-原因"]
