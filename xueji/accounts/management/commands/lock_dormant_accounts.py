from django.core.management.base import BaseCommand

from xueji.accounts.services import lock_dormant_accounts


class Command(BaseCommand):
    help = "锁定长期未登录的账号 (XUEJI_DORMANT_DAYS 天未登录)。可每日定时运行。"

    def handle(self, *args, **options):
        count = lock_dormant_accounts()
        self.stdout.write(f"已锁定 {count} 个长期未登录账号")
