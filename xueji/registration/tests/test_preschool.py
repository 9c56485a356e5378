"""学前调档 (F-45): the list by form and Excel, matching against the preschool registry,
confirmation, 学前档案信息补录 through the registration pipeline, 调档学生导出, scope."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from xueji.audit.models import AuditEntry
from xueji.codes import tables as codes
from xueji.jobs.models import Job
from xueji.registration import preschool
from xueji.registration.models import (
    PreschoolRequest,
    PreschoolStatus,
    Registration,
    SimulatedPreschoolRecord,
)
from xueji.registration.testing import first_grade_birth, resident_id
from xueji.students import fields
from xueji.students.excel import DATA_SHEET
from xueji.testing import PASSWORD, make_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _child(reg, i: int, gender: str = "1", **overrides) -> dict:
    """The five columns of a first-grader (resident ID; gender and birth from the number)."""
    birth = first_grade_birth(reg.year, i)
    row = {"姓名": f"学前{'甲乙丙丁戊己庚辛壬癸'[i % 10]}{'子丑寅卯辰巳午未申酉'[i // 10 % 10]}",
           "身份证件类型": "1", "身份证件号": resident_id("440106", birth, i, gender)}
    row.update(overrides)
    return row


def _preschool_record(ref: str, child: dict, **data) -> SimulatedPreschoolRecord:
    number = child.get("身份证件号", "")
    birth = dt.datetime.strptime(number[6:14], "%Y%m%d").date() if len(number) == 18 else child["出生日期"]
    return SimulatedPreschoolRecord.objects.create(
        ref=ref, name=child["姓名"], gender=child.get("性别") or ("1" if int(number[16]) % 2 else "2"),
        birth_date=birth, id_type=child["身份证件类型"], id_number=number, kindergarten="天河区第一幼儿园",
        data=data)


def _add(reg, rows, user=None):
    return preschool.add_children(reg.world.th_school, user or reg.users.school_registrar,
                                  list(enumerate(rows, start=2)))


def _form_data(row: dict) -> dict:
    """A registration row as the single-entry form posts it (codes, not labels)."""
    data = {}
    for header, value in row.items():
        field = fields.BY_HEADER.get(header)
        if field is None or header == "学校标识码":
            continue
        data[header] = codes.parse(field.code_table, value) if field.code_table else value
    return data


# --- entry -------------------------------------------------------------------------------------

def test_form_entry_derives_gender_and_birth_from_the_id(client, reg):
    client.force_login(reg.users.school_registrar)
    child = _child(reg, 1, gender="2")
    response = client.post(reverse("registration:preschool_add"), {
        "name": child["姓名"], "id_type": "1", "id_number": child["身份证件号"],
        "gender": "1", "birth_date": "20000101",  # disabled on the page; ignored for a resident ID
    })
    assert response.status_code == 302
    req = PreschoolRequest.objects.get()
    assert req.gender == "2" and req.birth_date == first_grade_birth(reg.year, 1)
    assert req.status == PreschoolStatus.NOT_FOUND and req.school == reg.world.th_school
    assert AuditEntry.objects.filter(action="registration.preschool_added").exists()
    page = client.get(reverse("registration:preschool_list")).content.decode()
    assert child["姓名"] in page and "未查到学前学籍" in page and child["身份证件号"] not in page  # masked


def test_form_marks_gender_and_birth_disabled_for_resident_id(client, reg):
    client.force_login(reg.users.school_registrar)
    req = _add(reg, [_child(reg, 2)]).created[0]
    page = client.get(reverse("registration:preschool_edit", args=[req.pk])).content.decode()
    assert re.search(r'<select name="gender"[^>]*disabled', page)
    assert re.search(r'<input type="text" name="birth_date"[^>]*disabled', page)
    page = client.get(reverse("registration:preschool_add")).content.decode()
    assert not re.search(r'<select name="gender"[^>]*disabled', page)


def test_duplicate_id_in_the_school_is_refused(client, reg):
    child = _child(reg, 3)
    assert _add(reg, [child]).created
    outcome = _add(reg, [child])
    assert not outcome.created and outcome.failed[0].messages == [preschool.DUPLICATE_MESSAGE]
    client.force_login(reg.users.school_registrar)
    page = client.post(reverse("registration:preschool_add"), {
        "name": child["姓名"], "id_type": "1", "id_number": child["身份证件号"]}).content.decode()
    assert preschool.DUPLICATE_MESSAGE in page
    # twice in one file: the second row
    other = _child(reg, 4)
    outcome = _add(reg, [other, dict(other)])
    assert len(outcome.created) == 1 and outcome.failed[0].row == 3
    assert "第2行" in outcome.failed[0].messages[0]
    assert PreschoolRequest.objects.count() == 2
    # another school may list the same child
    assert preschool.add_children(reg.world.hz_school, reg.users.hz_school_registrar, [(1, child)]).created


def test_rules_of_the_five_columns(reg):
    good = _child(reg, 5)
    outcome = _add(reg, [
        dict(good, 性别="2"),                                  # disagrees with the number
        _child(reg, 6, 身份证件号=_child(reg, 6)["身份证件号"][:17] + "Y"),  # not a check character
        {"姓名": "无证儿童", "身份证件类型": "Z", "身份证件号": ""},  # Z needs gender and birth date
        {"姓名": "x1", "身份证件类型": "1", "身份证件号": good["身份证件号"]},
    ])
    assert not outcome.created
    messages = {f.row: f.messages for f in outcome.failed}
    assert "性别与身份证件号不一致" in messages[2]
    assert any(m.startswith("身份证件号格式不正确") for m in messages[3])
    assert "性别不能为空" in messages[4] and "出生日期不能为空" in messages[4]
    assert any(m.startswith("姓名格式不正确") for m in messages[5])


def test_only_the_schools_registrar(reg):
    with pytest.raises(PermissionDenied):
        _add(reg, [_child(reg, 7)], user=reg.users.school_leader)
    with pytest.raises(PermissionDenied):
        _add(reg, [_child(reg, 7)], user=reg.users.hz_school_registrar)


# --- matching ------------------------------------------------------------------------------------

def test_one_none_and_several_matches_and_confirmation(reg):
    one, none, several = _child(reg, 10), _child(reg, 11), _child(reg, 12, gender="2")
    _preschool_record("K1", one)
    _preschool_record("K2", several)
    _preschool_record("K3", several)
    outcome = _add(reg, [one, none, several])
    by_name = {r.name: r for r in outcome.created}
    assert by_name[one["姓名"]].status == PreschoolStatus.MATCHED
    assert by_name[one["姓名"]].chosen["ref"] == "K1"
    assert by_name[none["姓名"]].status == PreschoolStatus.NOT_FOUND
    waiting = by_name[several["姓名"]]
    assert waiting.status == PreschoolStatus.TO_CONFIRM and len(waiting.matches) == 2 and waiting.chosen is None
    assert outcome.counts == {"matched": 1, "not_found": 1, "to_confirm": 1}

    with pytest.raises(ValidationError):
        preschool.confirm_match(waiting, reg.users.school_registrar, "K1")  # not one of its records
    confirmed = preschool.confirm_match(waiting, reg.users.school_registrar, "K3")
    assert confirmed.status == PreschoolStatus.MATCHED and confirmed.chosen["ref"] == "K3"
    with pytest.raises(ValidationError):
        preschool.confirm_match(confirmed, reg.users.school_registrar, "K2")  # no longer waiting


def test_confirm_none_through_the_page(client, reg):
    child = _child(reg, 13)
    _preschool_record("K4", child)
    _preschool_record("K5", child)
    (req,) = _add(reg, [child]).created
    client.force_login(reg.users.school_registrar)
    page = client.get(reverse("registration:preschool_confirm", args=[req.pk])).content.decode()
    assert "K4" in page and "K5" in page and "天河区第一幼儿园" in page
    client.post(reverse("registration:preschool_confirm", args=[req.pk]), {"action": "none"})
    req.refresh_from_db()
    assert req.status == PreschoolStatus.NOT_FOUND and req.chosen is None


def test_no_id_child_matched_by_name_gender_birth(reg):
    child = {"姓名": "无证儿童", "性别": "2", "出生日期": first_grade_birth(reg.year, 14).strftime("%Y%m%d"),
             "身份证件类型": "Z", "身份证件号": ""}
    SimulatedPreschoolRecord.objects.create(ref="KZ", name="无证儿童", gender="2",
                                            birth_date=first_grade_birth(reg.year, 14), id_type="Z",
                                            kindergarten="天河区第二幼儿园")
    (req,) = _add(reg, [child]).created
    assert req.status == PreschoolStatus.MATCHED and req.id_number == ""


def test_rematch_finds_a_record_added_later(reg):
    child = _child(reg, 15)
    (req,) = _add(reg, [child]).created
    assert req.status == PreschoolStatus.NOT_FOUND
    _preschool_record("K6", child)
    assert preschool.rematch_children([req], reg.users.school_registrar) == 1
    req.refresh_from_db()
    assert req.status == PreschoolStatus.MATCHED


def test_edit_matches_again(client, reg):
    (req,) = _add(reg, [_child(reg, 16)]).created
    better = _child(reg, 17)
    _preschool_record("K7", better)
    client.force_login(reg.users.school_registrar)
    response = client.post(reverse("registration:preschool_edit", args=[req.pk]), {
        "name": better["姓名"], "id_type": "1", "id_number": better["身份证件号"]})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == PreschoolStatus.MATCHED and req.id_number == better["身份证件号"]


# --- Excel -----------------------------------------------------------------------------------------

def _sheet(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_excel_template_and_import(client, reg):
    client.force_login(reg.users.school_registrar)
    response = client.get(reverse("registration:preschool_template"))
    book = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]] == list(preschool.CHILD_HEADERS)

    a, b = _child(reg, 20), _child(reg, 21, gender="2")
    _preschool_record("K8", a)
    content = _sheet([
        list(preschool.CHILD_HEADERS),
        [a["姓名"], "", "", "1-居民身份证", a["身份证件号"]],
        [b["姓名"], "男", "", "1", b["身份证件号"]],  # gender disagrees with the number
        ["无证儿童", "2-女", "20190301", "Z-其他", ""],
    ])
    response = client.post(reverse("registration:preschool_import"),
                           {"file": SimpleUploadedFile("一年级名单.xlsx", content, content_type=XLSX)}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "性别与身份证件号不一致" in page
    created = {r.name: r for r in PreschoolRequest.objects.all()}
    assert set(created) == {a["姓名"], "无证儿童"}
    assert created[a["姓名"]].status == PreschoolStatus.MATCHED
    assert created[a["姓名"]].source_name == "一年级名单.xlsx"
    listed = client.get(reverse("registration:preschool_list"), {"source_name": "一年级", "status": "matched"})
    assert a["姓名"] in listed.content.decode() and "无证儿童" not in listed.content.decode()


def test_import_of_a_file_without_the_header(client, reg):
    client.force_login(reg.users.school_registrar)
    response = client.post(reverse("registration:preschool_import"),
                           {"file": SimpleUploadedFile("x.xlsx", _sheet([["甲", "乙"], ["1", "2"]]),
                                                       content_type=XLSX)}, follow=True)
    page = response.content.decode()  # the job ended as failed, with the reader's message
    assert "表头" in page and 'data-testid="job-status">失败<' in page and not PreschoolRequest.objects.exists()


def test_an_unfinished_import_removes_exactly_its_own_rows(reg, monkeypatch):
    """The import job notes itself on every request it adds; its undo removes those and
    nothing else — not the same registrar's rows entered meanwhile under the same file
    name, not another import's, not one completed into a registration since."""
    from xueji.registration import jobs as registration_jobs
    from xueji.workflow.models import Business

    user = reg.users.school_registrar
    job = Job.objects.create(kind=registration_jobs.PRESCHOOL_IMPORT_JOB, owner=user, school=reg.world.th_school,
                             title="导入", params={"school": reg.world.th_school.pk, "filename": "名单.xlsx"})
    other_job = Job.objects.create(kind=registration_jobs.PRESCHOOL_IMPORT_JOB, owner=user,
                                   school=reg.world.th_school, title="导入", params={"filename": "名单.xlsx"})
    monkeypatch.setattr(preschool, "BATCH_SIZE", 2)
    header = list(preschool.CHILD_HEADERS)
    children = [_child(reg, 60 + k) for k in range(5)]
    content = _sheet([header] + [[c["姓名"], "", "", "1", c["身份证件号"]] for c in children])
    outcome = preschool.import_children(reg.world.th_school, user, io.BytesIO(content), source_name="名单.xlsx",
                                        job=job)
    assert len(outcome.created) == 5 and {r.job_id for r in PreschoolRequest.objects.all()} == {job.pk}
    by_form = _add(reg, [_child(reg, 70)]).created[0]
    PreschoolRequest.objects.filter(pk=by_form.pk).update(source_name="名单.xlsx")  # same name, same registrar
    (theirs,) = preschool.add_children(reg.world.th_school, user, [(2, _child(reg, 71))], source_name="名单.xlsx",
                                       job=other_job).created
    registered = outcome.created[0]
    business = Business.objects.create(kind="reg_primary_resident", school=reg.world.th_school, applicant=user,
                                       applicant_name="甲", category="1", chain=[])
    registration = Registration.objects.create(
        business=business,
        school=reg.world.th_school, entry="primary-resident", klass=reg.class1, name=registered.name,
        gender=registered.gender, birth_date=registered.birth_date, id_type="1", id_number=registered.id_number)
    PreschoolRequest.objects.filter(pk=registered.pk).update(registration=registration)

    assert registration_jobs.undo_preschool_import(job, "后台任务进程意外终止") == "已撤回本次导入的4名学生,请重新执行"
    assert set(PreschoolRequest.objects.values_list("pk", flat=True)) == {by_form.pk, theirs.pk, registered.pk}
    entry = AuditEntry.objects.filter(action="registration.preschool_deleted").latest("pk")
    assert "4人" in entry.summary and entry.after["job"] == job.pk
    assert registration_jobs.undo_preschool_import(job, "后台任务进程意外终止") == ""  # idempotent


