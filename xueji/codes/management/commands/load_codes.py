"""``manage.py load_codes``: bring the code-table mirror in the database up to date."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from xueji.codes.services import load_code_tables


class Command(BaseCommand):
    help = "装载代码表:把 xueji/codes/tables.py 中的国家代码表同步到数据库(可重复执行)"

    def handle(self, *args, **options):
        counts = load_code_tables()
        self.stdout.write(self.style.SUCCESS(
            "代码表 {tables} 张(新增 {tables_created},更新 {tables_updated});"
            "代码项 {items} 项(新增 {items_created},更新 {items_updated},停用 {items_deactivated})".format(**counts)
        ))
