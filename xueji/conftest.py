"""Fixtures shared by the apps' tests."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from xueji.accounts.models import Role
from xueji.testing import FailingAudit, build_tree, make_school, make_user

_anchor_files = itertools.count(1)


@pytest.fixture(autouse=True)
def _audit_anchor_file(settings, tmp_path_factory):
    """Every test writes audit anchors to a file of its own: the database is emptied
    between tests, a shared file would not be (and would name entries that are gone)."""
    from xueji.audit import anchors

    base = tmp_path_factory.getbasetemp()
    settings.XUEJI_AUDIT_ANCHOR_PATH = str(base / "audit-anchors" / f"{next(_anchor_files)}.log")
    anchors.forget_schedule()
    yield


@pytest.fixture
def failing_audit(monkeypatch):
    """Makes ``record_event`` fail inside the caller's transaction (its INSERT raises
    ``AuditWriteFailed``, a database error), so a test can check that the operation's
    effect rolled back with it. See ``xueji.testing.FailingAudit``."""
    return FailingAudit(monkeypatch)


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def world(tree):
    """The tree, schools in two counties and another province, and a user per role."""
    th_school = make_school(tree.tianhe, "3440106001", "天河测试小学")
    th_middle = make_school(tree.tianhe, "3440106002", "天河测试中学", stages={"2": 3, "3": 3}, school_type="341")
    hz_school = make_school(tree.haizhu, "3440105001", "海珠测试小学")
    gx_school = make_school(tree.xingning, "3450102001", "兴宁测试小学")
    city_school = make_school(tree.gz, "3440100001", "广州市直属高中", stages={"3": 3}, school_type="342",
                              division=tree.tianhe.division)
    users = SimpleNamespace(
        moe_admin=make_user("moe_admin", Role.AUTHORITY_ADMIN, authority=tree.ministry),
        moe_registrar=make_user("moe_registrar", Role.AUTHORITY_REGISTRAR, authority=tree.ministry),
        gd_admin=make_user("gd_admin", Role.AUTHORITY_ADMIN, authority=tree.gd),
        gd_registrar=make_user("gd_registrar", Role.AUTHORITY_REGISTRAR, authority=tree.gd),
        gz_registrar=make_user("gz_registrar", Role.AUTHORITY_REGISTRAR, authority=tree.gz),
        gz_admin=make_user("gz_admin", Role.AUTHORITY_ADMIN, authority=tree.gz),
        th_registrar=make_user("th_registrar", Role.AUTHORITY_REGISTRAR, authority=tree.tianhe),
        th_admin=make_user("th_admin", Role.AUTHORITY_ADMIN, authority=tree.tianhe),
        th_admin2=make_user("th_admin2", Role.AUTHORITY_ADMIN, authority=tree.tianhe),
        hz_registrar=make_user("hz_registrar", Role.AUTHORITY_REGISTRAR, authority=tree.haizhu),
        hz_admin=make_user("hz_admin", Role.AUTHORITY_ADMIN, authority=tree.haizhu),
        gx_admin=make_user("gx_admin", Role.AUTHORITY_ADMIN, authority=tree.gx),
        school_registrar=make_user("sch_registrar", Role.SCHOOL_REGISTRAR, school=th_school),
        school_leader=make_user("sch_leader", Role.SCHOOL_LEADER, school=th_school),
        class_teacher=make_user("sch_teacher", Role.CLASS_TEACHER, school=th_school),
        data_checker=make_user("sch_checker", Role.DATA_CHECKER, school=th_school),
        hz_school_registrar=make_user("hz_sch_registrar", Role.SCHOOL_REGISTRAR, school=hz_school),
        parent=make_user("parent1", Role.PARENT),
    )
    return SimpleNamespace(tree=tree, th_school=th_school, th_middle=th_middle, hz_school=hz_school,
                           gx_school=gx_school, city_school=city_school, users=users)
