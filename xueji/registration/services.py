"""学籍注册 (F-40…F-42): imports and single entries → 查重认证 → school audit → 上报 →
authority levels → the record.

The bulk path is set-based: the sheet is streamed, rows are cleaned in memory by the
field rules, identities are claimed with one query and one insert per batch, businesses
and registrations are written as plain tuples (:mod:`xueji.common.bulk`) in one
transaction per batch, and the population registry is asked once per batch.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.audit.services import record_event
from xueji.common import bulk, parallel, xlsx_reader
from xueji.common.batching import batches
from xueji.common.masking import mask_id_number, mask_national_number
from xueji.jobs.services import start_job
from xueji.org.models import Authority, School, SchoolClass
from xueji.org.rules import DivisionNames, school_year_of
from xueji.org.selectors import division_sets
from xueji.problems.models import ProblemKind
from xueji.problems.services import NewGroup, group_same_people, open_groups, resolve_groups
from xueji.students import excel, fields, numbers
from xueji.students import rules as field_rules
from xueji.students import services as student_services
from xueji.students.excel import (
    ExcelFormatError,
    build_template,
    cells_from_values,
    failed_rows_filename,
    read_rows,
)
from xueji.students.models import NumberKind, Student
from xueji.students.rules import as_text
from xueji.students.selectors import temporary_number_students
from xueji.workflow import payloads
from xueji.workflow import services as workflow
from xueji.workflow.models import Business

from . import adapters
from .models import (
    DedupStatus,
    Entry,
    EntryAgeRule,
    Registration,
    RowError,
    Upload,
    UploadStatus,
    VerifyStatus,
)

BATCH_SIZE = 1000
#: The first batch of a worker-checked upload (then 2×, 4× … up to BATCH_SIZE).
FIRST_BATCH_SIZE = 250
#: A sheet declaring at most this many rows is read and checked here, in one batch: a
#: forked checker and a pipeline of growing batches only pay off for larger ones (a
#: school's 300-row sheet spent more on the fork and a second batch's fixed statements
#: than on its rows — bench/peak.py; DECISIONS 185).
INLINE_ROWS = BATCH_SIZE
HOLD_DEDUP = "dedup_pending"
HOLD_REPORT = "report_pending"

#: registration entry → its workflow business type (the entries themselves — what each
#: allows, whether it has an Excel import or a single form — are in students.fields).
ENTRY_BUSINESS = {
    Entry.PRIMARY_RESIDENT: "reg_primary_resident",
    Entry.PRIMARY_FOREIGN: "reg_primary_foreign",
    Entry.PRIMARY_NO_ID: "reg_primary_no_id",
    Entry.OTHER_RESIDENT: "reg_other_resident",
    Entry.OTHER_FOREIGN: "reg_other_foreign",
    Entry.OTHER_NO_ID: "reg_other_no_id",
}
EXCEL_ENTRIES = {key for key, spec in fields.ENTRIES.items() if spec.excel}
SINGLE_ENTRIES = {key for key, spec in fields.ENTRIES.items() if spec.single}


@dataclass
class RowOutcome:
    """A failing row: its number, every reason, and (for 导出未通过行) the row's cells as
    text ``{header: text}``."""

    row: int
    messages: list[str]
    name: str = ""
    id_number: str = ""
    raw: dict = field(default_factory=dict)


@dataclass
class BatchResult:
    """``passed``: the registrations created (kept only when asked: a 100,000-row import
    keeps just the count, so memory stays flat); ``failed``: every failing row."""

    passed: list[Registration] = field(default_factory=list)
    failed: list[RowOutcome] = field(default_factory=list)
    passed_count: int = 0
    total: int = 0


# --- the rules' context ---------------------------------------------------------------

def _division_sets() -> tuple[frozenset, frozenset, DivisionNames]:
    """Known 12-digit codes, 6-digit prefixes and the name index (``org.selectors.division_sets``)."""
    return division_sets()


def entry_age_rule(school: School) -> tuple[int, int | None, tuple[int, int]]:
    """The province's first-grade entry-age window (default six by 31 August)."""
    province = next((a for a in school.supervisor.ancestors() if a.level == 1), None)
    rule = EntryAgeRule.objects.filter(authority=province).first() if province else None
    if rule is None:
        month, day = (int(x) for x in settings.XUEJI_ENTRY_AGE_CUTOFF.split("-"))
        return settings.XUEJI_ENTRY_MIN_AGE, None, (month, day)
    return rule.min_age, rule.max_age, (rule.cutoff_month, rule.cutoff_day)


