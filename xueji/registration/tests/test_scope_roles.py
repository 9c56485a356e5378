"""Scope of the school's roles (issue 7 §6): a class teacher and the data-check account
do not read the school's upload errors (nor their ID numbers, which are masked for
everyone, as in the API); a class teacher sees only their own classes and not the
principal's mobile number."""

import pytest
from django.test import Client
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.org.models import SchoolClass
from xueji.registration.models import Upload
from xueji.registration.testing import workbook_bytes

from .test_views import _upload


@pytest.fixture
def upload(client, reg):
    client.force_login(reg.users.school_registrar)
    bad = reg.row(2, 成员1姓名="A1")
    _upload(client, workbook_bytes("primary-resident", [reg.row(1), bad]))
    return Upload.objects.get(), bad["身份证件号"]


@pytest.mark.parametrize("role", ["class_teacher", "data_checker"])
def test_class_teacher_and_data_checker_do_not_read_upload_errors(reg, upload, role):
    record, _ = upload
    client = Client()
    client.force_login(getattr(reg.users, role))
    assert client.get(reverse("registration:upload_detail", args=[record.pk])).status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied", actor_username=getattr(reg.users, role).username).exists()
    # Nor through the session API.
    assert client.get("/api/v1/registration/uploads/").json()["count"] == 0
    assert client.get(f"/api/v1/registration/uploads/{record.pk}/errors/").status_code == 404


def test_upload_errors_mask_id_numbers(client, reg, upload):
    record, id_number = upload
    client.force_login(reg.users.school_leader)
    page = client.get(reverse("registration:upload_detail", args=[record.pk])).content.decode()
    assert id_number not in page and (id_number[:4] + "*" * 10 + id_number[-4:]) in page


def test_class_teacher_sees_only_their_class_and_no_principal_mobile(client, reg):
    school = reg.world.th_school
    school.principal = "王校长"
    school.principal_phone = "13800138000"
    school.save()
    mine = reg.class1
    mine.head_teacher = reg.users.class_teacher
    mine.save()
    SchoolClass.objects.create(grade=reg.class1.grade, school=school, code=f"{reg.year}102", name="2班")

    client.force_login(reg.users.class_teacher)
    for url in (reverse("org:school_detail", args=[school.pk]), reverse("org:my_school_grades")):
        page = client.get(url).content.decode()
        assert f"({mine.code})" in page
        assert f"({reg.year}102)" not in page and f"({reg.class3.code})" not in page
    page = client.get(reverse("org:school_detail", args=[school.pk])).content.decode()
    assert "13800138000" not in page and "138****8000" in page

    client.force_login(reg.users.data_checker)
    page = client.get(reverse("org:school_detail", args=[school.pk])).content.decode()
    assert "13800138000" not in page and f"({reg.year}102)" in page

    client.force_login(reg.users.school_registrar)
    page = client.get(reverse("org:school_detail", args=[school.pk])).content.decode()
    assert "13800138000" in page and f"({reg.year}102)" in page
