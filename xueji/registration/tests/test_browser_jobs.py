"""Browser test of an import as a background job: the registrar uploads a sheet, the
request returns at once to the progress page, whose own script shows the bar moving as a
real worker process (database backend, a slow population registry) registers batch after
batch, and then goes on to the result page by itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from xueji.jobs.testing import DATABASE_TASKS, start_worker, wait_for
from xueji.registration.testing import workbook_bytes
from xueji.testing import PASSWORD

ROWS = 2000
SLOW = {"XUEJI_POPULATION_REGISTRY": "xueji.registration.tests.slow_registry.SlowPopulationRegistry",
        "XUEJI_TEST_REGISTRY_DELAY": "1.0"}


def _done(page) -> int:
    text = page.get_by_test_id("job-done").inner_text()
    return int(text) if text.isdigit() else 0


@pytest.mark.browser
def test_progress_bar_moves_then_the_result_page(live_server, page, reg, settings, tmp_path):
    settings.TASKS = DATABASE_TASKS  # the live server queues; the worker process runs
    sheet = tmp_path / "一年级新生.xlsx"
    sheet.write_bytes(workbook_bytes("primary-resident", [reg.row(i) for i in range(1, ROWS + 1)]))
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "sch_registrar")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")

    page.goto(base + "/registration/upload/primary-resident/")
    page.set_input_files("input[type=file]", str(sheet))
    page.get_by_role("button", name="上传").click()
    page.wait_for_url("**/jobs/*/")
    assert page.get_by_test_id("job-status").inner_text() == "排队中"  # no worker yet

    worker = start_worker(env=SLOW, log=tmp_path / "worker.log")
    try:
        # the page updates itself (its script; the CSP allows no evaluated strings, so the
        # test reads the page through locators)
        expect(page.get_by_test_id("job-status")).to_have_text("进行中", timeout=60_000)
        # the bar moves: rows done and a percentage of the total, before the end
        wait_for(lambda: 0 < _done(page) < ROWS, timeout=60, every=0.1, what="rows done on the page")
        assert page.get_by_test_id("job-total").inner_text() == str(ROWS)
        width = page.get_by_test_id("job-bar").get_attribute("style") or ""
        assert width.startswith("width:") and 0 < float(width.split(":")[1].strip(" %;")) < 100
        assert "每秒" in page.get_by_test_id("job-rate").inner_text()
        assert page.get_by_test_id("job-queued").is_hidden()  # the "waiting for a worker" note
        # then, by itself, the result page
        page.wait_for_url("**/registration/uploads/*/", timeout=120_000)
        assert page.get_by_test_id("total").inner_text() == str(ROWS)
        assert page.get_by_test_id("passed").inner_text() == str(ROWS)
    finally:
        worker.kill()
        worker.wait()
