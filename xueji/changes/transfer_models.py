"""省内转学 (F-48) and 学生学籍转移 (F-92): what the engine's business and batch records do
not hold — the students a transfer brought in who wait for a class (待分班), and the
receiving school's confirmation of a record transfer. Data and constraints only; every
write is in ``transfer_services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class TransferPlacement(models.Model):
    """转入待分班: a student moved into a school by a transfer (a 省内转学 business or a
    学籍转移 batch), waiting for the receiving school to place them in a class. Placed:
    ``placed_at`` and ``klass`` set."""

    business = models.OneToOneField("workflow.Business", verbose_name="转学业务", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey("workflow.BatchOperation", verbose_name="学籍转移", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey("students.Student", verbose_name="学生", on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey("org.School", verbose_name="转入学校", on_delete=models.PROTECT, related_name="+")
    grade = models.ForeignKey("org.Grade", verbose_name="转入年级", on_delete=models.PROTECT, related_name="+")
    from_school = models.ForeignKey("org.School", verbose_name="转出学校", on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField("调档时间", auto_now_add=True)
    klass = models.ForeignKey("org.SchoolClass", verbose_name="分入班级", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField("分班时间", null=True, blank=True)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="分班人", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "转入待分班"
        verbose_name_plural = "转入待分班"
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["school", "placed_at"], name="transfer_placement_waiting")]
        constraints = [
            models.CheckConstraint(condition=Q(business__isnull=False) | Q(batch__isnull=False),
                                   name="transfer_placement_has_origin"),
            models.CheckConstraint(condition=Q(placed_at__isnull=True) | Q(klass__isnull=False),
                                   name="transfer_placement_placed_in_class"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}→{self.school_id}"

    @property
    def is_placed(self) -> bool:
        return self.placed_at is not None


class RecordTransferStatus(models.TextChoices):
    WAITING = "waiting", "待转入学校确认"
    CONFIRMED = "confirmed", "已确认转入"
    REFUSED = "refused", "转入学校拒绝"
    CANCELLED = "cancelled", "已撤销"


class RecordTransfer(models.Model):
    """学生学籍转移 (F-92): the common superior authority of two schools moves students of
    one school (a grade, a class or chosen students) to the other; the receiving school
    confirms or refuses. The students and the set-based move are the batch operation's
    (``workflow.BatchOperation``, its members and chunks); this row is the confirmation."""

    batch = models.OneToOneField("workflow.BatchOperation", verbose_name="批量业务", on_delete=models.PROTECT,
                                 related_name="+")
    from_school = models.ForeignKey("org.School", verbose_name="转出学校", on_delete=models.PROTECT,
                                    related_name="+")
    to_school = models.ForeignKey("org.School", verbose_name="转入学校", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=RecordTransferStatus.choices,
                              default=RecordTransferStatus.WAITING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_by_name = models.CharField("确认人姓名", max_length=50, blank=True)
    opinion = models.CharField("意见", max_length=200, blank=True)
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    created_at = models.DateTimeField("发起时间", auto_now_add=True)

    class Meta:
        verbose_name = "学生学籍转移"
        verbose_name_plural = "学生学籍转移"
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["to_school", "status"], name="record_transfer_to_confirm")]
        constraints = [
            models.CheckConstraint(condition=~Q(from_school=models.F("to_school")),
                                   name="record_transfer_two_schools"),
        ]

    def __str__(self) -> str:
        return f"{self.from_school_id}→{self.to_school_id}"
