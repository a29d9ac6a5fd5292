"""Opaque, tamper-evident pagination cursors.

A cursor is DynamoDB's LastEvaluatedKey, bound to the query it came from and signed with the
app's secret: a client can hand it back but cannot forge or alter one, nor replay it against a
different filter. Bad cursors raise ``InvalidCursor`` (a 400), never reach DynamoDB.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from voldash_site.errors import InvalidCursor

MAX_CURSOR_LENGTH = 2048
_SIG_BYTES = 12


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, scope: str, payload: bytes) -> bytes:
    mac = hmac.new(secret.encode(), scope.encode() + b"\x00" + payload, hashlib.sha256)
    return mac.digest()[:_SIG_BYTES]


def encode(last_key: dict[str, Any] | None, *, scope: str, secret: str) -> str | None:
    """``scope`` names the query (e.g. ``tasks:shop=woodshop:status=OPEN``)."""
    if not last_key:
        return None
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return _b64(payload) + "." + _b64(_signature(secret, scope, payload))


def decode(
    cursor: str | None, *, scope: str, secret: str, allowed_keys: tuple[str, ...]
) -> dict[str, Any] | None:
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
        raise InvalidCursor("The cursor is malformed; use the next_cursor of a previous page.")
    body, sig = cursor.split(".")
    try:
        payload = _unb64(body)
        given = _unb64(sig)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("The cursor is malformed; use the next_cursor of a previous page.") from exc
    if not hmac.compare_digest(given, _signature(secret, scope, payload)):
        raise InvalidCursor(
            "The cursor does not belong to this query (it was altered, or the filters changed)."
        )
    try:
        key = json.loads(payload)
    except ValueError as exc:  # pragma: no cover - a signed payload is always JSON we wrote
        raise InvalidCursor("The cursor is malformed.") from exc
    if not isinstance(key, dict) or not set(key) <= set(allowed_keys):
        raise InvalidCursor("The cursor is malformed.")
    return key