def rules_context(school: School, entry: str, today: dt.date | None = None) -> field_rules.CleanContext:
    """What the field rules need to know about this school and entry, as plain data."""
    today = today or timezone.localdate()
    codes, prefixes, names = _division_sets()
    spec = fields.entry(entry)
    kind, first_grade = spec.kind, spec.first_grade
    classes = {
        code: (stage, entry_year)
        for code, stage, entry_year in SchoolClass.objects.filter(school=school).values_list(
            "code", "grade__stage", "grade__entry_year"
        )
    }
    if first_grade:
        # 小学新生注册 places pupils in a first-year primary class only (this school year,
        # or the next one when registering ahead of September).
        year = school_year_of(today)
        classes = {c: v for c, v in classes.items() if v[0] == "1" and v[1] in (year, year + 1)}
    min_age, max_age, cutoff = entry_age_rule(school)
    return field_rules.CleanContext(
        entry=kind, first_grade=first_grade, today=today, known_division_codes=codes,
        known_division_prefixes=prefixes, division_names=names, classes=classes, school_code=school.code,
        entry_age=field_rules.EntryAgeRule(min_age=min_age, cutoff=cutoff, max_age=max_age),
    )


# --- the bulk path ----------------------------------------------------------------------

def _check_actor(user, school: School) -> None:
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id != school.pk:
        raise PermissionDenied("只有本校学籍管理员可以办理学籍注册")


class Prepared(NamedTuple):
    """One row after the field rules, as it crosses from the checking half of an import
    to the writing half (compact: plain values, the business content already JSON)."""

    row: int
    messages: list[str]  # empty: the row passed the field rules
    name: str
    id_number: str
    key: str = ""  # identity key (查重), "" for a pupil without an ID document
    id_type: str = ""
    gender: str = ""
    birth_date: str = ""  # ISO
    class_code: str = ""
    klass_id: int = 0
    payload: str = ""  # JSON of {"values", "family", "klass_id"}; of the row's cells when it failed


def prepare_rows(rows: Iterable[tuple[int, dict]], context: field_rules.CleanContext,
                 class_ids: dict[str, int], first_batch: int | None = None,
                 expected: int | None = None) -> Iterator[list[Prepared]]:
    """The checking half of an import, in batches: every row through the field rules
    (:func:`xueji.students.rules.clean_row`). Pure — no database — so it can run in a
    worker process (:func:`process_upload`; there the first batches are small, so the
    writing half starts early, and with ``expected`` rows the last ones are small again,
    so it finishes soon after the reading)."""
    for batch in batches(rows, BATCH_SIZE, first=first_batch, expected=expected):
        out = []
        for row, raw in batch:
            cleaned = field_rules.clean_row(raw, context=context)
            if cleaned.errors:
                cells = {header: as_text(value) for header, value in raw.items() if value is not None}
                out.append(Prepared(row, list(cleaned.errors), str(raw.get("姓名") or "")[:50],
                                    str(raw.get("身份证件号") or "")[:30],
                                    payload=bulk.dumps({h: t for h, t in cells.items() if t})))
                continue
            values = cleaned.values
            code = values["class_code"]
            id_number = values.get("id_number", "")
            out.append(Prepared(
                row, [], values["name"], id_number, numbers.identity_key(values["id_type"], id_number),
                values["id_type"], values["gender"], values["birth_date"].isoformat(), code, class_ids[code],
                bulk.dumps({"values": field_rules.stored_values(values), "family": cleaned.family,
                            "klass_id": class_ids[code]}),
            ))
        yield out


def _read_and_prepare(handle, context, class_ids, expected: int | None = None,
                      rows_checked: bool = False, first_batch: int = FIRST_BATCH_SIZE) -> Iterator[list[tuple]]:
    """Read the sheet and check its rows (the worker's half of :func:`process_upload`).
    The rows cross the pipe as plain tuples: pickling a named tuple costs four times as
    much (bench/registration_import.py)."""
    for batch in prepare_rows(read_rows(handle, rows_checked=rows_checked), context, class_ids,
                              first_batch=first_batch, expected=expected):
        yield [tuple(p) for p in batch]


def _as_prepared(batches_: Iterable[list[tuple]]) -> Iterator[list[Prepared]]:
    make = Prepared._make
    for batch in batches_:
        yield [make(t) for t in batch]


def _class_ids(school: School) -> dict[str, int]:
    return dict(SchoolClass.objects.filter(school=school).values_list("code", "pk"))


def register_rows(
    school: School, entry: str, user, rows: Iterable[tuple[int, dict]], *, upload: Upload | None = None,
    request=None, today: dt.date | None = None, keep: bool = True,
) -> BatchResult:
    """Clean, de-duplicate and register rows ``(row number, {header: value})``, in batches.
    With ``keep=False`` only the number of registrations is returned, not the objects."""
    _check_actor(user, school)
    context = rules_context(school, entry, today or timezone.localdate())
    prepared = prepare_rows(rows, context, _class_ids(school))
    return _register_prepared(school, entry, user, prepared, context, upload=upload, request=request, keep=keep)


def _register_prepared(school, entry, user, prepared: Iterable[list[Prepared]], context, *, upload=None,
                       request=None, keep=False) -> BatchResult:
    """The writing half: 查重, 认证 and the writes, batch after batch."""
    result = BatchResult()
    seen_keys: dict[str, int] = {}  # identity key → first row: duplicates within the whole file
    stage_of = {code: stage for code, (stage, _) in context.classes.items()}
    for batch in prepared:
        result.total += len(batch)
        business_ids, failed = _register_batch(school, entry, user, batch, stage_of, upload, request, seen_keys)
        result.passed_count += len(business_ids)
        result.failed.extend(failed)
        if keep and business_ids:
            found = {r.business_id: r for r in Registration.objects.filter(business_id__in=business_ids)
                     .select_related("business", "school", "klass")}
            result.passed.extend(found[pk] for pk in business_ids)
    return result


