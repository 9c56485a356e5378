"""Writes of 招生入学 (F-63 导入设置, F-64). Each function owns its transaction and writes
its audit entry inside it; the record is written by ``students.services`` only
(``admit_records``, ``place_many``, ``place_in_class``).

The flow (docs/ADMISSION.md)::

    import_results / enter_result (the unit the import setting names)      → 待录取
      → admit (the admitting school: from its list, or admit_by_number 名单外)
          → one review business per row (initiate_many, type 初中/高中招生录取): the
            configured chain of the admitting school + the graduating school's
            authority for 初中 across counties / 高中 across cities      → 已录取(审核中)
          → open 问题学籍 of the graduates locked (problems.handling.lock_groups)
          → another school admitted the same graduate: DuplicateAdmission, both held
      → [reviews through the engine's work list] → pass                       → 待调档
      → retrieve (调档; refused while held)  → students.admit_records,
        毕业去向 升学, problem groups handed over                              → 已调档
      → place_manually / place_automatically (分班)                           → 已分班

重复招生 (F-65) ends through :func:`confirm_admission` (at most one passes) and
:func:`withdraw_admission`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.audit.services import record_event
from xueji.common import bulk
from xueji.common.batching import batches
from xueji.graduation.models import Graduate
from xueji.org.models import Authority, Grade, School, SchoolClass
from xueji.problems import handling as problem_handling
from xueji.students import rules as student_rules
from xueji.students import services as students
from xueji.students.models import Student
from xueji.workflow import registry
from xueji.workflow import services as workflow
from xueji.workflow.models import Business, BusinessStatus

from . import rules
from .models import (
    ADMITTED_STATES,
    LIVE_STATES,
    AdmissionResult,
    DuplicateAdmission,
    ImportSetting,
    Source,
    State,
)

KINDS = {"2": "admit_junior", "3": "admit_senior"}
IMPORT_JOB = "admission.import"
ADMIT_JOB = "admission.admit"
RETRIEVE_JOB = "admission.retrieve"
#: At most this many rows are admitted / retrieved in the request; more as a job.
INLINE_LIMIT = 500
CHUNK = 5000
#: Failing rows kept in an import's result.
SHOWN_FAILURES = 1000
GRADUATING_PARTY = "graduating"
DESTINATION_ADMITTED = "01"  # 毕业去向 01-升学
LOCK_REASON = "招生录取中"


def _name(user) -> str:
    if user is None:
        return "系统"
    return (getattr(user, "real_name", "") or user.get_username())[:50]


def admission_year(today: dt.date | None = None) -> int:
    """招生年度: the calendar year the admission is made in (the entering grade's 入学年份)."""
    return (today or timezone.localdate()).year


# --- 招生结果导入设置 (F-63) --------------------------------------------------------------------

def _province_chain(authority: Authority) -> list[Authority]:
    """The authorities from the province down to ``authority`` (the ministry left out)."""
    return [a for a in reversed(authority.ancestors()) if a.level >= 1]


class SettingCache:
    """The import settings of the authorities asked about, read once per set of them."""

    def __init__(self, stage: str):
        self.stage = stage
        self._values: dict[int, rules.SettingValue | None] = {}

    def load(self, authority_ids: Iterable[int]) -> None:
        missing = [pk for pk in set(authority_ids) if pk not in self._values]
        if not missing:
            return
        found = {a: rules.SettingValue(level, delegate) for a, level, delegate in
                 ImportSetting.objects.filter(authority_id__in=missing, stage=self.stage)
                 .values_list("authority_id", "level", "delegate")}
        for pk in missing:
            self._values[pk] = found.get(pk)

    def chain(self, authority: Authority) -> list[tuple[int, int, rules.SettingValue | None]]:
        nodes = _province_chain(authority)
        self.load(a.pk for a in nodes)
        return [(a.pk, a.level, self._values[a.pk]) for a in nodes]


def effective_import_level(school: School, stage: str, cache: SettingCache | None = None) -> str:
    """The level (rules.PROVINCE … rules.SCHOOL) that imports ``school``'s results of
    ``stage``: by the delegation chain for a county-supervised school, its supervising
    authority's level for a 直属 school."""
    cache = cache or SettingCache(stage)
    supervisor = school.supervisor
    return rules.importing_level(supervisor.level, cache.chain(supervisor))


def importer_of(school: School, stage: str, cache: SettingCache | None = None) -> School | Authority | None:
    """The unit that imports ``school``'s results of ``stage``."""
    level = effective_import_level(school, stage, cache)
    if level == rules.SCHOOL:
        return school
    wanted = {rules.PROVINCE: 1, rules.CITY: 2, rules.COUNTY: 3}[level]
    return next((a for a in school.supervisor.ancestors() if a.level == wanted), None)


def may_import(unit: School | Authority, school: School, stage: str, cache: SettingCache | None = None) -> bool:
    """May ``unit`` (a school or an authority) import ``school``'s results of ``stage``?"""
    importer = importer_of(school, stage, cache)
    return importer is not None and type(importer) is type(unit) and importer.pk == unit.pk


def setting_of(authority: Authority, stage: str) -> ImportSetting | None:
    return ImportSetting.objects.filter(authority=authority, stage=stage).first()


def may_set(authority: Authority, stage: str) -> bool:
    """May ``authority`` save its own setting (the ones above delegated)?"""
    if authority.level not in rules.AUTHORITY_IMPORT_LEVEL:
        return False
    return rules.effective_setting(SettingCache(stage).chain(authority)).may_set


def save_setting(user, *, stage: str, level: str, delegate: bool, request=None) -> ImportSetting:
    """设置本级配置: the user's authority sets the import level of ``stage`` and whether it
    delegates (a county: never)."""
    if getattr(user, "role", None) != Role.AUTHORITY_REGISTRAR or user.authority_id is None:
        raise PermissionDenied("只有教育行政部门学籍管理员可以设置招生结果导入单位级别")
    if stage not in rules.ADMISSION_STAGES:
        raise ValidationError("教育阶段应为初中或高中")
    authority = user.authority
    delegate = bool(delegate) and authority.level < 3
    refusal = rules.setting_refusal(authority.level, level, delegate, may_set=may_set(authority, stage))
    if refusal:
        raise ValidationError(refusal)
    with transaction.atomic():
        setting = ImportSetting.objects.select_for_update().filter(authority=authority, stage=stage).first()
        before = {"level": setting.level, "delegate": setting.delegate} if setting else {}
        if setting is None:
            setting = ImportSetting(authority=authority, stage=stage)
        setting.level, setting.delegate, setting.updated_by_name = level, delegate, _name(user)
        setting.save()
        record_event(action="admission.setting_saved",
                     summary=f"{authority.name}{rules.STAGE_NAMES[stage]}招生结果导入配置:导入单位级别"
                             f"{rules.LEVEL_NAMES[level]},{'下放' if delegate else '不下放'}",
                     actor=user, request=request, authority_prefix=authority.prefix,
                     before=before, after={"stage": stage, "level": level, "delegate": delegate})
    return setting


# --- the import of the result list --------------------------------------------------------------

def importing_unit(user) -> School | Authority:
    """The unit a user imports for: a school registrar's school, an authority registrar's
    authority; others may not import."""
    role = getattr(user, "role", None)
    if role == Role.SCHOOL_REGISTRAR and user.school_id:
        return user.school
    if role == Role.AUTHORITY_REGISTRAR and user.authority_id:
        return user.authority
    raise PermissionDenied("只有学校或教育行政部门的学籍管理员可以导入招生结果")


def _in_unit_scope(unit, school: School) -> bool:
    if isinstance(unit, School):
        return unit.pk == school.pk
    return school.supervisor.prefix.startswith(unit.prefix)


@dataclass
class ImportOutcome:
    rows: int = 0
    created: int = 0
    failures: dict[int, list[str]] = field(default_factory=dict)
    names: dict[int, tuple[str, str]] = field(default_factory=dict)
    created_ids: list[int] = field(default_factory=list)

    def as_result(self, filename: str = "") -> dict:
        return {
            "filename": filename, "rows": self.rows, "created": self.created, "failed_count": len(self.failures),
            "failures": [{"row": r, "number": self.names.get(r, ("", ""))[0], "name": self.names.get(r, ("", ""))[1],
                          "messages": self.failures[r]} for r in sorted(self.failures)[:SHOWN_FAILURES]],
            "summary": [f"共{self.rows}行:导入{self.created}行,未通过{len(self.failures)}行"],
        }


class _Resolver:
    """The set-based reads of one import: numbers → graduate facts, admitting school codes
    → school facts (scope and import setting), the results already there."""

    def __init__(self, unit, year: int, *, own_school: School | None = None):
        self.unit, self.year, self.own_school = unit, year, own_school
        self.caches = {stage: SettingCache(stage) for stage in rules.ADMISSION_STAGES}
        self.schools: dict[str, School | None] = {}
        self.school_facts: dict[tuple[str, str], rules.SchoolFact | None] = {}

    def graduates(self, numbers: Sequence[str]) -> dict[str, rules.GraduateFact]:
        found: dict[str, rules.GraduateFact] = {}
        for chunk in batches(list(numbers), CHUNK):
            records = list(Student.objects.filter(national_number__in=chunk).order_by()
                           .values_list("pk", "national_number", "name", "status"))
            grads: dict[int, tuple[int, str, str]] = {}
            for pk, student_id, stage, code in (Graduate.objects.filter(student_id__in=[r[0] for r in records],
                                                                        returned=False)
                                                .order_by("graduated_on", "pk")
                                                .values_list("pk", "student_id", "stage", "school__code")):
                grads[student_id] = (pk, stage, code)  # the latest live graduation
            for pk, number, name, status in records:
                g = grads.get(pk)
                found[number] = rules.GraduateFact(pk, name, status, g[0] if g else None, g[1] if g else None,
                                                   g[2] if g else None)
        return found

    def load_schools(self, codes: Iterable[str]) -> None:
        missing = [c for c in set(codes) if c and c not in self.schools]
        for chunk in batches(missing, CHUNK):
            got = {s.code: s for s in School.objects.filter(code__in=chunk, is_active=True)
                   .select_related("supervisor__parent__parent")}
            for code in chunk:
                self.schools[code] = got.get(code)

    def school_fact(self, code: str, stage: str | None) -> rules.SchoolFact | None:
        school = self.schools.get(code)
        if school is None:
            return None
        key = (code, stage or "")
        if key not in self.school_facts:
            refusal = None
            if self.own_school is not None:
                if school.pk != self.own_school.pk:
                    refusal = "只能录取到本校"
            elif not _in_unit_scope(self.unit, school):
                refusal = f"录取学校“{school.name}”不在您的数据范围内"
            elif stage in rules.ADMISSION_STAGES and not may_import(self.unit, school, stage, self.caches[stage]):
                importer = importer_of(school, stage, self.caches[stage])
                refusal = (f"按招生结果导入设置,{school.name}的{rules.STAGE_NAMES[stage]}招生结果由"
                           f"{importer.name if importer else '上级教育行政部门'}导入")
            self.school_facts[key] = rules.SchoolFact(school.pk, school.name, tuple(school.stages), refusal)
        return self.school_facts[key]


def _row_cells(row: dict) -> dict[str, str]:
    cells = {h: rules.cell_text(row.get(h)) for h in rules.HEADERS}
    cells[rules.NUMBER] = cells[rules.NUMBER].upper()
    return cells


def import_results(user, rows: Iterable[tuple[int, dict]], *, source: str = Source.IMPORT, job=None,
                   year: int | None = None, request=None, progress=None, own_school: School | None = None,
                   summary: str = "") -> ImportOutcome:
    """导入招生结果: ``rows`` are ``(row number, {header: value})`` with the five columns.
    Each row is checked (unknown number, name not matching, not a graduate, wrong
    graduating school, wrong stage, admitting school unknown / out of the importer's scope
    / imported by another unit by the import setting, twice in the file, already in the
    results of that school); the passing ones are inserted at once (one read of all
    numbers per chunk, one insert, one audit entry), the others reported by row."""
    unit = importing_unit(user) if own_school is None else own_school
    year = year or admission_year()
    outcome = ImportOutcome()
    resolver = _Resolver(unit, year, own_school=own_school)
    seen: dict[str, int] = {}
    planned: list[tuple[int, dict, rules.GraduateFact, rules.SchoolFact, str]] = []
    pending: list[tuple[int, dict[str, str]]] = []

    def flush():
        if not pending:
            return
        facts = resolver.graduates([c[rules.NUMBER] for _, c in pending if c[rules.NUMBER]])
        resolver.load_schools(c[rules.ADMITTING] for _, c in pending)
        for number_row, cells in pending:
            stage = rules.parse_stage(cells[rules.STAGE])
            graduate = facts.get(cells[rules.NUMBER])
            admitting = resolver.school_fact(cells[rules.ADMITTING], stage)
            errors = rules.check_row(cells, stage, graduate, admitting)
            number = cells[rules.NUMBER]
            if number and number in seen:
                errors.insert(0, f"学籍号与第{seen[number]}行重复")
            elif number:
                seen[number] = number_row
            if errors:
                outcome.failures[number_row] = errors
            else:
                planned.append((number_row, cells, graduate, admitting, stage))
        if progress is not None:
            progress.advance(len(pending))
        pending.clear()

    for number_row, row in rows:
        outcome.rows += 1
        cells = _row_cells(row)
        outcome.names[number_row] = (cells[rules.NUMBER], cells[rules.NAME])
        pending.append((number_row, cells))
        if len(pending) >= CHUNK:
            flush()
    flush()
    # already in the results of that school (live), one read per chunk
    existing: set[tuple[int, str, int]] = set()
    for chunk in batches(planned, CHUNK):
        existing.update(AdmissionResult.objects.filter(
            year=year, state__in=LIVE_STATES, student_id__in=[g.student_id for _, _, g, _, _ in chunk])
            .values_list("student_id", "stage", "admitting_school_id"))
    graduating_ids = dict(School.objects.filter(code__in={c[rules.GRADUATING] for _, c, _, _, _ in planned})
                          .values_list("code", "pk"))
    now = timezone.now()
    insert = []
    for number_row, cells, graduate, admitting, stage in planned:
        if (graduate.student_id, stage, admitting.school_id) in existing:
            outcome.failures[number_row] = [f"该生已在{admitting.name}的{year}年{rules.STAGE_NAMES[stage]}招生结果中"]
            continue
        insert.append((year, stage, graduate.student_id, graduate.graduate_id, cells[rules.NAME],
                       graduating_ids[cells[rules.GRADUATING]], admitting.school_id, source,
                       getattr(job, "pk", None),
                       unit.pk if isinstance(unit, School) else None,
                       unit.pk if isinstance(unit, Authority) else None,
                       _name(user), State.WAITING.value, False, False, "", "", now, now))
    with transaction.atomic():
        ids = bulk.allocate_ids(AdmissionResult, len(insert)) if insert else []
        try:
            with transaction.atomic():
                bulk.insert_rows(AdmissionResult, (
                    "id", "year", "stage", "student_id", "graduate_id", "given_name", "graduating_school_id",
                    "admitting_school_id", "source", "job_id", "imported_by_school_id", "imported_by_authority_id",
                    "imported_by_name", "state", "cross_review", "duplicate", "admitted_by_name", "note",
                    "created_at", "updated_at"), [(pk, *row) for pk, row in zip(ids, insert, strict=True)])
        except IntegrityError as error:
            raise ValidationError("招生结果已被其他人同时导入,请重新导入") from error
        outcome.created, outcome.created_ids = len(ids), ids
        if not ids and source in (Source.HAND, Source.SCHOOL):
            return outcome  # a refused single row: the caller shows the reasons, nothing was written
        what = summary or {Source.IMPORT: "导入招生结果", Source.HAND: "手工录入招生结果",
                           Source.API: "接口导入招生结果", Source.SCHOOL: "名单外录取"}.get(source, "导入招生结果")
        record_event(action="admission.imported" if source != Source.HAND else "admission.entered",
                     summary=f"{what}:共{outcome.rows}行,导入{outcome.created}行,未通过{len(outcome.failures)}行",
                     actor=user, request=request, target=("admission.admissionresult", None),
                     school=unit if isinstance(unit, School) else None,
                     authority_prefix=unit.prefix if isinstance(unit, Authority) else None,
                     after={"year": year, "source": source, "created": ids[:1000], "rows": outcome.rows,
                            "failed": len(outcome.failures)})
    return outcome


def enter_result(user, *, number: str, name: str, graduating_code: str, admitting_code: str, stage: str,
                 request=None) -> AdmissionResult:
    """手工录入 one result row (the same checks as the import); refused rows raise with the
    reasons."""
    row = {rules.NUMBER: number, rules.NAME: name, rules.GRADUATING: graduating_code, rules.ADMITTING: admitting_code,
           rules.STAGE: stage}
    outcome = import_results(user, [(1, row)], source=Source.HAND, request=request)
    if outcome.failures:
        raise ValidationError(outcome.failures[1])
    return AdmissionResult.objects.get(pk=outcome.created_ids[0])


def delete_result(user, result: AdmissionResult, request=None) -> AdmissionResult:
    """删除 a result row still 待录取, by the unit that imported it (it becomes 已撤销)."""
    unit = importing_unit(user)
    mine = (result.imported_by_school_id == unit.pk) if isinstance(unit, School) else (
        result.imported_by_authority_id == unit.pk)
    if not mine:
        raise PermissionDenied("只有导入该招生结果的单位可以删除")
    if result.state != State.WAITING:
        raise ValidationError("只能删除待录取的招生结果")
    return withdraw_admission(user, result, reason="导入单位删除", request=request)


# --- the template ---------------------------------------------------------------------------------

def template_workbook() -> bytes:
    """招生结果模板: the header of the five columns (the page explains how to fill them)."""
    import io

    from xueji.common.xlsx_writer import XlsxStream

    buffer = io.BytesIO()
    with XlsxStream(buffer, "招生结果") as sheet:
        sheet.append(rules.HEADERS)
    return buffer.getvalue()


# --- 录取 ----------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What a set operation did: the rows done, the rows refused with the reason."""

    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)
    duplicates: list[int] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return sorted(set(self.refused.values()))


