"""Writes of 毕业 (F-60), 往届生毕业, 毕业生信息维护 and 毕业生退回 (F-61). Each function owns
its transaction and writes its audit entry inside it; the 学籍状态 is written by
``students.services`` only (``graduate_records``, ``change_status``).

毕业 is a batch business of the engine (``workflow.batches``, kind ``graduation``)::

    start_graduation (the school's registrar picks grades / classes / students of a final grade,
        毕业·结业·肄业 and a date; refused: not a final grade, a status not allowing it (F-27),
        open businesses, unresolved 问题学籍 where the province requires it, already submitted)
      → one BatchOperation + its members → [the configured chain of 小学毕业 … : 学校 → 主管教育局]
      → execute_graduation: set-based chunks (≤ INLINE_LIMIT in the request, else a job)
        → students.graduate_records + Graduate rows, each chunk its own transaction and audit entry
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.audit.services import record_event
from xueji.codes import tables as code_tables
from xueji.common import bulk
from xueji.common.batching import batches as batches_of
from xueji.common.masking import mask_national_number
from xueji.org import selectors as org_selectors
from xueji.org.models import Authority, Grade, School, SchoolClass
from xueji.problems.models import ProblemGroup, ProblemMember
from xueji.students import services as students
from xueji.students.models import Student
from xueji.workflow import batches, registry
from xueji.workflow import services as workflow
from xueji.workflow.models import (
    BatchMember,
    BatchOperation,
    BatchStatus,
    Business,
    BusinessStatus,
    MemberOutcome,
)

from . import rules
from .models import Graduate, GraduationSettings

GRADUATION = "graduation"
GRADUATION_JOB = "graduation.apply"
#: A graduation of at most this many students is executed in the request; a larger one as a job.
INLINE_LIMIT = 500
OPEN_BATCH = (BatchStatus.REVIEWING, BatchStatus.APPROVED, BatchStatus.APPLYING)
REASON_MAX = 200
NAMES_SHOWN = 5


def _name(user) -> str:
    return (getattr(user, "real_name", "") or user.get_username())[:50]


def school_year(school: School, today: dt.date | None = None) -> int:
    """The school year in force at ``school``: its province's term, else by 1 September."""
    from xueji.org import rules as org_rules

    today = today or timezone.localdate()
    term = org_selectors.current_term(school.supervisor, today)
    return term.school_year if term else org_rules.school_year_of(today)


def school_years(school: School) -> dict[str, int | None]:
    return {"1": school.primary_years, "2": school.junior_years, "3": school.senior_years}


def grade_is_final(grade: Grade, school: School, *, past: bool = False, year: int | None = None) -> bool:
    year = school_year(school) if year is None else year
    check = rules.is_past_final_grade if past else rules.is_final_grade
    return check(grade.stage, grade.entry_year, year, school_years(school))


def province_of(school: School) -> Authority | None:
    return next((a for a in school.supervisor.ancestors() if a.level == 1), None)


def problems_required(school: School) -> bool:
    """Does the school's province require 问题学籍 to be resolved before graduation?"""
    province = province_of(school)
    if province is None:
        return False
    return GraduationSettings.objects.filter(authority=province, require_problems_resolved=True).exists()


def _names(ids: Iterable[int]) -> str:
    ids = list(ids)
    names = list(Student.objects.filter(pk__in=ids[:NAMES_SHOWN]).order_by("pk").values_list("name", flat=True))
    more = f"等{len(ids)}人" if len(ids) > NAMES_SHOWN else ""
    return "、".join(names) + more


