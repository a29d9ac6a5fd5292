"""Django settings for voldash. No relational database: all state lives in DynamoDB.

Everything environment-specific comes from environment variables (DESIGN.md section 7);
``VOLDASH_ENV`` is one of local, test, dev, staging, prod.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

VOLDASH_ENV = os.environ.get("VOLDASH_ENV", "local")
if VOLDASH_ENV not in {"local", "test", "dev", "staging", "prod"}:
    raise ImproperlyConfigured(f"VOLDASH_ENV={VOLDASH_ENV!r} is not one of local, test, dev, staging, prod")
IS_LOCAL = VOLDASH_ENV in {"local", "test"}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    "local-only-insecure-key-never-used-outside-local-and-test" if IS_LOCAL else ""
)
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is required outside local and test")

DEBUG = env_bool("DJANGO_DEBUG", VOLDASH_ENV == "local")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h] or (
    ["127.0.0.1", "localhost", "testserver", "[::1]"] if IS_LOCAL else []
)

INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "ninja",
    "voldash_site",
    "tasks",
    "volunteers",
    "shops",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "voldash_site.middleware.RequestLogMiddleware",
]

ROOT_URLCONF = "voldash_site.urls"
WSGI_APPLICATION = "voldash_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

# No relational database anywhere (DESIGN.md section 6).
DATABASES: dict[str, dict[str, str]] = {}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Chicago"  # Asmbly is in Austin; storage is always UTC
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploads and request bodies are small JSON or webhook payloads.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- DynamoDB ----------------------------------------------------------------------------
DYNAMODB_TABLE = os.environ.get("DYNAMODB_TABLE", f"voldash-{VOLDASH_ENV}")
DYNAMODB_ENDPOINT_URL = os.environ.get("DYNAMODB_ENDPOINT_URL") or None
AWS_REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-2"

# --- Logging: JSON lines with a fixed event name and ids as fields ------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "message": "event"},
            "timestamp": "time",
        }
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "botocore": {"level": "WARNING"},
        "pynamodb": {"level": "WARNING"},
    },
}
