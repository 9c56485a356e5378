"""Accounts: users with a role and a unit (an authority or a school), login security state,
password history and tracked sessions (在线用户)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from xueji.org.roles import AUTHORITY_ROLES, SCHOOL_ROLES, Role, is_authority_role, is_school_role

__all__ = [
    "AUTHORITY_ROLES", "SCHOOL_ROLES", "ApiToken", "LockReason", "LoginThrottle", "PasswordHistory", "Role", "User",
    "UserSession",
]


class LockReason(models.TextChoices):
    FAILED_LOGINS = "failed_logins", "连续登录失败"
    DORMANT = "dormant", "长期未登录"
    ADMINISTRATOR = "administrator", "管理员锁定"


class UsernameValidator(RegexValidator):
    """Usernames of letters, digits and ``_ . -`` only (no ``=``, ``+``, ``@``, spaces or
    other characters that a spreadsheet or a log could read as something else)."""

    regex = r"^[A-Za-z0-9_.-]+\Z"
    message = "用户名只能包含英文字母、数字和 _ . - 符号"
    flags = 0


class User(AbstractUser):
    """用户: a person (or the shared data-check account) acting for one unit in one role."""

    username = models.CharField(
        "用户名", max_length=150, unique=True, validators=[UsernameValidator()],
        help_text="英文字母、数字和 _ . - 符号,不超过150个字符",
        error_messages={"unique": "该用户名已存在"},
    )
    real_name = models.CharField("姓名", max_length=50)
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    authority = models.ForeignKey(
        "org.Authority", verbose_name="所属教育行政部门", null=True, blank=True,
        on_delete=models.PROTECT, related_name="users",
    )
    school = models.ForeignKey(
        "org.School", verbose_name="所属学校", null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField("手机号码", max_length=20, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)
    failed_logins = models.PositiveSmallIntegerField("连续登录失败次数", default=0)
    locked_at = models.DateTimeField("锁定时间", null=True, blank=True)
    lock_reason = models.CharField("锁定原因", max_length=20, choices=LockReason.choices, blank=True)
    created_by = models.ForeignKey(
        "self", verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = UserManager()

    REQUIRED_FIELDS = ["real_name", "role"]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                name="user_unit_matches_role",
                condition=(
                    Q(role__in=sorted(r.value for r in SCHOOL_ROLES), school__isnull=False, authority__isnull=True)
                    | Q(role__in=sorted(r.value for r in AUTHORITY_ROLES), authority__isnull=False, school__isnull=True)
                    | Q(role=Role.PARENT, authority__isnull=True, school__isnull=True)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.real_name}({self.username})"

    # --- the unit the user acts for -------------------------------------------------
    @property
    def is_school_user(self) -> bool:
        return is_school_role(self.role)

    @property
    def is_authority_user(self) -> bool:
        return is_authority_role(self.role)

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.AUTHORITY_ADMIN

    @property
    def unit(self):
        """The school or authority this user acts for (None for a parent)."""
        return self.school if self.school_id else self.authority

    @property
    def unit_name(self) -> str:
        unit = self.unit
        return unit.name if unit is not None else ""

    @property
    def scope_prefix(self) -> str | None:
        """The authority prefix of the user's unit: their authority's own prefix, or the
        supervising authority's prefix for a school user. None for a parent."""
        if self.authority_id:
            return self.authority.prefix
        if self.school_id:
            return self.school.supervisor.prefix
        return None

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def requires_second_factor(self) -> bool:
        """Authority and administrator accounts need TOTP where the settings ask for it."""
        return self.is_authority_user


class PasswordHistory(models.Model):
    """Earlier password hashes, so a password is not reused (密码历史)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "密码历史"
        verbose_name_plural = "密码历史"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.created_at:%Y-%m-%d}"


class UserSession(models.Model):
    """在线用户: a logged-in session, so administrators can list and end it."""

    session_key = models.CharField("会话", max_length=40, unique=True)
    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="tracked_sessions")
    ip_address = models.GenericIPAddressField("登录地址", null=True, blank=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)
    logged_in_at = models.DateTimeField("登录时间", auto_now_add=True)
    last_seen_at = models.DateTimeField("最近活动时间")

    class Meta:
        verbose_name = "在线会话"
        verbose_name_plural = "在线会话"
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.ip_address or ''}"


class ApiToken(models.Model):
    """接口令牌 (F-84): a secret a program sends in ``Authorization: Token <令牌>`` to act as
    its owner. Only the SHA-256 digest of the key is stored (the key is shown once, when it
    is issued); the first characters (``prefix``) name it in lists. It expires, can be
    revoked (作废) by its owner or an administrator above, and is revoked when the account
    is locked by an administrator or as dormant, deactivated, or its password reset or
    changed (``accounts.services``)."""

    user = models.ForeignKey(User, verbose_name="所属用户", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("名称", max_length=50)
    prefix = models.CharField("令牌前缀", max_length=8)
    digest = models.CharField("令牌摘要", max_length=64, unique=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    expires_at = models.DateTimeField("有效期至")
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)
    last_used_ip = models.GenericIPAddressField("最近使用地址", null=True, blank=True)
    revoked_at = models.DateTimeField("作废时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name="作废人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    revoke_reason = models.CharField("作废原因", max_length=100, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked")]

    def __str__(self) -> str:
        return f"{self.name}({self.prefix}…)"

    def state(self, now) -> str:
        """有效 / 已过期 / 已作废, as shown in lists."""
        if self.revoked_at is not None:
            return "已作废"
        if self.expires_at <= now:
            return "已过期"
        return "有效"


class LoginThrottle(models.Model):
    """Failed logins counted on the server (F-12), per username and per client address,
    so that a client that sends no cookies is asked for the CAPTCHA like any other, and
    an address that keeps failing is slowed down. Kept in the database, not in a
    per-process cache, so every worker process sees the same counts."""

    class Kind(models.TextChoices):
        USERNAME = "username", "用户名"
        ADDRESS = "address", "地址"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    key = models.CharField("用户名或地址", max_length=150)
    failures = models.PositiveIntegerField("失败次数", default=0)
    last_failure_at = models.DateTimeField("最近失败时间")

    class Meta:
        verbose_name = "登录失败计数"
        verbose_name_plural = "登录失败计数"
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="loginthrottle_kind_key")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}={self.failures}"
