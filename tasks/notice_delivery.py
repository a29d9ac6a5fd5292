"""Delivering personal notices (outbox channel ``notice``), in two steps:

- ``notice.event`` (written with the change): decide who hears, against the task as it is now
  (one GetItem), the watchers of its shop for a new urgent repair (one Query per page) and the
  addressees' profiles (one BatchGetItem per 100); then put the line into each person's waiting
  notice (one transaction each, at most once per event and person; ``queue_notice``).
- ``notice.send`` (when its coalescing window or the morning digest comes): read the person's
  preferences again (what they turned off meanwhile is dropped) and send one message: a Slack
  direct message to the user found by their e-mail, else an e-mail (plain and HTML).

Failures go the outbox's way: transient ones are retried, permanent ones parked for staff.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.http import IntegrationError
from integrations.outbox.domain import OutboxMessage
from volunteers.domain import SHOP_NOTICE_KINDS, NoticeChannel, NoticeKind, NoticeMode

from .notices import (
    NoticeEvent,
    NoticeLine,
    TaskNow,
    addressees,
    email_notice,
    send_after,
    slack_notice,
)


@dataclass(frozen=True)
class NoticeLinks:
    task: Callable[[str], str]  # task id -> the dashboard's page of it
    off: Callable[[str, NoticeKind], str]  # (neon id, kind) -> the one-click "stop these" link
    settings: str  # the dashboard's notification settings


class NoticeSender:
    def __init__(
        self,
        *,
        tasks: Any,
        volunteers: Any,
        shops: Any,
        queue_notice: Callable[..., str],
        slack: Any,
        people: Any,
        mailer: Any,
        links: NoticeLinks,
        clock: Callable[[], datetime],
    ) -> None:
        self.tasks, self.volunteers, self.shops = tasks, volunteers, shops
        self.queue_notice = queue_notice
        self.slack, self.people, self.mailer = slack, people, mailer
        self.links, self.clock = links, clock

    @property
    def configured(self) -> bool:
        return True  # e-mail is the way of last resort; a notice nobody can receive fails visibly

    def send(self, message: OutboxMessage) -> str:
        if message.action == "notice.event":
            return self._fan_out(NoticeEvent.from_payload(message.payload))
        if message.action == "notice.send":
            return self._deliver(message)
        raise IntegrationError("notice", f"unknown notice action {message.action!r}", permanent=True)

    # -- who hears -------------------------------------------------------------------------

    def _fan_out(self, ev: NoticeEvent) -> str:
        task = self.tasks.get(ev.task_id)
        now_task = (
            TaskNow(
                holder_id=task.assignee.neon_id if task.assignee else None,
                title=task.title,
                shop=task.shop,
                urgency=task.urgency,
                status=task.status,
                due_at=task.due_at,
                deleted=task.deleted,
            )
            if task is not None
            else None
        )
        who = addressees(ev, now_task)
        targets = list(who.direct)
        if who.watchers is not None and now_task is not None:
            line = who.watchers
            targets += [(n, line) for n in self.volunteers.shop_watchers(now_task.shop) if n != ev.actor_id]
        if not targets:
            return "nobody to tell"
        profiles = self.volunteers.get_many([n for n, _ in targets])
        shop = self.shops.get(now_task.shop) if now_task is not None else None
        counts: dict[str, int] = {}
        for neon_id, line in targets:
            outcome = self._queue(neon_id, line, ev, profiles.get(neon_id), shop)
            counts[outcome] = counts.get(outcome, 0) + 1
        return ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))

    def _queue(self, neon_id: str, line: NoticeLine, ev: NoticeEvent, person: Any, shop: Any) -> str:
        if person is None:
            return "without profile"
        prefs = person.preferences.notices
        if not prefs.wants(line.kind, ev.at):
            return "turned off"
        if line.kind in SHOP_NOTICE_KINDS and (
            not person.membership_active
            or (shop is not None and shop.missing_certifications(person.certifications))
        ):
            return "not certified"
        digest = prefs.mode is NoticeMode.DIGEST
        key = "digest" if digest else line.task_id
        return self.queue_notice(
            message_id=f"notice-{neon_id}-{key}",
            recipient=neon_id,
            line=line.to_dict(),
            event_key=ev.event_id,
            due=send_after(ev.at, digest=digest),
            now=self.clock(),
            task_id=line.task_id,
            shop=getattr(shop, "slug", None) or ev.shop,
        )

    # -- the message -----------------------------------------------------------------------

    def _deliver(self, message: OutboxMessage) -> str:
        neon_id = str(message.payload["recipient"])
        person = self.volunteers.get(neon_id)
        if person is None:
            return "no profile any more: nothing sent"
        prefs = person.preferences.notices
        lines = [NoticeLine.from_dict(d) for d in message.payload.get("lines") or ()]
        lines = [line for line in lines if prefs.wants(line.kind, line.at)]
        if not lines:
            return "turned off meanwhile: nothing sent"

        def off(kind: NoticeKind) -> str:
            return self.links.off(neon_id, kind)

        links = {"task_link": self.links.task, "off_link": off, "settings_link": self.links.settings}
        if prefs.channel is NoticeChannel.SLACK and self.slack.configured:
            user_id = self._slack_user(neon_id)
            if user_id:
                body = self.slack.post_message(channel=user_id, text=slack_notice(lines, **links))
                return f"direct message ts={body.get('ts')} ({len(lines)} lines)"
        if not person.email:
            raise IntegrationError(
                "notice", "no Slack user and no e-mail address to write to", permanent=True
            )
        mail = email_notice(lines, **links)
        unsubscribe = off(lines[0].kind) if len({line.kind for line in lines}) == 1 else self.links.settings
        self.mailer.send_notice(
            to=person.email, subject=mail.subject, text=mail.text, html=mail.html, unsubscribe=unsubscribe
        )
        return f"e-mailed ({len(lines)} lines)"

    def _slack_user(self, neon_id: str) -> str | None:
        who = self.people.get(neon_id)
        if who is None:
            return None
        if who.slack_user_id:
            return who.slack_user_id
        if not who.email:
            return None
        user_id = self.slack.lookup_user_by_email(who.email)
        if user_id:
            self.people.remember(who.neon_id, who.email, user_id)
        return user_id
