"""JSON from outside (a request body, a webhook, a form field): the one parse every edge uses.

``json.loads`` raises more than ``ValueError`` on hostile input: ``RecursionError`` for deeply
nested arrays (``"[" * 50000``), ``UnicodeDecodeError`` (a ``ValueError``) for bytes that are
not UTF-8, and Python's integer-digit limit (a ``ValueError``) for a 5,000-digit number. Every
one of them is the sender's fault, so every one becomes :class:`BadJson` (a ``ValueError``),
which the edges answer with a 400, never a 500 (issue 23, finding 5).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # far deeper than any payload we accept; refused before json.loads recurses


class BadJson(ValueError):
    pass


def _too_deep(text: str, limit: int) -> bool:
    """Whether brackets nest deeper than ``limit`` (strings skipped): a cheap linear scan, so a
    hostile body is refused without recursing at all."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def parse_json(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed value, or :class:`BadJson` for anything that is not reasonable JSON."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else str(data)
    except UnicodeDecodeError as exc:
        raise BadJson("the body is not UTF-8") from exc
    if text.count("[") + text.count("{") > max_depth and _too_deep(text, max_depth):
        raise BadJson(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadJson("the body is not valid JSON") from exc


def parse_json_object(data: bytes | str) -> dict[str, Any]:
    value = parse_json(data)
    if not isinstance(value, dict):
        raise BadJson("the body is not a JSON object")
    return value