def _school_registrar(user, school_id: int | None = None) -> School:
    if getattr(user, "role", None) != Role.SCHOOL_REGISTRAR or user.school_id is None:
        raise PermissionDenied("只有录取学校的学籍管理员可以办理")
    if school_id is not None and user.school_id != school_id:
        raise PermissionDenied("只有录取学校的学籍管理员可以办理")
    return user.school


@dataclass(slots=True)
class _Row:
    """A locked result row as 录取 and 调档 read it: the columns they use, no model instance
    (building 100,000 instances costs seconds, bench/admission.py)."""

    pk: int
    state: str
    given_name: str
    student_id: int
    graduate_id: int | None
    year: int
    stage: str
    graduating_school_id: int
    business_id: int | None
    cross_review: bool
    duplicate: bool
    duplicate_group_id: int | None
    grade_id: int | None

    def get_state_display(self) -> str:
        return State(self.state).label


_ROW_COLUMNS = ("pk", "state", "given_name", "student_id", "graduate_id", "year", "stage", "graduating_school_id",
                "business_id", "cross_review", "duplicate", "duplicate_group_id", "grade_id")


def _locked_rows(ids: Sequence[int], school: School) -> list[_Row]:
    """The rows ``ids`` of ``school``, locked, in id order; PermissionDenied when one is
    missing or another school's."""
    found, wanted = [], set(ids)
    for chunk in batches(sorted(wanted), CHUNK):
        found.extend(_Row(*values) for values in AdmissionResult.objects.select_for_update(of=("self",))
                     .filter(pk__in=chunk, admitting_school=school).order_by("pk").values_list(*_ROW_COLUMNS))
    if len(found) != len(wanted):
        raise PermissionDenied("所选招生结果不属于本校")
    return found


