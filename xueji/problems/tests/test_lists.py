"""The 问题学籍 lists: what each shows to whom, every query condition (bad values are form
errors, never a 500; a school, grade or class out of scope is 403 + audit), the rows'
已等待N个工作日 / 超期 / 等待谁 / 对方, and who may open which page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from xueji.audit.models import AuditEntry
from xueji.problems import list_rules
from xueji.problems.models import GroupState, MemberState, ProblemGroup, ProblemMember
from xueji.workflow import registry as workflow_registry
from xueji.workflow import services as W

pytestmark = pytest.mark.django_db

HANDLE = reverse("problems:handle_list")
REVIEW = reverse("problems:review_list")
ARBITRATION = reverse("problems:arbitration_list")
XP_HANDLE = reverse("problems:cross_province_list")
XP_REVIEW = reverse("problems:cross_province_review_list")
XP_ARBITRATION = reverse("problems:cross_province_arbitration_list")
QUERY = reverse("problems:index")


def _groups(client, url, query=""):
    response = client.get(url + query)
    assert response.status_code == 200, response
    return [int(g) for g in re.findall(r'data-testid="problem-row" data-group="(\d+)"', response.content.decode())]


def _denied(before):
    return AuditEntry.objects.filter(action="scope.denied").count() == before + 1


# --- 处理 -----------------------------------------------------------------------------------------
def test_handle_list_shows_the_schools_turn_only(client, zoo):
    client.force_login(zoo.users.school_registrar)
    # own (t2 acts), hist (t4, locked but still listed), not two (hz acts), not xp (cross), not done
    assert sorted(_groups(client, HANDLE)) == sorted([zoo.own.pk, zoo.hist.pk])
    client.force_login(zoo.users.hz_school_registrar)
    assert _groups(client, HANDLE) == [zoo.two.pk]
    page = client.get(HANDLE).content.decode()
    assert "已等待" in page and 'data-testid="problem-overdue"' in page and "海珠测试小学(处理)" in page


def test_handle_list_after_a_failed_arbitration_and_while_acting(client, zoo):
    client.force_login(zoo.users.school_registrar)
    ProblemMember.objects.filter(group=zoo.own, student=zoo.t2).update(state=MemberState.FAILED)
    assert zoo.own.pk in _groups(client, HANDLE)
    ProblemMember.objects.filter(group=zoo.own, student=zoo.t2).update(state=MemberState.ACTING)
    assert zoo.own.pk not in _groups(client, HANDLE)


def test_cross_province_handle_list_shows_the_counterpart(client, zoo):
    client.force_login(zoo.users.school_registrar)
    assert _groups(client, XP_HANDLE) == [zoo.xp.pk]
    page = client.get(XP_HANDLE).content.decode()
    assert "兴宁测试小学:待处理" in page
    assert zoo.x1.name not in page  # the counterpart is summarised, not listed
    assert zoo.xp.pk not in _groups(client, HANDLE)


@pytest.mark.parametrize("query,expected", [
    ("?kind=id_error", ["hist"]), ("?kind=id_duplicate", ["own"]), ("?locked=1", ["hist"]), ("?locked=0", ["own"]),
    ("?note=校验", ["hist"]), ("?name={t2}", ["own"]), ("?number={t4n}", ["hist"]), ("?id_number={t2i}", ["own"]),
    ("?overdue=1", []), ("?overdue=0", ["own", "hist"]), ("?klass={c2}", ["own"]), ("?grade={g2020}", ["own", "hist"]),
    ("?method=evidence", []),
])
def test_handle_list_conditions(client, zoo, query, expected):
    client.force_login(zoo.users.school_registrar)
    query = query.format(t2=zoo.t2.name, t4n=zoo.t4.national_number, t2i=zoo.t2.id_number, c2=zoo.place.c2.pk,
                         g2020=zoo.place.g2020.pk)
    assert sorted(_groups(client, HANDLE, query)) == sorted(getattr(zoo, k).pk for k in expected)


@pytest.mark.parametrize("query", [
    "?number=abc", "?number=G" + "1" * 30, "?id_number=%E4%B8%AD%E6%96%87", "?grade=x", "?klass=-1", "?klass=1e9",
    "?kind=nope", "?locked=2", "?method=%00", "?overdue=yes", "?name=" + "张" * 80,
])
def test_bad_conditions_are_form_errors(client, zoo, query):
    client.force_login(zoo.users.school_registrar)
    response = client.get(HANDLE + query)
    assert response.status_code == 200
    text = response.content.decode()
    assert "invalid-feedback" in text and 'data-testid="problem-row"' not in text


@pytest.mark.parametrize("query", ["?sort=bogus", "?sort=-waited", "?page=abc", "?page=999", "?size=7",
                                   "?school=3440105001"])
def test_odd_paging_sorting_and_ignored_fields_never_fail(client, zoo, query):
    client.force_login(zoo.users.school_registrar)
    assert sorted(_groups(client, HANDLE, query)) == sorted([zoo.own.pk, zoo.hist.pk])


def test_grade_or_class_of_another_school_is_403_and_audited(client, zoo):
    client.force_login(zoo.users.school_registrar)
    hz_class = zoo.place.hz
    for query in (f"?klass={hz_class.pk}", f"?grade={hz_class.grade_id}", "?klass=99999999"):
        before = AuditEntry.objects.filter(action="scope.denied").count()
        assert client.get(HANDLE + query).status_code == 403
        assert _denied(before)


# --- 审核 -----------------------------------------------------------------------------------------
@pytest.fixture
def plain_types(monkeypatch):
    """The 问题学籍 business types as plain engine types (no handling effects): these tests
    are about the lists over the engine's queue, not about what a decision does."""
    for btype in workflow_registry.all_types():
        if btype.group == "问题学籍":
            monkeypatch.setitem(workflow_registry._TYPES, btype.code, dataclasses.replace(
                btype, on_complete=lambda *a, **k: None, on_end=None, on_advance=None, on_complete_many=None,
                on_end_many=None, payload=None, facts=None, fact_columns=()))


