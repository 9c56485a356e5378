"""The menu tree of the source documents (seed 004 "操作菜单:学籍管理->学籍注册->…" lines,
seed 001 for 在办业务清理 and 误操作删除): three levels — a group (学籍管理 / 学校管理 /
统计报表 / 系统管理), a sub-group (学籍注册, 日常管理, 毕业升级, 招生入学, 综合查询, 跨省转学,
问题学籍管理 …) and its entries; a group may also hold entries directly.

An entry names a URL and who may see it. An entry whose URL does not exist yet (a later
feature) is left out, and so is a (sub-)group left with no entries: the menu grows as
features land, without anyone editing a list of what is finished. The URL names the later
features are to use are listed in docs/LAYOUT.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from django.urls import NoReverseMatch, reverse

from xueji.accounts.models import Role


def _roles(*roles: str) -> Callable:
    return lambda user: user.role in roles


def _province_or_ministry_registrar(user) -> bool:
    return user.role == Role.AUTHORITY_REGISTRAR and user.authority is not None and user.authority.level <= 1


def _ministry_registrar(user) -> bool:
    """跨省问题学籍仲裁: 教育部 arbitrates across provinces."""
    return user.role == Role.AUTHORITY_REGISTRAR and user.authority is not None and user.authority.level == 0


def _import_setter(user) -> bool:
    """招生结果导入设置: the province, city and county registrars (seed 004 §3)."""
    return user.role == Role.AUTHORITY_REGISTRAR and user.authority is not None and user.authority.level in (1, 2, 3)


def _province_registrar(user) -> bool:
    return user.role == Role.AUTHORITY_REGISTRAR and user.authority is not None and user.authority.level == 1


_everyone_but_parents = lambda user: user.role != Role.PARENT  # noqa: E731
_authority = _roles(Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN)
_authority_registrar = _roles(Role.AUTHORITY_REGISTRAR)
_registrars = _roles(Role.AUTHORITY_REGISTRAR, Role.SCHOOL_REGISTRAR)
_school_registrar = _roles(Role.SCHOOL_REGISTRAR)
_school_leader = _roles(Role.SCHOOL_LEADER)
_school_staff = _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)
_reviewers = _roles(Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR)
_school_and_authority = _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR)
_query_users = _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN)
_problem_query_users = _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.CLASS_TEACHER, Role.DATA_CHECKER,
                              Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN)
_admin = _roles(Role.AUTHORITY_ADMIN)
_data_checkers = _roles(Role.SCHOOL_REGISTRAR, Role.DATA_CHECKER)
_class_teacher = _roles(Role.CLASS_TEACHER)
_parent = _roles(Role.PARENT)


@dataclass(frozen=True)
class Entry:
    """A menu entry: its label, the URL name (``query`` appended, e.g. ``?state=report``)
    and who sees it."""

    label: str
    url_name: str
    visible: Callable = _everyone_but_parents
    query: str = ""


@dataclass(frozen=True)
class Group:
    """A group or sub-group: entries and (for a group) sub-groups, in display order."""

    label: str
    entries: list = field(default_factory=list)


MENU: list[Group] = [
    Group("学籍管理", [
        Entry("待审核业务", "workflow:queue", _reviewers),
        Group("学籍注册", [
            Entry("学前调档名单管理", "registration:preschool_list", _school_registrar),
            Entry("学前档案信息补录", "registration:preschool_supplement_list", _school_registrar),
            Entry("小学新生注册", "registration:index", _school_registrar, "?group=primary"),
            Entry("小学新生注册审核", "registration:pending", _school_leader, "?state=audit&group=primary"),
            Entry("小学新生注册审核", "registration:authority_review", _authority_registrar, "?group=primary"),
            Entry("小学新生注册上报", "registration:pending", _school_registrar, "?state=report&group=primary"),
            Entry("非小学新生注册", "registration:index", _school_registrar, "?group=other"),
            Entry("非小学新生注册审核", "registration:pending", _school_leader, "?state=audit&group=other"),
            Entry("非小学新生注册审核", "registration:authority_review", _authority_registrar, "?group=other"),
            Entry("非小学新生注册上报", "registration:pending", _school_registrar, "?state=report&group=other"),
            Entry("本校注册申请", "registration:pending", _school_staff),
            Entry("首次数据采集", "registration:initial_collection", _authority_registrar),
        ]),
        Group("日常管理", [
            Entry("学籍非关键信息批量修改", "changes:batch_edit", _school_registrar),
            Entry("学籍数据维护", "changes:maintenance", _data_checkers),
            Entry("关键数据变更申请", "changes:key_change_apply", _data_checkers),
            Entry("关键数据变更审核", "changes:key_change_list", _reviewers),
            Entry("学籍异动申请", "changes:status_change_apply", _school_registrar),
            Entry("学籍异动审核", "changes:status_change_list", _reviewers),
            Entry("省内转学", "changes:transfer_list", _school_and_authority),
            Entry("随迁子女管理", "care:migrant_list", _school_registrar),
            Entry("留守儿童管理", "care:left_behind_list", _school_registrar),
            Entry("学籍卡管理", "students:record_card_list", _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.CLASS_TEACHER)),
            Entry("特教学生信息管理", "care:special_education_list", _school_registrar),
            Entry("控辍保学管理", "care:dropout_list", _school_and_authority),
            Entry("我的班级", "portal:my_classes", _class_teacher),
            Entry("数据核查", "quality:class_check", _roles(Role.CLASS_TEACHER, Role.DATA_CHECKER)),
            Entry("数据核查进度", "quality:progress", _query_users),
        ]),
        Group("毕业升级", [
            Entry("毕业", "graduation:graduation", _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER,
                                                         Role.AUTHORITY_REGISTRAR)),
            Entry("毕业生信息维护", "graduation:graduates", _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER,
                                                                Role.AUTHORITY_REGISTRAR)),
            Entry("往届学生毕业", "graduation:past", _school_registrar),
            Entry("毕业生退回", "graduation:returns", _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER,
                                                           Role.AUTHORITY_REGISTRAR)),
            Entry("升级", "promotion:index", _registrars),
            Entry("在办业务清理", "workflow:open_businesses", _roles(Role.SCHOOL_REGISTRAR, Role.AUTHORITY_REGISTRAR),
                  "?clear=1"),
        ]),
        Group("招生入学", [
            Entry("招生计划数", "enrolplans:plans", _school_and_authority),
            Entry("招生计划数变更核办", "enrolplans:changes", _authority_registrar),
            Entry("初中招生结果导入设置", "admission:junior_import_settings", _import_setter),
            Entry("高中招生结果导入设置", "admission:senior_import_settings", _import_setter),
            Entry("招生结果管理", "admission:results", _registrars),
            Entry("录取新生", "admission:admit", _school_registrar),
            Entry("录取审核", "workflow:queue", _reviewers, "?kind=admit_junior&kind=admit_senior"),
            Entry("调取新生档案", "admission:retrieve", _school_registrar),
            Entry("分班", "admission:placement", _school_registrar),
            Entry("重复招生处理", "dupadmission:list", _school_staff),
            Entry("重复招生核办", "dupadmission:review_list", _authority_registrar),
            Entry("重复招生仲裁", "dupadmission:arbitration_list", _authority_registrar),
            Entry("重复招生查询", "dupadmission:query", _school_and_authority),
        ]),
        Group("综合查询", [
            Entry("在校生查询", "reports:students", _roles(Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER,
                                                     Role.AUTHORITY_REGISTRAR, Role.CLASS_TEACHER)),
            Entry("学生信息查询", "reports:student_search", _school_and_authority),
            Entry("毕业生查询", "reports:graduates", _school_and_authority),
            Entry("毕业生退回查询", "reports:graduate_returns", _school_and_authority),
            Entry("省内招生升学查询", "admission:progression", _authority_registrar),
            Entry("全国学籍查询", "reports:national_lookup", _school_and_authority),
            Entry("异动在办业务查询", "workflow:open_businesses", _query_users),
        ]),
        Group("跨省转学", [
            Entry("跨省办理平台数字证书安装", "changes:cross_province_certificate", _registrars),
            Entry("跨省转学申请", "changes:cross_province_apply", _school_registrar),
            Entry("跨省转学核办", "changes:cross_province_handle", _registrars),
            Entry("跨省转学查询", "changes:cross_province_list", _registrars),
            Entry("跨省转学撤销", "changes:cross_province_withdraw", _school_registrar),
        ]),
        Group("毕业后跨省就学", [
            Entry("毕业后跨省就学申请", "admission:cross_province_apply", _school_registrar),
            Entry("毕业后跨省就学核办", "admission:cross_province_handle", _registrars),
            Entry("毕业后跨省就学查询", "admission:cross_province_list", _registrars),
            Entry("毕业后跨省就学撤销", "admission:cross_province_withdraw", _school_registrar),
        ]),
        Group("问题学籍管理", [
            Entry("省内问题学籍处理", "problems:handle_list", _school_registrar),
            Entry("省内问题学籍审核", "problems:review_list", _reviewers),
            Entry("省内问题学籍仲裁", "problems:arbitration_list", _authority_registrar),
            Entry("跨省问题学籍处理", "problems:cross_province_list", _school_registrar),
            Entry("跨省问题学籍审核", "problems:cross_province_review_list", _reviewers),
            Entry("跨省问题学籍仲裁", "problems:cross_province_arbitration_list", _ministry_registrar),
            Entry("问题学籍查询", "problems:index", _problem_query_users),
            Entry("问题学籍概况", "problems:overview", _authority_registrar),
            Entry("问题学籍催办", "problems:reminders", _school_staff),
        ]),
    ]),
    Group("学校管理", [
        Entry("学校列表", "org:school_list", _authority),
        Entry("学校基本信息管理", "org:my_school", _school_staff),
        Entry("年级班级管理", "org:my_school_grades", _school_staff),
        Entry("行政区划变动管理", "org:division_change_list", _province_registrar),
        Entry("学校变动管理", "org:school_change_list", _authority_registrar),
        Entry("学生学籍转移", "changes:record_transfer_list", _authority_registrar),
        Entry("学籍转入确认", "changes:record_transfer_confirm", _school_registrar),
    ]),
    Group("统计报表", [
        Entry("统计报表", "reports:statistics", _query_users),
        Entry("对账", "reports:reconciliation", _query_users),
    ]),
    Group("数据核对", [
        Entry("孩子的学籍信息核对", "quality:parent_check", _parent),
    ]),
    Group("系统管理", [
        Group("系统设置", [
            Entry("用户管理", "accounts:user_list", _admin),
            Entry("在线用户", "accounts:online_users", _admin),
            Entry("学年学期设置", "org:term_list", _authority),
            Entry("行政区划", "org:division_list", _authority),
            Entry("代码表", "codes:table_list"),
            Entry("接口令牌", "accounts:api_token", _registrars),
        ]),
        Group("业务配置", [
            Entry("业务流程配置", "workflow:config_list", _authority_registrar),
            Entry("业务时间控制", "workflow:window_list", _province_or_ministry_registrar),
            Entry("入学年龄设置", "registration:entry_age", _province_registrar),
            Entry("毕业设置", "graduation:settings", _province_registrar),
        ]),
        Group("安全审计", [
            Entry("审计日志", "audit:entry_list", _authority),
        ]),
        Entry("误操作删除", "changes:mistaken_deletion_list", _roles(Role.SCHOOL_REGISTRAR, Role.AUTHORITY_REGISTRAR)),
        # not in the seeds: the background jobs (imports, collections, exports) of the
        # roles that start them, with their progress and results (docs/TASKS.md)
        Entry("我的后台任务", "jobs:list", _registrars),
    ]),
]


def _url(entry: Entry) -> str | None:
    try:
        return reverse(entry.url_name) + entry.query
    except NoReverseMatch:
        return None


def _visible(items: list, user) -> list[dict]:
    """The entries and sub-groups of ``items`` that ``user`` sees, as plain dicts: an entry
    ``{"label", "url"}``, a sub-group ``{"label", "entries": [...]}`` (never empty)."""
    shown: list[dict] = []
    for item in items:
        if isinstance(item, Group):
            children = _visible(item.entries, user)
            if children:
                shown.append({"label": item.label, "entries": children})
            continue
        if not item.visible(user):
            continue
        url = _url(item)
        if url is not None:
            shown.append({"label": item.label, "url": url})
    return shown


def _flatten(items: list[dict]) -> list[dict]:
    flat: list[dict] = []
    for item in items:
        flat.extend(_flatten(item["entries"]) if "entries" in item else [item])
    return flat


def menu_for(user) -> list[dict]:
    """The groups ``user`` sees. Each group: ``label``, ``children`` (its entries and
    sub-groups in order, as :func:`_visible` gives them) and ``entries`` (every entry of
    the group, sub-groups flattened)."""
    groups = []
    for group in MENU:
        children = _visible(group.entries, user)
        if children:
            groups.append({"label": group.label, "children": children, "entries": _flatten(children)})
    return groups


def menu_entries(user) -> list[dict]:
    """Every entry ``user`` sees, in menu order."""
    return [entry for group in menu_for(user) for entry in group["entries"]]


# --- the current page -------------------------------------------------------------------------
def _match(url: str, path: str, params: dict[str, list[str]]) -> int:
    """How well an entry's URL names the page: -1 not at all, else the number of its
    query parameters the page has (an entry with ``?state=report`` beats the bare path)."""
    parts = urlsplit(url)
    if parts.path != path:
        return -1
    wanted = parse_qsl(parts.query)
    if any(value not in params.get(key, []) for key, value in wanted):
        return -1
    return len(wanted)


def mark_current(groups: list[dict], path: str, params: dict[str, list[str]], open_all: bool = False) -> None:
    """Mark the entry of the current page (``current``) and open (``open``) the groups
    on its way; with ``open_all`` every sub-group is open (a user with few entries)."""
    best: tuple[int, dict | None] = (-1, None)
    for group in groups:
        for entry in group["entries"]:
            score = _match(entry["url"], path, params)
            if score > best[0]:
                best = (score, entry)
    current = best[1]

    def walk(items: list[dict]) -> bool:
        found = False
        for item in items:
            if "entries" in item:
                inside = walk(item["entries"])
                item["open"] = inside or open_all
                found = found or inside
            else:
                item["current"] = item is current
                found = found or item is current
        return found

    for group in groups:
        walk(group["children"])
        group["open"] = True
