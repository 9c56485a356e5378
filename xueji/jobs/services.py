"""Every write of a job: start, run (in the worker), progress, finish, fail, reap, cancel
and run again.

- :func:`start_job` creates the job, writes its audit entry and queues the generic task
  ``run_job(job_id)`` — all in one transaction with the database backend (the queued task
  row is written in the same transaction, so a job and its task exist together or not at
  all); with a queue outside the database (RQ, Celery …) the task is queued on commit;
  the immediate backend (tests) runs the job right after the job's own transaction.
- :func:`execute` is what the worker runs: it claims the job (排队中 → 进行中, with its
  host and process id), calls the kind's ``run(job, progress)`` and marks the job
  已完成, or 失败 with a Chinese message after the kind's ``on_failure`` undid what the
  run left behind.
- :class:`Progress` is handed to the run: ``set_total``, ``advance`` — written to the
  job at most once a second, never once per row; a heartbeat thread writes the time
  every few seconds while the run is busy elsewhere.
- :func:`reap_dead_jobs` / :func:`reap_if_dead`: a running job whose worker process is
  gone (on the same host) or whose heartbeat is stale becomes 失败, its ``on_failure``
  runs in the same transaction, and it can be run again (:func:`rerun_job`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from xueji.audit.services import record_event

from . import registry, rules
from .models import Job, JobStatus

logger = logging.getLogger("xueji.jobs")

#: Reason given when the worker died under a job.
WORKER_DIED = "后台任务进程意外终止"
#: Reason given when the job raised something that is not a refusal.
JOB_ERROR = "后台任务出错,请稍后重新执行;如仍失败请联系系统管理员"
CANCELLED = "已取消"
NOT_QUEUED = "任务未能进入后台队列"


class JobStopped(Exception):
    """The job was cancelled or taken over (reaped) while it ran: stop and roll back."""


def _stale_seconds() -> float:
    return float(getattr(settings, "XUEJI_JOB_STALE_SECONDS", 60))


def _heartbeat_seconds() -> float:
    return float(getattr(settings, "XUEJI_JOB_HEARTBEAT_SECONDS", 5))


def _backend():
    from django_tasks import task_backends

    from .tasks import run_job

    return task_backends[run_job.backend]


def _backend_kind() -> str:
    """``database`` (the task row lives in our database), ``immediate`` (runs here and now)
    or ``external`` (a queue elsewhere: RQ, Celery …)."""
    from django_tasks.backends.immediate import ImmediateBackend

    backend = _backend()
    if isinstance(backend, ImmediateBackend):
        return "immediate"
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover - the package is a dependency
        DatabaseBackend = ()  # noqa: N806
    return "database" if isinstance(backend, DatabaseBackend) else "external"


def _enqueue(job_id: int) -> None:
    from .tasks import run_job

    result = run_job.enqueue(job_id)
    Job.objects.filter(pk=job_id, task_id="").update(task_id=str(result.id)[:64])


# --- start ------------------------------------------------------------------------------------

def start_job(kind: str, *, user, params: dict | None = None, title: str = "", school=None, authority=None,
              input_file=None, request=None, rerun_of: Job | None = None) -> Job:
    """后台任务提交: create the job of ``kind`` for ``user`` (``school`` / ``authority``:
    the unit whose people may follow it), write the audit entry and queue it. The request
    returns at once; the page follows the job at ``/jobs/<id>/``."""
    entry = registry.get(kind)
    if entry is None:
        raise ValueError(f"unknown job kind {kind!r}")
    how = _backend_kind()
    with transaction.atomic():
        job = Job(kind=kind, owner=user, school=school, authority=authority, title=(title or entry.name)[:200],
                  params=params or {}, rerun_of=rerun_of)
        if input_file is not None:
            job.input_file.save(Path(getattr(input_file, "name", "") or "input").name, input_file, save=False)
        job.save()
        record_event(
            action="jobs.rerun" if rerun_of else "jobs.started",
            summary=(f"重新执行后台任务:{job.title}" if rerun_of else f"提交后台任务:{job.title}"),
            actor=user, request=request, target=job, school=school,
            authority_prefix=authority.prefix if authority is not None else None,
            after={"kind": kind, "params": job.params, "rerun_of": rerun_of.pk if rerun_of else None},
        )
        if how == "database":
            _enqueue(job.pk)
        elif how == "external":
            transaction.on_commit(lambda: _enqueue(job.pk))
    if how == "immediate":
        _enqueue(job.pk)
        job.refresh_from_db()
    return job


def rerun_job(job: Job, user, request=None) -> Job:
    """重新执行 a failed or cancelled job: the kind's own ``rerun`` (a registration import
    keeps its failed upload record and imports the same file as a new one), or a new job
    of the same kind with the same parameters and input file. Only its owner may."""
    if job.owner_id != user.pk:
        raise PermissionDenied("只有任务的发起人可以重新执行")
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise ValidationError("只有失败或已取消的任务可以重新执行")
    if Job.objects.filter(rerun_of=job).exists():
        raise ValidationError("该任务已重新执行过,请查看新的任务")
    entry = registry.get(job.kind)
    if entry is None:
        raise ValidationError("该类任务已不再提供")
    if entry.rerun is not None:
        return entry.rerun(job, user, request)
    return start_job(job.kind, user=user, params=job.params, title=job.title, school=job.school,
                     authority=job.authority, input_file=job.input_file or None, request=request, rerun_of=job)


def cancel_job(job: Job, user, request=None) -> Job:
    """取消: a queued job ends at once; a running one stops at its next progress report and
    what it wrote is undone (``on_failure``). Only its owner may."""
    if job.owner_id != user.pk:
        raise PermissionDenied("只有任务的发起人可以取消")
    if job.finished:
        raise ValidationError("任务已结束,不能取消")
    with transaction.atomic():
        if Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
                status=JobStatus.CANCELLED, message=CANCELLED, finished_at=timezone.now(), cancel_requested=True):
            _undo(job, CANCELLED)
        else:
            Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
        record_event(action="jobs.cancelled", summary=f"取消后台任务:{job.title}", actor=user, request=request,
                     target=job, school=job.school)
    job.refresh_from_db()
    return job


# --- run (in the worker) ----------------------------------------------------------------------

class Progress:
    """Progress of a running job, handed to the kind's ``run``. Counts are written at most
    once every ``interval`` seconds (one UPDATE, which also tells whether the job was
    cancelled meanwhile), never once per row."""

    def __init__(self, job: Job, interval: float = 1.0):
        self.job = job
        self.total: int | None = job.total
        self.done = job.done
        self.interval = interval
        self.finished = False
        self._last = time.monotonic()

    def set_total(self, total: int | None) -> None:
        self.total = max(0, int(total)) if total is not None else None
        self.flush()

    def advance(self, count: int = 1) -> None:
        first = not self.done
        self.done += count
        # The first rows done are shown at once (the bar moves soon after the start);
        # then at most once every ``interval``.
        if first or time.monotonic() - self._last >= self.interval:
            self.flush()

    def set_done(self, done: int) -> None:
        self.done = max(0, int(done))
        if time.monotonic() - self._last >= self.interval:
            self.flush()

    def flush(self) -> None:
        """Write the counts and the heartbeat now. Raises :class:`JobStopped` when the job
        was cancelled or is no longer running (then the run stops and is undone)."""
        self._last = time.monotonic()
        total = self.total if self.total is None or self.total >= self.done else self.done
        updated = Job.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING, cancel_requested=False).update(
            done=self.done, total=total, heartbeat_at=timezone.now())
        if not updated:
            raise JobStopped(CANCELLED)

    def attach_file(self, filename: str, content) -> None:
        """Keep the file the job produced (an export), downloaded from the job page.
        ``content``: bytes, or an open binary file (a large export written to a temporary
        file, copied in chunks)."""
        from django.core.files.base import ContentFile, File

        job = self.job
        data = ContentFile(content) if isinstance(content, (bytes, bytearray)) else File(content)
        job.output_file.save(Path(filename).name, data, save=False)
        job.output_name = filename[:200]
        Job.objects.filter(pk=job.pk).update(output_file=job.output_file.name, output_name=job.output_name)

    def finish(self, result: dict | None = None) -> None:
        """Mark the job 已完成 with ``result``. Call it inside the run's last transaction to
        make the two one; raises :class:`JobStopped` (rolling that transaction back) when the
        job was cancelled or reaped meanwhile."""
        job = self.job
        entry = registry.get(job.kind)
        job.status = JobStatus.DONE
        job.result = result or {}
        url = entry.result_url(job) if entry and entry.result_url else ""
        total = self.total if self.total is not None and self.total >= self.done else self.done
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, cancel_requested=False).update(
            status=JobStatus.DONE, done=self.done, total=total, result=job.result, result_url=url or "",
            finished_at=timezone.now(), heartbeat_at=timezone.now(),
        )
        if not updated:
            raise JobStopped(CANCELLED)
        self.finished = True


class _Heartbeat(threading.Thread):
    """Writes the job's heartbeat every few seconds while its run is busy (a long batch,
    a slow registry call), on its own database connection."""

    def __init__(self, job_id: int, every: float):
        super().__init__(name=f"xueji-heartbeat-{job_id}", daemon=True)
        self.job_id, self.every = job_id, every
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_event.wait(self.every):
                try:
                    Job.objects.filter(pk=self.job_id, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())
                except DatabaseError:  # the database is busy: the next beat will do
                    logger.warning("heartbeat of job %s not written", self.job_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def execute(job_id: int) -> str:
    """Run job ``job_id`` here (the body of the task ``run_job``). Returns its final status."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, worker_host=socket.gethostname()[:100],
        worker_pid=os.getpid())
    if not claimed:  # cancelled, reaped or already run
        return Job.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""
    job = Job.objects.select_related("owner", "school", "authority").get(pk=job_id)
    entry = registry.get(job.kind)
    beat = None
    if _backend_kind() != "immediate" and _heartbeat_seconds() > 0:
        beat = _Heartbeat(job.pk, _heartbeat_seconds())
        beat.start()
    try:
        if entry is None:
            raise ValidationError("该类任务已不再提供")
        progress = Progress(job)
        result = entry.run(job, progress)
        if not progress.finished:
            progress.finish(result if isinstance(result, dict) else None)
        return JobStatus.DONE
    except JobStopped:
        if not fail_job(job, CANCELLED, status=JobStatus.CANCELLED):
            # Ended by someone else meanwhile (reaped as dead while it still ran, e.g. a
            # heartbeat lost on a busy database): undo again what this run wrote since.
            with transaction.atomic():
                _undo(job, WORKER_DIED)
        return Job.objects.filter(pk=job.pk).values_list("status", flat=True).first() or ""
    except (ValidationError, PermissionDenied) as error:
        messages = getattr(error, "messages", None) or [str(error)]
        fail_job(job, ";".join(str(m) for m in messages if m) or JOB_ERROR)
        return JobStatus.FAILED
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        fail_job(job, JOB_ERROR)
        return JobStatus.FAILED
    finally:
        if beat is not None:
            beat.stop()