def _lock_students(student_ids: Iterable[int]) -> dict[int, str]:
    """Lock the graduates' records (two schools admitting one graduate are serialised
    here, so the second sees the first) and read their status."""
    status: dict[int, str] = {}
    for chunk in batches(sorted(set(student_ids)), CHUNK):
        status.update(Student.objects.select_for_update(of=("self",)).filter(pk__in=chunk).order_by("pk")
                      .values_list("pk", "status"))
    return status


def _review_step(graduating: School) -> dict:
    supervisor = graduating.supervisor
    return {"level": registry.SUPERVISOR, "party": GRADUATING_PARTY, "school_id": None,
            "authority_id": supervisor.pk, "unit": supervisor.name}


def admit(user, result_ids: Sequence[int], request=None) -> Outcome:
    """录取: the admitting school's registrar admits result rows of its list (待录取). Each
    admitted row starts its review business (the admitting school's configured chain of
    初中/高中招生录取, plus the graduating school's authority when 初中 crosses counties or
    高中 crosses cities) and becomes 已录取(审核中); the graduates' open problem records are
    locked; a graduate admitted by another school too makes a duplicate (both held).
    Rows not 待录取 (already admitted: a double submission) are refused with the reason."""
    school = _school_registrar(user)
    outcome = Outcome()
    with transaction.atomic():
        results = _locked_rows(result_ids, school)
        status = _lock_students(r.student_id for r in results)
        todo: list[_Row] = []
        for r in results:
            if r.state != State.WAITING:
                outcome.refused[r.pk] = f"{r.given_name}:{r.get_state_display()},不能重复录取"
                continue
            refusal = student_rules.business_allowed(status.get(r.student_id, ""), KINDS[r.stage],
                                                     kind_name=f"{rules.STAGE_NAMES[r.stage]}招生录取")
            if refusal:
                outcome.refused[r.pk] = f"{r.given_name}:{refusal}"
                continue
            todo.append(r)
        if not todo:
            return outcome
        graduating = {s.pk: s for s in School.objects.filter(pk__in={r.graduating_school_id for r in todo})
                      .select_related("supervisor")}
        now = timezone.now()
        name = _name(user)
        updates = []
        for stage in sorted({r.stage for r in todo}):
            members = [r for r in todo if r.stage == stage]
            items = []
            for r in members:
                g = graduating[r.graduating_school_id]
                r.cross_review = rules.needs_graduating_review(stage, school.division_id, g.division_id)
                items.append({"stage": stage, "summary": f"{school.name}录取{r.given_name}(毕业学校:{g.name})",
                              "extra_steps": [_review_step(g)] if r.cross_review else []})
            ids = workflow.initiate_many(kind=KINDS[stage], school=school, applicant=user, items=items,
                                         request=request)
            for r, business_id in zip(members, ids, strict=True):
                r.business_id = business_id
                updates.append((State.REVIEWING.value, business_id, r.cross_review, now, name, now, r.pk))
        bulk.update_rows(AdmissionResult, "id", ["state", "business_id", "cross_review", "admitted_at",
                                                  "admitted_by_name", "updated_at"], updates)
        outcome.done = [r.pk for r in todo]
        outcome.duplicates = _find_duplicates(todo)
        problem_handling.lock_groups([r.student_id for r in todo], LOCK_REASON, user=user)
        record_event(action="admission.admitted",
                     summary=f"{school.name}录取新生{len(todo)}人" + (
                         f",其中重复招生{len(outcome.duplicates)}人" if outcome.duplicates else ""),
                     actor=user, request=request, school=school, target=("admission.admissionresult", None),
                     after={"results": outcome.done[:1000], "duplicates": outcome.duplicates[:1000],
                            "refused": {str(k): v for k, v in list(outcome.refused.items())[:100]}})
    return outcome


