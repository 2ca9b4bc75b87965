"""Settings, read from the environment (django-environ); safe defaults for a local install."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ

# Lets generic Django classes (ModelAdmin[Case], QuerySet[Case]) be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("EAPCASE_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()

# Files at rest (ADR 0015): everything this process creates (the SQLite database and its -wal
# and -shm, uploads, mail files, keys) is readable by its owner only. The umask covers files
# made by libraries (SQLite, the mail backend); the explicit modes below cover files that
# existed before this setting did.
os.umask(0o077)
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
VAR_DIR.chmod(0o700)


def _install_secret() -> str:
    """A per-install secret kept under var/, made once, so a fresh clone needs no setup."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Created 0600 from the start: no moment in which another user could read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _install_secret()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "eapcase.core",
    "eapcase.accounts",
    "eapcase.organisations",
    "eapcase.cases",
    "eapcase.outreach",
    "eapcase.providers",
    "eapcase.compliance",
    "eapcase.audit",
    "eapcase.intake",
    "eapcase.api",
    "eapcase.notifications",
    "eapcase.perf",
    "eapcase.security",
    "eapcase.web",
    "eapcase.ops",
    "eapcase.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "eapcase.security.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "eapcase.security.middleware.SessionTimeoutMiddleware",
    "eapcase.security.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Near the end, so it is among the first to see a view's exception: NotFound -> 404,
    # PermissionDenied -> 403 (axes, after it, only handles its own lockout exception).
    "eapcase.web.errors.ServiceErrorPages",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "eapcase.config.urls"
WSGI_APPLICATION = "eapcase.config.wsgi.application"

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
                "eapcase.web.context.navigation",
                "eapcase.security.context.session_limits",
            ],
        },
    },
]

# Only `make bench` sets NORMAL, to measure what FULL costs; the application runs with FULL.
SQLITE_SYNCHRONOUS = env.str("EAPCASE_SQLITE_SYNCHRONOUS", default="FULL").upper()
if SQLITE_SYNCHRONOUS not in {"FULL", "NORMAL", "EXTRA"}:
    raise ValueError("EAPCASE_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA")
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'eapcase.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A database made before the umask above keeps its old mode: tighten it and its journals.
    for suffix in ("", "-wal", "-shm"):
        database_file = Path(f"{DATABASES['default']['NAME']}{suffix}")
        if database_file.is_file():
            database_file.chmod(0o600)
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
    # two writers queue on the busy timeout instead of failing with "database is locked".
    # synchronous=FULL syncs the WAL at every commit: an acknowledged write survives a power
    # cut, not only a crash of the process (ADR 0016; its cost is in `make bench`).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS}; "
            "PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = (
        {"NAME": str(VAR_DIR / "test.sqlite3")}
        if env.bool("EAPCASE_SQLITE_TEST_FILE", default=False)
        else {}
    )
# Each process (each gunicorn thread) keeps its connection between requests for this many
# seconds (README "Deployment"): opening one costs PostgreSQL a new server process, and SQLite
# the schema's parse and the PRAGMAs above, at every request (ADR 0046: 4-7 ms of CPU a
# request on SQLite). A `?conn_max_age=` in DATABASE_URL wins.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("EAPCASE_CONN_MAX_AGE", default=60))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: it refuses a locked-out user or address before any password
    # is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Authentication (ADR 0012). Absolute links in mail (password reset) start with this.
