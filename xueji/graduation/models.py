"""毕业 data (F-60, F-61): who graduated in which batch, as what, when; the 毕业去向 kept
afterwards; a 毕业生退回 with its reason. The record itself (学籍状态) is written by
``students.services`` only; these rows are the graduation's own facts."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class GraduationKind(models.TextChoices):
    GRADUATED = "20", "毕业"
    COMPLETED = "21", "结业"
    INCOMPLETE = "22", "肄业"


class GraduationSettings(models.Model):
    """毕业设置 of a province: whether unresolved problem records (问题学籍) of a grade
    refuse its graduation (default: not required)."""

    authority = models.OneToOneField("org.Authority", verbose_name="设置单位", on_delete=models.CASCADE,
                                     related_name="graduation_settings")
    require_problems_resolved = models.BooleanField("毕业前须处理完问题学籍", default=False)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "毕业设置"
        verbose_name_plural = "毕业设置"

    def __str__(self) -> str:
        return f"{self.authority_id}:{self.require_problems_resolved}"


class Graduate(models.Model):
    """One graduation of one student (a student graduates from each stage once; a
    退回 closes the row, a later graduation writes a new one)."""

    student = models.ForeignKey("students.Student", verbose_name="学生", on_delete=models.PROTECT,
                                related_name="graduations")
    # batch and school: the graduation batch writing the row and the record's school, both
    # copied in that batch's transaction — no foreign-key constraint in the database
    # (DECISIONS 194); the ORM's PROTECT still refuses deleting what a graduate names.
    batch = models.ForeignKey("workflow.BatchOperation", verbose_name="批量业务", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", db_constraint=False)
    school = models.ForeignKey("org.School", verbose_name="毕业学校", on_delete=models.PROTECT, related_name="+",
                               db_constraint=False)
    stage = models.CharField("教育阶段", max_length=1)
    grade_name = models.CharField("年级", max_length=30, blank=True)
    kind = models.CharField("毕业类型", max_length=2, choices=GraduationKind.choices)
    graduated_on = models.DateField("毕业日期")
    past = models.BooleanField("往届生毕业", default=False)
    destination = models.CharField("毕业去向", max_length=2, blank=True)
    destination_note = models.CharField("毕业去向说明", max_length=100, blank=True)
    returned = models.BooleanField("已退回", default=False)
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="退回人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    returned_by_name = models.CharField("退回人姓名", max_length=50, blank=True)
    returned_unit = models.CharField("退回单位", max_length=100, blank=True)
    return_reason = models.CharField("退回原因", max_length=200, blank=True)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "毕业生"
        verbose_name_plural = "毕业生"
        ordering = ["-graduated_on", "student_id"]
        indexes = [
            models.Index(fields=["school", "graduated_on"], name="graduate_school_date"),
            models.Index(fields=["student", "returned"], name="graduate_student_returned"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["student", "stage", "kind"], condition=models.Q(returned=False),
                                    name="graduate_live_once_per_stage_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}:{self.kind}@{self.graduated_on}"

    @property
    def destination_label(self) -> str:
        """毕业去向 as "01-升学" ('' when not set)."""
        from xueji.codes import tables

        return tables.label("graduation_destination", self.destination) if self.destination else ""
