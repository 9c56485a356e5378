"""Writes on organisation data: the national division list and authority tree, schools,
campuses, terms, grades and classes. Each owns its transaction and audit entry."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from xueji.audit.services import record_event
from xueji.common import references

from . import rules
from .models import Authority, AuthorityLevel, Campus, Division, Grade, School, SchoolClass, Term
from .selectors import schools_for

SCHOOL_WRITERS = {"school_registrar", "authority_registrar", "authority_admin"}

MINISTRY_CODE = "000000000000"
#: Names cpca gives to city-level placeholders of municipalities and of counties directly
#: under a province; an authority there is named after the parent.
_PLACEHOLDER_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def division_source_path() -> Path:
    """The national division list shipped by the ``cpca`` package (resources/adcodes.csv:
    12-digit statistical codes of every province, city and county). Found without
    importing cpca, which would pull pandas in."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def read_division_source(path: Path | None = None) -> list[tuple[str, str, int]]:
    """(code, name, level) of every province, city and county in the source list."""
    path = path or division_source_path()
    rows = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["adcode"].strip()
            level = rules.division_level_of(code)
            if level is not None:
                rows.append((code, row["name"].strip(), level))
    return sorted(rows)


def _parent_code(code: str, level: int, known: set[str]) -> str | None:
    if level == 1:
        return None
    if level == 3:
        city = code[:4] + "00000000"
        if city in known:
            return city
    return code[:2] + "0000000000"


def load_divisions(path: Path | None = None) -> dict[str, int]:
    """Load (or refresh) the national division list and build the education-authority
    tree from it: 教育部 → one authority per province, city and county. Set-based and
    idempotent: a second run changes nothing."""
    source = read_division_source(path)
    known = {code for code, _, _ in source}
    names = {code: name for code, name, _ in source}
    with transaction.atomic():
        for level in (1, 2, 3):
            batch = [
                Division(code=code, name=name, level=lvl, parent_id=_parent_code(code, lvl, known))
                for code, name, lvl in source
                if lvl == level
            ]
            Division.objects.bulk_create(
                batch, batch_size=1000, update_conflicts=True, unique_fields=["code"],
                update_fields=["name", "level", "parent"],
            )
        Division.objects.exclude(code__in=known).update(is_active=False)

        ministry, _ = Authority.objects.update_or_create(
            code=MINISTRY_CODE,
            defaults={"name": "教育部", "level": AuthorityLevel.MINISTRY, "prefix": "", "parent": None},
        )
        existing = dict(Authority.objects.values_list("code", "pk"))
        for level in (1, 2, 3):
            batch = []
            for code, name, lvl in source:
                if lvl != level:
                    continue
                parent_code = _parent_code(code, lvl, known)
                batch.append(Authority(
                    code=code,
                    name=authority_name(name, names.get(parent_code or "", ""), lvl, code),
                    level=lvl,
                    division_id=code,
                    parent_id=existing.get(parent_code) if parent_code else ministry.pk,
                    prefix=rules.division_prefix(code, lvl),
                ))
            Authority.objects.bulk_create(
                batch, batch_size=1000, update_conflicts=True, unique_fields=["code"],
                update_fields=["name", "level", "division", "parent", "prefix"],
            )
            existing = dict(Authority.objects.values_list("code", "pk"))
        record_event(action="org.divisions_loaded",
                     summary=f"加载全国行政区划:{len(source)}个区划,建立教育行政部门树",
                     after={"divisions": len(source)})
    return {
        "provinces": sum(1 for _, _, lvl in source if lvl == 1),
        "cities": sum(1 for _, _, lvl in source if lvl == 2),
        "counties": sum(1 for _, _, lvl in source if lvl == 3),
        "authorities": Authority.objects.count(),
    }


def authority_name(name: str, parent_name: str, level: int, code: str) -> str:
    """教育行政部门名称: 省教育厅; 直辖市教育委员会; 市/区/县教育局."""
    if name in _PLACEHOLDER_NAMES:
        return f"{parent_name}({name})教育局"
    if level == 1:
        if code[:2] in {"11", "12", "31", "50"}:
            return f"{name}教育委员会"
        return f"{name}教育厅"
    return f"{name}教育局"