def _statuses(kind: str, stage: str, past: bool) -> list[str]:
    """Which 学籍状态 a grade or class selection takes: 在校 (and for 往届生毕业 also those
    结业 / 肄业 earlier, when F-27 lets them graduate now)."""
    from xueji.students import rules as student_rules

    candidates = [rules.IN_SCHOOL] + ([rules.COMPLETED, rules.INCOMPLETE] if past else [])
    code = rules.business_kind(kind, stage)
    return [s for s in candidates if student_rules.business_allowed(s, code) is None and s != kind]


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _selection(school: School, criteria: dict) -> tuple[list[Grade], Student.objects.__class__]:
    """The grades involved and the students chosen (a queryset) of a graduation's criteria."""
    by = criteria.get("by")
    base = Student.objects.filter(school=school).order_by()  # no join for Meta.ordering: only ids are read
    if by == "grade":
        grades = list(Grade.objects.filter(school=school, pk__in=criteria.get("grades") or []))
        if len(grades) != len(set(criteria.get("grades") or [])):
            raise ValidationError("所选年级不属于本校")
        return grades, base.filter(grade__in=grades)
    if by == "class":
        wanted = set(criteria.get("classes") or [])
        classes = list(SchoolClass.objects.filter(school=school, pk__in=wanted).select_related("grade"))
        if len(classes) != len(wanted):
            raise ValidationError("所选班级不属于本校")
        grades = list({c.grade_id: c.grade for c in classes}.values())
        return grades, base.filter(klass__in=classes)
    if by == "students":
        wanted = set(criteria.get("students") or [])
        chosen = base.filter(pk__in=wanted)
        if chosen.count() != len(wanted):
            raise ValidationError("所选学生不属于本校")
        grades = list(Grade.objects.filter(pk__in=chosen.values("grade_id")))
        return grades, chosen
    raise ValidationError("请选择按年级、按班级或按学生办理")


def graduation_refusals(school: School, criteria: dict) -> tuple[list[str], list[int], bool, str]:
    """Why the graduation ``criteria`` of ``school`` is refused (Chinese messages), the
    students it would cover, whether a refusal is about open businesses (the page
    links to 在办业务清理), and the 教育阶段 of the students ('' when refused before it is known)."""
    kind, past = criteria.get("kind"), bool(criteria.get("past"))
    errors: list[str] = []
    if kind not in rules.KIND_NAMES:
        return ["请选择毕业、结业或肄业"], [], False, ""
    day = _parse_date(criteria.get("date"))
    if day is None:
        errors.append("毕业日期不是有效日期")
    elif day > timezone.localdate():
        errors.append("毕业日期不能晚于今天")
    grades, chosen = _selection(school, criteria)
    if not grades:
        return errors + ["没有符合条件的学生"], [], False, ""
    stages = {g.stage for g in grades}
    if len(stages) > 1:
        return errors + ["一次只能办理一个教育阶段的毕业"], [], False, ""
    stage = stages.pop()
    if school.years_of(stage) is None:
        return errors + [f"本校没有{rules.org_rules.STAGE_NAMES[stage]}学段"], [], False, ""
    year = school_year(school)
    for grade in sorted(grades, key=lambda g: g.entry_year):
        if not grade_is_final(grade, school, past=past, year=year):
            from xueji.org import rules as org_rules

            now = org_rules.current_year_label(grade.stage, grade.entry_year, year, school_years(school))
            if past:
                errors.append(f"{grade.name}(当前{now})不是已毕业的往届年级,请在“毕业”中办理")
            else:
                errors.append(f"{grade.name}(当前{now})不是毕业年级,不能办理{rules.KIND_NAMES[kind]}")
    if errors:
        return errors, [], False, ""
    code, code_name = rules.business_kind(kind, stage), rules.business_name(kind, stage)
    if criteria.get("by") == "students":
        from xueji.students import selectors as student_selectors

        ids = sorted(chosen.values_list("pk", flat=True))
        errors += student_selectors.business_refusals(code, code_name, ids)
        if errors:
            return errors, [], False, ""
    else:
        ids = sorted(chosen.filter(status__in=_statuses(kind, stage, past)).values_list("pk", flat=True))
    if not ids:
        return ["没有符合条件的学生"], [], False, ""
    open_link = False
    busy = _busy(ids)
    if busy:
        errors.append(f"{_names(busy)}{rules.OPEN_BUSINESS_MESSAGE}")
        open_link = True
    open_graduations = _open_batches(graduation=True, school=school)
    submitted = sorted(_in_batches(ids, open_graduations, pending=False)) if open_graduations else []
    if submitted:
        errors.append(f"{_names(submitted)}已提交毕业(结业、肄业)业务,不能重复提交")
    if problems_required(school):
        groups = ProblemGroup._meta.db_table
        problems = sorted(_students_among(ProblemMember, ids, f"group_id IN (SELECT id FROM {groups} WHERE resolved = %s)",
                                          [False]))
        if problems:
            errors.append(f"{_names(problems)}有未处理完毕的问题学籍,本省要求处理完毕后才能办理毕业")
    return errors, ids, open_link, stage


