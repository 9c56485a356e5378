"""Reads of jobs, scoped: a user sees the jobs they started, and the jobs of their own
unit — a school's registrar and leader those of their school, an authority's registrar
and administrator those of their authority (not those of the units below: they follow
the results, e.g. the upload records, through the features' own selectors)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from xueji.org.roles import Role

from . import registry, rules
from .models import Job, JobStatus

#: Roles that follow the jobs of their whole unit.
UNIT_ROLES = frozenset({Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN})


def jobs_for(user) -> QuerySet[Job]:
    if not user.is_authenticated:
        return Job.objects.none()
    visible = Q(owner=user)
    if user.role in UNIT_ROLES and user.is_school_user and user.school_id:
        visible |= Q(school_id=user.school_id)
    if user.role in UNIT_ROLES and user.is_authority_user and user.authority_id:
        visible |= Q(authority_id=user.authority_id)
    return Job.objects.filter(visible).select_related("owner")


def status_of(job: Job, *, now=None) -> dict:
    """The job's state as the progress page and the API show it (Chinese labels)."""
    figures = rules.progress_figures(job.done, job.total, job.started_at, now or timezone.now(), job.finished_at)
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_name": registry.name_of(job.kind),
        "title": job.title,
        "status": job.status,
        "status_name": JobStatus(job.status).label,
        "finished": job.finished,
        "done": figures.done,
        "total": figures.total,
        "percent": figures.percent,
        "rate": figures.rate,
        "seconds_left": figures.seconds_left,
        "time_left": rules.format_duration(figures.seconds_left),
        "elapsed": rules.format_duration(figures.elapsed) if job.started_at else "",
        "message": job.message,
        "result": job.result,
        "result_url": job.result_url,
        "created_at": timezone.localtime(job.created_at).strftime("%Y-%m-%d %H:%M") if job.created_at else "",
        "finished_at": timezone.localtime(job.finished_at).strftime("%Y-%m-%d %H:%M") if job.finished_at else "",
        "can_rerun": job.status in (JobStatus.FAILED, JobStatus.CANCELLED),
        "can_cancel": not job.finished,
    }


def allowed_actions(job: Job, user) -> dict:
    """What ``user`` may do with ``job`` here (the owner cancels or runs it again)."""
    owner = job.owner_id == user.pk
    return {
        "may_cancel": owner and not job.finished,
        "may_rerun": owner and job.status in (JobStatus.FAILED, JobStatus.CANCELLED)
        and not job.reruns.exists(),
        "rerun": job.reruns.order_by("-pk").first(),
    }
