"""学籍注册 through the pages and the command: template, upload with bad rows, bad files,
school audit, 上报, county review, scope."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from xueji.audit.models import AuditEntry
from xueji.registration.models import Registration, Upload, UploadStatus
from xueji.registration.testing import workbook_bytes
from xueji.students import fields
from xueji.students.excel import DATA_SHEET
from xueji.students.models import IdentityClaim, Student
from xueji.workflow.models import Business

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(client, content: bytes, name="学生.xlsx", entry="primary-resident"):
    return client.post(reverse("registration:upload", args=[entry]),
                       {"file": SimpleUploadedFile(name, content, content_type=XLSX)})


def test_template_download_has_the_72_headers(client, reg):
    client.force_login(reg.users.school_registrar)
    response = client.get(reverse("registration:template", args=["primary-resident"]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    headers = [c.value for c in book[DATA_SHEET][1]]
    assert headers == list(fields.headers()) and len(headers) == 72


def test_no_id_entry_has_no_template(client, reg):
    client.force_login(reg.users.school_registrar)
    assert client.get(reverse("registration:template", args=["primary-no-id"])).status_code == 403


def test_upload_with_one_bad_row(client, reg):
    client.force_login(reg.users.school_registrar)
    rows = [reg.row(1), reg.row(2, 身份证件号="440106201901011230", 成员1姓名="A1")]
    response = _upload(client, workbook_bytes("primary-resident", rows))
    assert response.status_code == 302
    upload = Upload.objects.get()
    assert (upload.total_rows, upload.passed_rows, upload.failed_rows) == (2, 1, 1)
    assert response["Location"].startswith("/jobs/")  # the job page, which goes on to the result
    page = client.get(response["Location"], follow=True).content.decode()
    assert "成员1姓名" in page and "身份证件号" in page
    error = upload.row_errors.get()
    assert error.row == 3 and len(error.messages) >= 2


@pytest.mark.parametrize("content,fragment", [
    (b"this is not a workbook", "不是有效的Excel文件"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "不是有效的Excel文件"),
])
def test_non_excel_file_renamed_xlsx(client, reg, content, fragment):
    client.force_login(reg.users.school_registrar)
    _upload(client, content)
    upload = Upload.objects.get()
    assert upload.status == UploadStatus.FAILED and fragment in upload.message
    assert not Registration.objects.exists()


def _damaged_after_the_rows(data: bytes) -> bytes:
    """The workbook with a cell no reader understands appended after its last row."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            part = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</sheetData>", b'<row r="9000"><c r="A9000" t="zz"><v>1</v></c></row></sheetData>')
            target.writestr(name, part)
    return out.getvalue()


def test_a_sheet_damaged_after_good_rows_registers_nothing(client, reg, monkeypatch):
    """The sheet is streamed, so damage is found after rows were registered: the upload
    fails and what it registered is withdrawn (the IDs are free again)."""
    from xueji.registration import services

    monkeypatch.setattr(services, "INLINE_ROWS", 0)  # the streaming pipeline, not one inline batch
    monkeypatch.setattr(services, "FIRST_BATCH_SIZE", 1)  # rows 1, then 2–3, are written before the damage
    client.force_login(reg.users.school_registrar)
    rows = [reg.row(i) for i in range(1, 4)]
    _upload(client, _damaged_after_the_rows(workbook_bytes("primary-resident", rows)))
    upload = Upload.objects.get()
    assert upload.status == UploadStatus.FAILED and "不是有效的Excel文件" in upload.message
    assert "已撤回本文件已登记的3条注册申请" in upload.message
    assert not Registration.objects.exists() and not IdentityClaim.objects.exists()
    assert not Business.objects.exists()
    # The same pupils can then be registered from a good file.
    _upload(client, workbook_bytes("primary-resident", rows))
    assert Upload.objects.latest("uploaded_at").passed_rows == 3


