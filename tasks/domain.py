"""Task: a repair or maintenance job mirrored from ClickUp. Pure Python."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class TaskStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    ON_HOLD = "ON_HOLD"  # e.g. parts ordered
    DONE = "DONE"


class Urgency(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class TaskType(StrEnum):
    PROBLEM = "problem"  # a problem report (ClickUp "Facilities - Problem Reports")
    PREVENTATIVE = "preventative"  # scheduled maintenance (ClickUp "CMMS - PM Schedule")


# Points shown before a task is claimed (DESIGN.md section 5):
#   points = URGENCY_BASE_POINTS[urgency] + POINTS_PER_HOUR * hours
# where hours is the ClickUp time estimate rounded up to the hour, at least 1 (no estimate
# counts as 1 hour) and at most MAX_CREDITED_HOURS, so one huge estimate cannot dominate the
# leaderboard. Examples: low 15 min -> 20; medium 1 h -> 30; high 2 h 30 -> 60; critical 6 h -> 110.
URGENCY_BASE_POINTS: dict[Urgency, int] = {
    Urgency.CRITICAL: 50,
    Urgency.HIGH: 30,
    Urgency.MEDIUM: 20,
    Urgency.LOW: 10,
}
POINTS_PER_HOUR = 10
MAX_CREDITED_HOURS = 8


def task_points(urgency: Urgency, estimate_minutes: int | None) -> int:
    hours = 1 if not estimate_minutes or estimate_minutes <= 0 else math.ceil(estimate_minutes / 60)
    return URGENCY_BASE_POINTS[urgency] + POINTS_PER_HOUR * min(hours, MAX_CREDITED_HOURS)


@dataclass(frozen=True)
class Assignee:
    neon_id: str
    name: str


@dataclass(frozen=True)
class Task:
    id: str  # the ClickUp task id
    title: str
    shop: str  # canonical shop slug
    status: TaskStatus
    urgency: Urgency
    created_at: datetime
    updated_at: datetime
    description: str = ""
    task_type: TaskType = TaskType.PROBLEM
    problem_type: str | None = None
    asset: str | None = None
    estimate_minutes: int | None = None
    assignee: Assignee | None = None
    clickup_url: str | None = None
    discourse_url: str | None = None
    slack_url: str | None = None
    list_id: str | None = None
    # The reporter's name/phone from the problem form: shop leads only, never the public API.
    contact_details: str | None = None
    # ClickUp's date_updated (epoch ms) of the snapshot we hold; sync writes only newer ones.
    source_updated_ms: int | None = None
    deleted: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def points(self) -> int:
        return task_points(self.urgency, self.estimate_minutes)

    @property
    def is_open(self) -> bool:
        return self.status is TaskStatus.OPEN and not self.deleted

    def with_changes(self, **changes: object) -> Task:
        return replace(self, **changes)
