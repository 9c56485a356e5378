"""The one task every job runs as (Django's tasks API, ``django-tasks``): the queue
carries only the job's id; what the job does is its kind (:mod:`xueji.jobs.registry`)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_job(job_id: int) -> str:
    from .services import execute

    return execute(job_id)
