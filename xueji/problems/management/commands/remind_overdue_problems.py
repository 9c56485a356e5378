"""manage.py remind_overdue_problems: the daily 催办 of overdue problem-record turns
(run once a day from cron; running it again the same day adds nothing)."""

from django.core.management.base import BaseCommand

from xueji.problems import handling


class Command(BaseCommand):
    help = "超期问题学籍催办:本轮办理期限已过的问题学籍,每天向待处理学校发送一次催办"

    def handle(self, *args, **options):
        sent = handling.remind_overdue()
        self.stdout.write(f"超期问题学籍催办{sent}条")
