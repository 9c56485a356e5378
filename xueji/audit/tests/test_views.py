"""系统管理 → 审计日志: who may open it, and what each one sees."""

from __future__ import annotations

import pytest
from django.template.loader import get_template
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.audit.services import record_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _url_map(settings):
    """Use the project's URL map; while other apps are still being built and the page
    shell's links can't be resolved, fall back to the stand-in map in ``urls.py``."""
    try:
        for name in ("portal:home", "accounts:logout", "accounts:password_change",
                     "audit:entry_list"):
            reverse(name)
        get_template("common/403.html")
        get_template("common/404.html")
    except Exception:
        settings.ROOT_URLCONF = "xueji.audit.tests.urls"


@pytest.fixture
def entries(users, org):
    """One entry in each county, one at city level, one ministry-only."""
    return {
        "tianhe": record_event(action="org.school_updated", summary="修改天河区第一小学",
                               actor=users["tianhe"], target=org["school"],
                               before={"name": "旧校名", "password": "p@ss"},
                               after={"name": "新校名"}),
        "baiyun": record_event(action="org.school_updated", summary="修改白云区第一小学",
                               actor=users["baiyun"], target=org["baiyun_school"]),
        "city": record_event(action="auth.login", summary="市管理员登录", actor=users["city"]),
        "anonymous": record_event(action="auth.login_failed", summary="未知账号登录失败"),
    }


def _list(client, user, **params):
    client.force_login(user)
    return client.get(reverse("audit:entry_list"), params)


def _seqs(response) -> set[int]:
    return {e.pk for e in response.context["result"].objects}


def test_county_admin_sees_own_county_only(client, users, entries):
    response = _list(client, users["tianhe"])
    assert response.status_code == 200
    assert _seqs(response) == {entries["tianhe"].pk}
    html = response.content.decode()
    assert "修改天河区第一小学" in html
    assert "修改白云区第一小学" not in html


def test_higher_levels_see_everything_below(client, users, entries):
    city = _seqs(_list(client, users["city"]))
    assert city == {entries["tianhe"].pk, entries["baiyun"].pk, entries["city"].pk}
    province = _seqs(_list(client, users["province"]))
    assert province == city
    ministry = _seqs(_list(client, users["ministry"]))
    assert ministry == {e.pk for e in entries.values()}


@pytest.mark.parametrize("who", ["school", "parent"])
def test_others_get_403_and_refusal_is_audited(client, users, entries, who):
    response = _list(client, users[who])
    assert response.status_code == 403
    refusal = AuditEntry.objects.filter(action="scope.denied").get()
    assert refusal.actor == users[who]


def test_anonymous_is_sent_to_login(client, entries):
    response = client.get(reverse("audit:entry_list"))
    assert response.status_code == 302


