"""Data of 日常管理. Each section belongs to one business."""

from __future__ import annotations

from django.db import models

from .transfer_models import RecordTransfer, RecordTransferStatus, TransferPlacement  # noqa: F401 (省内转学, 学籍转移)


# ======================================================================================
# 关键数据变更: the 查重认证 of a request (SPEC F-43)
# ======================================================================================
class CheckStatus(models.TextChoices):
    PASSED = "passed", "认证通过"
    FAILED = "failed", "认证不通过"
    PENDING = "pending", "未认证"
    NOT_APPLICABLE = "na", "无需认证"


class KeyChangeCheck(models.Model):
    """查重认证 of one key data change: the identity it reserved (查重: the claim is held by
    the business until it completes or ends) and the population registry's answer (认证).
    While 认证 is pending the business waits on the engine's ``dedup_pending`` hold."""

    business = models.OneToOneField("workflow.Business", verbose_name="业务", on_delete=models.CASCADE,
                                    related_name="key_change_check")
    identity_key = models.CharField("占用的证件", max_length=40, blank=True)
    verify_status = models.CharField("认证状态", max_length=8, choices=CheckStatus.choices,
                                     default=CheckStatus.NOT_APPLICABLE)
    verify_note = models.CharField("认证说明", max_length=200, blank=True)
    checked_at = models.DateTimeField("认证时间", null=True, blank=True)

    class Meta:
        verbose_name = "关键数据变更查重认证"
        verbose_name_plural = "关键数据变更查重认证"
        indexes = [models.Index(fields=["verify_status"], name="keychange_verify_status")]

    def __str__(self) -> str:
        return f"{self.business_id}:{self.get_verify_status_display()}"

    @property
    def text(self) -> str:
        """查重认证 as reviewers read it."""
        dedup = "查重通过" if self.identity_key else "无需查重"
        text = f"{dedup},{self.get_verify_status_display()}"
        return text + (f"({self.verify_note})" if self.verify_note else "")
