"""The user export escapes formula cells; usernames are letters, digits and _ . - only
(issue 7 §6)."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from xueji.accounts import services
from xueji.accounts.models import Role, User
from xueji.testing import PASSWORD


def test_user_export_escapes_formula_cells(client, world):
    victim = world.users.school_registrar
    User.objects.filter(pk=victim.pk).update(real_name='=HYPERLINK("http://evil.example","点我")',
                                             phone="+8613912345678")
    client.force_login(world.users.th_admin)
    response = client.post("/accounts/users/export/", {"second_username": "th_admin2", "second_password": PASSWORD})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    row = next(r for r in rows if r[0] == victim.username)
    assert row[1] == '\'=HYPERLINK("http://evil.example","点我")' and row[4] == "'+8613912345678"
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


@pytest.mark.parametrize("username", [
    "=HYPERLINK(1)", "a b", "张三", "user@school", "x+y", "a/b", "", "名字", "tab\tname",
])
def test_bad_usernames_refused(world, username):
    with pytest.raises(ValidationError) as caught:
        services.create_user(None, world.users.th_admin, username=username, password="Welcome#2026",
                             real_name="某人", role=Role.SCHOOL_REGISTRAR, school=world.th_school)
    assert "username" in caught.value.message_dict
    assert not User.objects.filter(username=username).exists()


@pytest.mark.parametrize("username", ["teacher_01", "li.ming", "wang-fang", "A1"])
def test_good_usernames_accepted(world, username):
    user = services.create_user(None, world.users.th_admin, username=username, password="Welcome#2026",
                                real_name="某人", role=Role.SCHOOL_REGISTRAR, school=world.th_school)
    assert user.username == username


def test_user_form_refuses_a_formula_username(client, world):
    client.force_login(world.users.th_admin)
    response = client.post(reverse("accounts:user_create"), {
        "username": "=cmd|' /C calc'!A0", "real_name": "某人", "role": "school_registrar",
        "school_code": world.th_school.code, "password": "Welcome#2026"})
    assert response.status_code == 200 and "只能包含英文字母、数字" in response.content.decode()
