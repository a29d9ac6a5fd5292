"""Secrets in the cloud: one Secrets Manager secret (a JSON object), read once per Lambda
container at cold start and cached in the process environment.

Locally and in tests everything comes from the environment. Outside local and test, the app
refuses to start when a required secret is missing, and says which.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, MutableMapping
from typing import Any

REQUIRED_IN_CLOUD = (
    "DJANGO_SECRET_KEY",
    "CLICKUP_API_TOKEN",
    "NEON_ORG_ID",
    "NEON_API_KEY",
    "NEON_OAUTH_CLIENT_ID",
    "NEON_OAUTH_CLIENT_SECRET",
    "NEON_WEBHOOK_USERNAME",
    "NEON_WEBHOOK_PASSWORD",
)
# Without these the matching outbox messages are SKIPPED (visibly), nothing breaks.
OPTIONAL = (
    # `manage.py clickup_webhooks register` stores each webhook's secret in the table; this one
    # is for a webhook registered by hand.
    "CLICKUP_WEBHOOK_SECRET",
    "CLICKUP_TEAM_ID",  # the Workspace id the webhooks are registered in (not secret)
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",  # Slack's buttons (interactivity); without it they are refused
    "DISCOURSE_API_KEY",
    "DISCOURSE_API_USERNAME",
    "CLICKUP_AUTOMATION_SECRET",
    "ORIGIN_VERIFY_SECRET",  # the value CloudFront sends in X-Origin-Verify (template parameter)
    "DJANGO_SECRET_KEY_FALLBACKS",  # previous keys while rotating (comma-separated)
)
SECRET_ID_VARIABLE = "VOLDASH_SECRETS_ID"  # noqa: S105 - the name of a variable, not a secret

_loaded_from: str | None = None


def _secretsmanager() -> Any:
    import boto3  # deferred: only the cloud path needs it

    return boto3.client("secretsmanager", region_name=os.environ.get("AWS_REGION") or None)


def load_secrets(
    environ: MutableMapping[str, str] = os.environ, *, client_factory: Callable[[], Any] = _secretsmanager
) -> list[str]:
    """Copy the secret's known keys into ``environ`` (values already set win). Once per process."""
    global _loaded_from
    secret_id = environ.get(SECRET_ID_VARIABLE)
    if not secret_id or _loaded_from == secret_id:
        return []
    raw = client_factory().get_secret_value(SecretId=secret_id)["SecretString"]
    try:
        values = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"the secret {secret_id} is not a JSON object") from exc
    if not isinstance(values, dict):
        raise ValueError(f"the secret {secret_id} is not a JSON object")
    loaded = []
    for key in REQUIRED_IN_CLOUD + OPTIONAL:
        if key in values and values[key] not in (None, "") and not environ.get(key):
            environ[key] = str(values[key])
            loaded.append(key)
    _loaded_from = secret_id
    return loaded


def reload_secrets(environ: MutableMapping[str, str] = os.environ, **kwargs: Any) -> list[str]:
    """Read the secret again (a worker waiting for it to be filled in)."""
    global _loaded_from
    _loaded_from = None
    return load_secrets(environ, **kwargs)


def missing_required(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    return [key for key in REQUIRED_IN_CLOUD if not environ.get(key)]
