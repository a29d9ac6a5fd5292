"""Outbox storage.

  PK=OUTBOX#{id}  SK=OUTBOX   GSI2PK=OUTBOX#{STATUS}  GSI2SK={created}#{id}
Pending (and failed) messages are one Query each on GSI2; the table's stream carries new
items to the delivery function in the cloud.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute

from integrations.queue import storage as queue
from voldash_site.dynamodb.items import conditional_update, ensure_configured, storage_errors
from voldash_site.dynamodb.unit_of_work import Write, put

from .domain import Channel, OutboxMessage, OutboxStatus

KEEP_SENT_DAYS = 30


class OutboxRepository(Protocol):
    def enqueue_writes(self, messages: list[OutboxMessage]) -> list[Write]: ...

    def list_by_status(self, status: OutboxStatus, *, limit: int = 100) -> list[OutboxMessage]: ...

    def get(self, message_id: str) -> OutboxMessage | None: ...

    def due(self, now: datetime, *, limit: int = 100) -> list[OutboxMessage]: ...

    def lease(self, message: OutboxMessage, now: datetime, *, seconds: int = 120) -> bool: ...

    def mark(
        self,
        message: OutboxMessage,
        status: OutboxStatus,
        now: datetime,
        *,
        detail: str | None = None,
        response: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None: ...

    def retry(self, message_id: str, now: datetime) -> bool: ...


class _OutboxItem(queue.QueueItem, discriminator="Outbox"):
    message_id = UnicodeAttribute(attr_name="id")
    channel = UnicodeAttribute()
    action = UnicodeAttribute()
    task_id = UnicodeAttribute()
    payload = JSONAttribute()
    last_error = UnicodeAttribute(null=True)
    response = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)

    @classmethod
    def from_message(cls, m: OutboxMessage) -> _OutboxItem:
        return cls(
            pk=f"OUTBOX#{m.id}",
            sk="OUTBOX",
            gsi2pk=f"OUTBOX#{m.status.value}",
            gsi2sk=queue.queue_key(m.created_at, m.id),
            message_id=m.id,
            channel=m.channel.value,
            action=m.action,
            task_id=m.task_id,
            payload=m.payload,
            status=m.status.value,
            attempts=m.attempts,
            last_error=m.last_error,
            created_at=m.created_at,
        )

    def to_message(self) -> OutboxMessage:
        return OutboxMessage(
            channel=Channel(self.channel),
            action=self.action,
            task_id=self.task_id,
            payload=dict(self.payload or {}),
            created_at=self.created_at,
            id=self.message_id,
            status=OutboxStatus(self.status),
            attempts=int(self.attempts or 0),
            last_error=self.last_error,
            next_attempt_at=self.next_attempt_at,
            response=self.response,
            finished_at=self.finished_at,
        )


def _key(message_id: str) -> _OutboxItem:
    return _OutboxItem(pk=f"OUTBOX#{message_id}", sk="OUTBOX")


class DynamoOutboxRepository:
    def __init__(self) -> None:
        ensure_configured()

    def enqueue_writes(self, messages: list[OutboxMessage]) -> list[Write]:
        return [
            put(_OutboxItem.from_message(m), condition=_OutboxItem.pk.does_not_exist(), tag="outbox")
            for m in messages
        ]

    def list_by_status(self, status: OutboxStatus, *, limit: int = 100) -> list[OutboxMessage]:
        newest_first = status is not OutboxStatus.PENDING
        items = queue.in_queue(_OutboxItem, f"OUTBOX#{status.value}", limit=limit, newest_first=newest_first)
        return [i.to_message() for i in items]

    def get(self, message_id: str) -> OutboxMessage | None:
        with storage_errors():
            try:
                return _OutboxItem.get(f"OUTBOX#{message_id}", "OUTBOX", consistent_read=True).to_message()
            except _OutboxItem.DoesNotExist:
                return None

    def due(self, now: datetime, *, limit: int = 100) -> list[OutboxMessage]:
        """Pending messages whose (re)try time has come, oldest first."""
        items = queue.in_queue(_OutboxItem, "OUTBOX#PENDING", limit=limit, due_by=now)
        return [i.to_message() for i in items]

    def lease(self, message: OutboxMessage, now: datetime, *, seconds: int = queue.LEASE_SECONDS) -> bool:
        """Take the message for delivery unless another worker holds it or it is done."""
        statuses = (OutboxStatus.PENDING.value,)
        return queue.lease(_key(message.id), statuses=statuses, now=now, seconds=seconds)

    def mark(
        self,
        message: OutboxMessage,
        status: OutboxStatus,
        now: datetime,
        *,
        detail: str | None = None,
        response: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """SENT/SKIPPED/FAILED end a message (FAILED waits for staff); PENDING with
        ``next_attempt_at`` schedules the next try."""
        due = next_attempt_at or now
        actions = [
            _OutboxItem.status.set(status.value),
            _OutboxItem.gsi2pk.set(f"OUTBOX#{status.value}"),
            _OutboxItem.gsi2sk.set(queue.queue_key(due, message.id)),
            _OutboxItem.lease_until.remove(),
        ]
        actions.append(
            _OutboxItem.last_error.set(detail[:2000]) if detail else _OutboxItem.last_error.remove()
        )
        if response is not None:
            actions.append(_OutboxItem.response.set(response[:4000]))
        if status is OutboxStatus.PENDING:
            actions.append(_OutboxItem.next_attempt_at.set(due))
        else:
            actions += [_OutboxItem.finished_at.set(now), _OutboxItem.next_attempt_at.remove()]
        if status is OutboxStatus.SENT:
            actions.append(
                _OutboxItem.expires_at.set(int((now + timedelta(days=KEEP_SENT_DAYS)).timestamp()))
            )
        with storage_errors():
            _key(message.id).update(actions=actions)

    def retry(self, message_id: str, now: datetime) -> bool:
        """Staff: send a failed or skipped message again now."""
        return conditional_update(
            _key(message_id),
            [
                _OutboxItem.status.set(OutboxStatus.PENDING.value),
                _OutboxItem.gsi2pk.set("OUTBOX#PENDING"),
                _OutboxItem.gsi2sk.set(queue.queue_key(now, message_id)),
                _OutboxItem.attempts.set(0),
                _OutboxItem.lease_until.remove(),
                _OutboxItem.next_attempt_at.remove(),
            ],
            _OutboxItem.status.is_in(OutboxStatus.FAILED.value, OutboxStatus.SKIPPED.value),
        )
