"""Browser test (Playwright + Debian's chromium) of the summer peak from 毕业 to 分班, as the
users do it in the pages:

天河测试小学's registrar submits 毕业 of its final grade → the school leader and 天河区 approve
the batch → the registrar executes → 天河区 (the importing unit by the default import
setting: 区县) downloads the 招生结果模板, fills it and uploads it (one row with a wrong name is
refused with a Chinese reason) → 天河测试中学's registrar admits on 录取新生 → its leader and
天河区 approve in 录取审核 (the engine's 待审核业务) → the registrar retrieves on 调取新生档案 and
places automatically on 分班, the page showing each class with its boys and girls.
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from xueji.accounts.models import Role
from xueji.admission import rules
from xueji.admission.models import AdmissionResult, State
from xueji.changes.tests.conftest import pupil
from xueji.graduation import services as graduation_services
from xueji.graduation.models import Graduate
from xueji.org.models import Grade, SchoolClass
from xueji.students.models import Student
from xueji.testing import PASSWORD, make_user


def _login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _logout(page):
    page.get_by_role("button", name="注销").click()
    page.wait_for_url("**/accounts/login/")


def _wait_for_result(page, pattern: str):
    """An import runs as a job: the upload leads to its page (``/jobs/<id>/``), which goes on
    to the result page once the job is done (here at once: jobs run in the server's request;
    with a worker, the page's script follows the job and then goes on)."""
    page.wait_for_url(pattern, timeout=60_000)


@pytest.mark.browser
def test_graduation_to_class_placement(live_server, page, world, tmp_path):
    base = live_server.url
    primary, junior = world.th_school, world.th_middle  # both 天河区: no graduating-side review
    year = graduation_services.school_year(primary)
    final = Grade.objects.create(school=primary, stage="1", entry_year=year - 5)
    klass = SchoolClass.objects.create(school=primary, grade=final, code=f"{year - 5}101", name="1班")
    pupils = [pupil(klass, gender=g) for g in ("1", "2", "1", "2", "1", "2")]
    new_grade = Grade.objects.create(school=junior, stage="2", entry_year=year)
    c1 = SchoolClass.objects.create(school=junior, grade=new_grade, code=f"{year}201", name="1班")
    c2 = SchoolClass.objects.create(school=junior, grade=new_grade, code=f"{year}202", name="2班")
    make_user("thj_registrar", Role.SCHOOL_REGISTRAR, school=junior)
    make_user("thj_leader", Role.SCHOOL_LEADER, school=junior)

    # --- 毕业: the primary school's registrar submits its final grade ---------------------
    _login(page, base, "sch_registrar")
    page.goto(base + "/graduation/")
    form = page.get_by_test_id("graduation-form")
    form.locator("#kind").select_option(label="毕业")
    form.locator("#by").select_option(label="按年级")
    form.get_by_label(final.name).check()
    form.get_by_role("button", name="提交毕业").click()
    page.wait_for_load_state()
    batches = page.get_by_test_id("graduation-batches")
    assert "6" in batches.inner_text() and "待审核" in batches.inner_text()
    assert "学校(天河测试小学)" in batches.inner_text()  # the step waiting, with its unit
    batch_url = batches.locator("tbody tr").first.get_by_role("link").get_attribute("href")
    _logout(page)

    for reviewer in ("sch_leader", "th_registrar"):
        _login(page, base, reviewer)
        page.goto(base + batch_url)
        page.get_by_test_id("batch-decide-form").get_by_role("button", name="审核通过").click()
        page.wait_for_load_state()
        _logout(page)

    _login(page, base, "sch_registrar")
    page.goto(base + "/graduation/")
    page.get_by_test_id("graduation-batches").get_by_role("button", name="执行毕业").click()
    page.wait_for_load_state()
    assert "毕业已执行:成功6人,失败0人" in page.content()
    assert Student.objects.filter(pk__in=[p.pk for p in pupils], status="20").count() == 6
    _logout(page)

    # --- 招生结果管理: 天河区 downloads the template, fills it, uploads it ------------------
    _login(page, base, "th_registrar")
    page.goto(base + "/admission/results/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载招生结果模板").click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    book = load_workbook(template)
    sheet = book.active
    assert tuple(c.value for c in sheet[1]) == rules.HEADERS
    for p in pupils[:5]:
        sheet.append([p.national_number, p.name, primary.code, junior.code, "2-初中"])
    wrong = pupils[5]
    sheet.append([wrong.national_number, wrong.name + "某", primary.code, junior.code, "初中"])
    filled = tmp_path / "招生结果.xlsx"
    book.save(filled)
    page.set_input_files("#id_file", str(filled))
    page.get_by_role("button", name="Excel导入").click()
    _wait_for_result(page, "**/admission/results/?job=*")
    assert "共6行:导入5行,未通过1行" in page.get_by_test_id("import-outcome").inner_text()
    failures = page.get_by_test_id("import-failures").inner_text()
    assert f"姓名“{wrong.name}某”与学籍号不符" in failures
    assert wrong.national_number not in failures  # masked in the report
    listing = page.get_by_test_id("results").inner_text()
    assert pupils[0].name in listing and "待录取" in listing and "天河区教育局" in listing
    assert not AdmissionResult.objects.filter(student=wrong).exists()
    _logout(page)

    # --- 录取新生: the junior school admits the five ----------------------------------------
    _login(page, base, "thj_registrar")
    page.goto(base + "/admission/admit/")
    table = page.get_by_test_id("admissions")
    for p in pupils[:5]:
        assert p.name in table.inner_text()
        table.get_by_label(f"选择{p.name}").check()
    page.get_by_role("button", name="录取", exact=True).first.click()
    page.wait_for_load_state()
    assert "已完成5人" in page.content()
    assert set(AdmissionResult.objects.values_list("state", flat=True)) == {State.REVIEWING}
    _logout(page)

    # --- 录取审核: the engine's work list, school leader then 天河区 -------------------------
    for reviewer in ("thj_leader", "th_registrar"):
        _login(page, base, reviewer)
        page.goto(base + "/workflow/queue/?kind=admit_junior")
        queue = page.get_by_test_id("queue-list")
        assert "初中招生录取" in queue.inner_text() and pupils[0].name in queue.inner_text()
        page.get_by_test_id("queue-summary").get_by_role("link", name="查看/全部审核").first.click()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("school-batch").get_by_role("button", name="全部审核通过").click()
        page.wait_for_load_state()
        assert "审核通过5件业务" in page.content()
        _logout(page)
    assert set(AdmissionResult.objects.values_list("state", flat=True)) == {State.APPROVED}

    # --- 调取新生档案, then 分班 (automatic, two classes) ----------------------------------
    _login(page, base, "thj_registrar")
    page.goto(base + "/admission/retrieve/")
    table = page.get_by_test_id("admissions")
    assert "待调档" in table.inner_text()
    for p in pupils[:5]:
        table.get_by_label(f"选择{p.name}").check()
    page.get_by_role("button", name="调档").click()
    page.wait_for_load_state()
    assert "已完成5人" in page.content()

    page.goto(base + "/admission/placement/")
    table = page.get_by_test_id("admissions")
    assert "已调档" in table.inner_text()
    for p in pupils[:5]:
        table.get_by_label(f"选择{p.name}").check()
    page.get_by_label(f"{c1.label}", exact=False).first.check()
    page.get_by_label(f"{c2.label}", exact=False).first.check()
    page.get_by_role("button", name="自动分班").click()
    page.wait_for_load_state()
    assert "已分班5人" in page.content()
    report = page.get_by_test_id("placement-report")
    rows = {}
    for tr in report.locator("tbody tr").all():
        cells = [c.inner_text() for c in tr.locator("td").all()]
        rows[cells[0]] = [int(x) for x in cells[1:]]
    assert set(rows) == {c1.label, c2.label}
    assert sorted(r[0] for r in rows.values()) == [2, 3]  # 本次分入: balanced
    for label, (added, size, boys, girls) in rows.items():
        assert size == added == boys + girls
        assert abs(boys - girls) <= 1, label

    # --- the records ------------------------------------------------------------------------
    records = Student.objects.filter(pk__in=[p.pk for p in pupils[:5]]).select_related("klass", "grade")
    for record in records:
        assert record.school_id == junior.pk and record.grade_id == new_grade.pk
        assert record.klass_id in (c1.pk, c2.pk) and record.status == "10"
        assert record.get_status_display() == "在校"
        counted = rows[record.klass.label]
        assert counted[1] == Student.objects.filter(klass=record.klass).count()
    for graduate in Graduate.objects.filter(student__in=pupils[:5]):
        assert graduate.destination == "01" and graduate.destination_label == "01-升学"
    assert set(AdmissionResult.objects.values_list("state", flat=True)) == {State.PLACED}
    left = Student.objects.get(pk=wrong.pk)
    assert left.school_id == primary.pk and left.status == "20"
