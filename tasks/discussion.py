"""Comments and checklist ticks on a task (issue 14 item 3, issue 18 item 1). Pure use cases:
each is one DynamoDB transaction (a condition on the task, the new item, the outbox message
that carries it to ClickUp), so what the member sees and what reaches ClickUp cannot part."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from integrations.outbox.domain import Channel, OutboxMessage
from voldash_site.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, WriteRefused

from .clickup_text import comment_marker, quote_outside, with_marker
from .domain import (
    MAX_COMMENT_LENGTH,
    ChecklistStep,
    Comment,
    CommentSource,
    HistoryAction,
    HistoryEntry,
    HistorySource,
    StepTick,
    TaskStatus,
    clean_comment,
)

COMMENT_ACTION = "task.comment"
CHECKLIST_ACTION = "task.checklist"
# Each comment costs two ClickUp calls from the shared budget (the look-up, the post): a member
# may post this many per window (issue 23, finding 9).
COMMENT_LIMIT = 30
COMMENT_WINDOW_SECONDS = 60 * 60


class CommentLimitReached(DomainError):
    code = "rate_limited"


@dataclass
class DiscussionDeps:
    tasks: Any  # TaskRepository
    outbox: Any  # OutboxRepository
    uow: Any  # UnitOfWork
    clock: Callable[[], datetime]
    volunteers: Any  # VolunteerRepository: the author's membership, checked in the transaction
    # (scope, key, window=, max_hits=, expires_at=, tag=) -> a counting Write refused at the limit
    rate_write: Callable[..., Any]


def clickup_comment_text(author: str, text: str, marker: str) -> str:
    """What ClickUp shows: plain text (``comment_text``), control characters removed, the
    member's words quoted by the one rule (tasks/clickup_text.py), and the marker as the last
    line: it finds the comment again after a lost answer and tells its webhook echo apart."""
    who = " ".join(clean_comment(author).split()) or "A volunteer"
    words = quote_outside(clean_comment(text))
    return with_marker(f"{quote_outside(who)} (volunteer dashboard): {words}", marker)


def post_comment(
    *, task_id: str, author_id: str, author_name: str, text: str, deps: DiscussionDeps
) -> Comment:
    """Store the comment (it is in the activity feed at once) and queue it for ClickUp. One
    transaction, refused unless the task is there, the author's membership is active (read
    from their profile now, not from the session) and they are under ``COMMENT_LIMIT`` comments
    in the window."""
    cleaned = clean_comment(text)
    if not cleaned:
        raise InvalidInput("A comment needs some text.", field="text")
    if len(cleaned) > MAX_COMMENT_LENGTH:
        raise InvalidInput(f"A comment is at most {MAX_COMMENT_LENGTH} characters.", field="text")
    now = deps.clock()
    comment = Comment(
        task_id=task_id,
        at=now,
        author_name=author_name,
        text=cleaned,
        source=CommentSource.API,
        event_id=uuid.uuid4().hex[:16],
        author_id=author_id,
    )
    message = OutboxMessage(
        channel=Channel.CLICKUP,
        action=COMMENT_ACTION,
        task_id=task_id,
        created_at=now,
        payload={"author": author_name, "text": cleaned, "marker": comment_marker(comment.event_id)},
    )
    window = int(now.timestamp()) // COMMENT_WINDOW_SECONDS
    window_ends = (window + 1) * COMMENT_WINDOW_SECONDS
    comment_write = deps.tasks.comment_write(comment)
    writes = [
        deps.tasks.commentable_check(task_id),
        deps.volunteers.active_member_check(author_id),
        deps.rate_write(
            "comment",
            author_id,
            window=window,
            max_hits=COMMENT_LIMIT,
            expires_at=window_ends + COMMENT_WINDOW_SECONDS,
            tag="rate",
        ),
        comment_write,
        *deps.outbox.enqueue_writes([message]),
    ]
    try:
        deps.uow.commit(writes, witness=comment_write)
    except WriteRefused as refused:
        if "task" in refused.tags:
            raise NotFound(f"No task with id {task_id!r}.", detail={"id": task_id}) from refused
        if "member" in refused.tags:
            raise Forbidden(
                "Commenting needs an active Asmbly membership.", code="membership_inactive"
            ) from refused
        if "rate" in refused.tags:
            retry = max(1, window_ends - int(now.timestamp()))
            raise CommentLimitReached(
                f"At most {COMMENT_LIMIT} comments an hour; try again later.",
                detail={"retry_after_seconds": retry},
            ) from refused
        raise Conflict("The task changed while we were writing; try again.") from refused
    return comment


@dataclass(frozen=True)
class TickResult:
    task_id: str
    steps: tuple[ChecklistStep, ...]


def tick_step(
    *, task_id: str, item_id: str, resolved: bool, actor_id: str, actor_name: str, deps: DiscussionDeps
) -> TickResult:
    """The holder ticks (or unticks) a checklist step of a task in progress. Stored at once,
    conditioned on the task still being IN_PROGRESS and held by the actor; the ClickUp
    checklist item follows through the outbox."""
    detail = deps.tasks.get_detail(task_id)
    if detail is None or detail.task.deleted:
        raise NotFound(f"No task with id {task_id!r}.", detail={"id": task_id})
    task = detail.task
    steps = detail.extras.checklist if detail.extras else ()
    step = next((s for s in steps if s.id == item_id), None)
    if step is None:
        raise NotFound(f"Task {task_id!r} has no checklist step {item_id!r}.", detail={"item_id": item_id})
    if task.assignee is None or task.assignee.neon_id != actor_id:
        raise Forbidden("Only the volunteer holding this task ticks its steps.", code="not_your_task")
    if task.status is not TaskStatus.IN_PROGRESS:
        raise Conflict("Steps are ticked while the task is in progress.", code="task_not_in_progress")
    now = deps.clock()
    at_ms = int(now.timestamp() * 1000)
    entry = HistoryEntry(
        task_id=task_id,
        at=now,
        action=HistoryAction.STEP_CHECKED if resolved else HistoryAction.STEP_UNCHECKED,
        source=HistorySource.API,
        actor_id=actor_id,
        actor_name=actor_name,
        from_status=task.status,
        to_status=task.status,
        assignee_id=actor_id,
        assignee_name=actor_name,
        note=step.name[:500],
        event_id=uuid.uuid4().hex[:12],
        task_title=task.title,
        shop=task.shop,
    )
    message = OutboxMessage(
        channel=Channel.CLICKUP,
        action=CHECKLIST_ACTION,
        task_id=task_id,
        created_at=now,
        payload={
            "checklist_id": step.checklist_id,
            "item_id": step.id,
            "resolved": resolved,
            "at_ms": at_ms,
        },
    )
    history = deps.tasks.history_write(entry)
    writes = [
        *deps.tasks.tick_writes(
            task, step, resolved=resolved, holder_id=actor_id, at_ms=at_ms, by_name=actor_name
        ),
        history,
        *deps.outbox.enqueue_writes([message]),
    ]
    try:
        deps.uow.commit(writes, witness=history)
    except WriteRefused as refused:
        raise Conflict(
            "The task changed while we were writing (released, completed or re-synced); reload it.",
            code="task_changed",
        ) from refused
    extras = detail.extras
    kept = [t for t in extras.ticks if t.item_id != item_id]
    ticks = (*kept, StepTick(item_id, resolved, at_ms, actor_name))
    return TickResult(task_id, replace(extras, ticks=ticks).steps())
