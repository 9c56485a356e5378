"""Keeping problem records moving: the school's to-dos (its turn, overdue, unread 催办 with
a way to mark them read), the authorities' overview and 问题学籍概况 (open groups by type
and age, resolved this month, per school), and who may open these pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from xueji.audit.models import AuditEntry
from xueji.portal import todos as T
from xueji.problems import list_selectors
from xueji.problems.models import GroupState, ProblemGroup, ProblemReminder

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("problems:overview")
REMINDERS = reverse("problems:reminders")


def _todo(items, label):
    return next((t for t in items if t.label == label), None)


def test_school_todos_count_the_schools_turn_and_overdue(zoo):
    u = zoo.users
    th = T.todos_for(u.school_registrar)
    assert _todo(th, "待处理的省内问题学籍").count == 2  # own, hist (locked, still the school's)
    assert _todo(th, "待处理的跨省问题学籍").count == 1
    assert _todo(th, "超期未处理的省内问题学籍") is None  # nothing of th overdue
    hz = T.todos_for(u.hz_school_registrar)
    assert _todo(hz, "待处理的省内问题学籍").count == 1
    overdue = _todo(hz, "超期未处理的省内问题学籍")
    assert overdue.count == 1 and overdue.url == reverse("problems:handle_list") + "?overdue=1"
    assert _todo(hz, "超期未处理的跨省问题学籍") is None
    # the cross-province group waiting for th, overdue: its own item, linking to the cross-province list
    ProblemGroup.objects.filter(pk=zoo.xp.pk).update(turn_due=timezone.now() - dt.timedelta(days=1))
    crossing = _todo(T.todos_for(u.school_registrar), "超期未处理的跨省问题学籍")
    assert crossing.count == 1 and crossing.url == reverse("problems:cross_province_list") + "?overdue=1"
    assert _todo(T.todos_for(u.school_leader), "待处理的省内问题学籍") is None


def test_authority_overview_counts_overdue_in_scope(zoo):
    u = zoo.users
    label = "辖区超期未处理的问题学籍"
    assert _todo(T.overview_for(u.hz_registrar), label).count == 1
    assert _todo(T.overview_for(u.gz_registrar), label).count == 1
    assert _todo(T.overview_for(u.th_registrar), label).count == 0  # the overdue turn is hz's
    assert _todo(T.overview_for(u.gx_admin), label).count == 0


def test_arbitration_todos(zoo):
    ProblemGroup.objects.filter(pk=zoo.two.pk).update(state=GroupState.ARBITRATION, arbiter=zoo.world.tree.gz)
    assert _todo(T.todos_for(zoo.users.gz_registrar), "待仲裁的省内问题学籍").count == 1
    assert _todo(T.todos_for(zoo.users.th_registrar), "待仲裁的省内问题学籍") is None


def test_home_page_shows_the_problem_todos(client, zoo):
    client.force_login(zoo.users.hz_school_registrar)
    home = client.get("/").content.decode()
    assert "待处理的省内问题学籍" in home and "超期未处理的省内问题学籍" in home


def test_overview_by_kind_age_and_school(client, zoo):
    now = timezone.now()
    # one more open group of th opened today and one resolved last month (not counted this month)
    ProblemGroup.objects.filter(pk=zoo.own.pk).update(created_at=now)
    ProblemGroup.objects.filter(pk=zoo.done.pk).update(resolved_at=now)
    view = list_selectors.overview_for(zoo.users.th_registrar, now)
    kinds = {k["kind"]: k for k in view.kinds}
    assert kinds["身份证件号重复"]["total"] == 2 and kinds["身份证件号重复"]["buckets"][0] == 1
    assert sum(kinds["身份证件号重复"]["buckets"][2:4]) == 1  # the 40-day-old pair (~28 working days)
    assert kinds["身份证件号错误"]["total"] == 1  # hist (done is resolved)
    assert kinds["无身份证件号姓名性别出生日期重复"]["total"] == 1
    assert view.open_total == 4 and view.resolved_month == 1 and sum(view.totals) == 4
    schools = {r["school"].code: r for r in view.schools}
    th = schools["3440106001"]
    assert (th["open"], th["waiting"], th["overdue"], th["resolved_month"]) == (4, 3, 0, 1)
    assert "3440105001" not in schools  # 海珠区's school is not 天河区's
    city = {r["school"].code: r for r in list_selectors.overview_for(zoo.users.gz_registrar, now).schools}
    assert (city["3440105001"]["open"], city["3440105001"]["overdue"]) == (1, 1)
    # resolved before this month: not "this month"
    last_month = now.replace(day=1) - dt.timedelta(days=3)
    ProblemGroup.objects.filter(pk=zoo.done.pk).update(resolved_at=last_month)
    assert list_selectors.overview_for(zoo.users.th_registrar, now).resolved_month == 0
    client.force_login(zoo.users.gz_registrar)
    page = client.get(OVERVIEW).content.decode()
    assert page.count('data-testid="overview-kind"') == 3 and 'data-code="3440105001"' in page


@pytest.mark.parametrize("who,status", [
    ("th_registrar", 200), ("th_admin", 200), ("moe_registrar", 200), ("school_registrar", 403),
    ("school_leader", 403), ("class_teacher", 403), ("parent", 403),
])
def test_who_may_open_the_overview(client, zoo, who, status):
    client.force_login(getattr(zoo.users, who))
    assert client.get(OVERVIEW).status_code == status


def _remind(zoo, school, group, message="请尽快处理"):
    return ProblemReminder.objects.create(group=group, school=school, sender="天河区教育局", sender_name="区管理员",
                                          message=message)


def test_reminders_on_the_home_page_and_marked_read(client, zoo):
    th = zoo.world.th_school
    first = _remind(zoo, th, zoo.own)
    second = _remind(zoo, th, zoo.hist, "=HYPERLINK(1)")
    other = _remind(zoo, zoo.world.hz_school, zoo.two)
    client.force_login(zoo.users.school_registrar)
    assert _todo(T.todos_for(zoo.users.school_registrar), "未读的问题学籍催办").count == 2
    assert _todo(T.todos_for(zoo.users.school_leader), "未读的问题学籍催办").count == 2
    page = client.get(REMINDERS).content.decode()
    assert page.count('data-testid="reminder"') == 2 and "请尽快处理" in page
    assert client.post(REMINDERS, {"r": [first.pk]}).status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    assert AuditEntry.objects.filter(action="problems.reminders_read").count() == 1
    # another school's reminder, or a bad id: the whole request refused and audited
    before = AuditEntry.objects.filter(action="scope.denied").count()
    client.post(REMINDERS, {"r": [second.pk, other.pk]})
    client.post(REMINDERS, {"r": ["abc"]})
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 2
    second.refresh_from_db()
    other.refresh_from_db()
    assert second.read_at is None and other.read_at is None
    client.post(REMINDERS, {})  # nothing chosen: a message, no change
    assert client.post(REMINDERS, {"all": "1"}).status_code == 302
    second.refresh_from_db()
    assert second.read_at is not None and _todo(T.todos_for(zoo.users.school_registrar), "未读的问题学籍催办") is None
    other.refresh_from_db()
    assert other.read_at is None


@pytest.mark.parametrize("who,status", [("school_registrar", 200), ("school_leader", 200), ("th_registrar", 403),
                                        ("class_teacher", 403), ("data_checker", 403), ("parent", 403)])
def test_who_may_open_the_reminders(client, zoo, who, status):
    client.force_login(getattr(zoo.users, who))
    assert client.get(REMINDERS + "?page=abc").status_code == status