def _find_duplicates(admitted: list[_Row]) -> list[int]:
    """The rows just admitted whose graduate another school admitted too (same year and
    stage): each such graduate gets (or joins) an open DuplicateAdmission and every member
    is flagged (held). Returns the ids of the rows just admitted that are duplicates."""
    keys = {(r.student_id, r.year, r.stage) for r in admitted}
    others: dict[tuple[int, int, str], list[int]] = {}
    for chunk in batches(sorted({k[0] for k in keys}), CHUNK):
        for pk, student_id, year, stage in (AdmissionResult.objects.filter(student_id__in=chunk, state__in=ADMITTED_STATES)
                                            .order_by().values_list("pk", "student_id", "year", "stage")):
            if (student_id, year, stage) in keys:
                others.setdefault((student_id, year, stage), []).append(pk)
    dup_keys = {k: v for k, v in others.items() if len(v) > 1}
    if not dup_keys:
        return []
    groups = {(g.student_id, g.year, g.stage): g for g in DuplicateAdmission.objects.filter(
        resolved=False, student_id__in={k[0] for k in dup_keys})}
    new = [DuplicateAdmission(student_id=k[0], year=k[1], stage=k[2]) for k in dup_keys if k not in groups]
    for g in DuplicateAdmission.objects.bulk_create(new):
        groups[(g.student_id, g.year, g.stage)] = g
    now = timezone.now()
    rows = [(True, groups[k].pk, now, pk) for k, pks in dup_keys.items() for pk in pks]
    bulk.update_rows(AdmissionResult, "id", ["duplicate", "duplicate_group_id", "updated_at"], rows)
    for r in admitted:
        if (r.student_id, r.year, r.stage) in dup_keys:
            r.duplicate, r.duplicate_group_id = True, groups[(r.student_id, r.year, r.stage)].pk
    record_event(action="admission.duplicate_found", summary=f"发现重复招生{len(dup_keys)}人",
                 target=("admission.duplicateadmission", None),
                 after={"groups": sorted(g.pk for k, g in groups.items() if k in dup_keys)[:1000]})
    return sorted(r.pk for r in admitted if r.duplicate)


