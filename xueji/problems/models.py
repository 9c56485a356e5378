"""问题学籍 (SPEC F-50): a group of records that share a problem. Handling (变更, 佐证,
删除, 仲裁) is a later feature; registration and initial data collection create groups."""

from __future__ import annotations

from django.db import models


class ProblemKind(models.TextChoices):
    ID_ERROR = "id_error", "身份证件号错误"
    ID_DUPLICATE = "id_duplicate", "身份证件号重复"
    NO_ID_DUPLICATE = "no_id_duplicate", "无身份证件号姓名性别出生日期重复"


class ProblemGroup(models.Model):
    """一组问题学籍."""

    kind = models.CharField("问题类型", max_length=20, choices=ProblemKind.choices)
    historical = models.BooleanField("历史问题学籍", default=False, help_text="首次数据采集时产生")
    resolved = models.BooleanField("已处理完毕", default=False)
    resolved_at = models.DateTimeField("处理完毕时间", null=True, blank=True)
    resolution = models.CharField("处理结果", max_length=200, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("产生时间", auto_now_add=True)
    students = models.ManyToManyField("students.Student", through="ProblemMember", related_name="problem_groups")

    class Meta:
        verbose_name = "问题学籍"
        verbose_name_plural = "问题学籍"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}#{self.pk}"


class ProblemMember(models.Model):
    group = models.ForeignKey(ProblemGroup, on_delete=models.CASCADE, related_name="members")
    student = models.ForeignKey("students.Student", on_delete=models.PROTECT, related_name="problem_memberships")
    joined_at = models.DateTimeField("加入时间", auto_now_add=True)

    class Meta:
        verbose_name = "问题学籍成员"
        verbose_name_plural = "问题学籍成员"
        constraints = [models.UniqueConstraint(fields=["group", "student"], name="problem_member_unique")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.student_id}"
