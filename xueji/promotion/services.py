"""升级 (F-62) writes: the moment, the start (a run, a business window suspending the
transfers, a background job) and the job itself — school by school, each school's
promotion and its checkpoint in one transaction, so that a run killed at any point and
started again goes on where it stopped and promotes nobody twice."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from xueji.audit.services import record_event
from xueji.jobs.models import JobStatus
from xueji.jobs.services import start_job
from xueji.org.models import Authority, School
from xueji.students import services as student_services
from xueji.students.models import Status, Student
from xueji.workflow import services as workflow_services

from . import rules, selectors
from .models import PromotionMoment, PromotionRun, RunStatus, SchoolPromotion, SchoolState

JOB_KIND = "promotion.run"


# --- the moment -----------------------------------------------------------------------------
def set_moment(actor, *, month, day, hour, minute, request=None) -> PromotionMoment:
    """升级时间设置: the province's moment (the ministry's: the national default)."""
    if not rules.can_configure(actor):
        raise PermissionDenied("只有省级及教育部学籍管理员可以设置升级时间")
    errors = rules.check_moment(month, day, hour, minute)
    if errors:
        raise ValidationError(errors)
    values = {"month": int(month), "day": int(day), "hour": int(hour), "minute": int(minute)}
    with transaction.atomic():
        moment = PromotionMoment.objects.select_for_update().filter(authority=actor.authority).first()
        before = None
        if moment is None:
            moment = PromotionMoment(authority=actor.authority)
        else:
            before = {k: getattr(moment, k) for k in values}
        for key, value in values.items():
            setattr(moment, key, value)
        moment.updated_by = actor
        moment.save()
        record_event(action="promotion.moment_set",
                     summary=f"设置升级时间:每年{rules.moment_label(**values)}", actor=actor, request=request,
                     target=moment, before=before, after=values)
    return moment


# --- the start --------------------------------------------------------------------------------
def start_promotion(actor, *, now: dt.datetime | None = None, request=None):
    """开始升级: the actor's province promotes into the school year of this year's moment
    — refused before the moment and while a run of the year is going. A run already
    done is run again (it skips the schools it promoted and re-examines the blocked
    ones). Opens a business window suspending the transfers until it finishes."""
    if not rules.can_start(actor):
        raise PermissionDenied("只有省级学籍管理员可以开始升级")
    now = now or timezone.now()
    province: Authority = actor.authority
    moment = selectors.moment_at(province, timezone.localtime(now).year)
    if now < moment:
        raise ValidationError(f"升级时间为{timezone.localtime(moment):%Y-%m-%d %H:%M},尚未到达")
    school_year = rules.school_year_at(timezone.localtime(moment))
    with transaction.atomic():
        run, created = PromotionRun.objects.select_for_update().get_or_create(
            authority=province, school_year=school_year, defaults={"started_by": actor})
        if not created and run.job_id and run.job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            raise ValidationError("本学年的升级正在进行,请等待完成")
        if run.window_id:
            workflow_services.close_window(run.window, at=now, actor=actor)
        window = workflow_services.create_window(
            actor, business_types=rules.SUSPENDED_TYPES, starts_at=now,
            ends_at=now + dt.timedelta(hours=rules.WINDOW_HOURS), note="升级进行中,暂停转学", request=request)
        run.window = window
        run.status = RunStatus.RUNNING
        run.started_by = actor
        run.finished_at = None
        run.save()
        record_event(action="promotion.started", summary=f"开始升级:{run}", actor=actor, request=request,
                     target=run, after={"school_year": school_year, "resumed": not created})
        job = start_job(JOB_KIND, user=actor, params={"run": run.pk}, title=f"升级({school_year}-{school_year + 1}学年)",
                        authority=province, request=request)
        PromotionRun.objects.filter(pk=run.pk).update(job=job)
    run.refresh_from_db()
    return run


# --- the job ----------------------------------------------------------------------------------
def _grade_rows(school: School) -> list[rules.GradeRow]:
    counts = (Student.objects.filter(school=school).exclude(status=Status.DELETED)
              .filter(status__in=(Status.IN_SCHOOL, Status.SUSPENDED))
              .values("grade_id", "grade__stage", "grade__entry_year")
              .annotate(in_school=Count("pk", filter=Q(status=Status.IN_SCHOOL)),
                        others=Count("pk", filter=~Q(status=Status.IN_SCHOOL))))
    return [rules.GradeRow(c["grade_id"], c["grade__stage"], c["grade__entry_year"], c["in_school"], c["others"])
            for c in counts]


def promote_school(run: PromotionRun, school: School, *, actor=None, business_id=None) -> SchoolPromotion:
    """One school's share of ``run``, in one transaction with its checkpoint and audit
    entry. A school already promoted in the run is returned untouched."""
    with transaction.atomic():
        done = SchoolPromotion.objects.select_for_update().filter(run=run, school=school).first()
        if done is not None and done.state == SchoolState.PROMOTED:
            return done
        years = {"1": school.primary_years, "2": school.junior_years, "3": school.senior_years}
        plan = rules.plan_school(run.school_year, years, _grade_rows(school))
        row = done or SchoolPromotion(run=run, school=school)
        row.blockers, row.notes = plan.blockers, plan.notes
        if plan.blocked:
            row.state, row.moved, row.grades = SchoolState.BLOCKED, 0, []
        else:
            moved = student_services.promote_grades(school, plan.promote, run.school_year, actor=actor,
                                                    business_id=business_id,
                                                    reason=f"{run.school_year}-{run.school_year + 1}学年升级")
            row.state = SchoolState.PROMOTED
            row.moved = sum(m.count for m in moved)
            row.grades = [{"grade_id": m.grade_id, "before": m.before, "after": m.after, "count": m.count}
                          for m in moved]
        row.save()
        blockers = "、".join(f"{b['grade']}{b['count']}人" for b in plan.blockers)
        record_event(action="promotion.school",
                     summary=(f"{school.name}未升级:毕业年级尚有在校学生({blockers})" if plan.blocked
                              else f"{school.name}升级{row.moved}人"),
                     actor=actor, target=row, school=school,
                     after={"school_year": run.school_year, "moved": row.moved, "blockers": plan.blockers})
    return row


def run_job(job, progress) -> dict:
    """The background job: every active school of the province, in code order; each
    school is skipped when its checkpoint says it is promoted."""
    run = PromotionRun.objects.select_related("authority").get(pk=job.params["run"])
    PromotionRun.objects.filter(pk=run.pk).update(job=job, status=RunStatus.RUNNING)
    schools = School.objects.filter(supervisor__prefix__startswith=run.authority.prefix, is_active=True).order_by("pk")
    done_ids = set(SchoolPromotion.objects.filter(run=run, state=SchoolState.PROMOTED).values_list("school_id",
                                                                                                    flat=True))
    total = schools.count()
    progress.set_total(total)
    progress.set_done(len(done_ids))
    actor = job.owner
    for school in schools.exclude(pk__in=done_ids).iterator(chunk_size=500):
        promote_school(run, school, actor=actor)
        progress.advance(1)
    return finish_run(run, job=job, progress=progress, total=total)


def finish_run(run: PromotionRun, *, job=None, progress=None, total: int | None = None) -> dict:
    with transaction.atomic():
        run = PromotionRun.objects.select_for_update().get(pk=run.pk)
        rows = SchoolPromotion.objects.filter(run=run)
        promoted = rows.filter(state=SchoolState.PROMOTED).count()
        blocked = rows.filter(state=SchoolState.BLOCKED).count()
        moved = sum(rows.values_list("moved", flat=True))
        run.schools = total if total is not None else promoted + blocked
        run.promoted_schools, run.blocked_schools, run.moved = promoted, blocked, moved
        run.status = RunStatus.PARTIAL if blocked else RunStatus.DONE
        run.finished_at = timezone.now()
        run.save()
        if run.window_id:
            workflow_services.close_window(run.window, at=run.finished_at, actor=job.owner if job else None)
        result = {"已升级学校": promoted, "未升级学校": blocked, "升级人数": moved}
        record_event(action="promotion.finished",
                     summary=f"{run}:升级{promoted}所学校{moved}人,未升级{blocked}所学校",
                     actor=job.owner if job else None, target=run, authority_prefix=run.authority.prefix,
                     after={"school_year": run.school_year, "schools": promoted, "blocked": blocked, "moved": moved})
        if progress is not None:
            progress.finish(result)
    return result


def on_failure(job, reason: str) -> str:
    """Nothing to undo: each promoted school is a finished, checkpointed part of the
    run; 重新执行 goes on from the schools not yet promoted."""
    PromotionRun.objects.filter(pk=job.params.get("run"), status=RunStatus.RUNNING).update(status=RunStatus.STOPPED)
    return "已升级的学校保留,重新执行时从未升级的学校继续"


def result_url(job) -> str:
    return reverse("promotion:index")