#: The columns of a registration written by the bulk path (the rest take their defaults).
_REGISTRATION_COLUMNS = (
    "business_id", "school_id", "entry", "upload_id", "row", "klass_id", "name", "gender", "birth_date",
    "id_type", "id_number", "dedup_status", "verify_status", "verify_note", "similar",
)


def _failed(p: Prepared, messages: list[str]) -> RowOutcome:
    """A failing row with its cells: as read when the field rules refused it, else rebuilt
    from its cleaned values (turned away by 查重)."""
    if not p.payload:
        cells = {}
    elif p.messages:
        cells = json.loads(p.payload)
    else:
        data = json.loads(p.payload)
        cells = cells_from_values(data["values"], data["family"])
    return RowOutcome(p.row, messages, p.name, p.id_number, cells)


def _register_batch(school, entry, user, batch: list[Prepared], stage_of: dict[str, str], upload, request,
                    seen_keys: dict[str, int]) -> tuple[list[int], list[RowOutcome]]:
    """One batch of checked rows: turn away identities already held (in the file or in
    the country), then — in one transaction — claim the identities, start the businesses
    and write the registrations (:mod:`xueji.common.bulk`: plain tuples, no model
    instances). Returns the business ids of the registrations created, in row order,
    and the failing rows."""
    failed: list[RowOutcome] = []
    good: list[Prepared] = []
    for p in batch:
        if p.messages:
            failed.append(_failed(p, p.messages))
            continue
        if p.key:
            first = seen_keys.setdefault(p.key, p.row)
            if first != p.row:
                failed.append(_failed(p, [f"身份证件号与本文件第{first}行重复"]))
                continue
        good.append(p)
    if not good:
        return [], failed
    # 查重 in two steps, both set-based: a read that turns away identities already held,
    # then (below, in the transaction) the claims themselves, where the database settles
    # a race.
    conflicts = student_services.find_conflicts([p.key for p in good if p.key])
    accepted = []
    for p in good:
        if p.key and p.key in conflicts:
            failed.append(_failed(p, [conflicts[p.key].message]))
        else:
            accepted.append(p)
    if not accepted:
        return [], failed
    # 认证 (one registry call per batch) and the no-ID matches, before anything is written
    # (no lock is held while the registry answers); if the registry can't be reached the
    # registrations wait on hold for a retry.
    verdicts = _verify([{"id_type": p.id_type, "id_number": p.id_number, "name": p.name} for p in accepted])
    similar = _similar_people([
        {"name": p.name, "gender": p.gender, "birth_date": dt.date.fromisoformat(p.birth_date),
         "id_type": p.id_type, "_row": p.row} if p.id_type == numbers.NO_DOCUMENT_TYPE else {"id_type": p.id_type}
        for p in accepted
    ])
    with transaction.atomic():
        ids = bulk.allocate_ids(Business, len(accepted))
        lost = student_services.claim_identities(
            [(p.key, school.pk, pk) for pk, p in zip(ids, accepted, strict=True) if p.key], checked=True)
        winners = []
        for index, (pk, p) in enumerate(zip(ids, accepted, strict=True)):
            if p.key and p.key in lost:  # lost a race with another school's registration
                failed.append(_failed(p, [lost[p.key].message]))
            else:
                winners.append((index, pk, p))
        if not winners:
            return [], failed
        business_ids = workflow.initiate_many(
            kind=ENTRY_BUSINESS[Entry(entry)], school=school, applicant=user, request=request,
            hold="" if verdicts is not None else HOLD_DEDUP, ids=[pk for _, pk, _ in winners],
            items=[{"payload_json": p.payload, "stage": stage_of[p.class_code],
                    "summary": f"{p.name} {mask_id_number(p.id_number)}".strip()} for _, _, p in winners],
        )
        upload_id = upload.pk if upload is not None else None
        bulk.insert_rows(Registration, _REGISTRATION_COLUMNS, [
            (pk, school.pk, entry, upload_id, p.row, p.klass_id, p.name, p.gender, p.birth_date,
             p.id_type, p.id_number, *_verdict(p.id_type, p.id_number, verdicts), bulk.dumps(similar.get(index, [])))
            for index, pk, p in winners
        ])
    return business_ids, failed


def _verify(rows: list[dict]) -> dict | None:
    """认证: the resident IDs of ``rows`` against the population registry, in one call.
    None when the registry could not be reached (the registrations then wait)."""
    people = [adapters.Person(v["id_number"], v["name"]) for v in rows if v["id_type"] == numbers.RESIDENT_ID_TYPE]
    if not people:
        return {}
    try:
        return adapters.population_registry().verify(people)
    except OSError:  # network, timeout, refused: retry later (retry_verification)
        return None


