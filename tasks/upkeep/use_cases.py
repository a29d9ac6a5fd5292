"""Upkeep use cases: remind quiet claims (and release them), send the weekly shop digests.
No Django, no PynamoDB: storage and the outbox come in through ``UpkeepDeps``.

Every message leaves through the outbox, in one transaction with a marker item whose
``attribute_not_exists`` condition makes it "once": a second run (the schedule firing twice,
a retry after a crash) finds the marker and queues nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from integrations.outbox.domain import Channel, OutboxMessage
from tasks import lifecycle
from tasks.domain import (
    DUE_SOON,
    Assignee,
    DueState,
    HistoryAction,
    HistoryEntry,
    HistorySource,
    Task,
    TaskStatus,
)
from voldash_site.errors import Conflict, DomainError, Forbidden, NotFound, WriteRefused
from volunteers.domain import MAKERSPACE_TZ

from . import messages
from .domain import (
    StalePolicies,
    StaleStep,
    by_due_date,
    is_critical_open_repair,
    is_due_maintenance,
    stale_step,
)

logger = logging.getLogger("voldash.upkeep")


@dataclass
class UpkeepDeps:
    reads: Any  # UpkeepReads
    marker: Callable[[str, str, datetime], Any]  # (kind, key, now) -> a conditional put Write
    outbox: Any
    uow: Any
    shops: Any  # ShopLookup: get(slug) -> Shop | None
    clock: Callable[[], datetime]
    lifecycle: lifecycle.LifecycleDeps
    policies: StalePolicies
    task_link: Callable[[str], str]
    dashboard: str
    last_progress: Callable[[list[Task]], dict[str, datetime]] = lambda tasks: {}
    progress_write: Callable[[str, str, datetime], Any] | None = None
    held_by_check: Callable[[Task], Any] | None = None


@dataclass
class StaleReport:
    examined: int = 0
    reminded: int = 0
    released: int = 0
    already_sent: int = 0
    moved_meanwhile: int = 0
    errors: list[str] = field(default_factory=list)


def _personal(
    action: str,
    task: Task,
    holder: Assignee,
    channel: str | None,
    text: str,
    now: datetime,
    blocks: list[dict] | None = None,
) -> OutboxMessage:
    """A message for one person: a direct message, or a mention in ``channel`` (decided at
    delivery from their profile: Slack user found by e-mail, direct messages allowed)."""
    return OutboxMessage(
        channel=Channel.SLACK,
        action=action,
        task_id=task.id,
        created_at=now,
        payload={
            "kind": "personal",
            "neon_id": holder.neon_id,
            "name": holder.name,
            "channel": channel,
            "text": text,
            "blocks": blocks,
        },
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%f")


def remind_stale_claims(deps: UpkeepDeps) -> StaleReport:
    """Each IN_PROGRESS claim with no progress for its shop's reminder days gets one reminder
    per quiet period; past the release days it is released (the release use case, in voldash's
    name), with a notice to the holder and the shop's channel."""
    report = StaleReport()
    now = deps.clock()
    quiet = list(deps.reads.quiet_claims(now - deps.policies.shortest_remind))
    answered = deps.last_progress(quiet)  # "Still on it" answers restart the quiet period
    for task in quiet:
        report.examined += 1
        if task.id in answered and answered[task.id] > task.updated_at:
            task = task.with_changes(updated_at=answered[task.id])
        policy = deps.policies.for_shop(task.shop)
        step = stale_step(task, now, policy)
        if step is None or task.assignee is None:
            continue
        holder = task.assignee
        shop = deps.shops.get(task.shop)
        channel = shop.slack_channel if shop else None
        idle_days = (now - task.updated_at).days
        try:
            if step is StaleStep.REMIND:
                text, blocks = messages.reminder(
                    task,
                    link=deps.task_link(task.id),
                    idle_days=idle_days,
                    release_on=task.updated_at + policy.release_after,
                )
                key = f"{task.id}#{holder.neon_id}#{_stamp(task.updated_at)}"
                writes = [
                    deps.marker("remind", key, now),
                    *deps.outbox.enqueue_writes(
                        [_personal("upkeep.remind", task, holder, channel, text, now, blocks)]
                    ),
                ]
                try:
                    deps.uow.commit(writes)
                except WriteRefused:
                    report.already_sent += 1
                    continue
                report.reminded += 1
            else:
                notice = messages.release_notice(task, link=deps.task_link(task.id), idle_days=idle_days)
                lifecycle.release_task(
                    task_id=task.id,
                    actor_id=holder.neon_id,
                    deps=deps.lifecycle,
                    reason=f"Released automatically: no progress for {idle_days} days.",
                    source=HistorySource.SYSTEM,
                    auto=lifecycle.AutoRelease(
                        holder_id=holder.neon_id,
                        quiet_since=now - policy.release_after,
                        text=messages.release_channel_text(task, holder.name, idle_days),
                        notices=lambda t, h, at, n=notice, c=channel: [
                            _personal("upkeep.released", t, h, c, n, at)
                        ],
                    ),
                )
                report.released += 1
        except DomainError as exc:  # the holder or a lead acted meanwhile: nothing to do
            report.moved_meanwhile += 1
            logger.info("upkeep.stale.skipped", extra={"task_id": task.id, "code": exc.code})
    return report


