"""How the API knows its caller (F-84), with every rule of the login (F-12):

- :class:`ApiTokenAuthentication`: ``Authorization: Token <令牌>``, our own tokens
  (``accounts.ApiToken``: stored as a SHA-256 digest, expiring, revocable), checked by
  ``accounts.services.authenticate_token`` (the token valid; its owner active, not locked,
  not dormant, no password change pending).
- :class:`CheckedSessionAuthentication`: the web session (the pages' own scripts and a
  logged-in browser), refused (403) while the second factor is missing or the password
  must be changed — the pages send such a user to the password form, and the API must not
  be the way around it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)

from xueji.accounts import rules as account_rules
from xueji.accounts import services as account_services

KEYWORD = b"token"


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("请求头格式应为 Authorization: Token <令牌>")
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("令牌无效") from None
        try:
            return account_services.authenticate_token(request, key)
        except account_services.TokenRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None

    def authenticate_header(self, request) -> str:
        return self.keyword


class CheckedSessionAuthentication(SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if settings.XUEJI_REQUIRE_2FA and user.requires_second_factor and not _verified(request):
            raise exceptions.PermissionDenied("须先完成双因素认证(动态口令)")
        refusal = account_services.account_refusal(user, timezone.now())
        if refusal:
            raise exceptions.PermissionDenied(account_rules.REFUSAL_MESSAGES[refusal])
        return result


def _verified(request) -> bool:
    user = getattr(request._request, "user", None)
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "xueji.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "令牌认证:`Authorization: Token <令牌>`。令牌在【系统管理 → API 令牌】生成,"
            "只显示一次;有效期默认90天,可由本人或管理员作废;账号锁定、停用、重置或修改密码时作废。",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "xueji.api.authentication.CheckedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
