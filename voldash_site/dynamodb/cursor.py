"""Opaque, tamper-evident pagination cursors.

A cursor is DynamoDB's LastEvaluatedKey, bound to the query it came from and signed with
``django.core.signing`` (HMAC-SHA256) under a salt per query scope: a client can hand it back
but cannot forge or alter one, nor replay it against a different filter. The keys are the app's
``SECRET_KEY`` and its ``SECRET_KEY_FALLBACKS``, so the key can be rotated without breaking the
cursors clients hold (README: Rotating the secret key). Bad cursors raise ``InvalidCursor``
(a 400), never reach DynamoDB.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from django.core import signing

from voldash_site.errors import InvalidCursor

MAX_CURSOR_LENGTH = 2048
SALT_PREFIX = "voldash.cursor:"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signer(secret: str | Sequence[str], scope: str) -> signing.Signer:
    """``secret``: the current key, or the current key followed by the fallbacks."""
    keys = [secret] if isinstance(secret, str) else list(secret)
    return signing.Signer(
        key=keys[0], fallback_keys=keys[1:], sep=".", salt=SALT_PREFIX + scope, algorithm="sha256"
    )


def encode(last_key: dict[str, Any] | None, *, scope: str, secret: str | Sequence[str]) -> str | None:
    """``scope`` names the query (e.g. ``tasks:shop=woodshop:status=OPEN``)."""
    if not last_key:
        return None
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return _signer(secret, scope).sign(_b64(payload))


def decode(
    cursor: str | None, *, scope: str, secret: str | Sequence[str], allowed_keys: tuple[str, ...]
) -> dict[str, Any] | None:
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
        raise InvalidCursor("The cursor is malformed; use the next_cursor of a previous page.")
    try:
        body = _signer(secret, scope).unsign(cursor)
    except signing.BadSignature as exc:
        raise InvalidCursor(
            "The cursor does not belong to this query (it was altered, or the filters changed)."
        ) from exc
    try:
        key = json.loads(_unb64(body))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - a signed payload is JSON we wrote
        raise InvalidCursor("The cursor is malformed.") from exc
    if not isinstance(key, dict) or not set(key) <= set(allowed_keys):
        raise InvalidCursor("The cursor is malformed.")
    return key
