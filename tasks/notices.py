"""Personal notices: who hears about a change of a task, and what they read. Pure Python.

A change is recorded as a history entry or a comment inside its transaction; ``notice_event``
turns the ones someone may want to hear about into a ``NoticeEvent`` that travels in the same
transaction through the outbox (``integrations/outbox``). Delivering it decides, against the
task as it is then, who hears (``addressees``): the holder of the task, the person whose hours
were reviewed, the new and the previous assignee, or the watchers of a shop for a new urgent
repair; never the person who caused the change. Texts here are plain: each channel escapes
them for where they go (``slack_notice``, ``email_notice``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from integrations.outbox.domain import Channel, OutboxMessage
from voldash_site.escaping import slack_link, slack_text
from volunteers.domain import MAKERSPACE_TZ, NOTICE_LABELS, NoticeKind

from .domain import Comment, HistoryAction, HistoryEntry, HistorySource, Task, TaskStatus, Urgency

# A burst of changes to one task (ClickUp edits arrive in flurries) becomes one message: the
# first change opens a window, later ones join it, and the message leaves when it closes.
COALESCE_WINDOW = timedelta(minutes=3)
DIGEST_HOUR = 7  # Austin time: the quiet daily digest leaves then
EXCERPT = 200
URGENT = (Urgency.CRITICAL, Urgency.HIGH)
PM_DUE = "pm_due"  # the event of ``pm_due_messages`` (no history entry: time passing is not a change)


@dataclass(frozen=True)
class NoticeEvent:
    """A change someone may hear about, as written into the outbox with the change."""

    event_id: str
    task_id: str
    at: datetime
    what: str  # a HistoryAction value, or "comment"
    source: str
    actor_id: str | None = None
    actor_name: str | None = None
    assignee_id: str | None = None
    previous_assignee_id: str | None = None
    note: str | None = None
    task_title: str = ""
    shop: str = ""
    to_status: str | None = None

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> NoticeEvent:
        fields = {k: data.get(k) for k in cls.__dataclass_fields__}
        fields["at"] = datetime.fromisoformat(str(data["at"]))
        return cls(**fields)


@dataclass(frozen=True)
class TaskNow:
    """What delivery reads of the task when it decides (None fields: the task is gone)."""

    holder_id: str | None
    title: str
    shop: str
    urgency: Urgency | None
    status: TaskStatus | None
    due_at: datetime | None
    deleted: bool = False


@dataclass(frozen=True)
class NoticeLine:
    """One thing to tell one person (plain text; escaped where it is shown)."""

    kind: NoticeKind
    task_id: str
    title: str
    text: str
    at: datetime

    def to_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind.value,
            "task_id": self.task_id,
            "title": self.title,
            "text": self.text,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoticeLine:
        return cls(
            kind=NoticeKind(data["kind"]),
            task_id=str(data["task_id"]),
            title=str(data.get("title") or ""),
            text=str(data["text"]),
            at=datetime.fromisoformat(str(data["at"])),
        )


@dataclass(frozen=True)
class Addressees:
    direct: tuple[tuple[str, NoticeLine], ...] = ()  # (neon id, line)
    watchers: NoticeLine | None = None  # for everyone watching the event's shop


_FROM_CLICKUP = {
    HistoryAction.COMPLETED,
    HistoryAction.REOPENED,
    HistoryAction.DELETED,
    HistoryAction.UPDATED,
}


def notice_event(event: Any) -> NoticeEvent | None:
    """The notice-worthy part of a transaction's event (a history entry or a comment), or None."""
    if isinstance(event, Comment):
        return NoticeEvent(
            event_id=f"c{event.event_id}",
            task_id=event.task_id,
            at=event.at,
            what="comment",
            source=event.source.value,
            actor_id=event.author_id,
            actor_name=event.author_name,
            note=event.text[:EXCERPT],
        )
    if not isinstance(event, HistoryEntry):
        return None
    action, source = event.action, event.source
    worth = (
        action in (HistoryAction.REASSIGNED, HistoryAction.HOURS_APPROVED, HistoryAction.HOURS_REJECTED)
        or (action is HistoryAction.RELEASED and source is not HistorySource.SYSTEM)
        or (action is HistoryAction.BADGE_EARNED and source is HistorySource.STAFF)
        or (source is HistorySource.CLICKUP and (action in _FROM_CLICKUP or action is HistoryAction.CREATED))
    )
    if not worth:
        return None
    if action is HistoryAction.UPDATED and "due_at" not in (event.note or ""):
        return None  # of ClickUp's edits, only a moved due date is news to the holder
    return NoticeEvent(
        event_id=f"h{event.event_id}",
        task_id=event.task_id,
        at=event.at,
        what=action.value,
        source=source.value,
        # A badge entry names its earner as actor; what earned it was the reviewer's approval.
        actor_id=None if action is HistoryAction.BADGE_EARNED else event.actor_id,
        actor_name=event.actor_name,
        assignee_id=event.assignee_id,
        previous_assignee_id=event.previous_assignee_id,
        note=event.note,
        task_title=event.task_title,
        shop=event.shop,
        to_status=event.to_status.value if event.to_status else None,
    )


