"""The database mirror of the code tables (``tables.TABLES`` is the source of truth).

The mirror lets reports and SQL join on code names and keeps codes that were once valid
(``is_active=False``) so old records still show a name. ``services.load_code_tables``
keeps it in step with ``TABLES``.
"""

from __future__ import annotations

from django.db import models


class CodeTableRecord(models.Model):
    """代码表: one national code table, keyed like ``tables.TABLES``."""

    key = models.CharField("代码表标识", max_length=40, primary_key=True)
    name = models.CharField("代码表名称", max_length=50)
    standard = models.TextField("依据标准", blank=True)
    source = models.TextField("取值来源", blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "代码表"
        verbose_name_plural = "代码表"
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.name}({self.key})"


class CodeItem(models.Model):
    """代码项: one code of a table with its Chinese name and display order."""

    table = models.ForeignKey(
        CodeTableRecord, verbose_name="代码表", on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField("代码", max_length=10)
    name = models.CharField("名称", max_length=100)
    sort_order = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("是否启用", default=True)

    class Meta:
        verbose_name = "代码项"
        verbose_name_plural = "代码项"
        ordering = ["table", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="codes_item_unique_table_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