def verify_people(people) -> dict | None:
    """认证 for other features (``students.verification``): ``[(resident ID, name)]`` →
    ``{resident ID: (verified, reason)}``, None when the registry can't be reached."""
    verdicts = _verify([{"id_type": numbers.RESIDENT_ID_TYPE, "id_number": n, "name": name} for n, name in people])
    if verdicts is None:
        return None
    return {n: (bool(v.verified), v.reason) for n, v in verdicts.items()}


def _verdict(id_type: str, id_number: str, verdicts: dict | None) -> tuple[str, str, str]:
    """(查重状态, 认证状态, 认证说明) of a registration, given the registry's answers
    (None: the registry could not be reached)."""
    if id_type != numbers.RESIDENT_ID_TYPE:
        return DedupStatus.PASSED, VerifyStatus.NOT_APPLICABLE, ""
    if verdicts is None:
        return DedupStatus.PASSED, VerifyStatus.PENDING, ""
    verdict = verdicts.get(id_number)
    return (DedupStatus.PASSED, VerifyStatus.PASSED if verdict and verdict.verified else VerifyStatus.FAILED,
            verdict.reason if verdict else "人口信息库未答复")


def _apply_verdict(reg: Registration, verdicts: dict | None) -> None:
    reg.dedup_status, reg.verify_status, reg.verify_note = _verdict(reg.id_type, reg.id_number, verdicts)


@dataclass
class RetryResult:
    """What :func:`retry_verification` settled: registrations released from their hold,
    and records upgraded from a temporary L to an official G number."""

    registrations: int = 0
    upgraded: int = 0
    unreachable: bool = False


def retry_verification(limit: int = 10000) -> RetryResult:
    """认证 of registrations that waited because the population registry was unreachable
    (their 查重认证 hold is released), then 重新认证 of records holding a temporary L
    number (:func:`reverify_temporary_numbers`, at most ``limit`` of each). For the
    management command and cron."""
    result = RetryResult()
    waiting = list(Registration.objects.filter(
        verify_status=VerifyStatus.PENDING, business__status="open", business__hold=HOLD_DEDUP,
    )[:limit])
    if waiting:
        verdicts = _verify([{"id_number": r.id_number, "name": r.name, "id_type": r.id_type} for r in waiting])
        if verdicts is None:
            result.unreachable = True
            return result
        with transaction.atomic():
            for reg in waiting:
                _apply_verdict(reg, verdicts)
            Registration.objects.bulk_update(waiting, ["dedup_status", "verify_status", "verify_note"],
                                             batch_size=1000)
            workflow.release_hold_many([r.business_id for r in waiting], HOLD_DEDUP)
        result.registrations = len(waiting)
    reverified = reverify_temporary_numbers(Student.objects.all(), limit=limit)
    result.upgraded = len(reverified.upgraded)
    result.unreachable = reverified.unreachable
    return result


@dataclass
class Reverification:
    """The outcome of :func:`reverify_temporary_numbers`: ``upgraded`` (student id, old L,
    new G), ``failed`` (student id → the registry's reason), ``skipped`` (student id →
    why the number can't change), ``unreachable`` (the registry did not answer: nothing
    changed)."""

    upgraded: list[tuple[int, str, str]] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)
    unreachable: bool = False

    @property
    def messages(self) -> list[str]:
        """What the registrar is told, in Chinese."""
        if self.unreachable:
            return ["人口信息库暂时无法访问,请稍后重试;学籍未作改动"]
        parts = [f"{len(self.upgraded)}人认证通过,已转为正式学籍号"]
        if self.failed:
            reasons = "、".join(sorted(set(self.failed.values())))
            parts.append(f"{len(self.failed)}人仍未通过认证({reasons})")
        if self.skipped:
            reasons = "、".join(sorted(set(self.skipped.values())))
            parts.append(f"{len(self.skipped)}人未能转换({reasons})")
        return ["重新认证完成:" + ";".join(parts)]


def reverify_temporary_numbers(students, *, actor=None, request=None, limit: int | None = None) -> Reverification:
    """重新认证 (F-26): the records of ``students`` (a scoped queryset) that hold a
    temporary L number with a resident ID are verified again against the population
    registry, in batches of :data:`BATCH_SIZE` (one registry call each); a verified one
    gets the official G number (:func:`xueji.students.services.upgrade_temporary_numbers`
    — the L keeps resolving) and its 身份证件号错误 problem group is resolved. One
    transaction and one audit entry per batch and school. If the registry can't be
    reached, nothing changes (``unreachable``). ``limit``: at most this many records."""
    result = Reverification()
    candidates = temporary_number_students(students).order_by("pk").values_list("pk", "id_number", "name", "school_id")
    candidates = list(candidates[:limit] if limit is not None else candidates)
    for batch in batches(candidates, BATCH_SIZE):
        verdicts = _verify([{"id_type": numbers.RESIDENT_ID_TYPE, "id_number": n, "name": name}
                            for _, n, name, _ in batch])
        if verdicts is None:
            result.unreachable = True
            return result
        verified = []
        for pk, id_number, _, _ in batch:
            verdict = verdicts.get(id_number)
            if verdict is not None and verdict.verified:
                verified.append(pk)
            else:
                result.failed[pk] = verdict.reason if verdict and verdict.reason else "人口信息库未答复"
        with transaction.atomic():
            upgrade = student_services.upgrade_temporary_numbers(verified)
            upgraded = [pk for pk, _, _ in upgrade.upgraded]
            resolved = resolve_groups(ProblemKind.ID_ERROR, upgraded, resolution="重新认证通过,已转为正式学籍号")
            school_of = {pk: school_id for pk, _, _, school_id in batch}
            by_school: dict[int, list[tuple[int, str, str]]] = {}
            for change in upgrade.upgraded:
                by_school.setdefault(school_of[change[0]], []).append(change)
            schools = School.objects.in_bulk(list(by_school))
            for school_id, changes in by_school.items():
                record_event(
                    action="registration.numbers_upgraded",
                    summary=f"重新认证:{schools[school_id].name}{len(changes)}人由临时学籍号转为正式学籍号",
                    actor=actor, request=request, school=schools[school_id],
                    target=("students.student", changes[0][0] if len(changes) == 1 else None),
                    after={"students": [[pk, old, new] for pk, old, new in changes][:2000],
                           "problem_groups_resolved": resolved[:2000]},
                )
        result.upgraded += upgrade.upgraded
        result.skipped.update(upgrade.skipped)
    return result


