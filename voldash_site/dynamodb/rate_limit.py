"""Fixed-window rate limits kept in DynamoDB, so every Lambda container shares them.

One item per (scope, key, window): ``PK=RATE#{scope}#{key}``, ``SK=W#{window start}``. A hit is
one conditional ``UpdateItem`` (``ADD count 1`` unless the count already reached the limit), so
concurrent requests can never exceed the limit; the item expires through the table's TTL
(``expires_at``) one window after it ends. Callers hash keys that are personal data (an
e-mail address, an IP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import NumberAttribute

from .items import TableItem, conditional_update


class _RateItem(TableItem, discriminator="RateLimit"):
    count = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)


@dataclass(frozen=True)
class Limit:
    scope: str  # e.g. "magic-link-email"
    max_hits: int
    window_seconds: int


def hit(limit: Limit, key: str, *, now: datetime) -> bool:
    """Count one hit; False (and nothing counted) when the window's limit is already reached."""
    epoch = int(now.timestamp())
    window = epoch - epoch % limit.window_seconds
    item = _RateItem(pk=f"RATE#{limit.scope}#{key}", sk=f"W#{window}")
    return conditional_update(
        item,
        [
            _RateItem.count.add(1),
            _RateItem.expires_at.set(window + 2 * limit.window_seconds),
            _RateItem.item_type.set(_RateItem),
        ],
        _RateItem.count.does_not_exist() | (_RateItem.count < limit.max_hits),
    )
