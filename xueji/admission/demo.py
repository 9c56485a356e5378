"""Demo 招生入学 (演示数据), through the real services and the engine, on the graduates of the
毕业 demo (xueji/graduation/demo.py):

- 天河区教育局 (the default importer: 区县) imports a list for its junior schools with four
  refused rows (姓名不符, 不是毕业生, 教育阶段不符, 录取学校不存在) shown in the import report;
- 天河区九年一贯制学校 admits its own primary graduates: reviewed, 调档, 自动分班 (已分班);
- 天河区第一初级中学 admits graduates of its county and of 海珠区 (across counties: 海珠区教育局
  reviews too): rows 待录取, one waiting at its 学籍主管领导, one at 天河区教育局, one at
  海珠区教育局, one 待调档, one 调档 waiting for 分班;
- one 海珠区 graduate admitted by 天河区第一初级中学 and 天河区十二年一贯制学校: a duplicate
  admission (held; see xueji/dupadmission/demo.py);
- 广州市教育局 imports high-school rows for the city-run 广州市第一高级中学 (one admitted,
  waiting at the school leader).

Idempotent: nothing is added once any admission result exists.
"""

from __future__ import annotations

import io

from xueji.accounts.models import Role
from xueji.accounts.selectors import first_user
from xueji.graduation.models import Graduate
from xueji.org.models import School, SchoolClass
from xueji.students.models import Status, Student
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from . import rules, services
from .models import AdmissionResult

NINE_YEAR, TH_JUNIOR, TWELVE_YEAR, HAIZHU_PRIMARY, CITY_SENIOR, SCHOOL1 = (
    "3440106003", "3440106002", "3440106005", "3440105001", "3440104001", "3440106001")


def _graduates(school: School, stage: str) -> list[Student]:
    ids = Graduate.objects.filter(school=school, stage=stage, returned=False).order_by("pk").values_list(
        "student_id", flat=True)
    by_id = Student.objects.in_bulk(list(ids))
    return [by_id[pk] for pk in ids if pk in by_id]


def _row(student: Student, graduating: School, admitting_code: str, stage: str, name: str | None = None) -> dict:
    return {rules.NUMBER: student.national_number, rules.NAME: student.name if name is None else name,
            rules.GRADUATING: graduating.code, rules.ADMITTING: admitting_code, rules.STAGE: stage}


def _import(user, rows: list[dict]) -> list[AdmissionResult]:
    outcome = services.import_results(user, list(enumerate(rows, start=2)), summary="演示:招生结果名单")
    return list(AdmissionResult.objects.filter(pk__in=outcome.created_ids).order_by("pk"))


