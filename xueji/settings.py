"""Settings for 学籍.

One module, driven by the environment:

- ``XUEJI_ENV``: ``production`` (the default), ``demo`` (what ``make run`` uses) or
  ``test`` (set by the test settings).
- ``DATABASE_URL``: any URL dj-database-url understands. Default: the embedded SQLite
  database ``var/xueji.sqlite3`` (WAL journal).
- ``XUEJI_SECRET_KEY``: required in production; demo and test generate one.
- ``XUEJI_AUDIT_KEY``: the audit log's key, required in production and different from
  the secret key; demo and test generate one. ``XUEJI_AUDIT_ANCHOR_PATH``: the anchor
  file outside the database (docs/AUDIT.md).
- ``XUEJI_REQUIRE_2FA``: second factor for authority and administrator accounts. On in
  production, off in the demo (the login page then says so).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import dj_database_url
from xstatic.pkg import bootstrap as xstatic_bootstrap

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("XUEJI_VAR_DIR", BASE_DIR / "var"))

XUEJI_ENV = os.environ.get("XUEJI_ENV", "production")
if XUEJI_ENV not in {"production", "demo", "test"}:
    raise RuntimeError(f"XUEJI_ENV must be production, demo or test, not {XUEJI_ENV!r}")
PRODUCTION = XUEJI_ENV == "production"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def _secret_key() -> str:
    key = os.environ.get("XUEJI_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("XUEJI_SECRET_KEY must be set in production")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Off everywhere, the demo included (Chinese 403/404/500 pages, no URL listings); a
# developer turns it on with XUEJI_DEBUG=1 (``make dev`` does).
DEBUG = _env_bool("XUEJI_DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("XUEJI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
if XUEJI_ENV == "test":
    ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "xueji.common",
    "xueji.codes",
    "xueji.org",
    "xueji.accounts",
    "xueji.audit",
    "xueji.jobs",
    "xueji.students",
    "xueji.workflow",
    "xueji.registration",
    "xueji.problems",
    "xueji.changes",
    "xueji.promotion",
    "xueji.reports",
    "xueji.graduation",
    "xueji.enrolplans",
    "xueji.admission",
    "xueji.dupadmission",
    "xueji.api",
    "xueji.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "xueji.accounts.middleware.AccountSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "xueji.urls"
WSGI_APPLICATION = "xueji.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xueji.portal.context_processors.shell",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'xueji.sqlite3'}", conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE: a writer takes the lock at BEGIN, so two writers queue instead
            # of deadlocking on a lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # wal_autocheckpoint 10000 pages (~40 MB): a bulk import's batch (a few MB)
            # no longer triggers a checkpoint and its fsync on every commit
            # (docs/PERFORMANCE.md); the WAL is still folded back regularly.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=10000;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts and login security (F-12) -------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "xueji.accounts.passwords.CharacterClassValidator"},
    {"NAME": "xueji.accounts.passwords.NotReusedValidator"},
]

#: Failed password attempts before an account is locked (the seeds: three).
XUEJI_LOCKOUT_THRESHOLD = _env_int("XUEJI_LOCKOUT_THRESHOLD", 3)
#: Minutes a locked account stays locked before it unlocks by itself (0: only an
#: administrator above can unlock).
XUEJI_LOCKOUT_MINUTES = _env_int("XUEJI_LOCKOUT_MINUTES", 30)
#: Days a password is valid.
XUEJI_PASSWORD_MAX_AGE_DAYS = _env_int("XUEJI_PASSWORD_MAX_AGE_DAYS", 90)
#: Days without a login after which an account is locked as dormant.
XUEJI_DORMANT_DAYS = _env_int("XUEJI_DORMANT_DAYS", 90)
#: Idle minutes before a session ends.
XUEJI_SESSION_TIMEOUT_MINUTES = _env_int("XUEJI_SESSION_TIMEOUT_MINUTES", 30)
#: Second factor (TOTP) for authority and administrator accounts.
XUEJI_REQUIRE_2FA = _env_bool("XUEJI_REQUIRE_2FA", PRODUCTION)
#: Failed attempts (of one username, or from one client address, counted on the server
#: within XUEJI_LOGIN_THROTTLE_MINUTES) after which the login form asks for a CAPTCHA.
XUEJI_CAPTCHA_AFTER_FAILURES = _env_int("XUEJI_CAPTCHA_AFTER_FAILURES", 1)
#: The window of the server-side login counts.
XUEJI_LOGIN_THROTTLE_MINUTES = _env_int("XUEJI_LOGIN_THROTTLE_MINUTES", 15)
#: Failed attempts from one client address within the window after which that address
#: is refused outright until the window passes (0: never).
XUEJI_LOGIN_ADDRESS_LIMIT = _env_int("XUEJI_LOGIN_ADDRESS_LIMIT", 30)
#: Days an API token is valid after it is issued (F-84).
XUEJI_API_TOKEN_DAYS = _env_int("XUEJI_API_TOKEN_DAYS", 90)
OTP_TOTP_ISSUER = "学籍"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = XUEJI_SESSION_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- transport security and Content-Security-Policy (issue 7 §6) ----------------------
# ``manage.py check --deploy`` passes in production with no warning. The demo
# (XUEJI_ENV=demo, plain http on 127.0.0.1) and the tests keep http.
#: HTTPS only: redirect http to https, HSTS, cookies marked Secure. On in production.
XUEJI_HTTPS = _env_bool("XUEJI_HTTPS", PRODUCTION)
SECURE_SSL_REDIRECT = XUEJI_HTTPS
#: HSTS: a year by default; subdomains and the preload flag configurable (an intranet
#: name that also serves plain-http subdomains must turn XUEJI_HSTS_SUBDOMAINS off).
SECURE_HSTS_SECONDS = _env_int("XUEJI_HSTS_SECONDS", 31_536_000) if XUEJI_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("XUEJI_HSTS_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _env_bool("XUEJI_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = XUEJI_HTTPS
CSRF_COOKIE_SECURE = XUEJI_HTTPS
CSRF_COOKIE_HTTPONLY = True  # no page script reads it
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
#: Behind a reverse proxy that terminates TLS: the request header (as the proxy sends
#: it, e.g. ``X-Forwarded-Proto``) that says the client used https. Trust it only if the
#: proxy sets it on every request and drops what the client sent. Default: that header
#: when XUEJI_TRUSTED_PROXY is set, none otherwise.
_PROXY_SSL_HEADER = os.environ.get(
    "XUEJI_PROXY_SSL_HEADER", "X-Forwarded-Proto" if _env_int("XUEJI_TRUSTED_PROXY", 0) else ""
).strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https") if _PROXY_SSL_HEADER else None
)
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("XUEJI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
#: Content-Security-Policy on every page (django-csp): everything from this site only,
#: no inline script or style (the pages' behaviour is in static/common/behaviour.js), no
#: framing, no plug-ins, forms posting here only. ``data:`` images: the empty favicon.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- audit (F-15) ------------------------------------------------------------------
def _audit_key() -> str:
    """The audit chain's key: its own secret. Production refuses to start without it, or
    with the Django secret key (which many more people and places see: sessions, password
    reset links); demo and test generate one in ``var/audit_key``."""
    key = os.environ.get("XUEJI_AUDIT_KEY", "")
    if PRODUCTION:
        if not key:
            raise RuntimeError(
                "XUEJI_AUDIT_KEY must be set in production: the audit log's own secret, kept "
                "apart from the database (docs/AUDIT.md, 密钥)"
            )
        if key == SECRET_KEY:
            raise RuntimeError("XUEJI_AUDIT_KEY must differ from XUEJI_SECRET_KEY (docs/AUDIT.md, 密钥)")
        if len(key) < 32:
            raise RuntimeError("XUEJI_AUDIT_KEY must be at least 32 characters long")
        return key
    if key:
        return key
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "audit_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


#: Key of the audit hash chains. Kept apart from the database, so that whoever can write
#: the tables cannot recompute the chains.
XUEJI_AUDIT_KEY = _audit_key()
#: Digits of the authority prefix that name an audit chain: 2 = one chain per province,
#: 4 = one per city (the default: a province-run system still has parallel writers).
XUEJI_AUDIT_CHAIN_DIGITS = _env_int("XUEJI_AUDIT_CHAIN_DIGITS", 4)
#: The anchor file (chain heads written down outside the database). In production put it
#: on another volume or host, append-only (docs/AUDIT.md, 锚点); one file per database.
def _anchor_path() -> str:
    """Default: ``var/audit/anchors.log`` for the embedded database, and a file per
    ``DATABASE_URL`` otherwise (so two databases never read each other's anchors)."""
    if os.environ.get("XUEJI_AUDIT_ANCHOR_PATH"):
        return os.environ["XUEJI_AUDIT_ANCHOR_PATH"]
    url = os.environ.get("DATABASE_URL", "")
    name = f"anchors-{hashlib.sha256(url.encode()).hexdigest()[:12]}.log" if url else "anchors.log"
    return str(VAR_DIR / "audit" / name)


XUEJI_AUDIT_ANCHOR_PATH = _anchor_path()
#: Key signing the anchor lines; default derived from the audit key.
XUEJI_AUDIT_ANCHOR_KEY = os.environ.get("XUEJI_AUDIT_ANCHOR_KEY", "")
#: A process anchors a chain after at most this many of its entries or seconds.
XUEJI_AUDIT_ANCHOR_EVERY = _env_int("XUEJI_AUDIT_ANCHOR_EVERY", 100)
XUEJI_AUDIT_ANCHOR_SECONDS = _env_int("XUEJI_AUDIT_ANCHOR_SECONDS", 60)
#: Behind a reverse proxy: how many proxies' X-Forwarded-For entries to trust for the
#: client address written to the audit log (0: use REMOTE_ADDR only).
XUEJI_TRUSTED_PROXY = _env_int("XUEJI_TRUSTED_PROXY", 0)

# --- i18n ---------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# One date format everywhere (YYYY-MM-DD, YYYY-MM-DD HH:MM): xueji/formats/zh_Hans/formats.py
# overrides the zh-Hans locale's "2026年9月1日"; these apply where no locale is active.
FORMAT_MODULE_PATH = ["xueji.formats"]
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"

# --- static files: from packages only, never a CDN -----------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [("bootstrap", xstatic_bootstrap.BASE_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = True

# --- REST API (F-84) ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Our own tokens (hashed at rest, expiring, revocable) and sessions, both held to
        # every rule of the login (xueji/api/authentication.py).
        "xueji.api.authentication.ApiTokenAuthentication",
        "xueji.api.authentication.CheckedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Every 403 audited, as on the pages.
    "EXCEPTION_HANDLER": "xueji.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "学籍 API",
    "DESCRIPTION": "全国中小学生学籍信息管理系统 — 省级系统与其他国家系统对接接口 (F-84)。"
    "令牌认证，令牌绑定用户，数据范围与网页相同。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # 注册类型 appears in the upload record and in the 202 of an import: one named enum.
    "ENUM_NAME_OVERRIDES": {"RegistrationEntryEnum": "xueji.registration.models.Entry"},
}

