"""Demo activity on top of the demo tasks, so every screen has something after one `make run`:
reporters, photos and checklists (the detail's extras, as a ClickUp snapshot would give them),
comments, claims and completions (history, the community feed, points, the leaderboard, a first
badge), pending and approved hours (task and self-reported), and announcements.

Everything goes through the same use cases as the API and the staff pages (counters, history
and badges stay consistent); a step that is refused (a certification missing, a task taken)
is skipped. Deterministic for the same demo tasks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tasks.domain import (
    Attachment,
    ChecklistStep,
    Reporter,
    Task,
    TaskExtras,
    TaskStatus,
    TaskType,
)
from voldash_site.errors import DomainError

ALEX, PRIYA, SAM, JORDAN, MORGAN, RILEY = "1001", "1002", "1003", "1004", "1005", "1007"
PHOTO = "https://t9013100677.p.clickup-attachments.com/t9013100677/demo/{id}/photo.jpg"
PM_STEPS = ("Unplug the machine", "Clean and inspect", "Lubricate moving parts", "Test run and log it")


def seed_activity(container: Any, tasks: list[Task], now: datetime) -> dict[str, int]:
    """Adds the demo activity; returns how many of each thing were written."""
    from tasks import lifecycle
    from tasks.discussion import post_comment
    from volunteers.domain import MAKERSPACE_TZ
    from volunteers.use_cases import report_hours

    done: dict[str, int] = dict.fromkeys(
        ("extras", "comments", "claims", "completions", "approvals", "self_reported", "announcements"), 0
    )
    deps = container.lifecycle()
    discussion = container.discussion()

    def attempt(kind: str, action: Any) -> Any:
        try:
            result = action()
        except DomainError:
            return None
        done[kind] += 1
        return result

    # The detail's extras: who reported it (with the form's contact), a photo, a PM checklist.
    for n, task in enumerate(tasks):
        if task.task_type is TaskType.PROBLEM and task.contact_details:
            name = task.contact_details.split(",")[0].strip()
            extras = TaskExtras(
                reporter=Reporter(name=name, role="Member (problem report form)"),
                attachments=(
                    Attachment(
                        title="photo.jpg",
                        url=PHOTO.format(id=task.id),
                        is_image=True,
                        thumbnail_url=PHOTO.format(id=task.id),
                    ),
                )
                if n % 2 == 0
                else (),
            )
        elif task.task_type is TaskType.PREVENTATIVE:
            extras = TaskExtras(
                checklist=tuple(
                    ChecklistStep(
                        id=f"{task.id}-s{i}",
                        checklist_id=f"{task.id}-c",
                        checklist_name="PM checklist",
                        name=step,
                        resolved=False,
                    )
                    for i, step in enumerate(PM_STEPS)
                )
            )
        else:
            continue
        attempt(
            "extras", lambda t=task, e=extras: container.uow.commit([container.tasks.extras_write(t.id, e)])
        )

    def open_tasks(shop: str) -> list[Task]:
        return [t for t in tasks if t.shop == shop and t.status is TaskStatus.OPEN]

    def claim(task: Task, who: str) -> bool:
        return (
            attempt("claims", lambda: lifecycle.claim_task(task_id=task.id, actor_id=who, deps=deps))
            is not None
        )

    def complete(task: Task, who: str, hours: float, note: str) -> None:
        attempt(
            "completions",
            lambda: lifecycle.complete_task(task_id=task.id, actor_id=who, hours=hours, note=note, deps=deps),
        )

    def comment(task: Task, who: str, name: str, text: str) -> None:
        attempt(
            "comments",
            lambda: post_comment(
                task_id=task.id, author_id=who, author_name=name, text=text, deps=discussion
            ),
        )

    wood, lasers, metal = open_tasks("woodshop"), open_tasks("lasers"), open_tasks("metal-shop")
    # Alex: two woodshop tasks done (one approved: a first badge, points, the leaderboard), one
    # held with a comment; Priya: a metal-shop task done, pending; Riley: a lasers task held.
    for task, hours in zip(wood[:2], (2.5, 1.0), strict=False):
        if claim(task, ALEX):
            comment(task, ALEX, "Alex Rivera", "On it: the parts are in the cabinet.")
            complete(task, ALEX, hours, "Done; tested after the fix.")
    if len(wood) > 2 and claim(wood[2], ALEX):
        comment(wood[2], JORDAN, "Jordan Lee", "Thanks Alex, ask me if you need the key.")
    if metal and claim(metal[0], PRIYA):
        complete(metal[0], PRIYA, 1.5, "Replaced the worn part.")
    if lasers:
        claim(lasers[0], RILEY)
        comment(lasers[0], SAM, "Sam Okafor", "It happened to me too on Tuesday.")

    # Self-reported hours: Sam's open house (pending), Alex's class (approved below).
    today = now.astimezone(MAKERSPACE_TZ).date()
    for who, kind, days, hours, shop, text in (
        (SAM, "general", 1, 2.0, "woodshop", "Open house: greeted visitors"),
        (ALEX, "class", 2, 3.0, "lasers", "Assisted the Intro to Lasers class"),
    ):
        attempt(
            "self_reported",
            lambda w=who, k=kind, d=days, h=hours, s=shop, t=text: report_hours(
                neon_id=w,
                kind=k,
                day=today - timedelta(days=d),
                hours=h,
                shop=s,
                description=t,
                volunteers=container.volunteers,
                shops=container.shop_directory,
                uow=container.uow,
                now=now,
                tz=MAKERSPACE_TZ,
            ),
        )
    # A lead approves Alex's first task hours and his class (not Priya's or Sam's: pending).
    for entry in container.volunteers.hours(ALEX).items:
        if entry.status.value == "PENDING" and entry.shop in ("woodshop", "lasers"):
            reviewer = JORDAN if entry.shop == "woodshop" else RILEY
            attempt(
                "approvals",
                lambda e=entry, r=reviewer: lifecycle.review_hours(
                    neon_id=ALEX, key=e.key, actor_id=r, approve=True, deps=deps
                ),
            )

    from shops.use_cases import create_announcement

    for title, message, kind, shop in (
        ("Welcome to the volunteer dashboard", "Claim a task, log your hours, earn rewards.", "info", None),
        (
            "Woodshop closed Sunday",
            "The woodshop is closed Sunday for the dust collector service.",
            "warning",
            "woodshop",
        ),
        ("Laser 2 is back", "Thanks to everyone who helped realign the mirrors.", "success", "lasers"),
    ):
        attempt(
            "announcements",
            lambda t=title, m=message, k=kind, s=shop: create_announcement(
                announcements=container.announcements,
                title=t,
                message=m,
                kind=k,
                days=30,
                shop=s,
                author="Morgan Chen",
                now=now,
            ),
        )
    return done