def test_detail_in_scope(client, users, entries):
    client.force_login(users["tianhe"])
    response = client.get(reverse("audit:entry_detail", args=[entries["tianhe"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "旧校名" in html and "新校名" in html
    assert "p@ss" not in html
    assert 'data-testid="hash-valid"' in html


def test_detail_out_of_scope_is_404_and_audited(client, users, entries):
    client.force_login(users["tianhe"])
    response = client.get(reverse("audit:entry_detail", args=[entries["baiyun"].pk]))
    assert response.status_code == 404
    refusal = AuditEntry.objects.get(action="scope.denied")
    assert refusal.actor == users["tianhe"]
    assert refusal.object_id == str(entries["baiyun"].pk)
    assert refusal.authority_prefix == "440106"
    # a number that does not exist is a plain 404, not an audited refusal
    response = client.get(reverse("audit:entry_detail", args=[99999]))
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == 1


def test_detail_for_school_user_is_403(client, users, entries):
    client.force_login(users["school"])
    response = client.get(reverse("audit:entry_detail", args=[entries["tianhe"].pk]))
    assert response.status_code == 403


def test_search_filters(client, users, org, entries):
    extra = record_event(action="auth.login_failed", summary="天河管理员密码错误",
                         actor=users["tianhe"])
    ministry = users["ministry"]
    assert _seqs(_list(client, ministry, action="auth")) == {
        entries["city"].pk, entries["anonymous"].pk, extra.pk}
    assert _seqs(_list(client, ministry, action="auth.login_failed")) == {
        entries["anonymous"].pk, extra.pk}
    assert _seqs(_list(client, ministry, actor="by_")) == {entries["baiyun"].pk}
    assert _seqs(_list(client, ministry, actor="白云管理")) == {entries["baiyun"].pk}
    assert _seqs(_list(client, ministry, text="白云")) == {entries["baiyun"].pk}
    assert _seqs(_list(client, ministry, object_id=str(org["school"].pk))) == {
        entries["tianhe"].pk}
    # filters stay inside the scope
    assert _seqs(_list(client, users["tianhe"], text="白云")) == set()


def test_search_by_ip_and_dates(client, users, entries):
    from django.test import RequestFactory
    from django.utils import timezone

    request = RequestFactory().get("/", REMOTE_ADDR="10.8.0.5")
    request.user = users["tianhe"]
    tagged = record_event(action="auth.login", summary="带地址", request=request)
    ministry = users["ministry"]
    assert _seqs(_list(client, ministry, ip="10.8.0.5")) == {tagged.pk}
    assert _seqs(_list(client, ministry, ip="10.8.")) == {tagged.pk}
    today = timezone.localdate().isoformat()
    assert len(_seqs(_list(client, ministry, date_from=today, date_to=today))) == 5
    assert _seqs(_list(client, ministry, date_to="2000-01-01")) == set()
    response = _list(client, ministry, date_from="2026-02-01", date_to="2026-01-01")
    assert response.status_code == 200
    assert "开始日期不能晚于结束日期" in response.content.decode()
    assert _seqs(response) == set()


def test_sort_and_paging(client, users, org):
    written = [record_event(action="org.school_updated", summary=f"第{i}次", actor=users["tianhe"],
                            target=org["school"]).pk for i in range(25)]
    response = _list(client, users["tianhe"])
    pks = [e.pk for e in response.context["result"].objects]
    assert pks == written[::-1][:20]  # newest first, 20 a page
    response = _list(client, users["tianhe"], sort="id", page=2)
    assert [e.pk for e in response.context["result"].objects] == written[20:]
    html = response.content.decode()
    assert "共 25 条" in html
    response = _list(client, users["tianhe"], sort="summary")  # not sortable: default
    assert response.context["result"].sort == "-id"


# --- shown in Chinese ----------------------------------------------------------------------
def _table(response) -> str:
    html = response.content.decode()
    return html[html.index('data-testid="audit-entries"'):]


def _detail(client, user, entry) -> str:
    client.force_login(user)
    response = client.get(reverse("audit:entry_detail", args=[entry.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_object_types_by_chinese_name(client, users, org):
    record_event(action="api.student_read", summary="读取", actor=users["tianhe"],
                 target=("students.student", 524), authority_prefix="440106")
    record_event(action="org.school_updated", summary="修改", actor=users["tianhe"],
                 target=org["school"])
    record_event(action="x.y", summary="未知类型", actor=users["tianhe"],
                 target=("nowhere.thing", 7), authority_prefix="440106")
    html = _table(_list(client, users["tianhe"]))
    assert "学籍 524" in html
    assert f"学校 {org['school'].pk}" in html
    assert "students.student" not in html and "org.school" not in html
    assert "nowhere.thing 7" in html  # an unknown type is shown as stored, not hidden


def test_before_after_as_labelled_fields(client, users, org):
    entry = record_event(
        action="workflow.batch_decided", summary="全部审核", actor=users["tianhe"],
        target=("workflow.business", None), school=org["school"],
        after={"decided": [11, 12], "skipped": [[13, "不在您的审核范围内"]], "passed": True,
               "opinion": "", "when": "2026-09-01T02:03:04.567890+00:00",
               "nested": {"status": "open", "kind": "registration.primary"}},
    )
    html = _detail(client, users["tianhe"], entry)
    for text in ("已审核的业务", "11、12", "跳过的业务", "13 不在您的审核范围内", "审核通过", "是",
                 "审核意见", "2026-09-01 10:03:04"):
        assert text in html, text
    for raw in ("decided", "skipped", "passed", "{'", '{"', "2026-09-01T02"):
        assert raw not in html, raw
    assert "状态:" in html  # a nested mapping, labelled too


def test_model_fields_labelled_and_coded_values_named(client, users, org):
    entry = record_event(
        action="org.school_updated", summary="修改学校", actor=users["tianhe"], target=org["school"],
        before={"name": "旧校名", "has_primary": False, "principal_phone": "13812345678"},
        after={"name": "新校名", "has_primary": True, "principal_phone": "13900001111"},
    )
    html = _detail(client, users["tianhe"], entry)
    assert "学校名称" in html and "设小学" in html
    assert "has_primary" not in html
    assert "13812345678" not in html and "138****5678" in html  # phones masked as in lists


def test_identity_numbers_masked(client, users, org):
    entry = record_event(
        action="registration.preschool_deleted", summary="删除", actor=users["tianhe"],
        school=org["school"],
        before={"requests": [{"name": "张三", "id_number": "440106201901010012"}]},
    )
    html = _detail(client, users["tianhe"], entry)
    assert "440106201901010012" not in html
    assert "4401**********0012" in html and "身份证件号" in html


def test_role_and_times_in_chinese(client, users, entries):
    from xueji.org.roles import Role

    html = _detail(client, users["tianhe"], entries["tianhe"])
    assert dict(Role.choices)[Role.AUTHORITY_ADMIN] in html
    assert "authority_admin" not in html
    import re

    assert re.search(r"<td[^>]*>\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s*</td>", html)
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", html)
    assert "链 4401" in html and "第 1 条" in html  # where it sits in the partitioned log
    listing = _table(_list(client, users["tianhe"]))
    assert dict(Role.choices)[Role.AUTHORITY_ADMIN] in listing
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", listing)


def test_non_mapping_values_shown_plainly(client, users):
    entry = record_event(action="x.y", summary="列表", actor=users["tianhe"],
                         authority_prefix="440106", before=None, after=list(range(30)))
    html = _detail(client, users["tianhe"], entry)
    assert "0、1、2" in html and "等 30 项" in html
    assert "[0, 1" not in html


def test_unknown_action_filter_is_refused_plainly(client, users, entries):
    response = _list(client, users["ministry"], action="no.such_action")
    assert response.status_code == 200
    assert _seqs(response) == set()
    assert "操作类型" in response.content.decode()