# --- 学前档案信息补录 ----------------------------------------------------------------------------------

def _matched(reg, i: int, **data):
    row = reg.row(i)  # a full valid first-grade row (resident known to the population registry)
    child = {"姓名": row["姓名"], "身份证件类型": "1", "身份证件号": row["身份证件号"]}
    _preschool_record(f"S{i}", child, **data)
    (req,) = _add(reg, [child]).created
    assert req.status == PreschoolStatus.MATCHED
    return req, row


def test_supplement_registers_through_the_pipeline(client, reg):
    req, row = _matched(reg, 30, 民族="03-回族", 出生地行政区划代码="440106000000")
    client.force_login(reg.users.school_registrar)
    url = reverse("registration:preschool_supplement", args=[req.pk])
    page = client.get(url).content.decode()
    assert row["身份证件号"] in page and 'value="03" selected' in page  # prefilled from the preschool record
    data = _form_data(row)
    data.update(姓名="改名无效", 民族="03")  # the five columns are fixed
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    req.refresh_from_db()
    registration = Registration.objects.get()
    assert req.supplement_done and req.registration == registration
    assert registration.entry == "primary-resident" and registration.name == row["姓名"]
    assert registration.klass == reg.class1 and registration.business.payload["values"]["ethnicity"] == "03"
    assert registration.dedup_status == "passed"
    listed = client.get(reverse("registration:preschool_list")).content.decode()
    assert "注册审核中" in listed and "已补录" in listed


