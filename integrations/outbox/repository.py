"""Outbox storage.

  PK=OUTBOX#{id}  SK=OUTBOX   GSI2PK=OUTBOX#{STATUS}  GSI2SK={created}#{id}
Pending (and failed) messages are one Query each on GSI2; the table's stream carries new
items to the delivery function in the cloud.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from voldash_site.dynamodb.items import TableItem, ensure_configured, query_page
from voldash_site.dynamodb.unit_of_work import Write, put

from .domain import Channel, OutboxMessage, OutboxStatus


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class OutboxRepository(Protocol):
    def enqueue_writes(self, messages: list[OutboxMessage]) -> list[Write]: ...

    def list_by_status(self, status: OutboxStatus, *, limit: int = 100) -> list[OutboxMessage]: ...


class _OutboxItem(TableItem, discriminator="Outbox"):
    message_id = UnicodeAttribute(attr_name="id")
    channel = UnicodeAttribute()
    action = UnicodeAttribute()
    task_id = UnicodeAttribute()
    payload = JSONAttribute()
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()

    @classmethod
    def from_message(cls, m: OutboxMessage) -> _OutboxItem:
        return cls(
            pk=f"OUTBOX#{m.id}",
            sk="OUTBOX",
            gsi2pk=f"OUTBOX#{m.status.value}",
            gsi2sk=f"{_stamp(m.created_at)}#{m.id}",
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
        )


class DynamoOutboxRepository:
    def __init__(self) -> None:
        ensure_configured()

    def enqueue_writes(self, messages: list[OutboxMessage]) -> list[Write]:
        return [
            put(_OutboxItem.from_message(m), condition=_OutboxItem.pk.does_not_exist(), tag="outbox")
            for m in messages
        ]

    def list_by_status(self, status: OutboxStatus, *, limit: int = 100) -> list[OutboxMessage]:
        page = query_page(_OutboxItem, f"OUTBOX#{status.value}", index="GSI2", limit=limit)
        return [i.to_message() for i in page.items]
