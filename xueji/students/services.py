"""The one writer of the record (学籍记录的唯一写入者): students, family members, national
numbers, identity claims (查重占用) and the status history. Nothing outside this module
writes those tables (``tests/test_one_writer.py`` reads the code to hold it so).

The writers, each named by what it does in the domain:

- :func:`create_records` 建立学籍 — many new records at once (registration, initial
  data collection, later admission), set-based;
- :func:`change_status` 学籍状态变动 — 休学, 复学, 毕业, 删除 … with date and reason;
- :func:`graduate_records` 毕业/结业/肄业 of a whole batch, set-based, those not allowed
  (F-27) left out with their reason;
- :func:`apply_key_change` 关键数据变更 — name, gender, birth date, identity, placement;
  the identity claim moves, the number follows the identity;
- :func:`move_students` 调整学校、年级、班级 — placement of many records; :func:`place_many`
  分班 of many records into several classes at once;
- :func:`admit_records` 调档 of admitted graduates into the new stage's first grade, set-based;
- :func:`replace_numbers` / :func:`upgrade_temporary_numbers` 临时学籍号转正式学籍号;
- :func:`withdraw_records` 撤回未完成的建档 — the records a load that did not finish
  created (they never legitimately existed): a hard removal, set-based, of each record
  nothing else has touched or refers to since (:func:`records_in_use`);
- the identity's own writes: :func:`claim_identities`, :func:`release_claims` and the
  number sequences (:func:`allocate_sequenced_numbers`).

The convention, for every function here:

- **It is one step of a business, not a business.** It joins the caller's transaction
  (wrapping its own writes in a savepoint, so a refusal leaves nothing half-done) and
  writes **no audit entry**: the calling business service (registration, collection,
  学籍异动 …) writes the one entry of its business, in the same transaction, after the
  effect. Each writer returns what that entry and the caller need (ids, numbers, the
  values before and after). The status history (:class:`StatusChange`) is data of the
  record, not an audit entry, and is written here.
- **Bad input is refused with a Chinese** ``ValidationError`` (an unknown status, a class
  of another school, a deleted record, a number already used …), never a 500.
- **Set-based where it takes many**: one query per table and step, rows written as
  tuples (:mod:`xueji.common.bulk`), never one query per record.
- Uniqueness (numbers, identities) is held by the database under races: a number
  sequence is advanced under a row lock; an identity claim is a unique key that two
  racing writers cannot both insert.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F as Col
from django.db.models import QuerySet
from django.utils import timezone

from xueji.common import bulk, references
from xueji.common.batching import batches
from xueji.common.masking import mask_national_number
from xueji.org.models import Division, Grade, School, SchoolClass
from xueji.org.selectors import division_sets

from . import fields as F
from . import numbers, rules
from .models import (
    Award,
    EventKind,
    FamilyMember,
    IdentityClaim,
    NumberKind,
    NumberSequence,
    Punishment,
    RecordEvent,
    ResidencePermit,
    Status,
    StatusChange,
    Student,
    StudentNumber,
    StudyResume,
)

#: Records per statement when a writer updates many by id.
_CHUNK = 5000
_NUMBER_SHAPE = re.compile(r"^[GJL][0-9A-Z]{18}$")
_NUMBER_KINDS = frozenset(NumberKind.values)
_EVENT_COLUMNS = ("student_id", "kind", "business_id", "school_id", "actor_name", "reason", "before", "after")


def _history(rows: Iterable[tuple]) -> int:
    """Add to the records' history (:class:`RecordEvent`): rows ``(student id, kind,
    business id, school id, actor name, reason, before, after)``, before/after as dicts
    of attr → stored value. One insert for them all, in the caller's transaction."""
    dumps = bulk.dumps
    return bulk.insert_rows(RecordEvent, _EVENT_COLUMNS, [
        (pk, kind, business_id, school_id, actor[:50], (reason or "")[:200], dumps(before), dumps(after))
        for pk, kind, business_id, school_id, actor, reason, before, after in rows])


@dataclass
class ClaimConflict:
    key: str
    school_name: str
    school_code: str
    national_number: str = ""

    @property
    def message(self) -> str:
        """Shown in lists of failed rows and stored with them: a G number (the ID number
        of a student of another school) is masked."""
        held = f"学籍号{mask_national_number(self.national_number)}" if self.national_number else "待审核的注册申请"
        return f"身份证件号已在{self.school_name}({self.school_code})存在学籍({held}),不能重复注册"


# --- numbers ------------------------------------------------------------------------------------

def next_sequenced_number(kind: str, division_code: str, birth_date: dt.date) -> str:
    """A J or L number, never handed out before. Must run inside a transaction."""
    return allocate_sequenced_numbers(kind, [(division_code, birth_date)])[0]


def allocate_sequenced_numbers(kind: str, requests: list[tuple[str, dt.date]]) -> list[str]:
    """Numbers for many students at once: one locked counter per prefix, one query to
    skip numbers already taken."""
    by_prefix: dict[str, list[int]] = {}
    for index, (division, birth) in enumerate(requests):
        by_prefix.setdefault(numbers.sequence_prefix(kind, division, birth), []).append(index)
    result: list[str] = [""] * len(requests)
    existing = {s.prefix: s for s in NumberSequence.objects.filter(prefix__in=list(by_prefix))}
    NumberSequence.objects.bulk_create(
        [NumberSequence(prefix=p) for p in by_prefix if p not in existing], ignore_conflicts=True
    )
    locked = {s.prefix: s for s in NumberSequence.objects.select_for_update().filter(prefix__in=list(by_prefix))}
    for prefix, indexes in by_prefix.items():
        sequence = locked[prefix]
        for index in indexes:
            sequence.last += 1
            result[index] = numbers.sequenced_number(prefix, sequence.last)
    taken = set(StudentNumber.objects.filter(number__in=result).values_list("number", flat=True))
    for index, number in enumerate(result):
        while number in taken:  # rare: skip numbers loaded from elsewhere
            sequence = locked[number[:15]]
            sequence.last += 1
            number = numbers.sequenced_number(number[:15], sequence.last)
        result[index] = number
    NumberSequence.objects.bulk_update(list(locked.values()), ["last"])
    return result


# --- identity claims (查重占用) ----------------------------------------------------------------

def find_conflicts(keys: list[str]) -> dict[str, ClaimConflict]:
    """Which of ``keys`` are already claimed, and by which school (one query)."""
    # Only the four columns the message needs: a select_related of the whole school and
    # record costs the ORM far more than the indexed lookup itself (bench/dedup.py).
    rows = IdentityClaim.objects.filter(key__in=keys).values_list(
        "key", "school__name", "school__code", "student__national_number"
    )
    return {key: ClaimConflict(key, name, code, number or "") for key, name, code, number in rows}


def claim_identities(claims: list[tuple[str, int, int | None]], *, checked: bool = False) -> dict[str, ClaimConflict]:
    """Claim identities ``(key, school_id, registration_id)`` for pending registrations.

    Returns the conflicts (key → holder); every other key is claimed when this returns.
    Set-based: one read, one insert (:mod:`xueji.common.bulk`). ``checked``: the caller
    has just read the conflicts (:func:`find_conflicts`) and left the held keys out, so
    the read is not repeated. If a concurrent registration got in between, the insert
    fails as a whole; the batch is read again and retried, and in the last resort
    claimed one savepoint per key — exactly one of two racers wins."""
    if not claims:
        return {}
    conflicts = {} if checked else find_conflicts([k for k, _, _ in claims])
    seen: set[str] = set()
    free = []
    for key, school_id, registration_id in claims:
        if key in conflicts or key in seen:
            continue
        seen.add(key)
        free.append((key, school_id, registration_id))
    columns = ("key", "school_id", "registration_id")
    with transaction.atomic():
        for attempt in range(2):
            try:
                with transaction.atomic():
                    bulk.insert_rows(IdentityClaim, columns, free)
                return conflicts
            except IntegrityError:
                if attempt == 0:  # someone claimed some of these meanwhile: who?
                    conflicts.update(find_conflicts([k for k, _, _ in free]))
                    free = [c for c in free if c[0] not in conflicts]
        for claim in free:
            try:
                with transaction.atomic():
                    bulk.insert_rows(IdentityClaim, columns, [claim])
            except IntegrityError:
                conflicts.update(find_conflicts([claim[0]]))
    return conflicts


def release_claims(registration_ids: list[int]) -> int:
    """A rejected or withdrawn registration frees its identity."""
    deleted, _ = IdentityClaim.objects.filter(registration_id__in=registration_ids, student__isnull=True).delete()
    return deleted


def _attach_claims(holders: list[tuple[int, str, int]]) -> None:
    """The claims of ``(student id, key, school id)`` belong to the new records from now
    on: one UPDATE for those claimed before (by a registration, or by the caller just
    now); a key nobody claimed is claimed here. A key another record holds refuses."""
    if not holders:
        return
    rows = [(pk, key) for pk, key, _ in holders]
    if bulk.update_rows(IdentityClaim, "key", ["student_id"], rows, where="student_id IS NULL") == len(rows):
        return
    held = dict(IdentityClaim.objects.filter(key__in=[k for _, k, _ in holders]).values_list("key", "student_id"))
    missing = [(key, school_id, None) for pk, key, school_id in holders if key not in held]
    wrong = [key for pk, key, _ in holders if key in held and held[key] != pk]
    if missing:
        lost = claim_identities(missing)
        wrong += list(lost)
        claimed = [(pk, key) for pk, key, _ in holders if key not in held and key not in lost]
        bulk.update_rows(IdentityClaim, "key", ["student_id"], claimed, where="student_id IS NULL")
    if wrong:
        conflicts = find_conflicts(wrong)
        raise ValidationError([conflicts[k].message if k in conflicts else f"身份证件{k}已被占用" for k in wrong])


# --- creating records (建立学籍) ------------------------------------------------------------------