def admit_by_number(user, *, number: str, name: str, stage: str = "", request=None) -> Outcome:
    """录取 a graduate not on the school's list (名单外, 自主招生 merged): by 学籍号 + 姓名; the
    row is checked as an import row would be (its graduating school from the record), then
    admitted. A row of this school already waiting is admitted instead."""
    school = _school_registrar(user)
    number = (number or "").strip().upper()
    name = (name or "").strip()
    if not number or not name:
        raise ValidationError("请填写学籍号和姓名")
    record = Student.objects.filter(national_number=number).values_list("pk", "name").first()
    if record is None or record[1] != name:
        raise ValidationError("学籍号与姓名不符,或该学籍号不存在")
    graduate = (Graduate.objects.filter(student_id=record[0], returned=False).order_by("-graduated_on", "-pk")
                .values_list("stage", "school__code").first())
    if graduate is None:
        raise ValidationError("该生不是毕业生")
    stage = stage or rules.NEXT_STAGE.get(graduate[0], "")
    year = admission_year()
    waiting = AdmissionResult.objects.filter(student_id=record[0], year=year, stage=stage, admitting_school=school,
                                             state=State.WAITING).values_list("pk", flat=True).first()
    if waiting is None:
        row = {rules.NUMBER: number, rules.NAME: name, rules.GRADUATING: graduate[1], rules.ADMITTING: school.code,
               rules.STAGE: stage}
        with transaction.atomic():
            result = import_results(user, [(1, row)], source=Source.SCHOOL, own_school=school, request=request,
                                    year=year)
            if result.failures:
                raise ValidationError(result.failures[1])
            return admit(user, result.created_ids, request=request)
    return admit(user, [waiting], request=request)


# --- the review business's hooks -----------------------------------------------------------------

def _results_of(businesses) -> list[AdmissionResult]:
    ids = [b.pk for b in businesses]
    found = []
    for chunk in batches(ids, CHUNK):
        found.extend(AdmissionResult.objects.select_for_update(of=("self",)).filter(business_id__in=chunk)
                     .order_by("pk"))
    return found


def on_passed_many(businesses, decisions, user):
    """The last review passed: 已录取(审核中) → 待调档 — per chunk one UPDATE … RETURNING
    the ids (no read first: the engine holds the businesses locked, and each row is its
    business's only one)."""
    ids = [b.pk for b in businesses]
    connection = transaction.get_connection()
    table = connection.ops.quote_name(AdmissionResult._meta.db_table)
    now = AdmissionResult._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
    results: list[int] = []
    with connection.cursor() as cursor:
        for chunk in batches(ids, CHUNK):
            where, params = bulk.ids_in("business_id", chunk)
            cursor.execute(f"UPDATE {table} SET state = %s, updated_at = %s WHERE {where} AND state = %s RETURNING id",
                           [State.APPROVED.value, now, *params, State.REVIEWING.value])
            results.extend(row[0] for row in cursor.fetchall())
    results.sort()
    return registry.Effect(f"录取审核通过{len(results)}人,待调档", {"results": results[:1000]})


def on_passed(business, decision, user):
    return on_passed_many([business], {}, user)


def on_ended_many(businesses, decisions, user):
    """The review failed (审核未通过) or the business was withdrawn / cleared (the row goes
    back to 待录取). The graduates no longer admitted anywhere get their problem records
    unlocked; duplicates left with one member end."""
    status = {b.pk: b.status for b in businesses}
    results = [r for r in _results_of(businesses) if r.state == State.REVIEWING]
    now = timezone.now()
    failed = [r for r in results if status.get(r.business_id) == BusinessStatus.FAILED]
    back = [r for r in results if status.get(r.business_id) != BusinessStatus.FAILED]
    bulk.update_rows(AdmissionResult, "id", ["state", "duplicate", "duplicate_group_id", "updated_at"],
                     [(State.REFUSED.value, False, None, now, r.pk) for r in failed]
                     + [(State.WAITING.value, False, None, now, r.pk) for r in back])
    _settle([r.duplicate_group_id for r in results if r.duplicate_group_id], user)
    _release_problems([r.student_id for r in results], user)
    return registry.Effect(f"录取审核未通过{len(failed)}人" + (f",退回待录取{len(back)}人" if back else ""),
                           {"failed": [r.pk for r in failed][:1000], "back": [r.pk for r in back][:1000]})


