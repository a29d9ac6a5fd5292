"""Badges for milestones, and the streak they count. Pure Python.

A badge is earned when a counter reaches its threshold in a completion or an approval and the
member does not hold it yet; the repository writes it in that same transaction under the
condition that it does not exist, so it is awarded exactly once however the transactions race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .domain import Volunteer


@dataclass(frozen=True)
class Badge:
    id: str
    name: str
    description: str


FIRST_TASK = Badge("first_task", "First Fix", "Completed a first task")
TEN_TASKS = Badge("ten_tasks", "Fixer", "Completed 10 tasks")
FIFTY_HOURS = Badge("fifty_hours", "50 Hours", "50 approved volunteer hours")
WEEK_STREAK = Badge("week_streak", "On a Roll", "Completed tasks on 7 days in a row")

BADGES: dict[str, Badge] = {b.id: b for b in (FIRST_TASK, TEN_TASKS, FIFTY_HOURS, WEEK_STREAK)}
STREAK_DAYS_FOR_BADGE = 7
HOURS_FOR_BADGE = 50
TASKS_FOR_BADGE = 10


@dataclass(frozen=True)
class CompletionProgress:
    """What one more completion today does to the member's recognition."""

    streak_days: int
    streak_last_day: date
    badges: tuple[Badge, ...]


def streak_after(v: Volunteer, today: date) -> tuple[int, date]:
    """Days in a row with a completion, counting today's."""
    if v.streak_last_day == today:
        return max(1, v.streak_days), today
    if v.streak_last_day == today - timedelta(days=1):
        return v.streak_days + 1, today
    return 1, today


def on_completion(v: Volunteer, today: date) -> CompletionProgress:
    """The badges a completion earns, judged on the counters as read (``v``)."""
    tasks = v.tasks_completed + 1
    streak, last = streak_after(v, today)
    earned = [
        badge
        for badge, reached in (
            (FIRST_TASK, tasks >= 1),
            (TEN_TASKS, tasks >= TASKS_FOR_BADGE),
            (WEEK_STREAK, streak >= STREAK_DAYS_FOR_BADGE),
        )
        if reached and not v.has_badge(badge.id)
    ]
    return CompletionProgress(streak_days=streak, streak_last_day=last, badges=tuple(earned))


def on_approval(v: Volunteer, hours: float) -> tuple[Badge, ...]:
    """The badges approving ``hours`` more earns."""
    if v.hours_approved + hours >= HOURS_FOR_BADGE and not v.has_badge(FIFTY_HOURS.id):
        return (FIFTY_HOURS,)
    return ()
