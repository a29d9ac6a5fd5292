"""Task storage: the TaskRepository port and its DynamoDB implementation.

Keys (DESIGN.md section 3):
  task          PK=TASK#{id}        SK=TASK
  by shop       GSI1PK=SHOP#{shop}  GSI1SK={STATUS}#{created}#{id}   (status prefix filters)
  by status     GSI2PK=STATUS#{S}   GSI2SK={created}#{id}            (STATUS#OPEN = open feed)
A deleted task keeps its item (for history) but loses its GSI keys, so it leaves every feed.
Every write moves the per-status counters on the shop items in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import TransactWriteError

from voldash_site.dynamodb import cursor as cursors
from voldash_site.dynamodb.counters import counter_key, counter_update_actions
from voldash_site.dynamodb.items import (
    INDEX_KEYS,
    TableItem,
    cancellation_codes,
    conditional_update,
    ensure_configured,
    query_page,
    stamp,
    storage_errors,
    transaction,
)
from voldash_site.dynamodb.unit_of_work import Load, Write, put, update
from voldash_site.errors import Conflict

from .domain import (
    AWAITING_CLICKUP,
    Assignee,
    HistoryAction,
    HistoryEntry,
    HistorySource,
    Task,
    TaskDetail,
    TaskStatus,
    TaskType,
    Urgency,
)
from .reports.repository import report_status_write

HISTORY_ON_DETAIL = 20
# With an urgency filter, DynamoDB is asked to read this many times the page size in the
# same single request, so a filtered page is rarely short.
FILTER_READ_AHEAD = 4


@dataclass(frozen=True)
class StoredTask:
    """A task as stored, with what optimistic writes need."""

    task: Task
    revision: int
    local_status_ms: int | None


@dataclass(frozen=True)
class TaskPage:
    items: list[Task]
    next_cursor: str | None


class TaskRepository(Protocol):
    def get(self, task_id: str) -> Task | None: ...

    def list_by_shop(
        self,
        shop: str,
        *,
        status: TaskStatus | None = None,
        urgency: Urgency | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> TaskPage: ...

    def list_by_status(
        self,
        status: TaskStatus,
        *,
        urgency: Urgency | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> TaskPage: ...

    def upsert(self, task: Task) -> None: ...

    def get_detail(self, task_id: str, *, include_snapshot: bool = False) -> TaskDetail | None: ...

    def load(self, task_id: str) -> Load: ...

    def transition_writes(
        self,
        task: Task,
        *,
        to_status: TaskStatus,
        assignee: Assignee | None,
        at: datetime,
        tag: str = "task",
        unchanged_since: datetime | None = None,
    ) -> list[Write]: ...

    def history_write(self, entry: HistoryEntry) -> Write: ...

    def retire_writes(
        self, task: Task, *, at: datetime, tag: str = "retire", counters: bool = True
    ) -> list[Write]: ...

    def get_stored(self, task_id: str) -> StoredTask | None: ...

    def snapshot_writes(
        self, task: Task, *, previous: StoredTask | None, counted_before: Task | None = None
    ) -> list[Write]: ...

    def set_discourse_url(self, task_id: str, url: str) -> None: ...

    def snapshot_write(self, task_id: str, raw: dict, fetched_at: datetime) -> Write: ...

    def recent_activity(self, *, limit: int = 20) -> list[HistoryEntry]: ...


class _TaskItem(TableItem, discriminator="Task"):
    task_id = UnicodeAttribute(attr_name="id")
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    shop = UnicodeAttribute()
    status = UnicodeAttribute()
    urgency = UnicodeAttribute()
    task_type = UnicodeAttribute(default=TaskType.PROBLEM.value)
    problem_type = UnicodeAttribute(null=True)
    asset = UnicodeAttribute(null=True)
    estimate_minutes = NumberAttribute(null=True)
    assignee_id = UnicodeAttribute(null=True)
    assignee_name = UnicodeAttribute(null=True)
    assignee_clickup_id = NumberAttribute(null=True)
    clickup_url = UnicodeAttribute(null=True)
    discourse_url = UnicodeAttribute(null=True)
    slack_url = UnicodeAttribute(null=True)
    list_id = UnicodeAttribute(null=True)
    contact_details = UnicodeAttribute(null=True)
    source_updated_ms = NumberAttribute(null=True)
    deleted = BooleanAttribute(default=False)
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    revision = NumberAttribute(default=0)
    search_text = UnicodeAttribute(null=True)  # lower-cased id, title and asset for staff search
    # When voldash itself last changed the status (epoch ms): a ClickUp snapshot older than
    # this must not overwrite the status (our write-back may not have reached ClickUp yet).
    local_status_ms = NumberAttribute(null=True)
    report_id = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    frequency = UnicodeAttribute(null=True)

    @classmethod
    def from_task(cls, task: Task, revision: int, local_status_ms: int | None = None) -> _TaskItem:
        item = cls(
            pk=f"TASK#{task.id}",
            sk="TASK",
            task_id=task.id,
            title=task.title,
            description=task.description,
            shop=task.shop,
            status=task.status.value,
            urgency=task.urgency.value,
            task_type=task.task_type.value,
            problem_type=task.problem_type,
            asset=task.asset,
            estimate_minutes=task.estimate_minutes,
            assignee_id=task.assignee.neon_id if task.assignee else None,
            assignee_name=task.assignee.name if task.assignee else None,
            assignee_clickup_id=task.assignee.clickup_user_id if task.assignee else None,
            clickup_url=task.clickup_url,
            discourse_url=task.discourse_url,
            slack_url=task.slack_url,
            list_id=task.list_id,
            contact_details=task.contact_details,
            source_updated_ms=task.source_updated_ms,
            deleted=task.deleted,
            tags=list(task.tags) or None,
            created_at=task.created_at,
            updated_at=task.updated_at,
            revision=revision,
            local_status_ms=local_status_ms,
            report_id=task.report_id,
            due_at=task.due_at,
            frequency=task.frequency,
            search_text=" ".join(p for p in (task.id, task.title, task.asset or "") if p).lower()[:1000],
        )
        if not task.deleted:
            created = stamp(task.created_at)
            item.gsi1pk = f"SHOP#{task.shop}"
            item.gsi1sk = f"{task.status.value}#{created}#{task.id}"
            item.gsi2pk = f"STATUS#{task.status.value}"
            item.gsi2sk = f"{created}#{task.id}"
        return item

    def to_task(self) -> Task:
        assignee = (
            Assignee(
                neon_id=self.assignee_id,
                name=self.assignee_name or "",
                clickup_user_id=int(self.assignee_clickup_id)
                if self.assignee_clickup_id is not None
                else None,
            )
            if self.assignee_id
            else None
        )
        return Task(
            id=self.task_id,
            title=self.title,
            description=self.description or "",
            shop=self.shop,
            status=TaskStatus(self.status),
            urgency=Urgency(self.urgency),
            task_type=TaskType(self.task_type),
            problem_type=self.problem_type,
            asset=self.asset,
            estimate_minutes=int(self.estimate_minutes) if self.estimate_minutes is not None else None,
            assignee=assignee,
            clickup_url=self.clickup_url,
            discourse_url=self.discourse_url,
            slack_url=self.slack_url,
            list_id=self.list_id,
            contact_details=self.contact_details,
            source_updated_ms=int(self.source_updated_ms) if self.source_updated_ms is not None else None,
            deleted=bool(self.deleted),
            tags=tuple(self.tags or ()),
            created_at=self.created_at,
            updated_at=self.updated_at,
            report_id=self.report_id,
            due_at=self.due_at,
            frequency=self.frequency,
        )


ACTIVITY_PK = "ACTIVITY"


class _SnapshotItem(TableItem, discriminator="TaskSnapshot"):
    """PK=TASK#{id} SK=SNAPSHOT: the raw ClickUp task as last read, for staff to inspect."""

    raw = JSONAttribute()
    fetched_at = UTCDateTimeAttribute()


