"""Account security on every request (SPEC F-12, F-13):

- a session whose second factor is required but not given is ended;
- an expired password, or one an administrator reset, must be changed before anything
  else;
- the online-user record of the session is kept fresh (at most once a minute).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from . import rules
from .models import UserSession

#: Paths a user with an expired password may still reach.
_ALWAYS_ALLOWED = ("/accounts/", "/static/")
_TOUCH_EVERY = dt.timedelta(minutes=1)


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith("/api/"):
            if settings.XUEJI_REQUIRE_2FA and user.requires_second_factor and not user.is_verified():
                logout(request)
                return redirect("accounts:login")
            if not request.path.startswith(_ALWAYS_ALLOWED) and self._must_change_password(user):
                return redirect(reverse("accounts:password_change") + "?expired=1")
            self._touch(request)
        return self.get_response(request)

    @staticmethod
    def _must_change_password(user) -> bool:
        return user.must_change_password or rules.password_expired(
            user.password_changed_at, settings.XUEJI_PASSWORD_MAX_AGE_DAYS, timezone.now()
        )

    @staticmethod
    def _touch(request) -> None:
        key = request.session.session_key
        if not key:
            return
        last = request.session.get("_seen")
        now = timezone.now()
        if last and now - dt.datetime.fromisoformat(last) < _TOUCH_EVERY:
            return
        request.session["_seen"] = now.isoformat()
        UserSession.objects.filter(session_key=key).update(last_seen_at=now)
