"""升级 (F-62) writes: the moment, the start (a run, a business window suspending the
transfers, a background job) and the job itself — school by school, each school's
promotion and its checkpoint in one transaction, so that a run killed at any point and
started again goes on where it stopped and promotes nobody twice."""

from __future__ import annotations

import datetime as dt
import queue
import threading

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
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
#: Schools promoted in one transaction (with their checkpoints and audit entries): a
#: run killed loses at most one chunk's work, which the next run does again.
CHUNK_SCHOOLS = 100


def _grade_rows(school_ids: list[int]) -> dict[int, list[rules.GradeRow]]:
    """Per school, its grades with 在校 and other (休学) records: one query for the chunk."""
    counts = (Student.objects.filter(school_id__in=school_ids, status__in=(Status.IN_SCHOOL, Status.SUSPENDED))
              .values("school_id", "grade_id", "grade__stage", "grade__entry_year")
              .annotate(in_school=Count("pk", filter=Q(status=Status.IN_SCHOOL)),
                        others=Count("pk", filter=~Q(status=Status.IN_SCHOOL)))
              .order_by())
    rows: dict[int, list[rules.GradeRow]] = {pk: [] for pk in school_ids}
    for c in counts:
        rows[c["school_id"]].append(rules.GradeRow(c["grade_id"], c["grade__stage"], c["grade__entry_year"],
                                                   c["in_school"], c["others"]))
    return rows


def _audit(run: PromotionRun, supervisor: Authority, rows: list[SchoolPromotion], actor) -> None:
    """One audit entry for the schools of one supervising authority in a chunk: how many
    moved, and which schools did not (named, with their final grades not graduated)."""
    promoted = [r for r in rows if r.state == SchoolState.PROMOTED]
    blocked = [f"{r.school.name}(毕业年级尚有在校学生:" + "、".join(f"{b['grade']}{b['count']}人" for b in r.blockers)
               + ")" for r in rows if r.state == SchoolState.BLOCKED]
    moved = sum(r.moved for r in promoted)
    summary = f"{supervisor.name}所属{len(promoted)}所学校升级{moved}人"
    if blocked:
        summary += f",{len(blocked)}所学校未升级:" + ";".join(blocked)
    single = rows[0] if len(rows) == 1 else None
    record_event(action="promotion.schools", summary=summary, actor=actor,
                 school=single.school if single else None, target=single or run,
                 authority_prefix=supervisor.prefix,
                 after={"school_year": run.school_year, "moved": moved, "schools": len(promoted),
                        "promoted": [r.school.name for r in promoted], "blocked_schools": blocked})


def promote_chunk(run: PromotionRun, schools: list[School], *, actor=None, business_id=None) -> list[SchoolPromotion]:
    """A chunk of ``run``'s schools in one transaction: each school's plan (its final
    grade not graduated blocks it, nothing of it moves), the set-based promotion of all
    the others (``students.services.promote_schools``), each school's checkpoint and
    report, and one audit entry per supervising authority. A school already promoted in
    the run is returned untouched. Statements: the same few for any number of schools
    and students (bar one audit entry per supervising authority)."""
    with transaction.atomic():
        by_pk = {s.pk: s for s in schools}
        existing = {r.school_id: r for r in SchoolPromotion.objects.select_for_update().filter(
            run=run, school_id__in=list(by_pk))}
        todo = [s for s in schools if not (s.pk in existing and existing[s.pk].state == SchoolState.PROMOTED)]
        grade_rows = _grade_rows([s.pk for s in todo])
        plans = {s.pk: rules.plan_school(run.school_year, school_years(s), grade_rows[s.pk]) for s in todo}
        moved = student_services.promote_schools(
            {pk: plan.promote for pk, plan in plans.items() if not plan.blocked}, run.school_year, actor=actor,
            business_id=business_id, reason=f"{run.school_year}-{run.school_year + 1}学年升级")
        new, changed = [], []
        for school in todo:
            plan = plans[school.pk]
            row = existing.get(school.pk)
            if row is None:
                row = SchoolPromotion(run=run, school=school)
                new.append(row)
            else:
                row.school = school
                changed.append(row)
            row.blockers, row.notes = plan.blockers, plan.notes
            if plan.blocked:
                row.state, row.moved, row.grades = SchoolState.BLOCKED, 0, []
            else:
                grades = moved[school.pk]
                row.state = SchoolState.PROMOTED
                row.moved = sum(m.count for m in grades)
                row.grades = [{"grade_id": m.grade_id, "before": m.before, "after": m.after, "count": m.count}
                              for m in grades]
        SchoolPromotion.objects.bulk_create(new)
        if changed:
            for row in changed:
                row.at = timezone.now()
            SchoolPromotion.objects.bulk_update(changed, ["state", "moved", "grades", "blockers", "notes", "at"])
        by_supervisor: dict[int, list[SchoolPromotion]] = {}
        for row in new + changed:
            by_supervisor.setdefault(row.school.supervisor_id, []).append(row)
        supervisors = Authority.objects.in_bulk(list(by_supervisor))
        for supervisor_id, rows in sorted(by_supervisor.items(), key=lambda kv: supervisors[kv[0]].prefix):
            _audit(run, supervisors[supervisor_id], sorted(rows, key=lambda r: r.school.code), actor)
    written = {row.school_id: row for row in new + changed}
    return [written.get(s.pk) or existing[s.pk] for s in schools]