def still_on_it(*, task_id: str, actor_id: str, deps: UpkeepDeps, source: HistorySource) -> Task:
    """The holder answers a reminder: a history entry, and the quiet period starts again (the
    next reminder counts from now). Only the holder, only while they hold it."""
    task, actor = deps.uow.load(deps.lifecycle.tasks.load(task_id), deps.lifecycle.volunteers.load(actor_id))
    if task is None or task.deleted:
        raise NotFound(f"No task with id {task_id!r}.", detail={"id": task_id})
    if task.assignee is None or task.status not in (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD):
        raise Conflict("Nobody holds this task any more.", code="task_not_claimed")
    if actor is None or task.assignee.neon_id != actor.neon_id:
        raise Forbidden(
            "Only the volunteer holding this task can say they are still on it.", code="not_your_task"
        )
    assert deps.progress_write is not None and deps.held_by_check is not None
    now = deps.clock()
    entry = HistoryEntry(
        task_id=task.id,
        at=now,
        action=HistoryAction.STILL_ON_IT,
        source=source,
        actor_id=actor.neon_id,
        actor_name=actor.name,
        from_status=task.status,
        to_status=task.status,
        assignee_id=actor.neon_id,
        assignee_name=actor.name,
        event_id=uuid.uuid4().hex[:12],
        task_title=task.title,
        shop=task.shop,
    )
    writes = [
        deps.held_by_check(task),
        deps.lifecycle.tasks.history_write(entry),
        deps.progress_write(task.id, actor.neon_id, now),
    ]
    try:
        deps.uow.commit(writes)
    except WriteRefused as refused:
        raise Conflict("This task changed meanwhile; nothing was recorded.", code="task_changed") from refused
    return task


@dataclass
class DigestReport:
    shops: int = 0
    sent: int = 0
    already_sent: int = 0
    empty: int = 0
    tasks: int = 0


def week_of(now: datetime) -> str:
    """The digest's period: the ISO week in the makerspace's time zone, e.g. ``2026-W49``."""
    year, week, _ = now.astimezone(MAKERSPACE_TZ).isocalendar()
    return f"{year}-W{week:02d}"


def send_shop_digests(deps: UpkeepDeps, shops: list[Any]) -> DigestReport:
    """One message per shop channel with its overdue and due-soon PM and its critical open
    repairs, once per week: one Query and one transaction per shop."""
    report = DigestReport()
    now = deps.clock()
    week = week_of(now)
    for shop in shops:
        report.shops += 1
        tasks = deps.reads.due_in_shop(shop.slug, now + DUE_SOON, critical=True)
        due = by_due_date([t for t in tasks if is_due_maintenance(t, now)])
        overdue = [t for t in due if t.due_state(now) is DueState.OVERDUE]
        soon = [t for t in due if t.due_state(now) is DueState.DUE_SOON]
        critical = sorted((t for t in tasks if is_critical_open_repair(t)), key=lambda t: t.created_at)
        if not (overdue or soon or critical):
            report.empty += 1
            continue
        text, blocks = messages.digest(
            shop.name,
            overdue=overdue,
            due_soon=soon,
            critical=critical,
            link=deps.task_link,
            dashboard=deps.dashboard,
        )
        message = OutboxMessage(
            channel=Channel.SLACK,
            action="upkeep.digest",
            task_id=f"digest-{shop.slug}",
            created_at=now,
            payload={
                "kind": "channel",
                "shop": shop.slug,
                "channel": shop.slack_channel,
                "text": text,
                "blocks": blocks,
            },
        )
        try:
            deps.uow.commit(
                [deps.marker("digest", f"{shop.slug}#{week}", now), *deps.outbox.enqueue_writes([message])]
            )
        except WriteRefused:
            report.already_sent += 1
            continue
        report.sent += 1
        report.tasks += len(overdue) + len(soon) + len(critical)
    return report


@dataclass
class PmDueReport:
    shops: int = 0
    announced: int = 0
    already_announced: int = 0


def announce_pm_due(deps: UpkeepDeps, shops: list[Any]) -> PmDueReport:
    """Tell the shops' watchers (README: Notifications, ``pm_due``) of each PM task nobody holds
    that falls due within a day or is overdue: once per task and due date (the notice event's id
    is its key, put under ``attribute_not_exists``). One Query per shop, one transaction per task
    announced."""
    from tasks.notices import pm_due_message

    report = PmDueReport()
    now = deps.clock()
    for shop in shops:
        report.shops += 1
        for task in deps.reads.due_in_shop(shop.slug, now + timedelta(days=1)):
            if task.assignee is not None or task.due_at is None or not is_due_maintenance(task, now):
                continue
            message = pm_due_message(task.id, task.title, task.shop, task.due_at, now)
            try:
                deps.uow.commit(deps.outbox.enqueue_writes([message]))
            except WriteRefused:
                report.already_announced += 1
                continue
            report.announced += 1
    return report