def _open_batches(*, graduation: bool, school: School | None = None) -> list[int]:
    """The open batch businesses: of kind 毕业 (of ``school``: a pupil is only ever in its own
    school's graduation — hundreds are open across a province in July) or of the other kinds."""
    queryset = BatchOperation.objects.filter(status__in=OPEN_BATCH)
    queryset = queryset.filter(kind=GRADUATION) if graduation else queryset.exclude(kind=GRADUATION)
    if school is not None:
        queryset = queryset.filter(school=school)
    return list(queryset.values_list("pk", flat=True))


def _students_among(model, ids: list[int], where: str = "", params: Iterable = ()) -> set[int]:
    """The ``student_id`` of ``model``'s rows (matching ``where``) among ``ids``: raw SQL in
    chunks, the ids as parameters (the ORM's ``student_id__in`` of thousands of ids costs
    more in Python than the query, bench/graduation.py)."""
    found: set[int] = set()
    table = model._meta.db_table
    extra = f" AND {where}" if where else ""
    with connection.cursor() as cursor:
        for chunk in batches_of(ids, 5000):
            among, among_params = bulk.ids_in("student_id", chunk)
            cursor.execute(f"SELECT DISTINCT student_id FROM {table} WHERE {among}{extra}", [*among_params, *params])
            found.update(row[0] for row in cursor.fetchall())
    return found


def _in_batches(ids: list[int], batch_ids: list[int], *, pending: bool) -> set[int]:
    among, params = bulk.ids_in("batch_id", batch_ids)
    where = among + (" AND outcome = %s" if pending else "")
    return _students_among(BatchMember, ids, where, [*params, *([MemberOutcome.PENDING] if pending else [])])


def _busy(ids: list[int]) -> list[int]:
    """Of ``ids``, the students with an open business or in another open batch business."""
    busy = _students_among(Business, ids, "status = %s", [BusinessStatus.OPEN])
    others = _open_batches(graduation=False)
    if others:
        busy |= _in_batches(ids, others, pending=True)
    return sorted(busy)


class GraduationRefused(ValidationError):
    """A refused graduation; ``open_businesses``: one reason is open businesses."""

    def __init__(self, messages, open_businesses: bool = False):
        super().__init__(messages)
        self.open_businesses = open_businesses


def start_graduation(user, *, kind: str, date, by: str, grades: Iterable[int] = (), classes: Iterable[int] = (),
                     student_ids: Iterable[int] = (), past: bool = False, request=None) -> BatchOperation:
    """毕业 / 结业 / 肄业 (or 往届生毕业 with ``past``): the school's registrar submits one batch
    business for the students of the chosen final grades / classes / students; it waits
    for the chain configured for the stage's 毕业 business type (学校 → 主管教育局 by
    default)."""
    if getattr(user, "role", None) != Role.SCHOOL_REGISTRAR or user.school_id is None:
        raise PermissionDenied("只有学校学籍管理员可以办理毕业")
    day = _parse_date(date)
    criteria = {"kind": kind, "date": day.isoformat() if day else str(date or "")[:10], "by": by, "past": bool(past),
                "grades": sorted({int(i) for i in grades}), "classes": sorted({int(i) for i in classes}),
                "students": sorted({int(i) for i in student_ids})}
    with transaction.atomic():
        school = School.objects.select_for_update().select_related("supervisor").get(pk=user.school_id)
        errors, ids, open_link, stage = graduation_refusals(school, criteria)
        if errors:
            raise GraduationRefused(errors, open_link)
        criteria["stage"] = stage
        criteria["students"] = ids  # what the batch covers, read once
        criteria["by_selection"], criteria["by"] = by, "students"
        levels = workflow.levels_for(school, rules.business_kind(kind, stage), stage)
        what = ("往届生" if past else "") + rules.business_name(kind, stage)
        batch = batches.create_batch(kind=GRADUATION, initiator=user, school=school, criteria=criteria,
                                     summary=f"{school.name}{what}(毕业日期{criteria['date']})",
                                     request=request, review_levels=levels)
    return batch


