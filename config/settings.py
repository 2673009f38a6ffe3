"""Kakehashi settings: one file, driven by environment variables.

Every knob is read through a small typed helper that fails loudly
(ImproperlyConfigured) on a value it cannot parse. Development defaults just
work: SQLite in ./var, Redis on 127.0.0.1:6379, DEBUG on. With DEBUG off a
missing SECRET_KEY is a hard error.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    """A string from NAME, or from the file named by NAME_FILE (secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {e}") from e
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from e


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
else:
    # Why no default: a production deployment with a known key would let anyone
    # forge sessions, i.e. read patient data. Refuse to start instead.
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "facilities",
    "transfer",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "config.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

VAR_DIR = Path(env_str("KAKEHASHI_VAR_DIR", str(BASE_DIR / "var")))

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kakehashi.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except Exception as e:  # dj_database_url raises several types on bad input
    raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {e}") from e
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Why a timeout: web, Celery worker and beat share one SQLite file in the
    # embedded default; writers wait for each other instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "ja"
TIME_ZONE = env_str("TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))

MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# No MEDIA_URL on purpose: photos are served only through an access-checked view.

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [REDIS_URL],
            "prefix": env_str("CHANNELS_PREFIX", "kakehashi"),
            "capacity": 1000,
            "expiry": 60,
        },
    }
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 50)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "kakehashi")
CELERY_BEAT_SCHEDULE = {
    "expire-stale-inquiries": {
        "task": "transfer.tasks.inquiries_expire_task",
        "schedule": 30.0,
    },
    "expire-stuck-ocr-jobs": {
        "task": "transfer.tasks.ocr_jobs_expire_task",
        "schedule": 60.0,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "transfer.api.exception_handler",
    # Why 404 and not 401/403 for anonymous API callers: DRF answers 403; the
    # object-level checks answer 404 so that existence never leaks.
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Kakehashi API",
    "DESCRIPTION": "Inter-facility emergency transfers: transfers, photos, inquiries, events.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Stable enum names in the schema for clients generated from it.
    "ENUM_NAME_OVERRIDES": {
        "TransferStatusEnum": "transfer.models.TransferStatus",
        "InquiryStatusEnum": "transfer.models.InquiryStatus",
        "OcrStatusEnum": "transfer.models.OcrStatus",
        "DeclineReasonEnum": "transfer.models.DeclineReason",
        "SexEnum": "transfer.models.Sex",
        "UrgencyEnum": "transfer.models.Urgency",
        "AvailabilityEnum": "facilities.models.Availability",
        "FacilityKindEnum": "facilities.models.FacilityKind",
    },
}

# Domain knobs.
KAKEHASHI_PHOTO_MAX_BYTES = env_int("KAKEHASHI_PHOTO_MAX_BYTES", 15 * 1024 * 1024)
KAKEHASHI_PHOTO_MAX_PIXELS = env_int("KAKEHASHI_PHOTO_MAX_PIXELS", 40_000_000)
KAKEHASHI_INQUIRY_TIMEOUT_MINUTES = env_int("KAKEHASHI_INQUIRY_TIMEOUT_MINUTES", 15)
# Tesseract models: Debian's jpn for pages read as lines of text, and its
# Japanese script model for ruled forms read cell by cell, where it reads
# table and handwriting-like fonts better (docs/benchmarks.md).
KAKEHASHI_OCR_LANG = env_str("KAKEHASHI_OCR_LANG", "jpn")
KAKEHASHI_OCR_CELL_LANG = env_str("KAKEHASHI_OCR_CELL_LANG", "Japanese")
# Fonts that draw candidate characters to compare with a photo's
# (transfer/ocr/glyphs.py): a gothic and a mincho, Debian's fonts-noto-cjk.
# Missing fonts only switch that check off.
KAKEHASHI_GLYPH_FONTS = env_list(
    "KAKEHASHI_GLYPH_FONTS",
    [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    ],
)
# Where the candidate characters drawn once per machine are kept
# (transfer/ocr/glyphs.py; about 56 MB, rebuilt when the fonts change).
KAKEHASHI_GLYPH_STORE_DIR = Path(env_str("KAKEHASHI_GLYPH_STORE_DIR", str(VAR_DIR / "glyphs")))
KAKEHASHI_OCR_TIMEOUT_SECONDS = env_int("KAKEHASHI_OCR_TIMEOUT_SECONDS", 60)
# 2FA is installed (django-otp) but not enforced yet; flipping this on makes
# pages, API and sockets demand a verified device.
KAKEHASHI_REQUIRE_2FA = env_bool("KAKEHASHI_REQUIRE_2FA", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request bodies never reach the logs; these loggers only carry method,
        # path (ids, no names) and status.
        "django.request": {"level": "WARNING"},
    },
}
