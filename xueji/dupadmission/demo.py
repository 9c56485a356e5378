"""Demo 重复招生 (演示数据): the duplicate admission of the 招生入学 demo
(xueji/admission/demo.py) — one 海珠区 graduate admitted by 天河区第一初级中学 and
天河区十二年一贯制学校, both held from 调档 — gets 天河区第一初级中学's 佐证 (proof and
学校意见), waiting for 天河区教育局's 核办; 天河区十二年一贯制学校 has not acted yet.
Idempotent: nothing is added once evidence exists."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xueji.accounts.models import Role, User
from xueji.admission.models import AdmissionResult, DuplicateAdmission

from . import services
from .models import DuplicateEvidence

TH_JUNIOR = "3440106002"


def _proof() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), (235, 240, 245)).save(buffer, format="PNG")
    return SimpleUploadedFile("录取通知书回执.png", buffer.getvalue(), content_type="image/png")


def seed_duplicate_admission() -> None:
    if DuplicateEvidence.objects.exists():
        return
    duplicate = DuplicateAdmission.objects.filter(resolved=False).order_by("pk").first()
    if duplicate is None:
        return
    admission = AdmissionResult.objects.filter(duplicate_group=duplicate, admitting_school__code=TH_JUNIOR).first()
    registrar = User.objects.filter(role=Role.SCHOOL_REGISTRAR, school__code=TH_JUNIOR, is_active=True).order_by(
        "pk").first()
    if admission is None or registrar is None:
        return
    services.submit_evidence(admission, registrar, opinion="该生已到我校报到并缴交录取回执,请予保留我校录取。",
                             proof=_proof())
