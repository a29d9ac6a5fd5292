"""Outbox storage.

  PK=OUTBOX#{id}  SK=OUTBOX   GSI2PK=OUTBOX#{STATUS}  GSI2SK={created}#{id}
Pending (and failed) messages are one Query each on GSI2; the table's stream carries new
items to the delivery function in the cloud.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Protocol

from pynamodb.attributes import JSONAttribute, ListAttribute, UnicodeAttribute, UTCDateTimeAttribute

from integrations.queue import storage as queue
from voldash_site.dynamodb.items import TableItem, conditional_update, ensure_configured, storage_errors
from voldash_site.dynamodb.unit_of_work import DynamoUnitOfWork, Write, put, update
from voldash_site.errors import WriteRefused

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
    # A personal notice's lines (JSON each), appended while it waits: one message per burst.
    notice_lines = ListAttribute(of=UnicodeAttribute, null=True)

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
        payload = dict(self.payload or {})
        if self.notice_lines:
            payload["lines"] = [json.loads(line) for line in self.notice_lines]
        return OutboxMessage(
            channel=Channel(self.channel),
            action=self.action,
            task_id=self.task_id,
            payload=payload,
            created_at=self.created_at,
            id=self.message_id,
            status=OutboxStatus(self.status),
            attempts=int(self.attempts or 0),
            last_error=self.last_error,
            next_attempt_at=self.next_attempt_at,
            response=self.response,
            finished_at=self.finished_at,
        )


class _NoticeMark(TableItem, discriminator="NoticeMark"):
    """PK=NOTICE#{event} SK=TO#{neon_id}: this event was put into this person's notice. Written
    with the notice, under a condition, so an event reaches a person at most once (retries,
    replays); kept 30 days (TTL)."""


KEEP_NOTICE_MARKS_DAYS = 30


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


def queue_notice(
    *,
    message_id: str,
    recipient: str,
    line: dict[str, Any],
    event_key: str,
    due: datetime,
    now: datetime,
    task_id: str,
    shop: str,
) -> str:
    """Put ``line`` into ``recipient``'s waiting notice ``message_id`` (created if there is none,
    or if the last one has left), at most once per event and person. Each attempt is one
    transaction: the event's mark for this person (refused if it is there: already queued) and
    the append to a PENDING notice not being sent (or a new notice where the last one has ended).
    Answers "joined", "queued" or "duplicate"."""
    mark = _NoticeMark(
        pk=f"NOTICE#{event_key}",
        sk=f"TO#{recipient}",
        expires_at=int((now + timedelta(days=KEEP_NOTICE_MARKS_DAYS)).timestamp()),
    )
    mark_write = put(mark, condition=_NoticeMark.pk.does_not_exist(), tag="mark")
    encoded = json.dumps(line, sort_keys=True)
    uow = DynamoUnitOfWork()
    waiting = (_OutboxItem.status == OutboxStatus.PENDING.value) & _OutboxItem.lease_until.does_not_exist()
    ended = _OutboxItem.status.is_in(
        OutboxStatus.SENT.value, OutboxStatus.SKIPPED.value, OutboxStatus.FAILED.value
    )
    for _ in range(3):
        # Most notices open a new message (a fan-out reaches people with nothing waiting), so
        # that is tried first; a burst's later changes join the waiting one.
        fresh = _new_notice(message_id, recipient, encoded, due=due, now=now, task_id=task_id, shop=shop)
        try:
            uow.commit([mark_write, put(fresh, condition=_OutboxItem.pk.does_not_exist() | ended, tag="new")])
            return "queued"
        except WriteRefused as refused:
            if "mark" in refused.tags:
                return "duplicate"
        join = update(
            _key(message_id),
            [_OutboxItem.notice_lines.set((_OutboxItem.notice_lines | []).append([encoded]))],
            condition=_OutboxItem.pk.exists() & waiting,
            tag="join",
        )
        try:
            uow.commit([mark_write, join])
            return "joined"
        except WriteRefused as refused:
            if "mark" in refused.tags:
                return "duplicate"
            # Sent meanwhile (open a new one), or being sent right now.
    # Still being sent: this event gets a notice of its own.
    own = _new_notice(
        f"{message_id}-{event_key}", recipient, encoded, due=due, now=now, task_id=task_id, shop=shop
    )
    try:
        uow.commit([mark_write, put(own, condition=_OutboxItem.pk.does_not_exist(), tag="new")])
    except WriteRefused as refused:
        if "mark" in refused.tags:
            return "duplicate"
        raise
    return "queued"


def _new_notice(
    message_id: str, recipient: str, encoded: str, *, due: datetime, now: datetime, task_id: str, shop: str
) -> _OutboxItem:
    item = _OutboxItem.from_message(
        OutboxMessage(
            channel=Channel.NOTICE,
            action="notice.send",
            task_id=task_id,
            payload={"recipient": recipient, "shop": shop},
            created_at=now,
            id=message_id,
        )
    )
    item.gsi2sk = queue.queue_key(due, message_id)
    item.next_attempt_at = due
    item.notice_lines = [encoded]
    return item
