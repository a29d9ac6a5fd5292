"""Shared by the webhook endpoints: bounded bodies and the JSON answers."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, JsonResponse

MAX_WEBHOOK_BYTES = 512 * 1024


def answer(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message, "detail": None}, status=status)
    if status == 503:
        response["Retry-After"] = "5"  # the sender retries (ClickUp, Neon): any non-2xx does
    return response


def too_large(request: HttpRequest) -> bool:
    """A declared body over the limit (a malformed Content-Length counts as too large: never a 500)."""
    raw = request.headers.get("Content-Length") or "0"
    try:
        return int(raw) > MAX_WEBHOOK_BYTES or int(raw) < 0
    except ValueError:
        return True


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:40]
