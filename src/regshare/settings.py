"""Settings for regshare.

Everything has a safe default for a single-machine district install; a province overrides by
environment variables (DATABASE_URL, REGSHARE_DATA_DIR, REGSHARE_SECRET_KEY, REGSHARE_DEBUG ...).
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("REGSHARE_DATA_DIR", PROJECT_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("REGSHARE_SECRET_KEY", "regshare-local-development-key-change-me-in-production")
# Debug pages show settings and source: only when asked for explicitly (`make run` does, for the demo).
DEBUG = os.environ.get("REGSHARE_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("REGSHARE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # huey.contrib.djhuey is deliberately not installed: importing huey imports its Redis and PostgreSQL
    # clients, a second of start-up for every command. Task modules import it when a task is queued;
    # `regshare worker` runs its consumer command directly (docs/DECISIONS.md, "Start-up").
    "regshare.core",
    "regshare.catalog",
    "regshare.lake",
    "regshare.ingest",
    "regshare.exchange",
    "regshare.incidents",
    "regshare.entities",
    "regshare.credit",
    "regshare.supervision",
    "regshare.risk",
    "regshare.evaluation",
    "regshare.portal",
    "regshare.cockpit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "regshare.core.middleware.RequestBodyGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "regshare.core.middleware.SecurityHeadersMiddleware",
    "regshare.core.middleware.DefaultDenyMiddleware",
    "regshare.core.middleware.CalendarYearUnknownMiddleware",
]

ROOT_URLCONF = "regshare.urls"
ASGI_APPLICATION = "regshare.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "regshare.core.context_processors.shell",
            ],
        },
    },
]

_sqlite_path = DATA_DIR / "regshare.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL") or f"sqlite:///{_sqlite_path}", conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers queue
    # instead of failing with "database is locked" when a read turns into a write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Keeping the connection saves reopening it (and re-running the PRAGMAs) on every request.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Production on PostgreSQL. Each server process keeps a psycopg pool (Django's OPTIONS["pool"]) sized for
    # its request threads plus the background threads; persistent connections are then switched off, as
    # Django requires. REGSHARE_DB_POOL=0 falls back to one persistent connection per thread (CONN_MAX_AGE,
    # checked before reuse); behind PgBouncer in transaction mode set REGSHARE_PGBOUNCER=1 as well.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})
    _pool = os.environ.get("REGSHARE_DB_POOL", "1") == "1" and os.environ.get("REGSHARE_PGBOUNCER", "0") != "1"
    # The pool is optional (psycopg[pool]); looked up without importing it, which every command would pay for.
    import importlib.util

    if importlib.util.find_spec("psycopg_pool") is None:
        _pool = False
    if _pool:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": int(os.environ.get("REGSHARE_DB_POOL_MIN", "2")),
            "max_size": int(os.environ.get("REGSHARE_DB_POOL_MAX",
                                           str(int(os.environ.get("REGSHARE_REQUEST_THREADS", "8")) + 4))),
            "timeout": float(os.environ.get("REGSHARE_DB_POOL_TIMEOUT", "10")),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("REGSHARE_DB_CONN_MAX_AGE", "60"))
    if os.environ.get("REGSHARE_PGBOUNCER", "0") == "1":
        # Transaction pooling cannot keep a server-side cursor open across statements.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# Test databases are named per process so that several test runs on one machine never share one.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-regshare-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("REGSHARE_LOG_LEVEL", "WARNING")},
    # The task consumer logs every periodic run at INFO; operators need only its warnings.
    "loggers": {"huey": {"handlers": ["console"], "level": "WARNING", "propagate": False}},
}

HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "regshare",
    "filename": str(DATA_DIR / "huey.sqlite3"),
    "immediate": os.environ.get("REGSHARE_HUEY_IMMEDIATE", "0") == "1",
}
if os.environ.get("REDIS_URL"):
    # Several workers on one Redis (regshare.core.queue): a task whose worker died is re-queued once the
    # worker's lease (REGSHARE_WORKER_LEASE_SECONDS) runs out, and one scheduler at a time enqueues periodic tasks.
    HUEY = {
        "huey_class": "regshare.core.queue.RegshareRedisHuey",
        "name": os.environ.get("REGSHARE_QUEUE_NAME", "regshare"),
        "url": os.environ["REDIS_URL"],
        "lease_seconds": int(os.environ.get("REGSHARE_WORKER_LEASE_SECONDS", "30")),
        "immediate": os.environ.get("REGSHARE_HUEY_IMMEDIATE", "0") == "1",
    }

# --- regshare rules that are settings -------------------------------------------------------
# Login lock-out (issue: 5 failures lock the account for 15 minutes).
REGSHARE_LOCKOUT_ATTEMPTS = 5
REGSHARE_LOCKOUT_MINUTES = 15
# Audit chain hash: "sha256" (default) or "sm3" (国密).
REGSHARE_AUDIT_HASH = os.environ.get("REGSHARE_AUDIT_HASH", "sha256")
# Where the shared datasets live (Delta Lake tables).
REGSHARE_LAKE_DIR = Path(os.environ.get("REGSHARE_LAKE_DIR", DATA_DIR / "lake"))
# Or on S3-compatible object storage: REGSHARE_LAKE_URL=s3://bucket/prefix, with the endpoint and keys
# below (unset ones fall back to the standard AWS_* variables and instance credentials). Commits use
# conditional puts (lake.tables.storage_options), which AWS S3, MinIO, Ceph RGW and most vendors' stores accept.
REGSHARE_LAKE_URL = os.environ.get("REGSHARE_LAKE_URL", "")
REGSHARE_LAKE_STORAGE_OPTIONS = {
    option: os.environ[variable]
    for option, variable in (("AWS_ENDPOINT_URL", "REGSHARE_S3_ENDPOINT_URL"),
                             ("AWS_ACCESS_KEY_ID", "REGSHARE_S3_ACCESS_KEY_ID"),
                             ("AWS_SECRET_ACCESS_KEY", "REGSHARE_S3_SECRET_ACCESS_KEY"),
                             ("AWS_REGION", "REGSHARE_S3_REGION"))
    if os.environ.get(variable)
}
if REGSHARE_LAKE_STORAGE_OPTIONS.get("AWS_ENDPOINT_URL", "").startswith("http://"):
    # A store inside the government network without TLS (MinIO on the same rack): allowed only when asked
    # for by giving an http:// endpoint.
    REGSHARE_LAKE_STORAGE_OPTIONS["AWS_ALLOW_HTTP"] = "true"
# Outbound connections (core.egress): internal hosts, address ranges or SQLite directories that table
# sources, interface pulls, webhooks and the API proxy may reach, comma-separated; the admin adds more
# on the 出网白名单 admin page.
REGSHARE_EGRESS_ALLOW = [e.strip() for e in os.environ.get("REGSHARE_EGRESS_ALLOW", "").split(",") if e.strip()]


# --- web security ------------------------------------------------------------------------------
# Counters of the rate limits live in Django's cache: per process by default, shared by every
# process and replica when REDIS_URL is set.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "regshare"}}
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"]}}


def _rate(name: str, default: str) -> tuple[int, int]:
    """``"20/300"``: at most 20 requests in 300 seconds; ``"0"`` switches the limit off."""
    count, _, seconds = os.environ.get(name, default).partition("/")
    return int(count), int(seconds or 60)


# Login tries per user name and per client address (on top of the 5-failures lock-out, which only
# protects existing accounts), and API calls per token or signed-in person.
REGSHARE_LOGIN_RATE_PER_USERNAME = _rate("REGSHARE_LOGIN_RATE_PER_USERNAME", "10/300")
REGSHARE_LOGIN_RATE_PER_IP = _rate("REGSHARE_LOGIN_RATE_PER_IP", "30/300")
REGSHARE_API_RATE_PER_PRINCIPAL = _rate("REGSHARE_API_RATE_PER_PRINCIPAL", "1200/60")
# The public portal (no login): pages and open-data API calls per client address.
REGSHARE_PORTAL_RATE_PER_IP = _rate("REGSHARE_PORTAL_RATE_PER_IP", "120/60")
# Who runs the public portal and how the public reaches them (the portal's footer).
REGSHARE_PORTAL_OPERATOR = os.environ.get("REGSHARE_PORTAL_OPERATOR", "区数据管理局")
REGSHARE_PORTAL_CONTACT = os.environ.get("REGSHARE_PORTAL_CONTACT", "政务服务便民热线 12345")

# The platform's pages load scripts and styles only from itself; no inline script, no framing.
REGSHARE_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Behind HTTPS (directly or through a proxy that sets X-Forwarded-Proto), cookies travel only over
# HTTPS and browsers are told to use HTTPS for a year.
REGSHARE_HTTPS = os.environ.get("REGSHARE_HTTPS", "0") == "1"
if REGSHARE_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("REGSHARE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("REGSHARE_SSL_REDIRECT", "1") == "1"

# Uploads (docs/operations.md): the size limit of every upload path, and the zip-bomb guard applied to
# XLSX/DOCX/OFD before any parser opens them (declared uncompressed size, compression ratio, sheet rows).
REGSHARE_MAX_UPLOAD_MB = int(os.environ.get("REGSHARE_MAX_UPLOAD_MB", "200"))
REGSHARE_MAX_UNZIPPED_MB = int(os.environ.get("REGSHARE_MAX_UNZIPPED_MB", "2048"))
REGSHARE_MAX_ZIP_RATIO = float(os.environ.get("REGSHARE_MAX_ZIP_RATIO", "100"))
REGSHARE_MAX_SHEET_ROWS = int(os.environ.get("REGSHARE_MAX_SHEET_ROWS", "1000000"))

# Request threads per server process (regshare.asgi): a slow request holds one of them, not the process.
REGSHARE_REQUEST_THREADS = int(os.environ.get("REGSHARE_REQUEST_THREADS", "8"))

# Supervision (互联网+监管, docs/supervision.md). Draw ratio per credit-risk class: every class above zero, so no
# entity is never inspected. Deadlines in working days.
SUPERVISION_DRAW_RATIOS = {"A": 0.03, "B": 0.05, "C": 0.10, "D": 0.20, "未评价": 0.05}
SUPERVISION_INSPECTORS_PER_OBJECT = 2
# Evaluation reports are open for comments (征求意见) this many working days unless a date is given.
EVALUATION_REPORT_COMMENT_WORKDAYS = 10
# A random control group drawn from the whole pool (extension control-v1), so risk-based selection can be compared
# with random inspection; 0 turns it off for new tasks.
SUPERVISION_CONTROL_RATIO = "0.01"
SUPERVISION_RESULT_PUBLISH_WORKDAYS = 20
SUPERVISION_INSPECTION_WORKDAYS = 30
SUPERVISION_COMPLAINT_ACCEPT_WORKDAYS = 7
SUPERVISION_COMPLAINT_HANDLE_WORKDAYS = 45
SUPERVISION_COMPLAINT_REPLY_WORKDAYS = 5
SUPERVISION_COMPLAINT_ALARM_WORKDAYS = 10
SUPERVISION_ASSISTANCE_WORKDAYS = 10
SUPERVISION_CASE_STEP_WORKDAYS = 30

# Risk warning (风险预警, docs/risk.md): alert deadlines in working days; probability limits of the levels
# A/B/C (at or above C: D); the model files' folder (default DATA_DIR/models).
RISK_VERIFY_WORKDAYS = 5
RISK_ACT_WORKDAYS = 10
RISK_CLOSE_WORKDAYS = 5
RISK_ALERT_QUIET_DAYS = 90  # a finding handled is not alerted again within this many days
RISK_LEVELS = {"A": 0.05, "B": 0.15, "C": 0.40}
RISK_MODEL_DIR = os.environ.get("REGSHARE_RISK_MODEL_DIR", "")