class _HistoryItem(TableItem, discriminator="TaskHistory"):
    """PK=TASK#{id} SK=HIST#{at}#{event_id}; claims and completions also GSI1PK=ACTIVITY."""

    task_id = UnicodeAttribute(attr_name="task_id")
    at = UTCDateTimeAttribute()
    action = UnicodeAttribute()
    source = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    actor_name = UnicodeAttribute(null=True)
    from_status = UnicodeAttribute(null=True)
    to_status = UnicodeAttribute(null=True)
    assignee_id = UnicodeAttribute(null=True)
    assignee_name = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    hours = NumberAttribute(null=True)
    event_id = UnicodeAttribute()
    task_title = UnicodeAttribute(default="")
    shop = UnicodeAttribute(default="")

    @classmethod
    def from_entry(cls, e: HistoryEntry) -> _HistoryItem:
        at = stamp(e.at)
        item = cls(
            pk=f"TASK#{e.task_id}",
            sk=f"HIST#{at}#{e.event_id}",
            task_id=e.task_id,
            at=e.at,
            action=e.action.value,
            source=e.source.value,
            actor_id=e.actor_id,
            actor_name=e.actor_name,
            from_status=e.from_status.value if e.from_status else None,
            to_status=e.to_status.value if e.to_status else None,
            assignee_id=e.assignee_id,
            assignee_name=e.assignee_name,
            note=e.note,
            hours=e.hours,
            event_id=e.event_id,
            task_title=e.task_title,
            shop=e.shop,
        )
        if e.is_public_activity:
            item.gsi1pk = ACTIVITY_PK
            item.gsi1sk = f"{at}#{e.event_id}"
        return item

    def to_entry(self) -> HistoryEntry:
        return HistoryEntry(
            task_id=self.task_id,
            at=self.at,
            action=HistoryAction(self.action),
            source=HistorySource(self.source),
            actor_id=self.actor_id,
            actor_name=self.actor_name,
            from_status=TaskStatus(self.from_status) if self.from_status else None,
            to_status=TaskStatus(self.to_status) if self.to_status else None,
            assignee_id=self.assignee_id,
            assignee_name=self.assignee_name,
            note=self.note,
            hours=float(self.hours) if self.hours is not None else None,
            event_id=self.event_id,
            task_title=self.task_title or "",
            shop=self.shop or "",
        )


