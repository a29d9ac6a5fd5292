"""Inbox storage.

  PK=INBOX#{id}  SK=EVENT   GSI2PK=INBOX#{queue}  GSI2SK={due}#{id}
Queues: PENDING (new), RETRY (failed, due again at GSI2SK), FAILED (gave up; staff replay),
so "what to process now" and "what failed" are one Query each. Processed events lose their
queue keys and expire after ``KEEP_DONE_DAYS`` (TTL).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError

from integrations.queue import storage as queue
from voldash_site.dynamodb.items import conditional_update, ensure_configured, response_code, storage_errors

from .domain import InboxEvent, InboxStatus, Source

KEEP_DONE_DAYS = 30


class InboxRepository(Protocol):
    def store(self, event: InboxEvent) -> bool: ...

    def get(self, event_id: str) -> InboxEvent | None: ...

    def due(self, now: datetime, *, limit: int = 100) -> list[InboxEvent]: ...

    def failed(self, *, limit: int = 100) -> list[InboxEvent]: ...

    def lease(self, event: InboxEvent, now: datetime, *, seconds: int = 120) -> bool: ...

    def finish(self, event: InboxEvent, status: InboxStatus, result: str, now: datetime) -> None: ...

    def fail(
        self, event: InboxEvent, error: str, next_attempt_at: datetime | None, now: datetime
    ) -> None: ...

    def replay(self, event_id: str, now: datetime) -> bool: ...


class _InboxItem(queue.QueueItem, discriminator="InboxEvent"):
    event_id = UnicodeAttribute(attr_name="id")
    source = UnicodeAttribute()
    kind = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    body = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    last_error = UnicodeAttribute(null=True)
    result = UnicodeAttribute(null=True)
    processed_at = UTCDateTimeAttribute(null=True)

    def to_event(self) -> InboxEvent:
        return InboxEvent(
            id=self.event_id,
            source=Source(self.source),
            kind=self.kind,
            subject_id=self.subject_id,
            body=self.body,
            received_at=self.received_at,
            status=InboxStatus(self.status),
            attempts=int(self.attempts or 0),
            next_attempt_at=self.next_attempt_at,
            last_error=self.last_error,
            result=self.result,
        )


def _key(event_id: str) -> _InboxItem:
    return _InboxItem(pk=f"INBOX#{event_id}", sk="EVENT")


class DynamoInboxRepository:
    def __init__(self) -> None:
        ensure_configured()

    def store(self, event: InboxEvent) -> bool:
        """Conditional put: False when this delivery is already in the inbox."""
        item = _InboxItem(
            pk=f"INBOX#{event.id}",
            sk="EVENT",
            gsi2pk="INBOX#PENDING",
            gsi2sk=queue.queue_key(event.received_at, event.id),
            event_id=event.id,
            source=event.source.value,
            kind=event.kind,
            subject_id=event.subject_id,
            body=event.body,
            received_at=event.received_at,
            status=InboxStatus.PENDING.value,
            attempts=0,
        )
        with storage_errors():
            try:
                item.save(condition=_InboxItem.pk.does_not_exist())
            except PutError as exc:
                if response_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def get(self, event_id: str) -> InboxEvent | None:
        with storage_errors():
            try:
                return _InboxItem.get(f"INBOX#{event_id}", "EVENT", consistent_read=True).to_event()
            except _InboxItem.DoesNotExist:
                return None

    def due(self, now: datetime, *, limit: int = 100) -> list[InboxEvent]:
        """New events, then failed ones whose retry time has come, oldest first, up to ``limit``
        (a Query per queue and per 1 MB page)."""
        fresh = queue.in_queue(_InboxItem, "INBOX#PENDING", limit=limit)
        retry = (
            queue.in_queue(_InboxItem, "INBOX#RETRY", limit=limit - len(fresh), due_by=now)
            if len(fresh) < limit
            else []
        )
        return [i.to_event() for i in fresh + retry]

    def failed(self, *, limit: int = 100) -> list[InboxEvent]:
        """Events that failed: waiting for a retry, or given up on (newest first)."""
        out = []
        for name in ("INBOX#RETRY", "INBOX#FAILED"):
            out += [i.to_event() for i in queue.in_queue(_InboxItem, name, limit=limit, newest_first=True)]
        return out

    def lease(self, event: InboxEvent, now: datetime, *, seconds: int = queue.LEASE_SECONDS) -> bool:
        """Take the event for processing unless another worker holds it."""
        statuses = (InboxStatus.PENDING.value, InboxStatus.FAILED.value)
        return queue.lease(_key(event.id), statuses=statuses, now=now, seconds=seconds)

    def finish(self, event: InboxEvent, status: InboxStatus, result: str, now: datetime) -> None:
        with storage_errors():
            _key(event.id).update(
                actions=[
                    _InboxItem.status.set(status.value),
                    _InboxItem.result.set(result[:1000]),
                    _InboxItem.processed_at.set(now),
                    _InboxItem.gsi2pk.remove(),
                    _InboxItem.gsi2sk.remove(),
                    _InboxItem.lease_until.remove(),
                    _InboxItem.next_attempt_at.remove(),
                    _InboxItem.expires_at.set(int((now + timedelta(days=KEEP_DONE_DAYS)).timestamp())),
                ]
            )

    def fail(self, event: InboxEvent, error: str, next_attempt_at: datetime | None, now: datetime) -> None:
        waiting_in = "INBOX#RETRY" if next_attempt_at else "INBOX#FAILED"
        due = next_attempt_at or now
        actions = [
            _InboxItem.status.set(InboxStatus.FAILED.value),
            _InboxItem.last_error.set(error[:2000]),
            _InboxItem.gsi2pk.set(waiting_in),
            _InboxItem.gsi2sk.set(queue.queue_key(due, event.id)),
            _InboxItem.lease_until.remove(),
        ]
        actions.append(
            _InboxItem.next_attempt_at.set(next_attempt_at)
            if next_attempt_at
            else _InboxItem.next_attempt_at.remove()
        )
        with storage_errors():
            _key(event.id).update(actions=actions)

    def replay(self, event_id: str, now: datetime) -> bool:
        """Staff: process this event again now (whatever happened to it before)."""
        return conditional_update(
            _key(event_id),
            [
                _InboxItem.status.set(InboxStatus.PENDING.value),
                _InboxItem.gsi2pk.set("INBOX#PENDING"),
                _InboxItem.gsi2sk.set(queue.queue_key(now, event_id)),
                _InboxItem.lease_until.remove(),
                _InboxItem.next_attempt_at.remove(),
                _InboxItem.expires_at.remove(),
            ],
            _InboxItem.pk.exists(),
        )