EAPCASE_BASE_URL = env.str("EAPCASE_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# A second factor (TOTP, with recovery codes) on every login; `make run`'s demo turns it off.
EAPCASE_REQUIRE_MFA = env.bool("EAPCASE_REQUIRE_MFA", default=True)
OTP_TOTP_ISSUER = "eapcase"
# The admin site never shows an authenticator's secret or QR code (django-otp's config and
# qrcode pages answer 403): whoever read it could make any user's second factor. Found by the
# access matrix (ADR 0037), where those pages also gave a 500 for a missing device.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Lockout: after this many failed passwords for one username, or from one address, that
# username or address is refused for the cool-off time (django-axes).
AXES_FAILURE_LIMIT = env.int("EAPCASE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("EAPCASE_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# The lockout lasts the cool-off time from the failure that began it; tries during it are
# refused (and audited) without extending it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "eapcase.security.lockout.lockout_response"
AXES_HANDLER = "eapcase.security.lockout.AuditedAxesHandler"
# Axes logs every failure at WARNING with the username and address: log neither.
AXES_CLIENT_STR_CALLABLE = "eapcase.security.lockout.client_str"
AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT = 100
# The client's address (lockout, audit): REMOTE_ADDR, or behind this many reverse proxies the
# address the outermost of them saw, from X-Forwarded-For.
EAPCASE_PROXY_COUNT = env.int("EAPCASE_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "eapcase.security.lockout.client_address"

# Sessions (ADR 0013): logged out after this long without a request, and this long after
# logging in whatever happens; the page warns a few minutes before the idle logout.
EAPCASE_SESSION_IDLE_MINUTES = env.int("EAPCASE_SESSION_IDLE_MINUTES", default=15)
EAPCASE_SESSION_MAX_HOURS = env.int("EAPCASE_SESSION_MAX_HOURS", default=12)
EAPCASE_SESSION_WARNING_MINUTES = env.int("EAPCASE_SESSION_WARNING_MINUTES", default=2)
SESSION_COOKIE_AGE = EAPCASE_SESSION_MAX_HOURS * 3600

# API tokens (issued at /accounts/tokens/) expire after this many days.
EAPCASE_API_TOKEN_DAYS = env.int("EAPCASE_API_TOKEN_DAYS", default=90)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request until collectstatic ran
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Transport. `EAPCASE_HTTPS=true` is the production profile: cookies only over HTTPS, HSTS,
# every http:// request redirected; `check --deploy` reports nothing under it (tested).
EAPCASE_HTTPS = env.bool("EAPCASE_HTTPS", default=False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=EAPCASE_HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=EAPCASE_HTTPS)
SECURE_SSL_REDIRECT = EAPCASE_HTTPS
SECURE_HSTS_SECONDS = env.int("EAPCASE_HSTS_SECONDS", default=31_536_000) if EAPCASE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = EAPCASE_HTTPS
SECURE_HSTS_PRELOAD = EAPCASE_HTTPS
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env.bool("EAPCASE_TRUST_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that sets this header itself (and strips the client's).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content Security Policy (django-csp 4): nothing inline, nothing from elsewhere. Every script
# and style is a file under /static/; htmx is told not to inject its indicator styles
# (base.html's htmx-config meta, the rules are in site.css).
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
    }
}

# Uploads (case notes, mail attachments) are written owner-only, in owner-only folders.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
    # Django's file backend, writing each message owner-only (var/mail holds case mail).
    EMAIL_BACKEND = "eapcase.security.mail.PrivateFileEmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
# With the file backend (what `make run` uses when no EMAIL_HOST is given) every message is a
# file here: the local stand-in for the inboxes.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="eapcase@localhost")

# The policy pack the application judges cases by; None means the built-in revision 1.
EAPCASE_POLICY_PACK = env.str("EAPCASE_POLICY_PACK", default="") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Background jobs: django-tasks with its database backend; `eapcase worker` runs them.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Integrations send `Authorization: Token <key>` (hashed tokens of eapcase.security); the
    # pages' own requests use the session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "eapcase.security.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "eapcase API",
    "DESCRIPTION": "Cases, participants, events, obligations and escalations.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Reliability (ADR 0016, README "Backup and restore"): the worker's daily backup
# goes to EAPCASE_BACKUP_DIR, which keeps the newest EAPCASE_BACKUP_KEEP backups; an API
# `Idempotency-Key` is remembered for EAPCASE_IDEMPOTENCY_HOURS, then forgotten and purged.
EAPCASE_BACKUP_DIR = Path(env.str("EAPCASE_BACKUP_DIR", default=str(VAR_DIR / "backups")))
EAPCASE_BACKUP_KEEP = env.int("EAPCASE_BACKUP_KEEP", default=7)
EAPCASE_IDEMPOTENCY_HOURS = env.int("EAPCASE_IDEMPOTENCY_HOURS", default=24)

# The audit chain's HMAC key (ADR 0035): EAPCASE_AUDIT_KEY, or else the file
# EAPCASE_AUDIT_KEY_FILE (made owner-only by the first `migrate`). Never SECRET_KEY, never in
# the database's own folder nor among the backups: a copy of those must not carry the key.
EAPCASE_AUDIT_KEY = env.str("EAPCASE_AUDIT_KEY", default="")
EAPCASE_AUDIT_KEY_FILE = Path(
    env.str("EAPCASE_AUDIT_KEY_FILE", default=str(VAR_DIR / "keys" / "audit.key"))
).resolve()
_backups = EAPCASE_BACKUP_DIR.resolve()
_key_folder = EAPCASE_AUDIT_KEY_FILE.parent
_beside_database = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and (
    _key_folder == Path(str(DATABASES["default"]["NAME"])).resolve().parent
)
if not EAPCASE_AUDIT_KEY and (
    _beside_database or _key_folder == _backups or _backups in _key_folder.parents
):
    raise ValueError(
        "EAPCASE_AUDIT_KEY_FILE must be outside the database's folder and the backup folder"
    )
# Called by `eapcase worker` at the start of every loop with (worker_id=, started_at=, now=):
# the heartbeat, the lease of abandoned jobs and the daily duties (backup, orphan files,
# expired idempotency keys). Dotted paths so the worker needs no import of the apps above it.
EAPCASE_WORKER_HOOKS = env.list("EAPCASE_WORKER_HOOKS", default=["eapcase.ops.duties.worker_loop"])