def _act(zoo, member_student, kind="problem_proof"):
    """A 佐证 of ``member_student`` waiting at its school leader: the engine's business,
    the member ACTING (the test's own rows)."""
    student = member_student
    business = W.initiate(kind=kind, school=student.school, applicant=zoo.users.school_registrar
                          if student.school_id == zoo.world.th_school.pk else zoo.users.hz_school_registrar,
                          student=student, stage="1", summary=f"问题学籍佐证:{student.name}")
    member = ProblemMember.objects.get(student=student)
    ProblemMember.objects.filter(pk=member.pk).update(state=MemberState.ACTING, method="evidence", business=business,
                                                      must_act=False)
    ProblemGroup.objects.filter(pk=member.group_id).update(state=GroupState.REVIEWING)
    return business


def test_review_lists_follow_the_engine_queue(client, zoo, plain_types):
    business = _act(zoo, zoo.t2)
    client.force_login(zoo.users.school_leader)
    assert _groups(client, REVIEW) == [zoo.own.pk]
    page = client.get(REVIEW).content.decode()
    assert reverse("workflow:business_detail", args=[business.pk]) in page and "佐证" in page
    assert "天河测试小学(审核)" in page
    client.force_login(zoo.users.th_registrar)
    assert _groups(client, REVIEW) == []  # not at the county's step yet
    business.refresh_from_db()
    W.decide(business, zoo.users.school_leader, True, "同意")
    assert _groups(client, REVIEW) == [zoo.own.pk]
    assert "天河区" in client.get(REVIEW).content.decode()
    client.force_login(zoo.users.hz_registrar)
    assert _groups(client, REVIEW) == []
    client.force_login(zoo.users.school_leader)
    assert _groups(client, REVIEW) == []


def test_cross_province_review_list(client, zoo, plain_types):
    _act(zoo, zoo.t5, kind="xp_problem_proof")
    client.force_login(zoo.users.school_leader)
    assert _groups(client, XP_REVIEW) == [zoo.xp.pk] and _groups(client, REVIEW) == []