def on_ended(business, decision, user):
    return on_ended_many([business], {}, user)


def _release_problems(student_ids: list[int], user) -> None:
    """Unlock the problem records of graduates no school is admitting any more."""
    if not student_ids:
        return
    still = set(AdmissionResult.objects.filter(student_id__in=student_ids, state__in=ADMITTED_STATES)
                .values_list("student_id", flat=True))
    free = [pk for pk in student_ids if pk not in still]
    if free:
        problem_handling.hand_over(free, user=user, reason="招生录取结束,问题学籍仍由毕业学校处理")


#: Called with ``(resolved duplicate ids, user)`` when duplicates end by themselves (a review
#: refused, an admission withdrawn): 重复招生 (xueji/dupadmission) ends its evidence still under
#: review. Filled in the higher app's ``ready``.
SETTLED_HOOKS: list = []


def _settle(group_ids: Iterable[int], user=None) -> None:
    """A duplicate left with at most one admitted member is resolved by itself; that member
    is released (and the hooks told)."""
    group_ids = sorted(set(group_ids))
    if not group_ids:
        return
    counts = dict(AdmissionResult.objects.filter(duplicate_group_id__in=group_ids, state__in=ADMITTED_STATES)
                  .values("duplicate_group_id").annotate(n=Count("pk")).values_list("duplicate_group_id", "n"))
    done = [g for g in group_ids if counts.get(g, 0) <= 1]
    if not done:
        return
    now = timezone.now()
    for duplicate in DuplicateAdmission.objects.filter(pk__in=done, resolved=False):
        kept = AdmissionResult.objects.filter(duplicate_group=duplicate, state__in=ADMITTED_STATES).first()
        duplicate.resolved, duplicate.resolved_at, duplicate.kept = True, now, kept
        duplicate.note = duplicate.note or "其他录取已撤销或未通过"
        duplicate.save(update_fields=["resolved", "resolved_at", "kept", "note", "updated_at"])
    AdmissionResult.objects.filter(duplicate_group_id__in=done).update(duplicate=False, updated_at=now)
    for hook in SETTLED_HOOKS:
        hook(done, user)


# --- 重复招生: the entry points of F-65 ------------------------------------------------------------

def withdraw_admission(user, result: AdmissionResult, *, reason: str, request=None) -> AdmissionResult:
    """撤销 one admission (重复招生 not passed, or the importer deleting a waiting row): the
    row becomes 已撤销, its open review business ends (``workflow.terminate``), its duplicate
    is settled (one member left: released) and the graduate's problem records are unlocked
    when no other school admits them. Refused after 调档. The caller (F-65) checks who may."""
    reason = (reason or "").strip()[:200]
    if not reason:
        raise ValidationError("请填写撤销原因")
    with transaction.atomic():
        result = AdmissionResult.objects.select_for_update().get(pk=result.pk)
        if result.state in (State.RETRIEVED, State.PLACED):
            raise ValidationError("已调档的录取不能撤销")
        if result.state in (State.WITHDRAWN, State.REFUSED):
            raise ValidationError(f"该录取{result.get_state_display()},不能撤销")
        before = {"state": result.state}
        group = result.duplicate_group_id
        result.state, result.duplicate, result.note = State.WITHDRAWN, False, reason
        result.save(update_fields=["state", "duplicate", "note", "updated_at"])
        if result.business_id:
            business = Business.objects.get(pk=result.business_id)
            if business.is_open:
                workflow.terminate(business, reason=f"撤销录取:{reason}", actor=user, request=request)
        if group:
            _settle([group], user)
        _release_problems([result.student_id], user)
        record_event(action="admission.withdrawn",
                     summary=f"撤销录取:{result.given_name}({result.admitting_school.name}),{reason}"[:500],
                     actor=user, request=request, target=result, school=result.admitting_school,
                     before=before, after={"state": State.WITHDRAWN.value, "reason": reason})
    return result


def confirm_admission(user, group: DuplicateAdmission, keep: AdmissionResult | None, *, note: str = "",
                      request=None) -> DuplicateAdmission:
    """End a duplicate (重复招生仲裁): ``keep`` (one member, or None: none passes) stays and is
    released from the hold; every other member is withdrawn. The caller (F-65) checks who
    may decide."""
    note = (note or "").strip()[:200]
    with transaction.atomic():
        duplicate = DuplicateAdmission.objects.select_for_update().get(pk=group.pk)
        if duplicate.resolved:
            raise ValidationError("该重复招生已处理")
        members = list(AdmissionResult.objects.filter(duplicate_group=duplicate, state__in=ADMITTED_STATES))
        if keep is not None and keep.pk not in {m.pk for m in members}:
            raise ValidationError("保留的录取不属于该重复招生")
        for member in members:
            if keep is None or member.pk != keep.pk:
                withdraw_admission(user, member, reason=note or "重复招生处理:不予录取", request=request)
        duplicate.refresh_from_db()
        now = timezone.now()
        if not duplicate.resolved:
            duplicate.resolved, duplicate.resolved_at = True, now
        duplicate.kept = keep if keep is not None else None
        duplicate.resolved_by_name, duplicate.note = _name(user), note or duplicate.note
        duplicate.save()
        if keep is not None:
            AdmissionResult.objects.filter(pk=keep.pk).update(duplicate=False, updated_at=now)
        record_event(action="admission.confirmed",
                     summary=f"重复招生处理:{'保留' + keep.admitting_school.name + '的录取' if keep else '均不予录取'}",
                     actor=user, request=request, target=duplicate,
                     after={"kept": keep.pk if keep else None, "members": [m.pk for m in members], "note": note})
    return duplicate


