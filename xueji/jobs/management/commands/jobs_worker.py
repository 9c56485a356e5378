"""The task worker of 学籍: reaps the jobs a dead worker left, keeps reaping every
``XUEJI_JOB_REAP_SECONDS`` in a thread, and runs django-tasks-db's ``db_worker`` loop
(every option of ``db_worker`` is passed on)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import get_resolver

from xueji.jobs.services import Reaper, reap_dead_jobs

logger = logging.getLogger("xueji.jobs")


class Command(BaseCommand):
    help = "后台任务进程:先处理中断的任务,再持续执行队列中的任务(参数同 db_worker)"

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--reload", action="store_true")
        parser.add_argument("--worker-id", default=None)
        parser.add_argument("--queue-name", default="default")

    def handle(self, *args, **options):
        # Load the URL map once now, as the web server does: a job's result page is
        # named by reverse(), and the first job should not pay for importing every view.
        get_resolver().url_patterns  # noqa: B018
        count = reap_dead_jobs()
        if count:
            logger.warning("worker start: %s interrupted job(s) ended as failed", count)
        every = float(getattr(settings, "XUEJI_JOB_REAP_SECONDS", 30))
        if every > 0:
            Reaper(every).start()
        passed = {"interval": options["interval"], "queue_name": options["queue_name"],
                  "reload": options["reload"], "startup_delay": False, "verbosity": options["verbosity"]}
        if options["batch"]:
            passed["batch"] = True
        if options["max_tasks"]:
            passed["max_tasks"] = options["max_tasks"]
        if options["worker_id"]:
            passed["worker_id"] = options["worker_id"]
        call_command("db_worker", **passed)
