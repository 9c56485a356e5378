"""Uploads beyond the bounds (issue 7 §6): the form (and the API) refuse a sheet of a
million empty rows with a clear message before any work; a 45 MB shared string in a
48 KB file fails the import with a clear message, nothing registered."""

import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from xueji.common.tests.test_xlsx_limits import empty_rows_workbook, huge_string_workbook, workbook
from xueji.registration.models import Registration, Upload, UploadStatus
from xueji.testing import api_client

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(client, content: bytes, entry="primary-resident"):
    return client.post(reverse("registration:upload", args=[entry]),
                       {"file": SimpleUploadedFile("学生.xlsx", content, content_type=XLSX)})


def test_a_million_empty_rows_refused_by_the_form(client, reg):
    client.force_login(reg.users.school_registrar)
    response = _upload(client, empty_rows_workbook(1_000_000))
    assert response.status_code == 200
    assert "行数超过200,000行" in response.content.decode()
    assert not Upload.objects.exists()


def test_a_million_empty_rows_refused_by_the_api(reg):
    response = api_client(reg.users.school_registrar).post(
        "/api/v1/registration/uploads/",
        {"entry": "primary-resident", "file": SimpleUploadedFile("学生.xlsx", empty_rows_workbook(1_000_000), XLSX)},
        format="multipart")
    assert response.status_code == 400 and "行数超过" in str(response.json())
    assert not Upload.objects.exists()


def test_a_huge_shared_string_fails_the_import_clearly(client, reg):
    client.force_login(reg.users.school_registrar)
    _upload(client, huge_string_workbook(45))
    upload = Upload.objects.get()
    assert upload.status == UploadStatus.FAILED and "文字过长" in upload.message
    assert not Registration.objects.exists()


@override_settings(XUEJI_IMPORT_MAX_EXPANDED_MB=1)
def test_a_zip_bomb_refused_by_the_form(client, reg):
    client.force_login(reg.users.school_registrar)
    data = workbook([b'<row r="1"><c r="A1"><v>1</v></c></row>' * 60_000])
    response = _upload(client, data)
    assert response.status_code == 200 and "解压后过大" in response.content.decode()
    assert not Upload.objects.exists()


@override_settings(XUEJI_IMPORT_MAX_EXPANDED_MB=1)
def test_an_ods_bomb_is_checked_before_calamine(client, reg, tmp_path):
    """A zip that is not an .xlsx goes to python-calamine, which expands it whole: the
    zip is checked first."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", b"<a>" + b" " * (3 << 20) + b"</a>")
    client.force_login(reg.users.school_registrar)
    response = _upload(client, buffer.getvalue())
    assert response.status_code == 200 and "解压后过大" in response.content.decode()