# --- registries behind 查重认证 and 学前调档 (F-41, F-45) --------------------------------
XUEJI_POPULATION_REGISTRY = os.environ.get(
    "XUEJI_POPULATION_REGISTRY", "xueji.registration.adapters.SimulatedPopulationRegistry"
)
XUEJI_PRESCHOOL_REGISTRY = os.environ.get(
    "XUEJI_PRESCHOOL_REGISTRY", "xueji.registration.adapters.SimulatedPreschoolRegistry"
)
XUEJI_POPULATION_REGISTRY_URL = os.environ.get("XUEJI_POPULATION_REGISTRY_URL", "")
XUEJI_PRESCHOOL_REGISTRY_URL = os.environ.get("XUEJI_PRESCHOOL_REGISTRY_URL", "")
XUEJI_REGISTRY_TIMEOUT = _env_int("XUEJI_REGISTRY_TIMEOUT", 30)
#: The simulated 人口信息库 verifies every well-formed resident ID number except these
#: (answered 人口信息库中无此身份证件号; docs/REGISTRATION.md). Comma-separated in the
#: environment; rows of SimulatedResident marked not_found count too.
XUEJI_SIMULATED_NOT_FOUND_IDS = tuple(
    n.strip() for n in os.environ.get(
        "XUEJI_SIMULATED_NOT_FOUND_IDS",
        "440106202001019995,440106202001019987,440106202002029976,440106201803039969,440105202004049958",
    ).split(",") if n.strip()
)
#: First-grade entry age (F-25): full years old by the cut-off day of the entry year.
XUEJI_ENTRY_MIN_AGE = _env_int("XUEJI_ENTRY_MIN_AGE", 6)
XUEJI_ENTRY_AGE_CUTOFF = os.environ.get("XUEJI_ENTRY_AGE_CUTOFF", "08-31")
#: Excel imports check rows in a second (forked) process while this one writes
#: (xueji.common.parallel); off: everything in one process.
XUEJI_PARALLEL_IMPORT = _env_bool("XUEJI_PARALLEL_IMPORT", True)
#: 升级 on PostgreSQL: chunks of schools promoted at once, each by a thread with its own
#: connection (xueji.promotion.services.workers; SQLite: always one).
XUEJI_PROMOTION_WORKERS = _env_int("XUEJI_PROMOTION_WORKERS", 2)
#: Bounds of an uploaded workbook, checked before any row is read (a zip bomb, a sheet
#: of a million empty rows): rows of the sheet (empty ones too), its parts' expanded size
#: (the 72-column template takes about 1.8 KB a row), its shared strings.
XUEJI_IMPORT_MAX_ROWS = _env_int("XUEJI_IMPORT_MAX_ROWS", 200_000)
XUEJI_IMPORT_MAX_EXPANDED_MB = _env_int("XUEJI_IMPORT_MAX_EXPANDED_MB", 400)
XUEJI_IMPORT_MAX_STRINGS_MB = _env_int("XUEJI_IMPORT_MAX_STRINGS_MB", 100)
XUEJI_IMPORT_MAX_STRINGS = _env_int("XUEJI_IMPORT_MAX_STRINGS", 2_000_000)
MEDIA_ROOT.mkdir(parents=True, exist_ok=True)

