"""The menu tree of the source documents (seed 004): 学籍管理 / 学校管理 / 统计报表 / 系统管理.

An entry names a URL and who may see it. An entry whose URL does not exist yet (a later
feature) is left out, and so is a group left with no entries: the menu grows as features
land, without anyone editing a list of what is finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse

from xueji.accounts.models import Role


def _roles(*roles: str) -> Callable:
    return lambda user: user.role in roles


_authority = _roles(Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN)
_registrars = _roles(Role.AUTHORITY_REGISTRAR, Role.SCHOOL_REGISTRAR)
_school_staff = _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)
_admin = _roles(Role.AUTHORITY_ADMIN)
_everyone_but_parents = lambda user: user.role != Role.PARENT  # noqa: E731


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    visible: Callable = _everyone_but_parents


@dataclass(frozen=True)
class Group:
    label: str
    entries: list = field(default_factory=list)


MENU: list[Group] = [
    Group(
        "学籍管理",
        [
            Entry("学籍注册", "registration:index", _registrars),
            Entry("学前调档名单管理", "registration:preschool_list", _roles(Role.SCHOOL_REGISTRAR)),
            Entry("学前档案信息补录", "registration:preschool_supplement_list", _roles(Role.SCHOOL_REGISTRAR)),
            Entry("首次数据采集", "registration:initial_collection", _roles(Role.AUTHORITY_REGISTRAR)),
            Entry("日常管理", "changes:index", _registrars),
            Entry("毕业升级", "admission:graduation", _registrars),
            Entry("招生入学", "admission:index", _registrars),
            Entry("综合查询", "reports:queries"),
            Entry("跨省转学", "changes:cross_province", _registrars),
            Entry("问题学籍管理", "problems:index", _registrars),
        ],
    ),
    Group(
        "学校管理",
        [
            Entry("学校列表", "org:school_list", _authority),
            Entry("学校基本信息管理", "org:my_school", _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)),
            Entry("年级班级管理", "org:my_school_grades", _school_staff),
        ],
    ),
    Group(
        "统计报表",
        [Entry("统计报表", "reports:statistics")],
    ),
    Group(
        "系统管理",
        [
            Entry("用户管理", "accounts:user_list", _admin),
            Entry("在线用户", "accounts:online_users", _admin),
            Entry("审计日志", "audit:entry_list", _authority),
            Entry("学年学期设置", "org:term_list", _authority),
            Entry("行政区划", "org:division_list", _authority),
            Entry("代码表", "codes:table_list"),
            Entry("API 令牌", "accounts:api_token", _registrars),
        ],
    ),
]


def menu_for(user) -> list[dict]:
    """The groups and entries ``user`` sees, with resolved URLs."""
    groups = []
    for group in MENU:
        entries = []
        for entry in group.entries:
            if not entry.visible(user):
                continue
            try:
                url = reverse(entry.url_name)
            except NoReverseMatch:
                continue
            entries.append({"label": entry.label, "url": url})
        if entries:
            groups.append({"label": group.label, "entries": entries})
    return groups


# --- 业务审批 (xueji.workflow) ---------------------------------------------------------------
def _group(label: str) -> Group:
    return next(group for group in MENU if group.label == label)


def _province_or_ministry_registrar(user) -> bool:
    return user.role == Role.AUTHORITY_REGISTRAR and user.authority is not None and user.authority.level <= 1


_group("学籍管理").entries.extend([
    Entry("待审核业务", "workflow:queue", _roles(Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR)),
    Entry("在办业务查询", "workflow:open_businesses",
          _roles(Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN, Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)),
])
_group("系统管理").entries.extend([
    Entry("业务流程配置", "workflow:config_list", _roles(Role.AUTHORITY_REGISTRAR)),
    Entry("业务时间控制", "workflow:window_list", _province_or_ministry_registrar),
])
