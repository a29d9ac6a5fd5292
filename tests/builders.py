"""Small builders so tests say only what matters to them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from tasks.domain import Assignee, Task, TaskStatus, TaskType, Urgency

BASE_TIME = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


def a_task(
    *,
    id: str | None = None,
    shop: str = "woodshop",
    status: TaskStatus = TaskStatus.OPEN,
    urgency: Urgency = Urgency.MEDIUM,
    minutes_after_base: int | None = None,
    title: str | None = None,
    assignee: Assignee | None = None,
    **changes,
) -> Task:
    n = next(_ids)
    created = BASE_TIME + timedelta(minutes=n if minutes_after_base is None else minutes_after_base)
    task_id = id or f"t{n:06d}"
    return Task(
        id=task_id,
        title=title or f"Fix thing {task_id}",
        description="Problem Type: Equipment",
        shop=shop,
        status=status,
        urgency=urgency,
        task_type=TaskType.PROBLEM,
        created_at=created,
        updated_at=created,
        assignee=assignee,
        clickup_url=f"https://app.clickup.com/t/{task_id}",
        **changes,
    )


def store_held_task(
    task_id: str, *, holder_id: str, holder_name: str, shop: str = "woodshop", **changes
) -> Task:
    """A task a volunteer already holds, stored the way a claim leaves it (the task, and the
    volunteer's claim slot and record)."""
    from voldash_site.container import get_container
    from volunteers.domain import Claim

    c = get_container()
    task = a_task(
        id=task_id,
        shop=shop,
        status=TaskStatus.IN_PROGRESS,
        assignee=Assignee(holder_id, holder_name),
        **changes,
    )
    c.tasks.upsert(task)
    claim = Claim(holder_id, task.id, task.title, shop, task.created_at)
    c.uow.commit(
        c.volunteers.claim_writes(c.volunteers.get(holder_id), claim, limit=3, required=(), require_all=False)
    )
    return task
