"""Roles (角色, SPEC F-10) and the scope predicates every layer above asks.

Here, below ``org``, so that the organisation's selectors, the accounts and every feature
share one definition without importing upwards. Plain data and pure functions.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """角色 (SPEC F-10)."""

    SCHOOL_REGISTRAR = "school_registrar", "学校学籍管理员"
    SCHOOL_LEADER = "school_leader", "学校学籍主管领导"
    CLASS_TEACHER = "class_teacher", "班主任"
    DATA_CHECKER = "data_checker", "数据核查专用账号"
    AUTHORITY_REGISTRAR = "authority_registrar", "教育部门学籍管理员"
    AUTHORITY_ADMIN = "authority_admin", "系统管理员"
    PARENT = "parent", "家长"


SCHOOL_ROLES = frozenset(
    {Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.CLASS_TEACHER, Role.DATA_CHECKER}
)
AUTHORITY_ROLES = frozenset({Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN})


def is_school_role(role: str) -> bool:
    """A role that acts for one school."""
    return role in SCHOOL_ROLES


def is_authority_role(role: str) -> bool:
    """A role that acts for an education authority (教育行政部门)."""
    return role in AUTHORITY_ROLES



#: Roles that see the school's contacts in full: its registrar and leader, and the
#: authorities above. A class teacher and the data-check account see the school's
#: fields too, but the principal's mobile number masked (it is a person's number, and
#: they have no business with it; docs/ROLES_AND_SCOPE.md).
_FULL_SCHOOL_CONTACTS = frozenset({Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER}) | AUTHORITY_ROLES


def sees_principal_phone(role: str) -> bool:
    """Whether ``role`` sees the principal's mobile number (校长手机号码) unmasked."""
    return role in _FULL_SCHOOL_CONTACTS


#: School roles that work with the registration imports (学籍注册导入) of their school.
UPLOAD_ROLES = frozenset({Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER}) | AUTHORITY_ROLES


#: School roles that edit a record's non-key data directly (学籍数据维护, F-44): the school
#: registrar and the data-check account (portal.menu shows them the page). Everyone
#: else in scope reads the record only; a parent does not see it.
MAINTENANCE_ROLES = frozenset({Role.SCHOOL_REGISTRAR, Role.DATA_CHECKER})


def may_maintain_record(role: str, user_school_id: int | None, record_school_id: int | None) -> bool:
    """Whether a user of ``role`` at ``user_school_id`` may edit the non-key data of a
    record of ``record_school_id``: a maintenance role of the record's own school."""
    return role in MAINTENANCE_ROLES and user_school_id is not None and user_school_id == record_school_id
