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


# --- who may act at all (login, API token, second account) ------------------------------
#: Why an account may not act now, in the order they are checked.
INACTIVE = "inactive"
LOCKED = "locked"
DORMANT = "dormant"
MUST_CHANGE = "must_change_password"
EXPIRED = "password_expired"

REFUSAL_MESSAGES = {
    INACTIVE: "账号已停用",
    LOCKED: "账号已锁定",
    DORMANT: "账号长期未登录,已锁定",
    MUST_CHANGE: "管理员重置了密码,须先登录网页修改密码",
    EXPIRED: "密码已过期,须先登录网页修改密码",
}


def account_refusal(
    *, is_active: bool, locked_at: dt.datetime | None, lock_reason: str, last_login: dt.datetime | None,
    joined: dt.datetime, password_changed_at: dt.datetime | None, must_change_password: bool,
    now: dt.datetime, lockout_minutes: int, dormant_days: int, password_max_age_days: int,
) -> str | None:
    """Why the account may not act now (one of the constants above), or None.

    The rules of the login, every one (F-12): a deactivated account; a lock that has not
    lapsed (a lock after failed logins lapses after ``lockout_minutes``); a dormant
    account; a password an administrator reset and the owner has not changed yet; an
    expired password. The login page itself lets the last two in, to the password-change
    page only; a token or a second-account check is refused."""
    if not is_active:
        return INACTIVE
    if locked_at is not None and not lock_has_lapsed(locked_at, lock_reason, now, lockout_minutes):
        return LOCKED
    if is_dormant(last_login, joined, now, dormant_days):
        return DORMANT
    if must_change_password:
        return MUST_CHANGE
    if password_expired(password_changed_at, password_max_age_days, now):
        return EXPIRED
    return None


def token_digest(key: str) -> str:
    """What is stored of an API token: the SHA-256 of its key (a random 256-bit key needs
    no slow hash; the database never holds a usable key)."""
    import hashlib

    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def captcha_needed(username_failures: int, address_failures: int, after: int) -> bool:
    """The CAPTCHA is asked for once the username or the client address has failed
    ``after`` times (within the throttle window)."""
    return username_failures >= after or address_failures >= after


def address_blocked(address_failures: int, limit: int) -> bool:
    """An address that failed ``limit`` times within the window is refused outright."""
    return bool(limit) and address_failures >= limit
