"""What every page of the shell needs: the menu and the account notices."""

from __future__ import annotations

from django.conf import settings

from .menu import menu_for


def shell(request) -> dict:
    user = getattr(request, "user", None)
    context = {
        "require_2fa": settings.XUEJI_REQUIRE_2FA,
        "xueji_env": settings.XUEJI_ENV,
    }
    if user is not None and user.is_authenticated:
        from xueji.accounts.rules import password_days_left

        context["menu"] = menu_for(user)
        context["password_days_left"] = password_days_left(
            user.password_changed_at, settings.XUEJI_PASSWORD_MAX_AGE_DAYS
        )
    return context