def _undo(job: Job, reason: str) -> str:
    """The kind's ``on_failure`` (inside the caller's transaction); its note, if any."""
    entry = registry.get(job.kind)
    if entry is None or entry.on_failure is None:
        return ""
    return entry.on_failure(job, reason) or ""


def fail_job(job: Job, reason: str, *, status: str = JobStatus.FAILED, only_if_running: bool = True) -> bool:
    """End a running job as 失败 (or 已取消) with ``reason``: in one transaction the job's
    state, the kind's ``on_failure`` (which undoes what the run left) and the audit entry.
    False when someone else ended it first."""
    with transaction.atomic():
        rows = Job.objects.filter(pk=job.pk)
        if only_if_running:
            rows = rows.filter(status=JobStatus.RUNNING)
        if not rows.update(status=status, finished_at=timezone.now(), message=reason[:500]):
            return False
        note = _undo(job, reason)
        message = f"{reason},{note}" if note else reason
        if note:
            Job.objects.filter(pk=job.pk).update(message=message[:500])
        record_event(
            action="jobs.cancelled" if status == JobStatus.CANCELLED else "jobs.failed",
            summary=f"后台任务{JobStatus(status).label}:{job.title}:{message}"[:500],
            actor=job.owner, target=job, school=job.school,
            authority_prefix=job.authority.prefix if job.authority_id else None,
        )
    job.refresh_from_db()
    return True