def test_empty_sheet_and_sheet_without_header(client, reg):
    from openpyxl import Workbook

    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", []))
    empty = Upload.objects.latest("uploaded_at")
    assert empty.total_rows == 0 and ("没有数据" in empty.message)
    book = Workbook()
    book.active.append(["甲", "乙", "丙"])
    book.active.append(["1", "2", "3"])
    out = io.BytesIO()
    book.save(out)
    _upload(client, out.getvalue())
    headerless = Upload.objects.latest("uploaded_at")
    assert headerless.status == UploadStatus.FAILED and "表头" in headerless.message


def test_upload_refuses_other_extensions(client, reg):
    client.force_login(reg.users.school_registrar)
    response = _upload(client, b"a,b", name="学生.csv")
    assert response.status_code == 200 and "只能导入Excel文件" in response.content.decode()


@pytest.mark.parametrize("username", ["sch_leader", "th_registrar", "hz_sch_registrar"])
def test_only_the_schools_registrar_uploads(client, reg, username):
    from xueji.accounts.models import User

    client.force_login(User.objects.get(username=username))
    response = _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    if username == "hz_sch_registrar":
        assert response.status_code == 302  # their own school: the row fails (班号, 学校标识码)
        upload = Upload.objects.get()
        assert upload.school == reg.world.hz_school and upload.passed_rows == 0
    else:
        assert response.status_code == 403
        assert not Upload.objects.exists()


