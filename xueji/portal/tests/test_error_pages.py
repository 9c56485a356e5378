"""A real server: DEBUG off in every environment (the demo included), Chinese 403/404/500
pages, no URL listing, the 500 page rendered without the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory

from xueji.portal.views import server_error

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("env", ["demo", "production"])
def test_debug_is_off_unless_asked(env):
    code = "from xueji import settings as s; print(s.DEBUG)"
    environment = {**os.environ, "XUEJI_ENV": env, "XUEJI_SECRET_KEY": "x" * 50, "XUEJI_AUDIT_KEY": "y" * 50}
    environment.pop("XUEJI_DEBUG", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    environment["XUEJI_DEBUG"] = "1"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"


def test_404_is_chinese_without_url_listing(client, world):
    assert settings.DEBUG is False
    for user in (None, world.users.school_registrar):
        if user:
            client.force_login(user)
        response = client.get("/no/such/page/")
        page = response.content.decode()
        assert response.status_code == 404 and "未找到" in page
        assert "URLconf" not in page and "urlpatterns" not in page and "api/v1/" not in page


def test_403_is_chinese(client, world):
    client.force_login(world.users.parent)
    response = client.get("/registration/upload/primary-resident/")
    assert response.status_code == 403 and "无权访问" in response.content.decode()


@pytest.mark.urls("xueji.portal.tests.urls_boom")
def test_500_is_chinese(client, db):
    client.raise_request_exception = False
    response = client.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500 and "系统出错" in page and "boom" not in page and "Traceback" not in page


def test_500_page_needs_no_database():
    # no database fixture: any query would raise here
    request = RequestFactory().get("/anything/")
    response = server_error(request)
    assert response.status_code == 500 and "系统出错" in response.content.decode()
