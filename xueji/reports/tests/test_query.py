"""在校生查询 and 学生信息查询: every role's scope, the conditions, out-of-scope filters
(403 + audit), bad parameters (never 500), the sort whitelist, paging with the capped
count, masking and the column chooser."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.reports import rules

from .conftest import add_student

pytestmark = pytest.mark.django_db

STUDENTS = reverse("reports:students")
SEARCH = reverse("reports:student_search")


def _shown(client, url, params=None) -> set[int]:
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:500]
    return {int(pk) for pk in re.findall(r'data-testid="student-(\d+)"', response.content.decode())}


def _ids(students) -> set[int]:
    return {s.pk for s in students}


def _scope(q, who):
    th = {s for s in q.all if s.school_id == q.world.th_school.pk}
    middle = {q.m1}
    expected = {
        "school_registrar": th, "school_leader": th, "data_checker": th,
        "class_teacher": {q.a1, q.a2},
        "hz_school_registrar": {q.h1},
        "th_registrar": th | middle, "th_admin": th | middle,
        "hz_registrar": {q.h1},
        "gz_registrar": th | middle | {q.h1, q.city1}, "gz_admin": th | middle | {q.h1, q.city1},
        "gd_registrar": q.all - {q.g1}, "gd_admin": q.all - {q.g1},
        "moe_registrar": q.all, "moe_admin": q.all,
    }
    return expected[who]


WHO = ["school_registrar", "school_leader", "data_checker", "class_teacher", "hz_school_registrar",
       "th_registrar", "th_admin", "hz_registrar", "gz_registrar", "gz_admin", "gd_registrar", "gd_admin",
       "moe_registrar", "moe_admin"]


@pytest.mark.parametrize("who", WHO)
def test_each_role_sees_its_scope(client, q, who):
    client.force_login(getattr(q.users, who))
    everything = _scope(q, who)
    assert _shown(client, SEARCH) == _ids(everything)
    in_school = {s for s in everything if s.status in rules.IN_SCHOOL_STATUSES}
    assert _shown(client, STUDENTS) == _ids(in_school)


def test_parent_sees_nothing(client, q):
    client.force_login(q.users.parent)
    for url in (STUDENTS, SEARCH):
        assert client.get(url).status_code == 403
        assert client.post(reverse("reports:students_export")).status_code == 403


def test_anonymous_goes_to_login(client, q):
    response = client.get(STUDENTS)
    assert response.status_code == 302 and "login" in response["Location"]


def test_in_school_is_in_school_and_suspended_the_search_every_status(client, q):
    client.force_login(q.users.school_registrar)
    shown = _shown(client, STUDENTS)
    assert q.b_suspended.pk in shown and q.b_graduated.pk not in shown and q.b_deleted.pk not in shown
    assert _shown(client, SEARCH, {"status": "99"}) == {q.b_deleted.pk}
    assert _shown(client, SEARCH, {"status": "20"}) == {q.b_graduated.pk}
    # 在校生查询 does not offer 已删除: a form error, no list, no 500
    response = client.get(STUDENTS, {"status": "99"})
    assert response.status_code == 200 and "没有数据需要显示" in response.content.decode()


@pytest.mark.parametrize("params,expected", [
    ({"name": "张"}, {"a1", "a2"}),
    ({"name": "一", "name_mode": "contains"}, {"a1", "b1", "c1"}),
    ({"name": "一"}, set()),
    ({"gender": "2"}, {"a2"}),
    ({"ethnicity": "02"}, {"a2"}),
    ({"only_child": "1"}, {"a1"}),
    ({"only_child": "0"}, {"a2"}),
    ({"left_behind": "1"}, {"a2"}),
    ({"migrant_worker_child": "1"}, {"b1"}),
    ({"entry_from": "202401"}, {"a2"}),
    ({"entry_to": "202312"}, {"a1", "b1", "b_suspended", "c1"}),
    ({"status": "11"}, {"b_suspended"}),
    ({"stage": "1", "entry_year": "2024"}, {"c1"}),
    ({"has_photo": "1"}, set()),
])
def test_conditions(client, q, params, expected):
    client.force_login(q.users.school_registrar)
    assert _shown(client, STUDENTS, params) == {getattr(q, k).pk for k in expected}


def test_number_and_id_number(client, q):
    client.force_login(q.users.school_registrar)
    assert _shown(client, STUDENTS, {"number": q.a1.national_number}) == {q.a1.pk}
    assert _shown(client, STUDENTS, {"number": q.a1.national_number.lower()}) == {q.a1.pk}
    # the replaced temporary number still finds the student
    assert _shown(client, STUDENTS, {"number": q.old_number}) == {q.a2.pk}
    assert _shown(client, STUDENTS, {"id_number": q.b1.id_number}) == {q.b1.pk}
    assert _shown(client, STUDENTS, {"id_number": q.b1.id_number[:-1]}) == set()
    # another school's student is not found by number either
    assert _shown(client, STUDENTS, {"number": q.h1.national_number}) == set()


def test_grade_and_class_of_a_school_user(client, q):
    client.force_login(q.users.school_registrar)
    assert _shown(client, STUDENTS, {"klass": q.th_b.pk}) == {q.b1.pk, q.b_suspended.pk}
    assert _shown(client, STUDENTS, {"grade": q.th_c.grade_id}) == {q.c1.pk}


def test_school_and_division_of_an_authority(client, q):
    client.force_login(q.users.gz_registrar)
    assert _shown(client, STUDENTS, {"school": q.world.hz_school.code}) == {q.h1.pk}
    # 广州市直属高中 lies in 天河区: the area condition is the school's division
    tianhe = q.world.tree.tianhe.division.code
    assert _shown(client, STUDENTS, {"division": tianhe}) == _ids({q.a1, q.a2, q.b1, q.b_suspended, q.c1, q.m1,
                                                                  q.city1})
    assert _shown(client, STUDENTS, {"division": tianhe[:6]}) == _shown(client, STUDENTS, {"division": tianhe})
    client.force_login(q.users.gd_registrar)
    assert _shown(client, STUDENTS, {"division": q.world.tree.gz.division.code}) == _ids(
        {q.a1, q.a2, q.b1, q.b_suspended, q.c1, q.m1, q.h1, q.city1})


@pytest.mark.parametrize("who,params", [
    ("th_registrar", lambda q: {"school": q.world.hz_school.code}),
    ("th_registrar", lambda q: {"school": "9999999999"}),
    ("th_registrar", lambda q: {"division": q.world.tree.haizhu.division.code}),
    ("gd_registrar", lambda q: {"division": q.world.tree.gx.division.code}),
    ("school_registrar", lambda q: {"school": q.world.hz_school.code}),
    ("school_registrar", lambda q: {"division": q.world.tree.tianhe.division.code}),
    ("school_registrar", lambda q: {"klass": q.hz.pk}),
    ("school_registrar", lambda q: {"grade": q.hz.grade_id}),
    ("class_teacher", lambda q: {"klass": q.th_b.pk}),
    ("class_teacher", lambda q: {"grade": q.th_c.grade_id}),
    ("hz_school_registrar", lambda q: {"klass": q.th_a.pk}),
])
def test_out_of_scope_filter_is_403_and_audited(client, q, who, params):
    client.force_login(getattr(q.users, who))
    before = AuditEntry.objects.filter(action="scope.denied").count()
    for url in (STUDENTS, SEARCH):
        response = client.get(url, params(q))
        assert response.status_code == 403
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 2
    entry = AuditEntry.objects.filter(action="scope.denied").latest("pk")
    assert entry.actor_username == getattr(q.users, who).username


@pytest.mark.parametrize("params", [
    {"grade": "abc"}, {"klass": "-1"}, {"klass": "99999999999999999999"}, {"school": "abc"},
    {"school": "123"}, {"division": "4401"}, {"division": "440106001000"}, {"entry_year": "20x4"},
    {"entry_year": "3000"}, {"entry_from": "202413"}, {"entry_to": "2024"}, {"entry_from": "202409", "entry_to": "202401"},
    {"number": "X" * 19}, {"number": "G123"}, {"id_number": "<script>"}, {"gender": "9"}, {"ethnicity": "zz"},
    {"only_child": "maybe"}, {"status": "77"}, {"page": "abc"}, {"page": "-3"}, {"page": "99999999999"},
    {"size": "1000000"}, {"size": "x"}, {"sort": "password"}, {"sort": "-id_number"}, {"sort": "school__name"},
    {"name": "x" * 500}, {"name": "\x00"}, {"name_mode": "regex"},
])
def test_bad_parameters_never_500(client, q, params):
    client.force_login(q.users.gz_registrar)
    for url in (STUDENTS, SEARCH):
        assert client.get(url, params).status_code in (200, 403)


def test_bad_ids_of_a_school_user_are_form_errors(client, q):
    client.force_login(q.users.school_registrar)
    response = client.get(STUDENTS, {"klass": "abc"})
    assert response.status_code == 200 and "班级不正确" in response.content.decode()
    assert not re.search(r"data-testid=\"student-\d", response.content.decode())


def test_sort_whitelist(client, q):
    client.force_login(q.users.school_registrar)

    def order(sort):
        page = client.get(SEARCH, {"sort": sort}).content.decode()
        return [int(pk) for pk in re.findall(r'data-testid="student-(\d+)"', page)]

    by_birth = [s.pk for s in sorted((s for s in q.all if s.school_id == q.world.th_school.pk),
                                     key=lambda s: s.birth_date)]
    assert order("birth_date") == by_birth
    assert order("-birth_date") == by_birth[::-1]
    default = order("")
    # anything not whitelisted is the default order
    for crafted in ("id_number", "-id_number", "school__principal_phone", "klass__head_teacher__password", "?"):
        assert order(crafted) == default
    assert rules.parse_sort("name; DROP TABLE") == (rules.DEFAULT_SORT, False)


def test_paging_and_capped_count(client, q, monkeypatch):
    client.force_login(q.users.school_registrar)
    for i in range(25):
        add_student(q.th_c, name=f"赵{i:02d}")
    page = client.get(STUDENTS, {"name": "赵", "sort": "name"}).content.decode()
    assert "共25条" in page and "下一页" in page
    second = client.get(STUDENTS, {"name": "赵", "sort": "name", "page": "2"}).content.decode()
    assert len(re.findall(r'data-testid="student-\d', second)) == 5 and "下一页" not in second
    assert "赵20" in second and "赵00" not in second
    monkeypatch.setattr(rules, "COUNT_CAP", 20)
    page = client.get(STUDENTS, {"name": "赵", "sort": "name"}).content.decode()
    assert "超过20条" in page and "下一页" in page
    # more rows than the count reaches: listed in the default (indexed) order, and said so
    assert "按默认顺序" in page
    by_default = [int(pk) for pk in re.findall(r'data-testid="student-(\d+)"', page)]
    assert by_default == [int(pk) for pk in re.findall(
        r'data-testid="student-(\d+)"', client.get(STUDENTS, {"name": "赵"}).content.decode())]
    # paging stops at PAGED_ROWS: page 2 (rows 21-40) is past it and shows the last page reached
    monkeypatch.setattr(rules, "PAGED_ROWS", 20)
    capped = client.get(STUDENTS, {"name": "赵", "sort": "name", "page": "2"}).content.decode()
    assert "第 1 页" in capped and "下一页" not in capped


def test_lists_mask_and_show_codes_with_names(client, q):
    client.force_login(q.users.school_registrar)
    page = client.get(STUDENTS, {"name": "张一"}).content.decode()
    assert q.a1.id_number not in page and q.a1.national_number not in page
    assert q.a1.id_number[:4] + "*" * 10 + q.a1.id_number[-4:] in page
    assert "1-男" in page and "01-汉族" in page and q.a1.birth_date.isoformat() in page
    assert "440106000000" in page  # 籍贯 with its code (and name when the division exists)


def test_column_chooser_is_remembered(client, q):
    client.force_login(q.users.school_registrar)
    response = client.post(STUDENTS, {"action": "columns", "col": ["phone", "only_child", "bogus"]})
    assert response.status_code == 302
    page = client.get(STUDENTS, {"name": "张一"}).content.decode()
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert "联系电话" in head and "是否独生子女" in head and "姓名" in head and "全国学籍号" in head
    assert "民族" not in head  # the default columns are replaced
    assert "138****8000" in page and "13800138000" not in page
    # the other page keeps its own columns
    other = client.get(SEARCH).content.decode().split("<thead>")[1].split("</thead>")[0]
    assert "学籍状态" in other and "联系电话" not in other


def test_clean_columns():
    assert rules.clean_columns(["bogus"], "students") == [c for c in rules.clean_columns(None, "students")]
    assert rules.clean_columns(["phone"], "students")[:2] == ["name", "national_number"]


def test_the_conditions_keep_their_values(client, q):
    client.force_login(q.users.school_registrar)
    page = client.get(STUDENTS, {"name": "张\"<", "gender": "2", "only_child": "1", "entry_from": "2024x"}).content.decode()
    assert 'name="name"' in page and 'value="张&quot;&lt;"' in page
    assert '<option value="2" selected>2-女</option>' in page
    assert 'name="only_child"' in page and '<option value="1" selected>是</option>' in page
    assert 'value="2024x"' in page and 'aria-invalid="true"' in page and "入学年月应为6位数字" in page