@dataclass(frozen=True)
class NewRecord:
    """One record to create, as plain data.

    - ``values``: the student's attrs as :func:`xueji.students.rules.clean_row` gives them
      (or the same read back from a registration's JSON payload: dates as ISO text,
      decimals as text); keys that are not record fields (班号, 学校标识码) are ignored;
    - ``family``: the family members (attrs of :class:`FamilyMember`; numbered 1, 2 … in
      this order);
    - ``school_id``, ``klass_id`` (the grade is the class's; ``grade_id`` given is checked);
    - ``number_kind`` G/J/L and ``number``: the number, or "" for a new sequenced J or L
      number (division of the school, the birth date); a G number must be G + the ID;
    - ``identity_key``: the identity this record holds (its claim, made by a pending
      registration or by the caller, is attached to the record; an unclaimed key is
      claimed). None: the record claims nothing (ID type Z, or a duplicate loaded by
      initial collection into a problem group);
    - ``earlier_numbers``: numbers this pupil had before (a provincial L replaced by the
      G), kept findable as replaced.
    """

    values: Mapping[str, Any]
    school_id: int
    klass_id: int
    family: Sequence[Mapping[str, Any]] = ()
    grade_id: int | None = None
    number_kind: str = ""
    number: str = ""
    status: str = Status.IN_SCHOOL.value
    identity_key: str | None = None
    earlier_numbers: tuple[str, ...] = ()
    business_id: int | None = None


@dataclass(frozen=True)
class CreatedRecord:
    """What the caller gets back for each :class:`NewRecord`, in the same order."""

    pk: int
    national_number: str
    number_kind: str
    name: str
    school_id: int


def _text_value(value: Any) -> Any:
    return "" if value is None else value


def _bool_value(value: Any) -> Any:
    return value if value is None or isinstance(value, bool) else bool(value)


