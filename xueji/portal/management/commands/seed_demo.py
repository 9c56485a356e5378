from django.core.management.base import BaseCommand

from xueji.portal.demo import DEMO_PASSWORD, SIZES, seed_demo


class Command(BaseCommand):
    help = "生成演示数据(一个真实省份的学校、年级、班级和各级各角色账号)并打印演示账号。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small",
                            help="small: 10所学校; medium: 每个区县再加5所; large: 每个区县再加40所")

    def handle(self, *args, size, **options):
        accounts = seed_demo(size)
        self.stdout.write("")
        self.stdout.write("演示账号 (demo accounts) — 密码均为 / password for all: " + DEMO_PASSWORD)
        self.stdout.write(f"{'用户名':<22}{'角色':<16}单位")
        for a in accounts:
            self.stdout.write(f"{a.username:<24}{a.role:<14}{a.unit}")
        self.stdout.write("")
