"""Writes of 招生计划数 (F-63). Each function owns its transaction and writes its audit
entry inside it.

- ``set_plan``: a county / city / province registrar sets one school's plan;
- ``apply_sheet`` (job ``enrolplans.import``): the Excel of plans (``template_workbook``
  gives it pre-filled), every row checked, the passing ones written set-based in one
  transaction with one audit entry;
- ``request_change``: the school asks for another plan (招生计划数变更) → one business of
  the engine (type ``enrol_plan_change``, chain: the school's supervising authority) →
  ``complete_change`` (the approval) writes the new plan, the request's state and the
  audit entry in the decision's transaction; ``end_change``: rejected or withdrawn.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from xueji.audit.services import record_event
from xueji.common.spreadsheets import cell_text
from xueji.common.xlsx_writer import XlsxStream
from xueji.org import selectors as org_selectors
from xueji.org.models import School
from xueji.org.roles import Role
from xueji.workflow import payloads, registry
from xueji.workflow import services as workflow
from xueji.workflow.models import BusinessStatus

from . import rules, selectors
from .models import ChangeState, EnrolmentPlan, PlanChange

KIND = "enrol_plan_change"
IMPORT_JOB = "enrolplans.import"
SHEET = "招生计划数"
HEADERS = ("学校标识码", "学校名称", "招生年度", "教育阶段", "招生计划数")
CODE, NAME, YEAR, STAGE, PLANNED = HEADERS
#: Failing rows kept in the job's result (the page lists them).
SHOWN_FAILURES = 1000

PAYLOAD = payloads.Schema("招生计划数变更", (
    payloads.Field("year", "招生年度", "number"),
    payloads.Field("stage", "教育阶段", "choice", options=tuple((c, n) for c, n in rules.STAGE_NAMES.items())),
    payloads.Field("current", "原计划数", required=False),
    payloads.Field("requested", "申请计划数", "number"),
    payloads.Field("reason", "变更原因"),
))

ACTION_LABELS = {
    "enrolplans.plan_set": "设置招生计划数",
    "enrolplans.imported": "导入招生计划数",
    "enrolplans.change_requested": "申请招生计划数变更",
    "enrolplans.change_approved": "招生计划数变更通过",
    "enrolplans.change_ended": "招生计划数变更结束",
}


def _name(user) -> str:
    return (getattr(user, "real_name", "") or user.get_username())[:50]


def _unit(user) -> str:
    unit = user.authority if user.authority_id else getattr(user, "school", None)
    return (unit.name if unit else "")[:100]


def _who(school: School, year: int, stage: str) -> str:
    return f"{school.name}({school.code}){year}年{rules.STAGE_NAMES.get(stage, '')}"


def _require_setter(user) -> None:
    if not selectors.may_set(user):
        raise PermissionDenied("只有区县、地市、省级教育行政部门学籍管理员可以设置招生计划数")


def _write(user, items: list[tuple[School, int, str, int]]) -> tuple[dict, dict]:
    """Upsert the plans ``(school, year, stage, planned)`` (in the caller's transaction),
    set-based: one read of the existing rows, one insert, one update. Returns
    ({who: before}, {who: after}) of the rows that changed."""
    now = timezone.now()
    keys = {(s.pk, y, st) for s, y, st, _ in items}
    existing = {(p.school_id, p.year, p.stage): p for p in EnrolmentPlan.objects.select_for_update().filter(
        school_id__in={k[0] for k in keys}, year__in={k[1] for k in keys}, stage__in={k[2] for k in keys})}
    new, changed, before, after = [], [], {}, {}
    for school, year, stage, planned in items:
        plan = existing.get((school.pk, year, stage))
        if plan is not None and plan.planned == planned:
            continue
        who = _who(school, year, stage)
        before[who], after[who] = (plan.planned if plan else None), planned
        if plan is None:
            new.append(EnrolmentPlan(school=school, year=year, stage=stage, planned=planned, updated_by=user,
                                     updated_by_name=_name(user), updated_unit=_unit(user), updated_at=now))
        else:
            plan.planned, plan.updated_by, plan.updated_at = planned, user, now
            plan.updated_by_name, plan.updated_unit = _name(user), _unit(user)
            changed.append(plan)
    EnrolmentPlan.objects.bulk_create(new, batch_size=1000)
    EnrolmentPlan.objects.bulk_update(changed, ["planned", "updated_by", "updated_by_name", "updated_unit",
                                                "updated_at"], batch_size=1000)
    return before, after


def check_plan(school: School, year_value, stage_value, planned_value, today=None) -> tuple[tuple | None, list[str]]:
    """(year, stage, planned) of one plan for ``school`` or the reasons it is refused."""
    today = today or timezone.localdate()
    errors = []
    year = rules.parse_year(year_value)
    refusal = rules.year_refusal(year, today)
    if refusal:
        errors.append(refusal)
    stage = rules.parse_stage(stage_value)
    refusal = rules.stage_refusal(stage, selectors.school_years(school), school.name)
    if refusal:
        errors.append(refusal)
    planned, refusal = rules.parse_planned(planned_value)
    if refusal:
        errors.append(refusal)
    return (None if errors else (year, stage, planned)), errors


def set_plan(user, school: School, year, stage, planned, request=None) -> EnrolmentPlan:
    """招生计划数 of one school (in the user's scope), year and stage; audited."""
    _require_setter(user)
    if not org_selectors.schools_for(user).filter(pk=school.pk).exists():
        raise PermissionDenied("该学校不在您的数据范围内")
    values, errors = check_plan(school, year, stage, planned)
    if errors:
        raise ValidationError(errors)
    year, stage, planned = values
    with transaction.atomic():
        before, after = _write(user, [(school, year, stage, planned)])
        if after:
            record_event(action="enrolplans.plan_set",
                         summary=f"设置招生计划数:{_who(school, year, stage)} {next(iter(before.values()))}→{planned}",
                         actor=user, request=request, school=school, before=before, after=after)
    return EnrolmentPlan.objects.get(school=school, year=year, stage=stage)


# --- Excel ------------------------------------------------------------------------------------
def template_workbook(user, year: int, stages: Iterable[str]) -> bytes:
    """The sheet of plans to fill: one row per school in scope and stage it offers, with
    its plan for ``year`` (empty: 未设置). Streamed, every cell through ``safe_row``."""
    _require_setter(user)
    out = io.BytesIO()
    with XlsxStream(out, SHEET) as book:
        book.append(HEADERS)
        for stage in stages:
            rows = selectors.with_plan(selectors.schools_with_stage(user, stage), year, stage).order_by("code")
            for code, name, planned in rows.values_list("code", "name", "planned"):
                book.append([code, name, str(year), rules.stage_label(stage), "" if planned is None else planned])
    return out.getvalue()


def submit_import(user, uploaded_file, request=None):
    """导入 of a filled sheet: a job (the form checked the file's type, size and bounds)."""
    _require_setter(user)
    from xueji.jobs.services import start_job

    return start_job(IMPORT_JOB, user=user, authority=user.authority, input_file=uploaded_file, request=request,
                     title=f"招生计划数导入:{uploaded_file.name}"[:200], params={"filename": uploaded_file.name[:200]})


def apply_sheet(user, source, *, filename: str = "", progress=None, finish=None, today=None) -> dict:
    """The sheet ``source`` applied: each row checked (school in scope, the stage it
    offers, year, a whole number 0…PLAN_MAX, no repeated school/year/stage); a row
    without 招生计划数 is left as it is; every passing row written in one transaction with
    one audit entry. Returns the result (counts, failing rows with their reasons)."""
    from xueji.students.excel import read_rows

    _require_setter(user)
    rows = list(read_rows(source, headers=HEADERS, min_header_matches=3))
    if progress is not None:
        progress.set_total(len(rows))
    codes = {cell_text(row.get(CODE)) for _, row in rows}
    in_scope = {s.code: s for s in org_selectors.schools_for(user).filter(code__in=codes)}
    failures: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    seen: dict[tuple, int] = {}
    items: list[tuple[School, int, str, int]] = []
    blank = 0
    for number, row in rows:
        code = cell_text(row.get(CODE))
        names[number] = cell_text(row.get(NAME))[:50]
        if not code:
            failures[number] = ["学校标识码不能为空"]
            continue
        school = in_scope.get(code)
        if school is None:
            failures[number] = [f"学校标识码“{code[:20]}”不存在或不在您的数据范围内"]
            continue
        names[number] = school.name
        if not cell_text(row.get(PLANNED)):
            blank += 1
            continue
        values, errors = check_plan(school, row.get(YEAR), row.get(STAGE), row.get(PLANNED), today)
        if errors:
            failures[number] = errors
            continue
        key = (school.pk, values[0], values[1])
        if key in seen:
            failures[number] = [f"与第{seen[key]}行是同一学校、年度和教育阶段"]
            continue
        seen[key] = number
        items.append((school, *values))
    with transaction.atomic():
        before, after = _write(user, items) if items else ({}, {})
        result = {
            "filename": filename, "rows": len(rows), "changed": len(after), "unchanged": len(items) - len(after),
            "blank": blank, "failed_count": len(failures),
            "failures": [{"row": r, "name": names.get(r, ""), "messages": failures[r]}
                         for r in sorted(failures)[:SHOWN_FAILURES]],
            "summary": [f"共{len(rows)}行:设置{len(after)}项,未改动{len(items) - len(after)}项,"
                        f"未填写计划数{blank}行,未通过{len(failures)}行"],
        }
        record_event(action="enrolplans.imported",
                     summary=f"导入招生计划数:{filename},设置{len(after)}项,未通过{len(failures)}行"[:500],
                     actor=user, authority_prefix=user.authority.prefix, before=before, after=after)
        if progress is not None:
            progress.set_done(len(rows))
        if finish is not None:
            finish(result)
    return result


def run_import(job, progress):
    from xueji.students.excel import job_sheet

    with job_sheet(job) as handle:
        apply_sheet(job.owner, handle, filename=job.params.get("filename", ""), progress=progress,
                    finish=progress.finish)


def import_result_url(job) -> str:
    return reverse("enrolplans:plans") + f"?job={job.pk}"


# --- 招生计划数变更 ------------------------------------------------------------------------------
def request_change(user, *, year, stage, requested, reason: str, request=None) -> PlanChange:
    """招生计划数变更: the school's registrar asks for ``requested`` (with a reason) for its
    own year and stage; one business to the school's supervising authority. Refused: a
    stage the school does not have, a year out of range, not a whole number 0…PLAN_MAX,
    the same figure, an open request for the same year and stage (also under races: the
    database's partial unique constraint)."""
    if getattr(user, "role", None) != Role.SCHOOL_REGISTRAR or user.school_id is None:
        raise PermissionDenied("只有学校学籍管理员可以申请招生计划数变更")
    school = user.school
    reason = (reason or "").strip()
    values, errors = check_plan(school, year, stage, requested)
    refusal = rules.reason_refusal(reason)
    if refusal:
        errors.append(refusal)
    if errors:
        raise ValidationError(errors)
    year, stage, requested = values
    current = selectors.plan_for(school, year, stage)
    if current == requested:
        raise ValidationError(f"申请计划数与当前计划数({current})相同")
    what = _who(school, year, stage)
    with transaction.atomic():
        try:
            with transaction.atomic():
                change = PlanChange.objects.create(
                    school=school, year=year, stage=stage, current=current, requested=requested, reason=reason,
                    requested_by=user, requested_by_name=_name(user))
        except IntegrityError:
            raise ValidationError(f"{what}已有审核中的招生计划数变更申请,不能重复提交") from None
        business = workflow.initiate(
            kind=KIND, school=school, applicant=user, stage=stage, request=request,
            summary=f"招生计划数变更:{what} {'未设置' if current is None else current}→{requested}",
            payload={"year": year, "stage": stage, "current": "未设置" if current is None else str(current),
                     "requested": requested, "reason": reason})
        change.business = business
        change.save(update_fields=["business"])
        record_event(action="enrolplans.change_requested",
                     summary=f"申请招生计划数变更:{what} {'未设置' if current is None else current}→{requested},{reason}"[:500],
                     actor=user, request=request, school=school, target=change,
                     after={"year": year, "stage": stage, "current": current, "requested": requested,
                            "reason": reason, "business": business.pk})
    return change


def complete_change(business, decision, user):
    """The approval (last step passed, in the decision's transaction): the new plan, the
    request's state and the audit entry."""
    change = PlanChange.objects.select_for_update().select_related("school").get(business=business)
    if change.state != ChangeState.OPEN:
        raise ValidationError("该招生计划数变更申请已办结")
    before, after = _write(user, [(change.school, change.year, change.stage, change.requested)])
    change.state, change.decided_at = ChangeState.APPROVED, timezone.now()
    change.opinion = (getattr(decision, "opinion", "") or "")[:200]
    change.save(update_fields=["state", "decided_at", "opinion"])
    what = _who(change.school, change.year, change.stage)
    record_event(action="enrolplans.change_approved",
                 summary=f"招生计划数变更通过:{what} {'未设置' if change.current is None else change.current}"
                         f"→{change.requested}",
                 actor=user, school=change.school, target=change, before=before, after=after)
    return registry.Effect(f"招生计划数改为{change.requested}", {"plan": change.requested})


def end_change(business, decision, user):
    """Rejected (审核不通过) or withdrawn / cleared: the request closes, the plan stays."""
    change = PlanChange.objects.select_for_update().select_related("school").filter(business=business).first()
    if change is None or change.state != ChangeState.OPEN:
        return None
    change.state = ChangeState.REJECTED if business.status == BusinessStatus.FAILED else ChangeState.WITHDRAWN
    change.decided_at = timezone.now()
    change.opinion = (getattr(decision, "opinion", "") or "")[:200]
    change.save(update_fields=["state", "decided_at", "opinion"])
    record_event(action="enrolplans.change_ended",
                 summary=f"招生计划数变更{change.get_state_display()}:{_who(change.school, change.year, change.stage)}",
                 actor=user, school=change.school, target=change, after={"state": change.state})
    return None


def decide_change(user, change: PlanChange, passed: bool, opinion: str = "", request=None):
    """核办 from the 招生计划数变更核办 page: the engine's decision (who may decide is the
    engine's rule: a registrar of exactly the step's authority)."""
    if change.state != ChangeState.OPEN or change.business is None:
        raise ValidationError("该招生计划数变更申请已办结")
    return workflow.decide(change.business, user, passed, opinion, request=request)


def register() -> None:
    """The business type and the import job (EnrolplansConfig.ready)."""
    from xueji.audit import rules as audit_rules
    from xueji.jobs import registry as jobs_registry

    registry.register(KIND, "招生计划数变更", (registry.SUPERVISOR,), on_complete=complete_change,
                      on_end=end_change, group="招生入学", payload=PAYLOAD)
    jobs_registry.register(IMPORT_JOB, name="招生计划数导入", run=run_import, result_url=import_result_url)
    for code, label in ACTION_LABELS.items():
        audit_rules.ACTION_LABELS.setdefault(code, label)