def test_supplement_with_a_bad_field_shows_the_rule(client, reg):
    req, row = _matched(reg, 31)
    client.force_login(reg.users.school_registrar)
    data = _form_data(row)
    data["联系电话"] = "12345"
    response = client.post(reverse("registration:preschool_supplement", args=[req.pk]), data)
    assert response.status_code == 200
    assert "联系电话格式不正确" in response.content.decode()
    req.refresh_from_db()
    assert not req.supplement_done and not Registration.objects.exists()


def test_supplement_of_a_child_without_id_needs_the_proof(client, reg):
    from PIL import Image

    birth = first_grade_birth(reg.year, 38)
    child = {"姓名": "无证新生", "性别": "2", "出生日期": birth.strftime("%Y%m%d"), "身份证件类型": "Z"}
    SimulatedPreschoolRecord.objects.create(ref="KZ2", name="无证新生", gender="2", birth_date=birth, id_type="Z",
                                            kindergarten="天河区第二幼儿园")
    (req,) = _add(reg, [child]).created
    assert req.status == PreschoolStatus.MATCHED
    row = reg.row(38, 身份证件类型="Z", 身份证件号="", 成员1身份证件类型="1", 成员1身份证件号=reg.row(938)["身份证件号"])
    data = _form_data(row)
    url = reverse("registration:preschool_supplement", args=[req.pk])
    client.force_login(reg.users.school_registrar)
    response = client.post(url, data)
    assert response.status_code == 200 and not Registration.objects.exists()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 220, 255)).save(out, format="PNG")
    response = client.post(url, dict(data, proof=SimpleUploadedFile("证明.png", out.getvalue(),
                                                                     content_type="image/png")))
    assert response.status_code == 302, response.content.decode()[:2000]
    registration = Registration.objects.get()
    assert registration.entry == "primary-no-id" and registration.business.materials.count() == 1
    req.refresh_from_db()
    assert req.supplement_done and req.registration == registration