def _decimal_value(value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        return decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        raise ValidationError(f"上下学距离“{value}”不是有效的数字") from None


def _date_value(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValidationError(f"出生日期“{value}”不是有效日期") from None


def _converter(model_field) -> Any:
    from django.db import models

    if isinstance(model_field, models.DateField):
        return _date_value
    if isinstance(model_field, models.DecimalField):
        return _decimal_value
    if isinstance(model_field, models.BooleanField):
        return _bool_value
    return _text_value


_STUDENT_FIELDS = {f.name: f for f in Student._meta.concrete_fields}
#: The record's own values (the 72-item template's student columns that are fields).
_VALUE_ATTRS = tuple(f.attr for f in F.STUDENT_FIELDS if f.attr in _STUDENT_FIELDS)
_VALUE_CONVERT = tuple(_converter(_STUDENT_FIELDS[a]) for a in _VALUE_ATTRS)
_VALUE_BLANK = tuple(None if _STUDENT_FIELDS[a].null else ("" if a != "birth_date" else None) for a in _VALUE_ATTRS)
_STUDENT_COLUMNS = ("id", "national_number", "number_kind", "status", "school_id", "grade_id", "klass_id",
                    *_VALUE_ATTRS)
_MEMBER_FIELDS = {f.name: f for f in FamilyMember._meta.concrete_fields if f.name not in {"id", "student", "seq"}}
_MEMBER_ATTRS = tuple(_MEMBER_FIELDS)
_MEMBER_CONVERT = tuple(_converter(f) for f in _MEMBER_FIELDS.values())
_MEMBER_COLUMNS = ("student_id", "seq", *_MEMBER_ATTRS)


def _check_spec(spec: NewRecord) -> list[str]:
    """What is wrong with one spec, before anything is read or written."""
    v = spec.values
    errors = []
    if not str(v.get("name") or "").strip():
        errors.append("姓名不能为空")
    if v.get("gender") not in ("1", "2"):
        errors.append("性别应为1-男或2-女")
    if not v.get("id_type"):
        errors.append("身份证件类型不能为空")
    try:
        _date_value(v.get("birth_date"))
    except ValidationError:
        errors.append("出生日期不是有效日期")
    if spec.status not in rules.STATUS_NAMES or spec.status == rules.DELETED_STATUS:
        errors.append(f"学籍状态“{spec.status}”不是可以建立学籍的状态")
    kind = spec.number_kind
    if kind not in _NUMBER_KINDS:
        errors.append(f"学籍号类型“{kind}”不是G、J或L")
    elif spec.number:
        if not _NUMBER_SHAPE.match(spec.number) or spec.number[0] != kind:
            errors.append(f"全国学籍号“{spec.number}”格式不正确(应为{kind}加18位)")
        elif kind == NumberKind.OFFICIAL_ID and spec.number != numbers.official_number(str(v.get("id_number") or "")):
            errors.append("G字头学籍号应为G加本人居民身份证件号")
    elif kind == NumberKind.OFFICIAL_ID:
        errors.append("G字头学籍号须给出(G加居民身份证件号)")
    for number in spec.earlier_numbers:
        if not _NUMBER_SHAPE.match(number):
            errors.append(f"全国学籍号“{number}”格式不正确")
    return errors


def create_records(specs: Sequence[NewRecord], *, actor=None) -> list[CreatedRecord]:
    """建立学籍: new records with their family members, numbers and identities, in the
    caller's transaction. Returns one :class:`CreatedRecord` per spec, in order.

    Set-based: one read of the classes (and of the schools' divisions when numbers are
    allocated), one read of the numbers given, numbers allocated with
    :func:`allocate_sequenced_numbers` (one locked counter per prefix), then one insert
    each of records, family members and numbers and one update of the identity claims —
    plain tuples (:mod:`xueji.common.bulk`), no model instances. Each record's history
    starts with a 注册 event (its business, ``actor``), one insert for all. All or
    nothing: any bad spec refuses the whole call with a ``ValidationError`` naming the
    record."""
    specs = list(specs)
    if not specs:
        return []
    errors = []
    for spec in specs:
        errors += [f"{spec.values.get('name') or '(无姓名)'}:{m}" for m in _check_spec(spec)]
    if errors:
        raise ValidationError(errors)
    classes = {pk: (school_id, grade_id) for pk, school_id, grade_id in SchoolClass.objects.filter(
        pk__in={s.klass_id for s in specs}).values_list("pk", "school_id", "grade_id")}
    for spec in specs:
        placement = classes.get(spec.klass_id)
        name = spec.values.get("name")
        if placement is None:
            errors.append(f"{name}:班级不存在")
        elif placement[0] != spec.school_id:
            errors.append(f"{name}:班级不属于该学校")
        elif spec.grade_id is not None and placement[1] != spec.grade_id:
            errors.append(f"{name}:班级不属于该年级")
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        numbers_ = _numbers_for(specs)
        ids = bulk.allocate_ids(Student, len(specs))
        student_rows = []
        member_rows = []
        number_rows = []
        now = StudentNumber._meta.get_field("replaced_at").get_db_prep_save(timezone.now(), connection)
        for pk, spec, (number, kind) in zip(ids, specs, numbers_, strict=True):
            v = spec.values
            row = [pk, number, kind, spec.status, spec.school_id, classes[spec.klass_id][1], spec.klass_id]
            for attr, convert, blank in zip(_VALUE_ATTRS, _VALUE_CONVERT, _VALUE_BLANK, strict=True):
                value = v.get(attr, blank)
                row.append(blank if value is None else convert(value))
            student_rows.append(tuple(row))
            for seq, member in enumerate(spec.family, start=1):
                member_rows.append((pk, seq, *(
                    convert(member.get(attr)) for attr, convert in zip(_MEMBER_ATTRS, _MEMBER_CONVERT, strict=True))))
            number_rows.append((number, pk, kind, None))
            number_rows += [(earlier, pk, earlier[0], now) for earlier in spec.earlier_numbers]
        try:
            with transaction.atomic():
                bulk.insert_rows(Student, _STUDENT_COLUMNS, student_rows)
                bulk.insert_rows(FamilyMember, _MEMBER_COLUMNS, member_rows)
                bulk.insert_rows(StudentNumber, ("number", "student_id", "kind", "replaced_at"), number_rows)
        except IntegrityError as error:  # a number taken by a concurrent writer since it was read
            raise ValidationError("建立学籍失败:全国学籍号已被使用,请重试") from error
        actor_name = _actor_name(actor)
        _history((pk, EventKind.REGISTERED, spec.business_id, spec.school_id, actor_name, "", {},
                  {"national_number": number, "status": spec.status, "klass": spec.klass_id})
                 for pk, spec, (number, _) in zip(ids, specs, numbers_, strict=True))
        _attach_claims([(pk, spec.identity_key, spec.school_id)
                        for pk, spec in zip(ids, specs, strict=True) if spec.identity_key])
    return [CreatedRecord(pk, number, kind, str(spec.values.get("name") or ""), spec.school_id)
            for pk, spec, (number, kind) in zip(ids, specs, numbers_, strict=True)]


def _numbers_for(specs: list[NewRecord]) -> list[tuple[str, str]]:
    """(number, kind) of each spec: the one given (refused when already used, or given
    twice), else a new J or L number that no record has and no spec of the batch gives."""
    given = [s.number for s in specs if s.number] + [n for s in specs for n in s.earlier_numbers]
    if len(set(given)) != len(given):
        twice = sorted({n for n in given if given.count(n) > 1})
        raise ValidationError([f"全国学籍号{n}重复" for n in twice])
    used = set(StudentNumber.objects.filter(number__in=given).values_list("number", flat=True)) if given else set()
    if used:
        raise ValidationError([f"全国学籍号{n}已被使用" for n in sorted(used)])
    result = [(s.number, s.number_kind) for s in specs]
    waiting = [i for i, s in enumerate(specs) if not s.number]
    if not waiting:
        return result
    divisions = dict(School.objects.filter(pk__in={specs[i].school_id for i in waiting})
                     .values_list("pk", "division_id"))
    taken = set(given)
    for letter in (NumberKind.OFFICIAL_OTHER, NumberKind.TEMPORARY):
        pending = [i for i in waiting if specs[i].number_kind == letter]
        while pending:
            allocated = allocate_sequenced_numbers(letter, [
                (divisions[specs[i].school_id], dt.date.fromisoformat(_date_value(specs[i].values.get("birth_date"))))
                for i in pending])
            again = []
            for i, number in zip(pending, allocated, strict=True):
                if number in taken:  # a number another spec of the batch gives: draw again
                    again.append(i)
                    continue
                taken.add(number)
                result[i] = (number, letter)
            pending = again
    return result


# --- numbers replaced (临时学籍号转正式学籍号, F-26) ------------------------------------------

def replace_numbers(changes: Sequence[tuple[int, str, str]], *, actor=None, business_id: int | None = None,
                    reason: str = "", record_history: bool = True) -> list[tuple[int, str, str]]:
    """Give records ``(student id, new number, kind)`` a new 全国学籍号; the old numbers
    stay findable (their :class:`StudentNumber` rows are marked replaced). Set-based;
    each record's history gets a 学籍号变更 event (``record_history=False``: the caller
    writes the event of its own business). Returns ``(student id, old number, new
    number)``."""
    changes = list(changes)
    if not changes:
        return []
    errors = []
    for _, number, kind in changes:
        if kind not in _NUMBER_KINDS or not _NUMBER_SHAPE.match(number or "") or number[0] != kind:
            errors.append(f"全国学籍号“{number}”格式不正确")
    new_numbers = [n for _, n, _ in changes]
    if len(set(new_numbers)) != len(new_numbers) or len({pk for pk, _, _ in changes}) != len(changes):
        errors.append("同一学籍号或同一学生出现了两次")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rows = list(Student.objects.select_for_update().filter(pk__in=[pk for pk, _, _ in changes]).order_by("pk")
                    .values_list("pk", "national_number", "school_id"))
        current = {pk: number for pk, number, _ in rows}
        schools = {pk: school_id for pk, _, school_id in rows}
        missing = [pk for pk, _, _ in changes if pk not in current]
        if missing:
            raise ValidationError(f"学籍不存在:{missing[:10]}")
        used = set(StudentNumber.objects.filter(number__in=new_numbers).values_list("number", flat=True))
        if used:
            raise ValidationError([f"全国学籍号{n}已被使用" for n in sorted(used)])
        now = timezone.now()
        stamp = Student._meta.get_field("updated_at").get_db_prep_save(now, connection)
        StudentNumber.objects.filter(number__in=list(current.values())).update(replaced_at=now)
        try:
            with transaction.atomic():
                bulk.update_rows(Student, "id", ["national_number", "number_kind", "updated_at"],
                                 [(number, kind, stamp, pk) for pk, number, kind in changes])
                bulk.insert_rows(StudentNumber, ("number", "student_id", "kind"),
                                 [(number, pk, kind) for pk, number, kind in changes])
        except IntegrityError as error:
            raise ValidationError("全国学籍号已被使用,请重试") from error
        if record_history:
            name = _actor_name(actor)
            _history((pk, EventKind.NUMBER, business_id, schools[pk], name, reason,
                      {"national_number": current[pk]}, {"national_number": number}) for pk, number, _ in changes)
    return [(pk, current[pk], number) for pk, number, _ in changes]


def replace_number(student: Student, new_number: str, kind: str) -> None:
    """Replace one record's number (see :func:`replace_numbers`); ``student`` follows."""
    replace_numbers([(student.pk, new_number, kind)])
    student.national_number = new_number
    student.number_kind = kind


@dataclass
class Upgrade:
    """The outcome of :func:`upgrade_temporary_numbers`."""

    upgraded: list[tuple[int, str, str]] = field(default_factory=list)  # (student, old L, new G)
    skipped: dict[int, str] = field(default_factory=dict)  # student → why not


def upgrade_temporary_numbers(student_ids: Iterable[int], *, actor=None) -> Upgrade:
    """临时学籍号转正式学籍号: records whose resident ID the population registry has
    just verified (the caller asked it) get G + the ID in place of their L number; the L
    keeps resolving to them (F-26). A record is left as it is — with the reason — when
    it no longer holds an L number with a resident ID, is deleted, does not hold its
    identity (a duplicate in a problem group), or its G number is taken."""
    ids = list(dict.fromkeys(student_ids))
    result = Upgrade()
    if not ids:
        return result
    with transaction.atomic():
        rows = list(Student.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list(
            "pk", "number_kind", "id_type", "id_number", "status"))
        holders = set(IdentityClaim.objects.filter(student_id__in=ids).values_list("student_id", flat=True))
        found = {r[0] for r in rows}
        for pk in ids:
            if pk not in found:
                result.skipped[pk] = "学籍不存在"
        wanted = []
        for pk, kind, id_type, id_number, status in rows:
            if status == rules.DELETED_STATUS:
                result.skipped[pk] = "学籍已删除"
            elif kind != NumberKind.TEMPORARY or id_type != numbers.RESIDENT_ID_TYPE or not id_number:
                result.skipped[pk] = "不是持居民身份证的临时学籍号学生"
            elif pk not in holders:
                result.skipped[pk] = "身份证件号与其他学籍重复,须先处理问题学籍"
            else:
                wanted.append((pk, numbers.official_number(id_number)))
        taken = set(StudentNumber.objects.filter(number__in=[n for _, n in wanted]).values_list("number", flat=True))
        changes = []
        for pk, number in wanted:
            if number in taken:
                result.skipped[pk] = f"全国学籍号{number}已被使用"
            else:
                changes.append((pk, number, NumberKind.OFFICIAL_ID.value))
        result.upgraded = replace_numbers(changes, actor=actor, reason="临时学籍号转正式学籍号")
    return result


# --- status (学籍状态, F-27) ------------------------------------------------------------------

def _ids_of(students) -> list[int]:
    if isinstance(students, QuerySet):
        return list(students.values_list("pk", flat=True))
    if isinstance(students, Student | int):
        students = [students]
    ids = []
    for s in students:
        if isinstance(s, Student):
            ids.append(s.pk)
        elif isinstance(s, int) and not isinstance(s, bool):
            ids.append(s)
        else:
            raise ValidationError(f"“{s}”不是学籍")
    return list(dict.fromkeys(ids))


def _locked(ids: list[int], *columns: str) -> list[tuple]:
    """The rows of ``ids`` (``pk``, *columns) in the order of ``ids``, locked to the end
    of the transaction; a missing id refuses."""
    found = {}
    for chunk in batches(ids, _CHUNK):
        found.update((row[0], row) for row in
                     Student.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", *columns))
    if len(found) != len(ids):
        raise ValidationError(f"学籍不存在:{[pk for pk in ids if pk not in found][:10]}")
    return [found[pk] for pk in ids]


def _actor_name(actor) -> str:
    if actor is None:
        return ""
    return (getattr(actor, "real_name", "") or actor.get_username())[:50]


def change_status(students, new_status: str, *, reason: str = "", date: dt.date, actor=None,
                  business_id: int | None = None) -> list[tuple[int, str]]:
    """学籍状态变动: set the 学籍状态 of ``students`` (records, ids or a queryset) to
    ``new_status`` as of ``date`` (not after today) for ``reason``, and add the change to
    each record's status history. 已删除 (99) also frees the records' identities (a
    deleted record no longer counts in 查重, F-41). Refused: an unknown status, a
    deleted record, a record already in that status. Set-based; each record's history
    gets a 状态变更 event (``business_id``: the business it belongs to). Returns
    ``(student id, old status)`` for the caller's audit entry."""
    if new_status not in rules.STATUS_NAMES:
        raise ValidationError(f"“{new_status}”不是有效的学籍状态")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise ValidationError("变动日期不是有效日期")
    if date > timezone.localdate():
        raise ValidationError("变动日期不能晚于今天")
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationError("变动原因不能超过200个字")
    ids = _ids_of(students)
    if not ids:
        return []
    with transaction.atomic():
        rows = _locked(ids, "status", "school_id", "name")
        errors = []
        for _, status, _, name in rows:
            if status == rules.DELETED_STATUS:
                errors.append(f"{name}:已删除的学籍不能变更学籍状态")
            elif status == new_status:
                errors.append(f"{name}:学籍状态已是{rules.STATUS_NAMES[new_status]}")
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        for chunk in batches(ids, _CHUNK):
            Student.objects.filter(pk__in=chunk).update(status=new_status, updated_at=now)
            if new_status == rules.DELETED_STATUS:
                IdentityClaim.objects.filter(student_id__in=chunk).delete()
        name = _actor_name(actor)
        bulk.insert_rows(StatusChange, ("student_id", "old_status", "new_status", "date", "reason", "school_id",
                                        "actor_name"),
                         [(pk, status, new_status, date.isoformat(), reason, school_id, name)
                          for pk, status, school_id, _ in rows])
        _history((pk, EventKind.STATUS, business_id, school_id, name, reason, {"status": status},
                  {"status": new_status, "date": date.isoformat()}) for pk, status, school_id, _ in rows)
    return [(pk, status) for pk, status, _, _ in rows]


def graduate_records(student_ids: Sequence[int], new_status: str, *, kind: str, kind_name: str, date: dt.date,
                     reason: str = "", actor=None, school_id: int | None = None,
                     business_id: int | None = None) -> tuple[list[tuple[int, str, int]], dict[int, str]]:
    """毕业 / 结业 / 肄业 of many records at once (the batch business of F-60), set-based:
    of ``student_ids``, those of ``school_id`` (when given) whose 学籍状态 allows the
    business ``kind`` (F-27, ``rules.business_allowed``) get ``new_status`` as of ``date``
    — one read, one UPDATE per chunk (guarded by the status read, so a record changed
    meanwhile is not touched), the status history and a 状态变更 event each inserted in
    one statement. The others are not changed: returned with the Chinese reason. Returns
    ``(changed: [(id, old status, grade id)], refused: {id: reason})``."""
    if new_status not in rules.STATUS_NAMES:
        raise ValidationError(f"“{new_status}”不是有效的学籍状态")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise ValidationError("变动日期不是有效日期")
    if date > timezone.localdate():
        raise ValidationError("变动日期不能晚于今天")
    reason = (reason or "").strip()[:200]
    ids = list(dict.fromkeys(int(i) for i in student_ids))
    changed: list[tuple[int, str, int, int]] = []
    refused: dict[int, str] = {}
    if not ids:
        return [], refused
    name = _actor_name(actor)
    now = timezone.now()
    table, grades = Student._meta.db_table, Grade._meta.db_table
    lock = " FOR UPDATE OF s" if connection.features.has_select_for_update_of else ""
    stamp = Student._meta.get_field("updated_at").get_db_prep_save(now, connection)
    # Raw SQL with the ids as parameters: the ORM's ``pk__in`` of thousands of ids costs
    # more in Python than the statement itself (bench/graduation.py).
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in batches(ids, _CHUNK):
            among, params = bulk.ids_in("s.id", chunk)
            cursor.execute(f"SELECT s.id, s.status, s.school_id, s.grade_id, g.stage FROM {table} AS s"
                           f" INNER JOIN {grades} AS g ON g.id = s.grade_id WHERE {among}{lock}", params)
            rows = cursor.fetchall()
            found = set()
            by_status: dict[str, list[int]] = {}
            for pk, status, school, grade, stage in rows:
                found.add(pk)
                if school_id is not None and school != school_id:
                    refused[pk] = "学生已不在本校"
                    continue
                refusal = rules.business_allowed(status, kind, kind_name=kind_name, stage=stage)
                if refusal:
                    refused[pk] = refusal
                    continue
                by_status.setdefault(status, []).append(pk)
                changed.append((pk, status, school, grade))
            refused.update({pk: "学籍不存在" for pk in chunk if pk not in found})
            for old, pks in by_status.items():
                among, params = bulk.ids_in("id", pks)
                cursor.execute(f"UPDATE {table} SET status = %s, updated_at = %s WHERE {among} AND status = %s",
                               [new_status, stamp, *params, old])
        bulk.insert_rows(StatusChange, ("student_id", "old_status", "new_status", "date", "reason", "school_id",
                                        "actor_name"),
                         [(pk, status, new_status, date.isoformat(), reason, school, name)
                          for pk, status, school, _ in changed])
        _history((pk, EventKind.STATUS, business_id, school, name, reason, {"status": status},
                  {"status": new_status, "date": date.isoformat()}) for pk, status, school, _ in changed)
    return [(pk, status, grade) for pk, status, _, grade in changed], refused


@dataclass(frozen=True)
class Admitted:
    """One record an :func:`admit_records` call moved (for the caller's audit entry)."""

    student_id: int
    old_status: str
    school_id: int
    grade_id: int
    klass_id: int | None


def admit_records(moves: Sequence[tuple[int, int, int]], *, reason: str = "调档", date: dt.date, actor=None,
                  business_ids: Mapping[int, int] | None = None) -> tuple[list[Admitted], dict[int, str]]:
    """调档 of admitted graduates (招生入学, F-64): each ``(student id, school id, grade id)``
    becomes a 在校 student of that school, in that grade (the new stage's first grade),
    待分班 — set-based: per chunk one locked read, then per target grade one UPDATE of the
    records (guarded by the status read) and one of their identity claims, then the
    status history and a 调档 event each inserted in one statement. A record that is not 毕业 / 结业 (a second 调档, a
    graduate returned meanwhile) is not touched: returned with the Chinese reason.
    ``business_ids``: the review business of each record, for its history. Returns
    ``(moved, refused: {id: reason})``."""
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise ValidationError("变动日期不是有效日期")
    if date > timezone.localdate():
        raise ValidationError("变动日期不能晚于今天")
    reason = (reason or "").strip()[:200]
    target = {}
    for pk, school_id, grade_id in moves:
        target[int(pk)] = (int(school_id), int(grade_id))
    moved: list[Admitted] = []
    refused: dict[int, str] = {}
    if not target:
        return moved, refused
    grades = dict(Grade.objects.filter(pk__in={g for _, g in target.values()}).values_list("pk", "school_id"))
    for school_id, grade_id in target.values():
        if grades.get(grade_id) != school_id:
            raise ValidationError("录取年级不属于录取学校")
    business_ids = business_ids or {}
    name = _actor_name(actor)
    now = timezone.now()
    admissible = (Status.GRADUATED.value, Status.COMPLETED.value)
    table, claims = Student._meta.db_table, IdentityClaim._meta.db_table
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    stamp = Student._meta.get_field("updated_at").get_db_prep_save(now, connection)
    # Raw SQL with the ids as parameters, as graduate_records (decision 174): the ORM's
    # ``pk__in`` of thousands of ids costs more in Python than the statement itself.
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in batches(list(target), _CHUNK):
            among, params = bulk.ids_in("id", chunk)
            cursor.execute(f"SELECT id, status, school_id, grade_id, klass_id FROM {table} WHERE {among}{lock}", params)
            rows = cursor.fetchall()
            found = {row[0] for row in rows}
            refused.update({pk: "学籍不存在" for pk in chunk if pk not in found})
            part: list[Admitted] = []
            for pk, status, school, grade, klass in rows:
                if status not in admissible:
                    refused[pk] = f"学籍状态为{rules.STATUS_NAMES.get(status, status)},不能调档"
                    continue
                part.append(Admitted(pk, status, school, grade, klass))
            if not part:
                continue
            # One UPDATE per target grade (a 调档 call brings its students into one or two
            # grades): the values are the same for all, bound once, not per row.
            by_target: dict[tuple[int, int], list[int]] = {}
            for a in part:
                by_target.setdefault(target[a.student_id], []).append(a.student_id)
            for (school_id, grade_id), ids in by_target.items():
                among, params = bulk.ids_in("id", ids)
                cursor.execute(f"UPDATE {table} SET status = %s, school_id = %s, grade_id = %s, klass_id = NULL,"
                               f" promoted_year = NULL, updated_at = %s WHERE {among} AND status IN (%s, %s)",
                               [Status.IN_SCHOOL.value, school_id, grade_id, stamp, *params, *admissible])
                among, params = bulk.ids_in("student_id", ids)
                cursor.execute(f"UPDATE {claims} SET school_id = %s WHERE {among}", [school_id, *params])
            moved.extend(part)
        bulk.insert_rows(StatusChange, ("student_id", "old_status", "new_status", "date", "reason", "school_id",
                                        "actor_name"),
                         [(a.student_id, a.old_status, Status.IN_SCHOOL.value, date.isoformat(), reason,
                           target[a.student_id][0], name) for a in moved])
        _history((a.student_id, EventKind.RECORD_MOVE, business_ids.get(a.student_id), target[a.student_id][0], name,
                  reason, {"status": a.old_status, "school": a.school_id, "grade": a.grade_id, "klass": a.klass_id},
                  {"status": Status.IN_SCHOOL.value, "school": target[a.student_id][0],
                   "grade": target[a.student_id][1], "klass": None, "date": date.isoformat()})
                 for a in moved)
    return moved, refused


def place_many(placements: Sequence[tuple[int, int]], *, actor=None, reason: str = "分班") -> list[Placement]:
    """分班 of many records into several classes at once (自动分班): ``(student id, class
    id)`` pairs, each class of the record's own school — one locked read, one UPDATE for
    all, one insert of the 分班 events. Records already in their class are left alone.
    Returns where the moved records were."""
    wanted = {int(pk): int(klass) for pk, klass in placements}
    if not wanted:
        return []
    classes = {pk: (school, grade) for pk, school, grade in
               SchoolClass.objects.filter(pk__in=set(wanted.values())).values_list("pk", "school_id", "grade_id")}
    if len(classes) != len(set(wanted.values())):
        raise ValidationError("班级不存在")
    with transaction.atomic():
        rows = _locked(list(wanted), "school_id", "grade_id", "klass_id", "status", "name")
        errors = []
        moved: list[Placement] = []
        for pk, school, grade, klass, status, name in rows:
            if status == rules.DELETED_STATUS:
                errors.append(f"{name}:已删除的学籍不能调整班级")
            elif classes[wanted[pk]][0] != school:
                errors.append(f"{name}:只能分到本校的班级")
            elif klass != wanted[pk] or grade != classes[wanted[pk]][1]:
                moved.append(Placement(pk, school, grade, klass))
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        bulk.update_grouped(Student, [(wanted[p.student_id], p.student_id) for p in moved],
                            lambda klass: {"grade_id": classes[klass][1], "klass_id": klass, "updated_at": now})
        name = _actor_name(actor)
        _history((p.student_id, EventKind.PLACEMENT, None, p.school_id, name, reason,
                  {"school": p.school_id, "grade": p.grade_id, "klass": p.klass_id},
                  {"school": p.school_id, "grade": classes[wanted[p.student_id]][1], "klass": wanted[p.student_id]})
                 for p in moved)
    return moved


# --- placement (学校、年级、班级) ---------------------------------------------------------------

def _pk(value, model, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, model):
        return value.pk
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValidationError(f"“{value}”不是有效的{what}")


@dataclass(frozen=True)
class Placement:
    """Where a record was before a move: for the caller's audit entry (``klass_id``
    None: 待分班)."""

    student_id: int
    school_id: int
    grade_id: int
    klass_id: int | None


def move_students(students, *, school=None, grade=None, klass=None, actor=None, kind: str | None = None,
                  business_id: int | None = None, reason: str = "", record_history: bool = True) -> list[Placement]:
    """调整学校、年级、班级: place ``students`` in ``klass`` (its grade and school; a
    ``school`` or ``grade`` given must be the class's). ``klass`` None: 待分班 — in
    ``grade`` (and its school), or, with no grade given, in the grade and school they are
    in (a ``school`` other than theirs then needs a grade). The identity claims follow
    the school. Records already there are left alone; a deleted record refuses. The
    primitive of 分班, 留级/跳级, 转学 and 毕业升级. Each moved record's history gets an
    event of ``kind`` (default 转学 when the school changes, else 分班; ``business_id``
    the business it belongs to). Returns where the moved records were."""
    klass_id = _pk(klass, SchoolClass, "班级")
    school_id = _pk(school, School, "学校")
    grade_id = _pk(grade, Grade, "年级")
    if kind is not None and kind not in EventKind.values:
        raise ValidationError(f"“{kind}”不是有效的变动类别")
    target: tuple[int, int] | None = None  # (school, grade); None: each record keeps its own
    if klass_id is not None:
        target = SchoolClass.objects.filter(pk=klass_id).values_list("school_id", "grade_id").first()
        if target is None:
            raise ValidationError("班级不存在")
        if school_id is not None and target[0] != school_id:
            raise ValidationError("班级不属于所选学校")
        if grade_id is not None and target[1] != grade_id:
            raise ValidationError("班级不属于所选年级")
    elif grade_id is not None:
        grade_school = Grade.objects.filter(pk=grade_id).values_list("school_id", flat=True).first()
        if grade_school is None:
            raise ValidationError("年级不存在")
        if school_id is not None and grade_school != school_id:
            raise ValidationError("年级不属于所选学校")
        target = (grade_school, grade_id)
    ids = _ids_of(students)
    if not ids:
        return []
    with transaction.atomic():
        rows = _locked(ids, "school_id", "grade_id", "klass_id", "status", "name")
        deleted = [name for _, _, _, _, status, name in rows if status == rules.DELETED_STATUS]
        if deleted:
            raise ValidationError([f"{name}:已删除的学籍不能调整班级" for name in deleted])
        if target is None and school_id is not None:
            elsewhere = [name for _, s, _, _, _, name in rows if s != school_id]
            if elsewhere:
                raise ValidationError([f"{name}:调入其他学校须选择年级或班级" for name in elsewhere])
        moved = []
        updates = []
        for pk, s, g, k, _, _ in rows:
            to_school, to_grade = target if target is not None else (s, g)
            if (to_school, to_grade, klass_id) != (s, g, k):
                moved.append(Placement(pk, s, g, k))
                updates.append((to_school, to_grade, klass_id))
        now = timezone.now()
        stamp = Student._meta.get_field("updated_at").get_db_prep_save(now, connection)
        bulk.update_rows(Student, "id", ["school_id", "grade_id", "klass_id", "updated_at"],
                         [(*u, stamp, p.student_id) for p, u in zip(moved, updates, strict=True)])
        claims = [(u[0], p.student_id) for p, u in zip(moved, updates, strict=True) if u[0] != p.school_id]
        bulk.update_rows(IdentityClaim, "student_id", ["school_id"], claims)
        if record_history:
            name = _actor_name(actor)
            _history((p.student_id, kind or (EventKind.TRANSFER if u[0] != p.school_id else EventKind.PLACEMENT),
                      business_id, u[0], name, reason,
                      {"school": p.school_id, "grade": p.grade_id, "klass": p.klass_id},
                      {"school": u[0], "grade": u[1], "klass": u[2]})
                     for p, u in zip(moved, updates, strict=True))
    return moved


@dataclass(frozen=True)
class PromotedGrade:
    """One grade's share of a :func:`promote_grades` call (for the caller's report)."""

    grade_id: int
    before: str      # the year the grade was in (二年级)
    after: str       # the year it is in now (三年级)
    count: int       # records moved up


def promote_grades(school, grade_ids: Sequence[int], school_year: int, *, actor=None,
                   business_id: int | None = None, reason: str = "升级") -> list[PromotedGrade]:
    """升级 (F-62) of one school: the 在校 records of the non-final grades ``grade_ids``
    of ``school`` move up into ``school_year`` (see :func:`promote_schools`, of which
    this is the one-school case)."""
    school_id = _pk(school, School, "学校")
    return promote_schools({school_id: grade_ids}, school_year, actor=actor, business_id=business_id,
                           reason=reason).get(school_id, [])


#: At most this many grades in one statement of :func:`promote_schools` (its caller
#: passes a chunk of schools; 3 parameters a grade stay far below SQLite's limit).
PROMOTE_MAX_GRADES = 5000


def promote_schools(grades_by_school: Mapping[int, Sequence[int]], school_year: int, *, actor=None,
                    business_id: int | None = None, reason: str = "升级") -> dict[int, list[PromotedGrade]]:
    """升级 (F-62) of many schools at once: the 在校 records of the non-final grades
    (``grades_by_school``: school id → grade ids) move up into ``school_year`` (the
    school year starting after the promotion, by its first calendar year). What moves is
    the record's 年级 as it is shown (二年级 → 三年级): the grade itself (stage + entry
    year) and the 班号 stay — they name the cohort for life — and ``promoted_year`` is
    set to ``school_year``. A record already promoted into ``school_year`` (or later) is
    left alone, so a second call moves nobody twice. Refused (nothing moves): a grade of
    another school, a final grade, a grade not yet started.

    Set-based, in the caller's transaction (a savepoint), the same few statements for
    any number of schools and students: on PostgreSQL one statement (UPDATE … WHERE
    grade = ANY(the grades) RETURNING, the 升级 events INSERTed from what it returned, the
    counts per grade); on SQLite (whose write transactions start IMMEDIATE, so nothing changes in
    between) the counts, one INSERT … SELECT of the events and one UPDATE. Either way
    exactly the records moved get one event each. Returns, per school, each grade's
    share (school ids without grades: an empty list)."""
    from xueji.org import rules as org_rules

    if not isinstance(school_year, int) or isinstance(school_year, bool) or not 1950 <= school_year <= 2100:
        raise ValidationError("升级学年不正确")
    wanted = {int(s): list(dict.fromkeys(int(g) for g in gs)) for s, gs in grades_by_school.items()}
    schools = {pk: (name, {"1": p, "2": j, "3": s}) for pk, name, p, j, s in School.objects.filter(
        pk__in=list(wanted)).values_list("pk", "name", "primary_years", "junior_years", "senior_years")}
    if len(schools) != len(wanted):
        raise ValidationError("学校不存在")
    ids = [g for gs in wanted.values() for g in gs]
    if len(ids) != len(set(ids)):
        raise ValidationError("年级重复")
    if len(ids) > PROMOTE_MAX_GRADES:
        raise ValidationError(f"一次最多升级{PROMOTE_MAX_GRADES}个年级")
    grades = {pk: rest for pk, *rest in Grade.objects.filter(pk__in=ids).values_list(
        "pk", "school_id", "stage", "entry_year")}
    if len(grades) != len(ids):
        raise ValidationError("年级不存在")
    plan: list[tuple[int, int, str, str]] = []  # (school, grade, before, after)
    errors = []
    for school_id, grade_ids in wanted.items():
        school_name, years = schools[school_id]
        for pk in grade_ids:
            grade_school, stage, entry_year = grades[pk]
            name = org_rules.grade_name(stage, entry_year)
            n = org_rules.year_in_stage(entry_year, school_year - 1)
            stage_years = years.get(stage) or max(org_rules.ALLOWED_YEARS[stage])
            if grade_school != school_id:
                errors.append(f"{name}不属于{school_name}")
            elif n < 1:
                errors.append(f"{name}尚未入学,不能升级")
            elif n >= stage_years:
                errors.append(f"{name}是毕业年级,不能升级")
            else:
                plan.append((school_id, pk, org_rules.current_year_label(stage, entry_year, school_year - 1, years),
                             org_rules.current_year_label(stage, entry_year, school_year, years)))
    if errors:
        raise ValidationError(errors)
    result: dict[int, list[PromotedGrade]] = {school_id: [] for school_id in wanted}
    if not plan:
        return result
    name = _actor_name(actor)
    now = timezone.now()
    stamp = Student._meta.get_field("updated_at").get_db_prep_save(now, connection)
    at = RecordEvent._meta.get_field("at").get_db_prep_save(now, connection)
    table, events = Student._meta.db_table, RecordEvent._meta.db_table
    rows = [(pk, bulk.dumps({"year_label": before}), bulk.dumps({"year_label": after, "promoted_year": school_year}))
            for _, pk, before, after in plan]
    event = [at, EventKind.PROMOTION.value, business_id, name, (reason or "")[:200]]
    pending = "s.status = %s AND (s.promoted_year IS NULL OR s.promoted_year < %s)"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No join with the plan: the grades as an array (the records found through
            # the grade index — a join with a VALUES list seq-scanned the whole table per
            # chunk, and with statistics saying nothing is pending it nested-looped over
            # the list for every record), the before/after values looked up per grade in
            # two JSON objects (DECISIONS 182).
            before = bulk.dumps({str(pk): {"year_label": b} for _, pk, b, _ in plan})
            after = bulk.dumps({str(pk): {"year_label": a, "promoted_year": school_year} for _, pk, _, a in plan})
            cursor.execute(
                f"WITH moved AS (UPDATE {table} AS s SET promoted_year = %s, updated_at = %s"
                f" WHERE s.grade_id = ANY(%s) AND {pending} RETURNING s.id, s.school_id, s.grade_id),"
                f" written AS (INSERT INTO {events} (student_id, at, kind, business_id, actor_name, reason, school_id,"
                f" before, after) SELECT id, %s, %s, %s, %s, %s, school_id,"
                f" CAST(%s AS jsonb) -> CAST(grade_id AS text), CAST(%s AS jsonb) -> CAST(grade_id AS text) FROM moved)"
                f" SELECT grade_id, COUNT(*) FROM moved GROUP BY grade_id",
                [school_year, stamp, [pk for _, pk, _, _ in plan], Status.IN_SCHOOL.value, school_year, *event,
                 before, after])
            counts = dict(cursor.fetchall())
        else:
            values = ", ".join(["(%s, %s, %s)"] * len(rows))
            marks = ", ".join(["%s"] * len(rows))
            state = [Status.IN_SCHOOL.value, school_year]
            cursor.execute(f"SELECT s.grade_id, COUNT(*) FROM {table} AS s WHERE s.grade_id IN ({marks}) AND {pending}"
                           f" GROUP BY s.grade_id", [*(row[0] for row in rows), *state])
            counts = dict(cursor.fetchall())
            cursor.execute(
                f"WITH plan (grade_id, before, after) AS (VALUES {values})"
                f" INSERT INTO {events} (student_id, at, kind, business_id, actor_name, reason, school_id, before,"
                f" after) SELECT s.id, %s, %s, %s, %s, %s, s.school_id, plan.before, plan.after"
                f" FROM plan JOIN {table} AS s ON s.grade_id = plan.grade_id WHERE {pending}",
                [*(v for row in rows for v in row), *event, *state])
            cursor.execute(f"UPDATE {table} AS s SET promoted_year = %s, updated_at = %s"
                           f" WHERE s.grade_id IN ({marks}) AND {pending}",
                           [school_year, stamp, *(row[0] for row in rows), *state])
    for school_id, pk, before, after in plan:
        result[school_id].append(PromotedGrade(pk, before, after, counts.get(pk, 0)))
    return result


def place_in_class(students, klass, actor=None, *, business_id: int | None = None, reason: str = "") -> list[Placement]:
    """分班: put ``students`` (待分班, or in another class of their school) in ``klass``, a
    class of their own school — set-based, with a 分班 event in each record's history.
    A class of another school refuses (that is a transfer). Returns where they were."""
    klass_id = _pk(klass, SchoolClass, "班级")
    if klass_id is None:
        raise ValidationError("请选择班级")
    school_id = SchoolClass.objects.filter(pk=klass_id).values_list("school_id", flat=True).first()
    if school_id is None:
        raise ValidationError("班级不存在")
    ids = _ids_of(students)
    with transaction.atomic():
        others = [name for _, s, name in _locked(ids, "school_id", "name") if s != school_id]
        if others:
            raise ValidationError([f"{name}:只能分到本校的班级" for name in others])
        return move_students(ids, klass=klass_id, actor=actor, kind=EventKind.PLACEMENT, business_id=business_id,
                             reason=reason)


# --- key data (关键数据变更, F-43) --------------------------------------------------------------

@dataclass(frozen=True)
class KeyChange:
    """What :func:`apply_key_change` changed: the key data before and after (only the
    attrs that changed), and the number before and after (equal when kept)."""

    before: dict[str, Any]
    after: dict[str, Any]
    old_number: str
    new_number: str
    placement: Placement | None = None


def apply_key_change(student, changes: Mapping[str, Any], *, verified: bool | None = None,
                     reserved_by: int | None = None, today: dt.date | None = None, actor=None,
                     business_id: int | None = None, reason: str = "", problem: bool = False) -> KeyChange:
    """关键数据变更: set key data (``changes``: attr → value, attrs of
    ``rules.KEY_CHANGE_ATTRS``, and ``klass`` for a placement in the record's school).

    The changed key data must hold together (:func:`rules.check_key_data`). When the
    identity changes, the record's identity claim moves to the new one — race-safe: the
    unique key lets one writer through; a claim the business made beforehand
    (``reserved_by``: its id) is taken over — and the number follows the identity
    (:func:`rules.number_after_key_change`): a new resident ID that the population
    registry verified (``verified``, asked by the caller) → G + the new ID, the old
    number staying findable. Refused with a ``ValidationError``: a field that is not key
    data, no change, a deleted record, an identity another record holds, a number
    taken. The record's history gets one 关键数据变更 event (values, class and number
    before and after; ``business_id``: the business)."""
    unknown = [attr for attr in changes if attr not in rules.KEY_CHANGE_ATTRS and attr != "klass"]
    if unknown:
        raise ValidationError([f"{F.BY_ATTR[a].header if a in F.BY_ATTR else a}不是可变更的关键数据" for a in unknown])
    student_id = _pk(student, Student, "学籍")
    today = today or timezone.localdate()
    with transaction.atomic():
        record = Student.objects.select_for_update().filter(pk=student_id).order_by("pk").first()
        if record is None:
            raise ValidationError("学籍不存在")
        if record.status == rules.DELETED_STATUS:
            raise ValidationError("已删除的学籍不能变更关键数据")
        current = {attr: getattr(record, attr) for attr in rules.KEY_CHANGE_ATTRS}
        new = dict(current)
        for attr, value in changes.items():
            if attr == "klass":
                continue
            if attr == "id_number":
                value = rules.normalize_id_number(value)
            elif attr == "name":
                value = rules.normalize_name(value, foreign=rules.is_foreign_name_allowed(
                    changes.get("id_type", record.id_type), changes.get("hmt", record.hmt)))
            elif attr == "birth_date" and isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    raise ValidationError(f"出生日期“{value}”不是有效日期") from None
            new[attr] = value
        changed = {attr: value for attr, value in new.items() if value != current[attr]}
        klass_id = _pk(changes.get("klass"), SchoolClass, "班级")
        if not changed and (klass_id is None or klass_id == record.klass_id):
            raise ValidationError("没有需要变更的关键数据")
        known = None
        if new["id_type"] == numbers.RESIDENT_ID_TYPE and len(new["id_number"]) == 18:
            prefix = new["id_number"][:6]
            known = {prefix} if Division.objects.filter(code__startswith=prefix).exists() else set()
        errors = rules.check_key_data(new, today=today, known_divisions=known)
        action, refusal = rules.number_after_key_change(
            record.number_kind, (record.id_type, record.id_number), (new["id_type"], new["id_number"]), verified,
            problem=problem)
        if refusal:
            errors.append(refusal)
        if errors:
            raise ValidationError(errors)
        placement = None
        if klass_id is not None and klass_id != record.klass_id:
            if not SchoolClass.objects.filter(pk=klass_id, school_id=record.school_id).exists():
                raise ValidationError("关键数据变更只能调整到本校的班级")
            (placement,) = move_students([record.pk], klass=klass_id, record_history=False)
        _move_claim(record, numbers.identity_key(record.id_type, record.id_number),
                    numbers.identity_key(new["id_type"], new["id_number"]), reserved_by)
        if changed:
            Student.objects.filter(pk=record.pk).update(**changed, updated_at=timezone.now())
        old_number = record.national_number
        new_number = old_number
        if action != "keep":
            if action == NumberKind.OFFICIAL_ID:
                new_number = numbers.official_number(new["id_number"])
            else:
                new_number = allocate_sequenced_numbers(action, [(record.school.division_id, new["birth_date"])])[0]
            replace_numbers([(record.pk, new_number, action)], record_history=False)
        before = {a: current[a] for a in changed}
        after = dict(changed)
        if placement is not None:
            before["klass"], after["klass"] = placement.klass_id, klass_id
        if new_number != old_number:
            before["national_number"], after["national_number"] = old_number, new_number
        _history([(record.pk, EventKind.KEY_CHANGE, business_id, record.school_id, _actor_name(actor), reason,
                   before, after)])
    return KeyChange(before={a: current[a] for a in changed}, after=changed, old_number=old_number,
                     new_number=new_number, placement=placement)


def _move_claim(record: Student, old_key: str | None, new_key: str | None, reserved_by: int | None) -> None:
    """The record gives up ``old_key`` and holds ``new_key`` (race-safe: the insert of a
    key another writer holds fails, and the whole change with it)."""
    if old_key == new_key:
        return
    IdentityClaim.objects.filter(student=record).delete()
    if new_key is None:
        return
    if reserved_by is not None and IdentityClaim.objects.filter(
            key=new_key, student__isnull=True, registration_id=reserved_by).update(student=record, school_id=record.school_id):
        return
    try:
        with transaction.atomic():
            bulk.insert_rows(IdentityClaim, ("key", "school_id", "student_id"), [(new_key, record.school_id, record.pk)])
    except IntegrityError:
        conflict = find_conflicts([new_key]).get(new_key)
        raise ValidationError(conflict.message if conflict else "身份证件号已被占用") from None


def take_identity(student) -> str | None:
    """问题学籍仲裁通过 / 自动佐证: the record holds its own identity from now on — the
    claim of its (type, number) moves to it from whichever record or pending business
    held it (a member that failed arbitration and must still change or delete), or is
    made when nobody holds it. Returns the key (None: a record without an ID document,
    or deleted — nothing to hold). Joins the caller's transaction."""
    student_id = _pk(student, Student, "学籍")
    with transaction.atomic():
        record = Student.objects.select_for_update().filter(pk=student_id).order_by("pk").first()
        if record is None or record.status == rules.DELETED_STATUS:
            return None
        key = numbers.identity_key(record.id_type, record.id_number)
        if key is None:
            return None
        IdentityClaim.objects.filter(student=record).exclude(key=key).delete()
        if not IdentityClaim.objects.filter(key=key).update(student=record, school_id=record.school_id):
            _move_claim(record, None, key, None)
    return key


# --- withdrawing an unfinished load (撤回未完成的建档) -------------------------------------------

#: The record's own tables, removed with it.
_PARTS = (StudyResume, Award, Punishment, ResidencePermit)
_OWN_TABLES = (FamilyMember, StudentNumber, IdentityClaim, StatusChange, RecordEvent, *_PARTS)


def records_in_use(students, *, ignore: Iterable[type] = (), lock: bool = False) -> dict[int, str]:
    """Which of ``students`` are more than what their creation wrote, each with the
    reason in Chinese: a status change since (a decision), a change of the record itself
    (``updated_at`` is no longer the creation time — :func:`create_records` writes both
    at once), or any row of another table pointing at it (a business, a registration, a
    problem group, a batch operation … every foreign key to the record, found in the
    model metadata). ``ignore``: tables whose references the caller is about to remove
    itself. ``lock``: lock the records to the end of the caller's transaction first (a
    removal that follows sees the same answer). A few queries per 5,000 records; a
    missing id is not in use."""
    ids = _ids_of(students)
    reasons: dict[int, list[str]] = {}
    changed: set[int] = set()
    for chunk in batches(ids, _CHUNK):
        if lock:
            list(Student.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True))
        for pk in StatusChange.objects.filter(student_id__in=chunk).values_list("student_id", flat=True).distinct():
            reasons.setdefault(pk, []).append("学籍状态已有变动")
        changed.update(Student.objects.filter(pk__in=chunk).exclude(updated_at=Col("registered_at")).values_list(
            "pk", flat=True))
    for pk, tables in references.referenced(Student, ids, ignore=(*_OWN_TABLES, *ignore)).items():
        reasons.setdefault(pk, []).extend(f"已有{table}" for table in tables)
    for pk in changed - set(reasons):  # a change nothing above explains
        reasons[pk] = ["学籍信息已有修改"]
    return {pk: "、".join(why) for pk, why in reasons.items()}


@dataclass
class Withdrawal:
    """What :func:`withdraw_records` did: the records removed ``(id, number, name)`` and
    those kept (id → why)."""

    removed: list[tuple[int, str, str]] = field(default_factory=list)
    kept: dict[int, str] = field(default_factory=dict)


def withdraw_records(students, *, checked: bool = False) -> Withdrawal:
    """撤回未完成的建档: remove for good the records an unfinished load created (its worker
    died, it raised, it was cancelled) — with their family members, numbers, identity
    claims — in the caller's transaction. These records never legitimately existed, so
    this is a hard removal, not 已删除; their numbers' counters are not wound back (a
    sequenced J/L number is never handed out again; a G number comes back only with the
    same ID). A record that meanwhile has a business, a decision or any other reference
    (:func:`records_in_use`, checked with the records locked) is kept, with the reason.
    Ids no longer there are skipped, so it can run again. ``checked``: the caller has
    just called ``records_in_use(…, lock=True)`` in this transaction and left out the
    records in use (and any reference it ignored there is gone), so the check is not
    repeated. Set-based: one lock, the checks and one DELETE per table for every 5,000
    records."""
    ids = _ids_of(students)
    result = Withdrawal()
    if not ids:
        return result
    with transaction.atomic():
        found: dict[int, tuple[str, str]] = {}
        for chunk in batches(ids, _CHUNK):
            found.update((pk, (number, name)) for pk, number, name in Student.objects.select_for_update().filter(
                pk__in=chunk).order_by("pk").values_list("pk", "national_number", "name"))
        present = [pk for pk in ids if pk in found]
        result.kept = {} if checked else records_in_use(present)
        doomed = [pk for pk in present if pk not in result.kept]
        if doomed:
            bulk.delete_rows(IdentityClaim, "student", doomed)
            bulk.delete_rows(FamilyMember, "student", doomed)
            bulk.delete_rows(StudentNumber, "student", doomed)
            for table in (RecordEvent, *_PARTS):
                bulk.delete_rows(table, "student", doomed)
            bulk.delete_rows(Student, "id", doomed)
        result.removed = [(pk, *found[pk]) for pk in doomed]
    return result


# --- 误操作删除 (F-34) ------------------------------------------------------------------------

@dataclass(frozen=True)
class Deletion:
    """What :func:`delete_records` did to one record, for the caller's audit entry."""

    student_id: int
    old_status: str
    old_number: str
    #: the number the deleted record keeps: the old one, or a new L when its G was released
    number: str


def delete_records(students, *, reason: str, date: dt.date, actor=None, business_id: int | None = None) -> list[Deletion]:
    """误操作删除: mark ``students`` 已删除 (99) as of ``date``. The record stays — with its
    family members and its status history, findable as a deleted record — but no longer
    holds its identity: the identity claim is released (:func:`change_status`), and so is
    an official G number, which is the resident ID itself and would be refused to a new
    registration of the same child ("全国学籍号已被使用"): the deleted record gets a
    temporary L number in its place (the G number's row is removed, so G + ID can be
    given again). J and L numbers are sequence numbers nobody else is ever given: they
    stay. Refused: a record already deleted. Set-based; joins the caller's transaction,
    writes no audit entry (the calling business does, with the returned numbers)."""
    ids = _ids_of(students)
    if not ids:
        return []
    reason = (reason or "").strip()
    with transaction.atomic():
        rows = _locked(ids, "national_number", "number_kind", "birth_date", "school_id")
        old = change_status(ids, rules.DELETED_STATUS, reason=f"误操作删除:{reason}"[:200], date=date, actor=actor,
                            business_id=business_id)
        released = [row for row in rows if row[2] == NumberKind.OFFICIAL_ID]
        new_numbers: dict[int, str] = {}
        if released:
            divisions = dict(School.objects.filter(pk__in={row[4] for row in released}).values_list("pk", "division_id"))
            allocated = allocate_sequenced_numbers(NumberKind.TEMPORARY, [(divisions[row[4]], row[3]) for row in released])
            new_numbers = {row[0]: number for row, number in zip(released, allocated, strict=True)}
            stamp = Student._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
            bulk.delete_rows(StudentNumber, "number", [row[1] for row in released])
            bulk.update_rows(Student, "id", ["national_number", "number_kind", "updated_at"],
                             [(new_numbers[row[0]], NumberKind.TEMPORARY, stamp, row[0]) for row in released])
            bulk.insert_rows(StudentNumber, ("number", "student_id", "kind"),
                             [(new_numbers[row[0]], row[0], NumberKind.TEMPORARY) for row in released])
            name = _actor_name(actor)
            _history((row[0], EventKind.NUMBER, business_id, row[4], name, "误操作删除:释放G字头学籍号",
                      {"national_number": row[1]}, {"national_number": new_numbers[row[0]]}) for row in released)
    statuses = dict(old)
    return [Deletion(pk, statuses[pk], number, new_numbers.get(pk, number)) for pk, number, *_ in rows]


# --- non-key data (学籍数据维护、批量修改, F-44) ----------------------------------------------

def rules_context(today: dt.date | None = None) -> rules.CleanContext:
    """The field rules' context of an edit of existing records: any 身份证件类型, the known
    divisions (codes and county names), no class or school lookups (a placement is not an
    edit)."""
    codes_, prefixes, names = division_sets()
    return rules.CleanContext(entry="", today=today or timezone.localdate(), known_division_codes=codes_,
                              known_division_prefixes=prefixes, division_names=names)


@dataclass(frozen=True)
class RecordUpdate:
    """What :func:`update_records` changed in one record: attr → stored value before and
    after, only the attrs whose value really changed."""

    student_id: int
    name: str
    school_id: int
    before: dict[str, Any]
    after: dict[str, Any]


#: What update_records reads of each record: the rules compare the change with these.
_RULE_ATTRS = tuple(f.attr for f in F.STUDENT_FIELDS if not f.is_lookup)


def _stored(value: Any) -> Any:
    """A value as the history keeps it (JSON): dates ISO, decimals as text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def update_records(changes: Sequence[tuple[int, Mapping[str, Any]]], *, actor=None, reason: str = "",
                   business_id: int | None = None, context: rules.CleanContext | None = None,
                   refused: dict[int, list[str]] | None = None) -> list[RecordUpdate]:
    """修改非关键数据: ``changes`` are ``(student id, {attr: new value})`` — values as a form
    or a spreadsheet gives them (text, codes or "1-男", 是/否, numbers, dates). Only the
    record's non-key fields (:data:`rules.EDITABLE_ATTRS`); key data is refused with a
    pointer to 关键数据变更. Each value passes the registration rules
    (:func:`rules.check_changes`: only problems the change brings count). All or nothing:
    any refusal (naming the record) leaves every record as it was — unless ``refused``
    (a dict) is given: then a record whose change fails the rules is left as it was, its
    messages go to ``refused[student id]``, and the others are applied (批量修改: every
    failing row with its reasons, the passing rows applied, all in this one transaction).

    Set-based: one locked read of the records, one UPDATE statement (``executemany``)
    per set of changed fields, one insert of the 字段修改 events (before → after) into the
    records' history. Returns one :class:`RecordUpdate` per record that really changed
    (an unchanged value is no change)."""
    wanted: dict[int, dict[str, Any]] = {}
    for pk, values in changes:
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValidationError(f"“{pk}”不是学籍")
        wanted.setdefault(pk, {}).update(values)
    not_editable = sorted({m for values in wanted.values() for m in rules.refused_attrs(values)})
    if not_editable:
        raise ValidationError(not_editable)
    if not wanted:
        return []
    context = context or rules_context()
    ids = list(wanted)
    with transaction.atomic():
        rows = _locked(ids, "status", "school_id", *_RULE_ATTRS)
        errors: list[str] = []
        result: list[RecordUpdate] = []
        for row in rows:
            pk, status, school_id = row[:3]
            current = dict(zip(_RULE_ATTRS, row[3:], strict=True))
            who = current["name"]
            if status == rules.DELETED_STATUS:
                if refused is not None:
                    refused[pk] = ["已删除的学籍不能修改"]
                else:
                    errors.append(f"{who}:已删除的学籍不能修改")
                continue
            cleaned, problems = rules.check_changes(current, wanted[pk], context=context)
            if problems:
                if refused is not None:
                    refused[pk] = list(problems)
                else:
                    errors += [f"{who}:{m}" for m in problems]
                continue
            changed = {attr: value for attr, value in cleaned.items() if value != current[attr]}
            if changed:
                result.append(RecordUpdate(pk, who, school_id, {a: _stored(current[a]) for a in changed},
                                           {a: _stored(v) for a, v in changed.items()}))
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        stamp = Student._meta.get_field("updated_at").get_db_prep_save(now, connection)
        by_fields: dict[tuple[str, ...], list[tuple]] = {}
        for update in result:
            attrs = tuple(sorted(update.after))
            by_fields.setdefault(attrs, []).append(
                (*(_db_value(a, update.after[a]) for a in attrs), stamp, update.student_id))
        for attrs, values in by_fields.items():
            bulk.update_rows(Student, "id", [*attrs, "updated_at"], values)
        name = _actor_name(actor)
        _history((u.student_id, EventKind.FIELDS, business_id, u.school_id, name, reason, u.before, u.after)
                 for u in result)
    return result


def _plain_attrs() -> frozenset[str]:
    from django.db import models

    return frozenset(a for a, f in _STUDENT_FIELDS.items() if type(f) in (models.CharField, models.BooleanField))


_PLAIN_ATTRS = _plain_attrs()


def _db_value(attr: str, stored: Any) -> Any:
    """A stored (JSON) value as the database takes it: text and booleans of text and
    boolean columns as they are, the rest (decimals, dates) through the model field."""
    if attr in _PLAIN_ATTRS and stored is not None:
        return stored
    return _STUDENT_FIELDS[attr].get_db_prep_save(_prepared(attr, stored), connection)


def _prepared(attr: str, stored: Any) -> Any:
    """A stored (JSON) value back to the model field's Python value."""
    f = _STUDENT_FIELDS[attr]
    if stored is None or stored == "":
        return None if f.null else ""
    return f.to_python(stored)


def update_family(student, members: Sequence[Mapping[str, Any]], *, actor=None, reason: str = "",
                  business_id: int | None = None, context: rules.CleanContext | None = None) -> tuple[list, list]:
    """修改家庭成员 of one record (学籍数据维护): the record's family members become
    ``members`` (dicts of FamilyMember attrs as a form gives them, in order; members
    without any data left out) — the registration rules (:func:`rules.clean_family`:
    姓名, 关系, 关系说明, documents, the guardian of a pupil without an ID). Family members
    are not key data. One 家庭成员修改 event in the history with the members before and
    after. Returns ``(before, after)`` (lists of member dicts); both equal when nothing
    changed (no write, no event). :func:`update_families` for one record."""
    student_id = _pk(student, Student, "学籍")
    if student_id is None:
        raise ValidationError("学籍不存在")
    refused: dict[int, list[str]] = {}
    with transaction.atomic():
        updates = update_families([(student_id, members)], actor=actor, reason=reason, business_id=business_id,
                                  context=context, refused=refused, unchanged=True)
    if student_id in refused:
        raise ValidationError(refused[student_id])
    return updates[0].before, updates[0].after


@dataclass(frozen=True)
class FamilyUpdate:
    """What :func:`update_families` did to one record's family: the members before and
    after (lists of member dicts with ``seq``)."""

    student_id: int
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]


def update_families(changes: Sequence[tuple[int, Sequence[Mapping[str, Any]]]], *, actor=None, reason: str = "",
                    business_id: int | None = None, context: rules.CleanContext | None = None,
                    refused: dict[int, list[str]] | None = None, unchanged: bool = False) -> list[FamilyUpdate]:
    """修改家庭成员 of many records (非关键信息批量修改): ``changes`` are ``(student id,
    members)``, each record's members becoming ``members`` as in :func:`update_family`
    (the registration rules, :func:`rules.clean_family`, against the record's 身份证件类型
    and 港澳台侨外). All or nothing: a missing record, a deleted one or members failing
    the rules refuse the whole call (naming the record) — unless ``refused`` (a dict) is
    given: then such a record is left as it was, its messages go to
    ``refused[student id]`` and the others are applied (a missing record still refuses
    everything: the caller named it).

    Set-based: one locked read of the records, one read of their members, one delete and
    one insert of the changed records' members, one update of their ``updated_at`` and one
    insert of their 家庭成员修改 events (before → after). Returns one
    :class:`FamilyUpdate` per record whose members really changed (with ``unchanged``:
    per record applied, in the order of ``changes``)."""
    wanted: dict[int, Sequence[Mapping[str, Any]]] = {}
    for pk, members in changes:
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValidationError(f"“{pk}”不是学籍")
        wanted[pk] = members
    if not wanted:
        return []
    context = context or rules_context()
    ids = list(wanted)
    with transaction.atomic():
        try:
            rows = _locked(ids, "id_type", "hmt", "status", "school_id", "name")
        except ValidationError:
            if len(ids) > 1:
                raise
            raise ValidationError("学籍不存在") from None
        errors: list[str] = []
        planned: list[tuple[int, int, list[dict[str, Any]]]] = []  # (id, school id, members after)
        for pk, id_type, hmt, status, school_id, who in rows:
            if status == rules.DELETED_STATUS:
                problems = ["已删除的学籍不能修改"]
            else:
                cleaned, problems = rules.clean_family(wanted[pk], id_type=id_type or None, hmt=hmt or None,
                                                       context=context)
            if problems:
                if refused is not None:
                    refused[pk] = list(problems)
                else:
                    errors += [f"{who}:{m}" for m in problems] if len(ids) > 1 else list(problems)
                continue
            planned.append((pk, school_id, [
                {"seq": m["seq"], **{a: m.get(a) if m.get(a) is not None else _member_blank(a) for a in _MEMBER_ATTRS}}
                for m in cleaned]))
        if errors:
            raise ValidationError(errors)
        stored: dict[int, list[dict[str, Any]]] = {pk: [] for pk, _, _ in planned}
        for chunk in batches(list(stored), _CHUNK):
            for student_id, seq, *values in FamilyMember.objects.filter(student_id__in=chunk).order_by(
                    "student_id", "seq").values_list("student_id", "seq", *_MEMBER_ATTRS):
                stored[student_id].append({"seq": seq, **dict(zip(_MEMBER_ATTRS, values, strict=True))})
        result: list[FamilyUpdate] = []
        written: list[tuple[int, int, list, list]] = []
        for pk, school_id, after in planned:
            before = stored[pk]
            if before != after:
                written.append((pk, school_id, before, after))
            if before != after or unchanged:
                result.append(FamilyUpdate(pk, before, after))
        if not written:
            return result
        changed_ids = [pk for pk, _, _, _ in written]
        bulk.delete_rows(FamilyMember, "student", changed_ids)
        bulk.insert_rows(FamilyMember, _MEMBER_COLUMNS, [
            (pk, m["seq"], *(convert(m.get(attr)) for attr, convert in zip(_MEMBER_ATTRS, _MEMBER_CONVERT, strict=True)))
            for pk, _, _, after in written for m in after])
        stamp = Student._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
        bulk.update_rows(Student, "id", ["updated_at"], [(stamp, pk) for pk in changed_ids])
        name = _actor_name(actor)
        _history((pk, EventKind.FAMILY, business_id, school_id, name, reason, {"family": before}, {"family": after})
                 for pk, school_id, before, after in written)
    return result


def _member_blank(attr: str) -> Any:
    return None if _MEMBER_FIELDS[attr].null else ""


# --- the record's other parts (学习简历、奖励、惩罚、居住证, F-23) and its photo ---------------

PART_MODELS: dict[str, type] = {"resume": StudyResume, "award": Award, "punishment": Punishment,
                                "residence": ResidencePermit}


def _editable_record(student) -> tuple[int, int]:
    """(id, school id) of a record that may be edited, locked; refused when missing or deleted."""
    student_id = _pk(student, Student, "学籍")
    row = Student.objects.select_for_update().filter(pk=student_id).values_list("status", "school_id").order_by(
        "pk").first()
    if row is None:
        raise ValidationError("学籍不存在")
    if row[0] == rules.DELETED_STATUS:
        raise ValidationError("已删除的学籍不能修改")
    return student_id, row[1]


def add_part(student, kind: str, values: Mapping[str, Any], *, actor=None, reason: str = "") -> int:
    """Add a row to one of the record's tabs (``kind``: resume, award, punishment,
    residence) after :func:`rules.check_part`; the history gets a 简历奖惩信息修改 event.
    Returns the new row's id."""
    cleaned, errors = rules.check_part(kind, values, today=timezone.localdate())
    if errors:
        raise ValidationError(errors)
    model = PART_MODELS[kind]
    with transaction.atomic():
        student_id, school_id = _editable_record(student)
        (pk,) = bulk.allocate_ids(model, 1)
        bulk.insert_rows(model, ("id", "student_id", *cleaned), [
            (pk, student_id, *(bulk.date_text(v) if isinstance(v, dt.date) else v for v in cleaned.values()))])
        Student.objects.filter(pk=student_id).update(updated_at=timezone.now())
        _history([(student_id, EventKind.PARTS, None, school_id, _actor_name(actor), reason, {},
                   {"part": rules.PARTS[kind][0], **{a: _stored(v) for a, v in cleaned.items()}})])
    return pk


def remove_part(student, kind: str, part_id, *, actor=None, reason: str = "") -> None:
    """Remove a row of the record's tab ``kind`` (only a row of this record)."""
    if kind not in PART_MODELS:
        raise ValidationError(f"“{kind}”不是学籍信息的页签")
    model = PART_MODELS[kind]
    part_pk = _pk(part_id, model, rules.PARTS[kind][0])
    with transaction.atomic():
        student_id, school_id = _editable_record(student)
        fields_ = [pf.attr for pf in rules.PARTS[kind][1]]
        row = model.objects.filter(pk=part_pk, student_id=student_id).values(*fields_).first()
        if row is None:
            raise ValidationError(f"{rules.PARTS[kind][0]}不存在")
        model.objects.filter(pk=part_pk, student_id=student_id).delete()
        Student.objects.filter(pk=student_id).update(updated_at=timezone.now())
        _history([(student_id, EventKind.PARTS, None, school_id, _actor_name(actor), reason,
                   {"part": rules.PARTS[kind][0], **{a: _stored(v) for a, v in row.items()}}, {})])


def set_photo(student, data: bytes, extension: str, *, actor=None) -> str:
    """照片: store ``data`` (already checked by its content — JPEG or PNG, at most 2 MB —
    by the caller, ``extension`` ".jpg"/".png") as the record's photo under a name the
    system gives (the uploaded name is never used), replacing the old one. Returns the
    stored name. A 照片修改 event in the history."""
    from django.core.files.base import ContentFile

    if extension not in (".jpg", ".png"):
        raise ValidationError("照片只能是JPG或PNG图片")
    with transaction.atomic():
        student_id, school_id = _editable_record(student)
        record = Student.objects.get(pk=student_id)
        old = record.photo.name if record.photo else ""
        import secrets

        field_file = record.photo
        name = field_file.field.generate_filename(record, f"{student_id}-{secrets.token_hex(8)}{extension}")
        stored = field_file.storage.save(name, ContentFile(data))
        Student.objects.filter(pk=student_id).update(photo=stored, updated_at=timezone.now())
        _history([(student_id, EventKind.PHOTO, None, school_id, _actor_name(actor), "", {"photo": bool(old)},
                   {"photo": True})])
    if old:
        transaction.on_commit(lambda: field_file.storage.delete(old))
    return stored