def _s(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    return value["S"] if value is not None and "S" in value else None


def _n(raw: dict[str, Any], name: str) -> int | None:
    value = raw.get(name)
    return int(value["N"]) if value is not None and "N" in value else None


def task_from_raw(raw: dict[str, Any]) -> Task:
    """A task straight from DynamoDB's attribute values: the list pages' hot path. It gives
    exactly what ``_TaskItem.from_raw_data(raw).to_task()`` gives (a test holds it to that),
    at a fraction of the cost, because a page of 50 is read on nearly every dashboard visit."""
    assignee_id = _s(raw, "assignee_id")
    tags = raw.get("tags")
    return Task(
        id=raw["id"]["S"],
        title=raw["title"]["S"],
        description=_s(raw, "description") or "",
        shop=raw["shop"]["S"],
        status=TaskStatus(raw["status"]["S"]),
        urgency=Urgency(raw["urgency"]["S"]),
        task_type=TaskType(_s(raw, "task_type") or TaskType.PROBLEM.value),
        problem_type=_s(raw, "problem_type"),
        asset=_s(raw, "asset"),
        estimate_minutes=_n(raw, "estimate_minutes"),
        assignee=Assignee(assignee_id, _s(raw, "assignee_name") or "", _n(raw, "assignee_clickup_id"))
        if assignee_id
        else None,
        clickup_url=_s(raw, "clickup_url"),
        discourse_url=_s(raw, "discourse_url"),
        slack_url=_s(raw, "slack_url"),
        list_id=_s(raw, "list_id"),
        contact_details=_s(raw, "contact_details"),
        source_updated_ms=_n(raw, "source_updated_ms"),
        deleted=bool(raw.get("deleted", {}).get("BOOL", False)),
        tags=tuple(t["S"] for t in tags["L"]) if tags and "L" in tags else (),
        created_at=datetime.fromisoformat(raw["created_at"]["S"]),
        updated_at=datetime.fromisoformat(raw["updated_at"]["S"]),
        report_id=_s(raw, "report_id"),
        due_at=datetime.fromisoformat(due) if (due := _s(raw, "due_at")) else None,
        frequency=_s(raw, "frequency"),
    )


def history_from_raw(raw: dict[str, Any]) -> HistoryEntry:
    """A history entry from DynamoDB's attribute values (held equal to PynamoDB's by a test)."""
    from_status, to_status, hours = _s(raw, "from_status"), _s(raw, "to_status"), raw.get("hours")
    return HistoryEntry(
        task_id=raw["task_id"]["S"],
        at=datetime.fromisoformat(raw["at"]["S"]),
        action=HistoryAction(raw["action"]["S"]),
        source=HistorySource(raw["source"]["S"]),
        actor_id=_s(raw, "actor_id"),
        actor_name=_s(raw, "actor_name"),
        from_status=TaskStatus(from_status) if from_status else None,
        to_status=TaskStatus(to_status) if to_status else None,
        assignee_id=_s(raw, "assignee_id"),
        assignee_name=_s(raw, "assignee_name"),
        note=_s(raw, "note"),
        hours=float(hours["N"]) if hours and "N" in hours else None,
        event_id=raw["event_id"]["S"],
        task_title=_s(raw, "task_title") or "",
        shop=_s(raw, "shop") or "",
    )


def _counted(task: Task | None) -> tuple[str, TaskStatus] | None:
    if task is None or task.deleted:
        return None
    return (task.shop, task.status)


class DynamoTaskRepository:
    def __init__(self, *, cursor_secret: str | Sequence[str]) -> None:
        ensure_configured()
        self._secret = cursor_secret

    # -- reads -----------------------------------------------------------------------------

    def get(self, task_id: str) -> Task | None:
        detail = self.get_detail(task_id)
        return detail.task if detail else None

    def get_detail(self, task_id: str, *, include_snapshot: bool = False) -> TaskDetail | None:
        """One Query on the task's item collection, newest first: the task (SK=TASK sorts after
        SNAPSHOT and every HIST#...) and its newest history entries. The raw ClickUp snapshot
        (kilobytes) is only for the staff pages; the API's query filters it out server-side."""
        page = query_page(
            TableItem,
            f"TASK#{task_id}",
            limit=2 + HISTORY_ON_DETAIL,
            newest_first=True,
            consistent=True,
            filter_condition=None if include_snapshot else TableItem.item_type != _SnapshotItem,
            raw=True,
        )
        kinds = [(item.get("type", {}).get("S"), item) for item in page.items]
        task = next((task_from_raw(item) for kind, item in kinds if kind == "Task"), None)
        if task is None:
            return None
        history = tuple(history_from_raw(item) for kind, item in kinds if kind == "TaskHistory")
        snapshot = next((item for kind, item in kinds if kind == "TaskSnapshot"), None)
        return TaskDetail(
            task=task,
            history=history[:HISTORY_ON_DETAIL],
            raw_snapshot=json.loads(snapshot["raw"]["S"]) if snapshot else None,
            snapshot_at=datetime.fromisoformat(snapshot["fetched_at"]["S"]) if snapshot else None,
        )

    def snapshot_write(self, task_id: str, raw: dict, fetched_at: datetime) -> Write:
        return put(_SnapshotItem(pk=f"TASK#{task_id}", sk="SNAPSHOT", raw=raw, fetched_at=fetched_at))

    def load(self, task_id: str) -> Load:
        return Load(pk=f"TASK#{task_id}", sk="TASK", parse=lambda item: item.to_task())

    def recent_activity(self, *, limit: int = 20) -> list[HistoryEntry]:
        """Claims and completions across the makerspace, newest first: one Query on GSI1."""
        page = query_page(_HistoryItem, ACTIVITY_PK, index="GSI1", newest_first=True, limit=limit)
        return [i.to_entry() for i in page.items]

    # -- conditional writes used by the lifecycle use cases ---------------------------------

    def transition_writes(
        self,
        task: Task,
        *,
        to_status: TaskStatus,
        assignee: Assignee | None,
        at: datetime,
        tag: str = "task",
        unchanged_since: datetime | None = None,
    ) -> list[Write]:
        """Move ``task`` (as loaded) to ``to_status``/``assignee``, only if it is still exactly
        as loaded: same status, shop and assignee, not deleted (and, with ``unchanged_since``,
        not changed after that). Counters move with it."""
        created = stamp(task.created_at)
        actions = [
            _TaskItem.status.set(to_status.value),
            _TaskItem.gsi1sk.set(f"{to_status.value}#{created}#{task.id}"),
            _TaskItem.gsi2pk.set(f"STATUS#{to_status.value}"),
            _TaskItem.updated_at.set(at),
            _TaskItem.revision.add(1),
        ]
        actions.append(_TaskItem.local_status_ms.set(int(at.timestamp() * 1000)))
        if assignee is None:
            actions += [
                _TaskItem.assignee_id.remove(),
                _TaskItem.assignee_name.remove(),
                _TaskItem.assignee_clickup_id.remove(),
            ]
        else:
            actions += [
                _TaskItem.assignee_id.set(assignee.neon_id),
                _TaskItem.assignee_name.set(assignee.name),
            ]
            actions.append(
                _TaskItem.assignee_clickup_id.set(assignee.clickup_user_id)
                if assignee.clickup_user_id is not None
                else _TaskItem.assignee_clickup_id.remove()
            )
        condition = (
            (_TaskItem.status == task.status.value)
            & (_TaskItem.shop == task.shop)
            & (_TaskItem.deleted == False)  # noqa: E712 - a pynamodb condition, not a comparison
        )
        if unchanged_since is not None:
            condition &= _TaskItem.updated_at <= unchanged_since
        if task.assignee is None:
            condition &= _TaskItem.assignee_id.does_not_exist()
        else:
            condition &= _TaskItem.assignee_id == task.assignee.neon_id
        key = _TaskItem(pk=f"TASK#{task.id}", sk="TASK")
        writes = [update(key, actions, condition=condition, tag=tag)]
        moves = _counter_moves((task.shop, task.status), (task.shop, to_status))
        for shop, deltas in moves.items():
            writes.append(update(counter_key(shop), counter_update_actions(shop, deltas)))
        if _mirrored(task):
            writes.append(report_status_write(task.report_id, to_status))
        return writes

    def retire_writes(
        self, task: Task, *, at: datetime, tag: str = "retire", counters: bool = True
    ) -> list[Write]:
        """Take ``task`` (as loaded) out of every feed, keeping its item and history: a
        problem report's provisional task once its ClickUp task exists, or a spam report."""
        key = _TaskItem(pk=f"TASK#{task.id}", sk="TASK")
        actions = [
            _TaskItem.deleted.set(True),
            _TaskItem.gsi1pk.remove(),
            _TaskItem.gsi1sk.remove(),
            _TaskItem.gsi2pk.remove(),
            _TaskItem.gsi2sk.remove(),
            _TaskItem.updated_at.set(at),
            _TaskItem.revision.add(1),
        ]
        condition = (
            (_TaskItem.deleted == False)  # noqa: E712 - a pynamodb condition, not a comparison
            & (_TaskItem.status == task.status.value)
            & (_TaskItem.shop == task.shop)
        )
        writes = [update(key, actions, condition=condition, tag=tag)]
        for shop, deltas in _counter_moves((task.shop, task.status) if counters else None, None).items():
            writes.append(update(counter_key(shop), counter_update_actions(shop, deltas)))
        return writes

    def history_write(self, entry: HistoryEntry) -> Write:
        return put(_HistoryItem.from_entry(entry), condition=_HistoryItem.pk.does_not_exist(), tag="history")

    def list_by_shop(
        self,
        shop: str,
        *,
        status: TaskStatus | None = None,
        urgency: Urgency | None = None,
        limit: int = 20,
        cursor: str | None = None,
        search: str | None = None,
    ) -> TaskPage:
        key_condition = _TaskItem.gsi1sk.startswith(f"{status.value}#") if status else None
        scope = f"tasks|GSI1|{shop}|{status or '*'}|{urgency or '*'}|{search or ''}"
        return self._page(
            "GSI1",
            f"SHOP#{shop}",
            scope=scope,
            key_condition=key_condition,
            urgency=urgency,
            limit=limit,
            cursor=cursor,
            search=search,
        )

    def list_by_status(
        self,
        status: TaskStatus,
        *,
        urgency: Urgency | None = None,
        limit: int = 20,
        cursor: str | None = None,
        search: str | None = None,
    ) -> TaskPage:
        scope = f"tasks|GSI2|{status}|{urgency or '*'}|{search or ''}"
        return self._page(
            "GSI2",
            f"STATUS#{status.value}",
            scope=scope,
            urgency=urgency,
            limit=limit,
            cursor=cursor,
            search=search,
        )

    def _page(
        self, index, hash_key, *, scope, urgency, limit, cursor, key_condition=None, search=None
    ) -> TaskPage:
        start = cursors.decode(cursor, scope=scope, secret=self._secret, allowed_keys=INDEX_KEYS[index])
        conditions = []
        if urgency:
            conditions.append(_TaskItem.urgency == urgency.value)
        if search:
            conditions.append(_TaskItem.search_text.contains(search.strip().lower()))
        filter_condition = None
        for c in conditions:
            filter_condition = c if filter_condition is None else filter_condition & c
        page = query_page(
            _TaskItem,
            hash_key,
            index=index,
            range_key_condition=key_condition,
            filter_condition=filter_condition,
            newest_first=True,
            start_key=start,
            limit=limit,
            read_ahead=FILTER_READ_AHEAD if conditions else 1,
            raw=True,
        )
        return TaskPage(
            items=[task_from_raw(item) for item in page.items],
            next_cursor=cursors.encode(page.last_key, scope=scope, secret=self._secret),
        )

    # -- writes ----------------------------------------------------------------------------

    def upsert(self, task: Task, *, attempts: int = 5) -> None:
        """Store ``task`` as the current state and keep shop counters exact.

        Optimistic: the write is conditioned on the revision read just before, so a
        concurrent writer makes this one re-read and re-apply instead of double counting.
        """
        for _ in range(attempts):
            current = self._get_item(task.id)
            if current is not None and current.to_task() == task:
                return  # nothing changed: no write, no revision churn
            try:
                self._write(task, current)
                return
            except TransactWriteError as exc:
                if "ConditionalCheckFailed" not in cancellation_codes(exc) and not _is_conflict(exc):
                    raise
        raise Conflict(f"Task {task.id} kept changing underneath; try again.")

    def all_in_shops(self, shops: list[str]) -> list[Task]:
        """Every (non-deleted) task of these shops, page by page (operator sweeps, not the API)."""
        out: list[Task] = []
        for shop in shops:
            cursor = None
            while True:
                page = self.list_by_shop(shop, limit=100, cursor=cursor)
                out += page.items
                cursor = page.next_cursor
                if not cursor:
                    break
        return out

    def get_stored(self, task_id: str) -> StoredTask | None:
        """One consistent GetItem."""
        item = self._get_item(task_id)
        if item is None:
            return None
        local = int(item.local_status_ms) if item.local_status_ms is not None else None
        return StoredTask(item.to_task(), int(item.revision or 0), local)

    def snapshot_writes(
        self, task: Task, *, previous: StoredTask | None, counted_before: Task | None = None
    ) -> list[Write]:
        """Replace the stored task with ``task`` if it is still at ``previous``'s revision
        (or still absent); shop counters move in the same transaction. ``counted_before``: the
        task the counters held until now, when it is another item (a report's provisional task
        that this one replaces; retire it with ``counters=False``)."""
        revision = previous.revision if previous else 0
        item = _TaskItem.from_task(
            task, revision=revision + 1, local_status_ms=previous.local_status_ms if previous else None
        )
        condition = _TaskItem.revision == revision if previous else _TaskItem.pk.does_not_exist()
        writes = [put(item, condition=condition, tag="task")]
        before = counted_before if counted_before is not None else (previous.task if previous else None)
        for shop, deltas in _counter_moves(_counted(before), _counted(task)).items():
            writes.append(update(counter_key(shop), counter_update_actions(shop, deltas)))
        if previous is not None and _mirrored(task):
            writes.append(report_status_write(task.report_id, task.status))  # type: ignore[arg-type]
        return writes

    def set_discourse_url(self, task_id: str, url: str) -> None:
        key = _TaskItem(pk=f"TASK#{task_id}", sk="TASK")
        conditional_update(key, [_TaskItem.discourse_url.set(url)], _TaskItem.pk.exists())

    def _get_item(self, task_id: str) -> _TaskItem | None:
        with storage_errors():
            try:
                return _TaskItem.get(f"TASK#{task_id}", "TASK", consistent_read=True)
            except _TaskItem.DoesNotExist:
                return None

    def _write(self, task: Task, current: _TaskItem | None) -> None:
        revision = int(current.revision) if current is not None else 0
        local = int(current.local_status_ms) if current is not None and current.local_status_ms else None
        item = _TaskItem.from_task(task, revision=revision + 1, local_status_ms=local)
        condition = _TaskItem.revision == revision if current is not None else _TaskItem.pk.does_not_exist()
        before = _counted(current.to_task() if current is not None else None)
        after = _counted(task)
        with storage_errors(), transaction() as tx:
            tx.save(item, condition=condition)
            for shop, deltas in _counter_moves(before, after).items():
                tx.update(counter_key(shop), actions=counter_update_actions(shop, deltas))


def _counter_moves(
    before: tuple[str, TaskStatus] | None, after: tuple[str, TaskStatus] | None
) -> dict[str, dict[str, int]]:
    moves: dict[str, dict[str, int]] = {}
    if before == after:
        return moves
    if before is not None:
        shop, status = before
        moves.setdefault(shop, {})[status.value] = moves.get(shop, {}).get(status.value, 0) - 1
    if after is not None:
        shop, status = after
        moves.setdefault(shop, {})[status.value] = moves.get(shop, {}).get(status.value, 0) + 1
    return moves


def _mirrored(task: Task) -> bool:
    """A task adopted from a problem report mirrors its status onto the report."""
    return bool(task.report_id) and AWAITING_CLICKUP not in task.tags


def _is_conflict(exc: TransactWriteError) -> bool:
    return "TransactionConflict" in cancellation_codes(exc)
