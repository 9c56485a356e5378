"""认证 of the key data changes that waited for the population registry (run from cron,
next to ``retry_verification``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from xueji.changes import key_changes


class Command(BaseCommand):
    help = "关键数据变更:对等待人口信息库认证的申请重新认证,并解除其待查重认证状态"

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, limit: int, **options):
        settled = key_changes.retry_verification(limit=max(1, limit))
        self.stdout.write(f"已认证{settled}件关键数据变更申请")
