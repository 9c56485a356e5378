"""Approval workflow (业务审批, SPEC F-05, F-30 … F-34): process configuration, businesses,
decisions, proof materials and business windows.

Data and constraints only. Business types are code (``registry.py``); the rules are in
``rules.py``, every write in ``services.py``, every read (scoped) in ``selectors.py``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from xueji.org.models import SchoolCategory, Stage

from . import registry


class Level(models.TextChoices):
    """审核环节."""

    SCHOOL = registry.SCHOOL, "学校"
    SUPERVISOR = registry.SUPERVISOR, "主管教育局"
    CITY = registry.CITY, "地市"
    PROVINCE = registry.PROVINCE, "省级"
    MINISTRY = registry.MINISTRY, "教育部"


class ProcessConfig(models.Model):
    """业务流程配置: the review chain of one business type for one 办学类型 and 教育阶段
    within a scope (the ministry = the whole country, or a province, city or county).
    The most specific scope that covers a school wins."""

    business_type = models.CharField("业务类型", max_length=40)
    category = models.CharField("办学类型", max_length=1, choices=SchoolCategory.choices)
    stage = models.CharField("教育阶段", max_length=1, choices=Stage.choices)
    scope = models.ForeignKey(
        "org.Authority", verbose_name="作用范围", on_delete=models.PROTECT, related_name="process_configs",
    )
    levels = models.JSONField("审核环节", help_text="审核环节代码,按审核顺序")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "业务流程配置"
        verbose_name_plural = "业务流程配置"
        ordering = ["business_type", "category", "stage", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_type", "category", "stage", "scope"], name="process_config_unique",
                violation_error_message="该业务流程配置已存在",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type_name} {self.get_category_display()} {self.get_stage_display()}"

    @property
    def type_name(self) -> str:
        return registry.type_name(self.business_type)

    @property
    def scope_prefix(self) -> str:
        return self.scope.prefix

    @property
    def chain_display(self) -> str:
        return registry.chain_display(self.levels or [])


class BusinessStatus(models.TextChoices):
    OPEN = "open", "在办"
    PASSED = "passed", "审核通过"
    FAILED = "failed", "审核不通过"
    WITHDRAWN = "withdrawn", "已撤销"


class Business(models.Model):
    """业务: one request (registration, change, 异动, transfer …) climbing its review chain.

    ``chain`` is resolved when the business starts (a list of ``{level, authority_id,
    unit}``; ``authority_id`` is null at the school step) and does not change with later
    configuration. ``position`` indexes the step it waits at; ``current_level`` and
    ``current_authority`` repeat that step so queues are one indexed query."""

    kind = models.CharField("业务类型", max_length=40)
    # Indexes: every one costs each insert of an Excel import, so only those the queues,
    # lists and constraints use (``Meta.indexes``); the school is the first column of
    # business_school_status, and the rare deletion of a user or authority may scan.
    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="businesses",
                               db_index=False)
    student = models.ForeignKey(
        "students.Student", verbose_name="学生", null=True, blank=True, on_delete=models.PROTECT,
        related_name="businesses",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="applied_businesses",
        db_index=False,
    )
    applicant_name = models.CharField("申请人姓名", max_length=50)
    category = models.CharField("办学类型", max_length=1, choices=SchoolCategory.choices)
    stage = models.CharField("教育阶段", max_length=1, choices=Stage.choices)
    summary = models.CharField("摘要", max_length=200)
    payload = models.JSONField("业务内容", default=dict, blank=True)
    chain = models.JSONField("审核流程")
    position = models.PositiveSmallIntegerField("当前环节序号", default=0)
    status = models.CharField("状态", max_length=10, choices=BusinessStatus.choices, default=BusinessStatus.OPEN)
    hold = models.CharField("暂停原因", max_length=30, blank=True)
    hold_note = models.CharField("暂停说明", max_length=200, blank=True)
    current_level = models.CharField("当前审核环节", max_length=12, choices=Level.choices, blank=True)
    current_authority = models.ForeignKey(
        "org.Authority", verbose_name="当前审核单位", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )
    close_note = models.CharField("结束说明", max_length=200, blank=True)
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    finished_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = "业务"
        verbose_name_plural = "业务"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "current_level", "school"], name="business_school_queue"),
            models.Index(fields=["status", "current_authority"], name="business_authority_queue"),
            models.Index(fields=["school", "status", "kind"], name="business_school_status"),
            models.Index(fields=["kind", "status"], name="business_kind_status"),
        ]
        constraints = [
            # 一个学生同时只能有一项在办业务 (SPEC principles, F-31).
            models.UniqueConstraint(
                fields=["student"], condition=Q(status="open"), name="business_one_open_per_student",
                violation_error_message="该学生已有在办业务",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(finished_at__isnull=False), name="business_finished_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind_name} {self.summary}"

    @property
    def kind_name(self) -> str:
        return registry.type_name(self.kind)

    @property
    def is_open(self) -> bool:
        return self.status == BusinessStatus.OPEN

    @property
    def current_step(self) -> dict | None:
        if not self.is_open or self.position >= len(self.chain):
            return None
        return self.chain[self.position]

    @property
    def current_unit(self) -> str:
        step = self.current_step
        return step["unit"] if step else ""

    @property
    def current_level_display(self) -> str:
        step = self.current_step
        if step is None:
            return ""
        return f"{registry.LEVEL_NAMES.get(step['level'], step['level'])}({step['unit']})"

    @property
    def hold_message(self) -> str:
        return registry.hold_message(self.hold) if self.hold else ""

    @property
    def hold_name(self) -> str:
        if not self.hold:
            return ""
        hold = registry.find_hold(self.hold)
        return hold.name if hold else self.hold

    @property
    def chain_display(self) -> str:
        return " → ".join(registry.LEVEL_NAMES.get(s["level"], s["level"]) for s in self.chain)


class Decision(models.Model):
    """审核记录: one level's pass or fail, with a copy of the unit and reviewer names."""

    business = models.ForeignKey(Business, verbose_name="业务", on_delete=models.PROTECT, related_name="decisions")
    position = models.PositiveSmallIntegerField("环节序号")
    level = models.CharField("审核环节", max_length=12, choices=Level.choices)
    authority = models.ForeignKey(
        "org.Authority", verbose_name="审核单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    unit_name = models.CharField("审核单位名称", max_length=100)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewer_name = models.CharField("审核人姓名", max_length=50)
    passed = models.BooleanField("审核通过")
    opinion = models.TextField("审核意见", blank=True)
    batch = models.BooleanField("全部审核", default=False)
    decided_at = models.DateTimeField("审核时间")

    class Meta:
        verbose_name = "审核记录"
        verbose_name_plural = "审核记录"
        ordering = ["business", "position"]
        constraints = [
            # A step is decided once: two reviewers racing can't both pass it.
            models.UniqueConstraint(fields=["business", "position"], name="decision_once_per_step"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_name} {'通过' if self.passed else '不通过'}"


def material_path(instance: Material, filename: str) -> str:
    """A random name under materials/YYYY/MM: the original name is kept in the row only."""
    from django.utils import timezone

    now = timezone.now()
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"materials/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class Material(models.Model):
    """证明材料: a JPG/PNG image (≤ 2 MB, checked by content) attached to a business.
    Served only through a permission-checked view, never from the media directory."""

    business = models.ForeignKey(Business, verbose_name="业务", on_delete=models.PROTECT, related_name="materials")
    file = models.FileField("文件", upload_to=material_path, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=30)
    size = models.PositiveIntegerField("大小(字节)")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.SET_NULL, related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "证明材料"
        verbose_name_plural = "证明材料"
        ordering = ["business", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class BusinessWindow(models.Model):
    """业务时间控制 (F-05): a province (or the ministry, nationwide) suspends initiating the
    chosen business types between two instants. Businesses started before go on."""

    authority = models.ForeignKey(
        "org.Authority", verbose_name="设置单位", on_delete=models.PROTECT, related_name="business_windows",
    )
    business_types = models.JSONField("暂停的业务类型")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField("设置时间", auto_now_add=True)

    class Meta:
        verbose_name = "业务时间控制"
        verbose_name_plural = "业务时间控制"
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["authority", "ends_at"], name="window_authority_end")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="window_ends_after_start",
                violation_error_message="结束时间应晚于开始时间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.starts_at:%Y-%m-%d}~{self.ends_at:%Y-%m-%d}"

    @property
    def type_names(self) -> list[str]:
        return [registry.type_name(code) for code in self.business_types or []]
