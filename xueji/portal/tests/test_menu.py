"""The menu of the seeds (issue 7 §8): three levels, each entry shown once its page exists,
for each role; every entry a user sees opens for that user."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from xueji.accounts.models import Role
from xueji.portal import menu as M
from xueji.testing import make_user

LAYOUT = Path(__file__).resolve().parents[3] / "docs" / "LAYOUT.md"


def _labels(user) -> set[str]:
    return {e["label"] for e in M.menu_entries(user)}


EXPECTED = {
    "school_registrar": {
        "学前调档名单管理", "学前档案信息补录", "小学新生注册", "小学新生注册上报", "非小学新生注册", "非小学新生注册上报",
        "本校注册申请", "学籍数据维护", "在办业务清理", "异动在办业务查询", "学校基本信息管理", "年级班级管理", "代码表", "接口令牌",
        "我的后台任务", "关键数据变更申请", "学籍异动申请", "学籍卡管理", "误操作删除", "在校生查询", "学生信息查询",
        "学籍非关键信息批量修改", "省内转学", "学籍转入确认", "升级",
        "省内问题学籍处理", "跨省问题学籍处理", "问题学籍查询", "问题学籍催办",
        "毕业", "毕业生信息维护", "往届学生毕业", "毕业生退回", "招生计划数",
        "招生结果管理", "录取新生", "调取新生档案", "分班",
        "重复招生处理", "重复招生查询",
    },
    "school_leader": {
        "待审核业务", "小学新生注册审核", "非小学新生注册审核", "本校注册申请", "异动在办业务查询", "学校基本信息管理",
        "年级班级管理", "代码表", "关键数据变更审核", "学籍异动审核", "学籍卡管理", "在校生查询", "学生信息查询",
        "省内转学", "省内问题学籍审核", "跨省问题学籍审核", "问题学籍查询", "问题学籍催办",
        "毕业", "毕业生信息维护", "毕业生退回", "招生计划数", "录取审核",
        "重复招生处理", "重复招生查询",
    },
    "class_teacher": {"我的班级", "代码表", "学籍卡管理", "在校生查询", "问题学籍查询"},
    "data_checker": {"学籍数据维护", "代码表", "关键数据变更申请", "问题学籍查询"},
    "th_registrar": {
        "待审核业务", "小学新生注册审核", "非小学新生注册审核", "首次数据采集", "在办业务清理", "异动在办业务查询",
        "学校列表", "学年学期设置", "行政区划", "代码表", "接口令牌", "业务流程配置", "审计日志", "我的后台任务",
        "关键数据变更审核", "学籍异动审核", "误操作删除", "在校生查询", "学生信息查询",
        "省内转学", "学生学籍转移", "升级",
        "省内问题学籍审核", "省内问题学籍仲裁", "跨省问题学籍审核", "问题学籍查询", "问题学籍概况",
        "毕业", "毕业生信息维护", "毕业生退回", "招生计划数", "招生计划数变更核办",
        "初中招生结果导入设置", "高中招生结果导入设置", "招生结果管理", "录取审核", "省内招生升学查询",
        "重复招生核办", "重复招生仲裁", "重复招生查询",
    },
    "th_admin": {"异动在办业务查询", "学校列表", "用户管理", "在线用户", "学年学期设置", "行政区划", "代码表", "审计日志",
                 "问题学籍查询"},
    "parent": set(),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_the_entries_each_role_sees(world, who):
    assert _labels(getattr(world.users, who)) == EXPECTED[who]


def test_authority_levels(world):
    u = world.users
    county, city, province, ministry = (_labels(x) for x in (u.th_registrar, u.gz_registrar, u.gd_registrar,
                                                             u.moe_registrar))
    assert "业务时间控制" not in county | city and "业务时间控制" in province & ministry
    # 教育部 arbitrates across provinces (跨省问题学籍仲裁): nobody else sees the entry
    assert "跨省问题学籍仲裁" in ministry and "跨省问题学籍仲裁" not in county | city | province
    assert county == city
    assert province - county == {"业务时间控制", "毕业设置"}


def test_three_levels(world):
    groups = M.menu_for(world.users.school_registrar)
    assert [g["label"] for g in groups] == ["学籍管理", "学校管理", "系统管理"]
    management = groups[0]
    sub = {c["label"]: [e["label"] for e in c["entries"]] for c in management["children"] if "entries" in c}
    assert sub["学籍注册"][:3] == ["学前调档名单管理", "学前档案信息补录", "小学新生注册"]
    assert sub["综合查询"] == ["在校生查询", "学生信息查询", "异动在办业务查询"]
    system = groups[2]["children"]
    # 业务配置, 安全审计: nothing for a school registrar; 我的后台任务 directly under the group
    assert [c["label"] for c in system] == ["系统设置", "误操作删除", "我的后台任务"]
    assert system[-1]["url"] == reverse("jobs:list")
    # a group's "entries" is the flat list of everything under it
    assert [e["label"] for e in management["entries"]][:2] == ["学前调档名单管理", "学前档案信息补录"]


def test_entries_of_features_not_built_stay_hidden(world):
    names = {e.url_name for e in _walk(M.MENU)}
    assert {"changes:key_change_list", "admission:admit", "reports:students", "problems:handle_list"} <= names
    shown = {e["url"] for e in M.menu_entries(world.users.th_registrar)}
    assert not any(url.startswith(("/changes/batch", "/admission/plan", "/admission/duplicate")) for url in shown)
    assert reverse("changes:transfer_list") in shown
    # of 综合查询, only the pages built so far
    assert {u for u in shown if u.startswith("/reports/")} == {reverse("reports:students"),
                                                               reverse("reports:student_search")}


def _walk(items):
    for item in items:
        if isinstance(item, M.Group):
            yield from _walk(item.entries)
        else:
            yield item


def test_every_url_name_of_the_menu_is_documented():
    """docs/LAYOUT.md lists the URL names later features are to use."""
    text = LAYOUT.read_text(encoding="utf-8")
    missing = sorted({e.url_name for e in _walk(M.MENU)} - set(re.findall(r"`([a-z_]+:[a-z_]+)`", text)))
    assert missing == []


def test_every_entry_a_user_sees_opens_for_that_user(client, world):
    users = [u for u in vars(world.users).values()]
    users += [make_user("xn_registrar", Role.AUTHORITY_REGISTRAR, authority=world.tree.xingning),
              make_user("gx_registrar", Role.AUTHORITY_REGISTRAR, authority=world.tree.gx)]
    opened = 0
    for user in users:
        client.force_login(user)
        for entry in M.menu_entries(user):
            response = client.get(entry["url"], follow=True)
            assert response.status_code == 200, (user.username, entry)
            opened += 1
    assert opened > 60


def test_the_side_menu_renders_three_levels_without_script(client, world):
    client.force_login(world.users.school_registrar)
    url = reverse("registration:pending") + "?state=report&group=primary"
    page = client.get(url).content.decode()
    nav = page.split('data-testid="menu"')[1].split("</nav>")[0]
    assert nav.count("<details") >= 4 and "<summary" in nav
    assert "<script" not in nav and "onclick" not in nav
    current = re.findall(r'<a class="nav-link[^"]*"[^>]*aria-current="page">([^<]+)</a>', nav)
    assert current == ["小学新生注册上报"]


def test_the_current_entry_opens_its_group(world, rf):
    user = make_user("busy_registrar", Role.AUTHORITY_REGISTRAR, authority=world.tree.tianhe)
    groups = M.menu_for(user)
    M.mark_current(groups, reverse("registration:authority_review"), {"group": ["other"]})
    management = groups[0]
    register = next(c for c in management["children"] if c["label"] == "学籍注册")
    query = next(c for c in management["children"] if c["label"] == "综合查询")
    assert register["open"] and not query["open"]
    current = [e["label"] for e in register["entries"] if e.get("current")]
    assert current == ["非小学新生注册审核"]


def test_bare_path_matches_the_entry_without_parameters(world):
    groups = M.menu_for(world.users.school_registrar)
    M.mark_current(groups, reverse("workflow:open_businesses"), {})
    current = [e["label"] for g in groups for e in g["entries"] if e.get("current")]
    assert current == ["异动在办业务查询"]
    M.mark_current(groups, reverse("workflow:open_businesses"), {"clear": ["1"]})
    current = [e["label"] for g in groups for e in g["entries"] if e.get("current")]
    assert current == ["在办业务清理"]


def test_no_menu_for_anonymous_and_parents(client, world):
    assert "data-testid=\"menu\"" not in client.get(reverse("accounts:login")).content.decode()
    client.force_login(world.users.parent)
    assert M.menu_for(world.users.parent) == []


def test_the_home_page_shows_the_whole_menu_open(world, client):
    """A user with many entries sees every sub-group open on the home page (the whole
    menu at a glance); on another page only the current page's sub-group is open."""

    def sub_groups(response):
        found = []

        def walk(items):
            for item in items:
                if "entries" in item:
                    found.append(item)
                    walk(item["entries"])

        for group in response.context["menu"]:
            walk(group["children"])
        return found

    client.force_login(world.users.school_registrar)
    home = sub_groups(client.get(reverse("portal:home")))
    assert sum(1 for g in home for e in g["entries"] if "entries" not in e) > 14
    assert home and all(g["open"] for g in home)
    inner = sub_groups(client.get(reverse("changes:batch_edit")))
    assert any(g["open"] for g in inner) and not all(g["open"] for g in inner)
