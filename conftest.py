"""Project-wide pytest fixtures: the browser harness.

Browser tests drive Debian's chromium (``/usr/bin/chromium``) through Playwright for
Python. ``playwright install`` cannot download a browser here, so the executable is
given explicitly. Use them like this::

    @pytest.mark.browser
    def test_login(live_server, page):
        page.goto(live_server.url + "/accounts/login/")
        ...

- ``browser``: one headless chromium per test session (per xdist worker).
- ``page``: a fresh browser context (cookies, storage) and page per test; default
  timeout 10 s for actions, navigation and ``expect``. On failure a screenshot goes to
  ``test-results/``.
- ``live_server`` is pytest-django's; it implies ``transactional_db``, so data a test
  creates is committed and visible to the server thread.

When chromium is missing the browser tests are skipped, unless
``XUEJI_REQUIRE_BROWSER=1`` (set by ``.ci/run``), in which case they fail.

Tests that use ``page`` or ``browser`` get the ``browser`` marker automatically, so
``pytest -m "not browser"`` leaves them out even where the marker was forgotten.

Only ``browser`` and ``page`` are defined here: nothing that pytest-django provides.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these chromium keeps calling Google's hosts, which the closed network
    # refuses many at a time.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000
RESULTS_DIR = Path(__file__).resolve().parent / "test-results"

_BROWSER_FIXTURES = {"browser", "page"}


def _browser_required() -> bool:
    return os.environ.get("XUEJI_REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so that ``page`` can tell a failed test.
    report = yield
    setattr(item, f"_xueji_report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = (
            f"{CHROMIUM} not found: install Debian's chromium (scripts/ensure-chromium, "
            "or apt-get install chromium)"
        )
        if _browser_required():
            pytest.fail(f"XUEJI_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)

    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an asyncio event loop running in this thread for as
    # long as it lives, and Django refuses ORM calls while a loop runs ("You cannot call
    # this from an async context"). From here on, for the rest of the session (or the
    # xdist worker), allow them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "_xueji_report_call", None)
        if report is not None and report.failed:
            RESULTS_DIR.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
            try:
                page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
            except Exception as exc:  # a crashed page must not hide the test's failure
                print(f"screenshot failed: {exc}")
        context.close()
