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
DEBUG = os.environ.get("REGSHARE_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("REGSHARE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "regshare.core",
    "regshare.catalog",
    "regshare.lake",
    "regshare.ingest",
    "regshare.exchange",
    "regshare.entities",
    "regshare.credit",
    "regshare.portal",
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
    "regshare.core.middleware.DefaultDenyMiddleware",
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
    HUEY = {"huey_class": "huey.RedisHuey", "name": "regshare", "url": os.environ["REDIS_URL"]}

# --- regshare rules that are settings -------------------------------------------------------
# Login lock-out (issue: 5 failures lock the account for 15 minutes).
REGSHARE_LOCKOUT_ATTEMPTS = 5
REGSHARE_LOCKOUT_MINUTES = 15
# Audit chain hash: "sha256" (default) or "sm3" (国密).
REGSHARE_AUDIT_HASH = os.environ.get("REGSHARE_AUDIT_HASH", "sha256")
# Where the shared datasets live (Delta Lake tables).
REGSHARE_LAKE_DIR = Path(os.environ.get("REGSHARE_LAKE_DIR", DATA_DIR / "lake"))
# Request threads per server process (regshare.asgi): a slow request holds one of them, not the process.
REGSHARE_REQUEST_THREADS = int(os.environ.get("REGSHARE_REQUEST_THREADS", "8"))