def test_supplement_only_for_matched_children(reg):
    (req,) = _add(reg, [_child(reg, 32)]).created
    with pytest.raises(ValidationError):
        preschool.supplement(req, reg.users.school_registrar, reg.row(32))


def test_rows_in_registration_cannot_be_edited_deleted_or_exported(client, reg):
    req, row = _matched(reg, 33)
    outcome = preschool.supplement(req, reg.users.school_registrar, row)
    assert outcome.passed, outcome.failed
    req = preschool.children_for(reg.world.th_school).get(pk=req.pk)
    assert preschool.is_in_registration(req)
    with pytest.raises(ValidationError, match="不允许删除"):
        preschool.delete_children([req], reg.users.school_registrar)
    with pytest.raises(ValidationError, match="不允许修改"):
        preschool.update_child(req, reg.users.school_registrar, _child(reg, 34))
    with pytest.raises(ValidationError, match="不允许导出"):
        preschool.export_workbook([req], reg.users.school_registrar)
    client.force_login(reg.users.school_registrar)
    client.post(reverse("registration:preschool_list"), {"action": "delete", "req": [req.pk]})
    assert PreschoolRequest.objects.filter(pk=req.pk).exists()
    # once the registration is withdrawn, the row is free again
    from xueji.registration import services

    services.withdraw([Registration.objects.get()], reg.users.school_registrar)
    assert preschool.delete_children([req], reg.users.school_registrar) == 1