def _similar_people(rows: list[dict]) -> dict[int, list[dict]]:
    """No-ID 查重 (never blocking, shown to every reviewer): for each no-ID row (by its
    index), the records, pending registrations and other rows of the batch that share
    name + gender + birth date."""
    wanted: dict[tuple, list[int]] = {}
    for index, v in enumerate(rows):
        if v["id_type"] == numbers.NO_DOCUMENT_TYPE:
            wanted.setdefault((v["name"], v["gender"], v["birth_date"]), []).append(index)
    if not wanted:
        return {}
    names = {n for n, _, _ in wanted}
    found: dict[tuple, list[dict]] = {}
    for s in Student.objects.filter(name__in=names).exclude(status="99").select_related("school"):
        person = (s.name, s.gender, s.birth_date)
        if person in wanted:
            found.setdefault(person, []).append(
                {"national_number": s.national_number, "school": s.school.name, "kind": "学籍"})
    for r in Registration.objects.filter(name__in=names, student__isnull=True,
                                         business__status="open").select_related("school"):
        person = (r.name, r.gender, r.birth_date)
        if person in wanted:
            found.setdefault(person, []).append({"registration": r.pk, "school": r.school.name, "kind": "注册申请"})
    result: dict[int, list[dict]] = {}
    for person, indexes in wanted.items():
        for index in indexes:
            same_batch = [{"row": rows[i].get("_row"), "kind": "本次录入"} for i in indexes if i != index]
            if found.get(person) or same_batch:
                result[index] = found.get(person, []) + same_batch
    return result


# --- uploads ------------------------------------------------------------------------------

def start_upload(school: School, entry: str, user, uploaded_file, request=None) -> Upload:
    """导入: keep the file and an upload record (with its audit entry, in one
    transaction); the rows are processed by :func:`process_upload` — in the task worker
    when started through :func:`submit_upload`."""
    _check_actor(user, school)
    if Entry(entry) not in EXCEL_ENTRIES:
        raise ValidationError("该注册类型不支持Excel导入")
    with transaction.atomic():
        upload = Upload(school=school, entry=entry, user=user, filename=uploaded_file.name[:200])
        upload.file.save(uploaded_file.name, uploaded_file, save=False)
        upload.save()
        record_event(action="registration.upload", summary=f"导入{upload.get_entry_display()}:{upload.filename}",
                     actor=user, request=request, target=upload, school=school)
    return upload


def failed_rows_workbook(upload: Upload, user, request=None) -> tuple[bytes, str]:
    """导出未通过行: the failing rows of an upload in the template's columns with a last
    column 错误原因, ready to be corrected and imported again; for the school's registrar.
    Returns the .xlsx bytes and its file name."""
    _check_actor(user, upload.school)
    errors = list(upload.row_errors.order_by("row"))
    content = build_template(upload.entry, rows=[
        (e.raw or {"姓名": e.name, "身份证件号": e.id_number}, ";".join(e.messages)) for e in errors
    ])
    record_event(action="registration.failed_rows_exported",
                 summary=f"导出未通过行:{upload.filename}({len(errors)}行)",
                 actor=user, request=request, target=upload, school=upload.school)
    return content, failed_rows_filename(upload.entry)


#: The job kind of a registration import (registered in apps.ready, run by registration.jobs).
IMPORT_JOB = "registration.import"


def submit_upload(school: School, entry: str, user, uploaded_file, request=None):
    """导入 as the page and the API do it: the upload record and its background job
    (:data:`IMPORT_JOB`), in one transaction; the request returns at once and the rows are
    read, checked and registered by the worker (:func:`process_upload`)."""
    with transaction.atomic():
        upload = start_upload(school, entry, user, uploaded_file, request)
        return start_job(IMPORT_JOB, user=user, params={"upload": upload.pk}, school=school, request=request,
                         title=f"学籍注册导入:{upload.filename}")


