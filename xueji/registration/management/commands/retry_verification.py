from django.core.management.base import BaseCommand

from xueji.registration.services import retry_verification


class Command(BaseCommand):
    help = ("人口信息库暂时无法访问时,注册申请停在“待查重认证”;本命令重新认证并解除暂停,"
            "并为持居民身份证的临时学籍号学生重新认证(通过的转为正式学籍号)。可定时运行。")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=10000, help="每类最多处理的条数(默认10000)")

    def handle(self, *args, limit=10000, **options):
        result = retry_verification(limit=limit)
        if result.unreachable:
            self.stderr.write("人口信息库暂时无法访问,请稍后重试")
        self.stdout.write(f"已完成认证 {result.registrations} 条注册申请;{result.upgraded} 名学生由临时学籍号转为正式学籍号")
