"""Délibre settings: one module, driven by the environment (STYLE.md §14).

Development defaults are safe and need nothing installed (SQLite, in-process tasks, console
e-mail). With DELIBRE_ENV=production the settings fail fast when a secret is missing.
Variables are prefixed DELIBRE_ except the standard ones (DATABASE_URL, CELERY_BROKER_URL).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


ENVIRONMENT = env("DELIBRE_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"

DATA_DIR = Path(env("DELIBRE_DATA_DIR", str(BASE_DIR / "var")) or "var")

SECRET_KEY = env("DELIBRE_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DELIBRE_SECRET_KEY must be set in production.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

DEBUG = env_bool("DELIBRE_DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list(
    "DELIBRE_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
)
CSRF_TRUSTED_ORIGINS = env_list("DELIBRE_CSRF_TRUSTED_ORIGINS")
# Absolute base URL used in documents (QR codes, permanent links) and e-mails.
PUBLIC_URL = (env("DELIBRE_PUBLIC_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "core",
    "accounts",
    "deliberations",
    "workflow",
    "signing",
    "exports",
    "exports.pes",
    "exports.actes",
    "exports.publication",
    "history",
    "training",
    "guide",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "core.middleware.OutageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.CurrentCollectiviteMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "core.context_processors.delibre",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'delibre.sqlite3'}") or "",
        conn_max_age=int(env("DELIBRE_DB_CONN_MAX_AGE", "0") or 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default needs its folder; WAL and a busy timeout let the dev server and
    # in-process tasks share the file.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "deliberations.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id first (docs/security.md); older hashes are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Login security (accounts/, docs/security.md): throttling, second factor, inactivity expiry.
DELIBRE_LOGIN_MAX_FAILURES = int(env("DELIBRE_LOGIN_MAX_FAILURES", "5") or 5)
DELIBRE_LOGIN_MAX_FAILURES_PER_IP = int(env("DELIBRE_LOGIN_MAX_FAILURES_PER_IP", "20") or 20)
DELIBRE_LOGIN_LOCKOUT_SECONDS = int(env("DELIBRE_LOGIN_LOCKOUT_SECONDS", "900") or 900)
DELIBRE_REQUIRE_2FA = env_bool("DELIBRE_REQUIRE_2FA", False)
DELIBRE_SESSION_IDLE_SECONDS = int(env("DELIBRE_SESSION_IDLE_SECONDS", "3600") or 0)
# Key material for secrets stored encrypted in the database (second-factor secrets); defaults to
# SECRET_KEY. Set it to keep those secrets readable across a SECRET_KEY rotation.
DELIBRE_FIELD_KEY = env("DELIBRE_FIELD_KEY", "") or ""
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

FORMS_URLFIELD_ASSUME_HTTPS = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("DELIBRE_STATIC_ROOT", str(DATA_DIR / "static")) or "")
# In development the files are served from the app folders; collectstatic fills STATIC_ROOT.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env("DELIBRE_MEDIA_ROOT", str(DATA_DIR / "media")) or "")
MEDIA_URL = "/media-not-served/"  # private files are only served through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads: annexes are PDFs checked on upload; ACTES limits a transmission to 150 MB.
DELIBRE_MAX_ANNEX_BYTES = int(env("DELIBRE_MAX_ANNEX_BYTES", str(50 * 1024 * 1024)) or 0)
# Files anyone may upload to the public signature verification page and API (issue 5).
DELIBRE_MAX_VERIFY_BYTES = int(env("DELIBRE_MAX_VERIFY_BYTES", str(30 * 1024 * 1024)) or 0)
# History import (docs/adr/0009): the largest zip of files accepted, once uncompressed.
DELIBRE_HISTORY_MAX_BYTES = int(env("DELIBRE_HISTORY_MAX_BYTES", str(2 * 1024**3)) or 0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Treasury flows (PES V2, docs/adr/0005-pes-flows.md): the largest flow accepted, the folders
# used when a collectivité configured none (DELIBRE_PES_DIR/inbox|outbox/<slug>), the attempts
# at sending a flow, and an optional PEM bundle of roots the treasury view checks chains with.
DELIBRE_PES_MAX_BYTES = int(env("DELIBRE_PES_MAX_BYTES", str(200 * 1024 * 1024)) or 0)
# Larger uploads are imported by a worker, with a progress bar (issue 8).
DELIBRE_PES_BACKGROUND_BYTES = int(env("DELIBRE_PES_BACKGROUND_BYTES", str(5 * 1024 * 1024)) or 0)
DELIBRE_PES_DIR = Path(env("DELIBRE_PES_DIR", str(DATA_DIR / "pes")) or "")
# Prefecture exchanges (docs/adr/0006): the folders, certificates and keys a collectivité's
# transmission settings name must lie in DELIBRE_ACTES_DIR/<slug>/, and the environment
# variables they name start with DELIBRE_ACTES_<SLUG>_, so that no collectivité can use another's.
DELIBRE_ACTES_DIR = Path(env("DELIBRE_ACTES_DIR", str(DATA_DIR / "actes")) or "")
DELIBRE_PES_SEND_ATTEMPTS = int(env("DELIBRE_PES_SEND_ATTEMPTS", "5") or 5)
DELIBRE_PES_TRUST_ROOTS = env("DELIBRE_PES_TRUST_ROOTS", "") or ""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Délibre API",
    "DESCRIPTION": "Deliberations, séances, votes, approval circuits, signatures and exports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the drf-spectacular-sidecar package: no CDN, works under the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ActStatusEnum": "deliberations.enums.ActStatus",
        "SeanceStatusEnum": "deliberations.enums.SeanceStatus",
        "AgendaItemStatusEnum": "deliberations.enums.AgendaItemStatus",
        "AttendanceStatusEnum": "deliberations.enums.AttendanceStatus",
        "CollectiviteKindEnum": "deliberations.enums.CollectiviteKind",
        "AssemblyKindEnum": "deliberations.enums.AssemblyKind",
        "BallotChoiceEnum": "deliberations.enums.BallotChoice",
        "VoteModeEnum": "deliberations.enums.VoteMode",
        "ActTypeEnum": "deliberations.enums.ActType",
        "CircuitPhaseEnum": "workflow.enums.CircuitPhase",
        "StepKindEnum": "workflow.enums.StepKind",
        "StepModeEnum": "workflow.enums.StepMode",
        "RunStatusEnum": "workflow.enums.RunStatus",
        "StepStatusEnum": "workflow.enums.StepStatus",
        "DecisionActionEnum": "workflow.enums.DecisionAction",
        "NotificationKindEnum": "workflow.enums.NotificationKind",
        "NotificationModeEnum": "workflow.enums.NotificationMode",
        "DelegationScopeEnum": "workflow.enums.DelegationScope",
        "BordereauStatusEnum": "workflow.enums.BordereauStatus",
        "PesFlowStatusEnum": "workflow.enums.PesFlowStatus",
        "PesTransmissionStatusEnum": "workflow.enums.TransmissionStatus",
        "PesFlowSourceEnum": "exports.pes.enums.FlowSource",
        "PesReturnSourceEnum": "exports.pes.enums.ReturnSource",
        "BordereauKindEnum": "exports.pes.enums.BordereauKind",
        "PesConnectorEnum": "exports.pes.enums.Connector",
    },
}

# Background work (DESIGN.md decision 10).
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
if CELERY_BROKER_URL is None:
    # Eager tasks still take a producer from the pool (Celery checks the serializer): the
    # in-memory transport needs no server and keeps kombu from falling back to amqp://localhost.
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Queues (docs/deployment.md): "signing" holds what opens signing keys (batches, archive
# timestamps), so that it can run only where the seal's token is; everything else is "default".
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"signing.*": {"queue": "signing"}}
# Redis hands a task whose worker died without acknowledging it (acks_late) to another worker
# after this delay: it must exceed the longest task (hence the hard time limit below it). Tasks
# retried with a countdown longer than it may run twice; every task is idempotent
# (docs/adr/0008-background-work.md).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(env("DELIBRE_CELERY_VISIBILITY_TIMEOUT", "1800") or 1800)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SOFT_TIME_LIMIT = 20 * 60
CELERY_TASK_TIME_LIMIT = 25 * 60
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
# Fresh worker processes now and then: WeasyPrint and lxml keep memory they do not give back.
CELERY_WORKER_MAX_TASKS_PER_CHILD = int(env("DELIBRE_CELERY_MAX_TASKS_PER_CHILD", "500") or 500)
# Stored files no row refers to (left by a killed process) are removed after this many hours.
DELIBRE_ORPHAN_GRACE_HOURS = float(env("DELIBRE_ORPHAN_GRACE_HOURS", "24") or 24)
# Periodic work (run `make beat` next to the workers): reminders of late steps and daily digests
# in the morning, anchoring of the audit journal every hour (docs/adr/0001).
CELERY_BEAT_SCHEDULE = {
    "workflow-send-reminders": {
        "task": "workflow.send_reminders",
        "schedule": crontab(hour=7, minute=30),
    },
    "workflow-send-digests": {
        "task": "workflow.send_digests",
        "schedule": crontab(hour=7, minute=45),
    },
    "workflow-anchor-journal": {
        "task": "workflow.anchor_journal",
        "schedule": crontab(minute=5),
    },
    # Treasury flows: import what arrived in the watched folders; retry delayed sendings.
    "pes-watch-folders": {"task": "pes.watch_folders", "schedule": crontab(minute="*")},
    "pes-retry-transmissions": {
        "task": "pes.retry_transmissions",
        "schedule": crontab(minute="*/10"),
    },
    # B-LTA archives whose last document timestamp expires soon get a new one (issue 5).
    "signing-renew-archives": {
        "task": "signing.renew_archives",
        "schedule": crontab(hour=3, minute=15),
    },
    # Prefecture exchanges: send what waits, read the TdT's statuses and the returns.
    "actes-poll-tdt": {"task": "actes.poll_tdt", "schedule": crontab(minute="*/10")},
    # Files left by a process killed between storing a file and committing its row.
    "core-purge-orphan-files": {
        "task": "core.purge_orphan_files",
        "schedule": crontab(hour=4, minute=30),
    },
}

EMAIL_BACKEND = env("DELIBRE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("DELIBRE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("DELIBRE_EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env("DELIBRE_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("DELIBRE_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DELIBRE_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(env("DELIBRE_EMAIL_TIMEOUT", "30") or 30)
# For django.core.mail.backends.filebased.EmailBackend (tests, staging): one file per message.
EMAIL_FILE_PATH = env("DELIBRE_EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DELIBRE_DEFAULT_FROM_EMAIL", "Délibre <no-reply@delibre.localhost>")

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("DELIBRE_CACHE_URL"),
        }
        if env("DELIBRE_CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

SESSION_COOKIE_AGE = int(env("DELIBRE_SESSION_AGE", str(8 * 3600)) or 0)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DELIBRE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("DELIBRE_HSTS_SECONDS", "31536000") or 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DELIBRE_ALLOWED_HOSTS must be set in production.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "delibre": {"handlers": ["console"], "level": env("DELIBRE_LOG_LEVEL", "INFO")},
        "delibre.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
