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

from . import registry, rules


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
    deadline_days = models.PositiveSmallIntegerField(
        "办理期限(工作日)", default=rules.DEFAULT_DEADLINE_DAYS,
        help_text="每个审核环节的办理期限,按工作日计算(周六、周日不计)",
    )
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

    ``chain`` is resolved when the business starts (a list of ``{level, party, school_id,
    authority_id, unit}`` — ``rules.Step``; ``school_id`` is set at a school step,
    ``authority_id`` at an authority step) and does not change with later configuration.
    ``position`` indexes the step it waits at; ``current_level``, ``current_school`` (the
    school whose leader decides now) and ``current_authority`` repeat that step so queues
    are one indexed query. ``school`` is the applicant school; the other parties' schools
    of a multi-party business (a transfer's sending school) are :class:`BusinessParty`
    rows."""

    kind = models.CharField("业务类型", max_length=40)
    # Indexes: every one costs each insert of an Excel import, so only those the queues,
    # lists and constraints use (``Meta.indexes``); the school is the first column of
    # business_school_status, and the rare deletion of a user or authority may scan.
    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="businesses",
                               db_index=False)
    # Indexed only where set (``business_student``, DECISIONS 201): an import's registrations
    # have no record yet, and an index entry per NULL would be written for each of them.
    student = models.ForeignKey(
        "students.Student", verbose_name="学生", null=True, blank=True, on_delete=models.PROTECT,
        related_name="businesses", db_index=False,
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="applied_businesses",
        db_index=False, db_constraint=False,  # the acting user, a copy (DECISIONS 199)
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
    # A copy of the current step's school (``chain[position]``), written by the engine only:
    # no foreign-key constraint in the database, so an import's insert does not check the
    # school a second time per row (it is ``school`` itself at the first step).
    current_school = models.ForeignKey(
        "org.School", verbose_name="当前审核学校", null=True, blank=True, on_delete=models.DO_NOTHING,
        related_name="+", db_index=False, db_constraint=False,
    )
    current_authority = models.ForeignKey(
        "org.Authority", verbose_name="当前审核单位", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False, db_constraint=False,  # a copy of chain[position], as current_school
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )
    close_note = models.CharField("结束说明", max_length=200, blank=True)
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    finished_at = models.DateTimeField("办结时间", null=True, blank=True)
    # 办理期限 of the current step: when it was reached and when it is due (working days of
    # the step's configuration, ``rules.add_working_days``), written by the engine only.
    step_since = models.DateTimeField("进入当前环节时间", null=True, blank=True)
    step_due = models.DateTimeField("当前环节办理期限", null=True, blank=True)

    class Meta:
        verbose_name = "业务"
        verbose_name_plural = "业务"
        ordering = ["-created_at"]
        indexes = [
            # the two queues: a school leader's (current_school), an authority's
            models.Index(fields=["status", "current_school"], name="business_leader_queue"),
            models.Index(fields=["status", "current_authority"], name="business_authority_queue"),
            models.Index(fields=["school", "status", "kind"], name="business_school_status"),
            models.Index(fields=["kind", "status"], name="business_kind_status"),
            models.Index(fields=["student"], name="business_student", condition=Q(student__isnull=False)),
        ]
        constraints = [
            # 一个学生同时只能有一项在办业务 (SPEC principles, F-31).
            models.UniqueConstraint(
                fields=["student"], condition=Q(status="open", student__isnull=False),
                name="business_one_open_per_student",
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
    def btype(self) -> registry.BusinessType | None:
        return registry.find(self.kind)

    @property
    def current_party(self) -> str:
        """The party (转入方 …) the current step serves, for a multi-party business."""
        step = self.current_step
        return rules.party_label(self.btype, step) if step else ""

    @property
    def current_unit(self) -> str:
        step = self.current_step
        return step["unit"] if step else ""

    @property
    def current_level_display(self) -> str:
        step = self.current_step
        if step is None:
            return ""
        party = rules.party_label(self.btype, step)
        level = registry.LEVEL_NAMES.get(step["level"], "审核")
        return f"{party + ' ' if party else ''}{level}({step['unit']})"

    @property
    def hold_message(self) -> str:
        return registry.hold_message(self.hold) if self.hold else ""

    def is_overdue(self, now=None) -> bool:
        """超期: open and past the current step's deadline."""
        from django.utils import timezone

        return self.is_open and rules.is_overdue(self.step_due, now or timezone.now())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    def waiting_days(self, now=None) -> int:
        """Working days the business has waited at its current step."""
        from django.utils import timezone

        if not self.is_open:
            return 0
        since = self.step_since or self.created_at
        now = now or timezone.now()
        return rules.working_days_between(timezone.localdate(since), timezone.localdate(now))

    @property
    def hold_name(self) -> str:
        if not self.hold:
            return ""
        hold = registry.find_hold(self.hold)
        return hold.name if hold else self.hold

    @property
    def chain_display(self) -> str:
        return " → ".join(registry.LEVEL_NAMES.get(s["level"], "审核") for s in self.chain)


class BusinessParty(models.Model):
    """业务当事方: a school of a multi-party business (a transfer's receiving and sending
    schools), so each party's users and authorities find it with one indexed query.
    Single-party businesses have no rows: their applicant school is ``Business.school``."""

    business = models.ForeignKey(Business, verbose_name="业务", on_delete=models.CASCADE, related_name="parties")
    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("当事方", max_length=20)

    class Meta:
        verbose_name = "业务当事方"
        verbose_name_plural = "业务当事方"
        ordering = ["business", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["business", "role"], name="business_party_once"),
        ]

    def __str__(self) -> str:
        return f"{self.business_id} {self.role} {self.school_id}"


