"""单个录入 (F-40): the form uses the same rules; a no-ID pupil needs a proof material
checked by content and climbs to the province."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from xueji.registration.models import Registration
from xueji.workflow.models import Material


def _png(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 220, 255)).save(out, format="PNG")
    return out.getvalue()


def _big_jpeg() -> bytes:
    """A real JPEG just over 2 MB (noise does not compress)."""
    import os

    side = 1200
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=100)
    data = out.getvalue()
    assert len(data) > 2 * 1024 * 1024
    return data


def _no_id_post(reg, i=30, **overrides):
    row = reg.row(i, klass=reg.class3)
    guardian_id = reg.row(i + 500)["身份证件号"]
    row.update({"身份证件类型": "Z", "身份证件号": "", "成员1身份证件类型": "1", "成员1身份证件号": guardian_id})
    row.pop("学校标识码")
    row.update(overrides)
    return {k: v for k, v in row.items() if v not in (None, "")}


def _post(client, data, proof):
    if proof is not None:
        data = dict(data, proof=proof)
    return client.post(reverse("registration:single_entry", args=["other-no-id"]), data)


def test_no_id_single_entry_with_proof(client, reg):
    client.force_login(reg.users.school_registrar)
    response = _post(client, _no_id_post(reg), SimpleUploadedFile("证明.png", _png(), content_type="image/png"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    registration = Registration.objects.get()
    assert registration.id_type == "Z" and registration.business.chain[-1]["level"] == "province"
    # to the list where it now waits (待学校审核 of 非小学新生注册), with the message
    assert response["Location"] == reverse("registration:pending") + "?state=audit&group=other"
    page = client.get(response["Location"]).content.decode()
    assert f"已提交{registration.name}的注册申请,等待学校审核" in page and registration.name in page
    material = Material.objects.get(business=registration.business)
    assert material.content_type == "image/png"


@pytest.mark.parametrize("name,content,fragment", [
    ("证明.jpg", b"just some text, not an image", "JPG或PNG"),
    ("证明.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 50, "JPG或PNG"),
])
def test_fake_image_refused(client, reg, name, content, fragment):
    client.force_login(reg.users.school_registrar)
    response = _post(client, _no_id_post(reg), SimpleUploadedFile(name, content, content_type="image/jpeg"))
    assert response.status_code == 200 and fragment in response.content.decode()
    assert not Registration.objects.exists()


def test_oversized_image_refused(client, reg):
    client.force_login(reg.users.school_registrar)
    response = _post(client, _no_id_post(reg), SimpleUploadedFile("证明.jpg", _big_jpeg(), content_type="image/jpeg"))
    assert response.status_code == 200 and "2MB" in response.content.decode()
    assert not Registration.objects.exists()


def test_proof_required(client, reg):
    client.force_login(reg.users.school_registrar)
    response = _post(client, _no_id_post(reg), None)
    assert response.status_code == 200 and not Registration.objects.exists()


def test_no_id_pupil_needs_a_guardian_with_resident_id(client, reg):
    client.force_login(reg.users.school_registrar)
    data = _no_id_post(reg, 成员1身份证件类型="Z")
    data.pop("成员1身份证件号", None)
    response = _post(client, data, SimpleUploadedFile("证明.png", _png(), content_type="image/png"))
    assert response.status_code == 200 and not Registration.objects.exists()
    assert "居民身份证" in response.content.decode()


def test_resident_single_entry_rules_apply(client, reg):
    client.force_login(reg.users.school_registrar)
    row = reg.row(40, klass=reg.class3)
    row.pop("学校标识码")
    row["身份证件号"] = row["身份证件号"][:-1] + ("0" if row["身份证件号"][-1] != "0" else "1")
    response = client.post(reverse("registration:single_entry", args=["other-resident"]), row)
    assert response.status_code == 200 and "校验" in response.content.decode()
    assert not Registration.objects.exists()


def test_primary_resident_has_no_single_entry(client, reg):
    client.force_login(reg.users.school_registrar)
    assert client.get(reverse("registration:single_entry", args=["primary-resident"])).status_code == 403
