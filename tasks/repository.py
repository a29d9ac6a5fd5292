"""Task storage: the TaskRepository port and its DynamoDB implementation.

Keys (DESIGN.md section 3):
  task          PK=TASK#{id}        SK=TASK
  by shop       GSI1PK=SHOP#{shop}  GSI1SK={STATUS}#{created}#{id}   (status prefix filters)
  by status     GSI2PK=STATUS#{S}   GSI2SK={created}#{id}            (STATUS#OPEN = open feed)
  GSI4..GSI7    by urgency, type, due date, shop and urgency (tasks/feed.py: feed_keys)
A deleted task keeps its item (for history) but loses its GSI keys, so it leaves every feed.
Every write moves the per-status counters and the facet cells on the shop items in the same
transaction (``counter_writes``: the one place every task write gets its counter moves from).
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
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import TransactWriteError

from voldash_site.dynamodb import cursor as cursors
from voldash_site.dynamodb.counters import (
    SHOPS_PK,
    ShopTaskCountsItem,
    counter_key,
    counter_update_actions,
)
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
from voldash_site.dynamodb.unit_of_work import Load, Write, check, put, update
from voldash_site.errors import Conflict

from .domain import (
    AWAITING_CLICKUP,
    Assignee,
    Attachment,
    ChecklistStep,
    Comment,
    CommentSource,
    HistoryAction,
    HistoryEntry,
    HistorySource,
    Reporter,
    StepTick,
    Task,
    TaskDetail,
    TaskExtras,
    TaskStatus,
    TaskType,
    Urgency,
)
from .feed import (
    FEED_KEY_ATTRIBUTES,
    STATUS_KEYED,
    Counts,
    FeedQuery,
    cell_moves,
    count,
    facet_key,
    feed_keys,
    feed_type,
    is_cell,
    plan,
    time_bucket,
)
from .feed import (
    FacetKey as _FacetKey,
)
from .reports.repository import report_status_write

HISTORY_ON_DETAIL = 20
# The activity feed (history and comments) pages by this many; the detail holds the first page.
ACTIVITY_PAGE = 20
EXTRAS_SK = "TASK#EXTRAS"
# With an urgency filter, DynamoDB is asked to read this many times the page size in the
# same single request, so a filtered page is rarely short.
FILTER_READ_AHEAD = 4


@dataclass(frozen=True)
class StoredTask:
    """A task as stored, with what optimistic writes need."""

    task: Task
    revision: int
    local_status_ms: int | None
    # Counted in a facet cell (False only for an item stored before the cells existed and not
    # yet backfilled: its first write adds it to its cell instead of moving it).
    counted: bool = True


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

    def list_feed(self, query: FeedQuery, *, limit: int = 20, cursor: str | None = None) -> TaskPage: ...

    def feed_counts(self, query: FeedQuery, shops: Sequence[str]) -> Counts: ...

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
    # The task list's filters (tasks/feed.py) and the facet cell it is counted in: a move is
    # conditioned on the cell, so the counters cannot drift when a sync changed it meanwhile.
    feed_type = UnicodeAttribute(null=True)
    time_bucket = UnicodeAttribute(null=True)
    facet_cell = UnicodeAttribute(null=True)

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
            feed_type=feed_type(task.task_type, task.problem_type).value,
            time_bucket=time_bucket(task.estimate_minutes).value,
        )
        key = facet_key(task)
        if key is not None:
            item.facet_cell = key.cell
            for name, value in feed_keys(task).items():
                setattr(item, name.lower(), value)
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
_ACTIVITY_KINDS = ("TaskHistory", "TaskComment")


def vars_(value: Any) -> dict[str, Any]:
    """A frozen dataclass as a plain dict (for JSON attributes)."""
    return dict(vars(value))


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
    previous_assignee_id = UnicodeAttribute(null=True)

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
            previous_assignee_id=e.previous_assignee_id,
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
            previous_assignee_id=self.previous_assignee_id,
        )


class _CommentItem(TableItem, discriminator="TaskComment"):
    """PK=TASK#{id} SK=HIST#{at}#{event_id}: a comment, sorted into the activity feed beside the
    history entries (so the detail's one Query reads both). A ClickUp comment's event id is
    derived from ClickUp's comment id, so a replayed webhook cannot store it twice."""

    task_id = UnicodeAttribute(attr_name="task_id")
    at = UTCDateTimeAttribute()
    author_id = UnicodeAttribute(null=True)
    author_name = UnicodeAttribute()
    text = UnicodeAttribute()
    source = UnicodeAttribute()
    event_id = UnicodeAttribute()
    clickup_comment_id = UnicodeAttribute(null=True)
    version_ms = NumberAttribute(null=True)  # a ClickUp comment: the date of the text we hold

    @classmethod
    def from_comment(cls, c: Comment) -> _CommentItem:
        return cls(
            pk=f"TASK#{c.task_id}",
            sk=f"HIST#{stamp(c.at)}#{c.event_id}",
            task_id=c.task_id,
            at=c.at,
            author_id=c.author_id,
            author_name=c.author_name,
            text=c.text,
            source=c.source.value,
            event_id=c.event_id,
            clickup_comment_id=c.clickup_comment_id,
        )


class _ClickUpCommentRefItem(TableItem, discriminator="ClickUpCommentRef"):
    """PK=CLICKUP_COMMENT#{comment id} SK=REF: where a ClickUp comment is stored. ClickUp's
    comment id, not the date an event gives it, decides whether a comment is new (issue 23
    finding 13): one comment, one activity item; an edit updates that item. Outside the task's
    partition so the detail's Query never reads it."""

    comment_pk = UnicodeAttribute()
    comment_sk = UnicodeAttribute()


class _ExtrasItem(TableItem, discriminator="TaskExtras"):
    """PK=TASK#{id} SK=TASK#EXTRAS: reporter, attachments and checklist from the last ClickUp
    snapshot (``checklist``), and the holder's own ticks (``ticks``, a map item id -> tick) that
    the sync never overwrites. Sorts just before the task item, so the detail's Query reads it."""

    reporter_name = UnicodeAttribute(null=True)
    reporter_role = UnicodeAttribute(null=True)
    attachments = JSONAttribute(null=True)
    checklist = JSONAttribute(null=True)
    source_updated_ms = NumberAttribute(null=True)
    ticks = MapAttribute(null=True)


def comment_from_raw(raw: dict[str, Any]) -> Comment:
    return Comment(
        task_id=raw["task_id"]["S"],
        at=datetime.fromisoformat(raw["at"]["S"]),
        author_name=raw["author_name"]["S"],
        text=raw["text"]["S"],
        source=CommentSource(raw["source"]["S"]),
        event_id=raw["event_id"]["S"],
        author_id=_s(raw, "author_id"),
        clickup_comment_id=_s(raw, "clickup_comment_id"),
    )


def extras_from_raw(raw: dict[str, Any]) -> TaskExtras:
    name, role = _s(raw, "reporter_name"), _s(raw, "reporter_role")
    attachments = json.loads(_s(raw, "attachments") or "[]")
    checklist = json.loads(_s(raw, "checklist") or "[]")
    ticks = []
    for item_id, value in (raw.get("ticks") or {}).get("M", {}).items():
        tick = value.get("M", {})
        ticks.append(
            StepTick(
                item_id=item_id,
                resolved=bool(tick.get("resolved", {}).get("BOOL", False)),
                at_ms=int(tick.get("at_ms", {}).get("N", "0")),
                by_name=tick.get("by", {}).get("S", ""),
            )
        )
    return TaskExtras(
        reporter=Reporter(name, role) if name else None,
        attachments=tuple(Attachment(**a) for a in attachments),
        checklist=tuple(ChecklistStep(**c) for c in checklist),
        source_updated_ms=_n(raw, "source_updated_ms"),
        ticks=tuple(ticks),
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
        previous_assignee_id=_s(raw, "previous_assignee_id"),
    )


def _same_cell(before: _FacetKey | None) -> Any:
    """The task is still counted where ``before`` says. An item stored before the facet cells
    existed has none and is refused until ``manage.py backfill_feed`` counts it (a move cannot
    know whether to take it out of a cell it was never put in)."""
    if before is None:
        return _TaskItem.facet_cell.does_not_exist()
    return _TaskItem.facet_cell == before.cell


def _counter_actions(
    before: _FacetKey | None, after: _FacetKey | None, *, counted: bool = True
) -> list[tuple[str, list[Any]]]:
    status_moves = _counter_moves(
        (before.shop, before.status) if before else None, (after.shop, after.status) if after else None
    )
    cells = cell_moves(before if counted else None, after)
    return [
        (shop, counter_update_actions(shop, status_moves.get(shop, {}), cells.get(shop)))
        for shop in sorted(set(status_moves) | set(cells))
    ]


def counter_writes(before: _FacetKey | None, after: _FacetKey | None, *, counted: bool = True) -> list[Write]:
    """The counter moves of one task write, from where it was counted (``before``) to where it
    is counted now (``after``; None: not counted, i.e. absent or deleted): the per-status shop
    counters and the task list's facet cells, one UpdateItem per shop touched. Every
    transaction that creates, moves or deletes a task gets its counter writes from here.
    ``counted`` False: ``before`` is in the status counters but in no cell yet (stored before
    the cells existed), so the cell is added to, not moved from."""
    return [
        update(counter_key(shop), actions)
        for shop, actions in _counter_actions(before, after, counted=counted)
    ]


def _raw_counter_cells(items: Sequence[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """``(shop, cell, value)`` of the non-zero facet cells on counter items as DynamoDB sent
    them (attribute-value maps), in one pass: a ``counts=true`` page reads a few thousand (issue
    26). The same cells as ``tasks.feed.counter_cells`` of the items' plain values."""
    out: list[tuple[str, str, int]] = []
    for raw in items:
        shop = (raw.get("slug") or {}).get("S")
        if not isinstance(shop, str):
            continue
        for name, value in raw.items():
            if is_cell(name):
                number = value.get("N")
                if number and number != "0":
                    out.append((shop, name, int(number)))
    return out


class DynamoTaskRepository:
    def __init__(self, *, cursor_secret: str | Sequence[str]) -> None:
        ensure_configured()
        self._secret = cursor_secret

    # -- reads -----------------------------------------------------------------------------

    def get(self, task_id: str) -> Task | None:
        detail = self.get_detail(task_id)
        return detail.task if detail else None

    def get_detail(self, task_id: str, *, include_snapshot: bool = False) -> TaskDetail | None:
        """One Query on the task's item collection, newest first: the extras (SK=TASK#EXTRAS),
        the task (SK=TASK; both sort after SNAPSHOT and every HIST#...) and the newest page of
        its activity (history entries and comments). The raw ClickUp snapshot (kilobytes) is
        only for the staff pages; the API's query filters it out server-side."""
        page = query_page(
            TableItem,
            f"TASK#{task_id}",
            limit=3 + ACTIVITY_PAGE,
            newest_first=True,
            consistent=True,
            filter_condition=None if include_snapshot else TableItem.item_type != _SnapshotItem,
            raw=True,
        )
        kinds = [(item.get("type", {}).get("S"), item) for item in page.items]
        task = next((task_from_raw(item) for kind, item in kinds if kind == "Task"), None)
        if task is None:
            return None
        feed = [item for kind, item in kinds if kind in _ACTIVITY_KINDS]
        activity, cursor = self._activity(task_id, feed, ACTIVITY_PAGE, more=page.last_key is not None)
        history = tuple(e for e in activity if isinstance(e, HistoryEntry))
        snapshot = next((item for kind, item in kinds if kind == "TaskSnapshot"), None)
        extras = next((extras_from_raw(item) for kind, item in kinds if kind == "TaskExtras"), None)
        return TaskDetail(
            task=task,
            history=history[:HISTORY_ON_DETAIL],
            raw_snapshot=json.loads(snapshot["raw"]["S"]) if snapshot else None,
            snapshot_at=datetime.fromisoformat(snapshot["fetched_at"]["S"]) if snapshot else None,
            extras=extras,
            activity=activity,
            activity_cursor=cursor,
        )

    def activity_page(
        self, task_id: str, *, limit: int = ACTIVITY_PAGE, cursor: str | None = None
    ) -> tuple[tuple[HistoryEntry | Comment, ...], str | None] | None:
        """A page of the activity feed (history and comments, newest first): one Query. The
        first page also reads the task item (None when there is no such task)."""
        start = cursors.decode(
            cursor, scope=f"activity|{task_id}", secret=self._secret, allowed_keys=INDEX_KEYS[None]
        )
        page = query_page(
            TableItem,
            f"TASK#{task_id}",
            limit=limit if start else limit + 2,  # the first page: the task and the snapshot too
            range_key_condition=TableItem.sk <= "TASK",
            newest_first=True,
            start_key=start,
            raw=True,
        )
        kinds = [(item.get("type", {}).get("S"), item) for item in page.items]
        if start is None and not any(k == "Task" and not task_from_raw(i).deleted for k, i in kinds):
            return None
        feed = [item for kind, item in kinds if kind in _ACTIVITY_KINDS]
        return self._activity(task_id, feed, limit, more=page.last_key is not None)

    def _activity(
        self, task_id: str, feed: list[dict[str, Any]], limit: int, *, more: bool
    ) -> tuple[tuple[HistoryEntry | Comment, ...], str | None]:
        more = more or len(feed) > limit
        feed = feed[:limit]
        entries = tuple(
            history_from_raw(i) if i["type"]["S"] == "TaskHistory" else comment_from_raw(i) for i in feed
        )
        cursor = None
        if more and feed:
            last = feed[-1]
            cursor = cursors.encode(
                {"PK": last["PK"], "SK": last["SK"]}, scope=f"activity|{task_id}", secret=self._secret
            )
        return entries, cursor

    def extras_write(self, task_id: str, extras: TaskExtras) -> Write:
        """ClickUp's side of the extras (never the holder's ticks); the sync writes it with the
        task, in the same transaction."""
        key = _ExtrasItem(pk=f"TASK#{task_id}", sk=EXTRAS_SK)
        actions = [
            _ExtrasItem.item_type.set(_ExtrasItem),
            _ExtrasItem.attachments.set([vars_(a) for a in extras.attachments]),
            _ExtrasItem.checklist.set([vars_(c) for c in extras.checklist]),
            _ExtrasItem.ticks.set(_ExtrasItem.ticks | {}),  # created empty, then left alone
        ]
        reporter = extras.reporter
        if reporter is not None:
            actions.append(_ExtrasItem.reporter_name.set(reporter.name))
            actions.append(
                _ExtrasItem.reporter_role.set(reporter.role)
                if reporter.role
                else _ExtrasItem.reporter_role.remove()
            )
        else:
            actions += [_ExtrasItem.reporter_name.remove(), _ExtrasItem.reporter_role.remove()]
        if extras.source_updated_ms is not None:
            actions.append(_ExtrasItem.source_updated_ms.set(extras.source_updated_ms))
        return update(key, actions)

    def tick_writes(
        self, task: Task, step: ChecklistStep, *, resolved: bool, holder_id: str, at_ms: int, by_name: str
    ) -> list[Write]:
        """The holder's tick: only while the task is IN_PROGRESS and held by ``holder_id`` (a
        condition on the task item, in the same transaction)."""
        task_key = _TaskItem(pk=f"TASK#{task.id}", sk="TASK")
        held = (
            (_TaskItem.status == TaskStatus.IN_PROGRESS.value)
            & (_TaskItem.assignee_id == holder_id)
            & (_TaskItem.deleted == False)  # noqa: E712 - a pynamodb condition, not a comparison
        )
        key = _ExtrasItem(pk=f"TASK#{task.id}", sk=EXTRAS_SK)
        tick = {"resolved": resolved, "at_ms": at_ms, "by": by_name[:200]}
        return [
            check(task_key, held, tag="holder"),
            update(
                key,
                [_ExtrasItem.ticks[step.id].set(tick)],  # type: ignore[index]
                condition=_ExtrasItem.ticks.exists(),
                tag="step",
            ),
        ]

    def current_tick(self, task_id: str, item_id: str) -> StepTick | None:
        """The holder's latest tick of one step (one consistent GetItem of the extras item)."""
        with storage_errors():
            try:
                item = _ExtrasItem.get(f"TASK#{task_id}", EXTRAS_SK, consistent_read=True)
            except _ExtrasItem.DoesNotExist:
                return None
        tick = (item.ticks.as_dict() if item.ticks is not None else {}).get(item_id)
        if not isinstance(tick, dict):
            return None
        return StepTick(
            item_id, bool(tick.get("resolved")), int(tick.get("at_ms") or 0), str(tick.get("by") or "")
        )

    def comment_write(self, comment: Comment) -> Write:
        """A new comment; a second write of the same one (a replayed webhook) is refused."""
        return put(
            _CommentItem.from_comment(comment),
            condition=_CommentItem.pk.does_not_exist(),
            tag="comment",
            event=comment,
        )

    def clickup_comment_writes(self, comment: Comment, *, version_ms: int) -> list[Write]:
        """A comment written in ClickUp, stored once per ClickUp comment id (both writes are
        refused, tag ``comment``, when that id is already stored, whatever its date)."""
        item = _CommentItem.from_comment(comment)
        item.version_ms = version_ms
        ref = _ClickUpCommentRefItem(
            pk=f"CLICKUP_COMMENT#{comment.clickup_comment_id}",
            sk="REF",
            comment_pk=item.pk,
            comment_sk=item.sk,
        )
        return [
            put(ref, condition=_ClickUpCommentRefItem.pk.does_not_exist(), tag="comment"),
            put(item, condition=_CommentItem.pk.does_not_exist(), tag="comment"),
        ]

    def edit_clickup_comment(self, clickup_comment_id: str, *, text: str, version_ms: int) -> bool:
        """The stored comment takes ``text`` if ``version_ms`` is newer than the text it holds
        (edits arriving out of order end with the newest). False when nothing changed."""
        try:
            with storage_errors():
                ref = _ClickUpCommentRefItem.get(
                    f"CLICKUP_COMMENT#{clickup_comment_id}", "REF", consistent_read=True
                )
        except _ClickUpCommentRefItem.DoesNotExist:
            return False
        key = _CommentItem(pk=ref.comment_pk, sk=ref.comment_sk)
        condition = _CommentItem.pk.exists() & (
            _CommentItem.version_ms.does_not_exist() | (_CommentItem.version_ms < version_ms)
        )
        return conditional_update(
            key, [_CommentItem.text.set(text), _CommentItem.version_ms.set(version_ms)], condition
        )

    def commentable_check(self, task_id: str) -> Write:
        """The task exists and is not deleted (a comment on it may be stored)."""
        key = _TaskItem(pk=f"TASK#{task_id}", sk="TASK")
        condition = _TaskItem.pk.exists() & (_TaskItem.deleted == False)  # noqa: E712
        return check(key, condition, tag="task")

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
        before, after = facet_key(task), facet_key(task, status=to_status)
        keys = feed_keys(task, to_status)
        actions = [
            _TaskItem.status.set(to_status.value),
            *(getattr(_TaskItem, n.lower()).set(keys[n]) for n in STATUS_KEYED if n in keys),
            _TaskItem.updated_at.set(at),
            _TaskItem.revision.add(1),
        ]
        if after is not None:
            actions.append(_TaskItem.facet_cell.set(after.cell))
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
        condition &= _same_cell(before)
        key = _TaskItem(pk=f"TASK#{task.id}", sk="TASK")
        writes = [update(key, actions, condition=condition, tag=tag)]
        writes += counter_writes(before, after)
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
            *(getattr(_TaskItem, n.lower()).remove() for n in FEED_KEY_ATTRIBUTES),
            _TaskItem.facet_cell.remove(),
            _TaskItem.updated_at.set(at),
            _TaskItem.revision.add(1),
        ]
        before = facet_key(task)
        condition = (
            (_TaskItem.deleted == False)  # noqa: E712 - a pynamodb condition, not a comparison
            & (_TaskItem.status == task.status.value)
            & (_TaskItem.shop == task.shop)
            & _same_cell(before)
        )
        writes = [update(key, actions, condition=condition, tag=tag)]
        return writes + counter_writes(before if counters else None, None)

    def history_write(self, entry: HistoryEntry) -> Write:
        return put(
            _HistoryItem.from_entry(entry),
            condition=_HistoryItem.pk.does_not_exist(),
            tag="history",
            event=entry,
        )

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

    def list_feed(self, query: FeedQuery, *, limit: int = 20, cursor: str | None = None) -> TaskPage:
        """A page of the task list for any combination of filters and sorts (tasks/feed.py):
        one Query on the index ``plan`` picks; filters its key does not serve are a filter
        expression, with the same read-ahead as the urgency filter."""
        p = plan(query)
        start = cursors.decode(
            cursor, scope=f"feed|{query.scope()}", secret=self._secret, allowed_keys=INDEX_KEYS[p.index]
        )
        key_condition = getattr(_TaskItem, f"{p.index.lower()}sk").startswith(p.prefix) if p.prefix else None
        conditions = []
        if "shop" in p.filters:
            conditions.append(_TaskItem.shop == query.shop)
        if "urgency" in p.filters and query.urgency:
            conditions.append(_TaskItem.urgency == query.urgency.value)
        if "type" in p.filters and query.type:
            conditions.append(_TaskItem.feed_type == query.type.value)
        if "time" in p.filters and query.time:
            conditions.append(_TaskItem.time_bucket == query.time.value)
        if "search" in p.filters and query.search:
            conditions.append(_TaskItem.search_text.contains(query.search.strip().lower()))
        filter_condition = None
        for c in conditions:
            filter_condition = c if filter_condition is None else filter_condition & c
        page = query_page(
            _TaskItem,
            p.hash_key,
            index=p.index,
            range_key_condition=key_condition,
            filter_condition=filter_condition,
            newest_first=not p.forward,
            start_key=start,
            limit=limit,
            read_ahead=FILTER_READ_AHEAD if conditions else 1,
            raw=True,
        )
        return TaskPage(
            items=[task_from_raw(item) for item in page.items],
            next_cursor=cursors.encode(page.last_key, scope=f"feed|{query.scope()}", secret=self._secret),
        )

    def feed_counts(self, query: FeedQuery, shops: Sequence[str]) -> Counts:
        """Total and facet counts of ``query`` from the shops' counter items: one Query on the
        ``PK=SHOPS`` collection (the counter items only), summed here; no task is counted."""
        page = query_page(
            TableItem,
            SHOPS_PK,
            range_key_condition=TableItem.sk.startswith("SHOP#"),
            filter_condition=TableItem.item_type == ShopTaskCountsItem,
            limit=200,
            raw=True,
        )
        return count(query, _raw_counter_cells(page.items), shops)

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
        counted = bool(item.deleted) or item.facet_cell is not None
        return StoredTask(item.to_task(), int(item.revision or 0), local, counted)

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
        writes = [put(item, condition=condition, tag="task", event=task)]
        before = counted_before if counted_before is not None else (previous.task if previous else None)
        counted = counted_before is not None or previous is None or previous.counted
        writes += counter_writes(facet_key(before), facet_key(task), counted=counted)
        if previous is not None and _mirrored(task):
            writes.append(report_status_write(task.report_id, task.status))  # type: ignore[arg-type]
        return writes

    def backfill_feed_writes(self, task_id: str) -> list[Write]:
        """For a task stored before the task list's indexes and facet cells existed: its GSI4..7
        keys, filter attributes and facet cell, and +1 in that cell, conditioned on the task being
        exactly as read and still without a cell (so running it twice, or racing a task write,
        never counts it twice). Nothing when the task has its cell already or is deleted."""
        item = self._get_item(task_id)
        if item is None or item.deleted or item.facet_cell is not None:
            return []
        task = item.to_task()
        key = facet_key(task)
        if key is None:
            return []
        actions = [getattr(_TaskItem, n.lower()).set(v) for n, v in feed_keys(task).items()]
        actions += [
            _TaskItem.feed_type.set(feed_type(task.task_type, task.problem_type).value),
            _TaskItem.time_bucket.set(time_bucket(task.estimate_minutes).value),
            _TaskItem.facet_cell.set(key.cell),
        ]
        condition = (
            _TaskItem.facet_cell.does_not_exist()
            & (_TaskItem.revision == item.revision)
            & (_TaskItem.deleted == False)  # noqa: E712 - a pynamodb condition, not a comparison
        )
        counted = update(counter_key(task.shop), counter_update_actions(task.shop, {}, {key.cell: 1}))
        return [update(_TaskItem(pk=f"TASK#{task.id}", sk="TASK"), actions, condition=condition), counted]

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
        before = facet_key(current.to_task() if current is not None else None)
        counted = current is None or current.facet_cell is not None
        with storage_errors(), transaction() as tx:
            tx.save(item, condition=condition)
            for shop, actions in _counter_actions(before, facet_key(task), counted=counted):
                tx.update(counter_key(shop), actions=actions)


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
