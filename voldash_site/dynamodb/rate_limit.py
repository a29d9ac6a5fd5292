"""Fixed-window rate limits kept in DynamoDB, so every Lambda container shares them.

One item per (scope, key, window): ``PK=RATE#{scope}#{key}``, ``SK=W#{window number}``. A hit
is ``ADD count 1`` under the condition that the count has not reached the limit, so concurrent
requests can never exceed it: either alone (``hit``, one ``UpdateItem``: magic links) or inside
the caller's transaction (``count_write``: problem reports count in the same transaction that
stores the report). ``full`` reads counters without counting (one BatchGetItem), so a flood
past the limit is turned away with one cheap read instead of a transaction that would touch
(and contend for) the items that legitimate writes share. The item expires through the
table's TTL (``expires_at``) a window after its own ends. Callers hash keys that are personal
data (an e-mail address, an IP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute

from .items import TableItem, conditional_update, storage_errors
from .unit_of_work import Write, update


class _RateItem(TableItem, discriminator="RateWindow"):
    count = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)


@dataclass(frozen=True)
class Limit:
    scope: str  # e.g. "magic-link-address"
    max_hits: int
    window_seconds: int


def window_of(now: datetime, window_seconds: int) -> int:
    return int(now.timestamp()) // window_seconds


def _counting(scope: str, key: str, *, window: int, max_hits: int, expires_at: int) -> tuple[Any, list, Any]:
    item = _RateItem(pk=f"RATE#{scope}#{key}", sk=f"W#{window}")
    actions = [
        _RateItem.count.add(1),
        _RateItem.expires_at.set(expires_at),
        _RateItem.item_type.set(_RateItem),
    ]
    return item, actions, _RateItem.count.does_not_exist() | (_RateItem.count < max_hits)


def count_write(scope: str, key: str, *, window: int, max_hits: int, expires_at: int, tag: str) -> Write:
    """One more hit in ``window``, as a write of the caller's transaction (refused at the limit)."""
    item, actions, condition = _counting(scope, key, window=window, max_hits=max_hits, expires_at=expires_at)
    return update(item, actions, condition=condition, tag=tag)


def hit(limit: Limit, key: str, *, now: datetime) -> bool:
    """Count one hit on its own; False (and nothing counted) when the window is already full."""
    window = window_of(now, limit.window_seconds)
    item, actions, condition = _counting(
        limit.scope,
        key,
        window=window,
        max_hits=limit.max_hits,
        expires_at=(window + 2) * limit.window_seconds,
    )
    return conditional_update(item, actions, condition)


def full(counters: list[tuple[str, str, int]], *, window: int) -> set[str]:
    """The scopes among ``(scope, key, max_hits)`` whose window already holds ``max_hits``: one
    eventually consistent BatchGetItem. A stale read only lets a request reach the transaction,
    whose condition is exact; it never refuses one that is allowed."""
    limits = {f"RATE#{scope}#{key}": (scope, max_hits) for scope, key, max_hits in counters}
    if not limits:
        return set()
    with storage_errors():
        items = _RateItem.batch_get([(pk, f"W#{window}") for pk in limits], consistent_read=False)
        return {
            limits[item.pk][0]
            for item in items
            if item.pk in limits and item.count is not None and item.count >= limits[item.pk][1]
        }