def require_school_writer(actor, school: School) -> None:
    """Who may maintain a school's data: its own registrar, or an authority registrar or
    administrator whose scope holds the school."""
    if actor.role not in SCHOOL_WRITERS or not schools_for(actor).filter(pk=school.pk).exists():
        raise PermissionDenied("您无权维护该学校的信息")


# --- schools -----------------------------------------------------------------------

SCHOOL_AUDIT_FIELDS = (
    "code", "name", "category", "school_type", "supervisor_id", "division_id",
    "has_primary", "has_junior", "has_senior", "primary_years", "junior_years", "senior_years",
    "address_code", "address", "principal", "principal_phone", "office_phone", "is_active",
)


def _snapshot(school: School) -> dict:
    return {f: getattr(school, f) for f in SCHOOL_AUDIT_FIELDS}


def check_school(school: School) -> dict[str, list[str]]:
    """The F-02 rules on a school (before it is saved), by field."""
    errors: dict[str, list[str]] = {}

    def add(field: str, messages: list[str]) -> None:
        if messages:
            errors.setdefault(field, []).extend(messages)

    add("code", rules.check_school_code(school.code))
    address_errors = rules.check_division_code_format(school.address_code, "学校地址代码")
    if not address_errors and not Division.objects.filter(code=school.address_code).exists():
        address_errors = [f"学校地址代码“{school.address_code}”不是已知的行政区划"]
    add("address_code", address_errors)
    stages = {}
    if school.has_primary:
        stages["1"] = school.primary_years
    if school.has_junior:
        stages["2"] = school.junior_years
    if school.has_senior:
        stages["3"] = school.senior_years
    add("has_primary", rules.check_school_stages(stages))
    if school.division_id and school.division.level != 3:
        add("division", ["属地行政区划应为区县级"])
    return errors


def create_school(request, actor, school: School) -> School:
    """新增学校: an authority creates a school in its scope (supervised by itself or an
    authority below it)."""
    if not actor.is_authority_user or not school.supervisor.is_within(actor.authority):
        raise PermissionDenied("只能在本单位及下级单位范围内新增学校")
    errors = check_school(school)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            school.save()
            if not school.campuses.exists():
                Campus.objects.create(school=school, name=f"{school.name}(主校区)",
                                      address_code=school.address_code, address=school.address, is_main=True)
            record_event(action="org.school_created", summary=f"新增学校{school}",
                         actor=actor, request=request, target=school, school=school,
                         after=_snapshot(school))
    except IntegrityError as error:
        raise ValidationError({"code": [f"学校标识码“{school.code}”已存在"]}) from error
    return school


def update_school(request, actor, school: School, before: dict) -> School:
    """学校基本信息维护: the school's own users (or an authority in scope) save changes.
    ``before`` is the snapshot taken before the form changed the instance."""
    require_school_writer(actor, school)
    errors = check_school(school)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        school.save()
        after = _snapshot(school)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        record_event(action="org.school_updated", summary=f"修改学校基本信息{school}",
                     actor=actor, request=request, target=school, school=school,
                     before={k: before.get(k) for k in changed}, after=changed)
    return school


def school_snapshot(school: School) -> dict:
    return _snapshot(school)


def save_campus(request, actor, campus: Campus) -> Campus:
    """校区信息维护."""
    require_school_writer(actor, campus.school)
    errors = rules.check_division_code_format(campus.address_code, "校区地址代码")
    if not errors and not Division.objects.filter(code=campus.address_code).exists():
        errors = [f"校区地址代码“{campus.address_code}”不是已知的行政区划"]
    if errors:
        raise ValidationError({"address_code": errors})
    try:
        with transaction.atomic():
            created = campus.pk is None
            campus.save()
            record_event(action="org.campus_saved", summary=f"{'新增' if created else '修改'}校区{campus.name}",
                         actor=actor, request=request, target=campus, school=campus.school,
                         after={"name": campus.name, "address_code": campus.address_code, "address": campus.address})
    except IntegrityError as error:
        raise ValidationError({"name": ["本校已有同名校区"]}) from error
    return campus