def notice_messages(events: Sequence[Any]) -> list[OutboxMessage]:
    """One ``notice.event`` outbox message per notice-worthy event of a transaction; its id is
    the event's, so the same event is never queued twice."""
    out = []
    # The task written with the events, as it is now (a ClickUp snapshot carries it): a task
    # that comes in neither urgent nor open concerns nobody's watchers, so it queues nothing.
    tasks = {e.id: e for e in events if isinstance(e, Task)}
    for event in events:
        ev = notice_event(event)
        if ev is not None and ev.what == HistoryAction.CREATED:
            task = tasks.get(ev.task_id)
            if task is not None and (task.urgency not in URGENT or task.status is not TaskStatus.OPEN):
                continue
        if ev is not None:
            out.append(
                OutboxMessage(
                    channel=Channel.NOTICE,
                    action="notice.event",
                    task_id=ev.task_id,
                    payload={**ev.to_payload(), "shop": ev.shop},
                    created_at=ev.at,
                    id=f"noticeevent-{ev.event_id}",
                )
            )
    return out


def pm_due_message(task_id: str, title: str, shop: str, due_at: datetime, now: datetime) -> OutboxMessage:
    """The ``notice.event`` of a PM task falling due: one per task and due date (its id), so the
    daily job announcing it twice queues it once."""
    ev = NoticeEvent(
        event_id=f"pm{task_id}-{due_at.astimezone(MAKERSPACE_TZ).date().isoformat()}",
        task_id=task_id,
        at=now,
        what=PM_DUE,
        source="system",
        task_title=title,
        shop=shop,
    )
    return OutboxMessage(
        channel=Channel.NOTICE,
        action="notice.event",
        task_id=task_id,
        payload={**ev.to_payload(), "shop": shop},
        created_at=now,
        id=f"noticeevent-{ev.event_id}",
    )


def _quote(title: str) -> str:
    return f"\u201c{title}\u201d"


def _day(at: datetime) -> str:
    local = at.astimezone(MAKERSPACE_TZ)
    return f"{local:%a} {local.day} {local:%b %Y}"


def addressees(ev: NoticeEvent, task: TaskNow | None) -> Addressees:
    """Who hears about ``ev`` and what they read, given the task as it is now; the actor never."""
    title = (task.title if task and task.title else ev.task_title) or ev.task_id
    t = _quote(title)
    who = ev.actor_name or "Someone"
    out: list[tuple[str, NoticeLine]] = []

    def to(neon_id: str | None, kind: NoticeKind, text: str) -> None:
        if neon_id and neon_id != ev.actor_id and all(n != neon_id for n, _ in out):
            out.append((neon_id, NoticeLine(kind, ev.task_id, title, text, ev.at)))

    what = ev.what
    if what == "comment":
        holder = task.holder_id if task and not task.deleted else None
        excerpt = (ev.note or "").strip()
        to(holder, NoticeKind.COMMENT, f"{who} commented on {t}: {excerpt}")
    elif what == HistoryAction.REASSIGNED:
        to(
            ev.previous_assignee_id,
            NoticeKind.REASSIGNED,
            f"{who} gave {t}, which you held, to someone else.",
        )
        to(ev.assignee_id, NoticeKind.REASSIGNED, f"{who} assigned {t} to you.")
    elif what == HistoryAction.RELEASED:
        reason = f" Reason: {ev.note}" if ev.note else ""
        to(ev.assignee_id, NoticeKind.RELEASED, f"{who} released {t}, which you held.{reason}")
    elif what == HistoryAction.HOURS_APPROVED:
        to(ev.assignee_id, NoticeKind.HOURS_REVIEWED, f"{who} approved your hours for {t}.")
    elif what == HistoryAction.HOURS_REJECTED:
        reason = f" Reason: {ev.note}" if ev.note else ""
        to(ev.assignee_id, NoticeKind.HOURS_REVIEWED, f"{who} did not approve your hours for {t}.{reason}")
    elif what == HistoryAction.BADGE_EARNED:
        to(ev.assignee_id, NoticeKind.BADGE, f"You earned the {ev.note or 'a new'} badge ({t}).")
    elif what == HistoryAction.COMPLETED:
        to(
            ev.assignee_id,
            NoticeKind.CLICKUP_STATUS,
            f"{t} was closed in ClickUp while you held it: it counts as done by you, "
            "with hours for a lead to confirm.",
        )
    elif what == HistoryAction.REOPENED:
        to(ev.assignee_id, NoticeKind.CLICKUP_STATUS, f"{t} was reopened in ClickUp; your claim on it ended.")
    elif what == HistoryAction.DELETED:
        to(
            ev.assignee_id,
            NoticeKind.REMOVED,
            f"{t} was deleted in ClickUp or moved out of the synced lists; your claim on it ended.",
        )
    elif what == HistoryAction.UPDATED:
        holder = task.holder_id if task and not task.deleted else ev.assignee_id
        if task is not None and task.due_at is not None:
            to(holder, NoticeKind.DUE_MOVED, f"The due date of {t} is now {_day(task.due_at)}.")
        elif task is not None:
            to(holder, NoticeKind.DUE_MOVED, f"{t} no longer has a due date.")
    elif (
        what == HistoryAction.CREATED
        and task is not None
        and not task.deleted
        and task.urgency in URGENT
        and task.status is TaskStatus.OPEN
    ):
        line = NoticeLine(
            NoticeKind.NEW_URGENT,
            ev.task_id,
            title,
            f"New {task.urgency.value} repair in {task.shop}: {t}.",
            ev.at,
        )
        return Addressees(direct=(), watchers=line)
    elif (
        what == PM_DUE
        and task is not None
        and not task.deleted
        and task.holder_id is None
        and task.status is not TaskStatus.DONE
        and task.due_at is not None
    ):
        text = f"Maintenance {t} in {task.shop} is due {_day(task.due_at)} and nobody holds it."
        return Addressees(direct=(), watchers=NoticeLine(NoticeKind.PM_DUE, ev.task_id, title, text, ev.at))
    return Addressees(direct=tuple(out))


