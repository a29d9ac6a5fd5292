"""Inbox events: webhooks as received, stored before they are answered, processed after.
Pure Python."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from integrations.queue.backoff import backoff


class InboxStatus(StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    IGNORED = "IGNORED"  # nothing for us in it (an unsynced list, an unknown account)
    FAILED = "FAILED"  # processing failed: retried later (``next_attempt_at``) or given up


class Source(StrEnum):
    CLICKUP = "clickup"
    NEON = "neon"


@dataclass(frozen=True)
class InboxEvent:
    id: str  # the deduplication key: the same delivery twice has the same id
    source: Source
    kind: str  # e.g. taskUpdated, automation, updateAccount
    subject_id: str  # the ClickUp task id or the Neon account id
    body: str  # the raw JSON, kept for replay and for staff to read
    received_at: datetime
    status: InboxStatus = InboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    result: str | None = None


MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 30


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """The queues' backoff from 30 s: about 30 s, 1 min, 2 min ... capped at an hour."""
    return backoff(attempts, base_seconds=BASE_DELAY_SECONDS, rng=rng)
