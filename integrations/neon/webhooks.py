"""POST /webhooks/neon: Neon sends HTTP Basic credentials (no signature), JSON or a
form-encoded ``payload``. Stored in the inbox; processing refreshes the account via the API."""

from __future__ import annotations

import base64
import hmac
import json
import logging
from collections import deque
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.inbox.domain import InboxEvent, Source
from integrations.webhook_common import answer, body_digest, too_large
from voldash_site.container import get_container
from voldash_site.errors import StorageUnavailable
from voldash_site.outside_json import parse_json

logger = logging.getLogger("voldash.webhooks.neon")


def credentials_ok(header: str, username: str, password: str) -> bool:
    if not username or not password or not header.startswith("Basic "):
        return False
    try:
        given = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):  # binascii.Error, and non-ASCII header text
        return False
    user, _, secret = given.partition(":")
    # Both compared, always, in constant time.
    user_ok = hmac.compare_digest(user.encode(), username.encode())
    secret_ok = hmac.compare_digest(secret.encode(), password.encode())
    return user_ok and secret_ok


def find_account_id(data: Any) -> str | None:
    """Breadth-first search for ``accountId`` (Neon's payload shape differs per trigger)."""
    queue: deque[Any] = deque([data])
    while queue:
        node = queue.popleft()
        if isinstance(node, dict):
            for key in ("accountId", "account_id", "individualAccountId"):
                value = node.get(key)
                if isinstance(value, str | int) and str(value).strip():
                    return str(value).strip()
            queue.extend(node.values())
        elif isinstance(node, list):
            queue.extend(node)
    return None


@csrf_exempt
@require_POST
def neon_webhook(request: HttpRequest) -> HttpResponse:
    if too_large(request):
        return answer(413, "too_large", "Webhook bodies are limited to 512 KB.")
    if not credentials_ok(
        request.headers.get("Authorization", ""),
        settings.NEON_WEBHOOK_USERNAME,
        settings.NEON_WEBHOOK_PASSWORD,
    ):
        logger.warning("webhook.neon.rejected")
        return answer(401, "bad_credentials", "HTTP Basic credentials are missing or wrong.")
    raw = request.body
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            text = request.POST.get("payload", "")
        else:
            text = raw.decode("utf-8")
        payload = parse_json(text)
    except ValueError:
        return answer(400, "invalid_json", "Expected JSON, or a form with a JSON `payload` field.")
    if not isinstance(payload, dict):
        return answer(400, "invalid_json", "The payload is not a JSON object.")
    payload.pop("customParameters", None)  # may carry a shared secret: never stored
    account_id = find_account_id(payload.get("data", payload))
    if not account_id or len(account_id) > 32:
        return answer(200, "ignored", "No account in this event; nothing to do.")
    container = get_container()
    event = InboxEvent(
        id="neon-" + body_digest(raw),
        source=Source.NEON,
        kind=str(payload.get("eventTrigger") or "unknown")[:64],
        subject_id=account_id,
        body=json.dumps(payload),
        received_at=container.clock(),
    )
    try:
        stored = container.inbox.store(event)
    except StorageUnavailable:
        return answer(503, "storage_unavailable", "Could not store the event; please retry.")
    logger.info(
        "webhook.neon.received",
        extra={"event_id": event.id, "kind": event.kind, "neon_id": account_id, "duplicate": not stored},
    )
    return answer(200, "stored" if stored else "duplicate", "Thanks.")
