"""Demo 招生计划数 (演示数据): 天河区教育局 sets this year's plans of its junior schools and
广州市教育局 the city-run high school's; 天河区第一初级中学 asks for a larger plan (招生计划数变更),
waiting for 天河区教育局's 核办. Through the real services (audited). Idempotent."""

from __future__ import annotations

from django.utils import timezone

from xueji.accounts.models import Role, User
from xueji.org.models import School

from . import services
from .models import EnrolmentPlan

#: (school code, stage, plan) set by the school's supervising authority.
PLANS = [("3440106002", "2", 400), ("3440106003", "2", 200), ("3440106005", "2", 150), ("3440106004", "2", 300),
         ("3440106004", "3", 350), ("3440104001", "3", 500)]
ASKING = ("3440106002", "2", 420, "本学区适龄儿童增加,申请增加招生计划20人")


def _registrar(**unit) -> User | None:
    return User.objects.filter(is_active=True, **unit).order_by("pk").first()


def seed_plans() -> None:
    if EnrolmentPlan.objects.exists():
        return
    year = timezone.localdate().year
    schools = {s.code: s for s in School.objects.filter(code__in={c for c, _, _ in PLANS}).select_related("supervisor")}
    for code, stage, planned in PLANS:
        school = schools.get(code)
        user = school and _registrar(role=Role.AUTHORITY_REGISTRAR, authority=school.supervisor)
        if user is not None:
            services.set_plan(user, school, year, stage, planned)
    code, stage, requested, reason = ASKING
    user = _registrar(role=Role.SCHOOL_REGISTRAR, school__code=code)
    if user is not None and code in schools:
        services.request_change(user, year=year, stage=stage, requested=requested, reason=reason)
