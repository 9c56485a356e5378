"""What every page of the shell needs: the menu and the account notices."""

from __future__ import annotations

from django.conf import settings

from .menu import mark_current, menu_for

#: A user with at most this many menu entries sees every sub-group open on every page;
#: one with more sees them all open on the home page (the whole menu at a glance) and,
#: on other pages, the sub-group of the current page.
OPEN_ALL_UP_TO = 14


def name_beside_unit(real_name: str, unit_name: str) -> str:
    """The user's name as the header shows it beside their unit: a name that starts with
    the unit's ("天河区教育局学籍管理员" beside 天河区教育局) loses that part."""
    if unit_name and real_name.startswith(unit_name) and len(real_name) > len(unit_name):
        return real_name[len(unit_name):]
    return real_name


def shell(request) -> dict:
    user = getattr(request, "user", None)
    context = {
        "require_2fa": settings.XUEJI_REQUIRE_2FA,
        "xueji_env": settings.XUEJI_ENV,
    }
    if user is not None and user.is_authenticated:
        from django.urls import reverse

        from xueji.accounts.rules import password_days_left

        menu = menu_for(user)
        mark_current(menu, request.path, dict(request.GET.lists()),
                     open_all=request.path == reverse("portal:home")
                     or sum(len(g["entries"]) for g in menu) <= OPEN_ALL_UP_TO)
        context["menu"] = menu
        context["header_name"] = name_beside_unit(user.real_name, user.unit_name)
        context["password_days_left"] = password_days_left(
            user.password_changed_at, settings.XUEJI_PASSWORD_MAX_AGE_DAYS
        )
    return context
