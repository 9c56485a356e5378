"""首次数据采集 / 数据对接 (SPEC F-46): the initial bulk load of a school's existing records
from the 72-item template, or from a provincial export with the same headers and the
optional columns 全国学籍号 and 学籍状态.

This is not a registration: there is no approval chain (the load is done by an authority —
the school's supervising authority or its province — or by the management command as
such a user), and a duplicate does not refuse the row. Each row becomes a record unless
its data break the field rules:

- rows are cleaned by :func:`xueji.students.rules.clean_row` (any ID type; no first-grade
  entry-age rule); a row with errors is listed with every reason and the others go on;
- identities are claimed with :func:`xueji.students.services.claim_identities`; a row
  whose ID is already held by another record (or pending registration), or that appears
  twice in the file, is created *without* a claim and put with the other holders in a
  historical problem group 身份证件号重复;
- a resident ID the population registry does not verify gets a temporary L number and a
  historical group 身份证件号错误;
- an ID-type Z record sharing 姓名+性别+出生日期 with another record goes into a historical
  group 无身份证件号姓名性别出生日期重复;
- numbers: a verified resident ID that holds its identity gets G + the ID; otherwise a
  given 全国学籍号 is kept when it is well-formed for the row (L for a resident ID, J for
  the others; the birth date inside it is the row's) and not in use; else a new L or J
  (``allocate_sequenced_numbers``). A given L replaced by a G stays findable.

A record already in this school with the same identity, name, gender and birth date is
the same pupil loaded before: that row is refused ("重复导入"), so running a file twice
does not double the school.

Set-based: the sheet is streamed, each batch of 2,000 rows is cleaned in memory, checked
with one query per kind of lookup, verified with one registry call, and written with
``bulk_create`` in one transaction together with its audit entry. Classes named by
班号 that the school does not have yet are created (a stage the school offers, a
plausible entry year) unless ``create_classes`` is off.

Each load is a :class:`~xueji.registration.models.CollectionRun`; each committed batch
writes, in its own transaction, one :class:`~xueji.registration.models.CollectionBatch`
row naming what it created (records, problem groups and memberships, classes). A load
that does not finish — its worker died, it raised, it was cancelled, the command was
interrupted — is taken back exactly by :func:`withdraw_run`; records that got a business
or another reference meanwhile are kept and named.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.audit.services import record_event
from xueji.common import xlsx_reader
from xueji.common.batching import batches
from xueji.common.masking import mask_national_number
from xueji.org import rules as org_rules
from xueji.org import services as org_services
from xueji.org.models import Grade, School, SchoolClass
from xueji.org.selectors import schools_for
from xueji.problems import services as problem_services
from xueji.problems.models import ProblemGroup, ProblemKind, ProblemMember
from xueji.problems.services import (
    NewGroup,
    Written,
    group_duplicate_identities,
    group_same_people,
    open_groups,
)
from xueji.students import fields as F
from xueji.students import numbers
from xueji.students import rules as field_rules
from xueji.students import services as student_services
from xueji.students.excel import ExcelFormatError, read_rows
from xueji.students.models import NumberKind, Status, Student, StudentNumber
from xueji.students.selectors import holding_identities

from . import adapters, services
from .models import CollectionBatch, CollectionRun, CollectionStatus

__all__ = [
    "EXTRA_HEADERS",
    "HEADERS",
    "CollectionReport",
    "check_collector",
    "collect",
    "may_collect",
    "start_run",
    "withdraw_run",
]

#: The optional columns of a provincial export, beside the 72 of the template.
EXTRA_HEADERS = ("全国学籍号", "学籍状态")
HEADERS = F.headers() + EXTRA_HEADERS
BATCH_SIZE = 2000
_NUMBER_SHAPE = re.compile(r"^[GJL][0-9A-Z]{18}$")
_REFUSED_STATUSES = {Status.DELETED: "已删除的学籍不能采集", Status.TRANSFERRING_OUT: "转出中的学籍不能采集"}


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _status_index() -> dict[str, str]:
    """学籍状态 as a provincial export may spell it: 10, 在校, 10-在校, 10 在校 …"""
    index = {}
    for code, label in Status.choices:
        for text in (code, label, *(f"{code}{sep}{label}" for sep in ("", "-", "_", ":", "、", "."))):
            index[_fold(text)] = code
    return index


_STATUS = _status_index()


@dataclass
class CollectionReport:
    """The outcome of one load: counts, every failed row with its reasons, warnings (a
    given 全国学籍号 not kept), problem groups opened (by kind) and classes created."""

    school_code: str
    school_name: str
    filename: str = ""
    rows: int = 0
    created: int = 0
    failed: list[services.RowOutcome] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    groups: Counter = field(default_factory=Counter)
    numbers: Counter = field(default_factory=Counter)
    classes_created: list[str] = field(default_factory=list)

    @property
    def groups_by_label(self) -> dict[str, int]:
        return {ProblemKind(k).label: v for k, v in sorted(self.groups.items())}

    def as_dict(self) -> dict[str, Any]:
        return {
            "school": self.school_code,
            "file": self.filename,
            "rows": self.rows,
            "created": self.created,
            "failed": len(self.failed),
            "errors": [{"row": f.row, "name": f.name, "messages": f.messages} for f in self.failed],
            "warnings": [{"row": r, "message": m} for r, m in self.warnings],
            "problem_groups": self.groups_by_label,
            "numbers": {k: self.numbers.get(k, 0) for k in ("G", "J", "L")},
            "classes_created": self.classes_created,
        }


# --- who may load -------------------------------------------------------------------------------

def check_collector(user, school: School) -> None:
    """首次数据采集 is done by a registrar of the school's supervising authority, or of the
    province above it (the province's registrar sees every school of the province)."""
    if user.role != Role.AUTHORITY_REGISTRAR or user.authority_id is None:
        raise PermissionDenied("首次数据采集只能由教育部门学籍管理员办理")
    if not schools_for(user).filter(pk=school.pk).exists():
        raise PermissionDenied("该学校不在您的数据范围内")
    if user.authority_id != school.supervisor_id and user.authority.level != 1:
        raise PermissionDenied("首次数据采集只能由学校的主管教育行政部门或省级教育行政部门办理")


def may_collect(user) -> bool:
    """Whether the page is offered at all (an authority registrar)."""
    return user.is_authenticated and user.role == Role.AUTHORITY_REGISTRAR


# --- the load ------------------------------------------------------------------------------------

@dataclass
class _Item:
    row: int
    values: dict
    family: list[dict]
    key: str | None
    given: str
    status: str
    klass: tuple[int, int] | None = None  # (class pk, grade pk)
    verified: bool | None = None
    verify_note: str = ""
    holds_claim: bool = False
    duplicate: bool = False
    number: str = ""
    kind: str = ""
    history: str = ""  # a given L replaced by the G
    student_id: int | None = None


@dataclass
class _Run:
    school: School
    user: Any
    context: field_rules.CleanContext
    classes: dict[str, tuple[int, int]]  # 班号 → (class pk, grade pk)
    create_classes: bool
    request: Any
    report: CollectionReport
    record: CollectionRun
    first_row_of_key: dict[str, int] = field(default_factory=dict)


def start_run(school: School, user, filename: str = "", *, job=None) -> CollectionRun:
    """The record of a load about to start (after the check of who may): what its batches
    create is noted on it, so :func:`withdraw_run` can take an unfinished load back."""
    check_collector(user, school)
    return CollectionRun.objects.create(school=school, user=user, job=job, filename=(filename or "")[:200])


def collect(
    school: School, user, source, *, filename: str = "", request=None, today: dt.date | None = None,
    create_classes: bool = True, progress=None, run: CollectionRun | None = None,
    finish: Callable[[CollectionReport], None] | None = None,
) -> CollectionReport:
    """首次数据采集 of ``source`` (a path, bytes or an uploaded file) into ``school``.
    Raises PermissionDenied for a user who may not, ValidationError for a file that can't
    be read; otherwise returns the :class:`CollectionReport`.

    ``run``: the load's record (:func:`start_run`; one is started here otherwise). A
    caller that may see the load fail takes it back with :func:`withdraw_run` (the job's
    ``on_failure``, the command). ``finish(report)`` is called inside the last
    transaction — the summary, the run marked 已完成 — e.g. to mark the job done with it."""
    check_collector(user, school)
    today = today or timezone.localdate()
    base = services.rules_context(school, "other-resident", today)
    context = dataclasses.replace(base, entry="", first_grade=False, classes=None)
    classes = {code: (pk, grade_id) for code, pk, grade_id in
               SchoolClass.objects.filter(school=school).values_list("code", "pk", "grade_id")}
    report = CollectionReport(school.code, school.name, filename or getattr(source, "name", "") or "")
    if run is None:
        run = start_run(school, user, report.filename)
    state = _Run(school, user, context, classes, create_classes, request, report, run)
    if progress is not None:
        last = xlsx_reader.last_row_hint(source)
        if hasattr(source, "seek"):
            source.seek(0)
        progress.set_total(last - 1 if last and last > 1 else None)
    try:
        for batch in batches(read_rows(source, headers=HEADERS), BATCH_SIZE):
            report.rows += len(batch)
            _load_batch(state, batch, today)
            if progress is not None:
                progress.set_done(max(progress.done, batch[-1][0] - 1))
    except ExcelFormatError as error:
        raise ValidationError(str(error)) from error
    summary = (f"首次数据采集:{school.name}({school.code}),共{report.rows}行,建立学籍{report.created}条,"
               f"未通过{len(report.failed)}行,产生历史问题学籍{sum(report.groups.values())}组")
    with transaction.atomic():
        _hold(run)
        record_event(
            action="registration.initial_collection", summary=summary, actor=user, request=request, school=school,
            after={"run": run.pk, **{k: v for k, v in report.as_dict().items() if k not in {"errors", "warnings"}}},
        )
        CollectionRun.objects.filter(pk=run.pk).update(status=CollectionStatus.DONE, finished_at=timezone.now(),
                                                       message=summary[:500])
        # what the batches created is the school's now: nothing left to take back (the
        # audit entries of the batches name it)
        CollectionBatch.objects.filter(run=run).delete()
        if finish is not None:
            finish(report)
    return report


def _hold(run: CollectionRun) -> None:
    """Lock the load's record for this transaction; refused once it was withdrawn (the
    load was ended as failed while this process still ran): nothing more is written."""
    if CollectionRun.objects.select_for_update().filter(pk=run.pk, status=CollectionStatus.RUNNING).values_list(
            "pk", flat=True).first() is None:
        raise ValidationError("本次首次数据采集已撤回,未再写入")


def _clean(run: _Run, batch: list, today: dt.date) -> tuple[list[_Item], dict[str, tuple[str, int]]]:
    """Clean every row; the rows that pass, and the classes to create (班号 → stage, year)."""
    items: list[_Item] = []
    new_classes: dict[str, tuple[str, int]] = {}
    stages = set(run.school.stages)
    for row, raw in batch:
        cleaned = field_rules.clean_row(raw, context=run.context)
        messages = list(cleaned.errors)
        values = cleaned.values
        status = Status.IN_SCHOOL.value
        text = str(raw.get("学籍状态") or "").strip()
        if text:
            code = _STATUS.get(_fold(text))
            if code is None:
                messages.append(f"学籍状态“{text}”不是有效的取值")
            elif code in _REFUSED_STATUSES:
                messages.append(_REFUSED_STATUSES[code])
            else:
                status = code
        code = values.get("class_code") or ""
        if code and "班号" not in {header for header, _ in cleaned.problems} and code not in run.classes:
            stage, year = code[4], int(code[:4])
            if not run.create_classes:
                messages.append(f"班号“{code}”在本校不存在")
            elif stage not in stages:
                messages.append(f"班号“{code}”的学段为{org_rules.STAGE_NAMES[stage]},本校未设该教育阶段")
            elif org_rules.check_entry_year(year, today):
                messages.append(f"班号“{code}”的入学年份{year}不在允许范围内")
            else:
                new_classes[code] = (stage, year)
        if messages:
            run.report.failed.append(services.RowOutcome(row, messages, str(raw.get("姓名") or "")[:50],
                                                         str(raw.get("身份证件号") or "")[:30]))
            continue
        given = field_rules.normalize_id_number(raw.get("全国学籍号"))
        key = numbers.identity_key(values["id_type"], values.get("id_number"))
        items.append(_Item(row, values, cleaned.family, key, given, status))
    return items, new_classes


def _create_classes(run: _Run, new_classes: dict[str, tuple[str, int]]) -> tuple[list[int], list[int]]:
    """The classes a batch names that the school lacks (one grade and one class each;
    a class is rarely new, so these few writes are per class, never per row). Returns
    the ids of the classes and grades created."""
    made_classes, made_grades = [], []
    for code, (stage, year) in sorted(new_classes.items()):
        grade, grade_made = Grade.objects.get_or_create(school=run.school, stage=stage, entry_year=year)
        klass, made = SchoolClass.objects.get_or_create(school=run.school, code=code,
                                                        defaults={"grade": grade, "name": f"{int(code[5:])}班"})
        run.classes[code] = (klass.pk, klass.grade_id)
        if grade_made:
            made_grades.append(grade.pk)
        if made:
            made_classes.append(klass.pk)
            run.report.classes_created.append(code)
    return made_classes, made_grades


def _same_pupils(run: _Run, items: list[_Item]) -> set[int]:
    """Rows whose pupil is already a record of this school (same identity, name, gender
    and birth date): refused as 重复导入."""
    keyed = [i for i in items if i.key]
    if not keyed:
        return set()
    existing = {}
    for s in Student.objects.filter(holding_identities(i.key for i in keyed), school=run.school).exclude(
            status=Status.DELETED).only("id_type", "id_number", "name", "gender", "birth_date", "national_number"):
        existing[(numbers.identity_key(s.id_type, s.id_number), s.name, s.gender, s.birth_date)] = s.national_number
    refused = set()
    for item in keyed:
        v = item.values
        number = existing.get((item.key, v["name"], v["gender"], v["birth_date"]))
        if number:
            refused.add(item.row)
            run.report.failed.append(services.RowOutcome(
                item.row, [f"该学生已在本校存在学籍(学籍号{mask_national_number(number)}),不能重复导入"], v["name"], v.get("id_number", "")))
    return refused


def _decide_numbers(run: _Run, items: list[_Item]) -> None:
    """Each item's number and kind (see the module docstring): a G, a given J/L kept, or
    "" for a new J/L that :func:`xueji.students.services.create_records` allocates."""
    candidates = {i.given for i in items if i.given}
    candidates |= {numbers.official_number(i.values["id_number"]) for i in items
                   if i.values["id_type"] == numbers.RESIDENT_ID_TYPE}
    taken = set(StudentNumber.objects.filter(number__in=list(candidates)).values_list("number", flat=True))

    def usable(number: str) -> bool:
        return number not in taken

    for item in items:
        v = item.values
        birth = v["birth_date"].strftime("%Y%m%d")
        given = item.given
        shaped = bool(_NUMBER_SHAPE.match(given))
        if v["id_type"] == numbers.RESIDENT_ID_TYPE:
            official = numbers.official_number(v["id_number"])
            if item.verified and item.holds_claim and usable(official):
                item.number, item.kind = official, NumberKind.OFFICIAL_ID
                taken.add(official)
                if shaped and given[0] == "L" and given[7:15] == birth and usable(given):
                    item.history = given
                    taken.add(given)
                elif given and given != official:
                    run.report.warnings.append((item.row, f"全国学籍号“{given}”未采用,已按身份证件号分配{official}"))
                continue
            wanted = "L"
        else:
            wanted = "J"
        item.kind = NumberKind.TEMPORARY if wanted == "L" else NumberKind.OFFICIAL_OTHER
        if shaped and given[0] == wanted and given[7:15] == birth and usable(given):
            item.number = given
            taken.add(given)
            continue
        if given:
            reason = "已被使用" if shaped and not usable(given) else "与本行身份证件类型或出生日期不符"
            run.report.warnings.append((item.row, f"全国学籍号“{given}”{reason},已重新分配"))
        item.number = ""  # a new one, allocated with the records


def _verify(items: list[_Item]) -> None:
    """认证 of the resident IDs against the population registry. The registry answers per
    ID number, so an ID appearing twice in the batch (a duplicate, perhaps under another
    name) is asked about in a second call: one call per round of distinct numbers."""
    rounds: list[list[_Item]] = []
    seen_in: list[set[str]] = []
    for item in items:
        if item.values["id_type"] != numbers.RESIDENT_ID_TYPE:
            continue
        number = item.values["id_number"]
        index = next((n for n, seen in enumerate(seen_in) if number not in seen), len(rounds))
        if index == len(rounds):
            rounds.append([])
            seen_in.append(set())
        rounds[index].append(item)
        seen_in[index].add(number)
    for round_ in rounds:
        verdicts = adapters.population_registry().verify(
            [adapters.Person(i.values["id_number"], i.values["name"]) for i in round_])
        for item in round_:
            verdict = verdicts.get(item.values["id_number"])
            item.verified = bool(verdict and verdict.verified)
            item.verify_note = verdict.reason if verdict else "人口信息库未答复"


def _load_batch(run: _Run, batch: list, today: dt.date) -> None:
    items, new_classes = _clean(run, batch, today)
    if not items:
        return
    # 认证 outside the transaction: one registry call per batch.
    _verify(items)
    with transaction.atomic():
        _hold(run.record)
        refused = _same_pupils(run, items)
        items = [i for i in items if i.row not in refused]
        if not items:
            return
        made_classes, made_grades = _create_classes(run, {c: v for c, v in new_classes.items() if c not in run.classes
                                                          and any(i.values["class_code"] == c for i in items)})

        # 查重: the first row of a key in the run claims it; a later row, or a row whose
        # key another record holds, is a duplicate created without a claim.
        to_claim = []
        for item in items:
            if not item.key:
                continue
            if item.key in run.first_row_of_key:
                item.duplicate = True
            else:
                run.first_row_of_key[item.key] = item.row
                to_claim.append(item)
        conflicts = student_services.claim_identities([(i.key, run.school.pk, None) for i in to_claim])
        for item in to_claim:
            if item.key in conflicts:
                item.duplicate = True
            else:
                item.holds_claim = True
        _decide_numbers(run, items)

        created = student_services.create_records([
            student_services.NewRecord(
                values=i.values, family=i.family, school_id=run.school.pk, klass_id=run.classes[i.values["class_code"]][0],
                grade_id=run.classes[i.values["class_code"]][1], number_kind=i.kind, number=i.number, status=i.status,
                identity_key=i.key if i.holds_claim else None, earlier_numbers=(i.history,) if i.history else ())
            for i in items
        ], actor=run.user)
        for item, record in zip(items, created, strict=True):
            item.student_id, item.number = record.pk, record.national_number

        written = Written()
        opened = _open_problem_groups(run, items, conflicts, written)
        CollectionBatch.objects.create(run=run.record, first_row=items[0].row, last_row=items[-1].row,
                                       students=[i.student_id for i in items], groups=written.groups,
                                       members=[list(m) for m in written.members], classes=made_classes,
                                       grades=made_grades)
        for item in items:
            run.report.numbers[item.number[0]] += 1
        run.report.created += len(items)
        record_event(
            action="registration.initial_collection_batch",
            summary=(f"首次数据采集:{run.school.name}建立学籍{len(items)}条"
                     + (f",产生历史问题学籍{len(opened)}组" if opened else "")),
            actor=run.user, request=run.request, school=run.school,
            after={"students": [i.number for i in items][:2000], "rows": [items[0].row, items[-1].row],
                   "problem_groups": [{"id": g.pk, "kind": g.kind} for g in opened][:1000]},
        )


# --- historical problem groups -------------------------------------------------------------------

def _open_problem_groups(run: _Run, items: list[_Item], conflicts: dict, written: Written) -> list[ProblemGroup]:
    """The batch's historical groups, set-based (:mod:`xueji.problems.services`). Records
    already in an unresolved group of the same kind with the same key join that group
    instead of starting another. What is written is noted in ``written``."""
    # 身份证件号错误: one group per record.
    opened = open_groups([NewGroup(ProblemKind.ID_ERROR, (i.student_id,), i.verify_note, historical=True)
                          for i in items if i.verified is False], written=written)
    # 身份证件号重复: every record holding the key (holders, earlier rows, this batch).
    dup_keys = {i.key for i in items if i.duplicate}
    notes = {}
    for key in dup_keys:
        conflict = conflicts.get(key)
        if conflict is not None and not conflict.national_number:
            notes[key] = f"与{conflict.school_name}({conflict.school_code})待审核的注册申请身份证件号重复"
    opened += group_duplicate_identities(dup_keys, notes=notes, historical=True, written=written)
    # 无身份证件号姓名性别出生日期重复: a Z record and any other record with the same person.
    opened += group_same_people([i.student_id for i in items if i.values["id_type"] == numbers.NO_DOCUMENT_TYPE],
                                historical=True, written=written)
    for group in opened:
        run.report.groups[group.kind] += 1
    return opened


# --- taking back a load that did not finish --------------------------------------------------

#: Kept records named in the withdrawal's message (all of them are in the run's ``kept``).
_NAMED_KEPT = 5


def withdraw_run(run: CollectionRun, reason: str, *, actor=None, request=None) -> str:
    """撤回未完成的首次数据采集: take back exactly what the committed batches of ``run``
    created, in the caller's transaction (with the job marked failed, or on its own) —

    - the records (:func:`xueji.students.services.withdraw_records`: with their family
      members, numbers and identity claims; a hard removal: they never legitimately
      existed), except a record that meanwhile has a business, a decision or any other
      reference, which is kept and named;
    - the problem groups it opened and the memberships it wrote
      (:func:`xueji.problems.services.withdraw_written`);
    - the classes and grades it created that nothing uses any more.

    A finished run is left as it is. Idempotent: a second call finds nothing left (the
    batch rows go with what they name). Returns the note for the job's message ("" when
    there was nothing to take back)."""
    with transaction.atomic():
        run = CollectionRun.objects.select_for_update().select_related("school", "user").get(pk=run.pk)
        if run.status == CollectionStatus.DONE:
            return ""
        done = list(run.batches.all())
        students = [pk for b in done for pk in b.students]
        written = Written(groups=[g for b in done for g in b.groups],
                          members=[(g, s) for b in done for g, s in b.members])
        in_use = student_services.records_in_use(students, ignore=(ProblemMember,), lock=True)
        kept = dict(in_use)
        kept.update((pk, "已在其他问题学籍中") for pk in problem_services.memberships_besides(
            [pk for pk in students if pk not in in_use], written))
        groups = problem_services.withdraw_written(written, created=students, kept=kept)
        removal = student_services.withdraw_records([pk for pk in students if pk not in kept], checked=True)
        kept.update(removal.kept)
        removed_classes, kept_classes = org_services.remove_unused_classes(
            [c for b in done for c in b.classes], [g for b in done for g in b.grades])
        kept_rows = [[pk, number, name, kept[pk]] for chunk in batches(sorted(kept), 5000)
                     for pk, number, name in Student.objects.filter(pk__in=chunk).order_by("pk").values_list(
                         "pk", "national_number", "name")]
        run.batches.all().delete()
        note = ""
        if done:
            note = f"已撤回本次采集建立的{len(removal.removed)}条学籍"
            if groups.groups:
                note += f"、{len(groups.groups)}组历史问题学籍"
            if removed_classes:
                note += f"、{len(removed_classes)}个新建班级"
            if kept_rows:
                named = ";".join(f"{name}({number}):{why}" for _, number, name, why in kept_rows[:_NAMED_KEPT])
                note += (f";{len(kept_rows)}条学籍已有其他业务或引用,予以保留:{named}"
                         + ("等" if len(kept_rows) > _NAMED_KEPT else ""))
        run.status = CollectionStatus.WITHDRAWN
        run.finished_at = timezone.now()
        if note:
            run.message = f"{reason}:{note}"[:500]
        run.kept = run.kept + kept_rows
        run.save(update_fields=["status", "finished_at", "message", "kept"])
        if done:
            record_event(
                action="registration.initial_collection_withdrawn",
                summary=f"撤回未完成的首次数据采集:{run.school.name}({run.school.code}){run.filename}:{note}"[:500],
                actor=actor or run.user, request=request, school=run.school, target=run,
                after={"reason": reason, "removed": [n for _, n, _ in removal.removed][:2000],
                       "problem_groups": groups.groups[:1000], "classes_removed": removed_classes,
                       "kept": [[n, why] for _, n, _, why in kept_rows][:1000], "classes_kept": kept_classes},
            )
    return note
