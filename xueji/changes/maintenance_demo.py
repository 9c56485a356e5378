"""Demo data of 学籍数据维护: a showcase record with an edit, an award and a study resume,
so its 历史记录 and tabs are not empty (called from ``portal.demo``)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from xueji.students.models import Student

from . import maintenance_services as services


def seed_maintenance(school, registrar, today: dt.date) -> None:
    """Once per school: the first record (by class and name) gets its 联系电话 and 特长
    edited, an award and a study resume — through the page's own services (audited)."""
    student = (Student.objects.filter(school=school, klass__isnull=False).exclude(status="99")
               .order_by("klass__code", "name").first())  # not a 待分班 pupil (a demo transfer brings one)
    if student is None or student.events.filter(kind="fields").exists():
        return
    with transaction.atomic():
        services.update_fields(registrar, student, {"phone": "13800138000", "speciality": "书法"},
                               reason="家长核对后更正")
        services.add_part(registrar, student, "award", {"start": (today - dt.timedelta(days=90)).isoformat(),
                                                        "name": "三好学生", "level": "校级", "issuer": school.name})
        start = min(student.entry_month or "999999", today.strftime("%Y%m"))
        services.add_part(registrar, student, "resume", {"start": start, "school_name": school.name})
