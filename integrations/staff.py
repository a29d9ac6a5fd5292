"""The sync page: inbox events (status, error, replay), outbox messages (retry), sweep runs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from tasks.reports.domain import PROVISIONAL_PREFIX
from voldash_site.staff.access import StaffContext
from voldash_site.staff.site import StaffPage, render_staff, site

from .health import SyncHealth, sync_health
from .inbox.domain import InboxEvent, InboxStatus, Source
from .inbox.processing import InboxReport, process_event
from .outbox.delivery import DeliveryReport, deliver_one
from .outbox.domain import OutboxMessage, OutboxStatus

LIMIT = 50


class SyncPage(StaffPage):
    slug = "sync"
    title = "Sync"
    nav_order = 20

    def get(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        c = ctx.container
        health = sync_health(c, limit=LIMIT)
        lists, hidden = scoped_with_hidden(
            ctx,
            {
                "failed_events": health.failed_events,
                "waiting_events": health.waiting,
                "outbox_failed": health.outbox_failed,
                "outbox_skipped": c.outbox.list_by_status(OutboxStatus.SKIPPED, limit=LIMIT),
                "outbox_pending": health.outbox_pending,
            },
        )
        health = replace(
            health,
            failed_events=lists["failed_events"],
            waiting=lists["waiting_events"],
            outbox_failed=lists["outbox_failed"],
            outbox_pending=lists["outbox_pending"],
        )
        return render_staff(
            request,
            "staff/sync.html",
            {
                "title": self.title,
                "health": health,
                "state": health.state,
                **lists,
                "hidden": hidden,
                "hidden_total": sum(hidden.values()),
                "titles": _titles(
                    ctx,
                    [
                        m
                        for name in ("outbox_failed", "outbox_skipped", "outbox_pending")
                        for m in lists[name]
                    ],
                ),
                "runs": c.sync_state.runs("clickup", limit=10),
            },
        )

    def post(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        c = ctx.container
        back = HttpResponseRedirect("/staff/sync/")
        now = c.clock()
        replay_id = request.POST.get("replay", "")[:80]
        retry_id = request.POST.get("retry", "")[:80]
        if not ctx.is_staff:
            # A lead acts on their shops' items only; anything else is a 404 (existing or not).
            target = c.inbox.get(replay_id) if replay_id else c.outbox.get(retry_id) if retry_id else None
            shop = _shop_of(target, _task_shops(ctx, [_task_of(target)])) if target is not None else None
            if not shop or not ctx.can_see_shop(shop):
                raise Http404("No such item in your shops.")
        if event_id := replay_id:
            # Replay means "process it again now": the staff member sees the result at once.
            if not c.inbox.replay(event_id, now):
                messages.error(request, "No such event.")
                return back
            event = c.inbox.get(event_id)
            report = InboxReport()
            process_event(event, inbox=c.inbox, handlers=c.inbox_handlers(), now=now, report=report)
            after = c.inbox.get(event_id)
            if after.status is InboxStatus.FAILED:
                messages.error(
                    request,
                    f"Replayed {event.kind} for task {event.subject_id}: failed again: {after.last_error}",
                )
            else:
                messages.success(
                    request, f"Replayed {event.kind} for task {event.subject_id}: {after.result}."
                )
        elif message_id := retry_id:
            if not c.outbox.retry(message_id, now):
                messages.error(request, "Only failed or skipped messages can be retried.")
                return back
            report = DeliveryReport()
            message = c.outbox.get(message_id)
            deliver_one(message, outbox=c.outbox, senders=c.senders(), now=now, report=report)
            after = c.outbox.get(message_id)
            status = after.status.value.lower()
            text = f"Retried {after.channel.value} message for task {after.task_id}: {status}"
            (messages.success if after.status is OutboxStatus.SENT else messages.warning)(
                request, text + (f" ({after.last_error})" if after.last_error else ".")
            )
        else:
            messages.error(request, "Nothing to do.")
        return back


def scoped(ctx: StaffContext, lists: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Leads see their shops' items only (Neon events and items of unknown tasks: staff)."""
    return scoped_with_hidden(ctx, lists)[0]


def scoped_with_hidden(
    ctx: StaffContext, lists: dict[str, list[Any]]
) -> tuple[dict[str, list[Any]], dict[str, int]]:
    """The lead's share of each list, and how many items of each are staff-only because they
    belong to no shop we know (Neon accounts, tasks voldash does not hold yet). Another shop's
    items are not counted: they are not hidden from this lead, they are simply not theirs."""
    if ctx.is_staff:
        return lists, {name: 0 for name in lists}
    every = [x for items in lists.values() for x in items]
    shops = _task_shops(ctx, [_task_of(x) for x in every])
    mine = {
        name: [x for x in items if ctx.can_see_shop(_shop_of(x, shops) or "")]
        for name, items in lists.items()
    }
    hidden = {name: sum(1 for x in items if not _shop_of(x, shops)) for name, items in lists.items()}
    return mine, hidden


def scoped_health(ctx: StaffContext, health: SyncHealth) -> tuple[SyncHealth, dict[str, int]]:
    """The sync health a lead may see (failures of their shops' items only), and how many
    failures are hidden as staff-only."""
    mine, hidden = scoped_with_hidden(
        ctx, {"failed_events": health.failed_events, "outbox_failed": health.outbox_failed}
    )
    return replace(health, **mine), hidden


def _task_of(item: InboxEvent | OutboxMessage | None) -> str | None:
    """The voldash task an item is about. A problem report's messages before its ClickUp task
    exists (``report.create_task``) name the report: its provisional task holds the shop."""
    if isinstance(item, InboxEvent):
        return item.subject_id if item.source is Source.CLICKUP else None
    if isinstance(item, OutboxMessage):
        report_id = item.payload.get("report_id")
        if isinstance(report_id, str) and item.task_id == report_id:
            return f"{PROVISIONAL_PREFIX}{report_id}"
        return item.task_id
    return None


def _titles(ctx: StaffContext, items: list[OutboxMessage]) -> dict[str, dict[str, str]]:
    """Each message's task: its title and the staff page that opens it (one BatchGetItem)."""
    ids = sorted({t for t in (_task_of(m) for m in items) if t})
    if not ids:
        return {}
    tasks = ctx.container.uow.load(*[ctx.container.tasks.load(i) for i in ids])
    known = {i: t for i, t in zip(ids, tasks, strict=True) if t is not None}
    out = {}
    for m in items:
        task = known.get(_task_of(m) or "")
        if task is not None:
            out[m.id] = {"title": task.title, "link": f"/staff/tasks/{task.id}/"}
    return out


def _shop_of(item: InboxEvent | OutboxMessage, task_shops: dict[str, str]) -> str | None:
    """The shop an event or message is about: the message's own, else its task's."""
    if isinstance(item, OutboxMessage) and isinstance(item.payload.get("shop"), str):
        return item.payload["shop"]
    task_id = _task_of(item)
    return task_shops.get(task_id) if task_id else None


def _task_shops(ctx: StaffContext, task_ids: list[str | None]) -> dict[str, str]:
    """The shops of these tasks: one BatchGetItem."""
    ids = sorted({i for i in task_ids if i})
    if not ids:
        return {}
    tasks = ctx.container.uow.load(*[ctx.container.tasks.load(i) for i in ids])
    return {i: t.shop for i, t in zip(ids, tasks, strict=True) if t is not None}


site.register(SyncPage())
