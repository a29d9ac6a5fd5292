"""The ClickUp side of the sync pattern: events are hints, ClickUp's API is the truth.

``apply_snapshot`` is the one place a ClickUp task becomes our task: webhooks (after a re-read
of ``GET /task/{id}``), Automation payloads and the reconcile sweep all go through it, so a
replayed, duplicated or out-of-order event can change nothing that a newer one already set.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from integrations.inbox.domain import InboxEvent, InboxStatus
from integrations.outbox.domain import Channel, OutboxMessage
from tasks.clickup_text import is_our_comment
from tasks.domain import (
    MAX_COMMENT_LENGTH,
    Comment,
    CommentSource,
    HistoryAction,
    HistoryEntry,
    HistorySource,
    Task,
    clean_comment,
)
from tasks.sync import SyncKind, SyncOutcome, decide_sync
from voldash_site.errors import WriteRefused
from voldash_site.escaping import discourse_text
from voldash_site.outside_json import parse_json
from volunteers.domain import HoursEntry

from .mapping import ClickUpMapping, normalize_extras, normalize_task

logger = logging.getLogger("voldash.sync.clickup")
SERVICE = "clickup"
WRITE_RETRIES = 4
# A task ClickUp closes while a volunteer holds it is credited with its estimate (or this),
# pending a lead's confirmation.
DEFAULT_CLOSED_HOURS = 1.0


@dataclass
class ClickUpSyncDeps:
    tasks: Any
    volunteers: Any
    outbox: Any
    uow: Any
    client: Any  # ClickUpClient
    mapping: ClickUpMapping
    clock: Callable[[], datetime]
    discourse_category: int | None = None
    # A ClickUp task new to voldash may be one we created for a problem report: this returns
    # the task to store and the writes that retire the provisional task (tasks/reports).
    # (task to store, extra writes, the task the shop counters counted until now)
    adopt: Callable[[Task, datetime], tuple[Task, list[Any], Task | None]] | None = None


def _history(
    task: Task, before: Task | None, outcome: SyncOutcome, now: datetime, event: str
) -> HistoryEntry:
    holder = outcome.release_holder or outcome.complete_holder or task.assignee
    note = ", ".join(outcome.changed) if outcome.changed else None
    return HistoryEntry(
        task_id=task.id,
        at=now,
        action=outcome.action,  # type: ignore[arg-type]
        source=HistorySource.CLICKUP,
        actor_name="ClickUp",
        from_status=before.status if before else None,
        to_status=task.status,
        assignee_id=holder.neon_id if holder else None,
        assignee_name=holder.name if holder else None,
        note=f"{event}: {note}" if note else event,
        event_id=uuid.uuid4().hex[:12],
        task_title=task.title,
        shop=task.shop,
        hours=None,
    )


def _discourse_message(task: Task, deps: ClickUpSyncDeps, now: datetime) -> OutboxMessage:
    local = now.strftime("%Y-%m-%d")
    title = f"{local} - {task.shop} - {task.title}"
    if len(title) < 20:
        title = f"{title} (repair request)"
    # The title and description are the reporter's words: shown as text, never as markdown,
    # HTML or @mentions. The ClickUp link is ours (Task keeps only https links on clickup.com).
    description = discourse_text(task.description) if task.description else "No details were given."
    raw = (
        f"**{discourse_text(task.title)}**\n\n{description}\n\n"
        f"Shop: {task.shop} · Urgency: {task.urgency.value}\n\n"
        f"Track it in ClickUp: {task.clickup_url or 'https://app.clickup.com/t/' + task.id}\n\n"
        "_Posted by the Asmbly Volunteer Dashboard._"
    )
    return OutboxMessage(
        channel=Channel.DISCOURSE,
        action="task.major_repair",
        task_id=task.id,
        created_at=now,
        payload={
            "title": title[:250],
            "raw": raw,
            "category": deps.discourse_category,
            "external_id": f"voldash-{task.id}"[:50],
        },
    )


def _wants_topic(outcome: SyncOutcome, before: Task | None, deps: ClickUpSyncDeps) -> bool:
    task = outcome.task
    if task is None or task.deleted or task.discourse_url or task.status.value == "DONE":
        return False
    if task.urgency not in deps.mapping.discourse_urgencies:
        return False
    became_major = before is not None and before.urgency not in deps.mapping.discourse_urgencies
    return outcome.kind is SyncKind.CREATED or became_major


def apply_snapshot(
    task_id: str, raw: dict[str, Any] | None, deps: ClickUpSyncDeps, *, event: str
) -> SyncOutcome:
    """Bring our copy of ``task_id`` in line with ClickUp's ``raw`` task (None: deleted)."""
    now = deps.clock()
    incoming: Task | None = None
    if raw is not None:
        normalized = normalize_task(raw, deps.mapping, now=now)
        incoming = normalized.task
        if normalized.reason and incoming is not None:
            logger.info("sync.clickup.normalized", extra={"task_id": task_id, "note": normalized.reason})
    held = True  # the holder's claim record exists (as it must); flipped if DynamoDB says otherwise
    for _ in range(WRITE_RETRIES):
        stored = deps.tasks.get_stored(task_id)
        before = stored.task if stored else None
        outcome = decide_sync(before, incoming, local_status_ms=stored.local_status_ms if stored else None)
        if outcome.kind in (SyncKind.STALE, SyncKind.IGNORED) or outcome.task is None:
            return outcome
        task = outcome.task
        adopted: list[Any] = []
        counted: Task | None = None
        if outcome.kind is SyncKind.CREATED and deps.adopt is not None:
            task, adopted, counted = deps.adopt(task, now)
        writes = deps.tasks.snapshot_writes(task, previous=stored, counted_before=counted)
        if raw is not None:
            writes.append(deps.tasks.snapshot_write(task_id, raw, now))
            if not task.deleted:
                writes.append(deps.tasks.extras_write(task_id, normalize_extras(raw)))
        if outcome.action is not None and outcome.kind is not SyncKind.TOUCHED:
            writes.append(deps.tasks.history_write(_history(task, before, outcome, now, event)))
        if outcome.release_holder:
            writes += deps.volunteers.unclaim_writes(outcome.release_holder.neon_id, task_id, recorded=held)
        if outcome.complete_holder:
            holder = outcome.complete_holder
            hours = round(task.estimate_minutes / 60, 2) if task.estimate_minutes else DEFAULT_CLOSED_HOURS
            entry = HoursEntry(
                neon_id=holder.neon_id,
                task_id=task_id,
                task_title=task.title,
                shop=task.shop,
                hours=min(hours, 12.0),
                points=task.points,
                completed_at=now,
                note="Closed in ClickUp; hours estimated from the task, please confirm",
            )
            writes += deps.volunteers.complete_writes(holder.neon_id, holder.name, entry, recorded=held)
        if _wants_topic(outcome, before, deps) and not adopted:
            writes += deps.outbox.enqueue_writes([_discourse_message(task, deps, now)])
        writes += adopted
        try:
            deps.uow.commit(writes)
        except WriteRefused as refused:
            if "task" in refused.tags or "report" in refused.tags or refused.conflict:
                continue  # changed underneath (a claim, another event): decide again on fresh data
            if "held_claim" in refused.tags:
                held = not held  # no claim record to free (older data): free no slot, or the reverse
                continue
            raise
        logger.info(
            "sync.clickup.applied", extra={"task_id": task_id, "kind": outcome.kind.value, "trigger": event}
        )
        return outcome
    raise RuntimeError(f"task {task_id} kept changing while syncing; will retry")