def resubmit_upload(upload: Upload, user, request=None, rerun_of=None):
    """重新执行 an import whose job failed: a new upload record of the same stored file (the
    failed one stays, with its message) and a new job."""
    _check_actor(user, upload.school)
    if upload.status == UploadStatus.PROCESSING:
        raise ValidationError("该导入仍在处理中")
    with transaction.atomic():
        again = Upload(school=upload.school, entry=upload.entry, user=user, filename=upload.filename)
        again.file.name = upload.file.name
        again.save()
        record_event(action="registration.upload", summary=f"重新导入{again.get_entry_display()}:{again.filename}",
                     actor=user, request=request, target=again, school=again.school,
                     after={"again_of": upload.pk})
        return start_job(IMPORT_JOB, user=user, params={"upload": again.pk}, school=again.school, request=request,
                         title=f"学籍注册导入:{again.filename}", rerun_of=rerun_of)


#: Registrations withdrawn per statement when an upload is undone (keeps every IN list
#: well under SQLite's limit of bound parameters).
UNDO_CHUNK = 5000


def _undo_upload(upload: Upload, request=None, reason: str = "导入文件无法读完") -> int:
    """Withdraw the registrations an upload created (not yet reviewed): their businesses,
    registrations and identity claims — every batch committed so far, in one transaction.
    Returns how many."""
    ids = list(Registration.objects.filter(upload=upload, student__isnull=True).values_list("business_id", flat=True))
    if not ids:
        return 0
    undone = 0
    with transaction.atomic():
        for start in range(0, len(ids), UNDO_CHUNK):
            chunk = ids[start:start + UNDO_CHUNK]
            student_services.release_claims(chunk)
            undone += workflow.discard_unstarted(chunk, actor=upload.user, request=request, reason=reason)
    return undone


def undo_unfinished_upload(upload: Upload, reason: str) -> int:
    """An import that did not finish (its worker died, it was cancelled, it raised):
    withdraw what it registered and mark it failed, in the caller's transaction. An
    upload already finished is left as it is. Returns how many registrations were withdrawn."""
    upload = Upload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != UploadStatus.PROCESSING:
        return 0
    undone = _undo_upload(upload, reason=reason)
    upload.status = UploadStatus.FAILED
    upload.message = (f"{reason},本次导入已撤回" + (f"(撤回{undone}条注册申请)" if undone else "")
                      + ",请重新导入")[:300]
    upload.finished_at = timezone.now()
    upload.save(update_fields=["status", "message", "finished_at"])
    record_event(action="registration.upload_undone", summary=f"{upload.filename}:{upload.message}",
                 actor=upload.user, target=upload, school=upload.school, after={"withdrawn": undone})
    return undone


def _counted(prepared: Iterable[list[Prepared]], progress) -> Iterator[list[Prepared]]:
    """Report each batch to the job's progress once it is written (the next is asked for)."""
    for batch in prepared:
        yield batch
        if batch:
            progress.set_done(max(progress.done, batch[-1].row - 1))


def process_upload(upload: Upload, request=None, today: dt.date | None = None, progress=None) -> Upload:
    """Read the sheet (streamed), register the rows that pass, keep every failing row.

    The rows are read and checked in a worker process (:mod:`xueji.common.parallel`)
    while this one de-duplicates and writes the previous batch. Each batch is one
    transaction; the end (row errors, totals, audit entry and — under a job — the job's
    completion, ``progress``) is one more, so an upload is finished exactly when its job is.
    """
    school = upload.school
    _check_actor(upload.user, school)
    context = rules_context(school, upload.entry, today or timezone.localdate())
    try:
        with upload.file.open("rb") as handle:
            last = xlsx_reader.last_row_hint(handle)
            handle.seek(0)
            expected = last - 1 if last and last > 1 else None
            if progress is not None:
                progress.set_total(expected)

            def check_bounds() -> None:
                # The sheet's bounds (rows, expanded size, shared strings) are checked here,
                # on a handle of our own, while the worker reads its first rows: nothing is
                # written before they pass, and the sheet is not scanned twice in a row.
                with upload.file.storage.open(upload.file.name, "rb") as own:
                    excel.check_bounds(own)

            inline = expected is not None and expected <= INLINE_ROWS
            prepared = _as_prepared(parallel.iterate_in_worker(
                _read_and_prepare, handle, context, _class_ids(school), expected, True,
                BATCH_SIZE if inline else FIRST_BATCH_SIZE, while_starting=check_bounds, inline=inline))
            if progress is not None:
                prepared = _counted(prepared, progress)
            outcome = _register_prepared(school, upload.entry, upload.user, prepared, context,
                                         upload=upload, request=request)
    except ExcelFormatError as error:
        # A damaged sheet body shows only when the streaming reader gets there: what this
        # upload registered before that is withdrawn, so a file counts whole or not at all.
        with transaction.atomic():
            undone = _undo_upload(upload, request)
            upload.status = UploadStatus.FAILED
            upload.message = (str(error) + (f";已撤回本文件已登记的{undone}条注册申请,请检查文件后重新导入"
                                            if undone else ""))[:300]
            upload.finished_at = timezone.now()
            upload.save(update_fields=["status", "message", "finished_at"])
            record_event(action="registration.upload_processed", summary=f"{upload.filename}:导入失败:{upload.message}",
                         actor=upload.user, request=request, target=upload, school=school)
            if progress is not None:
                progress.finish({"upload": upload.pk, "summary": [f"导入失败:{upload.message}"]})
        return upload
    with transaction.atomic():
        # Plain tuples, JSON by orjson (the failing rows of a large sheet: a model
        # instance and the standard json module per row cost more than the insert).
        bulk.insert_rows(RowError, ("upload_id", "row", "name", "id_number", "messages", "raw"), [
            (upload.pk, f.row, f.name[:50], f.id_number[:30], bulk.dumps(f.messages), bulk.dumps(f.raw))
            for f in outcome.failed
        ])
        upload.total_rows = outcome.total
        upload.passed_rows = outcome.passed_count
        upload.failed_rows = len(outcome.failed)
        upload.status = UploadStatus.DONE
        upload.finished_at = timezone.now()
        if not upload.total_rows:
            upload.message = "Excel文件中没有数据"
        upload.save(update_fields=["total_rows", "passed_rows", "failed_rows", "status", "message", "finished_at"])
        summary = f"{upload.filename}:共{upload.total_rows}行,通过{upload.passed_rows}行,未通过{upload.failed_rows}行"
        record_event(action="registration.upload_processed", summary=summary,
                     actor=upload.user, request=request, target=upload, school=school)
        if progress is not None:
            progress.total = progress.done = outcome.total
            progress.finish({"upload": upload.pk, "summary": [summary]})
    return upload


