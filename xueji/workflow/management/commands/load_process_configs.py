"""manage.py load_process_configs: the national default 业务流程配置 (idempotent)."""

from django.core.management.base import BaseCommand

from xueji.workflow.services import load_default_configs


class Command(BaseCommand):
    help = "加载全国默认业务流程配置(每种业务类型 × 办学类型 × 教育阶段);已有的不变。需先加载行政区划(教育部)。"

    def handle(self, *args, **options):
        created = load_default_configs()
        self.stdout.write(f"新增默认业务流程配置 {created} 条")
