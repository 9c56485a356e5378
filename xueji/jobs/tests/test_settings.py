"""The task backend is a settings change: the database backend by default, RQ (or any
other) through XUEJI_TASKS_BACKEND, with no code change."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CODE = "import json; from xueji import settings as s; print(json.dumps([s.TASKS, s.INSTALLED_APPS, getattr(s, 'RQ_QUEUES', None)]))"


def _settings(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"XUEJI_TASKS_BACKEND", "XUEJI_REDIS_URL"}}
    environment.update(XUEJI_ENV="demo", **env)
    out = subprocess.run([sys.executable, "-c", CODE], cwd=ROOT, env=environment, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def test_default_is_the_database_backend():
    tasks, apps, queues = _settings()
    assert tasks["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert "django_tasks_db" in apps and "django_rq" not in apps and queues is None


def test_rq_by_settings_only():
    tasks, apps, queues = _settings(XUEJI_TASKS_BACKEND="django_tasks_rq.RQBackend",
                                    XUEJI_REDIS_URL="redis://127.0.0.1:6390/2")
    assert tasks["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    assert {"django_rq", "django_tasks_rq"} <= set(apps)
    assert queues == {"default": {"URL": "redis://127.0.0.1:6390/2"}}
