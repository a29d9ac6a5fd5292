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
    unrecorded: int = 0  # the table failed while leasing or recording them: left for a later run
    gave_up: int = 0  # failed with no attempt left: FAILED for good, until a staff replay
    reads: int = 0  # handler calls (each one fresh read of its subject), however many events
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
    """Process one event now (a staff replay)."""
    process_group([event], inbox=inbox, handlers=handlers, now=now, report=report)


def process_group(
    events: list[InboxEvent],
    *,
    inbox: InboxRepository,
    handlers: dict[Source, Handler],
    now: datetime,
    report: InboxReport,
) -> None:
    """Events about one subject (a ClickUp task, a Neon account) that were waiting together.

    Events are hints: the handler re-reads the subject from its source, and one read that
    starts after every one of them was stored answers them all. These were all returned by the
    inbox query made before this read, so the newest is handled (one fresh read) and every
    event is finished with its result; a failure fails each of them, each with its own backoff.
    """
    try:
        leased = [event for event in events if inbox.lease(event, now)]
        report.busy += len(events) - len(leased)
        if not leased:
            return
        newest = max(leased, key=lambda e: (e.received_at, e.id))
        with bind(event_id=newest.id, events=len(leased)):
            _run_group(leased, newest, inbox=inbox, handlers=handlers, now=now, report=report)
    except Exception as exc:  # the table failed while leasing or recording: these wait
        # The events stay PENDING or FAILED-and-due (or leased, until the lease runs out), so a
        # later run processes them; this run goes on with the next subject.
        report.unrecorded += len(events)
        report.errors.append(f"{events[0].id}: {type(exc).__name__}")
        logger.warning(
            "inbox.event.not_recorded",
            extra={"event_id": events[0].id, "events": len(events), "error": type(exc).__name__},
        )


def _run_group(
    leased: list[InboxEvent],
    newest: InboxEvent,
    *,
    inbox: InboxRepository,
    handlers: dict[Source, Handler],
    now: datetime,
    report: InboxReport,
) -> None:
    try:
        status, result = handlers[newest.source](newest)
    except Exception as exc:  # any failure is stored with the events, never lost
        message = f"{type(exc).__name__}: {exc}"
        for event in leased:
            attempts = event.attempts + 1
            next_at = now + retry_delay(attempts) if attempts < MAX_ATTEMPTS else None
            inbox.fail(event, message, next_at, now)
            report.failed += 1
            report.gave_up += next_at is None
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
    report.reads += 1
    for event in leased:
        shared = "" if event is newest else f" (one read for {len(leased)} events)"
        inbox.finish(event, status, f"{result}{shared}", now)
        if status is InboxStatus.IGNORED:
            report.ignored += 1
        else:
            report.done += 1


# Events whose body is the data itself (a ClickUp comment), not a hint to re-read the subject:
# each is handled on its own, never folded into another event's read.
CARRIES_CONTENT = frozenset({"taskCommentPosted", "taskCommentUpdated"})


def _by_subject(batch: list[InboxEvent]) -> list[list[InboxEvent]]:
    groups: dict[tuple[Source, str, str], list[InboxEvent]] = {}
    for event in batch:
        own = event.id if event.kind in CARRIES_CONTENT else ""
        groups.setdefault((event.source, event.subject_id, own), []).append(event)
    return list(groups.values())


def process_inbox(
    *,
    inbox: InboxRepository,
    handlers: dict[Source, Handler],
    clock: Callable[[], datetime],
    limit: int = 100,
    rounds: int = 10,
) -> InboxReport:
    """Process pending events and failed ones whose retry time has come, up to ``limit`` x
    ``rounds`` events. Everything waiting is fetched before anything is read from ClickUp or
    Neon, so the events about one subject share one fresh read, whatever their order in the
    queue. Idempotent: a processed event is never processed again by this."""
    report = InboxReport()
    budget = limit * rounds
    while budget > 0:
        try:
            batch = inbox.due(clock(), limit=budget)
        except Exception as exc:  # cannot even list what is due: the next run will
            report.errors.append(f"listing: {type(exc).__name__}")
            logger.warning("inbox.due.unavailable", extra={"error": type(exc).__name__})
            break
        if not batch:
            break
        before = report.processed + report.busy + report.unrecorded
        for group in _by_subject(batch):
            process_group(group, inbox=inbox, handlers=handlers, now=clock(), report=report)
        budget -= len(batch)
        if report.processed + report.busy + report.unrecorded == before:
            break
    return report
