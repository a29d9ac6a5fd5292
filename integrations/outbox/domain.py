"""Outbox messages: side effects (ClickUp write-back, Slack, Discourse) recorded in the same
transaction as the change that causes them, delivered later by the outbox worker. Pure Python."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from integrations.queue.backoff import backoff as queue_backoff


class Channel(StrEnum):
    CLICKUP = "clickup"
    SLACK = "slack"
    DISCOURSE = "discourse"
    NOTICE = "notice"  # personal notices: who hears (notice.event), then the message (notice.send)


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"  # permanent failure, parked for staff
    SKIPPED = "SKIPPED"  # the channel has no credentials configured


@dataclass(frozen=True)
class OutboxMessage:
    channel: Channel
    action: str  # e.g. "task.claimed"
    task_id: str
    payload: dict[str, Any]
    created_at: datetime
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    response: str | None = None
    finished_at: datetime | None = None


MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 15


def backoff(
    attempts: int, *, retry_after: float | None = None, rng: random.Random | None = None
) -> timedelta:
    """The queues' backoff from 15 s, capped at an hour; never sooner than the service asked."""
    return queue_backoff(attempts, base_seconds=BASE_DELAY_SECONDS, retry_after=retry_after, rng=rng)