def _import_workbook(user, rows: list[dict]) -> list[AdmissionResult]:
    """The list uploaded as a workbook and imported by the job, as on 招生结果管理: its report
    (with the refused rows) is on the page. Run here, not by the worker."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xueji.common.xlsx_writer import XlsxStream
    from xueji.jobs import services as jobs

    buffer = io.BytesIO()
    with XlsxStream(buffer, "招生结果") as sheet:
        sheet.append(rules.HEADERS)
        for row in rows:
            sheet.append([row[h] for h in rules.HEADERS])
    upload = SimpleUploadedFile("天河区初中招生结果.xlsx", buffer.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    job = services.submit_import(user, upload)
    jobs.execute(job.pk)
    return list(AdmissionResult.objects.filter(job=job).order_by("pk"))


def _decide(result: AdmissionResult, *reviewers) -> None:
    for reviewer in reviewers:
        business = Business.objects.get(pk=AdmissionResult.objects.get(pk=result.pk).business_id)
        if business.status != "open":
            return
        workflow.decide(business, reviewer, True, "同意录取")


def seed_admission() -> None:
    if AdmissionResult.objects.exists():
        return
    schools = {s.code: s for s in School.objects.filter(
        code__in=[NINE_YEAR, TH_JUNIOR, TWELVE_YEAR, HAIZHU_PRIMARY, CITY_SENIOR, SCHOOL1]).select_related("supervisor")}
    if len(schools) < 6:
        return
    nine, junior, twelve, haizhu, senior = (schools[c] for c in (NINE_YEAR, TH_JUNIOR, TWELVE_YEAR, HAIZHU_PRIMARY,
                                                                  CITY_SENIOR))
    th = first_user(Role.AUTHORITY_REGISTRAR, authority=junior.supervisor)
    hz = first_user(Role.AUTHORITY_REGISTRAR, authority=haizhu.supervisor)
    gz = first_user(Role.AUTHORITY_REGISTRAR, authority=senior.supervisor)
    nine_graduates, hz_graduates = _graduates(nine, "1"), _graduates(haizhu, "1")
    junior_graduates = [s for s in _graduates(junior, "2")
                        if not Graduate.objects.filter(student=s).exclude(destination="").exists()]
    if None in (th, hz, gz) or len(nine_graduates) < 8 or len(hz_graduates) < 6 or len(junior_graduates) < 2:
        return
    in_school = Student.objects.filter(school=schools[SCHOOL1], status=Status.IN_SCHOOL).order_by("pk").first()

    # 天河区教育局's list: four rows refused in the report
    rows = ([_row(s, nine, NINE_YEAR, "2") for s in nine_graduates[:3]]
            + [_row(s, nine, TH_JUNIOR, "2") for s in nine_graduates[3:5]]
            + [_row(s, haizhu, TH_JUNIOR, "2") for s in hz_graduates[:6]]
            + [_row(nine_graduates[5], nine, TH_JUNIOR, "2", name="李四"),  # 姓名与学籍号不符
               _row(nine_graduates[6], nine, NINE_YEAR, "3"),  # 不是毕业学段的下一学段
               _row(nine_graduates[7], nine, "3440106999", "2")])  # 录取学校不存在
    if in_school is not None:
        rows.append(_row(in_school, schools[SCHOOL1], TH_JUNIOR, "2"))  # 不是毕业生
    results = _import_workbook(th, rows)
    by_school: dict[int, list[AdmissionResult]] = {}
    for result in results:
        by_school.setdefault(result.admitting_school_id, []).append(result)

    # 天河区九年一贯制学校: the whole way to 已分班
    registrar, leader = first_user(Role.SCHOOL_REGISTRAR, school=nine), first_user(Role.SCHOOL_LEADER, school=nine)
    own = by_school.get(nine.pk, [])
    services.admit(registrar, [r.pk for r in own])
    for result in own:
        _decide(result, leader, th)
    services.retrieve(registrar, [r.pk for r in own])
    grade_ids = set(AdmissionResult.objects.filter(pk__in=[r.pk for r in own]).values_list("grade_id", flat=True))
    classes = list(SchoolClass.objects.filter(school=nine, grade_id__in=grade_ids).order_by("code"))
    if classes:
        services.place_automatically(registrar, [r.pk for r in own], classes)

    # 天河区第一初级中学: every party waiting
    registrar, leader = first_user(Role.SCHOOL_REGISTRAR, school=junior), first_user(Role.SCHOOL_LEADER, school=junior)
    rows = by_school.get(junior.pk, [])
    county_rows = [r for r in rows if r.graduating_school_id == nine.pk]
    hz_rows = [r for r in rows if r.graduating_school_id == haizhu.pk]
    at_leader, at_county = county_rows[0], county_rows[1]
    at_haizhu, to_retrieve, retrieved, duplicate = hz_rows[0], hz_rows[1], hz_rows[2], hz_rows[5]
    services.admit(registrar, [at_leader.pk, at_county.pk, at_haizhu.pk, to_retrieve.pk, retrieved.pk, duplicate.pk])
    _decide(at_county, leader)
    _decide(at_haizhu, leader, th)
    _decide(to_retrieve, leader, th, hz)
    _decide(retrieved, leader, th, hz)
    services.retrieve(registrar, [retrieved.pk])

    # the duplicate: 天河区十二年一贯制学校 admits the same graduate by 学籍号 + 姓名 (名单外)
    twelve_registrar = first_user(Role.SCHOOL_REGISTRAR, school=twelve)
    student = Student.objects.get(pk=duplicate.student_id)
    services.admit_by_number(twelve_registrar, number=student.national_number, name=student.name, stage="2")

    # 广州市教育局 imports for the city-run high school; one admitted, waiting at the school leader
    high = _import(gz, [_row(s, junior, CITY_SENIOR, "3") for s in junior_graduates[:3]])
    city_registrar = first_user(Role.SCHOOL_REGISTRAR, school=senior)
    if high and city_registrar is not None:
        services.admit(city_registrar, [high[0].pk])