# --- reviews ---------------------------------------------------------------------------------

def _decide(registrations: list[Registration], reviewer, passed: bool, opinion: str, request) -> int:
    result = workflow.decide_many([r.business for r in registrations], reviewer, passed, opinion, request=request)
    if result.skipped and not result.decided:
        raise ValidationError(sorted({reason for _, reason in result.skipped}))
    return len(result.decided)


def school_review(registrations: list[Registration], leader, passed: bool, opinion: str, request=None) -> int:
    """学校审核 by the school leader (single, selected or all). A passing registration
    then waits for 上报 (the engine holds it: report_after_school)."""
    if leader.role != Role.SCHOOL_LEADER or any(r.school_id != leader.school_id for r in registrations):
        raise PermissionDenied("只能由本校学籍主管领导审核本校的注册申请")
    return _decide(registrations, leader, passed, opinion, request)


def report(registrations: list[Registration], registrar, request=None) -> int:
    """上报: the school registrar sends audited registrations to the authority."""
    ids = [r.business_id for r in registrations]
    for reg in registrations:
        if reg.school_id != registrar.school_id or registrar.role != Role.SCHOOL_REGISTRAR:
            raise PermissionDenied("只能上报本校的注册申请")
    with transaction.atomic():
        count = workflow.release_hold_many(ids, HOLD_REPORT)
        record_event(action="registration.reported", summary=f"上报{count}条注册申请", actor=registrar,
                     request=request, school=registrations[0].school if registrations else None,
                     after={"businesses": ids[:1000]})
    return count


# --- completion: the record comes into being -----------------------------------------------

#: What a registration business carries (``prepare_rows``): the row's values by the
#: 72-item catalogue, its family members and the class chosen — the labels and kinds come
#: from the catalogue (students/fields.py), so reviewers see labelled fields.
PAYLOAD = payloads.Schema("学籍注册:学生基本信息和家庭成员信息(72项)", (
    payloads.Field("values", "学生信息", "record", fields=payloads.from_catalogue(fields.STUDENT_FIELDS)),
    payloads.Field("family", "家庭成员", "members", required=False, item_label="家庭成员{n}", fields=(
        payloads.Field("seq", "序号", "hidden", required=False),
        *payloads.from_catalogue(fields.MEMBER_FIELDS[1], label=lambda f: f.header.removeprefix(f"成员{f.member}")),
    )),
    payloads.Field("klass_id", "班级", "hidden"),
))


def complete_registration(business, decision=None, user=None) -> Student:
    """on_complete of every registration type: the record of one registration (see
    :func:`complete_registrations`)."""
    (student_id,) = complete_registrations([business], actor=user)
    return Student.objects.get(pk=student_id)


def _number_of(reg: Registration) -> tuple[str, str]:
    """(kind, number) of the record a registration creates; "" = a new sequenced number:
    a verified resident ID → G + the ID; an unverified one → a temporary L; no resident
    ID → an official J (F-26)."""
    if reg.id_type == numbers.RESIDENT_ID_TYPE and reg.verify_status == VerifyStatus.PASSED:
        return NumberKind.OFFICIAL_ID, numbers.official_number(reg.id_number)
    if reg.id_type == numbers.RESIDENT_ID_TYPE:
        return NumberKind.TEMPORARY, ""
    return NumberKind.OFFICIAL_OTHER, ""


