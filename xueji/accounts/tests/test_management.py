"""User management, online users (F-13), export with a second account (F-14), masking (F-16)."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from xueji.accounts.models import User, UserSession
from xueji.accounts.services import SECOND_ACCOUNT_REFUSED
from xueji.audit.models import AuditEntry
from xueji.common.masking import mask_id_number, mask_national_number, mask_phone
from xueji.testing import PASSWORD


def _login(username, password=PASSWORD):
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302
    return client


def test_user_list_scope(client, world):
    client.force_login(world.users.th_admin)
    page = client.get(reverse("accounts:user_list")).content.decode()
    assert "th_registrar" in page and "sch_registrar" in page
    assert "hz_registrar" not in page and "gd_registrar" not in page and "gx_admin" not in page
    # phone numbers are masked in the list
    assert "139****5678" in page and "13912345678" not in page


@pytest.mark.parametrize("username", ["th_registrar", "sch_registrar", "sch_leader", "parent1"])
def test_user_management_is_for_administrators(client, world, username):
    user = User.objects.get(username=username)
    client.force_login(user)
    assert client.get(reverse("accounts:user_list")).status_code == 403
    assert client.get(reverse("accounts:online_users")).status_code == 403


def test_user_detail_outside_scope(client, world):
    client.force_login(world.users.th_admin)
    response = client.get(reverse("accounts:user_detail", args=[world.users.hz_registrar.pk]))
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied", actor_username="th_admin").exists()


def test_admin_creates_school_user(client, world):
    client.force_login(world.users.th_admin)
    response = client.post(reverse("accounts:user_create"), {
        "username": "new_teacher", "real_name": "新老师", "role": "class_teacher",
        "school_code": world.th_school.code, "password": "Welcome#2026"})
    assert response.status_code == 302
    user = User.objects.get(username="new_teacher")
    assert user.school == world.th_school and user.must_change_password
    # the new user must change the password first
    c = _login("new_teacher", "Welcome#2026")
    assert reverse("accounts:password_change") in c.get("/").url


@pytest.mark.parametrize("data,fragment", [
    ({"school_code": "3440105001"}, "不在您的管理范围内"),       # sibling county's school
    ({"school_code": "9999999999"}, "不存在"),
    ({"school_code": ""}, "学校角色须选择所属学校"),
    ({"password": "weak"}, "至少"),
    ({"username": "th_registrar"}, "已存在"),
])
def test_admin_create_user_bad_input(client, world, data, fragment):
    client.force_login(world.users.th_admin)
    post = {"username": "u2", "real_name": "某人", "role": "school_registrar",
            "school_code": world.th_school.code, "password": "Welcome#2026"}
    post.update(data)
    response = client.post(reverse("accounts:user_create"), post)
    assert response.status_code == 200 and fragment in response.content.decode()


def test_admin_cannot_create_authority_user_above(client, world):
    client.force_login(world.users.th_admin)
    response = client.post(reverse("accounts:user_create"), {
        "username": "u3", "real_name": "某人", "role": "authority_registrar",
        "authority": world.tree.gz.pk, "password": "Welcome#2026"})
    assert response.status_code == 200 and not User.objects.filter(username="u3").exists()


def test_reset_password_forces_change_and_ends_sessions(world):
    victim = _login("sch_registrar")
    admin = Client()
    admin.force_login(world.users.th_admin)
    response = admin.post(reverse("accounts:user_detail", args=[world.users.school_registrar.pk]),
                          {"action": "reset", "new_password": "Temp#Pass2026"})
    assert response.status_code == 302
    assert victim.get("/").status_code == 302  # session ended
    c = _login("sch_registrar", "Temp#Pass2026")
    assert reverse("accounts:password_change") in c.get("/").url


def test_admin_locks_and_unlocks(client, world):
    client.force_login(world.users.th_admin)
    url = reverse("accounts:user_detail", args=[world.users.school_registrar.pk])
    client.post(url, {"action": "lock"})
    world.users.school_registrar.refresh_from_db()
    assert world.users.school_registrar.is_locked
    client.post(url, {"action": "unlock"})
    world.users.school_registrar.refresh_from_db()
    assert not world.users.school_registrar.is_locked


def test_online_users_and_force_offline(world):
    one = _login("sch_registrar")
    two = _login("th_registrar")
    other = _login("hz_registrar")
    admin = _login("th_admin")
    page = admin.get(reverse("accounts:online_users")).content.decode()
    assert "sch_registrar" in page and "th_registrar" in page and "hz_registrar" not in page
    session = UserSession.objects.get(user=world.users.school_registrar)
    admin.post(reverse("accounts:online_users"), {"action": "selected", "session": [session.pk]})
    assert one.get("/").status_code == 302            # forced offline
    assert two.get("/").status_code == 200
    # "all" ends every session in scope but the administrator's own, and none outside.
    admin.post(reverse("accounts:online_users"), {"action": "all"})
    assert two.get("/").status_code == 302
    assert admin.get("/").status_code == 200
    assert other.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="account.forced_offline").count() == 2


def test_force_offline_cannot_reach_outside_scope(world):
    other = _login("hz_registrar")
    session = UserSession.objects.get(user=world.users.hz_registrar)
    admin = _login("th_admin")
    admin.post(reverse("accounts:online_users"), {"action": "selected", "session": [session.pk]})
    assert other.get("/").status_code == 200
    assert Session.objects.filter(session_key=session.session_key).exists()


def test_logout_removes_online_entry(world):
    c = _login("sch_registrar")
    assert UserSession.objects.filter(user=world.users.school_registrar).exists()
    c.post(reverse("accounts:logout"))
    assert not UserSession.objects.filter(user=world.users.school_registrar).exists()


class TestSecondAccountExport:
    url = "/accounts/users/export/"

    def test_same_unit_second_account_allows_export(self, client, world):
        client.force_login(world.users.th_admin)
        response = client.post(self.url, {"second_username": "th_registrar", "second_password": PASSWORD})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        body = response.content.decode("utf-8-sig")
        assert "sch_registrar" in body and "hz_registrar" not in body
        entry = AuditEntry.objects.filter(action="export.second_account_verified").latest("id")
        assert "th_admin" in entry.summary and "th_registrar" in entry.summary

    @pytest.mark.parametrize("username,password", [
        ("th_admin", PASSWORD),          # the user's own account
        ("hz_admin", PASSWORD),          # another county's administrator
        ("gz_admin", PASSWORD),          # the city above
        ("th_registrar", "wrong"),       # same unit, wrong password
        ("ghost", PASSWORD),             # nobody
    ])
    def test_refused(self, client, world, username, password):
        client.force_login(world.users.th_admin)
        response = client.post(self.url, {"second_username": username, "second_password": password})
        assert response.status_code == 200
        # One message for every failure.
        assert SECOND_ACCOUNT_REFUSED in response.content.decode()
        assert AuditEntry.objects.filter(action="export.second_account_failed").exists()

    def test_locked_second_account_refused(self, client, world):
        from django.utils import timezone

        world.users.th_registrar.locked_at = timezone.now()
        world.users.th_registrar.lock_reason = "administrator"
        world.users.th_registrar.save()
        client.force_login(world.users.th_admin)
        response = client.post(self.url, {"second_username": "th_registrar", "second_password": PASSWORD})
        assert SECOND_ACCOUNT_REFUSED in response.content.decode()


@pytest.mark.parametrize("value,masked", [
    ("440106201401011234", "4401**********1234"),
    ("44010620140101123X", "4401**********123X"),
    ("", ""),
    (None, ""),
    ("1234", "***4"),
    ("H1234567", "*******7"),
])
def test_mask_id(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize("value,masked", [
    ("13812345678", "138****5678"),
    ("02088888888", "020****8888"),
    ("88888888", "****8888"),
    ("", ""),
])
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_api_token_page(client, world):
    client.force_login(world.users.th_registrar)
    response = client.post(reverse("accounts:api_token"), {"action": "issue", "name": "同步"})
    assert 'data-testid="api-token"' in response.content.decode()
    # the document's link says what it gives (a file to save), not a bare address
    assert 'download="学籍 API.yaml">下载 OpenAPI 接口说明(学籍 API.yaml)</a>' in response.content.decode()
    client.force_login(world.users.school_leader)
    assert client.get(reverse("accounts:api_token")).status_code == 403


@pytest.mark.parametrize("value,masked", [
    ("G440106201401011234", "G4401**********1234"),  # G + resident ID: masked like the ID
    ("J4401062014010100AB", "J4401062014010100AB"),  # J and L numbers carry no ID number
    ("L4401062014010100AB", "L4401062014010100AB"),
    ("", ""),
    (None, ""),
])
def test_mask_national_number(value, masked):
    assert mask_national_number(value) == masked