# --- 调档 ---------------------------------------------------------------------------------------

def retrieve(user, result_ids: Sequence[int], request=None, *, progress=None) -> Outcome:
    """调取新生档案: the admitting school's registrar retrieves 待调档 rows: the records move
    into the school, the new stage's first grade (入学年份 = 招生年度), 待分班, status 在校
    (``students.admit_records``); the graduates' 毕业去向 becomes 01-升学; their locked
    problem records are handed over. Refused: not 待调档 (a second 调档), held by a
    duplicate, the entering grade not set up."""
    school = _school_registrar(user)
    outcome = Outcome()
    with transaction.atomic():
        results = _locked_rows(result_ids, school)
        grades = {(g.stage, g.entry_year): g.pk for g in Grade.objects.filter(school=school)}
        todo: list[tuple[_Row, int]] = []
        for r in results:
            if r.state != State.APPROVED:
                outcome.refused[r.pk] = f"{r.given_name}:{r.get_state_display()},不能调档"
            elif r.duplicate:
                outcome.refused[r.pk] = f"{r.given_name}:重复招生尚未处理完毕,暂停调档"
            elif (r.stage, r.year) not in grades:
                from xueji.org import rules as org_rules

                outcome.refused[r.pk] = (f"本校尚未建立{org_rules.grade_name(r.stage, r.year)},"
                                         "请先在年级班级管理中建立")
            else:
                todo.append((r, grades[(r.stage, r.year)]))
        if not todo:
            return outcome
        moved, refused = students.admit_records(
            [(r.student_id, school.pk, grade) for r, grade in todo], reason=f"调档:{school.name}录取",
            date=timezone.localdate(), actor=user, business_ids={r.student_id: r.business_id for r, _ in todo})
        by_student = {r.student_id: (r, grade) for r, grade in todo}
        for student_id, reason in refused.items():
            outcome.refused[by_student[student_id][0].pk] = f"{by_student[student_id][0].given_name}:{reason}"
        done = [by_student[m.student_id] for m in moved]
        now = timezone.now()
        bulk.update_grouped(AdmissionResult, [(grade, r.pk) for r, grade in done],
                            lambda grade: {"state": State.RETRIEVED.value, "grade_id": grade, "retrieved_at": now,
                                           "updated_at": now})
        graduate_ids = [r.graduate_id for r, _ in done if r.graduate_id]
        for chunk in batches(graduate_ids, CHUNK):
            Graduate.objects.filter(pk__in=chunk).update(destination=DESTINATION_ADMITTED,
                                                         destination_note=f"录取:{school.name}"[:100])
        problem_handling.hand_over([r.student_id for r, _ in done], user=user, reason="招生调档完毕,交由录取学校处理")
        outcome.done = [r.pk for r, _ in done]
        record_event(action="admission.retrieved", summary=f"{school.name}调取新生档案{len(done)}人",
                     actor=user, request=request, school=school, target=("admission.admissionresult", None),
                     after={"results": outcome.done[:1000],
                            "refused": {str(k): v for k, v in list(outcome.refused.items())[:100]}})
        if progress is not None:
            progress.advance(len(results))
    return outcome


# --- 分班 ---------------------------------------------------------------------------------------

@dataclass
class ClassResult:
    klass: SchoolClass
    added: int
    size: int
    boys: int
    girls: int


def _retrieved(school: School, result_ids: Sequence[int]) -> list[_Row]:
    results = _locked_rows(result_ids, school)
    wrong = [r for r in results if r.state != State.RETRIEVED]
    if wrong:
        raise ValidationError([f"{r.given_name}:{r.get_state_display()},不能分班" for r in wrong[:20]])
    return results


def class_loads(classes: Sequence[SchoolClass]) -> dict[int, rules.ClassLoad]:
    counts = {c.pk: rules.ClassLoad(c.pk) for c in classes}
    for klass, gender, n in (Student.objects.filter(klass__in=[c.pk for c in classes], status="10")
                             .values_list("klass_id", "gender").annotate(n=Count("pk")).order_by()):
        load = counts[klass]
        for _ in range(n):
            load.add(gender)
    return counts


def _class_results(classes: Sequence[SchoolClass], added: dict[int, int]) -> list[ClassResult]:
    loads = class_loads(classes)
    return [ClassResult(c, added.get(c.pk, 0), loads[c.pk].size, loads[c.pk].boys, loads[c.pk].girls)
            for c in classes]


def _finish_placement(user, school, results, plan: dict[int, int], how: str, request) -> None:
    now = timezone.now()
    bulk.update_grouped(AdmissionResult, [(plan[r.student_id], r.pk) for r in results],
                        lambda klass: {"state": State.PLACED.value, "klass_id": klass, "placed_at": now,
                                       "updated_at": now})
    record_event(action="admission.placed", summary=f"{school.name}新生{how}{len(results)}人",
                 actor=user, request=request, school=school, target=("admission.admissionresult", None),
                 after={"placements": {str(r.student_id): plan[r.student_id] for r in results[:1000]}})


def place_manually(user, result_ids: Sequence[int], klass: SchoolClass, request=None) -> list[ClassResult]:
    """手动分班: the chosen 已调档 rows into ``klass`` (a class of their grade)."""
    school = _school_registrar(user)
    if klass.school_id != school.pk:
        raise PermissionDenied("只能分到本校的班级")
    with transaction.atomic():
        results = _retrieved(school, result_ids)
        if any(r.grade_id != klass.grade_id for r in results):
            raise ValidationError("所选学生不属于该班级的年级")
        students.place_in_class([r.student_id for r in results], klass, actor=user, reason="新生分班")
        _finish_placement(user, school, results, {r.student_id: klass.pk for r in results}, "分班", request)
    return _class_results([klass], {klass.pk: len(results)})