# --- the batch kind ---------------------------------------------------------------------------
def graduation_select(school, criteria: dict) -> list[int]:
    return list(criteria.get("students") or [])


def graduation_apply(batch: BatchOperation, student_ids: list[int], user) -> dict[int, str]:
    """One chunk of an approved graduation, set-based: those with an open business (or
    whose status no longer allows it) fail with the reason; the others change status and
    get their Graduate row."""
    c = batch.criteria
    kind, stage, day = c["kind"], c["stage"], dt.date.fromisoformat(c["date"])
    failures: dict[int, str] = {pk: "该学生有在办业务" for pk in _busy(student_ids)}
    todo = [pk for pk in student_ids if pk not in failures]
    changed, refused = students.graduate_records(
        todo, kind, kind=rules.business_kind(kind, stage), kind_name=rules.business_name(kind, stage), date=day,
        reason=batch.summary, actor=user, school_id=batch.school_id, business_id=None)
    failures.update(refused)
    grade_names = {g.pk: g.name for g in Grade.objects.filter(pk__in={grade for _, _, grade in changed})}
    now = timezone.now()
    bulk.insert_rows(Graduate, ("student_id", "batch_id", "school_id", "stage", "grade_name", "kind", "graduated_on",
                                "past", "destination", "destination_note", "returned", "returned_by_name",
                                "returned_unit", "return_reason", "created_at"),
                     [(pk, batch.pk, batch.school_id, stage, grade_names.get(grade, ""), kind, day.isoformat(),
                       bool(c.get("past")), "", "", False, "", "", "", now)
                      for pk, _, grade in changed])
    return failures


def graduation_describe(criteria: dict) -> list[tuple[str, str]]:
    by = {"grade": "按年级", "class": "按班级", "students": "按学生"}.get(criteria.get("by_selection"), "")
    rows = [("毕业类型", rules.KIND_NAMES.get(criteria.get("kind"), "")), ("毕业日期", criteria.get("date", "")),
            ("选择方式", by), ("往届生毕业", "是" if criteria.get("past") else "否")]
    if criteria.get("grades"):
        rows.append(("年级", "、".join(g.name for g in Grade.objects.filter(pk__in=criteria["grades"]))))
    if criteria.get("classes"):
        rows.append(("班级", "、".join(c.label for c in SchoolClass.objects.filter(pk__in=criteria["classes"])
                                        .select_related("grade", "school"))))
    return rows


def execute_graduation(user, batch: BatchOperation, request=None):
    """执行 an approved graduation (also 继续执行 after an interruption), by the school's
    registrar: inline when small, else a background job. Returns the job or None."""
    if getattr(user, "role", None) != Role.SCHOOL_REGISTRAR or user.school_id != batch.school_id:
        raise PermissionDenied("只有本校学籍管理员可以执行毕业")
    if batch.kind != GRADUATION:
        raise ValidationError("不是毕业业务")
    if batch.status not in (BatchStatus.APPROVED, BatchStatus.APPLYING):
        raise ValidationError("该毕业业务未审核通过或已执行完毕")
    if batch.pending <= INLINE_LIMIT:
        batches.apply_batch(batch, user, request=request)
        return None
    from xueji.jobs.services import start_job

    return start_job(GRADUATION_JOB, user=user, school=batch.school, request=request, params={"batch": batch.pk},
                     title=f"执行毕业:{batch.summary}"[:200])


def run_graduation_job(job, progress):
    batch = BatchOperation.objects.get(pk=job.params["batch"], kind=GRADUATION)
    progress.set_total(batch.total)

    def report(done, total):
        progress.set_total(total)
        progress.set_done(done)

    batch = batches.apply_batch(batch, job.owner, progress=report)
    progress.done = batch.succeeded + batch.failed
    progress.finish({"summary": [f"毕业执行完毕:成功{batch.succeeded}人,失败{batch.failed}人"]})
    return {"succeeded": batch.succeeded, "failed": batch.failed}


def graduation_job_failed(job, reason):
    return "已执行的学生保留,可在毕业页面继续执行"


def graduation_job_url(job) -> str:
    from django.urls import reverse

    return reverse("graduation:graduation")


