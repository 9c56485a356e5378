"""首次数据采集 (F-46): a school's existing records loaded straight into Student records;
duplicates and failed verifications become historical problem groups instead of refusals;
numbers kept or allocated; the page, the command and who may run them."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from xueji.audit.models import AuditEntry
from xueji.problems.models import ProblemGroup, ProblemKind
from xueji.registration import collection
from xueji.registration.testing import resident_id, student_row
from xueji.students import fields
from xueji.students.models import IdentityClaim, NumberKind, Student, StudentNumber

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [*fields.headers(), "全国学籍号", "学籍状态"]


def _book(rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(h) for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _collect(reg, rows, school=None, user=None, **kw):
    return collection.collect(school or reg.world.th_school, user or reg.users.th_registrar, _book(rows),
                              filename="采集.xlsx", **kw)


def _third(reg, i: int, **kw) -> dict:
    """A third-grade pupil of the Tianhe school, known to the population registry."""
    return reg.row(i, klass=reg.class3, **kw)


def _no_id(reg, i: int, **kw) -> dict:
    guardian = reg.row(900 + i)["身份证件号"]
    row = student_row(reg.world.th_school.code, reg.class3.code, i, birth=dt.date(reg.year - 9, 3, 1),
                      division="440106000000", 身份证件类型="Z", 身份证件号="", 成员1身份证件类型="1",
                      成员1身份证件号=guardian)
    row.update(kw)
    return row


def _groups(kind):
    return list(ProblemGroup.objects.filter(kind=kind).prefetch_related("students"))


def test_clean_file_loads_every_record_with_its_number(reg):
    rows = [_third(reg, i) for i in range(1, 4)]
    report = _collect(reg, rows)
    assert (report.rows, report.created, report.failed) == (3, 3, [])
    students = {s.id_number: s for s in Student.objects.all()}
    assert len(students) == 3
    for row in rows:
        s = students[row["身份证件号"]]
        assert s.national_number == "G" + row["身份证件号"] and s.number_kind == NumberKind.OFFICIAL_ID
        assert s.klass == reg.class3 and s.school == reg.world.th_school and s.status == "10"
        assert s.family.count() == 1
        assert StudentNumber.objects.filter(number=s.national_number, student=s).exists()
        assert IdentityClaim.objects.get(key="1:" + row["身份证件号"]).student == s
    assert not ProblemGroup.objects.exists()
    assert report.as_dict()["numbers"] == {"G": 3, "J": 0, "L": 0}
    assert AuditEntry.objects.filter(action="registration.initial_collection_batch").exists()
    assert AuditEntry.objects.filter(action="registration.initial_collection").exists()


def test_duplicate_inside_the_file_becomes_a_historical_group(reg):
    row = _third(reg, 5)
    twin = dict(_third(reg, 6), 身份证件号=row["身份证件号"], 姓名=row["姓名"], 性别=row["性别"],
                出生日期=row["出生日期"])
    report = _collect(reg, [row, twin])
    assert report.created == 2 and not report.failed
    both = list(Student.objects.filter(id_number=row["身份证件号"]))
    assert len(both) == 2
    (group,) = _groups(ProblemKind.ID_DUPLICATE)
    assert group.historical and set(group.students.all()) == set(both)
    numbers = sorted(s.national_number for s in both)
    assert numbers[0] == "G" + row["身份证件号"] and numbers[1].startswith("L440106")  # the second holds no claim
    assert IdentityClaim.objects.filter(key="1:" + row["身份证件号"]).count() == 1
    assert report.groups_by_label == {"身份证件号重复": 1}


def test_duplicate_under_another_name_is_verified_on_its_own(reg):
    row = _third(reg, 26)
    impostor = dict(_third(reg, 27, known=False), 身份证件号=row["身份证件号"], 性别=row["性别"],
                    出生日期=row["出生日期"])
    report = _collect(reg, [impostor, row])  # the impostor comes first and holds the claim
    assert report.created == 2
    (error,) = _groups(ProblemKind.ID_ERROR)
    assert [s.name for s in error.students.all()] == [impostor["姓名"]] and "姓名" in error.note
    (duplicate,) = _groups(ProblemKind.ID_DUPLICATE)
    assert duplicate.students.count() == 2
    # neither gets the G number: the holder is unverified, the verified one holds no claim
    assert all(s.national_number.startswith("L") for s in Student.objects.all())


def test_duplicate_against_an_existing_record_of_another_school(reg):
    row = _third(reg, 7)
    _collect(reg, [row])
    holder = Student.objects.get()
    other = dict(row, 学校标识码=reg.world.hz_school.code, 班号=reg.hz_class.code, 入学年月=f"{reg.year}09",
                 出生日期=row["出生日期"])
    report = _collect(reg, [other], school=reg.world.hz_school, user=reg.users.gd_registrar)
    assert report.created == 1 and not report.failed, report.failed
    newcomer = Student.objects.get(school=reg.world.hz_school)
    assert newcomer.id_number == holder.id_number and newcomer.national_number.startswith("L")
    (group,) = _groups(ProblemKind.ID_DUPLICATE)
    assert group.historical and set(group.students.all()) == {holder, newcomer}
    assert IdentityClaim.objects.get(key="1:" + row["身份证件号"]).student == holder
    # a third one joins the open group rather than starting another
    third = dict(other, 学校标识码=reg.world.hz_school.code, 姓名="另一个人")
    _collect(reg, [third], school=reg.world.hz_school, user=reg.users.gd_registrar)
    (group,) = _groups(ProblemKind.ID_DUPLICATE)
    assert group.students.count() == 3


def test_verification_failure_gives_l_number_and_historical_id_error(reg):
    row = reg.row(8, klass=reg.class3, known=False)
    report = _collect(reg, [row])
    student = Student.objects.get()
    assert student.national_number.startswith("L440106") and student.number_kind == NumberKind.TEMPORARY
    assert student.national_number[7:15] == row["出生日期"] and len(student.national_number) == 19
    (group,) = _groups(ProblemKind.ID_ERROR)
    assert group.historical and list(group.students.all()) == [student] and group.note
    assert report.as_dict()["numbers"]["L"] == 1


def test_bad_rows_are_listed_and_the_others_go_on(reg):
    good = _third(reg, 9)
    bad = _third(reg, 10, 成员1姓名="x1", 出生日期="20150230", 学籍状态="不存在的状态")
    report = _collect(reg, [bad, good, _third(reg, 11, 班号="2019401")])
    assert report.created == 1 and Student.objects.get().id_number == good["身份证件号"]
    failures = {f.row: f.messages for f in report.failed}
    assert set(failures) == {2, 4}
    assert any("成员1姓名" in m for m in failures[2]) and any("出生日期" in m for m in failures[2])
    assert any("学籍状态" in m for m in failures[2])
    assert any("班号" in m for m in failures[4])


def test_no_id_twins_and_given_numbers_and_status(reg):
    first = _no_id(reg, 12, 姓名="无证学生", 全国学籍号="J440106" + f"{reg.year - 9}0301" + "0007")
    second = _no_id(reg, 13, 姓名="无证学生", 性别=first["性别"], 学籍状态="11-休学")
    foreign = _third(reg, 14, 姓名="Tom Lee", 身份证件类型="A", 身份证件号="E7654321", 港澳台侨外="51",
                     全国学籍号="J4401062015010100X1", **{"国籍/地区": "USA"})  # wrong birth date inside: replaced
    report = _collect(reg, [first, second, foreign])
    assert report.created == 3, report.failed
    kept = Student.objects.get(national_number="J440106" + f"{reg.year - 9}0301" + "0007")
    assert kept.id_type == "Z"
    other = Student.objects.get(name="无证学生", status="11")
    assert other.national_number.startswith("J440106") and other.national_number != kept.national_number
    (group,) = _groups(ProblemKind.NO_ID_DUPLICATE)
    assert group.historical and set(group.students.all()) == {kept, other}
    tom = Student.objects.get(name="Tom Lee")
    assert tom.national_number.startswith("J440106") and tom.national_number != "J4401062015010100X1"
    assert any(r == 4 and "已重新分配" in m for r, m in report.warnings)


def test_given_l_number_is_kept_when_unverified_and_history_when_verified(reg):
    unverified = reg.row(15, klass=reg.class3, known=False)
    l_number = "L440106" + unverified["出生日期"] + "00AB"
    verified = _third(reg, 16)
    old = "L440106" + verified["出生日期"] + "0001"
    _collect(reg, [dict(unverified, 全国学籍号=l_number), dict(verified, 全国学籍号=old)])
    assert Student.objects.get(id_number=unverified["身份证件号"]).national_number == l_number
    s = Student.objects.get(id_number=verified["身份证件号"])
    assert s.national_number == "G" + verified["身份证件号"]
    assert StudentNumber.objects.get(number=old).student == s  # the old number stays findable


def test_running_a_file_twice_does_not_double_the_school(reg):
    rows = [_third(reg, 17), _third(reg, 18)]
    _collect(reg, rows)
    report = _collect(reg, rows)
    assert report.created == 0 and len(report.failed) == 2
    assert "不能重复导入" in report.failed[0].messages[0]
    assert rows[0]["身份证件号"] not in report.failed[0].messages[0]  # the G number is masked in the list
    assert Student.objects.count() == 2 and not ProblemGroup.objects.exists()


def test_missing_classes_are_created_or_refused(reg):
    code = f"{reg.year - 3}102"
    row = _third(reg, 19, 班号=code, 入学年月=f"{reg.year - 3}09")
    report = _collect(reg, [row], create_classes=False)
    assert report.created == 0 and "在本校不存在" in report.failed[0].messages[0]
    report = _collect(reg, [row])
    assert report.classes_created == [code]
    student = Student.objects.get()
    assert student.klass.code == code and student.grade.entry_year == reg.year - 3 and student.grade.stage == "1"


# --- who may run it ------------------------------------------------------------------------------------

@pytest.mark.parametrize("username,allowed", [
    ("th_registrar", True),          # the supervising county
    ("gd_registrar", True),          # the province
    ("gz_registrar", False),         # the city: in scope but neither
    ("hz_registrar", False),         # another county: out of scope
    ("sch_registrar", False),        # the school itself
    ("th_admin", False),             # an administrator
])
def test_who_may_collect(reg, username, allowed):
    from xueji.accounts.models import User

    user = User.objects.get(username=username)
    if allowed:
        assert _collect(reg, [_third(reg, 20)], user=user).created == 1
    else:
        with pytest.raises(PermissionDenied):
            _collect(reg, [_third(reg, 20)], user=user)
        assert not Student.objects.exists()


def test_page(client, reg):
    url = reverse("registration:initial_collection")
    client.force_login(reg.users.school_registrar)
    assert client.get(url).status_code == 403
    client.force_login(reg.users.hz_registrar)
    response = client.post(url, {"school_code": reg.world.th_school.code, "create_classes": "on",
                                 "file": SimpleUploadedFile("a.xlsx", _book([_third(reg, 21)]), content_type=XLSX)})
    assert "不在您的数据范围内" in response.content.decode() and not Student.objects.exists()
    assert AuditEntry.objects.filter(action="scope.denied", actor_username="hz_registrar").exists()
    client.force_login(reg.users.th_registrar)
    response = client.post(url, {
        "school_code": reg.world.th_school.code, "create_classes": "on",
        "file": SimpleUploadedFile("a.xlsx", _book([_third(reg, 21), _third(reg, 22, 联系电话="1")]),
                                   content_type=XLSX)})
    assert response.status_code == 302 and response["Location"].startswith("/jobs/")
    response = client.get(response["Location"], follow=True)  # the job page → its result page
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="created">1<' in page and "联系电话格式不正确" in page


def test_command_prints_json(reg, tmp_path):
    path = tmp_path / "采集.xlsx"
    path.write_bytes(_book([_third(reg, 23), _third(reg, 24, 联系电话="1")]))
    out = io.StringIO()
    call_command("initial_collection", "--school", reg.world.th_school.code, "--user", "th_registrar", str(path),
                 stdout=out)
    result = json.loads(out.getvalue())
    assert result["rows"] == 2 and result["created"] == 1 and result["failed"] == 1
    assert result["errors"][0]["row"] == 3 and any("联系电话" in m for m in result["errors"][0]["messages"])
    assert result["numbers"]["G"] == 1 and result["school"] == reg.world.th_school.code
    with pytest.raises(CommandError, match="数据范围"):
        call_command("initial_collection", "--school", reg.world.th_school.code, "--user", "hz_registrar",
                     str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="只能由教育部门学籍管理员"):
        call_command("initial_collection", "--school", reg.world.th_school.code, "--user", "sch_registrar",
                     str(path), stdout=io.StringIO())


def test_unreadable_file(reg):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="不是有效的Excel文件"):
        collection.collect(reg.world.th_school, reg.users.th_registrar, b"not a workbook")


def test_resident_helper_is_consistent(reg):
    # the generated numbers the tests rely on carry the birth date the rows give
    row = _third(reg, 25)
    assert row["身份证件号"] == resident_id("440106", dt.datetime.strptime(row["出生日期"], "%Y%m%d").date(), 25,
                                          row["性别"])
