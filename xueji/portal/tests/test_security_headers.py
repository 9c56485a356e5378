"""Deployment security (issue 7 §6): production settings pass ``manage.py check --deploy``
with no warning (HSTS, SSL redirect, the proxy header, secure cookies); every page has a
Content-Security-Policy without inline script or style, and no template needs either."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[3]


def _check_deploy(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("XUEJI_", "DJANGO_"))}
    environment.update({
        "XUEJI_ENV": "production", "XUEJI_SECRET_KEY": secrets.token_urlsafe(50),
        "XUEJI_AUDIT_KEY": secrets.token_urlsafe(32), "XUEJI_VAR_DIR": str(ROOT / "var" / "test-deploy"),
        "DJANGO_SETTINGS_MODULE": "xueji.settings", **env,
    })
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy():
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _settings(names: list[str], **env) -> list[str]:
    """The values of some settings as a fresh process with ``env`` sees them."""
    code = ("import django; django.setup(); from django.conf import settings; "
            f"print('|'.join(repr(getattr(settings, n)) for n in {names!r}))")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("XUEJI_", "DJANGO_"))}
    environment.update({"XUEJI_VAR_DIR": str(ROOT / "var" / "test-deploy"), "DJANGO_SETTINGS_MODULE": "xueji.settings",
                        **env})
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split("|")


NAMES = ["SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
         "CSRF_COOKIE_SECURE"]


def test_production_settings_behind_a_proxy():
    assert _settings(NAMES, XUEJI_ENV="production", XUEJI_SECRET_KEY="k" * 50, XUEJI_AUDIT_KEY="a" * 40, XUEJI_TRUSTED_PROXY="1") == [
        "('HTTP_X_FORWARDED_PROTO', 'https')", "True", "31536000", "True", "True"]
    assert _settings(NAMES[:1], XUEJI_ENV="production", XUEJI_SECRET_KEY="k" * 50, XUEJI_AUDIT_KEY="a" * 40, XUEJI_TRUSTED_PROXY="1",
                     XUEJI_PROXY_SSL_HEADER="X-Scheme") == ["('HTTP_X_SCHEME', 'https')"]
    assert _settings(NAMES[:1], XUEJI_ENV="production", XUEJI_SECRET_KEY="k" * 50, XUEJI_AUDIT_KEY="a" * 40) == ["None"]


def test_demo_keeps_plain_http():
    assert _settings(NAMES[1:], XUEJI_ENV="demo") == ["False", "0", "False", "False"]


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/org/schools/", "/accounts/users/", "/nowhere/",
                                  "/api/v1/schools/", "/api/v1/schema/"])
def test_every_page_has_the_policy(client, world, path):
    client.force_login(world.users.th_admin)
    response = client.get(path)
    policy = _policy(response)
    assert policy["default-src"] == "default-src 'self'"
    assert policy["script-src"] == "script-src 'self'" and policy["style-src"] == "style-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'" and policy["object-src"] == "object-src 'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_anonymous_pages_have_the_policy(db):
    assert "default-src 'self'" in Client().get("/accounts/login/")["Content-Security-Policy"]


_TEMPLATES = sorted((ROOT / "xueji").rglob("templates/**/*.html"))
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
_STYLE = re.compile(r"\sstyle\s*=|<style\b", re.I)


def test_no_template_has_inline_script_or_style():
    """The policy allows neither, so a template with one would break in the browser."""
    assert len(_TEMPLATES) > 30
    offenders = []
    for path in _TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for name, pattern in (("inline <script>", _INLINE_SCRIPT), ("on… handler", _HANDLER), ("style", _STYLE)):
            if pattern.search(text):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []
