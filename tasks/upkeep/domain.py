"""Work that does not wait to be noticed: preventive maintenance coming due, claims that went
quiet, the weekly shop digest. Pure Python (no Django, no PynamoDB).

- A PM task is *overdue* once its due date has passed and *due soon* within a week
  (``Task.due_state``).
- A claim shows *no progress* while its task has not changed: ``Task.updated_at`` moves on a
  claim, on every change synced from ClickUp (status, comment, checklist tick: ClickUp's
  ``date_updated``) and when the holder answers "Still on it". After ``remind_after`` days
  without progress the holder gets one reminder; after ``release_after`` days the claim is
  released automatically. Only IN_PROGRESS claims count: ON_HOLD means "waiting for parts",
  which is nobody's silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tasks.domain import DueState, Task, TaskStatus, TaskType, Urgency


@dataclass(frozen=True)
class StalePolicy:
    """After how many days without progress a holder is reminded, and the claim released."""

    remind_after_days: int = 7
    release_after_days: int = 14

    def __post_init__(self) -> None:
        if not 0 < self.remind_after_days < self.release_after_days:
            raise ValueError(
                "a stale-claim policy needs 0 < reminder days < release days, "
                f"got {self.remind_after_days}:{self.release_after_days}"
            )

    @property
    def remind_after(self) -> timedelta:
        return timedelta(days=self.remind_after_days)

    @property
    def release_after(self) -> timedelta:
        return timedelta(days=self.release_after_days)


def parse_shop_policies(raw: str, default: StalePolicy) -> dict[str, StalePolicy]:
    """``woodshop=5:10,lasers=3:7`` (shop=reminder days:release days) -> policies per shop.
    Raises ValueError on anything else (settings fail at start, named)."""
    out: dict[str, StalePolicy] = {}
    for part in (p.strip() for p in (raw or "").split(",")):
        if not part:
            continue
        shop, eq, days = part.partition("=")
        remind, colon, release = days.partition(":")
        if (
            not eq
            or not colon
            or not shop.strip()
            or not remind.strip().isdigit()
            or not release.strip().isdigit()
        ):
            raise ValueError(f"expected shop=REMIND_DAYS:RELEASE_DAYS, got {part!r}")
        out[shop.strip()] = StalePolicy(int(remind), int(release))
    return out


@dataclass(frozen=True)
class StalePolicies:
    default: StalePolicy
    per_shop: dict[str, StalePolicy]

    def for_shop(self, shop: str) -> StalePolicy:
        return self.per_shop.get(shop, self.default)

    @property
    def shortest_remind(self) -> timedelta:
        return min([self.default.remind_after, *(p.remind_after for p in self.per_shop.values())])


class StaleStep(StrEnum):
    REMIND = "remind"
    RELEASE = "release"


def is_tracked_claim(task: Task) -> bool:
    return task.status is TaskStatus.IN_PROGRESS and task.assignee is not None and not task.deleted


def stale_step(task: Task, now: datetime, policy: StalePolicy) -> StaleStep | None:
    """What a held task is due for now: nothing, a reminder, or the automatic release."""
    if not is_tracked_claim(task):
        return None
    idle = now - task.updated_at
    if idle >= policy.release_after:
        return StaleStep.RELEASE
    if idle >= policy.remind_after:
        return StaleStep.REMIND
    return None


@dataclass(frozen=True)
class UpcomingStep:
    """What will happen to a quiet claim, and when (shown to leads before it happens)."""

    task: Task
    remind_at: datetime
    release_at: datetime

    def next_step(self, now: datetime) -> StaleStep:
        return StaleStep.REMIND if now < self.remind_at else StaleStep.RELEASE


def upcoming(task: Task, policy: StalePolicy) -> UpcomingStep:
    return UpcomingStep(task, task.updated_at + policy.remind_after, task.updated_at + policy.release_after)


def is_due_maintenance(task: Task, now: datetime) -> bool:
    return task.task_type is TaskType.PREVENTATIVE and task.due_state(now) is not None


def by_due_date(tasks: list[Task]) -> list[Task]:
    """Earliest due first (overdue ones lead), then title."""
    return sorted(
        tasks, key=lambda t: (t.due_at or datetime.max.replace(tzinfo=t.created_at.tzinfo), t.title)
    )


@dataclass(frozen=True)
class ShopMaintenance:
    """A shop's PM tasks that are overdue or due within the week, earliest first."""

    shop: str
    overdue: tuple[Task, ...]
    due_soon: tuple[Task, ...]

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.due_soon)


def group_due_maintenance(tasks: list[Task], now: datetime, shops: tuple[str, ...]) -> list[ShopMaintenance]:
    """Per shop (in ``shops`` order, shops with nothing due left out)."""
    out = []
    for shop in shops:
        mine = by_due_date([t for t in tasks if t.shop == shop and is_due_maintenance(t, now)])
        overdue = tuple(t for t in mine if t.due_state(now) is DueState.OVERDUE)
        soon = tuple(t for t in mine if t.due_state(now) is DueState.DUE_SOON)
        if overdue or soon:
            out.append(ShopMaintenance(shop, overdue, soon))
    return out


def is_critical_open_repair(task: Task) -> bool:
    return (
        task.task_type is TaskType.PROBLEM
        and task.urgency is Urgency.CRITICAL
        and task.is_open
        and task.assignee is None
    )