# --- 毕业生信息维护 ------------------------------------------------------------------------------
def set_destination(user, graduate: Graduate, destination: str, note: str = "", request=None) -> Graduate:
    """毕业去向 of one graduate (the graduating school's registrar), audited."""
    if getattr(user, "role", None) != Role.SCHOOL_REGISTRAR or user.school_id != graduate.school_id:
        raise PermissionDenied("只有毕业学校的学籍管理员可以维护毕业生信息")
    destination = (destination or "").strip()
    note = (note or "").strip()
    if not code_tables.is_valid("graduation_destination", destination):
        raise ValidationError(f"毕业去向“{destination}”不是有效的代码")
    if len(note) > 100:
        raise ValidationError("毕业去向说明不能超过100个字")
    with transaction.atomic():
        graduate = Graduate.objects.select_for_update().get(pk=graduate.pk)
        if graduate.returned:
            raise ValidationError("该毕业生已退回,不能维护毕业信息")
        before = {"destination": graduate.destination, "destination_note": graduate.destination_note}
        graduate.destination, graduate.destination_note = destination, note
        graduate.save(update_fields=["destination", "destination_note"])
        record_event(action="graduation.destination_set",
                     summary=f"维护毕业去向:{graduate.student.name}"
                             f"({mask_national_number(graduate.student.national_number)})"
                             f"→{code_tables.label('graduation_destination', destination)}",
                     actor=user, request=request, target=graduate.student, school=graduate.school,
                     before=before, after={"destination": destination, "destination_note": note})
    return graduate


def set_destinations(user, items: list[tuple[int, str, str]], *, filename: str = "", request=None) -> int:
    """毕业去向 of many graduates of the user's school at once (the Excel import), set-based:
    ``items`` are (graduate id, destination code, note); one transaction, one UPDATE per
    batch, one audit entry with each graduate's before → after. Returns how many changed."""
    if getattr(user, "role", None) != Role.SCHOOL_REGISTRAR or user.school_id is None:
        raise PermissionDenied("只有毕业学校的学籍管理员可以维护毕业生信息")
    wanted: dict[int, tuple[str, str]] = {}
    for pk, destination, note in items:
        destination, note = (destination or "").strip(), (note or "").strip()
        if not code_tables.is_valid("graduation_destination", destination):
            raise ValidationError(f"毕业去向“{destination}”不是有效的代码")
        if len(note) > 100:
            raise ValidationError("毕业去向说明不能超过100个字")
        wanted[int(pk)] = (destination, note)
    with transaction.atomic():
        graduates = list(Graduate.objects.select_for_update().select_related("student").filter(
            pk__in=list(wanted), school_id=user.school_id, returned=False))
        if len(graduates) != len(wanted):
            raise ValidationError("所选毕业生不是本校的毕业生或已退回")
        changed, before, after = [], {}, {}
        for graduate in graduates:
            destination, note = wanted[graduate.pk]
            if (graduate.destination, graduate.destination_note) == (destination, note):
                continue
            who = f"{graduate.student.name}({mask_national_number(graduate.student.national_number)})"
            before[who] = {"destination": graduate.destination, "destination_note": graduate.destination_note}
            after[who] = {"destination": destination, "destination_note": note}
            graduate.destination, graduate.destination_note = destination, note
            changed.append(graduate)
        Graduate.objects.bulk_update(changed, ["destination", "destination_note"], batch_size=1000)
        if changed:
            record_event(action="graduation.destinations_imported",
                         summary=f"导入毕业去向:{filename},修改{len(changed)}人"[:500], actor=user, request=request,
                         school=user.school, before=before, after=after)
    return len(changed)


