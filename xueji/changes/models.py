"""Data of 日常管理. Each section belongs to one business."""

from __future__ import annotations

from django.db import models

from .transfer_models import RecordTransfer, RecordTransferStatus, TransferPlacement  # noqa: F401 (省内转学, 学籍转移)


# ===============================================================================