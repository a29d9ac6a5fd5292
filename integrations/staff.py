"""The sync page: inbox events (status, error, replay), outbox messages (retry), sweep runs."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from voldash_site.staff.access import StaffContext
from voldash_site.staff.site import StaffPage, render_staff, site

from .health import sync_health
from .inbox.domain import InboxStatus
from .inbox.processing import InboxReport, process_event
from .outbox.delivery import DeliveryReport, deliver_one
from .outbox.domain import OutboxStatus

LIMIT = 50


class SyncPage(StaffPage):
    slug = "sync"
    title = "Sync"
    nav_order = 20

    def get(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        c = ctx.container
        health = sync_health(c, limit=LIMIT)
        return render_staff(
            request,
            "staff/sync.html",
            {
                "title": self.title,
                "health": health,
                "state": health.state,
                "failed_events": health.failed_events,
                "waiting_events": health.waiting,
                "outbox_failed": health.outbox_failed,
                "outbox_skipped": c.outbox.list_by_status(OutboxStatus.SKIPPED, limit=LIMIT),
                "outbox_pending": health.outbox_pending,
                "runs": c.sync_state.runs("clickup", limit=10),
            },
        )

    def post(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        c = ctx.container
        back = HttpResponseRedirect("/staff/sync/")
        now = c.clock()
        if event_id := request.POST.get("replay", "")[:80]:
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
        elif message_id := request.POST.get("retry", "")[:80]:
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


site.register(SyncPage())