def place_automatically(user, result_ids: Sequence[int], classes: Sequence[SchoolClass],
                        request=None) -> list[ClassResult]:
    """自动分班: the chosen 已调档 rows into ``classes`` (of their grade), balancing class
    size and boys and girls (``rules.plan_placement``), in one set-based write."""
    school = _school_registrar(user)
    classes = sorted(classes, key=lambda c: c.code)
    if not classes:
        raise ValidationError("请选择班级")
    if any(c.school_id != school.pk for c in classes):
        raise PermissionDenied("只能分到本校的班级")
    with transaction.atomic():
        results = _retrieved(school, result_ids)
        grades = {r.grade_id for r in results} | {c.grade_id for c in classes}
        if len(grades) > 1:
            raise ValidationError("所选学生与班级须属于同一年级")
        genders = dict(Student.objects.filter(pk__in=[r.student_id for r in results]).order_by()
                       .values_list("pk", "gender"))
        loads = class_loads(classes)
        plan = rules.plan_placement([(r.student_id, genders.get(r.student_id, "")) for r in results],
                                    [loads[c.pk] for c in classes])
        students.place_many(list(plan.items()), actor=user, reason="新生自动分班")
        _finish_placement(user, school, results, plan, "自动分班", request)
    added: dict[int, int] = {}
    for klass in plan.values():
        added[klass] = added.get(klass, 0) + 1
    return _class_results(classes, added)


# --- jobs ---------------------------------------------------------------------------------------

def submit_import(user, uploaded_file, *, request=None):
    """导入 of an uploaded result list as a job (the form checked size and bounds)."""
    from xueji.jobs.services import start_job

    unit = importing_unit(user)
    return start_job(IMPORT_JOB, user=user, school=unit if isinstance(unit, School) else None,
                     authority=unit if isinstance(unit, Authority) else None, input_file=uploaded_file,
                     request=request, title=f"导入招生结果:{uploaded_file.name}"[:200],
                     params={"filename": uploaded_file.name[:200]})


def run_import(job, progress):
    from xueji.common import xlsx_reader
    from xueji.students.excel import job_sheet, read_rows

    with job_sheet(job) as handle:
        expected = max((xlsx_reader.last_row_hint(handle) or 1) - 1, 0) or None
        handle.seek(0)
        progress.set_total(expected)
        outcome = import_results(job.owner, read_rows(handle, headers=rules.HEADERS), job=job, progress=progress)
    result = outcome.as_result(job.params.get("filename", ""))
    progress.finish(result)
    return result


def import_result_url(job) -> str:
    from django.urls import reverse

    return reverse("admission:results") + f"?job={job.pk}"


def start_set_job(kind: str, user, result_ids: list[int], *, request=None):
    """录取 / 调档 of many rows as a job with progress."""
    from xueji.jobs.services import start_job

    title = {ADMIT_JOB: "录取新生", RETRIEVE_JOB: "调取新生档案"}[kind]
    return start_job(kind, user=user, school=user.school, request=request, params={"results": result_ids},
                     title=f"{title}:{len(result_ids)}人")


def _run_set(operation, job, progress):
    ids = list(job.params.get("results") or [])
    progress.set_total(len(ids))
    done, refused = 0, {}
    for chunk in batches(ids, CHUNK):
        outcome = operation(job.owner, chunk)
        done += len(outcome.done)
        refused.update(outcome.refused)
        progress.set_done(done + len(refused))
    result = {"summary": [f"完成{done}人,未完成{len(refused)}人"],
              "refused": sorted(set(refused.values()))[:SHOWN_FAILURES]}
    progress.finish(result)
    return result


def run_admit(job, progress):
    return _run_set(admit, job, progress)


def run_retrieve(job, progress):
    return _run_set(retrieve, job, progress)


def set_job_url(job) -> str:
    from django.urls import reverse

    return reverse("admission:admit" if job.kind == ADMIT_JOB else "admission:retrieve")


# --- reviewer facts -------------------------------------------------------------------------------

def review_facts(businesses) -> dict[int, list[tuple[str, str]]]:
    """For the reviewer's work list: the graduate's school, whether it crosses counties /
    cities, whether another school admitted the graduate too — one query."""
    rows = (AdmissionResult.objects.filter(business_id__in=[b.pk for b in businesses])
            .values_list("business_id", "graduating_school__name", "cross_review", "duplicate"))
    return {pk: [("毕业学校", school), ("跨区县/地市", "是" if cross else "否"),
                 ("重复招生", "是" if duplicate else "否")] for pk, school, cross, duplicate in rows}


def return_blocker(graduate) -> str | None:
    """毕业生退回 is refused while a school is admitting the graduate (录取 under review or
    待调档): the return would pull the record from under the admission."""
    busy = (AdmissionResult.objects.filter(student_id=graduate.student_id, state__in=(State.REVIEWING, State.APPROVED))
            .select_related("admitting_school").first())
    if busy is None:
        return None
    return f"该毕业生正在被{busy.admitting_school.name}录取({busy.get_state_display()}),不能退回;请先撤销录取"


def register() -> None:
    """Plug the admission business types' effects and the jobs into the engine, and the
    admission's refusal into 毕业生退回."""
    from xueji.graduation import services as graduation
    from xueji.jobs import registry as jobs_registry

    if return_blocker not in graduation.RETURN_BLOCKERS:
        graduation.RETURN_BLOCKERS.append(return_blocker)

    for kind in KINDS.values():
        registry.set_handlers(kind, on_complete=on_passed, on_complete_many=on_passed_many, on_end=on_ended,
                              on_end_many=on_ended_many, facts=review_facts,
                              fact_columns=("毕业学校", "跨区县/地市", "重复招生"))
    jobs_registry.register(IMPORT_JOB, name="导入招生结果", run=run_import, result_url=import_result_url)
    jobs_registry.register(ADMIT_JOB, name="录取新生", run=run_admit, result_url=set_job_url)
    jobs_registry.register(RETRIEVE_JOB, name="调取新生档案", run=run_retrieve, result_url=set_job_url)

