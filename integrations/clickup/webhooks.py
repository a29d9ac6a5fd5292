"""POST /webhooks/clickup: verify, store in the inbox, answer fast.

Signed webhooks carry ``X-Signature`` = hex HMAC-SHA256 of the raw body keyed with the
webhook's secret: ``CLICKUP_WEBHOOK_SECRET`` (a webhook made by hand) or the secret
``manage.py clickup_webhooks register`` stored for the body's ``webhook_id``. Automation
"Call webhook" payloads are unsigned: they must carry the automation secret in the
``X-Voldash-Secret`` header (or ``?secret=``). A bad credential stores nothing (401).
Storage trouble answers 503 so ClickUp retries; never 410, which would suspend the webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.inbox.domain import InboxEvent, Source
from integrations.webhook_common import answer, body_digest, too_large
from voldash_site.container import get_container
from voldash_site.errors import StorageUnavailable
from voldash_site.outside_json import parse_json, parse_json_object

logger = logging.getLogger("voldash.webhooks.clickup")

STORED_SECRETS_SECONDS = 60.0
_stored: dict[str, object] = {"at": None, "entries": []}


MIN_REREAD_SECONDS = 5.0


def _stored_entries(*, max_age: float = STORED_SECRETS_SECONDS) -> list[dict]:
    """The registered webhooks (with their secrets), re-read when older than ``max_age``."""
    import time

    at = _stored["at"]
    if at is None or time.monotonic() - float(at) > max_age:  # type: ignore[arg-type]
        _stored["entries"] = get_container().sync_state.get("clickup").webhooks
        _stored["at"] = time.monotonic()
    return list(_stored["entries"])  # type: ignore[call-overload]


def _stored_secret(body: bytes) -> str:
    from integrations.clickup.webhook_admin import secret_for

    try:
        webhook_id = str(parse_json_object(body).get("webhook_id") or "")
    except ValueError:
        return ""
    if not webhook_id:
        return ""
    # A webhook registered since the last read: read again (at most every few seconds).
    return secret_for(webhook_id, _stored_entries()) or secret_for(
        webhook_id, _stored_entries(max_age=MIN_REREAD_SECONDS)
    )


def signature_ok(body: bytes, given: str, secret: str) -> bool:
    """The full 64-character hex digest, compared in constant time. A header that is not ASCII
    (an attacker's bytes) is simply wrong, never an error."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode("ascii")
    try:
        given_bytes = given.strip().lower().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given_bytes)


def _secret_ok(given: str, secret: str) -> bool:
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def dedup_key(payload: dict, body: bytes) -> str:
    """The same delivery (ClickUp retries resend it) gets the same key."""
    items = payload.get("history_items")
    if isinstance(items, list) and items and all(isinstance(i, dict) and i.get("id") for i in items):
        ids = ",".join(sorted(str(i["id"]) for i in items))
        basis = f"{payload.get('event')}|{payload.get('task_id')}|{ids}".encode()
        return "cu-" + hashlib.sha256(basis).hexdigest()[:40]
    if payload.get("trigger_id") and payload.get("date"):
        basis = (
            f"{payload.get('trigger_id')}|{payload.get('date')}|{(payload.get('payload') or {}).get('id')}"
        )
        return "cua-" + hashlib.sha256(basis.encode()).hexdigest()[:40]
    return "cub-" + body_digest(body)


@csrf_exempt
@require_POST
def clickup_webhook(request: HttpRequest) -> HttpResponse:
    if too_large(request):
        return answer(413, "too_large", "Webhook bodies are limited to 512 KB.")
    body = request.body
    signature = request.headers.get("X-Signature")
    automation_secret = request.headers.get("X-Voldash-Secret") or request.GET.get("secret", "")
    if signature is not None:
        configured = settings.CLICKUP_WEBHOOK_SECRET
        good = bool(configured) and signature_ok(body, signature, configured)
        if not good:
            try:
                stored = _stored_secret(body)
            except StorageUnavailable:
                return answer(503, "storage_unavailable", "Could not check the signature; please retry.")
            if not configured and not stored and not _stored["entries"]:
                logger.error("webhook.clickup.unconfigured")
                return answer(
                    503, "not_configured", "No webhook secret: run manage.py clickup_webhooks register."
                )
            good = bool(stored) and signature_ok(body, signature, stored)
        if not good:
            logger.warning("webhook.clickup.rejected", extra={"reason": "bad_signature"})
            return answer(401, "bad_signature", "X-Signature does not match the body.")
        kind_default = None
    elif automation_secret:
        if not _secret_ok(automation_secret, settings.CLICKUP_AUTOMATION_SECRET):
            logger.warning("webhook.clickup.rejected", extra={"reason": "bad_automation_secret"})
            return answer(401, "bad_secret", "The automation secret is wrong.")
        kind_default = "automation"
    else:
        logger.warning("webhook.clickup.rejected", extra={"reason": "unsigned"})
        return answer(401, "unsigned", "Send X-Signature (webhooks) or the automation secret.")

    try:
        payload = parse_json(body)
    except ValueError:
        return answer(400, "invalid_json", "The body is not JSON.")
    if not isinstance(payload, dict):
        return answer(400, "invalid_json", "The body is not a JSON object.")
    kind = kind_default or str(payload.get("event") or "")
    if kind == "automation" and not payload.get("trigger_id"):
        return answer(200, "ping", "Automation test received.")  # a test ping: nothing to store
    from .sync import event_task_id

    task_id = event_task_id(payload)
    if not task_id or len(task_id) > 64:
        return answer(200, "ignored", "Not a task event; nothing to do.")
    container = get_container()
    event = InboxEvent(
        id=dedup_key(payload, body),
        source=Source.CLICKUP,
        kind=kind[:64] or "unknown",
        subject_id=task_id,
        body=body.decode("utf-8", errors="replace"),
        received_at=container.clock(),
    )
    try:
        stored = container.inbox.store(event)
    except StorageUnavailable:
        logger.error("webhook.clickup.storage_unavailable", extra={"task_id": task_id})
        return answer(503, "storage_unavailable", "Could not store the event; please retry.")
    logger.info(
        "webhook.clickup.received",
        extra={"event_id": event.id, "kind": event.kind, "task_id": task_id, "duplicate": not stored},
    )
    return answer(200, "stored" if stored else "duplicate", "Thanks.")
