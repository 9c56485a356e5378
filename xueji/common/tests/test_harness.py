"""The test harness itself: Django's test client, the database, the live server and the
browser (Debian's chromium through Playwright), end to end.

The app's own pages come and go while they are written, so these tests use what surely
exists: Bootstrap from ``xstatic-bootstrap`` served by WhiteNoise, and a tiny probe view
mounted on a URL conf of this module (``settings.ROOT_URLCONF`` is swapped per test).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.http import JsonResponse
from django.urls import path
from xstatic.pkg import bootstrap as xstatic_bootstrap

BOOTSTRAP_CSS_URL = "/static/bootstrap/css/bootstrap.min.css"
BOOTSTRAP_CSS_FILE = Path(xstatic_bootstrap.BASE_DIR) / "css" / "bootstrap.min.css"
PROBE_GROUP = "harness-probe"


def probe(request):
    """Reports what the server sees in the database: proves the test's writes reach it."""
    return JsonResponse(
        {
            "probe_rows": Group.objects.filter(name=PROBE_GROUP).count(),
            "vendor": connection.vendor,
        }
    )


urlpatterns = [path("__harness__/probe/", probe)]


@pytest.fixture
def probe_urls(settings):
    settings.ROOT_URLCONF = __name__


def _make_probe_row():
    # django.contrib.auth's Group: a plain table that the project's own models leave alone.
    return Group.objects.create(name=PROBE_GROUP)


def test_bootstrap_is_packaged():
    css = BOOTSTRAP_CSS_FILE.read_bytes()
    assert len(css) > 100_000
    assert b"Bootstrap" in css[:200]


def test_client_serves_static_from_package(client):
    response = client.get(BOOTSTRAP_CSS_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"".join(response.streaming_content) == BOOTSTRAP_CSS_FILE.read_bytes()


@pytest.mark.django_db
def test_client_reaches_database(client, probe_urls):
    response = client.get("/__harness__/probe/")
    assert response.status_code == 200
    assert response.json()["probe_rows"] == 0
    _make_probe_row()
    assert client.get("/__harness__/probe/").json()["probe_rows"] == 1


@pytest.mark.browser
def test_browser_loads_static_from_live_server(live_server, page):
    response = page.goto(live_server.url + BOOTSTRAP_CSS_URL)
    assert response is not None
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/css")
    body = response.body()
    assert body, "empty body"
    # Not byte for byte: chromium hands back a top-level CSS document re-encoded.
    assert body.startswith(b'@charset "UTF-8";')
    assert b"Bootstrap" in body[:200]
    assert b".d-none{display:none!important}" in body
    assert len(body) >= BOOTSTRAP_CSS_FILE.stat().st_size


@pytest.mark.browser
def test_browser_applies_stylesheet(live_server, page):
    # A page that links the served stylesheet: chromium must fetch it from the live
    # server and apply it (Bootstrap's .d-none is display: none !important).
    page.goto(live_server.url + BOOTSTRAP_CSS_URL)
    page.set_content(
        f'<link rel="stylesheet" href="{live_server.url}{BOOTSTRAP_CSS_URL}">'
        '<p id="hidden" class="d-none">x</p><p id="shown">学籍</p>',
        wait_until="load",
    )
    assert page.eval_on_selector("#hidden", "e => getComputedStyle(e).display") == "none"
    assert page.eval_on_selector("#shown", "e => getComputedStyle(e).display") == "block"
    assert page.inner_text("#shown") == "学籍"


@pytest.mark.browser
def test_live_server_sees_committed_data(live_server, page, probe_urls):
    # live_server implies transactional_db: what the test writes is committed, and the
    # server thread (its own connection on PostgreSQL) reads it.
    _make_probe_row()
    page.goto(live_server.url + "/__harness__/probe/")
    data = page.evaluate("() => JSON.parse(document.body.innerText)")
    assert data["probe_rows"] == 1
    assert data["vendor"] in {"sqlite", "postgresql"}


# --- Chinese fonts: screenshots and rendered text must not be tofu ------------------------------
def _fc_list_chinese() -> str:
    import shutil
    import subprocess

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.fail("fc-list (fontconfig) is missing: chromium needs it; run scripts/ensure-chromium")
    return subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout


def test_a_chinese_font_is_installed():
    """scripts/ensure-chromium installs fonts-wqy-zenhei next to chromium."""
    assert _fc_list_chinese().strip(), "no font covers Chinese (fc-list :lang=zh): run scripts/ensure-chromium"


def test_browser_draws_chinese_glyphs(page):
    """Two different characters drawn on a canvas give different pixels only when a font
    has their glyphs: without one, both are the same empty box (tofu)."""
    page.set_content("<canvas id=c width=200 height=60></canvas>")
    different = page.evaluate("""() => {
        const ctx = document.getElementById("c").getContext("2d");
        const draw = (text) => {
            ctx.clearRect(0, 0, 200, 60);
            ctx.font = "40px sans-serif";
            ctx.fillText(text, 5, 45);
            return Array.from(ctx.getImageData(0, 0, 200, 60).data).join(",");
        };
        const first = draw("学"), second = draw("籍");
        return {differ: first !== second, inked: first.split(",").some((v) => v !== "0")};
    }""")
    assert different["inked"], "nothing was drawn"
    assert different["differ"], "学 and 籍 render the same glyph: no Chinese font (tofu), run scripts/ensure-chromium"