def test_upload_detail_of_another_school_is_404(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    upload = Upload.objects.get()
    client.force_login(reg.users.hz_school_registrar)
    assert client.get(reverse("registration:upload_detail", args=[upload.pk])).status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied", actor_username="hz_sch_registrar").exists()


def test_upload_detail_while_processing_leads_to_its_job(client, reg, settings):
    """While the import is 处理中 the page shows no (empty) totals but the job's progress
    page — to those who may follow the job; others are told to come back later."""
    from xueji.jobs.models import Job
    from xueji.jobs.testing import DATABASE_TASKS

    settings.TASKS = DATABASE_TASKS  # queued, not run: the upload stays 处理中
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    upload, job = Upload.objects.get(), Job.objects.get()
    assert upload.status == UploadStatus.PROCESSING
    url = reverse("registration:upload_detail", args=[upload.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="upload-processing"' in page and 'data-testid="total"' not in page
    assert f'href="/jobs/{job.pk}/" data-testid="upload-job">查看导入进度<' in page
    client.force_login(reg.users.school_leader)  # the school's leader follows the school's jobs
    assert f'href="/jobs/{job.pk}/"' in client.get(url).content.decode()
    client.force_login(reg.users.th_registrar)  # the county sees the upload, not the school's job
    page = client.get(url).content.decode()
    assert "请稍后刷新本页面" in page and "/jobs/" not in page.split('data-testid="upload-processing"')[1][:400]
    # once done, the totals
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.DONE, total_rows=1, passed_rows=1)
    page = client.get(url).content.decode()
    assert 'data-testid="total">1<' in page and 'data-testid="upload-processing"' not in page


def _decide_school(client, school, **extra):
    """全部审核 of one school's registrations in 待审核业务 (the one way in for reviewers)."""
    return client.post(reverse("workflow:queue_decide"), {
        "mode": "school", "school": school.pk, "group": "学籍注册", "decision": "pass", **extra})


def test_whole_flow_through_pages(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1), reg.row(2)]))
    # school leader: the registration page leads to 待审核业务, which shows 查重认证
    client.force_login(reg.users.school_leader)
    url = reverse("registration:pending")
    page = client.get(url + "?state=audit").content.decode()
    assert "待学校审核" in page and "去审核" in page and 'name="action" value="pass"' not in page
    queue = client.get(reverse("workflow:queue") + "?group=学籍注册").content.decode()
    assert "查重认证" in queue and "查重通过,认证通过" in queue and reg.row(1)["姓名"] in queue
    assert client.post(url + "?state=audit", {"action": "pass", "all": "1"}).status_code == 403
    _decide_school(client, reg.world.th_school)
    # county can't see them before 上报
    client.force_login(reg.users.th_registrar)
    response = client.get(reverse("registration:authority_review"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("workflow:queue"))
    assert Registration.objects.filter(business__hold="report_pending").count() == 2
    assert reg.row(1)["姓名"] not in client.get(reverse("workflow:queue")).content.decode()
    _decide_school(client, reg.world.th_school)
    assert not Student.objects.exists()
    # registrar reports all
    client.force_login(reg.users.school_registrar)
    client.post(url + "?state=report", {"action": "report", "all": "1"})
    # county audits all
    client.force_login(reg.users.th_registrar)
    _decide_school(client, reg.world.th_school)
    students = Student.objects.all()
    assert students.count() == 2
    assert all(s.national_number.startswith("G") and s.klass == reg.class1 for s in students)
    assert AuditEntry.objects.filter(action="workflow.batch_decided").count() == 2


def test_sibling_county_cannot_review(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    registration = Registration.objects.get()
    client.force_login(reg.users.hz_registrar)
    client.post(reverse("workflow:queue_decide"), {"mode": "selected", "ids": [registration.business_id],
                                                   "decision": "pass"})
    assert _decide_school(client, reg.world.th_school).status_code == 404  # not in their scope or queue
    registration.business.refresh_from_db()
    assert registration.business.current_level == "school"
    assert client.get(reverse("registration:detail", args=[registration.pk])).status_code == 404
    assert client.get(reverse("workflow:business_detail", args=[registration.business_id])).status_code == 404


def test_registration_detail_speaks_chinese_and_links_to_the_business(client, reg):
    client.force_login(reg.users.school_registrar)
    row = reg.row(1)
    _upload(client, workbook_bytes("primary-resident", [row]))
    registration = Registration.objects.get()
    page = client.get(reverse("registration:detail", args=[registration.pk])).content.decode()
    assert "等待学校(天河测试小学)审核" in page and "school" not in page.split("<main", 1)[-1].split("</main>")[0]
    assert reverse("workflow:business_detail", args=[registration.business_id]) in page


def test_pending_page_bad_state_and_ids(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    url = reverse("registration:pending")
    assert client.get(url + "?state=<script>&entry=x").status_code == 200
    response = client.post(url + "?state=audit", {"action": "withdraw", "reg": ["abc", "1.5"]})
    assert response.status_code == 302
    assert Registration.objects.get().business.status == "open"


def test_registration_import_command(reg, tmp_path, capsys):
    path = tmp_path / "rows.xlsx"
    path.write_bytes(workbook_bytes("primary-resident", [reg.row(1), reg.row(2, 出生日期="20200231")]))
    call_command("registration_import", "--entry", "primary-resident", "--school", reg.world.th_school.code,
                 "--user", "sch_registrar", str(path))
    result = json.loads(capsys.readouterr().out)
    assert result["rows"] == 2 and result["passed"] == 1 and result["failed"] == 1
    assert result["errors"][0]["row"] == 3 and result["errors"][0]["messages"]
    assert Upload.objects.filter(pk=result["upload"]).exists()


def test_registration_import_command_refuses_bad_file(reg, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("not excel")
    with pytest.raises(CommandError):
        call_command("registration_import", "--entry", "primary-resident", "--school", reg.world.th_school.code,
                     "--user", "sch_registrar", str(path))
    with pytest.raises(CommandError):
        call_command("registration_import", "--entry", "primary-resident", "--school", reg.world.th_school.code,
                     "--user", "sch_leader", str(path))


@pytest.mark.parametrize("failure", [RuntimeError("注入的故障"), KeyboardInterrupt()])
def test_registration_import_command_withdraws_an_import_that_fails_midway(reg, tmp_path, monkeypatch, capsys,
                                                                          failure):
    """The command runs the import directly; an error or Ctrl-C after some batches were
    committed withdraws them all (as the job's undo does) and marks the upload failed."""
    from xueji.registration import services

    monkeypatch.setattr(services, "INLINE_ROWS", 0)  # the streaming pipeline, not one inline batch
    monkeypatch.setattr(services, "FIRST_BATCH_SIZE", 2)
    real = services._register_batch
    calls = []

    def register_batch(*args):
        calls.append(1)
        if len(calls) == 3:
            raise failure
        return real(*args)

    monkeypatch.setattr(services, "_register_batch", register_batch)
    path = tmp_path / "rows.xlsx"
    path.write_bytes(workbook_bytes("primary-resident", [reg.row(i) for i in range(1, 16)]))
    with pytest.raises(type(failure)):
        call_command("registration_import", "--entry", "primary-resident", "--school", reg.world.th_school.code,
                     "--user", "sch_registrar", str(path))
    assert len(calls) == 3  # two batches (2 + 4 rows) were committed before the third failed
    assert "本次导入已撤回(撤回6条注册申请)" in capsys.readouterr().err
    upload = Upload.objects.get()
    assert upload.status == UploadStatus.FAILED and "本次导入已撤回" in upload.message
    assert not Registration.objects.exists() and not Business.objects.exists() and not IdentityClaim.objects.exists()
    assert AuditEntry.objects.filter(action="registration.upload_undone").exists()


def test_registration_import_command_withdraws_on_a_refusal_midway(reg, tmp_path, monkeypatch):
    from django.core.exceptions import ValidationError

    from xueji.registration import services

    monkeypatch.setattr(services, "INLINE_ROWS", 0)  # the streaming pipeline, not one inline batch
    monkeypatch.setattr(services, "FIRST_BATCH_SIZE", 2)
    real = services._register_batch
    calls = []

    def register_batch(*args):
        calls.append(1)
        if len(calls) == 2:
            raise ValidationError("人口信息库暂时无法访问")
        return real(*args)

    monkeypatch.setattr(services, "_register_batch", register_batch)
    path = tmp_path / "rows.xlsx"
    path.write_bytes(workbook_bytes("primary-resident", [reg.row(i) for i in range(1, 8)]))
    with pytest.raises(CommandError, match="人口信息库暂时无法访问,本次导入已撤回\\(撤回2条注册申请\\)"):
        call_command("registration_import", "--entry", "primary-resident", "--school", reg.world.th_school.code,
                     "--user", "sch_registrar", str(path))
    assert not Registration.objects.exists() and Upload.objects.get().status == UploadStatus.FAILED


def test_the_halves_of_registration_review_lead_to_their_types_in_the_queue(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    client.force_login(reg.users.th_registrar)
    response = client.get(reverse("registration:authority_review") + "?group=other")
    location = response["Location"]
    assert response.status_code == 302 and "kind=reg_other_resident" in location and "reg_primary" not in location
    client.force_login(reg.users.school_leader)
    name = reg.row(1)["姓名"]
    assert name not in client.get(location).content.decode()
    primary = client.get(reverse("registration:pending") + "?state=audit&group=primary").content.decode()
    link = primary.split('data-testid="review-link"', 1)[1].split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    page = client.get(link).content.decode()
    assert name in page and "查重认证" in page
    # 全部审核 of the school keeps the filter
    school = reg.world.th_school.pk
    client.post(reverse("workflow:queue_decide"), {"mode": "school", "school": school, "decision": "pass",
                                                   "kind": ["reg_other_resident", "reg_other_foreign"]})
    assert Registration.objects.get().business.current_level == "school"
    client.post(reverse("workflow:queue_decide"), {"mode": "school", "school": school, "decision": "pass",
                                                   "kind": ["reg_primary_resident", "nonsense"]})
    assert Registration.objects.get().business.hold == "report_pending"


@pytest.mark.parametrize("user,query,heading", [
    ("school_registrar", "?state=report&group=primary", "小学新生注册上报"),
    ("school_registrar", "?state=report&group=other", "非小学新生注册上报"),
    ("school_leader", "?state=audit&group=primary", "小学新生注册审核"),
    ("school_leader", "?state=audit&group=other", "非小学新生注册审核"),
    ("school_registrar", "", "本校注册申请"),
    ("school_registrar", "?state=audit&group=primary", "小学新生注册:本校注册申请"),
    ("school_leader", "?state=report&group=x", "本校注册申请"),
])
def test_the_heading_of_each_registration_list_is_its_menu_entry(client, reg, user, query, heading):
    client.force_login(getattr(reg.users, user))
    page = client.get(reverse("registration:pending") + query).content.decode()
    assert f"<h1 class=\"h4 mb-3\">{heading}</h1>" in page
    assert f"<title>{heading}" in page


@pytest.mark.parametrize("state,text", [
    ("audit", "没有待学校审核的注册申请。"), ("report", "没有待上报的注册申请。学校审核通过的注册申请在此上报教育部门。"),
    ("submitted", "没有已上报的注册申请。"), ("dedup", "没有查重认证中的注册申请。"),
])
def test_an_empty_registration_list_says_what_would_be_there(client, reg, state, text):
    client.force_login(reg.users.school_registrar)
    page = client.get(reverse("registration:pending"), {"state": state}).content.decode()
    assert text in page and "没有数据需要显示" not in page
    assert "上报所选" not in page and "撤销所选" not in page and "全部上报" not in page  # nothing to act on


def test_registration_detail_masks_the_numbers_of_other_people_and_words_decisions_as_elsewhere(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    registration = Registration.objects.get()
    other_id = reg.row(2)["身份证件号"]
    Registration.objects.filter(pk=registration.pk).update(
        similar=[{"national_number": "G" + other_id, "school": "天河区第一初级中学", "kind": "学籍"}])
    client.force_login(reg.users.school_leader)
    client.post(reverse("workflow:queue_decide"), {"mode": "selected", "ids": [registration.business_id],
                                                   "decision": "pass"})
    page = client.get(reverse("registration:detail", args=[registration.pk])).content.decode()
    assert other_id not in page and f"G{other_id[:4]}**********{other_id[-4:]}" in page
    assert "<td>审核通过</td>" in page  # as on the business detail and in 待审核业务


def test_the_result_page_offers_what_fits_the_import(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, b"not a workbook", name="坏文件.xlsx", entry="other-resident")
    failed = Upload.objects.get(status=UploadStatus.FAILED)
    page = client.get(reverse("registration:upload_detail", args=[failed.pk])).content.decode()
    assert 'data-testid="to-pending"' not in page  # nothing waits for review from a file that failed
    assert reverse("registration:upload", args=["other-resident"]) in page and "重新导入" in page
    assert f'{reverse("registration:index")}?group=other' in page and "返回非小学新生注册" in page
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    done = Upload.objects.get(status=UploadStatus.DONE)
    page = client.get(reverse("registration:upload_detail", args=[done.pk])).content.decode()
    assert f'{reverse("registration:pending")}?state=audit&amp;group=primary' in page
    assert "查看待学校审核的注册申请" in page and "重新导入" not in page


def test_the_queue_filter_shows_the_set_it_was_opened_with(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    client.force_login(reg.users.school_leader)
    primary = client.get(reverse("registration:pending") + "?state=audit&group=primary").content.decode()
    link = primary.split('data-testid="review-link"', 1)[1].split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    page = client.get(link).content.decode()
    select = page.split('id="kind"', 1)[1].split("</select>", 1)[0]
    option = 'value="reg_primary_resident,reg_primary_foreign,reg_primary_no_id" selected>小学新生注册(全部3类)</option>'
    assert option in select and select.count("selected") == 1  # not 无身份证件小学新生注册 alone
    assert "毕业生退回" not in select and "小学招生录取" not in select  # types of features still to come
    # the option, submitted again, filters the same
    again = client.get(reverse("workflow:queue"), {"kind": "reg_primary_resident,reg_primary_foreign,reg_primary_no_id"})
    assert reg.row(1)["姓名"] in again.content.decode() and option in again.content.decode()
    other = client.get(reverse("workflow:queue"), {"kind": "reg_other_resident,reg_other_foreign"}).content.decode()
    assert reg.row(1)["姓名"] not in other
    # 全部审核 of a school with nothing left to decide offers no button that does nothing
    school = client.get(reverse("workflow:queue"), {"school": reg.world.th_school.pk,
                                                     "kind": "reg_other_resident"}).content.decode()
    assert "(可审核 0 件)" in school and 'value="pass" data-confirm="确定全部审核通过吗?" disabled' in school


def test_the_business_detail_of_a_registration_names_class_month_places_and_the_new_record(client, reg):
    from .test_flow import _through_chain

    client.force_login(reg.users.school_registrar)
    row = reg.row(1)
    _upload(client, workbook_bytes("primary-resident", [row]))
    registration = Registration.objects.get()
    url = reverse("workflow:business_detail", args=[registration.business_id])
    client.force_login(reg.users.school_leader)
    page = client.get(url).content.decode()
    assert f"<td>一年级1班({reg.class1.code})</td>" in page  # the 班号 as the class's label
    assert f"<td>{reg.year}-09</td>" in page  # 入学年月 YYYY-MM
    assert "440106000000 广东省广州市天河区" in page  # a place by its full name, as on the school's page
    assert "建立的学籍" not in page
    (done,) = _through_chain(reg, [registration])
    page = client.get(url).content.decode()
    number = done.student.national_number
    assert "建立的学籍" in page and f"全国学籍号 G{number[1:5]}**********{number[-4:]}" in page
    assert number not in page.split('data-testid="business-facts"', 1)[1].split("</table>", 1)[0]


def test_the_audit_entry_of_a_decision_names_units_not_ids(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1)]))
    registration = Registration.objects.get()
    client.force_login(reg.users.school_leader)
    client.post(reverse("workflow:business_decide", args=[registration.business_id]), {"decision": "pass"})
    entry = AuditEntry.objects.filter(action="workflow.decided").latest("pk")
    client.force_login(reg.users.th_registrar)
    page = client.get(reverse("audit:entry_detail", args=[entry.pk])).content.decode()
    changes = page.split('data-testid="audit-changes"', 1)[1].split("</table>", 1)[0]
    authority = reg.world.th_school.supervisor
    assert "当前审核学校" in changes and reg.world.th_school.name in changes
    assert "当前审核单位" in changes and authority.name in changes
    assert f">{authority.pk}<" not in changes.replace("\n", "").replace(" ", "")
    assert f"<td>{authority.prefix}(" in page  # 数据范围 with its region's name
    # an entry no person made is the system's: the hold 待上报 released when the registrar reports
    client.force_login(reg.users.school_registrar)
    client.post(reverse("registration:pending") + "?state=report", {"action": "report", "all": "1"})
    system = AuditEntry.objects.get(action="workflow.hold_released")
    assert system.actor_username == "" and system.actor_name == ""
    client.force_login(reg.users.th_registrar)
    assert "<td>系统</td>" in client.get(reverse("audit:entry_detail", args=[system.pk])).content.decode()
    assert "<td>系统" in client.get(reverse("audit:entry_list")).content.decode()


def test_the_counts_of_a_half_of_registration_are_what_its_lists_hold(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1), reg.row(2)]))
    _upload(client, workbook_bytes("other-resident", [reg.row(3, klass=reg.class3)]), entry="other-resident")
    primary = client.get(reverse("registration:index"), {"group": "primary"}).content.decode()
    other = client.get(reverse("registration:index"), {"group": "other"}).content.decode()
    both = client.get(reverse("registration:index")).content.decode()
    count = '<div class="todo-count">{}</div><a href="{}?state=audit'
    assert count.format(2, reverse("registration:pending")) in primary
    assert count.format(1, reverse("registration:pending")) in other
    assert count.format(3, reverse("registration:pending")) in both
    listed = client.get(reverse("registration:pending"), {"state": "audit", "group": "primary"}).content.decode()
    assert "显示 1-2,共 2 条" in listed
    # and the recent imports of that half
    mine, theirs = Upload.objects.order_by("pk")
    assert reverse("registration:upload_detail", args=[mine.pk]) in primary
    assert reverse("registration:upload_detail", args=[theirs.pk]) not in primary
