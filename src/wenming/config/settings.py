"""Settings, driven by environment variables (see docs/operations.md).

WENMING_DATA_DIR      where the SQLite file, the generated secret key, media and collected
                      static files live (default: ./data)
DATABASE_URL          e.g. postgres://user:pass@host:5432/wenming (default: SQLite in the data dir)
WENMING_PRODUCTION    "1" for production mode: secret key and allowed hosts required, secure cookies
WENMING_SECRET_KEY    required in production; generated and kept in the data dir otherwise
WENMING_DEBUG         "1" to turn debug on (never in production)
WENMING_ALLOWED_HOSTS comma-separated host names
WENMING_CSRF_TRUSTED_ORIGINS  comma-separated origins (https://cw.example.gov.cn)
WENMING_BEHIND_PROXY  "1" when a TLS-terminating reverse proxy sets X-Forwarded-Proto/-For
WENMING_SESSION_IDLE_MINUTES  inactivity timeout (default 30)
WENMING_SCREEN_SESSION_DAYS   session length of a 大屏展示账号 (default 365; it has no idle timeout)
WENMING_LOGIN_FAILURE_LIMIT   failed logins before lockout (default 5)
WENMING_LOCKOUT_MINUTES       lockout duration (default 15)
WENMING_TASKS_BACKEND         task queue backend for background jobs (default: the database,
                              django_tasks_db.DatabaseBackend; see docs/operations.md)
WENMING_JOB_RETENTION_HOURS   how long a finished export stays downloadable (default 72)
WENMING_AUDIT_ANCHOR_FILE     where `wenming audit-anchor` appends the audit chain's anchors and
                              `wenming audit-verify` checks them (default: audit-anchors.jsonl in
                              the data dir; keep it on another machine, see docs/operations.md)
WENMING_OUTBOUND              SMS/e-mail transports: record (default), sms-http, email; comma-separated
WENMING_SMS_URL               the SMS gateway's URL (sms-http); WENMING_SMS_TIMEOUT seconds (default 5)
WENMING_OUTBOUND_MAX_ATTEMPTS attempts per message before it is marked failed (default 5)
WENMING_OUTBOUND_RETRY_SECONDS delay before the 2nd attempt, doubled for each next one (default 60)
WENMING_EMAIL_HOST/_PORT/_USER/_PASSWORD/_TLS/_SSL/_FROM  the mail server (email transport)
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("WENMING_DATA_DIR", Path.cwd() / "data")).resolve()
PRODUCTION = env_flag("WENMING_PRODUCTION")
DEBUG = env_flag("WENMING_DEBUG") and not PRODUCTION


def _secret_key() -> str:
    key = os.environ.get("WENMING_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("WENMING_SECRET_KEY must be set in production mode.")
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("WENMING_ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("WENMING_ALLOWED_HOSTS must be set in production mode.")
CSRF_TRUSTED_ORIGINS = env_list("WENMING_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # the API layer (config/api.py); its Swagger UI files are served locally
    "wenming.core",
    "wenming.org",
    "wenming.cases",
    "wenming.standards",
    "wenming.places",
    "wenming.inspections",
    "wenming.demo",
    "wenming.bulletins",
    "wenming.scoring",
    "wenming.dashboard",
    "wenming.plans",
    "wenming.archives",
    "wenming.surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "wenming.core.api.ApiErrorMiddleware",  # every error under /api/ answered as JSON
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wenming.core.middleware.RefuseNulMiddleware",  # before the session: a NUL in its cookie is ignored
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wenming.core.middleware.SessionIdleMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "wenming.core.middleware.HtmxRedirectMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wenming.core.middleware.RequestContextMiddleware",
    "wenming.core.middleware.ScreenAccountMiddleware",  # a 大屏展示账号 reaches the screen only
    "wenming.core.middleware.ForcePasswordChangeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wenming.config.urls"
WSGI_APPLICATION = "wenming.config.wsgi.application"
ASGI_APPLICATION = "wenming.config.asgi.application"

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
                "wenming.core.context_processors.navigation",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------------
DEFAULT_SQLITE_URL = f"sqlite:///{DATA_DIR / 'wenming.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at BEGIN
        # so two writers queue instead of failing with "database is locked" half-way.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- background work (DESIGN.md §3) -----------------------------------------------------------
# Slow jobs go through a task queue; by default its queue is a table in the same database and
# `wenming worker` (started by `wenming serve`) runs them. Another backend (Redis, PostgreSQL-native)
# is a setting, not a code change.
TASKS = {"default": {"BACKEND": os.environ.get("WENMING_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
                     "QUEUES": ["default"]}}
JOB_RETENTION_HOURS = int(os.environ.get("WENMING_JOB_RETENTION_HOURS", "72"))
AUDIT_ANCHOR_FILE = Path(os.environ.get("WENMING_AUDIT_ANCHOR_FILE") or DATA_DIR / "audit-anchors.jsonl")

# --- auth and sessions --------------------------------------------------------------------------
AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "wenming.core.backends.PeopleBackend",  # ModelBackend without API tokens' service accounts
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "wenming.core.passwords.CharacterClassValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_IDLE_MINUTES = int(os.environ.get("WENMING_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# the age counts from the last save, which SessionIdleMiddleware repeats at most once a minute
# while the user is active: an inactivity timeout without a write on every request
# a 大屏展示账号 (org Role.SCREEN held alone) reads the dashboard only, on a wall display: its session
# lasts this many days instead of the idle timeout (core.middleware.ScreenAccountMiddleware)
SCREEN_SESSION_DAYS = int(os.environ.get("WENMING_SCREEN_SESSION_DAYS", "365"))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AXES_FAILURE_LIMIT = int(os.environ.get("WENMING_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("WENMING_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
# password spraying (many names from one address) is slowed per address, with a higher limit
# than the per-account lockout because offices share one NAT address
LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("WENMING_LOGIN_IP_FAILURE_LIMIT", "30"))
LOGIN_IP_WINDOW = timedelta(minutes=int(os.environ.get("WENMING_LOGIN_IP_WINDOW_MINUTES", "15")))
AXES_CLIENT_IP_CALLABLE = "wenming.core.middleware.client_ip"
AXES_VERBOSE = False
# Lockout is per account (ASVS 2.2.1). Offices on a government intranet sit behind NAT, so an
# IP-wide lockout would lock a whole building out after one person's typos: axes' advice is
# deliberately not taken.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# --- i18n ----------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- files ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- security -----------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
BEHIND_PROXY = env_flag("WENMING_BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_flag("WENMING_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("WENMING_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_flag("WENMING_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WENMING_LOG_LEVEL", "WARNING")},
}

# outbound messages (core/outbound.py), sent after commit by the task queue: "record" (kept in the
# database only), "sms-http" (SMS to the gateway at WENMING_SMS_URL), "email" (Django's EMAIL_*
# settings); several comma-separated, e.g. "sms-http,email". A failed attempt is retried after
# WENMING_OUTBOUND_RETRY_SECONDS × 2^(n-1) until WENMING_OUTBOUND_MAX_ATTEMPTS attempts.
OUTBOUND_BACKEND = os.environ.get("WENMING_OUTBOUND", "record")
SMS_URL = os.environ.get("WENMING_SMS_URL", "")
SMS_TIMEOUT = float(os.environ.get("WENMING_SMS_TIMEOUT", "5"))
OUTBOUND_MAX_ATTEMPTS = max(1, int(os.environ.get("WENMING_OUTBOUND_MAX_ATTEMPTS", "5")))
OUTBOUND_RETRY_SECONDS = max(0, int(os.environ.get("WENMING_OUTBOUND_RETRY_SECONDS", "60")))
EMAIL_HOST = os.environ.get("WENMING_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("WENMING_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("WENMING_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("WENMING_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_flag("WENMING_EMAIL_TLS")
EMAIL_USE_SSL = env_flag("WENMING_EMAIL_SSL")
EMAIL_TIMEOUT = 10  # a worker never waits on a mail server for ever
DEFAULT_FROM_EMAIL = os.environ.get("WENMING_EMAIL_FROM", "webmaster@localhost")

# the city this deployment serves; shown in page titles and documents
CITY_NAME = os.environ.get("WENMING_CITY_NAME", "")
