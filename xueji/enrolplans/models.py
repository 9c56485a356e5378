"""招生计划数 (F-63): the enrolment plan of a school for a year and a stage (the first
grade of the stage), set by the authorities; a school's request to change it
(招生计划数变更), reviewed through the engine (``workflow.Business``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from . import rules


class EnrolmentPlan(models.Model):
    """招生计划数 of one school, year (招生年度) and stage: how many pupils its first grade
    of that stage takes in."""

    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("招生年度")
    stage = models.CharField("教育阶段", max_length=1)
    planned = models.PositiveIntegerField("招生计划数")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_by_name = models.CharField("设置人姓名", max_length=50, blank=True)
    updated_unit = models.CharField("设置单位", max_length=100, blank=True)
    updated_at = models.DateTimeField("设置时间", auto_now=True)

    class Meta:
        verbose_name = "招生计划数"
        verbose_name_plural = "招生计划数"
        ordering = ["-year", "school_id", "stage"]
        indexes = [models.Index(fields=["year", "stage"], name="enrolplan_year_stage")]
        constraints = [
            models.UniqueConstraint(fields=["school", "year", "stage"], name="enrolplan_one_per_school_year_stage"),
            models.CheckConstraint(condition=Q(planned__gte=0) & Q(planned__lte=rules.PLAN_MAX),
                                   name="enrolplan_planned_bounds"),
            models.CheckConstraint(condition=Q(stage__in=("1", "2", "3")), name="enrolplan_stage_known"),
        ]

    def __str__(self) -> str:
        return f"{self.school_id}:{self.year}:{self.stage}={self.planned}"


class ChangeState(models.TextChoices):
    OPEN = "open", "审核中"
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "审核不通过"
    WITHDRAWN = "withdrawn", "已撤销"


class PlanChange(models.Model):
    """招生计划数变更: a school asks for another plan (with its reason); the business
    ``business`` carries it through the chain (the school's supervising authority)."""

    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("招生年度")
    stage = models.CharField("教育阶段", max_length=1)
    current = models.PositiveIntegerField("原计划数", null=True, blank=True)
    requested = models.PositiveIntegerField("申请计划数")
    reason = models.CharField("变更原因", max_length=200)
    state = models.CharField("状态", max_length=10, choices=ChangeState.choices, default=ChangeState.OPEN)
    business = models.OneToOneField("workflow.Business", verbose_name="业务", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_by_name = models.CharField("申请人姓名", max_length=50, blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    opinion = models.CharField("审核意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "招生计划数变更"
        verbose_name_plural = "招生计划数变更"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "school"], name="planchange_state_school")]
        constraints = [
            # one open request per school, year and stage (double submission, also under races)
            models.UniqueConstraint(fields=["school", "year", "stage"], condition=Q(state="open"),
                                    name="planchange_one_open"),
            models.CheckConstraint(condition=Q(requested__gte=0) & Q(requested__lte=rules.PLAN_MAX),
                                   name="planchange_requested_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.school_id}:{self.year}:{self.stage}→{self.requested}({self.state})"

    @property
    def stage_name(self) -> str:
        return rules.STAGE_NAMES.get(self.stage, "")
