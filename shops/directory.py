"""A short-lived in-process cache of the shop list.

Shops change a few times a year; claims and logins need a shop's certifications on every
call. Caching them for a few minutes per process keeps a claim at two DynamoDB requests; a
staff edit made in the same process is seen at once (``invalidate``), other processes see it
within ``ttl_seconds``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .domain import Shop
from .repository import ShopRepository


class ShopDirectory:
    def __init__(
        self, shops: ShopRepository, *, ttl_seconds: float = 300, clock: Callable[[], float] = time.monotonic
    ):
        self._shops = shops
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: dict[str, Shop] | None = None
        self._loaded_at = 0.0

    def all(self) -> list[Shop]:
        return list(self._load().values())

    def get(self, slug: str) -> Shop | None:
        return self._load().get(slug)

    def current(self) -> list[Shop]:
        """The shops as stored now (one Query), refreshing the cache: for what decides authority
        (who leads which shop), where a copy up to ``ttl_seconds`` old would do harm."""
        shops = self._shops.list_all()
        with self._lock:
            self._cached = {s.slug: s for s in shops}
            self._loaded_at = self._clock()
        return shops

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None

    def _load(self) -> dict[str, Shop]:
        with self._lock:
            if self._cached is None or self._clock() - self._loaded_at > self._ttl:
                self._cached = {s.slug: s for s in self._shops.list_all()}
                self._loaded_at = self._clock()
            return self._cached
