"""Task use cases (read side for now). No HTTP, no DynamoDB: repositories come in as arguments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voldash_site.errors import InvalidInput, NotFound

from .domain import Task, TaskDetail, TaskStatus, Urgency

if TYPE_CHECKING:
    from .repository import TaskPage, TaskRepository

MAX_PAGE = 100


def list_tasks(
    *,
    tasks: TaskRepository,
    shop: str | None = None,
    status: TaskStatus | None = None,
    urgency: Urgency | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> TaskPage:
    """Tasks of one shop (all statuses, open first, unless ``status`` narrows it), or of one
    status across shops; with neither, the open feed. Newest first. One Query per page."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
    if shop is not None:
        return tasks.list_by_shop(shop, status=status, urgency=urgency, limit=limit, cursor=cursor)
    return tasks.list_by_status(status or TaskStatus.OPEN, urgency=urgency, limit=limit, cursor=cursor)


def get_task(*, tasks: TaskRepository, task_id: str) -> Task:
    task = tasks.get(task_id)
    if task is None or task.deleted:
        raise NotFound(f"No task with id {task_id!r}.", detail={"id": task_id})
    return task


def get_task_detail(*, tasks: TaskRepository, task_id: str) -> TaskDetail:
    """The task and its recent history: one Query on the task's item collection."""
    detail = tasks.get_detail(task_id)
    if detail is None or detail.task.deleted:
        raise NotFound(f"No task with id {task_id!r}.", detail={"id": task_id})
    return detail