def school_years(school: School) -> dict[str, int | None]:
    return {"1": school.primary_years, "2": school.junior_years, "3": school.senior_years}


def promote_school(run: PromotionRun, school: School, *, actor=None, business_id=None) -> SchoolPromotion:
    """One school's share of ``run`` (a chunk of one), in one transaction with its
    checkpoint and audit entry. A school already promoted in the run is returned untouched."""
    return promote_chunk(run, [school], actor=actor, business_id=business_id)[0]


def workers() -> int:
    """How many chunks are promoted at once: ``settings.XUEJI_PROMOTION_WORKERS`` threads,
    each with its own connection, on PostgreSQL (where the server's work of one chunk
    leaves the other cores idle); one on SQLite (one writer at a time)."""
    if connection.vendor != "postgresql":
        return 1
    return max(1, int(getattr(settings, "XUEJI_PROMOTION_WORKERS", 1)))


def _promote_in_threads(run: PromotionRun, chunks: list[list[School]], actor, count: int, progress) -> None:
    """``chunks`` promoted by ``count`` threads, each taking the next chunk when done with
    one (disjoint schools, so disjoint records; the audit heads are locked in prefix
    order). The progress is written by the calling thread. The first error stops the
    others after their current chunk and is raised here."""
    work: queue.Queue = queue.Queue()
    for chunk in chunks:
        work.put(chunk)
    finished: queue.Queue = queue.Queue()
    stop = threading.Event()

    def worker():
        try:
            while not stop.is_set():
                try:
                    chunk = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    promote_chunk(run, chunk, actor=actor)
                except BaseException as error:  # noqa: BLE001 - handed to the calling thread
                    stop.set()
                    finished.put(error)
                    return
                finished.put(len(chunk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"promotion-{n}", daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    error = None
    try:
        while any(t.is_alive() for t in threads) or not finished.empty():
            try:
                item = finished.get(timeout=0.2)
            except queue.Empty:
                continue
            if isinstance(item, BaseException):
                error = error or item
            else:
                progress.advance(item)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if error is not None:
        raise error


def run_job(job, progress) -> dict:
    """The background job: every active school of the province, by supervising authority
    and code, ``CHUNK_SCHOOLS`` at a time (``workers()`` chunks at once); schools whose
    checkpoint says promoted are skipped (a run started again goes on where the last one
    stopped)."""
    run = PromotionRun.objects.select_related("authority").get(pk=job.params["run"])
    PromotionRun.objects.filter(pk=run.pk).update(job=job, status=RunStatus.RUNNING)
    schools = School.objects.filter(supervisor__prefix__startswith=run.authority.prefix, is_active=True)
    done = SchoolPromotion.objects.filter(run=run, state=SchoolState.PROMOTED).values("school_id")
    total = schools.count()
    progress.set_total(total)
    progress.set_done(done.count())
    actor = job.owner
    todo = list(schools.exclude(pk__in=done).select_related("supervisor").order_by("supervisor__prefix", "code"))
    chunks = [todo[i:i + CHUNK_SCHOOLS] for i in range(0, len(todo), CHUNK_SCHOOLS)]
    # Threads see committed data only: a job run inside its caller's transaction (the
    # immediate task backend) promotes in this thread.
    count = 1 if connection.in_atomic_block else min(workers(), len(chunks))
    if count > 1:
        _promote_in_threads(run, chunks, actor, count, progress)
    else:
        for chunk in chunks:
            promote_chunk(run, chunk, actor=actor)
            progress.advance(len(chunk))
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
