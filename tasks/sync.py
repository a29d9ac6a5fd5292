"""What a snapshot from ClickUp does to our copy of a task. Pure Python.

ClickUp owns a task's content and status; voldash owns the assignment, the history and the
credit (DESIGN.md section 4). So a snapshot replaces the content, keeps our assignee, and
applies ClickUp's status only when it is newer than voldash's own last status change. When
ClickUp reopens or deletes a task a volunteer holds (or moves it out of the synced lists), the
claim is released and the task keeps no assignee, so a task that comes back is held by nobody;
when ClickUp closes it, it is completed in the volunteer's name (hours pending for a lead to
confirm).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .domain import Assignee, HistoryAction, Task, TaskStatus

HELD = (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD)
# Fields ClickUp owns; a change in any of them is worth a history entry.
CONTENT_FIELDS = (
    "title",
    "description",
    "shop",
    "status",
    "urgency",
    "task_type",
    "problem_type",
    "asset",
    "estimate_minutes",
    "discourse_url",
    "slack_url",
    "list_id",
    "contact_details",
    "tags",
    "due_at",
    "frequency",
)


class SyncKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    TOUCHED = "touched"  # only ClickUp's timestamp moved (e.g. the echo of our own write-back)
    STALE = "stale"  # older than what we hold: nothing to do
    DELETED = "deleted"
    IGNORED = "ignored"  # not ours and not in a synced list


@dataclass(frozen=True)
class SyncOutcome:
    kind: SyncKind
    task: Task | None = None  # what to store (None: store nothing)
    action: HistoryAction | None = None  # history entry to write, if any
    release_holder: Assignee | None = None
    complete_holder: Assignee | None = None
    changed: tuple[str, ...] = ()


def decide_sync(
    current: Task | None, incoming: Task | None, *, local_status_ms: int | None = None
) -> SyncOutcome:
    """``incoming`` None means ClickUp deleted the task or it left the synced lists."""
    if incoming is None or incoming.deleted:
        if current is None or current.deleted:
            return SyncOutcome(SyncKind.IGNORED)
        gone = current.with_changes(
            deleted=True, updated_at=incoming.updated_at if incoming else current.updated_at
        )
        if incoming is not None:
            gone = gone.with_changes(source_updated_ms=incoming.source_updated_ms)
        holder = current.assignee if current.status in HELD else None
        if holder is not None:
            # The claim ends with the task: the record, the counter and the assignee together,
            # so a task that comes back (moved back, restored from the trash) has no phantom holder.
            gone = gone.with_changes(assignee=None)
        return SyncOutcome(SyncKind.DELETED, gone, HistoryAction.DELETED, release_holder=holder)

    if current is None:
        return SyncOutcome(SyncKind.CREATED, incoming.with_changes(assignee=None), HistoryAction.CREATED)

    if (
        current.source_updated_ms is not None
        and incoming.source_updated_ms is not None
        and incoming.source_updated_ms <= current.source_updated_ms
        and not current.deleted
    ):
        return SyncOutcome(SyncKind.STALE)

    # A deleted task holds nobody: its claim ended when it left (older data may still name the
    # holder of a task deleted while held; that claim was released then, so it is not restored).
    kept = None if current.deleted and current.status in HELD else current.assignee
    merged = incoming.with_changes(
        assignee=kept,
        discourse_url=incoming.discourse_url or current.discourse_url,
        report_id=incoming.report_id or current.report_id,
        created_at=current.created_at if current.created_at < incoming.created_at else incoming.created_at,
    )
    release = complete = None
    action: HistoryAction | None = HistoryAction.UPDATED
    ours_is_newer = (
        local_status_ms is not None
        and incoming.source_updated_ms is not None
        and incoming.source_updated_ms <= local_status_ms
    )
    if ours_is_newer:
        merged = merged.with_changes(status=current.status)
    elif kept is not None and current.status in HELD:
        if merged.status is TaskStatus.OPEN:
            release, action = current.assignee, HistoryAction.REOPENED
            merged = merged.with_changes(assignee=None)
        elif merged.status is TaskStatus.DONE:
            complete, action = current.assignee, HistoryAction.COMPLETED
    elif current.status is TaskStatus.DONE and merged.status is not TaskStatus.DONE:
        action = HistoryAction.REOPENED
        merged = merged.with_changes(assignee=None)
    if current.deleted:
        action = HistoryAction.CREATED  # it came back (moved back into a synced list, or restored)
    changed = tuple(f for f in CONTENT_FIELDS if getattr(current, f) != getattr(merged, f))
    if current.deleted != merged.deleted:
        changed = (*changed, "deleted")
    if not changed and merged.assignee == current.assignee:
        return SyncOutcome(SyncKind.TOUCHED, merged)
    return SyncOutcome(
        SyncKind.UPDATED, merged, action, release_holder=release, complete_holder=complete, changed=changed
    )
