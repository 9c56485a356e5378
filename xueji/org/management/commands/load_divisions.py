from django.core.management.base import BaseCommand

from xueji.org.services import division_source_path, load_divisions


class Command(BaseCommand):
    help = "加载全国行政区划(省、地市、区县,12位代码,来自 cpca 包)并建立教育行政部门树。可重复运行。"

    def handle(self, *args, **options):
        counts = load_divisions()
        self.stdout.write(
            f"行政区划已加载({division_source_path()}): 省级 {counts['provinces']},"
            f"地市 {counts['cities']},区县 {counts['counties']};教育行政部门 {counts['authorities']}"
        )
