"""The row bound of an import: checked by the writing process on its own handle while the
worker reads (so the sheet is not scanned twice in a row), before anything is written;
a reader told the rows were checked still stops at the bound."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xueji.registration import services
from xueji.registration.models import Registration, UploadStatus
from xueji.registration.testing import workbook_bytes
from xueji.students.excel import ExcelFormatError, read_rows
from xueji.students.models import IdentityClaim
from xueji.workflow.models import Business


def test_a_sheet_over_the_row_bound_is_refused_before_anything_is_written(reg, settings):
    settings.XUEJI_IMPORT_MAX_ROWS = 3  # the header row and two rows
    rows = [reg.row(i) for i in range(1, 6)]
    upload = services.start_upload(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                                   SimpleUploadedFile("新生.xlsx", workbook_bytes("primary-resident", rows)))
    services.process_upload(upload)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED
    assert "行数超过3行" in upload.message
    assert not Registration.objects.exists() and not Business.objects.exists()
    assert not IdentityClaim.objects.exists()


def test_within_the_bound_the_sheet_is_imported(reg, settings):
    settings.XUEJI_IMPORT_MAX_ROWS = 6
    rows = [reg.row(i) for i in range(1, 6)]
    upload = services.start_upload(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                                   SimpleUploadedFile("新生.xlsx", workbook_bytes("primary-resident", rows)))
    services.process_upload(upload)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DONE and upload.passed_rows == 5


@pytest.mark.parametrize("checked", [False, True])
def test_the_reader_stops_at_the_bound_either_way(reg, checked):
    data = workbook_bytes("primary-resident", [reg.row(i) for i in range(1, 6)])
    with pytest.raises(ExcelFormatError, match="行数超过3行"):
        list(read_rows(io.BytesIO(data), max_rows=3, rows_checked=checked))
    assert len(list(read_rows(io.BytesIO(data), max_rows=6, rows_checked=checked))) == 5


@pytest.mark.parametrize("inline_rows", [1000, 2])
def test_small_sheets_are_checked_here_larger_ones_in_the_worker_same_result(reg, settings, monkeypatch, inline_rows):
    """DECISIONS 185: a sheet within INLINE_ROWS is read and checked in this process (one
    batch); a larger one in the forked worker — the same registrations and the same refusals
    either way, and the row bound still checked before anything is written."""
    from xueji.common import parallel

    monkeypatch.setattr(services, "INLINE_ROWS", inline_rows)
    seen = []
    real = parallel.iterate_in_worker

    def spy(*args, **kwargs):
        seen.append(kwargs.get("inline"))
        return real(*args, **kwargs)

    monkeypatch.setattr(parallel, "iterate_in_worker", spy)
    rows = [reg.row(i) for i in range(1, 6)]
    number = rows[2]["身份证件号"]
    rows[2]["身份证件号"] = number[:-1] + ("0" if number[-1] != "0" else "1")  # wrong check digit
    upload = services.start_upload(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                                   SimpleUploadedFile("新生.xlsx", workbook_bytes("primary-resident", rows)))
    services.process_upload(upload)
    upload.refresh_from_db()
    assert seen == [inline_rows >= 5]
    assert (upload.status, upload.passed_rows, upload.failed_rows) == (UploadStatus.DONE, 4, 1)
    assert Registration.objects.filter(upload=upload).count() == 4
    settings.XUEJI_IMPORT_MAX_ROWS = 3
    again = services.start_upload(reg.world.th_school, "primary-resident", reg.users.school_registrar,
                                  SimpleUploadedFile("新生2.xlsx", workbook_bytes("primary-resident", rows)))
    services.process_upload(again)
    again.refresh_from_db()
    assert again.status == UploadStatus.FAILED and not Registration.objects.filter(upload=again).exists()
