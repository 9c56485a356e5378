"""Data scope (F-11) of the organisation pages for each role, and the audit of attempts
to reach outside it."""

import pytest
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.org import selectors


def _codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_selector_scope_per_role(world):
    u = world.users
    all_codes = _codes(selectors.schools_for(u.moe_registrar))
    assert len(all_codes) == 5
    assert _codes(selectors.schools_for(u.gd_registrar)) == ["3440100001", "3440105001", "3440106001", "3440106002"]
    assert _codes(selectors.schools_for(u.gz_registrar)) == ["3440100001", "3440105001", "3440106001", "3440106002"]
    # The county sees its own schools, not the city-run school located in it.
    assert _codes(selectors.schools_for(u.th_registrar)) == ["3440106001", "3440106002"]
    assert _codes(selectors.schools_for(u.hz_registrar)) == ["3440105001"]
    assert _codes(selectors.schools_for(u.school_registrar)) == ["3440106001"]
    assert _codes(selectors.schools_for(u.parent)) == []
    assert _codes(selectors.authorities_for(u.th_registrar)) == ["440106000000"]
    assert "450000000000" not in _codes(selectors.authorities_for(u.gd_registrar))
    assert selectors.divisions_for(u.gz_registrar).filter(code="440304000000").count() == 0


@pytest.mark.parametrize("username,school_attr,status", [
    ("th_registrar", "th_school", 200),
    ("th_registrar", "hz_school", 404),      # sibling county
    ("th_registrar", "city_school", 404),    # city-run school in its territory
    ("gz_registrar", "hz_school", 200),
    ("gd_admin", "gx_school", 404),          # another province
    ("moe_registrar", "gx_school", 200),
    ("sch_registrar", "th_school", 200),
    ("sch_registrar", "th_middle", 404),     # another school of the same county
    ("sch_teacher", "hz_school", 404),
    ("hz_sch_registrar", "th_school", 404),
])
def test_school_detail_scope(client, world, username, school_attr, status):
    user = next(u for u in vars(world.users).values() if u.username == username)
    client.force_login(user)
    school = getattr(world, school_attr)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    response = client.get(reverse("org:school_detail", args=[school.pk]))
    assert response.status_code == status
    denied = AuditEntry.objects.filter(action="scope.denied").count() - before
    assert denied == (1 if status == 404 else 0)
    if status == 200:
        assert school.name in response.content.decode()


def test_guessing_a_missing_id_is_audited(client, world):
    client.force_login(world.users.th_registrar)
    response = client.get(reverse("org:school_detail", args=[999999]))
    assert response.status_code == 404
    entry = AuditEntry.objects.filter(action="scope.denied").latest("id")
    assert entry.actor_username == "th_registrar"
    assert "999999" in entry.summary


def test_school_list_shows_only_scope(client, world):
    client.force_login(world.users.th_registrar)
    page = client.get(reverse("org:school_list")).content.decode()
    assert "天河测试小学" in page and "天河测试中学" in page
    assert "海珠测试小学" not in page and "兴宁测试小学" not in page


def test_school_list_filter_outside_scope_refused(client, world):
    client.force_login(world.users.th_registrar)
    response = client.get(reverse("org:school_list"), {"division": "440105000000"})
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied", actor_username="th_registrar").exists()


@pytest.mark.parametrize("username", ["sch_registrar", "sch_leader", "sch_teacher", "sch_checker", "parent1"])
def test_school_list_is_for_authorities_only(client, world, username):
    user = next(u for u in vars(world.users).values() if u.username == username)
    client.force_login(user)
    assert client.get(reverse("org:school_list")).status_code == 403


def test_class_teacher_sees_only_own_classes(world):
    from xueji.org.models import Grade, SchoolClass

    grade = Grade.objects.create(school=world.th_school, stage="1", entry_year=2026)
    mine = SchoolClass.objects.create(grade=grade, school=world.th_school, code="2026101", name="1班",
                                      head_teacher=world.users.class_teacher)
    SchoolClass.objects.create(grade=grade, school=world.th_school, code="2026102", name="2班")
    assert list(selectors.classes_for(world.users.class_teacher)) == [mine]
    assert selectors.classes_for(world.users.school_registrar).count() == 2
    assert selectors.classes_for(world.users.hz_school_registrar).count() == 0


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("org:school_detail", args=[world.th_school.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