def event_task_id(payload: dict[str, Any]) -> str | None:
    if isinstance(payload.get("payload"), dict):  # Automation "Call webhook"
        value = payload["payload"].get("id")
    else:
        value = payload.get("task_id")
    return str(value) if value else None


COMMENT_EVENTS = ("taskCommentPosted", "taskCommentUpdated")


@dataclass(frozen=True)
class ClickUpComment:
    comment: Comment
    version_ms: int  # when this text was written (the history item's date): the newest edit wins


def comments_from_event(body: str, task_id: str) -> list[ClickUpComment]:
    """The comments a ``taskCommentPosted``/``taskCommentUpdated`` body carries
    (``history_items[].comment``), as plain text; our own comments echoing back (their last
    line is our marker, tasks/clickup_text.py) are left out."""
    try:
        payload = parse_json(body)
    except ValueError:
        return []
    items = payload.get("history_items") if isinstance(payload, dict) else None
    out: list[ClickUpComment] = []
    for item in items if isinstance(items, list) else []:
        comment = item.get("comment") if isinstance(item, dict) else None
        if not isinstance(comment, dict) or not comment.get("id"):
            continue
        full = clean_comment(str(comment.get("text_content") or ""))
        if not full or is_our_comment(full):
            continue
        user = comment.get("user") if isinstance(comment.get("user"), dict) else {}
        try:
            at = datetime.fromtimestamp(int(str(comment.get("date") or item.get("date"))) / 1000, tz=UTC)
            version_ms = int(str(item.get("date") or comment.get("date")))
        except (TypeError, ValueError, OverflowError, OSError):
            continue
        comment_id = str(comment["id"])[:64]
        out.append(
            ClickUpComment(
                Comment(
                    task_id=task_id,
                    at=at,
                    author_name=clean_comment(str(user.get("username") or "ClickUp"))[:200] or "ClickUp",
                    text=full[:MAX_COMMENT_LENGTH],
                    source=CommentSource.CLICKUP,
                    event_id="cu" + hashlib.sha256(comment_id.encode()).hexdigest()[:16],
                    clickup_comment_id=comment_id,
                ),
                version_ms,
            )
        )
    return out


