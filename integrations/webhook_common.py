"""Shared by the webhook endpoints: bounded bodies and the JSON answers."""

from __future__ import annotations

import hashlib

from django.http import JsonResponse

MAX_WEBHOOK_BYTES = 512 * 1024


def answer(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "detail": None}, status=status)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:40]
