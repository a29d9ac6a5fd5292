"""Process what the webhooks stored: the same use case runs from ``manage.py process_inbox``,
from the cloud's stream/schedule handler, and from a staff replay."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from voldash_site.log_context import bind

from .domain import MAX_ATTEMPTS, InboxEvent, InboxStatus, Source, retry_delay

if TYPE_CHECKING:
    from .repository import InboxRepository

logger = logging.getLogger("voldash.inbox")

# A handler returns (DONE or IGNORED, a short result) or raises; raising leaves the event
# FAILED with its error, to be retried with backoff.
Handler = Callable[[InboxEvent], tuple[InboxStatus, str]]


@dataclass
class InboxReport:
    done: int = 0
    ignored: int = 0
    failed: int = 0
    busy: int = 0  # leased by another worker
    errors: list[str] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.done + self.ignored + self.failed


def process_event(
    event: InboxEvent,
    *,
    inbox: InboxRepository,
    handlers: dict[Source, Handler],
    now: datetime,
    report: InboxReport,
) -> None:
    if not inbox.lease(event, now):
        report.busy += 1
        return
    with bind(event_id=event.id):
        _run(event, inbox=inbox, handlers=handlers, now=now, report=report)


def _run(
    event: InboxEvent,
    *,
    inbox: InboxRepository,
    handlers: dict[Source, Handler],
    now: datetime,
    report: InboxReport,
) -> None:
    try:
        status, result = handlers[event.source](event)
    except Exception as exc:  # any failure is stored with the event, never lost
        attempts = event.attempts + 1
        next_at = now + retry_delay(attempts) if attempts < MAX_ATTEMPTS else None
        message = f"{type(exc).__name__}: {exc}"
        inbox.fail(event, message, next_at, now)
        report.failed += 1
        report.errors.append(f"{event.id}: {message}")
        logger.warning(
            "inbox.event.failed",
            extra={
                "event_id": event.id,
                "source": event.source.value,
                "attempts": attempts,
                "retry": next_at is not None,
                "error": type(exc).__name__,
            },
        )
        return
    inbox.finish(event, status, result, now)
    if status is InboxStatus.IGNORED:
        report.ignored += 1
    else:
        report.done += 1


def process_inbox(
    *,
    inbox: InboxRepository,
    handlers: dict[Source, Handler],
    clock: Callable[[], datetime],
    limit: int = 100,
    rounds: int = 10,
) -> InboxReport:
    """Process pending events and failed ones whose retry time has come, up to ``rounds``
    batches of ``limit``. Idempotent: a processed event is never processed again by this."""
    report = InboxReport()
    for _ in range(rounds):
        now = clock()
        batch = inbox.due(now, limit=limit)
        if not batch:
            break
        before = report.processed + report.busy
        for event in batch:
            process_event(event, inbox=inbox, handlers=handlers, now=clock(), report=report)
        if report.processed + report.busy == before:
            break
    return report
