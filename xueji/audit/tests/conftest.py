"""Fixture data for the audit tests: a province, a city, two sibling counties, a school in
the first county, and users of each kind. Built directly, not through other apps'
services, so these tests depend only on the models."""

from __future__ import annotations

import pytest
from django.utils import timezone

from xueji.accounts.models import Role, User
from xueji.org.models import Authority, Division, School

PASSWORD = "Xj-test-2026!"


@pytest.fixture
def org(db):
    """Divisions and authorities 44 → 4401 → 440106 / 440111, and the ministry."""
    province = Division.objects.create(code="440000000000", name="广东省", level=1)
    city = Division.objects.create(code="440100000000", name="广州市", level=2, parent=province)
    tianhe = Division.objects.create(code="440106000000", name="天河区", level=3, parent=city)
    baiyun = Division.objects.create(code="440111000000", name="白云区", level=3, parent=city)
    ministry = Authority.objects.create(code="000000000000", name="教育部", level=0, prefix="")
    a_province = Authority.objects.create(
        code="440000000000", name="广东省教育厅", level=1, division=province, parent=ministry,
        prefix="44",
    )
    a_city = Authority.objects.create(
        code="440100000000", name="广州市教育局", level=2, division=city, parent=a_province,
        prefix="4401",
    )
    a_tianhe = Authority.objects.create(
        code="440106000000", name="天河区教育局", level=3, division=tianhe, parent=a_city,
        prefix="440106",
    )
    a_baiyun = Authority.objects.create(
        code="440111000000", name="白云区教育局", level=3, division=baiyun, parent=a_city,
        prefix="440111",
    )
    school = School.objects.create(
        code="1144010601", name="天河区第一小学", division=tianhe, supervisor=a_tianhe,
        school_type="211", address_code="440106000000", address="广州市天河区天河路1号",
        has_primary=True, primary_years=6,
    )
    baiyun_school = School.objects.create(
        code="1144011101", name="白云区第一小学", division=baiyun, supervisor=a_baiyun,
        school_type="211", address_code="440111000000", address="广州市白云区白云大道1号",
        has_primary=True, primary_years=6,
    )
    return {
        "ministry": ministry, "province": a_province, "city": a_city,
        "tianhe": a_tianhe, "baiyun": a_baiyun,
        "school": school, "baiyun_school": baiyun_school,
    }


def make_user(username, *, role, authority=None, school=None, real_name=None):
    user = User.objects.create_user(
        username, password=PASSWORD, real_name=real_name or username, role=role,
        authority=authority, school=school,
    )
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password_changed_at"])
    return user


@pytest.fixture
def users(org):
    return {
        "ministry": make_user("jyb_admin", role=Role.AUTHORITY_ADMIN, authority=org["ministry"],
                              real_name="部管理员"),
        "province": make_user("gd_admin", role=Role.AUTHORITY_REGISTRAR, authority=org["province"],
                              real_name="省管理员"),
        "city": make_user("gz_admin", role=Role.AUTHORITY_ADMIN, authority=org["city"],
                          real_name="市管理员"),
        "tianhe": make_user("th_admin", role=Role.AUTHORITY_ADMIN, authority=org["tianhe"],
                            real_name="天河管理员"),
        "baiyun": make_user("by_admin", role=Role.AUTHORITY_ADMIN, authority=org["baiyun"],
                            real_name="白云管理员"),
        "school": make_user("th_xx01", role=Role.SCHOOL_REGISTRAR, school=org["school"],
                            real_name="学校管理员"),
        "parent": make_user("parent01", role=Role.PARENT, real_name="家长"),
    }
