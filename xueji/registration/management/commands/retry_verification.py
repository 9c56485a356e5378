from django.core.management.base import BaseCommand

from xueji.registration.services import retry_verification


class Command(BaseCommand):
    help = "人口信息库暂时无法访问时,注册申请停在“待查重认证”;本命令重新认证并解除暂停。可定时运行。"

    def handle(self, *args, **options):
        count = retry_verification()
        self.stdout.write(f"已完成认证 {count} 条注册申请")