def send_after(at: datetime, *, digest: bool) -> datetime:
    """When a message opened by a change at ``at`` leaves: after the coalescing window, or at the
    next morning's digest hour (Austin time)."""
    if not digest:
        return at + COALESCE_WINDOW
    local = at.astimezone(MAKERSPACE_TZ)
    morning = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if morning <= local:
        morning = (local + timedelta(days=1)).replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return morning


# -- the message, per channel -------------------------------------------------------------


@dataclass(frozen=True)
class EmailNotice:
    subject: str
    text: str
    html: str


def _kinds(lines: Sequence[NoticeLine]) -> list[NoticeKind]:
    return list(dict.fromkeys(line.kind for line in lines))


def _ordered(lines: Sequence[NoticeLine]) -> list[NoticeLine]:
    """In time order; of a task's due-date moves only the last is told (it says the date now)."""
    ordered = sorted(lines, key=lambda line: line.at)
    last_move = {line.task_id: line for line in ordered if line.kind is NoticeKind.DUE_MOVED}
    return [
        line for line in ordered if line.kind is not NoticeKind.DUE_MOVED or last_move[line.task_id] is line
    ]


def slack_notice(
    lines: Sequence[NoticeLine],
    *,
    task_link: Callable[[str], str],
    off_link: Callable[[NoticeKind], str],
    settings_link: str,
) -> str:
    """mrkdwn: every outside value escaped; links are ours."""
    ordered = _ordered(lines)
    parts = ["*voldash*: " + ("an update" if len(ordered) == 1 else f"{len(ordered)} updates")]
    for line in ordered:
        parts.append(f"\u2022 {slack_text(line.text)} {slack_link(task_link(line.task_id), 'Open the task')}")
    offs = " \u00b7 ".join(slack_link(off_link(k), f"stop {NOTICE_LABELS[k]}") for k in _kinds(lines))
    parts.append(f"{offs} \u00b7 {slack_link(settings_link, 'all notification settings')}")
    return "\n".join(parts)


def email_notice(
    lines: Sequence[NoticeLine],
    *,
    task_link: Callable[[str], str],
    off_link: Callable[[NoticeKind], str],
    settings_link: str,
) -> EmailNotice:
    """A plain part and an HTML part; the HTML escapes every outside value."""
    ordered = _ordered(lines)
    subject = (
        f"voldash: {ordered[0].title}"[:120] if len(ordered) == 1 else f"voldash: {len(ordered)} updates"
    )
    subject = " ".join(subject.split())  # no header injection through a title's line breaks
    text_lines = [f"- {line.text}\n  {task_link(line.task_id)}" for line in ordered]
    offs = [f"Stop {NOTICE_LABELS[k]}: {off_link(k)}" for k in _kinds(ordered)]
    text = "\n".join([*text_lines, "", *offs, f"All notification settings: {settings_link}"])
    items = "".join(
        f'<li>{html.escape(line.text)} <a href="{html.escape(task_link(line.task_id))}">'
        "Open the task</a></li>"
        for line in ordered
    )
    off_html = " &middot; ".join(
        f'<a href="{html.escape(off_link(k))}">Stop {html.escape(NOTICE_LABELS[k])}</a>'
        for k in _kinds(ordered)
    )
    body = (
        f"<ul>{items}</ul><p>{off_html} &middot; "
        f'<a href="{html.escape(settings_link)}">All notification settings</a></p>'
    )
    return EmailNotice(subject=subject, text=text, html=body)