# --- 仲裁 -----------------------------------------------------------------------------------------
def test_arbitration_list_is_the_arbiters(client, zoo):
    tree = zoo.world.tree
    ProblemGroup.objects.filter(pk=zoo.two.pk).update(state=GroupState.ARBITRATION, arbiter=tree.gz)
    ProblemMember.objects.filter(group=zoo.two).update(state=MemberState.EVIDENCED, must_act=False)
    ProblemGroup.objects.filter(pk=zoo.xp.pk).update(state=GroupState.ARBITRATION, arbiter=tree.ministry)
    client.force_login(zoo.users.gz_registrar)
    assert sorted(_groups(client, ARBITRATION)) == [zoo.two.pk, zoo.two.pk]  # both records of the pair
    assert "广州市" in client.get(ARBITRATION).content.decode()
    for who in ("th_registrar", "hz_registrar", "gd_registrar"):
        client.force_login(getattr(zoo.users, who))
        assert _groups(client, ARBITRATION) == []
    client.force_login(zoo.users.moe_registrar)
    assert _groups(client, ARBITRATION) == [] and sorted(_groups(client, XP_ARBITRATION)) == [zoo.xp.pk] * 2
    client.force_login(zoo.users.gz_registrar)
    assert _groups(client, XP_ARBITRATION) == []


def test_authority_school_condition(client, zoo):
    ProblemGroup.objects.filter(pk=zoo.two.pk).update(state=GroupState.ARBITRATION, arbiter=zoo.world.tree.gz)
    client.force_login(zoo.users.gz_registrar)
    assert _groups(client, ARBITRATION, "?school=3440105001") == [zoo.two.pk]
    assert _groups(client, ARBITRATION, "?school_name=天河") == [zoo.two.pk]
    response = client.get(ARBITRATION + "?school=12")
    assert response.status_code == 200 and "学校标识码应为10位数字" in response.content.decode()
    client.force_login(zoo.users.th_registrar)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(QUERY + "?school=3440105001").status_code == 403 and _denied(before)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(QUERY + "?school=3450102001").status_code == 403 and _denied(before)


# --- 查询 -----------------------------------------------------------------------------------------
def test_query_keeps_historical_apart_and_shows_resolved_and_deleted(client, zoo):
    client.force_login(zoo.users.school_registrar)
    new = _groups(client, QUERY)
    assert sorted(set(new)) == sorted([zoo.own.pk, zoo.two.pk, zoo.xp.pk, zoo.done.pk])
    assert zoo.own.pk in new and new.count(zoo.own.pk) == 2  # both own records
    assert new.count(zoo.two.pk) == 1 and new.count(zoo.xp.pk) == 1  # only the school's own record
    assert _groups(client, QUERY, "?origin=historical") == [zoo.hist.pk]
    assert len(_groups(client, QUERY, "?origin=all")) == len(new) + 1
    assert _groups(client, QUERY, "?state=resolved") == [zoo.done.pk]
    assert _groups(client, QUERY, "?range=cross") == [zoo.xp.pk]
    page = client.get(QUERY + "?state=resolved").content.decode()
    assert "已处理完毕" in page and "resolved" not in re.sub(r'(href|value|name)="[^"]*"', "", page).replace(
        "?state=resolved", "")
    # a deleted record stays queryable
    from xueji.students.models import Status, Student

    Student.objects.filter(pk=zoo.t1.pk).update(status=Status.DELETED)
    ProblemMember.objects.filter(student=zoo.t1).update(state=MemberState.DELETED)
    assert _groups(client, QUERY, "?member_state=deleted") == [zoo.own.pk]
    response = client.get(QUERY + "?state=nope&origin=old&range=x&member_state=1")
    assert response.status_code == 200 and response.content.decode().count("invalid-feedback") == 4


