"""重复招生 (F-65) data: the handling of one :class:`~xueji.admission.models.DuplicateAdmission`
(:class:`DuplicateCase`: where it stands, its arbiter, the arbitration) and each admitting
school's evidence (:class:`DuplicateEvidence`: 佐证 = proof material + 学校意见, reviewed by
the school's supervising authority through the engine). The admission rows themselves
(``AdmissionResult``: 已撤销, held or not) belong to ``xueji.admission``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class CaseState(models.TextChoices):
    """重复招生的处理状态 (docs/DUPLICATE_ADMISSION.md)."""

    EVIDENCE = "evidence", "待佐证核办"
    ARBITRATION = "arbitration", "待仲裁"
    RESOLVED = "resolved", "已处理"


class Resolution(models.TextChoices):
    """How a duplicate ended."""

    ARBITRATED = "arbitrated", "仲裁"
    ALL_FAILED = "all_failed", "仲裁均不通过"
    WITHDRAWN = "withdrawn", "学校放弃录取"


class DuplicateCase(models.Model):
    """重复招生处理 of one duplicate admission: created with the first write of this app
    (a 佐证, a 放弃录取). ``arbiter`` is the lowest common superior authority of the
    admitting schools, set when every live admission's evidence passed review."""

    duplicate = models.OneToOneField("admission.DuplicateAdmission", verbose_name="重复招生", on_delete=models.CASCADE,
                                     related_name="case")
    state = models.CharField("处理状态", max_length=12, choices=CaseState.choices, default=CaseState.EVIDENCE)
    arbiter = models.ForeignKey("org.Authority", verbose_name="仲裁单位", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    resolution = models.CharField("处理方式", max_length=12, choices=Resolution.choices, blank=True)
    passed = models.ForeignKey("admission.AdmissionResult", verbose_name="仲裁通过的录取", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    arbitration_opinion = models.CharField("仲裁意见", max_length=200, blank=True)
    arbitrated_at = models.DateTimeField("仲裁时间", null=True, blank=True)
    arbitrated_by_name = models.CharField("仲裁人", max_length=50, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "重复招生处理"
        verbose_name_plural = "重复招生处理"
        indexes = [models.Index(fields=["arbiter", "state"], name="dupcase_arbiter_state")]

    def __str__(self) -> str:
        return f"重复招生{self.duplicate_id}:{self.state}"


class EvidenceState(models.TextChoices):
    REVIEWING = "reviewing", "核办中"
    PASSED = "passed", "核办通过"
    REFUSED = "refused", "核办不通过"
    WITHDRAWN = "withdrawn", "已撤销"


#: Evidence states that count (one at most per admission: a second 佐证 is refused).
LIVE_EVIDENCE = (EvidenceState.REVIEWING, EvidenceState.PASSED)


class DuplicateEvidence(models.Model):
    """佐证 of one admitting school for its admission (``admission``) in a duplicate: the
    学校意见 here, the proof material on the engine's ``business`` (``Material``), the
    supervising authority's 核办 as the business's decision. Refused → the school may
    evidence again (a new row) or give the admission up."""

    case = models.ForeignKey(DuplicateCase, verbose_name="重复招生处理", on_delete=models.CASCADE,
                             related_name="evidence")
    admission = models.ForeignKey("admission.AdmissionResult", verbose_name="录取", on_delete=models.PROTECT,
                                  related_name="+")
    school = models.ForeignKey("org.School", verbose_name="录取学校", on_delete=models.PROTECT, related_name="+")
    business = models.OneToOneField("workflow.Business", verbose_name="佐证核办业务", on_delete=models.PROTECT,
                                    related_name="+")
    school_opinion = models.CharField("学校意见", max_length=200)
    state = models.CharField("核办状态", max_length=10, choices=EvidenceState.choices, default=EvidenceState.REVIEWING)
    review_opinion = models.CharField("核办意见", max_length=200, blank=True)
    reviewed_unit = models.CharField("核办单位", max_length=100, blank=True)
    submitted_by_name = models.CharField("佐证人", max_length=50, blank=True)
    created_at = models.DateTimeField("佐证时间", auto_now_add=True)
    decided_at = models.DateTimeField("核办时间", null=True, blank=True)

    class Meta:
        verbose_name = "重复招生佐证"
        verbose_name_plural = "重复招生佐证"
        constraints = [
            models.UniqueConstraint(fields=["admission"], condition=Q(state__in=["reviewing", "passed"]),
                                    name="dupevidence_live_once_per_admission"),
        ]
        indexes = [models.Index(fields=["case", "state"], name="dupevidence_case_state")]

    def __str__(self) -> str:
        return f"佐证{self.admission_id}:{self.state}"