class Decision(models.Model):
    """审核记录: one level's pass or fail, with a copy of the unit and reviewer names."""

    #: no index of its own: ``decision_once_per_step`` (business, position) leads with it
    business = models.ForeignKey(Business, verbose_name="业务", on_delete=models.PROTECT, related_name="decisions",
                                 db_index=False)
    position = models.PositiveSmallIntegerField("环节序号")
    level = models.CharField("审核环节", max_length=12, choices=Level.choices)
    # a copy of the step's authority (``business.chain``), written by the engine only: no
    # foreign-key constraint in the database (DECISIONS 194), as Business.current_school.
    # Neither it nor ``reviewer`` is indexed: decisions are read by their business only, and
    # authorities and users are deactivated, never deleted (DECISIONS 200).
    authority = models.ForeignKey(
        "org.Authority", verbose_name="审核单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False, db_constraint=False,
    )
    unit_name = models.CharField("审核单位名称", max_length=100)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False, db_constraint=False,  # the acting user, a copy (DECISIONS 199)
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


# --- batch operations (批量业务) ------------------------------------------------------------------
class BatchStatus(models.TextChoices):
    REVIEWING = "reviewing", "待审核"
    APPROVED = "approved", "待执行"
    APPLYING = "applying", "执行中"
    DONE = "done", "已完成"
    REJECTED = "rejected", "审核不通过"
    CANCELLED = "cancelled", "已撤销"