def test_a_child_registered_after_export_is_locked_too(reg):
    (req,) = _add(reg, [_child(reg, 35)]).created
    row = reg.row(35, 姓名=req.name, 身份证件号=req.id_number, 性别=req.gender,
                  出生日期=req.birth_date.strftime("%Y%m%d"))
    from xueji.registration import services

    assert services.register_rows(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                                  [(2, row)]).passed
    with pytest.raises(ValidationError):
        preschool.delete_children([req], reg.users.school_registrar)


def test_delete_a_free_row(client, reg):
    a, b = _add(reg, [_child(reg, 36), _child(reg, 37)]).created
    client.force_login(reg.users.school_registrar)
    client.post(reverse("registration:preschool_list"), {"action": "delete", "req": [a.pk]})
    assert list(PreschoolRequest.objects.values_list("pk", flat=True)) == [b.pk]
    assert AuditEntry.objects.filter(action="registration.preschool_deleted").exists()


# --- 调档学生导出 ---------------------------------------------------------------------------------------

def test_export_refuses_children_without_id(client, reg):
    (z,) = _add(reg, [{"姓名": "无证儿童", "性别": "1", "出生日期": "20190301", "身份证件类型": "Z"}]).created
    (r,) = _add(reg, [_child(reg, 40)]).created
    with pytest.raises(ValidationError, match="无身份证件的学生不能导出"):
        preschool.export_workbook([z, r], reg.users.school_registrar)
    client.force_login(reg.users.school_registrar)
    response = client.post(reverse("registration:preschool_export"), {"req": [z.pk]}, follow=True)
    assert "无身份证件的学生不能导出" in response.content.decode()


def test_export_refuses_to_confirm_and_mixed_templates(reg):
    waiting = _child(reg, 41)
    _preschool_record("K9", waiting)
    _preschool_record("K10", waiting)
    (w,) = _add(reg, [waiting]).created
    with pytest.raises(ValidationError, match="待确认学前学籍"):
        preschool.export_workbook([w], reg.users.school_registrar)
    (r,) = _add(reg, [_child(reg, 42)]).created
    (f,) = _add(reg, [{"姓名": "Tom Lee", "性别": "1", "出生日期": "20190301", "身份证件类型": "A",
                       "身份证件号": "E1234567"}]).created
    with pytest.raises(ValidationError, match="不能一起导出"):
        preschool.export_workbook([r, f], reg.users.school_registrar)


