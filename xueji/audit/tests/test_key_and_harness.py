"""The audit key is its own secret in production; the rollback harness itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, transaction

from xueji.audit.services import record_event
from xueji.testing import AuditWriteFailed

ROOT = Path(__file__).resolve().parents[3]
GOOD_SECRET = "s" * 50


def _settings_in(env_extra: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("XUEJI_") and k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env.update({"XUEJI_VAR_DIR": str(tmp_path), **env_extra})
    return subprocess.run(
        [sys.executable, "-c", "import xueji.settings as s; print(len(s.XUEJI_AUDIT_KEY))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(("extra", "words"), [
    ({}, "XUEJI_AUDIT_KEY must be set in production"),
    ({"XUEJI_AUDIT_KEY": GOOD_SECRET}, "must differ from XUEJI_SECRET_KEY"),
    ({"XUEJI_AUDIT_KEY": "short"}, "at least 32 characters"),
])
def test_production_refuses_to_start_without_its_own_audit_key(tmp_path, extra, words):
    result = _settings_in({"XUEJI_ENV": "production", "XUEJI_SECRET_KEY": GOOD_SECRET, **extra},
                          tmp_path)
    assert result.returncode != 0
    assert words in result.stderr


def test_production_starts_with_its_own_audit_key(tmp_path):
    result = _settings_in({"XUEJI_ENV": "production", "XUEJI_SECRET_KEY": GOOD_SECRET,
                           "XUEJI_AUDIT_KEY": "k" * 40}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "40"
    assert not (tmp_path / "audit_key").exists()


def test_demo_generates_an_audit_key_of_its_own(tmp_path):
    first = _settings_in({"XUEJI_ENV": "demo"}, tmp_path)
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "audit_key").read_text().strip()
    assert len(key) >= 32 and key != (tmp_path / "secret_key").read_text().strip()
    assert oct((tmp_path / "audit_key").stat().st_mode & 0o777) == "0o600"
    again = _settings_in({"XUEJI_ENV": "demo"}, tmp_path)
    assert again.returncode == 0 and (tmp_path / "audit_key").read_text().strip() == key


# --- the harness ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_failing_audit_reports_an_operation_that_swallows_the_failure(failing_audit):
    def careless():
        try:
            with transaction.atomic():
                record_event(action="x.y", summary="吞掉错误")
        except DatabaseError:
            pass

    with pytest.raises(AssertionError, match="finished although"):
        failing_audit.expect_failure(careless)
    assert failing_audit.attempts == ["x.y"]


@pytest.mark.django_db
def test_failing_audit_reports_an_operation_that_writes_no_entry(failing_audit):
    with pytest.raises(AssertionError, match="finished although"):
        failing_audit.expect_failure(lambda: None)


@pytest.mark.django_db
def test_failing_audit_only_for_some_actions(failing_audit):
    failing_audit.only_for("x.fails")
    assert record_event(action="x.passes", summary="写入").pk
    with pytest.raises(AuditWriteFailed), transaction.atomic():
        record_event(action="x.fails", summary="失败")
    failing_audit.disarm()
    assert record_event(action="x.fails", summary="写入").pk
