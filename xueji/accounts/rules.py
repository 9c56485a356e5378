"""Login-security rules as pure functions (SPEC F-12). No database here."""

from __future__ import annotations

import datetime as dt
import math
import string


def password_days_left(
    changed_at: dt.datetime | None, max_age_days: int, now: dt.datetime | None = None
) -> int | None:
    """Whole days until the password expires (0 = expires today or already expired);
    None when passwords do not expire or the password was never set."""
    if not max_age_days or changed_at is None:
        return None
    if now is None:
        now = dt.datetime.now(dt.UTC)
    left = (changed_at + dt.timedelta(days=max_age_days) - now).total_seconds() / 86400
    return max(0, math.floor(left))


def password_expired(changed_at: dt.datetime | None, max_age_days: int, now: dt.datetime) -> bool:
    """A password expires ``max_age_days`` after it was set; one never set has expired."""
    if not max_age_days:
        return False
    if changed_at is None:
        return True
    return now >= changed_at + dt.timedelta(days=max_age_days)


def lock_has_lapsed(
    locked_at: dt.datetime | None, reason: str, now: dt.datetime, lockout_minutes: int
) -> bool:
    """A lock after failed logins lapses after ``lockout_minutes`` (0: never by itself).
    A dormant or administrator lock lapses only when an administrator unlocks it."""
    if locked_at is None:
        return True
    if reason != "failed_logins" or not lockout_minutes:
        return False
    return now >= locked_at + dt.timedelta(minutes=lockout_minutes)


def is_dormant(
    last_login: dt.datetime | None, joined: dt.datetime, now: dt.datetime, dormant_days: int
) -> bool:
    """An account nobody logged in to for ``dormant_days`` (counted from creation when it
    was never used) is dormant (长期未登录)."""
    if not dormant_days:
        return False
    since = last_login or joined
    return now - since >= dt.timedelta(days=dormant_days)


def attempts_left(failed_logins: int, threshold: int) -> int:
    return max(0, threshold - failed_logins)


def character_classes(password: str) -> int:
    """How many of upper-case letters, lower-case letters, digits and other characters
    the password uses."""
    return sum(
        (
            any(c in string.ascii_uppercase for c in password),
            any(c in string.ascii_lowercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
