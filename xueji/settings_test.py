"""Settings for the test suite: the real settings, with fast password hashing.

``DATABASE_URL`` still decides the database, so ``make test`` runs on PostgreSQL when
it points there.
"""

import os

os.environ.setdefault("XUEJI_ENV", "test")
os.environ.setdefault("XUEJI_LOG_LEVEL", "WARNING")
os.environ.setdefault("XUEJI_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from xueji.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
XUEJI_REQUIRE_2FA = False
# 升级 in one thread: the tests' data lives in the test's transaction, which other
# connections don't see (the parallel path has its own transactional test).
XUEJI_PROMOTION_WORKERS = int(os.environ.get("XUEJI_PROMOTION_WORKERS", "1"))

# A file, not an in-memory database, so that the race tests can run two threads against
# it (in-memory SQLite cannot serve two connections).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(VAR_DIR, "test.sqlite3")}  # noqa: F405

# Jobs run in the test's own process and transaction (xueji.jobs.services.start_job);
# the end-to-end tests switch to the database backend and start a real worker.
# (XUEJI_TEST_TASKS_BACKEND names the backend of such a worker process.)
TASKS = {"default": {"BACKEND": os.environ.get("XUEJI_TEST_TASKS_BACKEND",
                                               "django_tasks.backends.immediate.ImmediateBackend"),
                     "QUEUES": ["default"]}}