def test_query_who_sees_what(client, zoo):
    u = zoo.users
    client.force_login(u.hz_school_registrar)
    assert _groups(client, QUERY) == [zoo.two.pk]
    client.force_login(u.th_registrar)
    assert zoo.two.pk in _groups(client, QUERY) and zoo.xp.pk in _groups(client, QUERY)
    client.force_login(u.gz_registrar)
    assert _groups(client, QUERY).count(zoo.two.pk) == 2  # both schools are the city's
    client.force_login(u.gx_admin)
    assert _groups(client, QUERY) == [zoo.xp.pk]  # the other province sees its side
    client.force_login(u.data_checker)
    assert zoo.own.pk in _groups(client, QUERY)
    # a class teacher: only their class
    zoo.place.c2.head_teacher = u.class_teacher
    zoo.place.c2.save()
    client.force_login(u.class_teacher)
    assert _groups(client, QUERY) == [zoo.own.pk]
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(QUERY + f"?klass={zoo.place.c1.pk}").status_code == 403 and _denied(before)


ROLE_PAGES = {
    # who → the pages that open (200); every other page of the lists is 403 for them
    "school_registrar": {HANDLE, XP_HANDLE, QUERY},
    "school_leader": {REVIEW, XP_REVIEW, QUERY},
    "class_teacher": {QUERY},
    "data_checker": {QUERY},
    "th_registrar": {REVIEW, XP_REVIEW, ARBITRATION, XP_ARBITRATION, QUERY},
    "th_admin": {QUERY},
    "parent": set(),
}


@pytest.mark.parametrize("who", sorted(ROLE_PAGES))
def test_who_may_open_each_list(client, zoo, who):
    client.force_login(getattr(zoo.users, who))
    for url in (HANDLE, REVIEW, ARBITRATION, XP_HANDLE, XP_REVIEW, XP_ARBITRATION, QUERY):
        expected = 200 if url in ROLE_PAGES[who] else 403
        assert client.get(url).status_code == expected, (who, url)


def test_anonymous_is_sent_to_login(client, zoo):
    assert client.get(QUERY).status_code == 302


# --- rules ----------------------------------------------------------------------------------------
def test_waited_days_and_overdue_count_working_days():
    monday = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
    assert list_rules.waited_days(monday, monday + dt.timedelta(days=7)) == 5
    assert list_rules.waited_days(None, monday) is None
    assert list_rules.is_overdue(monday, monday + dt.timedelta(hours=1), GroupState.WAITING)
    assert not list_rules.is_overdue(monday, monday + dt.timedelta(hours=1), GroupState.RESOLVED)
    assert not list_rules.is_overdue(None, monday, GroupState.WAITING)


@pytest.mark.parametrize("days", range(0, 70))
def test_age_buckets_agree_with_waited_days(days):
    now = dt.datetime(2025, 3, 5, 10, tzinfo=dt.UTC)  # a Wednesday
    opened = now - dt.timedelta(days=days)
    age = list_rules.waited_days(opened, now)
    (label,) = [label for label, after, before in list_rules.bucket_bounds(now)
                if (after is None or opened > after) and (before is None or opened <= before)]
    assert label == list_rules.bucket_of(age)


def test_waiting_for_names_the_unit():
    S = list_rules.Sibling
    pair = [S(1, MemberState.PENDING, True, "甲校"), S(2, MemberState.EVIDENCED, False, "乙校")]
    assert list_rules.waiting_for(GroupState.WAITING, pair) == "甲校(处理)"
    acting = [S(1, MemberState.ACTING, False, "甲校", "天河区教育局"), S(2, MemberState.PENDING, False, "乙校")]
    assert list_rules.waiting_for(GroupState.REVIEWING, acting) == "天河区教育局(审核)"
    assert list_rules.waiting_for(GroupState.ARBITRATION, pair, "广州市教育局") == "广州市教育局(仲裁)"
    assert list_rules.waiting_for(GroupState.RESOLVED, pair) == "—"
    failed = [S(1, MemberState.FAILED, True, "甲校"), S(2, MemberState.FAILED, True, "乙校")]
    assert list_rules.waiting_for(GroupState.RETURNED, failed) == "甲校(处理)、乙校(处理)"
    assert list_rules.counterpart(pair, [1], dict(MemberState.choices)) == "乙校:已佐证"
    assert list_rules.counterpart(pair, [1, 2], {}) == "—"
    with pytest.raises(ValueError):
        list_rules.working_days_before(timezone.now(), -1)