# --- 毕业设置 (province) --------------------------------------------------------------------------
def save_settings(user, require_problems_resolved: bool, request=None) -> GraduationSettings:
    """毕业设置 of the user's province: whether unresolved 问题学籍 refuse a graduation; audited."""
    if (getattr(user, "role", None) != Role.AUTHORITY_REGISTRAR or user.authority is None
            or user.authority.level != 1):
        raise PermissionDenied("只有省级教育行政部门学籍管理员可以设置毕业设置")
    with transaction.atomic():
        row, _ = GraduationSettings.objects.select_for_update().get_or_create(authority=user.authority)
        before = row.require_problems_resolved
        if before != bool(require_problems_resolved):
            row.require_problems_resolved = bool(require_problems_resolved)
            row.save(update_fields=["require_problems_resolved", "updated_at"])
            record_event(action="graduation.settings_saved",
                         summary=f"毕业设置:{user.authority.name}毕业前"
                                 f"{'须' if row.require_problems_resolved else '无须'}处理完问题学籍",
                         actor=user, request=request, authority_prefix=user.authority.prefix,
                         before={"require_problems_resolved": before},
                         after={"require_problems_resolved": row.require_problems_resolved})
    return row


# --- 毕业生退回 (F-61) --------------------------------------------------------------------------
def return_refusal(user, graduate: Graduate, today: dt.date | None = None) -> str | None:
    if getattr(user, "role", None) != Role.AUTHORITY_REGISTRAR or user.authority_id is None:
        return "只有教育行政部门学籍管理员可以退回毕业生"
    school = graduate.school
    authority = user.authority
    return rules.return_refusal(
        is_supervisor=authority.pk == school.supervisor_id,
        is_province=authority.level == 1 and school.supervisor.prefix.startswith(authority.prefix),
        graduated_on=graduate.graduated_on, today=today or timezone.localdate())


#: Checks a higher app adds (in its ``ready``): ``check(graduate) -> reason or None`` — e.g.
#: 招生入学 refuses the return of a graduate being admitted (xueji/admission/services.py).
RETURN_BLOCKERS: list = []


def return_blocked(graduate: Graduate) -> str | None:
    for check in RETURN_BLOCKERS:
        reason = check(graduate)
        if reason:
            return reason
    return None


def return_graduate(user, graduate: Graduate, reason: str, request=None) -> Graduate:
    """毕业生退回: the student returns to 在校 (for corrections or a suspension); the
    graduation row is closed with the reason. Within half a year the school's
    supervising authority, after that only the province."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写退回原因")
    if len(reason) > REASON_MAX:
        raise ValidationError(f"退回原因不能超过{REASON_MAX}个字")
    with transaction.atomic():
        graduate = Graduate.objects.select_for_update().select_related("school__supervisor", "student").get(
            pk=graduate.pk)
        if graduate.returned:
            raise ValidationError("该毕业生已退回")
        refusal = return_refusal(user, graduate)
        if refusal:
            raise PermissionDenied(refusal)
        blocked = return_blocked(graduate)
        if blocked:
            raise ValidationError(blocked)
        from xueji.students import rules as student_rules

        status = Student.objects.filter(pk=graduate.student_id).values_list("status", flat=True).get()
        allowed = student_rules.business_allowed(status, "graduate_return", kind_name="毕业生退回")
        if allowed:
            raise ValidationError(allowed)
        students.change_status([graduate.student_id], rules.IN_SCHOOL, reason=f"毕业生退回:{reason}"[:200],
                               date=timezone.localdate(), actor=user)
        graduate.returned, graduate.returned_at = True, timezone.now()
        graduate.returned_by, graduate.returned_by_name = user, _name(user)
        graduate.returned_unit, graduate.return_reason = user.authority.name[:100], reason
        graduate.save()
        record_event(action="graduation.returned",
                     summary=f"毕业生退回:{graduate.student.name}"
                             f"({mask_national_number(graduate.student.national_number)}),{reason}"[:500],
                     actor=user, request=request, target=graduate.student, school=graduate.school,
                     before={"status": status}, after={"status": rules.IN_SCHOOL, "reason": reason})
    return graduate


def register() -> None:
    """Plug the graduation batch kind and its job into the engine (GraduationConfig.ready)."""
    from xueji.jobs import registry as jobs_registry

    registry.register_batch_kind(GRADUATION, "毕业", select=graduation_select, apply=graduation_apply,
                                 describe=graduation_describe,
                                 review_levels=(registry.SCHOOL, registry.SUPERVISOR), chunk_size=5000)
    jobs_registry.register(GRADUATION_JOB, name="执行毕业", run=run_graduation_job, on_failure=graduation_job_failed,
                           result_url=graduation_job_url)
    from . import sheets

    sheets.register()