class BatchOperation(models.Model):
    """批量业务: one operation on many students at once (毕业 of a county's final grades,
    升级, 学籍转移 …), with its own record, chain and audit — not one business per
    student. The students are chosen when it is created (``BatchMember``, a snapshot the
    reviewers approve); an approved batch is applied in chunks, each chunk in its own
    transaction with its audit entry, so a run that stops can be resumed and nothing is
    done twice. The kinds are code (``batches.register_kind``)."""

    kind = models.CharField("批量业务类型", max_length=40)
    initiator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT,
                                  related_name="+")
    initiator_name = models.CharField("发起人姓名", max_length=50)
    school = models.ForeignKey("org.School", verbose_name="学校", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="batch_operations")
    authority = models.ForeignKey("org.Authority", verbose_name="教育行政部门", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="batch_operations")
    summary = models.CharField("摘要", max_length=200)
    criteria = models.JSONField("选择条件", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=BatchStatus.choices, default=BatchStatus.REVIEWING)
    chain = models.JSONField("审核流程", default=list, blank=True)
    position = models.PositiveSmallIntegerField("当前环节序号", default=0)
    current_level = models.CharField("当前审核环节", max_length=12, choices=Level.choices, blank=True)
    current_school = models.ForeignKey("org.School", verbose_name="当前审核学校", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    current_authority = models.ForeignKey("org.Authority", verbose_name="当前审核单位", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    total = models.PositiveIntegerField("学生数", default=0)
    succeeded = models.PositiveIntegerField("成功数", default=0)
    failed = models.PositiveIntegerField("失败数", default=0)
    close_note = models.CharField("结束说明", max_length=200, blank=True)
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    started_at = models.DateTimeField("开始执行时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "批量业务"
        verbose_name_plural = "批量业务"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(school__isnull=False, authority__isnull=True) | Q(school__isnull=True, authority__isnull=False),
                name="batch_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind_name} {self.summary}"

    @property
    def kind_name(self) -> str:
        return registry.batch_kind_name(self.kind)

    @property
    def unit_name(self) -> str:
        return self.school.name if self.school_id else self.authority.name

    @property
    def current_step(self) -> dict | None:
        if self.status != BatchStatus.REVIEWING or self.position >= len(self.chain):
            return None
        return self.chain[self.position]

    @property
    def current_level_display(self) -> str:
        step = self.current_step
        return f"{registry.LEVEL_NAMES.get(step['level'], '审核')}({step['unit']})" if step else ""

    @property
    def pending(self) -> int:
        return self.total - self.succeeded - self.failed


class MemberOutcome(models.TextChoices):
    PENDING = "pending", "待执行"
    DONE = "done", "成功"
    FAILED = "failed", "失败"


class BatchMember(models.Model):
    """A student of a batch operation and what became of it."""

    # written by the batch engine only, with its batch (DECISIONS 194): no foreign-key
    # constraint in the database; the ORM's CASCADE deletes members with their batch
    batch = models.ForeignKey(BatchOperation, verbose_name="批量业务", on_delete=models.CASCADE,
                              related_name="members", db_constraint=False)
    student = models.ForeignKey("students.Student", verbose_name="学生", on_delete=models.PROTECT,
                                related_name="+", db_index=False)
    outcome = models.CharField("结果", max_length=10, choices=MemberOutcome.choices, default=MemberOutcome.PENDING)
    message = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "批量业务学生"
        verbose_name_plural = "批量业务学生"
        constraints = [
            models.UniqueConstraint(fields=["batch", "student"], name="batch_member_once"),
        ]
        indexes = [
            # the next chunk: pending members of a batch in student order
            models.Index(fields=["batch", "outcome", "student"], name="batch_member_next"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.student_id} {self.outcome}"


class BatchDecision(models.Model):
    """审核记录 of a batch operation (the whole batch is reviewed once per step)."""

    batch = models.ForeignKey(BatchOperation, verbose_name="批量业务", on_delete=models.CASCADE,
                              related_name="decisions")
    position = models.PositiveSmallIntegerField("环节序号")
    level = models.CharField("审核环节", max_length=12, choices=Level.choices)
    authority = models.ForeignKey("org.Authority", verbose_name="审核单位", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    unit_name = models.CharField("审核单位名称", max_length=100)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    reviewer_name = models.CharField("审核人姓名", max_length=50)
    passed = models.BooleanField("审核通过")
    opinion = models.TextField("审核意见", blank=True)
    decided_at = models.DateTimeField("审核时间")

    class Meta:
        verbose_name = "批量业务审核记录"
        verbose_name_plural = "批量业务审核记录"
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="batch_decision_once_per_step"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_name} {'通过' if self.passed else '不通过'}"
