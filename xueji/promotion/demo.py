"""Demo 升级 (演示数据): 广东省's 升级时间 configured at 8/10 24:00 (seed 001), through the
real service (audited). Idempotent."""

from __future__ import annotations

from xueji.accounts.models import Role, User
from xueji.org.models import Authority

from . import services
from .models import PromotionMoment

PROVINCE = "440000000000"


def seed_promotion_moment() -> None:
    province = Authority.objects.filter(code=PROVINCE).first()
    if province is None or PromotionMoment.objects.filter(authority=province).exists():
        return
    registrar = User.objects.filter(role=Role.AUTHORITY_REGISTRAR, authority=province, is_active=True).order_by("pk").first()
    if registrar is not None:
        services.set_moment(registrar, month=8, day=10, hour=24, minute=0)
