"""问题学籍 (SPEC F-50 … F-53): a group of records that share a problem, and its handling.

The state machine (pure, in :mod:`xueji.problems.rules`; written by
:mod:`xueji.problems.services`):

- each member has a :class:`MemberState`; ``must_act`` marks whose turn it is (the school
  of that record must choose a 处理方式 now). At first the record registered — or
  key-changed — latest (``rank``) acts; 佐证 passes the turn to the next latest;
- an action (变更 / 佐证 / 删除) is a business of the engine (``business``); while it is
  open the member is ``ACTING`` and the group ``REVIEWING``;
- when every live member evidenced, the group waits for ``arbiter`` (the lowest common
  superior authority of their schools; 教育部 across provinces) — ``ARBITRATION``;
- after arbitration the member that passed keeps its identity (``PASSED``), the others
  (``FAILED``) must change or delete — all of them at once (``RETURNED``);
- a group whose problem is gone (one live holder left, or none) is ``RESOLVED``.
"""

from __future__ import annotations

from django.db import models


class ProblemKind(models.TextChoices):
    ID_ERROR = "id_error", "身份证件号错误"
    ID_DUPLICATE = "id_duplicate", "身份证件号重复"
    NO_ID_DUPLICATE = "no_id_duplicate", "无身份证件号姓名性别出生日期重复"


class GroupState(models.TextChoices):
    """问题学籍的处理状态 (of the group)."""

    WAITING = "waiting", "待学校处理"
    REVIEWING = "reviewing", "处理审核中"
    ARBITRATION = "arbitration", "待仲裁"
    RETURNED = "returned", "仲裁后待学校处理"
    RESOLVED = "resolved", "已处理完毕"


class MemberState(models.TextChoices):
    """组内一条学籍的处理状态."""

    PENDING = "pending", "待处理"
    ACTING = "acting", "处理审核中"
    EVIDENCED = "evidenced", "已佐证"
    AUTO_EVIDENCED = "auto_evidenced", "自动佐证"
    CHANGED = "changed", "已变更"
    DELETED = "deleted", "已删除"
    PASSED = "passed", "仲裁通过"
    FAILED = "failed", "仲裁不通过"


class Method(models.TextChoices):
    """处理方式."""

    CHANGE = "change", "变更"
    EVIDENCE = "evidence", "佐证"
    DELETE = "delete", "删除"


class ProblemGroup(models.Model):
    """一组问题学籍."""

    kind = models.CharField("问题类型", max_length=20, choices=ProblemKind.choices)
    historical = models.BooleanField("历史问题学籍", default=False, help_text="首次数据采集时产生")
    state = models.CharField("处理状态", max_length=12, choices=GroupState.choices, default=GroupState.WAITING)
    resolved = models.BooleanField("已处理完毕", default=False)
    resolved_at = models.DateTimeField("处理完毕时间", null=True, blank=True)
    resolution = models.CharField("处理结果", max_length=200, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    cross_province = models.BooleanField("跨省问题学籍", default=False, help_text="组内学籍在不同省份")
    arbiter = models.ForeignKey("org.Authority", verbose_name="仲裁单位", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    turn_since = models.DateTimeField("本轮开始时间", null=True, blank=True)
    turn_due = models.DateTimeField("本轮办理期限", null=True, blank=True)
    locked = models.BooleanField("是否锁定", default=False)
    locked_at = models.DateTimeField("锁定时间", null=True, blank=True)
    lock_reason = models.CharField("锁定原因", max_length=100, blank=True)
    created_at = models.DateTimeField("产生时间", auto_now_add=True)
    updated_at = models.DateTimeField("最近变动时间", auto_now=True, db_index=True)
    students = models.ManyToManyField("students.Student", through="ProblemMember", related_name="problem_groups")

    class Meta:
        verbose_name = "问题学籍"
        verbose_name_plural = "问题学籍"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "turn_due"], name="problem_group_state_due"),
            models.Index(fields=["arbiter", "state"], name="problem_group_arbiter"),
            models.Index(fields=["resolved", "resolved_at"], name="problem_group_resolved"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}#{self.pk}"


class ProblemMember(models.Model):
    """组内的一条学籍和它的处理情况."""

    group = models.ForeignKey(ProblemGroup, on_delete=models.CASCADE, related_name="members")
    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="problem_memberships")
    joined_at = models.DateTimeField("加入时间", auto_now_add=True)
    rank = models.DateTimeField("注册或关键数据变更时间", null=True, blank=True,
                                help_text="后注册(或后变更关键数据)的学籍先处理")
    state = models.CharField("处理状态", max_length=16, choices=MemberState.choices, default=MemberState.PENDING)
    must_act = models.BooleanField("待本校处理", default=False)
    method = models.CharField("处理方式", max_length=10, choices=Method.choices, blank=True)
    business = models.ForeignKey("workflow.Business", verbose_name="处理业务", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    acted_at = models.DateTimeField("处理完成时间", null=True, blank=True)
    opinion = models.CharField("仲裁意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "问题学籍成员"
        verbose_name_plural = "问题学籍成员"
        constraints = [models.UniqueConstraint(fields=["group", "student"], name="problem_member_unique")]
        indexes = [models.Index(fields=["must_act", "student"], name="problem_member_turn")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.student_id}"


class ProblemEvent(models.Model):
    """问题学籍处理记录: each step of a group (产生, 处理申请, 审核结果, 自动佐证, 仲裁, 锁定 …),
    shown on the group's page in order."""

    group = models.ForeignKey(ProblemGroup, on_delete=models.CASCADE, related_name="events")
    member = models.ForeignKey(ProblemMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField("事项", max_length=40)
    unit = models.CharField("办理单位", max_length=100, blank=True)
    actor_name = models.CharField("办理人", max_length=100, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "问题学籍处理记录"
        verbose_name_plural = "问题学籍处理记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.action}"


class ProblemReminder(models.Model):
    """催办: an authority (or the system, for an overdue turn) reminds the school whose turn it is."""

    group = models.ForeignKey(ProblemGroup, on_delete=models.CASCADE, related_name="reminders")
    school = models.ForeignKey("org.School", on_delete=models.CASCADE, related_name="problem_reminders")
    sender = models.CharField("催办单位", max_length=100)
    sender_name = models.CharField("催办人", max_length=100, blank=True)
    message = models.CharField("内容", max_length=200)
    sent_at = models.DateTimeField("催办时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "问题学籍催办"
        verbose_name_plural = "问题学籍催办"
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["school", "read_at"], name="problem_reminder_unread")]

    def __str__(self) -> str:
        return f"{self.group_id}→{self.school_id}"


class ProblemSettings(models.Model):
    """问题学籍处理设置 of a province (or 教育部, the national default): the deadline of a
    turn and the admission lock switch (F-53)."""

    authority = models.OneToOneField("org.Authority", verbose_name="设置单位", on_delete=models.CASCADE,
                                     related_name="problem_settings")
    turn_days = models.PositiveSmallIntegerField("每轮办理期限(工作日)", default=10)
    admission_lock = models.BooleanField("招生期间锁定毕业生问题学籍", default=False)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "问题学籍处理设置"
        verbose_name_plural = "问题学籍处理设置"

    def __str__(self) -> str:
        return f"{self.authority_id}:{self.turn_days}"
