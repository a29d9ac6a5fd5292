"""The sync's health in one plain sentence for the staff pages.

"Webhooks arriving (last 4 min ago); 1 failing: ClickUp unreachable since 2026-11-30 10:42 CST."

A webhook counts as arrived when it is stored, whether or not processing it worked: a
ClickUp that cannot be reached makes events fail, which is not the same as no events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from volunteers.domain import MAKERSPACE_TZ

from .inbox.domain import InboxEvent, Source
from .outbox.domain import OutboxMessage, OutboxStatus

STALE_WEBHOOK = timedelta(days=2)
LIMIT = 50
SERVICE_NAMES = {"clickup": "ClickUp", "neon": "Neon", "slack": "Slack", "discourse": "Discourse"}


def plain_cause(error: str | None) -> str:
    """An integration error in a few plain words: ``ClickUp unreachable``."""
    text = error or ""
    match = re.search(r"\b(clickup|neon|slack|discourse): (.*)", text, re.IGNORECASE)
    service = SERVICE_NAMES.get(match.group(1).lower(), match.group(1)) if match else "A service"
    detail = match.group(2) if match else text
    if re.match(r"(unreachable|timed out)", detail):
        return f"{service} unreachable"
    if code := re.match(r"HTTP (\d{3})", detail):
        status = int(code.group(1))
        if status >= 500:
            return f"{service} failing (HTTP {status})"
        if status in (401, 403):
            return f"{service} refuses our credentials (HTTP {status})"
        if status == 429:
            return f"{service} rate limit reached"
        return f"{service} refused a request (HTTP {status})"
    return (detail or "unknown error")[:80]


@dataclass(frozen=True)
class Failure:
    cause: str
    since: datetime
    count: int
    link: str


@dataclass(frozen=True)
class SyncHealth:
    now: datetime
    last_received_at: datetime | None
    last_sweep_at: datetime | None
    failed_events: list[InboxEvent] = field(default_factory=list)
    waiting: list[InboxEvent] = field(default_factory=list)
    outbox_failed: list[OutboxMessage] = field(default_factory=list)
    outbox_pending: list[OutboxMessage] = field(default_factory=list)
    state: Any = None  # the SyncState read for this

    @property
    def waiting_events(self) -> int:
        return len(self.waiting)

    @property
    def webhooks_stale(self) -> bool:
        return self.last_received_at is None or self.now - self.last_received_at > STALE_WEBHOOK

    @property
    def failures(self) -> list[Failure]:
        """What is failing, grouped by plain cause, oldest first."""
        groups: dict[str, list[tuple[datetime, str]]] = {}
        for e in self.failed_events:
            groups.setdefault(plain_cause(e.last_error), []).append(
                (e.received_at, "/staff/sync/#failed-events")
            )
        for m in self.outbox_failed:
            groups.setdefault(plain_cause(m.last_error), []).append((m.created_at, "/staff/sync/#outbox"))
        out = [
            Failure(cause, min(t for t, _ in items), len(items), min(items)[1])
            for cause, items in groups.items()
        ]
        return sorted(out, key=lambda f: f.since)

    @property
    def failing(self) -> int:
        return len(self.failed_events) + len(self.outbox_failed)

    def webhook_words(self) -> str:
        if self.last_received_at is None:
            return "No ClickUp webhook received yet: check the webhook registration"
        ago = _ago(self.now - self.last_received_at)
        if self.webhooks_stale:  # (stale means days: ``ago`` is never empty here)
            return f"No ClickUp webhook for {ago}: check the webhook registration"
        return (
            f"Webhooks arriving (the last one {ago} ago)"
            if ago
            else "Webhooks arriving (the last one just now)"
        )

    def sentence(self) -> str:
        parts = [self.webhook_words()]
        failures = self.failures
        if failures:
            parts.append(
                f"{self.failing} failing: "
                + ", ".join(f"{f.cause} since {_local(f.since)}" for f in failures[:3])
            )
        else:
            parts.append("nothing failing")
        return "; ".join(parts) + "."


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return ""
    if minutes < 120:
        return f"{minutes} min"
    if delta < timedelta(days=2):
        return f"{minutes // 60} h"
    return f"{delta.days} days"


def _local(at: datetime) -> str:
    return at.astimezone(MAKERSPACE_TZ).strftime("%Y-%m-%d %H:%M %Z")


def sync_health(container: Any, *, limit: int = LIMIT) -> SyncHealth:
    """A bounded number of requests: the sync state, the failed and waiting inbox queues, the
    failed and waiting outbox queues (each one Query, at most ``limit`` items)."""
    c = container
    now = c.clock()
    state = c.sync_state.get("clickup")
    failed = c.inbox.failed(limit=limit)
    waiting = c.inbox.due(now, limit=limit)
    received = [state.last_event_at] + [e.received_at for e in failed + waiting if e.source is Source.CLICKUP]
    known = [t for t in received if t is not None]
    return SyncHealth(
        now=now,
        last_received_at=max(known) if known else None,
        last_sweep_at=state.last_sweep_at,
        failed_events=failed,
        waiting=waiting,
        outbox_failed=c.outbox.list_by_status(OutboxStatus.FAILED, limit=limit),
        outbox_pending=c.outbox.list_by_status(OutboxStatus.PENDING, limit=limit),
        state=state,
    )
