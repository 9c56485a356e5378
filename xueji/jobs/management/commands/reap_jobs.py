"""End the running jobs whose worker is gone as 失败, undoing what they left."""

from django.core.management.base import BaseCommand

from xueji.jobs.services import reap_dead_jobs


class Command(BaseCommand):
    help = "将后台任务进程已终止的任务标记为失败并撤回其未完成的部分"

    def handle(self, *args, **options):
        count = reap_dead_jobs()
        self.stdout.write(f"已处理{count}个中断的后台任务")