def complete_registrations(businesses, decisions=None, user=None, *, actor=None, request=None) -> list[int]:
    """学籍注册完成: the records of registrations whose business passed its last level,
    each in its class with its number (:func:`xueji.students.services.create_records`,
    set-based: one step for a single registration or for 5,000 of a 全部审核). A failed
    verification gives a temporary number and a 身份证件号错误 problem group; a pupil
    without an ID document who shares 姓名+性别+出生日期 with another record joins (or
    opens) a 无身份证件号姓名性别出生日期重复 group. One audit entry per school.
    Returns the new records' ids in the order of ``businesses``.

    Also the engine's set-based hook ``on_complete_many(businesses, decisions, user)``:
    ``user`` (the reviewer) is the actor."""
    actor = actor if actor is not None else user
    businesses = list(businesses)
    if not businesses:
        return []
    regs = {r.business_id: r for r in Registration.objects.filter(
        business_id__in=[b.pk for b in businesses]).select_related("school", "klass__grade", "klass__school")}
    specs = []
    for business in businesses:
        reg = regs[business.pk]
        data = business.payload
        kind, number = _number_of(reg)
        specs.append(student_services.NewRecord(
            values={**field_rules.full_values(data["values"]), "birth_date": reg.birth_date},
            family=data.get("family", []),
            school_id=reg.school_id, klass_id=reg.klass_id, number_kind=kind, number=number,
            identity_key=numbers.identity_key(reg.id_type, reg.id_number), business_id=business.pk))
    with transaction.atomic():
        created = student_services.create_records(specs, actor=actor)
        bulk.update_rows(Registration, "business_id", ["student_id"],
                         [(c.pk, b.pk) for c, b in zip(created, businesses, strict=True)])
        groups = open_groups([
            NewGroup(ProblemKind.ID_ERROR, (c.pk,), regs[b.pk].verify_note)
            for c, b in zip(created, businesses, strict=True) if c.number_kind == NumberKind.TEMPORARY
        ])
        groups += group_same_people([c.pk for c, b in zip(created, businesses, strict=True)
                                     if regs[b.pk].id_type == numbers.NO_DOCUMENT_TYPE])
        by_school: dict[int, list[tuple[student_services.CreatedRecord, Registration]]] = {}
        for c, b in zip(created, businesses, strict=True):
            by_school.setdefault(c.school_id, []).append((c, regs[b.pk]))
        for pairs in by_school.values():
            school = pairs[0][1].school
            if len(pairs) == 1:
                c, reg = pairs[0]
                # The summary shows in the log's list: the G number (the ID number) masked.
                record_event(action="registration.completed",
                             summary=f"学籍注册完成:{c.name} {mask_national_number(c.national_number)}",
                             actor=actor, request=request, target=("students.student", c.pk), school=school,
                             after={"national_number": c.national_number, "class": reg.klass.label,
                                    "problem_groups": [g.pk for g in groups]})
            else:
                record_event(action="registration.completed",
                             summary=f"学籍注册完成:{school.name}{len(pairs)}人",
                             actor=actor, request=request, target=("students.student", None), school=school,
                             after={"students": [[c.pk, c.national_number] for c, _ in pairs][:5000],
                                    "problem_groups": [g.pk for g in groups][:1000]})
    return [c.pk for c in created]


def end_registration(business, decision=None, user=None) -> None:
    """on_end: a rejected or withdrawn registration frees its identity."""
    student_services.release_claims([business.pk])


def end_registrations(businesses, decisions=None, user=None) -> None:
    """on_end_many: rejected or withdrawn registrations (全部审核不通过, 在办业务清理) free
    their identities, set-based."""
    student_services.release_claims([b.pk for b in businesses])


def authority_for(user) -> Authority | None:
    return user.authority if user.is_authority_user else None


def authority_review(registrations: list[Registration], reviewer, passed: bool, opinion: str, request=None) -> int:
    """教育部门审核: one level of the configured chain for each registration."""
    if reviewer.role != Role.AUTHORITY_REGISTRAR or any(
        r.business.current_authority_id != reviewer.authority_id for r in registrations
    ):
        raise PermissionDenied("只能审核等待本单位审核的注册申请")
    return _decide(registrations, reviewer, passed, opinion, request)


def withdraw(registrations: list[Registration], registrar, request=None) -> int:
    """撤销: the school registrar withdraws registrations that have not completed — all of
    them or none (one transaction; each withdrawal writes its audit entry inside it)."""
    with transaction.atomic():
        for reg in registrations:
            workflow.withdraw(reg.business, registrar, request=request)
    return len(registrations)


def register_single(school: School, entry: str, user, row: dict, proof=None, request=None) -> BatchResult:
    """单个录入: one row through the same pipeline as an import. A pupil without an ID
    document needs the proof material 无身份证号学生在校就读证明 (F-25), attached to the
    business in the same transaction."""
    spec = fields.entry(entry)
    if not spec.single:
        raise ValidationError("该注册类型不支持单个录入")
    if spec.kind == "no-id" and proof is None:
        raise ValidationError("无身份证件学生须上传《无身份证号学生在校就读证明》")
    with transaction.atomic():
        outcome = register_rows(school, entry, user, [(1, row)], request=request)
        if outcome.passed and proof is not None:
            workflow.attach_material(outcome.passed[0].business, user, proof, request=request)
    return outcome
