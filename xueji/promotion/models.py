"""升级 (F-62): when each province promotes (``PromotionMoment``), each promotion of a
province and school year (``PromotionRun``) and its checkpoint and report per school
(``SchoolPromotion``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class PromotionMoment(models.Model):
    """升级时间: the moment a province (or, as the national default, the ministry)
    promotes every year — month, day and time (24:00 = the end of that day)."""

    authority = models.OneToOneField("org.Authority", verbose_name="设置单位", on_delete=models.CASCADE,
                                     related_name="promotion_moment")
    month = models.PositiveSmallIntegerField("月")
    day = models.PositiveSmallIntegerField("日")
    hour = models.PositiveSmallIntegerField("时", default=24)
    minute = models.PositiveSmallIntegerField("分", default=0)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="设置人", null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField("设置时间", auto_now=True)

    class Meta:
        verbose_name = "升级时间"
        verbose_name_plural = "升级时间"
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=24, minute__lte=59), name="promotion_moment_time"),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.month}月{self.day}日 {self.hour:02d}:{self.minute:02d}"


class RunStatus(models.TextChoices):
    RUNNING = "running", "升级中"
    DONE = "done", "已完成"
    PARTIAL = "partial", "部分学校未升级"
    STOPPED = "stopped", "已中断"


class PromotionRun(models.Model):
    """One province's 升级 into one school year. Run again (after a crash, or after
    blocked schools graduated their final grades) it goes on from its checkpoints."""

    authority = models.ForeignKey("org.Authority", verbose_name="省级教育行政部门", on_delete=models.PROTECT,
                                  related_name="promotion_runs")
    school_year = models.PositiveSmallIntegerField("升级学年", help_text="升入的学年的起始年份")
    status = models.CharField("状态", max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    job = models.ForeignKey("jobs.Job", verbose_name="后台任务", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    window = models.ForeignKey("workflow.BusinessWindow", verbose_name="业务时间控制", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    schools = models.PositiveIntegerField("学校数", default=0)
    promoted_schools = models.PositiveIntegerField("已升级学校数", default=0)
    blocked_schools = models.PositiveIntegerField("未升级学校数", default=0)
    moved = models.PositiveIntegerField("升级人数", default=0)

    class Meta:
        verbose_name = "升级"
        verbose_name_plural = "升级"
        ordering = ["-school_year", "authority"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "school_year"], name="promotion_run_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.school_year}-{self.school_year + 1}学年升级"


class SchoolState(models.TextChoices):
    PROMOTED = "promoted", "已升级"
    BLOCKED = "blocked", "未升级"


class SchoolPromotion(models.Model):
    """A school's checkpoint and report in a run: written in the transaction that
    promoted it (so a school is promoted once), or that found it blocked (re-examined
    by the next run). ``grades``: [{grade, before, after, count}]; ``blockers``: the
    final grades with 在校 students [{grade, count}]; ``notes``: what else did not move."""

    run = models.ForeignKey(PromotionRun, verbose_name="升级", on_delete=models.CASCADE, related_name="schools_done")
    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    state = models.CharField("结果", max_length=10, choices=SchoolState.choices)
    moved = models.PositiveIntegerField("升级人数", default=0)
    grades = models.JSONField("升级的年级", default=list, blank=True)
    blockers = models.JSONField("未毕业的毕业年级", default=list, blank=True)
    notes = models.JSONField("未升级的学生", default=list, blank=True)
    at = models.DateTimeField("时间", auto_now=True)

    class Meta:
        verbose_name = "学校升级结果"
        verbose_name_plural = "学校升级结果"
        ordering = ["run", "school"]
        constraints = [
            models.UniqueConstraint(fields=["run", "school"], name="school_promotion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.get_state_display()}"