def _verify_page(client, data, query=""):
    """调档学生导出, step one: the selection is checked and the page asks for a second
    account of the unit (F-14); the chosen ids travel in the form."""
    response = client.post(reverse("registration:preschool_export") + query, data)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="second-account"' in page, page[:300]
    assert not Job.objects.filter(kind="registration.preschool_export").exists()  # nothing started yet
    return [int(v) for v in re.findall(r'name="req" value="(\d+)"', page)]


def _exported(client, data, query="", second="sch_leader"):
    """An export is a job: after the second account, its page offers the workbook."""
    chosen = _verify_page(client, data, query)
    response = client.post(reverse("registration:preschool_export"), {
        "step": "verify", "req": chosen, "second_username": second, "second_password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/jobs/"), response
    page = client.get(response["Location"])
    assert page.status_code == 200 and "已完成" in page.content.decode() and 'data-testid="job-download"' in page.content.decode()
    download = client.get(response["Location"] + "download/")
    assert download.status_code == 200
    return download, b"".join(download.streaming_content)


def test_export_gives_the_72_column_template_with_the_children(client, reg):
    a, b = _child(reg, 43), _child(reg, 44, gender="2")
    _preschool_record("K11", a, 民族="02", 成员1姓名="张大山")
    created = _add(reg, [a, b]).created
    client.force_login(reg.users.school_registrar)
    response, content = _exported(client, {"req": [c.pk for c in created]})
    assert response["Content-Type"] == XLSX
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()
    book = load_workbook(io.BytesIO(content))
    sheet = book[DATA_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(fields.headers()) and len(rows[0]) == 72
    data = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [d["身份证件号"] for d in data] == [a["身份证件号"], b["身份证件号"]]
    first = data[0]
    assert first["姓名"] == a["姓名"] and first["性别"] == "1-男" and first["学校标识码"] == reg.world.th_school.code
    assert first["身份证件类型"] == "1-居民身份证" and first["民族"] == "02-蒙古族" and first["成员1姓名"] == "张大山"
    assert first["是否受过学前教育"] == "是" and data[1]["是否受过学前教育"] is None
    assert data[1]["出生日期"] == first_grade_birth(reg.year, 44).strftime("%Y%m%d")
    assert AuditEntry.objects.filter(action="registration.preschool_exported").exists()


def test_export_of_all_filtered_foreign_children(client, reg):
    _add(reg, [{"姓名": "Tom Lee", "性别": "1", "出生日期": "20190301", "身份证件类型": "A", "身份证件号": "E1234567"},
               _child(reg, 45)])
    client.force_login(reg.users.school_registrar)
    _, content = _exported(client, {"all": "1"}, "?id_type=A")
    rows = list(load_workbook(io.BytesIO(content))[DATA_SHEET].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][rows[0].index("姓名")] == "Tom Lee"


def test_export_needs_a_second_account_of_the_school_and_names_both(client, reg):
    created = _add(reg, [_child(reg, 46), _child(reg, 47, gender="2")]).created
    client.force_login(reg.users.school_registrar)
    _exported(client, {"req": [c.pk for c in created]}, second="sch_leader")
    verified = AuditEntry.objects.get(action="export.second_account_verified")
    assert "sch_registrar" in verified.summary and "sch_leader" in verified.summary
    assert verified.after["second_username"] == "sch_leader"
    exported = AuditEntry.objects.get(action="registration.preschool_exported")
    leader = reg.users.school_leader
    assert f"经{leader.real_name}(sch_leader)验证" in exported.summary and exported.actor_username == "sch_registrar"
    job = Job.objects.get(kind="registration.preschool_export")
    assert job.params["second_username"] == "sch_leader"
    started = AuditEntry.objects.get(action="jobs.started", object_id=str(job.pk))
    assert started.after["params"]["second_username"] == "sch_leader"
    assert verified.pk < started.pk  # verified before the job started


def _locked(reg):
    from django.utils import timezone

    leader = reg.users.school_leader
    leader.locked_at, leader.lock_reason = timezone.now(), "administrator"
    leader.save()
    return "sch_leader", PASSWORD


def _inactive(reg):
    make_user("sch_left", "school_leader", school=reg.world.th_school).__class__.objects.filter(
        username="sch_left").update(is_active=False)
    return "sch_left", PASSWORD


@pytest.mark.parametrize("second", [
    lambda reg: ("", ""),                          # missing
    lambda reg: ("sch_leader", ""),                # no password
    lambda reg: ("sch_leader", "wrong"),           # wrong password
    lambda reg: ("sch_registrar", PASSWORD),       # the registrar's own account
    lambda reg: ("hz_sch_registrar", PASSWORD),    # another school's registrar
    lambda reg: ("th_registrar", PASSWORD),        # the county above
    lambda reg: ("ghost", PASSWORD),               # nobody
    _locked,
    _inactive,
])
def test_export_refused_without_a_valid_second_account(client, reg, second):
    from xueji.accounts.services import SECOND_ACCOUNT_REFUSED

    username, password = second(reg)
    (req,) = _add(reg, [_child(reg, 48)]).created
    client.force_login(reg.users.school_registrar)
    chosen = _verify_page(client, {"req": [req.pk]})
    response = client.post(reverse("registration:preschool_export"), {
        "step": "verify", "req": chosen, "second_username": username, "second_password": password})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="second-account"' in page
    # the one message for every failure (an empty field too), audited
    assert f'data-testid="second-account-refused">{SECOND_ACCOUNT_REFUSED}<' in page
    assert AuditEntry.objects.filter(action="export.second_account_failed").count() == 1
    assert not Job.objects.exists() and not AuditEntry.objects.filter(action="registration.preschool_exported").exists()


def test_the_verification_step_checks_the_selection_again(client, reg):
    (req,) = _add(reg, [_child(reg, 49)]).created
    (z,) = _add(reg, [{"姓名": "无证儿童", "性别": "1", "出生日期": "20190301", "身份证件类型": "Z"}]).created
    client.force_login(reg.users.school_registrar)
    response = client.post(reverse("registration:preschool_export"), {
        "step": "verify", "req": [req.pk, z.pk], "second_username": "sch_leader", "second_password": PASSWORD},
        follow=True)
    assert "无身份证件的学生不能导出" in response.content.decode() and not Job.objects.exists()
    # another school's request in the form: the batch is refused with an audit entry, as everywhere
    other = PreschoolRequest.objects.create(school=reg.world.hz_school, name="别校", gender="1",
                                            birth_date=dt.date(2019, 3, 1), id_type="Z", status="not_found",
                                            created_by=reg.users.hz_school_registrar)
    response = client.post(reverse("registration:preschool_export"), {
        "step": "verify", "req": [other.pk], "second_username": "sch_leader", "second_password": PASSWORD},
        follow=True)
    assert "不在您的数据范围内" in response.content.decode() and not Job.objects.exists()
    assert AuditEntry.objects.filter(action="scope.denied").exists()


# --- scope -------------------------------------------------------------------------------------------------

def test_another_schools_registrar_gets_404_and_an_audit_entry(client, reg):
    (req,) = _add(reg, [_child(reg, 50)]).created
    client.force_login(reg.users.hz_school_registrar)
    for name in ("preschool_edit", "preschool_confirm", "preschool_supplement"):
        assert client.get(reverse(f"registration:{name}", args=[req.pk])).status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied", actor_username="hz_sch_registrar").count() == 3
    # a POST naming it deletes nothing
    client.post(reverse("registration:preschool_list"), {"action": "delete", "req": [req.pk]})
    assert PreschoolRequest.objects.filter(pk=req.pk).exists()
    assert "data-testid=\"child-" not in client.get(reverse("registration:preschool_list")).content.decode()


@pytest.mark.parametrize("username", ["sch_leader", "th_registrar"])
def test_other_roles_get_403(client, reg, username):
    from xueji.accounts.models import User

    client.force_login(User.objects.get(username=username))
    assert client.get(reverse("registration:preschool_list")).status_code == 403
    assert client.get(reverse("registration:preschool_supplement_list")).status_code == 403
