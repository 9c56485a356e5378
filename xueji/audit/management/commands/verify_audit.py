"""``manage.py verify_audit``: walk the audit chain and say whether it is intact (F-15).

Exit status 0 and "审计日志完整: N 条" when it is; otherwise status 1 and the first broken
entry's seq and what is wrong (内容被篡改 / 记录缺失 / 末尾记录被删除 …).
"""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError

from xueji.audit.models import AuditEntry
from xueji.audit.services import VERIFY_CHUNK_SIZE, verify_audit_log

_ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


class Command(BaseCommand):
    help = "校验审计日志哈希链是否完整(内容被篡改、记录缺失、末尾记录被删除)。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--chunk-size", type=int, default=VERIFY_CHUNK_SIZE,
            help=f"每次读取的记录数(默认 {VERIFY_CHUNK_SIZE})",
        )
        parser.add_argument(
            "--anchor", action="append", default=[], metavar="SEQ:HASH",
            help="此前记下的链头(本命令输出的“链头”一行),可多次给出;"
            "用于发现链头连同末尾记录被整体回退。",
        )

    def handle(self, *args, chunk_size: int, anchor: list[str], **options):
        anchors = []
        for text in anchor:
            match = _ANCHOR.match(text.strip().lower())
            if not match:
                raise CommandError(f"锚点格式应为 序号:64位十六进制哈希,而不是 {text!r}")
            anchors.append((int(match[1]), match[2]))

        verdict = verify_audit_log(chunk_size=max(1, chunk_size))
        if not verdict.ok:
            raise CommandError(verdict.message)

        for seq, expected in anchors:
            stored = (
                AuditEntry.objects.filter(seq=seq).values_list("entry_hash", flat=True).first()
            )
            if stored is None:
                raise CommandError(
                    f"审计日志校验失败: 第 {seq} 条 末尾记录被删除。锚点记录的第 {seq} 条已不存在。"
                )
            if stored != expected:
                raise CommandError(
                    f"审计日志校验失败: 第 {seq} 条 内容被篡改。其哈希与锚点不符。"
                )

        self.stdout.write(verdict.message)
        if verdict.count:
            self.stdout.write(f"链头: {verdict.last_seq}:{verdict.last_hash}")
