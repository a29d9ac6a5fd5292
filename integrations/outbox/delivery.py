"""Deliver outbox messages: ClickUp write-back, Slack notes, Discourse topics.

Transient failures (429, 5xx, timeouts) come back later with exponential backoff and jitter
(never sooner than the service's Retry-After) up to ``MAX_ATTEMPTS``; permanent ones (other
4xx, Slack ``ok:false`` errors such as ``channel_not_found``) are parked as FAILED with the
response for staff to read and retry. A channel with no credentials marks its messages
SKIPPED, visibly, and nothing crashes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from integrations.http import IntegrationError
from tasks.domain import LINK_HOSTS, https_url
from voldash_site.escaping import slack_link, slack_text
from voldash_site.log_context import bind

from .domain import MAX_ATTEMPTS, Channel, OutboxMessage, OutboxStatus, backoff

if TYPE_CHECKING:
    from .repository import OutboxRepository

logger = logging.getLogger("voldash.outbox")


class Sender(Protocol):
    @property
    def configured(self) -> bool: ...

    def send(self, message: OutboxMessage) -> str: ...


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    busy: int = 0
    unrecorded: int = 0  # the table failed while leasing or recording it: left for a later run
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.retrying + self.failed


def deliver_one(
    message: OutboxMessage,
    *,
    outbox: OutboxRepository,
    senders: dict[Channel, Sender],
    now: datetime,
    report: DeliveryReport,
) -> None:
    try:
        if not outbox.lease(message, now):
            report.busy += 1
            return
        with bind(message_id=message.id):
            _deliver(message, outbox=outbox, senders=senders, now=now, report=report)
    except Exception as exc:  # the table failed us (a timeout, throttling): this one waits
        # Whatever happened, the message is still PENDING (or leased, and the lease runs out):
        # a later run delivers it. The worker goes on with the next one.
        report.unrecorded += 1
        report.errors.append(f"{message.id}: {type(exc).__name__}")
        logger.warning(
            "outbox.delivery.not_recorded", extra={"message_id": message.id, "error": type(exc).__name__}
        )


def _deliver(
    message: OutboxMessage,
    *,
    outbox: OutboxRepository,
    senders: dict[Channel, Sender],
    now: datetime,
    report: DeliveryReport,
) -> None:
    sender = senders.get(message.channel)
    if sender is None or not sender.configured:
        outbox.mark(
            message,
            OutboxStatus.SKIPPED,
            now,
            detail=f"{message.channel.value} has no credentials configured",
        )
        report.skipped += 1
        return
    attempts = message.attempts + 1
    try:
        result = sender.send(message)
    except IntegrationError as exc:
        if exc.permanent:
            outbox.mark(message, OutboxStatus.FAILED, now, detail=str(exc), response=exc.body)
            report.failed += 1
        elif attempts >= MAX_ATTEMPTS:
            outbox.mark(
                message,
                OutboxStatus.FAILED,
                now,
                detail=f"gave up after {attempts} attempts: {exc}",
                response=exc.body,
            )
            report.failed += 1
        else:
            outbox.mark(
                message,
                OutboxStatus.PENDING,
                now,
                detail=str(exc),
                response=exc.body,
                next_attempt_at=now + backoff(attempts, retry_after=exc.retry_after),
            )
            report.retrying += 1
        report.errors.append(f"{message.id} {message.channel.value}: {exc}")
        logger.warning(
            "outbox.delivery.failed",
            extra={
                "message_id": message.id,
                "channel": message.channel.value,
                "task_id": message.task_id,
                "permanent": exc.permanent,
                "status": exc.status,
                "attempts": attempts,
            },
        )
        return
    except Exception as exc:  # a bug or an unexpected answer: keep the message, try again later
        logger.exception("outbox.delivery.error", extra={"message_id": message.id})
        outbox.mark(
            message,
            OutboxStatus.PENDING,
            now,
            detail=f"{type(exc).__name__}: {exc}",
            next_attempt_at=now + backoff(attempts),
        )
        report.retrying += 1
        return
    outbox.mark(message, OutboxStatus.SENT, now, response=result)
    report.sent += 1


def deliver_due(
    *,
    outbox: OutboxRepository,
    senders: dict[Channel, Sender],
    clock: Callable[[], datetime],
    limit: int = 100,
    rounds: int = 10,
) -> DeliveryReport:
    report = DeliveryReport()
    for _ in range(rounds):
        try:
            batch = outbox.due(clock(), limit=limit)
        except Exception as exc:  # cannot even list what is due: the next run will
            report.errors.append(f"listing: {type(exc).__name__}")
            logger.warning("outbox.due.unavailable", extra={"error": type(exc).__name__})
            break
        if not batch:
            break
        before = report.handled + report.busy + report.unrecorded
        for message in batch:
            deliver_one(message, outbox=outbox, senders=senders, now=clock(), report=report)
        if report.handled + report.busy + report.unrecorded == before:
            break
    return report


def deliver_ids(
    ids: list[str], *, outbox: OutboxRepository, senders: dict[Channel, Sender], clock: Callable[[], datetime]
) -> DeliveryReport:
    """Deliver these messages now (the stream handler: new outbox items as they are written)."""
    report = DeliveryReport()
    for message_id in ids:
        try:
            message = outbox.get(message_id)
        except Exception as exc:  # the schedule's run picks it up
            report.unrecorded += 1
            report.errors.append(f"{message_id}: {type(exc).__name__}")
            logger.warning(
                "outbox.get.unavailable", extra={"message_id": message_id, "error": type(exc).__name__}
            )
            continue
        if message is not None and message.next_attempt_at is not None and message.next_attempt_at > clock():
            continue  # not due yet (a retry's backoff, a notice's coalescing window): the schedule sends it
        if message is not None and message.status is OutboxStatus.PENDING:
            deliver_one(message, outbox=outbox, senders=senders, now=clock(), report=report)
    return report


# -- senders -----------------------------------------------------------------------------


class ClickUpSender:
    """Status (the list's own status name) and assignees; volunteers without a ClickUp seat
    are named in a comment instead."""

    def __init__(
        self, client: Any, mapping: Any, *, current_tick: Callable[[str, str], Any] | None = None
    ) -> None:
        self.client = client
        self.mapping = mapping
        # (task id, checklist item id) -> the holder's latest tick (StepTick) or None
        self.current_tick = current_tick

    @property
    def configured(self) -> bool:
        return bool(self.client.configured)

    def send(self, message: OutboxMessage) -> str:
        if message.action == "task.comment":
            return self._comment(message)
        if message.action == "task.checklist":
            return self._checklist(message)
        p = message.payload
        body: dict[str, Any] = {}
        lm = self.mapping.list_for(p.get("list_id"))
        from tasks.domain import TaskStatus

        if lm is not None and p.get("status"):
            name = lm.write_back.get(TaskStatus(p["status"]))
            if name:
                body["status"] = name
        new = (p.get("assignee") or {}).get("clickup_user_id")
        old = (p.get("previous_assignee") or {}).get("clickup_user_id")
        add, rem = ([new] if new else []), ([old] if old and old != new else [])
        if add or rem:
            body["assignees"] = {"add": add, "rem": rem}
        done = []
        if body:
            self.client.update_task(message.task_id, body)
            done.append(f"updated {sorted(body)}")
        named_without_seat = (p.get("assignee") and not new) or (p.get("previous_assignee") and not old)
        if named_without_seat and p.get("comment"):
            # A retry may follow a timeout that ClickUp did act on: look for our reference first,
            # so the comment is posted once.
            from tasks.clickup_text import comment_marker, has_comment, quote_outside, with_marker

            marker = comment_marker(message.id[:10])
            text = with_marker(quote_outside(str(p["comment"])), marker)
            already = message.attempts > 0 and has_comment(self.client.comments(message.task_id), marker)
            if not already:
                self.client.comment(message.task_id, text)
                done.append("commented")
            else:
                done.append("comment already there")
        return ", ".join(done) or "nothing to write"

    def _comment(self, message: OutboxMessage) -> str:
        """A member's comment, posted once: an earlier attempt may have reached ClickUp and lost
        its answer (or the worker stopped before recording it), so the task's comments are
        searched for the comment's marker first, on every attempt."""
        from tasks.clickup_text import has_comment
        from tasks.discussion import clickup_comment_text

        p = message.payload
        marker = str(p["marker"])
        if has_comment(self.client.comments(message.task_id), marker):
            return "comment already there"
        body = self.client.comment(
            message.task_id, clickup_comment_text(str(p.get("author") or ""), str(p["text"]), marker)
        )
        return f"commented id={body.get('id')}"

    def _checklist(self, message: OutboxMessage) -> str:
        """The holder's tick on the ClickUp checklist item: setting ``resolved`` is idempotent,
        so a repeat after a lost answer changes nothing."""
        p = message.payload
        latest = self.current_tick(message.task_id, str(p["item_id"])) if self.current_tick else None
        if latest is not None and latest.at_ms > int(p.get("at_ms") or 0):
            # A newer tick of the same step has its own message: ClickUp ends with that one,
            # whatever order retries deliver them in.
            return f"checklist item {p['item_id']}: superseded by a newer tick"
        resolved = bool(p["resolved"])
        self.client.update_checklist_item(str(p["checklist_id"]), str(p["item_id"]), resolved=resolved)
        return f"checklist item {p['item_id']} resolved={bool(p['resolved'])}"


class SlackSender:
    def __init__(self, client: Any) -> None:
        self.client = client

    @property
    def configured(self) -> bool:
        return bool(self.client.configured)

    def send(self, message: OutboxMessage) -> str:
        channel = message.payload.get("channel")
        if not channel:
            raise IntegrationError(
                "slack", f"shop {message.payload.get('shop')!r} has no Slack channel", permanent=True
            )
        # Everything in the text comes from people (names, task titles, reasons): escaped here, at
        # sending, so that messages queued before this rule are escaped too.
        text = slack_text(str(message.payload.get("text") or ""))
        task_url = https_url(message.payload.get("task_url"), host_suffix=LINK_HOSTS["clickup_url"])
        if task_url:
            text = f"{text} {slack_link(task_url, 'Open in ClickUp')}"
        body = self.client.post_message(channel=channel, text=text)
        return f"posted ts={body.get('ts')} channel={body.get('channel')}"


class DiscourseSender:
    def __init__(self, client: Any, *, on_topic: Callable[[str, str], None]) -> None:
        self.client = client
        self.on_topic = on_topic  # (task_id, topic url): saves the link on the task

    @property
    def configured(self) -> bool:
        return bool(self.client.configured)

    def send(self, message: OutboxMessage) -> str:
        p = message.payload
        url = self.client.create_topic(
            title=p["title"], raw=p["raw"], category=p.get("category"), external_id=p["external_id"]
        )
        self.on_topic(message.task_id, url)
        return f"topic {url}"
