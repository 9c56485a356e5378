"""Test helpers shared by every app's tests: a small organisation tree with real codes
(two provinces, so cross-province scope can be tried), schools and users; and
:class:`FailingAudit`, which makes the audit write fail so that a test can check the
operation's effect rolled back with it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError
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


# --- the audit write fails: the operation must roll back with it --------------------------
class AuditWriteFailed(DatabaseError):
    """What the audit entry's INSERT raises under :class:`FailingAudit` (a database error,
    as a full disk or a lost connection would give; not an ``IntegrityError``, which some
    services turn into a message)."""


class FailingAudit:
    """Makes ``xueji.audit.services.record_event`` raise :class:`AuditWriteFailed` where it
    inserts the entry: inside the caller's transaction, after the operation's own writes
    and the lock on the chain's head. Every business operation writes its effect and its
    audit entry in one transaction, so the effect must be gone afterwards.

    The fixture ``failing_audit`` (``xueji/conftest.py``) gives one::

        def test_create_rolls_back(failing_audit, ...):
            failing_audit.expect_failure(services.create_school, actor, data)
            assert not School.objects.filter(code=data["code"]).exists()

    - ``only_for(*actions)``: fail only these actions (others are written normally), for
      operations that write several entries;
    - ``disarm()`` / ``arm()``: write normally (to set a case up) / fail every action again;
    - ``attempts``: the actions whose write was made to fail.
    """

    def __init__(self, monkeypatch):
        from xueji.audit import services

        self.attempts: list[str] = []
        self.only: set[str] | None = None
        self.armed = True
        real_insert = services._insert

        def failing_insert(entry):
            if self.armed and (self.only is None or entry.action in self.only):
                self.attempts.append(entry.action)
                raise AuditWriteFailed(f"模拟审计日志写入失败: {entry.action}")
            real_insert(entry)

        monkeypatch.setattr(services, "_insert", failing_insert)

    def only_for(self, *actions: str) -> FailingAudit:
        self.only = set(actions)
        self.armed = True
        return self

    def disarm(self) -> FailingAudit:
        self.armed = False
        return self

    def arm(self) -> FailingAudit:
        self.armed = True
        return self

    def expect_failure(self, operation, *args, **kwargs) -> AuditWriteFailed:
        """Run ``operation``; it must end in :class:`AuditWriteFailed` (the audit write was
        tried and its failure not swallowed). Returns the error."""
        before = len(self.attempts)
        try:
            operation(*args, **kwargs)
        except AuditWriteFailed as error:
            if len(self.attempts) == before:
                raise AssertionError("AuditWriteFailed without an audit write") from error
            return error
        raise AssertionError(
            f"{getattr(operation, '__name__', operation)} finished although its audit entry "
            f"could not be written (attempts: {self.attempts[before:]})"
        )


def make_api_token(user: User, *, days: int = 90, name: str = "测试令牌") -> str:
    """An API token for ``user`` (any role, unlike the page), returning its key."""
    import datetime as dt
    import secrets

    from xueji.accounts.models import ApiToken
    from xueji.accounts.rules import token_digest

    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=key[:8], digest=token_digest(key),
                            expires_at=timezone.now() + dt.timedelta(days=days))
    return key


def api_client(user: User):
    """A DRF test client that sends a fresh token of ``user``."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_api_token(user)}")
    return client
