"""The one backoff rule of every queue (inbox events, outbox messages). Pure Python."""

from __future__ import annotations

import random
from datetime import timedelta

MAX_DELAY_SECONDS = 3600


def backoff(
    attempts: int,
    *,
    base_seconds: float,
    cap_seconds: float = MAX_DELAY_SECONDS,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> timedelta:
    """Exponential backoff with jitter: about ``base_seconds`` after the first attempt, doubling
    each time, capped at ``cap_seconds``; never sooner than ``retry_after`` (what the service
    asked for). The jitter (50-100%) keeps retries of a burst from arriving together."""
    base = min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1))
    delay = base * (rng or random).uniform(0.5, 1.0)
    return timedelta(seconds=max(delay, retry_after or 0))