def store_clickup_comments(event: InboxEvent, deps: ClickUpSyncDeps) -> tuple[InboxStatus, str]:
    """Each comment in its own transaction (with a check that the task is ours and alive). A
    comment id already stored (a replayed event, the same comment with another date, an edit)
    is not stored again: the stored one takes the event's text if it is newer."""
    stored = edited = 0
    for found in comments_from_event(event.body, event.subject_id):
        comment = found.comment
        try:
            deps.uow.commit(
                [
                    deps.tasks.commentable_check(comment.task_id),
                    *deps.tasks.clickup_comment_writes(comment, version_ms=found.version_ms),
                ]
            )
            stored += 1
        except WriteRefused as refused:
            if "task" in refused.tags:
                return InboxStatus.IGNORED, "not a task of ours"
            if "comment" not in refused.tags:
                raise
            if deps.tasks.edit_clickup_comment(
                str(comment.clickup_comment_id), text=comment.text, version_ms=found.version_ms
            ):
                edited += 1
    if not stored and not edited:
        return InboxStatus.IGNORED, "no new comment"
    return InboxStatus.DONE, f"comments stored: {stored}, edited: {edited}"


def handle_clickup_event(event: InboxEvent, deps: ClickUpSyncDeps) -> tuple[InboxStatus, str]:
    """Inbox handler: re-read the task from ClickUp (the event is only a hint) and apply it.
    A comment event stores the comment it carries instead (a comment changes nothing we keep
    of the task itself)."""
    task_id = event.subject_id
    if event.kind in COMMENT_EVENTS:
        return store_clickup_comments(event, deps)
    # Even an Automation payload carrying the whole task is re-read: its shape differs between
    # ClickUp's docs and what Asmbly's automations send (status_id, not a status name).
    raw = None if event.kind == "taskDeleted" else deps.client.get_task(task_id)
    outcome = apply_snapshot(task_id, raw, deps, event=event.kind)
    status = InboxStatus.IGNORED if outcome.kind is SyncKind.IGNORED else InboxStatus.DONE
    return status, outcome.kind.value


# -- the reconcile sweep -------------------------------------------------------------------

OVERLAP_MS = 5 * 60 * 1000


@dataclass
class SweepReport:
    full: bool
    fetched: int = 0
    created: int = 0
    updated: int = 0
    touched: int = 0
    unchanged: int = 0
    deleted: int = 0
    ignored: int = 0
    confirmed: int = 0  # unlisted tasks read one by one before anything is marked deleted
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    drift: dict[str, list[str]] = field(default_factory=dict)
    watermark_ms: int | None = None

    def as_stats(self) -> dict[str, Any]:
        return {
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.updated,
            "touched": self.touched,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "ignored": self.ignored,
            "confirmed": self.confirmed,
            "errors": self.errors[:20],
            "clickup_requests": self.requests,
        }


