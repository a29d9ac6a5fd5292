"""The Slack messages of upkeep: text (mrkdwn, every outside value escaped) and Block Kit
blocks with the buttons that /webhooks/slack/interactivity answers. Pure Python."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tasks.domain import Task
from voldash_site.escaping import slack_link, slack_text
from volunteers.domain import MAKERSPACE_TZ

# Button action ids (the interactivity endpoint maps them onto the lifecycle use cases).
CLAIM = "voldash.claim"
STILL_ON_IT = "voldash.still_on_it"
RELEASE = "voldash.release"
MAX_DIGEST_TASKS = 40  # Block Kit allows 50 blocks in a message; the rest is a count and a link
MAX_TITLE = 150


def day(moment: datetime | None) -> str:
    return moment.astimezone(MAKERSPACE_TZ).strftime("%a %b %-d") if moment else "no date"


def _title(task: Task) -> str:
    title = task.title if len(task.title) <= MAX_TITLE else task.title[: MAX_TITLE - 1] + "\u2026"
    return slack_text(title)


def button(label: str, action_id: str, task_id: str, *, style: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": task_id,
    }
    if style:
        b["style"] = style
    return b


def reminder(task: Task, *, link: str, idle_days: int, release_on: datetime) -> tuple[str, list[dict]]:
    text = (
        f"You claimed {slack_link(link, task.title)} ({slack_text(task.shop)}) and it shows no progress "
        f"for {idle_days} days. Still on it? If nothing changes, it is released automatically on "
        f"{day(release_on)} so that someone else can pick it up."
    )
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "elements": [
                button("Still on it", STILL_ON_IT, task.id, style="primary"),
                button("Release", RELEASE, task.id, style="danger"),
            ],
        },
    ]
    return text, blocks


def release_notice(task: Task, *, link: str, idle_days: int) -> str:
    return (
        f"Your claim on {slack_link(link, task.title)} ({slack_text(task.shop)}) was released "
        f"automatically after {idle_days} days without progress; it is open again. Thank you for "
        "looking at it: claim it again any time."
    )


def release_channel_text(task: Task, holder_name: str, idle_days: int) -> str:
    """Plain text (the channel sender escapes it): the shop channel's note."""
    return (
        f"\u201c{task.title}\u201d ({task.shop}) was released automatically: {holder_name} held it "
        f"{idle_days} days without progress. It is open again."
    )


def digest(
    shop_name: str,
    *,
    overdue: list[Task],
    due_soon: list[Task],
    critical: list[Task],
    link: Callable[[str], str],
    dashboard: str,
) -> tuple[str, list[dict]]:
    """The weekly message of one shop's channel: overdue and due-soon PM, critical repairs."""
    lines = [f"*Maintenance for {slack_text(shop_name)} this week*"]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": lines[0]}}]
    shown = 0
    for heading, tasks, describe in (
        ("Overdue preventive maintenance", overdue, lambda t: f"was due {day(t.due_at)}"),
        ("Due this week", due_soon, lambda t: f"due {day(t.due_at)}"),
        ("Critical repairs nobody holds", critical, lambda t: "critical"),
    ):
        if not tasks:
            continue
        lines.append(f"*{heading}*")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{heading}*"}})
        for t in tasks:
            holder = f" \u00b7 {slack_text(t.assignee.name)} is on it" if t.assignee else ""
            row = f"\u2022 {slack_link(link(t.id), t.title)} \u00b7 {describe(t)}{holder}"
            lines.append(row)
            if shown < MAX_DIGEST_TASKS:
                block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": row}}
                if t.assignee is None:
                    block["accessory"] = button("Claim", CLAIM, t.id, style="primary")
                blocks.append(block)
            shown += 1
    if shown > MAX_DIGEST_TASKS:
        where = slack_link(dashboard, "the Volunteer Dashboard")
        more = f"\u2026and {shown - MAX_DIGEST_TASKS} more on {where}."
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": more}})
    lines.append(f"Claim one on {slack_link(dashboard, 'the Volunteer Dashboard')}.")
    return "\n".join(lines), blocks
