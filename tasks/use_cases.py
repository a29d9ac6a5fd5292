"""Task use cases (read side for now). No HTTP, no DynamoDB: repositories come in as arguments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voldash_site.errors import InvalidInput, NotFound

from .domain import Task, TaskDetail, TaskStatus, Urgency
from .feed import Counts, FeedQuery, FeedSort, FeedType, TimeBucket

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
    type: FeedType | None = None,
    time: TimeBucket | None = None,
    search: str | None = None,
    sort: FeedSort = FeedSort.NEWEST,
) -> TaskPage:
    """Tasks of one status (OPEN unless ``status`` says otherwise: the same scope for every
    filter and sort), of one shop or of all. Newest first unless ``sort`` says otherwise;
    ``type``, ``time`` and ``search`` narrow it further (tasks/feed.py). One Query per page."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}", field="limit")
    query = feed_query(
        shop=shop, status=status, urgency=urgency, type=type, time=time, search=search, sort=sort
    )
    if not query.is_plain or (shop is not None and urgency is not None):  # GSI7 keys shop+urgency
        return tasks.list_feed(query, limit=limit, cursor=cursor)
    if shop is not None:
        return tasks.list_by_shop(shop, status=status or TaskStatus.OPEN, limit=limit, cursor=cursor)
    return tasks.list_by_status(status or TaskStatus.OPEN, urgency=urgency, limit=limit, cursor=cursor)


def feed_query(
    *,
    shop: str | None = None,
    status: TaskStatus | None = None,
    urgency: Urgency | None = None,
    type: FeedType | None = None,
    time: TimeBucket | None = None,
    search: str | None = None,
    sort: FeedSort = FeedSort.NEWEST,
) -> FeedQuery:
    text = " ".join(search.split()) if search else ""
    if len(text) > 100:
        raise InvalidInput("q: the search text is at most 100 characters.", field="q")
    return FeedQuery(
        shop=shop, status=status, type=type, urgency=urgency, time=time, search=text or None, sort=sort
    )


def task_counts(*, tasks: TaskRepository, query: FeedQuery, shops: list[str]) -> Counts:
    """Total and facet counts of ``query`` (without its search text: no counter knows it), from
    the counter items the task writes keep; one Query."""
    return tasks.feed_counts(query, shops)


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
