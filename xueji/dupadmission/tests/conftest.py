"""Fixtures of the 重复招生 tests: junior schools in two counties of 广州 (天河 ×2, 海珠), in
深圳 (福田) and in 广西 (兴宁); a primary graduate of 天河测试小学 (made through
students.services); ``dup(*schools)`` admits the graduate by each school — the rows
adm10's admission writes (AdmissionResult, DuplicateAdmission) made directly, as its
import/admit would leave them: 已录取(审核中), held."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.admission.models import AdmissionResult, DuplicateAdmission, Source, State
from xueji.changes.tests.conftest import png_file, pupil
from xueji.org.models import Grade, SchoolClass
from xueji.testing import make_school, make_user


@pytest.fixture
def dw(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    t = world.tree
    junior = {"2": 3}
    ns = SimpleNamespace(world=world, tree=t, users=world.users, year=timezone.localdate().year)
    ns.th1 = world.th_middle
    ns.th2 = make_school(t.tianhe, "3440106003", "天河第二中学", stages=junior, school_type="311")
    ns.hz = make_school(t.haizhu, "3440105002", "海珠测试中学", stages=junior, school_type="311")
    ns.ft = make_school(t.futian, "3440304001", "福田测试中学", stages=junior, school_type="311")
    ns.xn = make_school(t.xingning, "3450102002", "兴宁测试中学", stages=junior, school_type="311")
    ns.city = world.city_school  # 广州市直属 (its supervisor: 广州市)
    for key in ("th1", "th2", "hz", "ft", "xn", "city"):
        school = getattr(ns, key)
        setattr(ns, f"{key}_reg", make_user(f"{key}_reg", Role.SCHOOL_REGISTRAR, school=school))
        setattr(ns, f"{key}_leader", make_user(f"{key}_leader", Role.SCHOOL_LEADER, school=school))
    ns.ft_registrar = make_user("ft_registrar", Role.AUTHORITY_REGISTRAR, authority=t.futian)
    ns.sz_registrar = make_user("sz_registrar", Role.AUTHORITY_REGISTRAR, authority=t.sz)
    ns.xn_registrar = make_user("xn_registrar", Role.AUTHORITY_REGISTRAR, authority=t.xingning)
    grade = Grade.objects.create(school=world.th_school, stage="1", entry_year=ns.year - 6)
    ns.klass = SchoolClass.objects.create(school=world.th_school, grade=grade, code=f"{ns.year - 6}101", name="1班")
    ns.graduate = lambda: pupil(ns.klass, status="20")
    ns.png = png_file

    def dup(*schools, student=None, state=State.REVIEWING):
        student = student or ns.graduate()
        group = DuplicateAdmission.objects.create(student=student, year=ns.year, stage="2")
        for school in schools:
            AdmissionResult.objects.create(
                year=ns.year, stage="2", student=student, given_name=student.name,
                graduating_school=student.school, admitting_school=school, source=Source.SCHOOL, state=state,
                duplicate=True, duplicate_group=group, admitted_at=timezone.now())
        return group

    ns.dup = dup
    ns.row = lambda group, school: AdmissionResult.objects.get(duplicate_group=group, admitting_school=school)
    ns.reg_of = {ns.th1.pk: ns.th1_reg, ns.th2.pk: ns.th2_reg, ns.hz.pk: ns.hz_reg, ns.ft.pk: ns.ft_reg,
                 ns.xn.pk: ns.xn_reg, ns.city.pk: ns.city_reg}
    return ns
