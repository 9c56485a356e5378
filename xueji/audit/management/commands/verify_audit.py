"""``manage.py verify_audit``: walk every audit chain and say whether it is intact (F-15).

Prints one line per chain (entries, head, newest anchor), then "审计日志完整: …" and exit
status 0; on any break, the broken chains' first broken entry and what is wrong
(内容被篡改 / 记录缺失 / 末尾记录被删除 / 链头被回退 …) and exit status 1. The anchor file
(``XUEJI_AUDIT_ANCHOR_PATH``) is read without any option; after a clean check the verified
heads are appended to it.
"""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError

from xueji.audit import rules
from xueji.audit.models import AuditEntry
from xueji.audit.services import (
    VERIFY_CHUNK_SIZE,
    anchor_verified,
    chain_label,
    verify_audit_log,
)

_ANCHOR = re.compile(r"^(?:([0-9]{2,6}):)?(\d+):([0-9a-f]{64})$")


class Command(BaseCommand):
    help = "校验审计日志的每条分区链(内容被篡改、记录缺失、末尾记录被删除、链头被回退),并与锚点文件核对。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--chunk-size", type=int, default=VERIFY_CHUNK_SIZE,
            help=f"每次读取的记录数(默认 {VERIFY_CHUNK_SIZE})",
        )
        parser.add_argument(
            "--anchor", action="append", default=[], metavar="[链:]序号:哈希",
            help="另外保存的链头(本命令输出的“链头”一行),可多次给出;不写链时为全国链 00。"
            "锚点文件已自动核对,此选项只用于额外的人工记录。",
        )

    def handle(self, *args, chunk_size: int, anchor: list[str], **options):
        extra = []
        for text in anchor:
            match = _ANCHOR.match(text.strip().lower())
            if not match:
                raise CommandError(f"锚点格式应为 [链:]序号:64位十六进制哈希,而不是 {text!r}")
            extra.append((match[1] or rules.NATIONAL_CHAIN, int(match[2]), match[3]))

        verdict = verify_audit_log(chunk_size=max(1, chunk_size))
        for chain in verdict.chains:
            self.stdout.write(self._chain_line(chain, verdict))
        for warning in verdict.warnings:
            self.stdout.write(f"警告: {warning}")

        problems = [f"{chain_label(v.chain)}: {v.message}" for v in verdict.broken]
        problems += verdict.anchor_problems
        for chain, seq, expected in extra:
            stored = (AuditEntry.objects.filter(chain=chain, seq=seq)
                      .values_list("entry_hash", flat=True).first())
            if stored is None:
                problems.append(f"{chain_label(chain)}: 审计日志校验失败: 第 {seq} 条 末尾记录被删除。"
                                f"锚点记录的第 {seq} 条已不存在。")
            elif stored != expected:
                problems.append(f"{chain_label(chain)}: 审计日志校验失败: 第 {seq} 条 与锚点不符。"
                                "其哈希与锚点不符。")
        if problems:
            raise CommandError("\n".join(problems))

        written = anchor_verified(verdict)
        self.stdout.write(verdict.message)
        self.stdout.write(f"锚点文件: {verdict.anchor_path}(本次写入 {written} 条)")

    @staticmethod
    def _chain_line(v: rules.Verdict, verdict: rules.LogVerdict) -> str:
        label = chain_label(v.chain)
        if not v.ok:
            return f"{label}: 校验失败: 第 {v.broken_seq} 条 {v.reason}"
        anchor = verdict.anchors.get(v.chain)
        anchored = (f",锚点 第 {anchor.seq} 条({anchor.local_time})" if anchor else "")
        head = f"链头: {v.chain}:{v.last_seq}:{v.last_hash}" if v.count else "链头: 空"
        return f"{label}: 完整 {v.count} 条{anchored};{head}"
