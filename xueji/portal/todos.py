"""The home page's to-do counts (待办事项) and unit overview.

Each provider returns items for a user; later features (reviews waiting at the user's
level, problem records, …) add a provider here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass
class Todo:
    label: str
    count: int
    url: str = ""


def _url(name: str, query: str = "") -> str:
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return ""


def locked_accounts(user) -> list[Todo]:
    if user.role != "authority_admin":
        return []
    from xueji.accounts.selectors import users_for

    count = users_for(user).filter(locked_at__isnull=False).count()
    return [Todo("待解锁账号", count, _url("accounts:user_list", "?locked=1"))]


def password_expiry(user) -> list[Todo]:
    from django.conf import settings

    from xueji.accounts.rules import password_days_left

    days = password_days_left(user.password_changed_at, settings.XUEJI_PASSWORD_MAX_AGE_DAYS)
    if days is not None and days <= 7:
        return [Todo("天后密码过期,请及时修改", days, _url("accounts:password_change"))]
    return []


def pending_reviews(user) -> list[Todo]:
    """待审核业务: businesses waiting at the user's review step (xueji.workflow)."""
    from xueji.workflow.selectors import pending_review_count

    if user.role not in {"school_leader", "authority_registrar"}:
        return []
    return [Todo("待审核业务", pending_review_count(user), _url("workflow:queue"))]


PROVIDERS = [locked_accounts, password_expiry, pending_reviews]


def todos_for(user) -> list[Todo]:
    items: list[Todo] = []
    for provider in PROVIDERS:
        items.extend(provider(user))
    return items


def overview_for(user) -> list[Todo]:
    """Counts of the organisation in the user's scope."""
    from xueji.org import selectors

    if user.is_authority_user:
        return [
            Todo("辖区学校", selectors.schools_for(user).count(), _url("org:school_list")),
            Todo("下级教育行政部门", selectors.authorities_for(user).count() - 1),
        ]
    if user.is_school_user:
        return [
            Todo("年级", selectors.grades_for(user).count(), _url("org:my_school_grades")),
            Todo("班级", selectors.classes_for(user).count(), _url("org:my_school_grades")),
        ]
    return []
