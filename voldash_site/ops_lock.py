"""One operator command at a time in the cloud: a lock item in the table.

``sam remote invoke`` (botocore's 60-second read timeout) retries a synchronous invocation that
has not answered yet, and two operators may start the same long sweep: without a lock,
``sync_clickup --full`` or ``backfill_feed`` would run several times at once. The lock is one
conditional PutItem (taken only if absent or expired) and one conditional DeleteItem (released
only by its holder). ``expires_at`` is the table's TTL attribute and bounds a lock whose holder
died (the Lambda timeout, 900 s, plus a margin): an expired lock is free even before TTL
deletes it.

  PK = OPS#LOCK   SK = LOCK   holder, command, started_at, expires_at
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError

from voldash_site.dynamodb.items import TableItem, ensure_configured, response_code, storage_errors

LOCK_SECONDS = 900 + 60  # the ops function's timeout, and a margin


class _OpsLockItem(TableItem, discriminator="OpsLock"):
    holder = UnicodeAttribute()
    command = UnicodeAttribute()
    started_at = NumberAttribute()


@dataclass(frozen=True)
class Holder:
    holder: str
    command: str
    started_at: float


def acquire(holder: str, command: str, *, now: float | None = None) -> Holder | None:
    """Take the lock for ``holder``; None when taken, else who holds it (nothing changed)."""
    ensure_configured()
    now = time.time() if now is None else now
    item = _OpsLockItem(
        pk="OPS#LOCK",
        sk="LOCK",
        holder=holder,
        command=command,
        started_at=int(now),
        expires_at=int(now) + LOCK_SECONDS,
    )
    free = _OpsLockItem.pk.does_not_exist() | (_OpsLockItem.expires_at < int(now))
    with storage_errors():
        try:
            item.save(condition=free)
            return None
        except PutError as exc:
            if response_code(exc) != "ConditionalCheckFailedException":
                raise
        current = _OpsLockItem.get("OPS#LOCK", "LOCK", consistent_read=True)
    return Holder(holder=current.holder, command=current.command, started_at=float(current.started_at))


def release(holder: str) -> None:
    """Give the lock back, only if ``holder`` still holds it."""
    ensure_configured()
    with storage_errors():
        try:
            _OpsLockItem._get_connection().delete_item(
                "OPS#LOCK", range_key="LOCK", condition=_OpsLockItem.holder == holder
            )
        except DeleteError as exc:
            if response_code(exc) != "ConditionalCheckFailedException":
                raise