def sweep(
    deps: ClickUpSyncDeps,
    *,
    since_ms: int | None,
    full: bool,
    known_task_ids: Callable[[], set[str]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> SweepReport:
    """Pull tasks updated since ``since_ms`` (minus an overlap) from every synced list and
    apply them. ``full`` pulls everything and marks our tasks ClickUp no longer has as deleted,
    each confirmed with ``GET /task/{id}`` first; what changed is reported as drift (webhooks
    that never arrived)."""
    report = SweepReport(full=full)
    start_requests = getattr(deps.client, "requests_made", 0)
    after = None if full or since_ms is None else max(0, since_ms - OVERLAP_MS)
    seen: set[str] = set()
    newest = since_ms
    for list_id in deps.mapping.lists:
        page = 0
        while True:
            tasks, last_page = deps.client.list_tasks(list_id, page=page, updated_after_ms=after)
            for raw in tasks:
                task_id = str(raw.get("id"))
                seen.add(task_id)
                report.fetched += 1
                updated_ms = int(raw.get("date_updated") or 0)
                newest = max(newest or 0, updated_ms)
                try:
                    outcome = apply_snapshot(task_id, raw, deps, event="sweep")
                except Exception as exc:  # one bad task must not stop the sweep
                    report.errors.append(f"{task_id}: {type(exc).__name__}: {exc}")
                    continue
                _count(report, outcome, task_id)
                if progress:
                    progress(1)
            if last_page or not tasks:
                break
            page += 1
    if full and known_task_ids is not None:
        # Not listed is not proof of deletion: Get Tasks pages by offset, so a task that changes
        # between two page requests shifts the others across the page boundary and one of them is
        # never listed. Each unlisted task is read on its own; only ClickUp's own answer (404,
        # archived, moved out of the synced lists) marks it deleted.
        for task_id in sorted(known_task_ids() - seen):
            report.confirmed += 1
            try:
                raw = deps.client.get_task(task_id)
                outcome = apply_snapshot(task_id, raw, deps, event="sweep")
            except Exception as exc:  # unconfirmed: leave it as it is, the next sweep asks again
                report.errors.append(f"{task_id}: {type(exc).__name__}: {exc}")
                continue
            _count(report, outcome, task_id)
    report.requests = getattr(deps.client, "requests_made", 0) - start_requests
    report.watermark_ms = newest
    return report


def _count(report: SweepReport, outcome: SyncOutcome, task_id: str) -> None:
    kind = outcome.kind
    if kind is SyncKind.CREATED:
        report.created += 1
        report.drift.setdefault("missing", []).append(task_id)
    elif kind is SyncKind.UPDATED:
        report.updated += 1
        report.drift.setdefault("changed", []).append(f"{task_id} ({', '.join(outcome.changed)})")
    elif kind is SyncKind.TOUCHED:
        report.touched += 1
    elif kind is SyncKind.DELETED:
        report.deleted += 1
        report.drift.setdefault("deleted", []).append(task_id)
    elif kind is SyncKind.STALE:
        report.unchanged += 1
    else:
        report.ignored += 1


def resync_task(task_id: str, deps: ClickUpSyncDeps, *, actor_id: str, actor_name: str) -> SyncOutcome:
    """Staff: read the task from ClickUp now and apply it (recorded in the history)."""
    raw = deps.client.get_task(task_id)
    outcome = apply_snapshot(task_id, raw, deps, event="staff re-sync")
    stored = deps.tasks.get_stored(task_id)
    if stored is not None:
        now = deps.clock()
        entry = HistoryEntry(
            task_id=task_id,
            at=now,
            action=HistoryAction.RESYNCED,
            source=HistorySource.STAFF,
            actor_id=actor_id,
            actor_name=actor_name,
            from_status=stored.task.status,
            to_status=stored.task.status,
            note=f"re-read from ClickUp: {outcome.kind.value}",
            event_id=uuid.uuid4().hex[:12],
            task_title=stored.task.title,
            shop=stored.task.shop,
        )
        deps.uow.commit([deps.tasks.history_write(entry)])
    return outcome
