"""The DynamoDB side of a queue: items waiting in a GSI2 partition (``GSI2PK`` = the queue,
``GSI2SK`` = ``{due}#{id}``, so a Query reads them oldest due first), a lease taken with a
conditional update (one worker at a time), and the attempts counted with it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from voldash_site.dynamodb.items import TableItem, conditional_update, query_page, stamp

LEASE_SECONDS = 120


class QueueItem(TableItem):
    """The fields every queued item has (stored under the same names for inbox and outbox)."""

    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)


_Q = TypeVar("_Q", bound=QueueItem)


def queue_key(due: datetime, item_id: str) -> str:
    """The GSI2 sort key of an item in its queue: due time first, so a Query is in due order."""
    return f"{stamp(due)}#{item_id}"


def in_queue(
    item_cls: type[_Q],
    queue: str,
    *,
    limit: int,
    due_by: datetime | None = None,
    newest_first: bool = False,
) -> list[_Q]:
    """Up to ``limit`` items of ``queue`` (only those due by ``due_by`` when given), oldest due
    first: one Query per page (a worker's batch can be larger than DynamoDB's 1 MB page)."""
    out: list[_Q] = []
    start: dict[str, Any] | None = None
    condition = item_cls.gsi2sk <= f"{stamp(due_by)}#~" if due_by is not None else None
    while len(out) < limit:
        page = query_page(
            item_cls,
            queue,
            index="GSI2",
            limit=limit - len(out),
            range_key_condition=condition,
            start_key=start,
            newest_first=newest_first,
        )
        out += page.items
        start = page.last_key
        if not start:
            break
    return out


def lease(key: QueueItem, *, statuses: tuple[str, ...], now: datetime, seconds: int = LEASE_SECONDS) -> bool:
    """Take the item for ``seconds`` unless it left ``statuses`` or another worker holds an
    unexpired lease (decided by DynamoDB); counts the attempt in the same write."""
    cls = type(key)
    condition = cls.status.is_in(*statuses) & (cls.lease_until.does_not_exist() | (cls.lease_until < now))
    actions = [cls.lease_until.set(now + timedelta(seconds=seconds)), cls.attempts.add(1)]
    return conditional_update(key, actions, condition)
