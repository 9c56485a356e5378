"""Demo 毕业升级 (演示数据), made through the real services and the engine:

1. 海珠区示范小学 (school2): its sixth grade graduated (毕业, reviewed by its 学籍主管领导 and
   海珠区教育局, executed) — graduates a 天河区 junior school can admit across counties;
2. 天河区九年一贯制学校: its primary final grade graduated — graduates admitted inside the county;
3. 天河区第一初级中学: its junior final grade graduated — graduates for the high schools;
   one graduate's 毕业去向 filled in;
4. every other 天河区 school keeps its final grades ready to graduate (天河区示范小学 first of all);

Idempotent: a school whose final grade was graduated once is left as it is.
"""

from __future__ import annotations

from django.utils import timezone

from xueji.accounts.models import Role
from xueji.accounts.selectors import first_user
from xueji.org.models import Grade, School
from xueji.students.models import Status, Student
from xueji.workflow import batches

from . import services
from .models import Graduate

HAIZHU_PRIMARY, NINE_YEAR, TH_JUNIOR = "3440105001", "3440106003", "3440106002"
DESTINATION_EMPLOYED = "10"  # 就业 (code table graduation_destination)


def _graduate_final(school: School, stage: str) -> list[int]:
    """Graduate the final grade of ``stage`` at ``school`` through the chain; returns the
    ids of its graduates (nothing when it was done before or nobody is in it)."""
    if Graduate.objects.filter(school=school, stage=stage).exists():
        return []
    registrar = first_user(Role.SCHOOL_REGISTRAR, school=school)
    leader = first_user(Role.SCHOOL_LEADER, school=school)
    county = first_user(Role.AUTHORITY_REGISTRAR, authority=school.supervisor)
    if registrar is None or leader is None or county is None:
        return []
    finals = [g for g in Grade.objects.filter(school=school, stage=stage) if services.grade_is_final(g, school)]
    if not finals or not Student.objects.filter(grade__in=finals, status=Status.IN_SCHOOL).exists():
        return []
    try:
        batch = services.start_graduation(registrar, kind="20", date=timezone.localdate(), by="grade", grades=[g.pk for g in finals])
    except services.GraduationRefused:
        # a pupil with an open demo business: graduate the others by student
        busy = set(services._busy(list(Student.objects.filter(grade__in=finals, status=Status.IN_SCHOOL)
                                        .values_list("pk", flat=True))))
        ids = [pk for pk in Student.objects.filter(grade__in=finals, status=Status.IN_SCHOOL)
               .values_list("pk", flat=True) if pk not in busy]
        if not ids:
            return []
        batch = services.start_graduation(registrar, kind="20", date=timezone.localdate(), by="students", student_ids=ids)
    for reviewer in (leader, county):
        batch.refresh_from_db()
        if batch.status == "reviewing":
            batches.decide_batch(batch, reviewer, True, "同意毕业")
    batch.refresh_from_db()
    services.execute_graduation(registrar, batch)
    return list(Graduate.objects.filter(batch=batch).values_list("student_id", flat=True))


def seed_graduation() -> None:
    for code, stage in ((HAIZHU_PRIMARY, "1"), (NINE_YEAR, "1"), (TH_JUNIOR, "2")):
        school = School.objects.filter(code=code).select_related("supervisor").first()
        if school is None:
            continue
        ids = _graduate_final(school, stage)
        if code == TH_JUNIOR and ids:
            registrar = first_user(Role.SCHOOL_REGISTRAR, school=school)
            graduate = Graduate.objects.filter(student_id=ids[-1]).first()
            if graduate is not None and not graduate.destination:
                services.set_destination(registrar, graduate, DESTINATION_EMPLOYED, "已在本市就业")
