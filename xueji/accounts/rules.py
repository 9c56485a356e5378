"""Login-security rules as pure functions (SPEC F-12)."""

from __future__ import annotations

import datetime as dt
import math


def password_days_left(changed_at: dt.datetime | None, max_age_days: int, now: dt.datetime | None = None) -> int | None:
    """Whole days until the password expires (0 = expires today or already expired);
    None when passwords do not expire or the password has never been set."""
    if not max_age_days or changed_at is None:
        return None
    from django.utils import timezone

    now = now or timezone.now()
    left = (changed_at + dt.timedelta(days=max_age_days) - now).total_seconds() / 86400
    return max(0, math.floor(left))
