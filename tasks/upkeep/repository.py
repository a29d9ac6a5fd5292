"""Reads and markers for upkeep (PM due dates, quiet claims, digests). Never a Scan:

- a shop's PM tasks due by a date (and its critical open repairs): one Query on GSI1
  ``SHOP#{shop}``, key condition on the statuses that are not DONE (``GSI1SK`` between
  ``IN_PROGRESS#`` and ``OPEN#~``), the rest filtered server-side;
- every shop at once (staff): one Query per not-done status on GSI2 ``STATUS#{S}``;
- quiet claims: GSI2 ``STATUS#IN_PROGRESS`` filtered on ``updated_at``, page by page;
- "sent once" markers: ``PK=UPKEEP#{kind}#{key}`` ``SK=SENT``, put under
  ``attribute_not_exists`` in the same transaction as the outbox message they stand for, and
  expiring (TTL) once they can no longer matter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from tasks.domain import Task, TaskStatus, TaskType, Urgency
from tasks.repository import _TaskItem, task_from_raw
from voldash_site.dynamodb.items import TableItem, query_page
from voldash_site.dynamodb.unit_of_work import Write, check, put

# One request reads at most this many items (and at most 1 MB): a shop's not-done tasks fit.
READ_LIMIT = 1000
NOT_DONE = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD)
MARKER_KEEP = timedelta(days=120)


class _MarkerItem(TableItem, discriminator="UpkeepMarker"):
    """Proof that a reminder, notice or digest was queued (once)."""

    kind = UnicodeAttribute()
    key = UnicodeAttribute()
    created_at = UnicodeAttribute()


def _due_filter(until: datetime, *, critical: bool) -> Any:
    due = (_TaskItem.task_type == TaskType.PREVENTATIVE.value) & (_TaskItem.due_at <= until)
    if critical:
        due |= (_TaskItem.urgency == Urgency.CRITICAL.value) & (_TaskItem.status == TaskStatus.OPEN.value)
    return due


class UpkeepReads:
    def due_in_shop(self, shop: str, until: datetime, *, critical: bool = False) -> list[Task]:
        """The shop's not-done PM tasks due by ``until`` (and, with ``critical``, its critical
        open tasks): one Query."""
        page = query_page(
            _TaskItem,
            f"SHOP#{shop}",
            index="GSI1",
            range_key_condition=_TaskItem.gsi1sk.between(f"{TaskStatus.IN_PROGRESS.value}#", "OPEN#~"),
            filter_condition=_due_filter(until, critical=critical),
            limit=READ_LIMIT,
            raw=True,
        )
        return [task_from_raw(item) for item in page.items]

    def due_everywhere(self, until: datetime) -> list[Task]:
        """Every shop's not-done PM tasks due by ``until``: one Query per not-done status."""
        out: list[Task] = []
        for status in NOT_DONE:
            page = query_page(
                _TaskItem,
                f"STATUS#{status.value}",
                index="GSI2",
                filter_condition=_due_filter(until, critical=False),
                limit=READ_LIMIT,
                raw=True,
            )
            out += [task_from_raw(item) for item in page.items]
        return out

    def quiet_claims(
        self, unchanged_since: datetime, *, page_size: int = 200, max_pages: int | None = None
    ) -> Iterator[Task]:
        """IN_PROGRESS tasks not changed since ``unchanged_since``, page by page (one Query each)."""
        start = None
        pages = 0
        while max_pages is None or pages < max_pages:
            pages += 1
            page = query_page(
                _TaskItem,
                f"STATUS#{TaskStatus.IN_PROGRESS.value}",
                index="GSI2",
                filter_condition=_TaskItem.updated_at <= unchanged_since,
                limit=page_size,
                start_key=start,
                raw=True,
            )
            for item in page.items:
                yield task_from_raw(item)
            if not page.last_key:
                return
            start = page.last_key


def progress_key(task_id: str, holder_id: str) -> str:
    return f"UPKEEP#progress#{task_id}#{holder_id}"


def progress_write(task_id: str, holder_id: str, at: datetime) -> Write:
    """The holder said "Still on it" at ``at`` (overwrites the previous answer)."""
    item = _MarkerItem(
        pk=progress_key(task_id, holder_id),
        sk="SENT",
        kind="progress",
        key=f"{task_id}#{holder_id}",
        created_at=at.isoformat(),
        expires_at=int((at + MARKER_KEEP).timestamp()),
    )
    return put(item, tag="progress")


def held_by_check(task: Task) -> Write:
    """Condition: ``task`` is still held by its assignee in its status (tag ``task``)."""
    assert task.assignee is not None
    key = _TaskItem(pk=f"TASK#{task.id}", sk="TASK")
    condition = (_TaskItem.status == task.status.value) & (_TaskItem.assignee_id == task.assignee.neon_id)
    return check(key, condition, tag="task")


def last_progress(tasks: list[Task]) -> dict[str, datetime]:
    """task id -> when its holder last said "Still on it" (one BatchGetItem per 100 tasks)."""
    keys = [(progress_key(t.id, t.assignee.neon_id), "SENT") for t in tasks if t.assignee]
    out: dict[str, datetime] = {}
    for i in range(0, len(keys), 100):
        for item in _MarkerItem.batch_get(keys[i : i + 100]):
            out[item.key.split("#", 1)[0]] = datetime.fromisoformat(item.created_at)
    return out


def marker_write(kind: str, key: str, now: datetime) -> Write:
    """Put ``UPKEEP#{kind}#{key}`` only if it is not there yet (tag ``marker``)."""
    item = _MarkerItem(
        pk=f"UPKEEP#{kind}#{key}",
        sk="SENT",
        kind=kind,
        key=key,
        created_at=now.isoformat(),
        expires_at=int((now + MARKER_KEEP).timestamp()),
    )
    return put(item, condition=_MarkerItem.pk.does_not_exist(), tag="marker")
