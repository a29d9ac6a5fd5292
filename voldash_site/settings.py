"""Django settings for voldash. No relational database: all state lives in DynamoDB.

Everything environment-specific comes from environment variables (DESIGN.md section 7);
``VOLDASH_ENV`` is one of local, test, dev, staging, prod.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# Fail closed: there is no default. Local mode (DEBUG, the dev login, a throw-away secret key)
# must be chosen explicitly (the Makefile says VOLDASH_ENV=local, the tests VOLDASH_ENV=test),
# and anything that looks like the cloud cannot choose it.
VOLDASH_ENV = os.environ.get("VOLDASH_ENV", "")
if VOLDASH_ENV not in {"local", "test", "dev", "staging", "prod"}:
    raise ImproperlyConfigured(
        f"VOLDASH_ENV={VOLDASH_ENV!r}: set it to one of local, test, dev, staging, prod "
        "(there is no default; `make run` sets local, pytest sets test)"
    )
IS_LOCAL = VOLDASH_ENV in {"local", "test"}
# Signs of the cloud: a Secrets Manager secret to read, or a Lambda runtime.
_CLOUD_SIGNS = [name for name in ("VOLDASH_SECRETS_ID", "AWS_LAMBDA_FUNCTION_NAME") if os.environ.get(name)]
if IS_LOCAL and _CLOUD_SIGNS:
    raise ImproperlyConfigured(
        f"VOLDASH_ENV={VOLDASH_ENV} but {', '.join(_CLOUD_SIGNS)} is set: this looks like the cloud, "
        "where local mode is refused. Set VOLDASH_ENV to dev, staging or prod."
    )


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


SECRETS_MISSING: list[str] = []
if not IS_LOCAL:
    # The cloud: secrets come from Secrets Manager (once per container), then the environment.
    from voldash_site.cloud_secrets import SECRET_ID_VARIABLE, load_secrets, missing_required

    load_secrets()
    _missing = missing_required()
    # The workers (VOLDASH_WAIT_FOR_SECRETS, set by template.yaml) start anyway and idle, saying
    # so in their log and a metric, until the secret is filled in: no failure every five
    # minutes, no alarm storm between the first deploy and the secret's values.
    SECRETS_MISSING = _missing if env_bool("VOLDASH_WAIT_FOR_SECRETS", False) else []
    if _missing and not SECRETS_MISSING:
        raise ImproperlyConfigured(
            f"voldash ({VOLDASH_ENV}) cannot start: missing required secrets {', '.join(_missing)}. "
            f"Put them in the Secrets Manager secret named by {SECRET_ID_VARIABLE} or in the environment."
        )

LOCAL_SECRET_KEY = "local-only-insecure-key-never-used-outside-local-and-test"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 50


def _secret_key_problem(value: str) -> str | None:
    """Why ``value`` cannot sign sessions and cursors in the cloud (None: it can)."""
    if value == LOCAL_SECRET_KEY:
        return "is the source's local-only key"
    if len(value) < MIN_SECRET_KEY_LENGTH:
        return f"is {len(value)} characters; at least {MIN_SECRET_KEY_LENGTH} are required"
    if len(set(value)) < 5:
        return "has fewer than 5 distinct characters"
    return None


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or LOCAL_SECRET_KEY
# Rotation (README: Operations): the new key in DJANGO_SECRET_KEY, the old one(s) here (comma-
# separated) until every session and cursor signed with them has expired (14 days).
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "").split(",") if k]
if not IS_LOCAL:
    for _name, _value in [("DJANGO_SECRET_KEY", SECRET_KEY)] + [
        (f"DJANGO_SECRET_KEY_FALLBACKS[{i}]", k) for i, k in enumerate(SECRET_KEY_FALLBACKS)
    ]:
        if (_problem := _secret_key_problem(_value)) is not None:
            raise ImproperlyConfigured(f"voldash ({VOLDASH_ENV}) cannot start: {_name} {_problem}.")

# DJANGO_DEBUG is honoured in local and test only: the cloud never shows debug pages.
DEBUG = IS_LOCAL and env_bool("DJANGO_DEBUG", VOLDASH_ENV == "local")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h] or (
    ["127.0.0.1", "localhost", "testserver", "[::1]"] if IS_LOCAL else []
)

INSTALLED_APPS = [
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "voldash_site",
    "tasks",
    "volunteers",
    "shops",
    "integrations",
]

MIDDLEWARE = [
    "voldash_site.middleware.RequestContextMiddleware",
    "voldash_site.middleware.OriginVerifyMiddleware",
    "voldash_site.middleware.SecurityHeadersMiddleware",
    "voldash_site.http_errors.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "voldash_site.middleware.RequestLogMiddleware",
    "voldash_site.middleware.BadRequestBodyMiddleware",
]

ROOT_URLCONF = "voldash_site.urls"
WSGI_APPLICATION = "voldash_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csrf",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# No relational database anywhere (DESIGN.md section 6).
DATABASES: dict[str, dict[str, str]] = {}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Chicago"  # Asmbly is in Austin; storage is always UTC
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# `make package` collects here; WhiteNoise serves it on Lambda.
# Locally (and in tests) WhiteNoise serves straight from the apps' static folders.
STATIC_ROOT: Path | None = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / ".staticfiles")
if IS_LOCAL and not os.environ.get("DJANGO_STATIC_ROOT"):
    STATIC_ROOT = None
WHITENOISE_USE_FINDERS = IS_LOCAL
WHITENOISE_MAX_AGE = 3600
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploads and request bodies are small JSON or webhook payloads.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- Sessions and CSRF: signed cookies, no database (DESIGN.md section 6) -----------------
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_NAME = "voldash_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not IS_LOCAL
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_SAVE_EVERY_REQUEST = False
# The SPA reads the csrftoken cookie (or GET /api/v1/csrf) and sends it back as X-CSRFToken.
CSRF_COOKIE_HTTPONLY = False
CSRF_COOKIE_SECURE = not IS_LOCAL
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
CSRF_FAILURE_VIEW = "voldash_site.urls.csrf_failure"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not IS_LOCAL:
    # Behind CloudFront and API Gateway every request is HTTPS (X-Forwarded-Proto says so).
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Submitting asmbly.org to the browsers' preload list is the domain owner's decision.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
# CloudFront sends this secret in X-Origin-Verify; set, it turns away requests that went around
# CloudFront (straight to the API Gateway URL). Empty: not checked (local, test).
ORIGIN_VERIFY_SECRET = os.environ.get("ORIGIN_VERIFY_SECRET", "")
# The public address (the CloudFront domain): OAuth callbacks are built from it in the cloud,
# where the Host header is API Gateway's.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
# Staff page notices live in a signed cookie too (no database).
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

# Where the browser lands after logging in or out (the SPA on the same CloudFront domain).
FRONTEND_URL = os.environ.get("FRONTEND_URL", "/")

# A dev login that picks a demo volunteer: local and test only. dev, staging and prod cannot
# turn it on, whatever the environment says.
DEV_LOGIN_ENABLED = IS_LOCAL and env_bool("VOLDASH_DEV_LOGIN", True)

# --- E-mail (magic-link logins): Amazon SES in the cloud, the console locally -------------
EMAIL_FROM = os.environ.get("EMAIL_FROM", "Asmbly Volunteer Dashboard <volunteers@asmbly.org>")
DEFAULT_FROM_EMAIL = EMAIL_FROM
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend" if IS_LOCAL else "integrations.email.ses.SESEmailBackend"
)

# --- Volunteers and claims ------------------------------------------------------------------
CLAIM_LIMIT = int(os.environ.get("CLAIM_LIMIT", "3"))
# The staff dashboard flags claims held this long with no change.
STAFF_STALE_CLAIM_DAYS = int(os.environ.get("STAFF_STALE_CLAIM_DAYS", "7"))
# Quiet claims (README: Reminders, digests and calendars): a reminder after this many days
# without progress, the automatic release after that many; per-shop overrides as
# "woodshop=5:10,lasers=3:7" (shop=reminder days:release days).
STALE_CLAIM_REMIND_DAYS = int(os.environ.get("STALE_CLAIM_REMIND_DAYS", "7"))
STALE_CLAIM_RELEASE_DAYS = int(os.environ.get("STALE_CLAIM_RELEASE_DAYS", "14"))
STALE_CLAIM_SHOP_DAYS = os.environ.get("STALE_CLAIM_SHOP_DAYS", "")
SHOP_CACHE_SECONDS = float(os.environ.get("SHOP_CACHE_SECONDS", "300"))

# --- Neon CRM (DESIGN.md section 7) ----------------------------------------------------------
NEON_API_URL = os.environ.get("NEON_API_URL", "https://api.neoncrm.com/v2")
NEON_OAUTH_AUTHORIZE_URL = os.environ.get(
    "NEON_OAUTH_AUTHORIZE_URL", "https://asmbly.app.neoncrm.com/np/oauth/auth"
)
NEON_OAUTH_TOKEN_URL = os.environ.get("NEON_OAUTH_TOKEN_URL", "https://app.neoncrm.com/np/oauth/token")
NEON_ORG_ID = os.environ.get("NEON_ORG_ID", "")
NEON_API_KEY = os.environ.get("NEON_API_KEY", "")
NEON_OAUTH_CLIENT_ID = os.environ.get("NEON_OAUTH_CLIENT_ID", "")
NEON_OAUTH_CLIENT_SECRET = os.environ.get("NEON_OAUTH_CLIENT_SECRET", "")
NEON_WEBHOOK_USERNAME = os.environ.get("NEON_WEBHOOK_USERNAME", "")
NEON_WEBHOOK_PASSWORD = os.environ.get("NEON_WEBHOOK_PASSWORD", "")
# Which Neon Individual Types make someone staff or a shop lead (JSON), e.g.
# {"staff": ["Paid Staff", "Leader"], "shop_lead": ["Space Lead", "Super Steward"]}
NEON_ROLE_TYPES = json.loads(os.environ.get("NEON_ROLE_TYPES", "") or "null")

# --- ClickUp, Slack, Discourse (DESIGN.md section 7) ----------------------------------------
CLICKUP_API_URL = os.environ.get("CLICKUP_API_URL", "https://api.clickup.com/api/v2")
CLICKUP_API_TOKEN = os.environ.get("CLICKUP_API_TOKEN", "")
CLICKUP_WEBHOOK_SECRET = os.environ.get("CLICKUP_WEBHOOK_SECRET", "")
# The Workspace ("team") id `manage.py clickup_webhooks` registers the webhooks in.
CLICKUP_TEAM_ID = os.environ.get("CLICKUP_TEAM_ID", "")
# Sent by ClickUp Automations ("Call webhook") in the X-Voldash-Secret header or ?secret=.
CLICKUP_AUTOMATION_SECRET = os.environ.get("CLICKUP_AUTOMATION_SECRET", "")
# Asmbly's plan allows 100 requests/minute/token; stay under it.
CLICKUP_REQUESTS_PER_MINUTE = int(os.environ.get("CLICKUP_REQUESTS_PER_MINUTE", "90"))
SLACK_API_URL = os.environ.get("SLACK_API_URL", "https://slack.com/api")
SLACK_BOT_TOKEN = os.environ.get("SLACK_BOT_TOKEN", "")
# Verifies Slack's interactivity requests (buttons): /webhooks/slack/interactivity answers 401
# to everything while it is empty.
SLACK_SIGNING_SECRET = os.environ.get("SLACK_SIGNING_SECRET", "")
DISCOURSE_URL = os.environ.get("DISCOURSE_URL", "https://yo.asmbly.org")
DISCOURSE_API_KEY = os.environ.get("DISCOURSE_API_KEY", "")
DISCOURSE_API_USERNAME = os.environ.get("DISCOURSE_API_USERNAME", "")
# Every outbound call (ClickUp, Neon, Slack, Discourse) gives up after this long.
HTTP_TIMEOUT_SECONDS = float(os.environ.get("HTTP_TIMEOUT_SECONDS", "10"))
# Overrides the mapping's discourse.category_id (59 = Asmbly's problem reports).
DISCOURSE_CATEGORY_ID = (
    int(os.environ["DISCOURSE_CATEGORY_ID"]) if os.environ.get("DISCOURSE_CATEGORY_ID") else None
)

# --- Problem reports (tasks/reports) -----------------------------------------------------
# The Slack channel every problem report is posted to (Asmbly's #facilities), and the
# workspace URL that Slack permalinks are built on.
PROBLEM_REPORT_SLACK_CHANNEL = os.environ.get("PROBLEM_REPORT_SLACK_CHANNEL", "C063LH7MB45")
SLACK_WORKSPACE_URL = os.environ.get("SLACK_WORKSPACE_URL", "https://asmbly-makerspace.slack.com")
# Reports accepted per client address and per device cookie in each window.
REPORT_LIMIT_PER_ADDRESS = int(os.environ.get("REPORT_LIMIT_PER_ADDRESS", "20"))
REPORT_LIMIT_PER_DEVICE = int(os.environ.get("REPORT_LIMIT_PER_DEVICE", "6"))
REPORT_RATE_WINDOW_SECONDS = int(os.environ.get("REPORT_RATE_WINDOW_SECONDS", "3600"))
# The request header that carries the client's address (e.g. CloudFront-Viewer-Address, when
# the origin request policy forwards it); empty: the connection's address (REMOTE_ADDR).
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")
# A client address header is only as good as the guarantee that requests come through the edge
# that sets it: without ORIGIN_VERIFY_SECRET anyone calling the API Gateway URL picks their own
# address per request (voldash_site/client_ip.py ignores the header then). The cloud refuses the
# combination, except in the workers (they serve no requests and wait for their secrets).
_WORKER = env_bool("VOLDASH_WAIT_FOR_SECRETS", False)
if not IS_LOCAL and CLIENT_IP_HEADER and not ORIGIN_VERIFY_SECRET and not _WORKER:
    raise ImproperlyConfigured(
        f"voldash ({VOLDASH_ENV}) cannot start: CLIENT_IP_HEADER={CLIENT_IP_HEADER!r} is set but "
        "ORIGIN_VERIFY_SECRET is empty, so anyone could set that header by calling the API "
        "directly. Set ORIGIN_VERIFY_SECRET (the OriginVerifySecret parameter's value) or unset "
        "CLIENT_IP_HEADER."
    )
# S3 bucket for problem-report photos (presigned POST uploads); empty: photos are off.
UPLOADS_BUCKET = os.environ.get("UPLOADS_BUCKET", "")

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
    "filters": {
        "scrub": {"()": "voldash_site.log_filters.ScrubRequest"},
        # request ids (Lambda, API Gateway), worker event/message ids: voldash_site.log_context
        "context": {"()": "voldash_site.log_context.ContextFilter"},
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["scrub", "context"]}
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "botocore": {"level": "WARNING"},
        "pynamodb": {"level": "WARNING"},
        # Request lines and headers of outbound calls: URLs and headers may carry credentials.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