# --- background work (docs/TASKS.md) ------------------------------------------------------
#: Django's tasks API (django-tasks). Default: the database backend — the queue is a table
#: of this database, so the embedded demo needs no other service; ``manage.py jobs_worker``
#: (started by ``make run``) runs the tasks. Another backend is a settings change only,
#: e.g. XUEJI_TASKS_BACKEND=django_tasks_rq.RQBackend (see docs/TASKS.md).
XUEJI_TASKS_BACKEND = os.environ.get("XUEJI_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {
    "default": {
        "BACKEND": XUEJI_TASKS_BACKEND,
        "QUEUES": ["default"],
        "OPTIONS": {},
    }
}
if XUEJI_TASKS_BACKEND.startswith("django_tasks_rq."):
    # Redis + RQ (packages django-tasks-rq and django-rq, not installed by default); the
    # worker is then ``manage.py rqworker --job-class django_tasks_rq.Job default``.
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("XUEJI_REDIS_URL", "redis://127.0.0.1:6379/0")}}
#: A running job whose heartbeat is older than this many seconds is taken as dead (its
#: worker on another host, or a reused process id); on the worker's own host a job whose
#: process is gone is dead at once.
XUEJI_JOB_STALE_SECONDS = _env_int("XUEJI_JOB_STALE_SECONDS", 60)
#: How often a running job writes its heartbeat, and how often the worker looks for dead jobs.
XUEJI_JOB_HEARTBEAT_SECONDS = _env_int("XUEJI_JOB_HEARTBEAT_SECONDS", 5)
XUEJI_JOB_REAP_SECONDS = _env_int("XUEJI_JOB_REAP_SECONDS", 30)

# --- logs: to standard output (the web server's and the worker's alike) ----------------------
XUEJI_LOG_LEVEL = os.environ.get("XUEJI_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "xueji": {"level": XUEJI_LOG_LEVEL},
        "django_tasks": {"level": XUEJI_LOG_LEVEL},
        "django_tasks_db": {"level": XUEJI_LOG_LEVEL},
        "django.request": {"level": "ERROR"},
    },
}
