"""Calendar feed storage. A shop's feed is one Query; a member's one Query and a BatchGetItem:

- a member's feed URL carries their Neon id and a secret token; the token's SHA-256 is kept at
  ``PK=VOLUNTEER#{id} SK=CALENDAR``, beside their ``CLAIM#{task}`` records, so one Query
  (``SK BETWEEN "CALENDAR" AND "CLAIM#~"``) reads the token's hash and what they hold.
  Creating a URL again replaces the hash (the old URL stops working at once); revoking deletes it.
  The claim records give the held tasks' ids; their titles and due dates are read from the
  tasks themselves (one BatchGetItem), since ClickUp may have moved them since the claim.
- a shop's feed: GSI1 ``SHOP#{shop}``, the not-done statuses, PM tasks with a due date.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from tasks.domain import TaskStatus, TaskType
from tasks.repository import _TaskItem, task_from_raw
from voldash_site.dynamodb.items import TableItem, query_page, storage_errors

from .calendars import DueItem
from .repository import READ_LIMIT

CLAIMS_READ = 100


class _CalendarItem(TableItem, discriminator="CalendarToken"):
    neon_id = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarStore:
    def issue(self, neon_id: str, now: datetime) -> str:
        """A new secret token for ``neon_id`` (replacing any earlier one): one PutItem."""
        token = secrets.token_urlsafe(32)
        item = _CalendarItem(
            pk=f"VOLUNTEER#{neon_id}", sk="CALENDAR", neon_id=neon_id, token_hash=_hash(token), created_at=now
        )
        with storage_errors():
            item.save()
        return token

    def revoke(self, neon_id: str) -> None:
        with storage_errors():
            _CalendarItem(pk=f"VOLUNTEER#{neon_id}", sk="CALENDAR").delete()

    def personal(self, neon_id: str, token: str) -> list[DueItem] | None:
        """What ``neon_id`` holds with a due date, or None when the token is not theirs (now)."""
        page = query_page(
            TableItem,
            f"VOLUNTEER#{neon_id}",
            range_key_condition=TableItem.sk.between("CALENDAR", "CLAIM#~"),
            limit=CLAIMS_READ,
            raw=True,
        )
        kinds = [(item.get("type", {}).get("S"), item) for item in page.items]
        stored = next((item["token_hash"]["S"] for kind, item in kinds if kind == "CalendarToken"), None)
        if stored is None or not hmac.compare_digest(stored, _hash(token)):
            return None
        held = [item["task_id"]["S"] for kind, item in kinds if kind == "VolunteerClaim"]
        return _current(held, neon_id)

    def shop_pm(self, shop: str) -> list[DueItem]:
        page = query_page(
            _TaskItem,
            f"SHOP#{shop}",
            index="GSI1",
            range_key_condition=_TaskItem.gsi1sk.between(f"{TaskStatus.IN_PROGRESS.value}#", "OPEN#~"),
            filter_condition=(_TaskItem.task_type == TaskType.PREVENTATIVE.value) & _TaskItem.due_at.exists(),
            limit=READ_LIMIT,
            raw=True,
        )
        tasks = [task_from_raw(item) for item in page.items]
        return [
            DueItem(
                task_id=t.id,
                title=t.title,
                shop=t.shop,
                due_at=t.due_at,
                holder=t.assignee.name if t.assignee else None,
                frequency=t.frequency,
            )
            for t in sorted(tasks, key=lambda t: (t.due_at, t.id))
            if t.due_at is not None
        ]


def _current(task_ids: list[str], neon_id: str) -> list[DueItem]:
    """The held tasks as they are now (one consistent BatchGetItem): ClickUp owns the title and
    the due date, and a sync changes the task, not the claim's copy taken when it was claimed.
    A task no longer held by ``neon_id`` (released, reassigned, done) or without a due date is
    left out."""
    if not task_ids:
        return []
    with storage_errors():
        found = list(_TaskItem.batch_get([(f"TASK#{t}", "TASK") for t in task_ids], consistent_read=True))
    tasks = [item.to_task() for item in found if isinstance(item, _TaskItem)]
    return [
        DueItem(task_id=t.id, title=t.title, shop=t.shop, due_at=t.due_at)
        for t in sorted(tasks, key=lambda t: (t.due_at or datetime.max.replace(tzinfo=UTC), t.id))
        if t.due_at is not None
        and t.assignee is not None
        and t.assignee.neon_id == neon_id
        and t.status is not TaskStatus.DONE
    ]
