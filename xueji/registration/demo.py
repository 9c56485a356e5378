"""Demo pupils (演示学生): every demo class gets pupils registered through the real
pipeline (rows → 查重认证 → school audit → 上报 → the configured authorities), plus
registrations left waiting at each level, temporary numbers with problem records, a
no-ID pupil waiting at the province, and kindergarten records for 学前调档. Generated
identities with valid check digits; the simulated population registry knows them (two are
on its not-found list).
Idempotent: a school that already has pupils is left alone."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from xueji.accounts.models import Role, User
from xueji.org.models import School, SchoolClass
from xueji.org.rules import school_year_of

from . import services
from .models import Registration, SimulatedPreschoolRecord, SimulatedResident
from .testing import first_grade_birth, person_name, resident_id, student_row

#: Years of schooling before each stage starts (birth date of an entrant).
_YEARS_BEFORE = {"1": 0, "2": 6, "3": 9}


def _birth(klass: SchoolClass, school: School, i: int) -> dt.date:
    before = _YEARS_BEFORE[klass.grade.stage]
    if klass.grade.stage == "2" and school.primary_years:
        before = school.primary_years
    return first_grade_birth(klass.grade.entry_year - before, i)


def _reviewers(school: School) -> dict[int, User]:
    """An authority registrar for every authority on the school's supervisor chain."""
    found = {}
    for authority in school.supervisor.ancestors():
        user = User.objects.filter(role=Role.AUTHORITY_REGISTRAR, authority=authority).first()
        if user is not None:
            found[authority.pk] = user
    return found


def _push(regs: list[Registration], school: School, leader: User, registrar: User, *, stop: str = "") -> None:
    """Move registrations up their chain, stopping before ``stop`` ('audit', 'report',
    'authority') or running to completion."""
    if not regs or stop == "audit":
        return
    services.school_review(regs, leader, True, "")
    if stop == "report":
        return
    regs = list(Registration.objects.filter(pk__in=[r.pk for r in regs]).select_related("business"))
    services.report(regs, registrar)
    if stop == "authority":
        return
    reviewers = _reviewers(school)
    for _ in range(5):
        waiting = list(Registration.objects.filter(pk__in=[r.pk for r in regs], business__status="open")
                       .select_related("business"))
        if not waiting:
            return
        authority_id = waiting[0].business.current_authority_id
        batch = [r for r in waiting if r.business.current_authority_id == authority_id]
        services.authority_review(batch, reviewers[authority_id], True, "")


def seed_pupils(school: School, registrar: User, leader: User, per_class: int, today: dt.date,
                offset: int, *, showcase: bool = False) -> int:
    """Register ``per_class`` pupils in every class of ``school``; with ``showcase``, also
    leave registrations waiting at each level and make problem records."""
    if school.students.exists():
        return 0
    division = school.division_id
    year = school_year_of(today)
    classes = list(SchoolClass.objects.filter(school=school).select_related("grade").order_by("code"))
    by_entry: dict[str, list] = {"primary-resident": [], "other-resident": []}
    unknown: set[str] = set()
    n = offset
    for klass in classes:
        entry = "primary-resident" if klass.grade.stage == "1" and klass.grade.entry_year == year else "other-resident"
        for _ in range(per_class):
            n += 1
            row = student_row(school.code, klass.code, n, birth=_birth(klass, school, n), division=division)
            by_entry[entry].append(row)
    if showcase:
        # Two pupils on the simulated registry's not-found list: temporary numbers and problems.
        unknown = {by_entry["other-resident"][0]["身份证件号"], by_entry["other-resident"][1]["身份证件号"]}
    SimulatedResident.objects.bulk_create(
        [SimulatedResident(id_number=r["身份证件号"], name=r["姓名"], not_found=r["身份证件号"] in unknown)
         for rows in by_entry.values() for r in rows],
        ignore_conflicts=True,
    )
    created = 0
    with transaction.atomic():
        for entry, rows in by_entry.items():
            if not rows:
                continue
            outcome = services.register_rows(school, entry, registrar, list(enumerate(rows, start=2)), today=today)
            regs = outcome.passed
            if showcase and entry == "primary-resident":
                # Every other pupil stays pending — 3 for the school leader, 2 for 上报,
                # the rest for the county — so each class also has registered pupils.
                waiting = regs[1::2]
                _push(regs[0::2], school, leader, registrar)
                _push(waiting[:3], school, leader, registrar, stop="audit")
                _push(waiting[3:5], school, leader, registrar, stop="report")
                _push(waiting[5:], school, leader, registrar, stop="authority")
            else:
                _push(regs, school, leader, registrar)
            created += len(regs)
        if showcase:
            _no_id_pupil(school, registrar, leader, classes, n + 1, today)
            _kindergarten_records(school, year, n + 10)
    return created


def _no_id_pupil(school, registrar, leader, classes, n, today) -> None:
    """A pupil without an ID document, waiting at the province (the chain 学校 → 主管教育局
    → 地市 → 省级 for 无身份证件 registrations)."""
    from PIL import Image

    klass = next(c for c in classes if c.grade.stage == "1" and c.grade.entry_year < school_year_of(today))
    row = student_row(school.code, klass.code, n, birth=_birth(klass, school, n), division=school.division_id,
                      身份证件类型="Z", 身份证件号="", 成员1身份证件类型="1",
                      成员1身份证件号=resident_id(school.division_id[:6], dt.date(1988, 3, 3), n, "1"))
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (245, 245, 245)).save(out, format="PNG")
    proof = SimpleUploadedFile("无身份证号学生在校就读证明.png", out.getvalue(), content_type="image/png")
    outcome = services.register_single(school, "other-no-id", registrar, row, proof=proof)
    if not outcome.passed:
        return
    reg = outcome.passed[0]
    services.school_review([reg], leader, True, "")
    reg = Registration.objects.select_related("business").get(pk=reg.pk)
    services.report([reg], registrar)
    reviewers = _reviewers(school)
    for _ in range(2):  # county, city; the province's registrar decides in the demo
        reg = Registration.objects.select_related("business").get(pk=reg.pk)
        reviewer = reviewers.get(reg.business.current_authority_id)
        if reviewer is None or reg.business.current_level == "province":
            break
        services.authority_review([reg], reviewer, True, "")


def _kindergarten_records(school: School, year: int, n: int) -> None:
    """Kindergarten records for children who will enter next year (学前调档 demo)."""
    records = []
    for k in range(6):
        birth = first_grade_birth(year + 1, n + k)
        gender = "1" if k % 2 else "2"
        records.append(SimulatedPreschoolRecord(
            ref=f"Y{school.code}{k:04d}", name=person_name(n + k), gender=gender, birth_date=birth, id_type="1",
            id_number=resident_id(school.division_id[:6], birth, n + k, gender),
            kindergarten=f"{school.division.name}第一幼儿园", data={"民族": "01", "健康状况": "10"},
        ))
    SimulatedPreschoolRecord.objects.bulk_create(records, ignore_conflicts=True)