# --- dead workers -----------------------------------------------------------------------------

def process_alive(pid: int | None) -> bool | None:
    """Whether process ``pid`` of this host exists (a zombie counts as gone)."""
    if not pid:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in {"Z", "X"}


def _dead(job: Job, now: dt.datetime) -> bool:
    if job.status == JobStatus.QUEUED:
        # queued on commit but never reached the queue (an external backend failed)
        return not job.task_id and (now - job.created_at).total_seconds() > _stale_seconds()
    same_host = job.worker_host == socket.gethostname()[:100]
    return rules.worker_gone(heartbeat_at=job.heartbeat_at, now=now, stale_after=_stale_seconds(),
                             same_host=same_host, process_alive=process_alive(job.worker_pid) if same_host else None)


def _reap(job: Job) -> bool:
    reason = NOT_QUEUED if job.status == JobStatus.QUEUED else WORKER_DIED
    done = fail_job(job, reason, only_if_running=False) if job.status == JobStatus.QUEUED else fail_job(job, reason)
    if done:
        _fail_task_row(job)
        logger.warning("job %s (%s) reaped: %s", job.pk, job.kind, reason)
    return done


def _fail_task_row(job: Job) -> None:
    """The database backend's task row of a reaped job still says RUNNING: end it too."""
    if not job.task_id or _backend_kind() != "database":
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=job.task_id, status="RUNNING").update(status="FAILED", finished_at=timezone.now())


def reap_dead_jobs() -> int:
    """End every running job whose worker is gone (see :func:`xueji.jobs.rules.worker_gone`)
    as 失败, undoing what it left. Returns how many. Run when a worker starts, every
    ``XUEJI_JOB_REAP_SECONDS`` in the worker, and by ``manage.py reap_jobs``."""
    now = timezone.now()
    count = 0
    for job in Job.objects.filter(status__in=[JobStatus.RUNNING, JobStatus.QUEUED]).select_related(
            "owner", "school", "authority"):
        if _dead(job, now) and _reap(job):
            count += 1
    return count


def reap_if_dead(job: Job) -> Job:
    """:func:`reap_dead_jobs` for one job, when its status is read."""
    if job.status in (JobStatus.RUNNING, JobStatus.QUEUED) and _dead(job, timezone.now()):
        _reap(job)
        job.refresh_from_db()
    return job


class Reaper(threading.Thread):
    """Reaps dead jobs every ``every`` seconds, in the worker process."""

    def __init__(self, every: float):
        super().__init__(name="xueji-reaper", daemon=True)
        self.every = every

    def run(self) -> None:
        while True:
            time.sleep(self.every)
            try:
                close_old_connections()
                reap_dead_jobs()
            except Exception:  # keep reaping; the worker goes on
                logger.exception("reaping jobs failed")
