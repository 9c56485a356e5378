"""``manage.py audit_anchor``: write every audit chain's current head to the anchor file
(for a scheduler, e.g. every few minutes; cheap: no walk of the chains).

A head is anchored only when it is authentic, not behind the chain's newest anchor and
its entry is in place; otherwise the problem is printed and the exit status is 1.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from xueji.audit.anchors import anchor_path
from xueji.audit.services import anchor_heads


class Command(BaseCommand):
    help = "把每条审计日志分区链的当前链头写入锚点文件(供定时任务运行)。"

    def handle(self, *args, **options):
        written, problems = anchor_heads()
        self.stdout.write(f"锚点文件: {anchor_path()}(本次写入 {written} 条)")
        if problems:
            raise CommandError("\n".join(problems))