# --- terms, grades, classes -------------------------------------------------------------

def create_term(request, actor, term: Term) -> Term:
    """学年学期设置, by an authority for itself or an authority below."""
    if not actor.is_authority_user or not term.authority.is_within(actor.authority):
        raise PermissionDenied("只能为本单位及下级单位设置学年学期")
    if term.end_date <= term.start_date:
        raise ValidationError({"end_date": ["结束日期应晚于开始日期"]})
    try:
        with transaction.atomic():
            term.save()
            record_event(action="org.term_created", summary=f"{term.authority}设置{term}",
                         actor=actor, request=request, target=term,
                         authority_prefix=term.authority.prefix,
                         after={"start": term.start_date, "end": term.end_date})
    except IntegrityError as error:
        raise ValidationError({"semester": ["该学年学期已设置"]}) from error
    return term


def create_grade(request, actor, school: School, stage: str, entry_year: int,
                 today: dt.date | None = None) -> Grade:
    """新增年级 (学校 + 学段 + 入学年份)."""
    require_school_writer(actor, school)
    today = today or timezone.localdate()
    errors = rules.check_entry_year(entry_year, today)
    if stage not in school.stages:
        errors.append(f"本校未设{rules.STAGE_NAMES.get(stage, stage)}教育阶段")
    if errors:
        raise ValidationError({"entry_year": errors})
    try:
        with transaction.atomic():
            grade = Grade.objects.create(school=school, stage=stage, entry_year=entry_year)
            record_event(action="org.grade_created", summary=f"{school.name}新增年级{grade.name}",
                         actor=actor, request=request, target=grade, school=school)
    except IntegrityError as error:
        raise ValidationError({"entry_year": [f"{rules.grade_name(stage, entry_year)}已存在"]}) from error
    return grade


def create_class(request, actor, grade: Grade, code: str, name: str = "", head_teacher=None) -> SchoolClass:
    """新增班级: the 7-digit 班号 must agree with the grade's entry year and stage."""
    school = grade.school
    require_school_writer(actor, school)
    code = (code or "").strip()
    errors = rules.check_class_code(code, grade.stage, grade.entry_year)
    if errors:
        raise ValidationError({"code": errors})
    if head_teacher is not None and head_teacher.school_id != school.pk:
        raise ValidationError({"head_teacher": ["班主任须为本校账号"]})
    name = name.strip() or f"{int(code[5:])}班"
    try:
        with transaction.atomic():
            klass = SchoolClass.objects.create(grade=grade, school=school, code=code, name=name,
                                               head_teacher=head_teacher)
            record_event(action="org.class_created", summary=f"{school.name}{grade.name}新增班级{name}({code})",
                         actor=actor, request=request, target=klass, school=school)
    except IntegrityError as error:
        raise ValidationError({"code": [f"班号{code}在本校已存在"]}) from error
    return klass


def remove_unused_classes(class_ids, grade_ids=()) -> tuple[list[str], list[str]]:
    """Take back classes and grades an unfinished load created (首次数据采集 creates the
    classes its file names): each of ``class_ids`` that nothing points at any more (no
    record, no registration … every foreign key to the class, :mod:`xueji.common.references`),
    then each of ``grade_ids`` left without classes and records. A step of the caller's
    business: its transaction, its audit entry. Returns the 班号 of the classes removed and
    those kept (in use)."""
    class_ids = list(dict.fromkeys(class_ids))
    grade_ids = list(dict.fromkeys(grade_ids))
    with transaction.atomic():
        codes = dict(SchoolClass.objects.select_for_update().filter(pk__in=class_ids).values_list("pk", "code"))
        used = references.referenced(SchoolClass, list(codes))
        doomed = [pk for pk in codes if pk not in used]
        SchoolClass.objects.filter(pk__in=doomed).delete()
        grades = list(Grade.objects.select_for_update().filter(pk__in=grade_ids).values_list("pk", flat=True))
        busy = references.referenced(Grade, grades)
        Grade.objects.filter(pk__in=[pk for pk in grades if pk not in busy]).delete()
    return sorted(codes[pk] for pk in doomed), sorted(codes[pk] for pk in used)
