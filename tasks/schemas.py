"""Request and response shapes of the task endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from shops.catalog import SHOP_SLUGS

from .domain import Task, TaskStatus, TaskType, Urgency

ShopSlug = Literal[SHOP_SLUGS]  # type: ignore[valid-type]
TASK_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def _normalize_status(value: object) -> object:
    # The frontend speaks 'open' and 'in-progress'; the API also takes 'OPEN', 'IN_PROGRESS'.
    return value.strip().upper().replace("-", "_") if isinstance(value, str) else value


def _normalize_urgency(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


StatusParam = Annotated[TaskStatus, BeforeValidator(_normalize_status)]
UrgencyParam = Annotated[Urgency, BeforeValidator(_normalize_urgency)]


class AssigneeOut(Schema):
    id: str = Field(description="Neon account id of the volunteer holding the task")
    name: str


class TaskOut(Schema):
    id: str = Field(description="The ClickUp task id")
    title: str
    description: str
    shop: str = Field(description="Canonical shop slug, e.g. woodshop")
    status: TaskStatus
    urgency: Urgency
    task_type: TaskType
    problem_type: str | None
    asset: str | None = Field(description="The equipment concerned, when ClickUp names it")
    estimate_minutes: int | None
    points: int = Field(description="Points credited on completion (see README: Points)")
    assignee: AssigneeOut | None
    clickup_url: str | None
    discourse_url: str | None
    slack_url: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def from_task(task: Task) -> TaskOut:
        return TaskOut(
            id=task.id,
            title=task.title,
            description=task.description,
            shop=task.shop,
            status=task.status,
            urgency=task.urgency,
            task_type=task.task_type,
            problem_type=task.problem_type,
            asset=task.asset,
            estimate_minutes=task.estimate_minutes,
            points=task.points,
            assignee=AssigneeOut(id=task.assignee.neon_id, name=task.assignee.name)
            if task.assignee
            else None,
            clickup_url=task.clickup_url,
            discourse_url=task.discourse_url,
            slack_url=task.slack_url,
            created_at=task.created_at,
            updated_at=task.updated_at,
        )


class TaskPageOut(Schema):
    items: list[TaskOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")
