"""What a new user sees on every page: the header (unit and name, not doubled), 我的班级,
one date format, the codes pages without developer notes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from xueji.codes.tables import TABLES
from xueji.org.models import Grade, SchoolClass
from xueji.portal.context_processors import name_beside_unit
from xueji.students.models import NumberKind, Student


@pytest.mark.parametrize("real_name, unit, shown", [
    ("天河区教育局学籍管理员", "天河区教育局", "学籍管理员"),
    ("王伟", "天河区教育局", "王伟"),
    ("天河区教育局", "天河区教育局", "天河区教育局"),  # nothing would be left: keep it
    ("张三", "", "张三"),
])
def test_name_beside_unit(real_name, unit, shown):
    assert name_beside_unit(real_name, unit) == shown


def test_header_does_not_repeat_the_unit(client, world):
    user = world.users.th_registrar
    user.real_name = "天河区教育局天河区教育局学籍管理员"[-len("天河区教育局学籍管理员"):]
    user.save()
    client.force_login(user)
    page = client.get("/").content.decode()
    header = page.split("</header>")[0]
    assert "天河区教育局学籍管理员" not in header
    assert re.search(r'data-testid="current-unit">天河区教育局<', header)
    assert 'data-testid="current-user">学籍管理员(教育部门学籍管理员)<' in header


@pytest.mark.django_db
def test_demo_accounts_have_person_names():
    from django.core.management import call_command

    from xueji.accounts.models import User

    call_command("load_divisions", verbosity=0)
    from xueji.org.models import Authority
    from xueji.portal.demo import _account

    tianhe = Authority.objects.get(code="440106000000")
    old = User.objects.create(username="th_registrar", real_name="天河区教育局学籍管理员", role="authority_registrar",
                              authority=tianhe, password_changed_at=timezone.now())
    _account("th_registrar", "authority_registrar", "学籍管理员", authority=tianhe)
    _account("th_admin", "authority_admin", "系统管理员", authority=tianhe)
    renamed = User.objects.get(pk=old.pk).real_name
    fresh = User.objects.get(username="th_admin").real_name
    for name in (renamed, fresh):
        assert not name.startswith("天河区") and 2 <= len(name) <= 4, name


def test_my_classes_for_a_class_teacher(client, world):
    school = world.th_school
    year = timezone.localdate().year if timezone.localdate().month >= 9 else timezone.localdate().year - 1
    grade = Grade.objects.create(school=school, stage="1", entry_year=year)
    klass = SchoolClass.objects.create(grade=grade, school=school, code=f"{year}101", name="1班",
                                       head_teacher=world.users.class_teacher)
    other = SchoolClass.objects.create(grade=grade, school=school, code=f"{year}102", name="2班")
    common = dict(number_kind=NumberKind.OFFICIAL_ID, gender="1", birth_date=dt.date(year - 6, 3, 1), id_type="1",
                  school=school, grade=grade)
    Student.objects.create(national_number="G440106201903011234", name="本班学生", id_number="440106201903011234",
                           klass=klass, **common)
    Student.objects.create(national_number="G440106201903015678", name="别班学生", id_number="440106201903015678",
                           klass=other, **common)
    client.force_login(world.users.class_teacher)
    page = client.get(reverse("portal:my_classes")).content.decode()
    assert f"一年级1班({year}101)" in page and "本班学生" in page and "别班学生" not in page
    assert "440106201903011234" not in page  # masked
    assert f"{year - 6}-03-01" in page
    for user in (world.users.school_registrar, world.users.th_registrar, world.users.parent):
        client.force_login(user)
        assert client.get(reverse("portal:my_classes")).status_code == 403


def test_one_date_format(settings):
    rendered = Template("{{ d }}|{{ t }}|{{ d|date }}|{{ t|date:'DATETIME_FORMAT' }}|{% load xueji %}{{ s|day }}|"
                        "{{ d|day }}").render(Context({
                            "d": dt.date(2026, 9, 1),
                            "t": timezone.make_aware(dt.datetime(2026, 9, 1, 8, 5)),
                            "s": "20190101",
                        }))
    assert rendered == "2026-09-01|2026-09-01 08:05|2026-09-01|2026-09-01 08:05|2019-01-01|2026-09-01"


def test_no_template_uses_a_date_format_of_its_own():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = []
    for template in root.glob("*/templates/**/*.html"):
        for fmt in re.findall(r'\|date:"([^"]+)"', template.read_text(encoding="utf-8")):
            if fmt not in ("Y-m-d", "Y-m-d H:i", "Y-m-d H:i:s"):
                found.append((template.name, fmt))
    assert found == []


def test_codes_pages_show_no_developer_notes(client, world):
    client.force_login(world.users.school_registrar)
    pages = [client.get(reverse("codes:table_list")).content.decode()]
    pages += [client.get(reverse("codes:table_detail", args=[key])).content.decode() for key in TABLES]
    for page in pages:
        main = page.split("<main")[1]
        for word in ("SPEC", "seed", "pycountry", "cpca", "xueji.", "NATIONALITY_NAME_OVERRIDES", "F-2"):
            assert word not in main, word
    listing = pages[0].split("<main")[1]
    assert "<code>gender</code>" not in listing and "取值来源" not in listing
    assert "1-男" in client.get(reverse("codes:table_list")).content.decode()
