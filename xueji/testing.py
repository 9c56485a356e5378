"""Test data builders shared by every app's tests: a small organisation tree with real
codes (two provinces, so cross-province scope can be tried), schools and users."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from xueji.accounts.models import Role, User
from xueji.org.models import Authority, Division, School, SchoolCategory

PASSWORD = "Test@pass123"

_DIVISIONS = [
    ("440000000000", "广东省", 1, None),
    ("440100000000", "广州市", 2, "440000000000"),
    ("440106000000", "天河区", 3, "440100000000"),
    ("440105000000", "海珠区", 3, "440100000000"),
    ("440300000000", "深圳市", 2, "440000000000"),
    ("440304000000", "福田区", 3, "440300000000"),
    ("450000000000", "广西壮族自治区", 1, None),
    ("450100000000", "南宁市", 2, "450000000000"),
    ("450102000000", "兴宁区", 3, "450100000000"),
]


@dataclass
class Tree:
    ministry: Authority
    gd: Authority
    gz: Authority
    tianhe: Authority
    haizhu: Authority
    sz: Authority
    futian: Authority
    gx: Authority
    nn: Authority
    xingning: Authority


def build_tree() -> Tree:
    """教育部 → 广东 (广州: 天河, 海珠; 深圳: 福田) and 广西 (南宁: 兴宁)."""
    ministry = Authority.objects.create(code="000000000000", name="教育部", level=0, prefix="")
    by_code = {}
    for code, name, level, parent in _DIVISIONS:
        division = Division.objects.create(code=code, name=name, level=level, parent_id=parent)
        suffix = "教育厅" if level == 1 else "教育局"
        by_code[code] = Authority.objects.create(
            code=code, name=name + suffix, level=level, division=division,
            parent=by_code.get(parent, ministry), prefix=division.prefix,
        )
    return Tree(
        ministry=ministry, gd=by_code["440000000000"], gz=by_code["440100000000"],
        tianhe=by_code["440106000000"], haizhu=by_code["440105000000"], sz=by_code["440300000000"],
        futian=by_code["440304000000"], gx=by_code["450000000000"], nn=by_code["450100000000"],
        xingning=by_code["450102000000"],
    )


def make_school(supervisor: Authority, code: str, name: str = "", *, division: Division | None = None,
                stages: dict | None = None, category: str = SchoolCategory.ORDINARY,
                school_type: str = "211") -> School:
    stages = stages or {"1": 6}
    division = division or supervisor.division
    return School.objects.create(
        code=code, name=name or f"测试学校{code}", division=division, supervisor=supervisor,
        category=category, school_type=school_type,
        has_primary="1" in stages, has_junior="2" in stages, has_senior="3" in stages,
        primary_years=stages.get("1"), junior_years=stages.get("2"), senior_years=stages.get("3"),
        address_code=division.code, address="测试路1号",
    )


def make_user(username: str, role: str, *, authority: Authority | None = None,
              school: School | None = None, password: str = PASSWORD, phone: str = "13912345678") -> User:
    user = User(username=username, real_name=f"用户{username}"[:50], role=role,
                authority=authority if role in {Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN} else None,
                school=school if role not in {Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN, Role.PARENT} else None,
                phone=phone, password_changed_at=timezone.now())
    user.set_password(password)
    user.save()
    return user
