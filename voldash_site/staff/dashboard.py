"""The staff dashboard: sync health at a glance and open tasks per shop."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse

from integrations.clickup.webhook_admin import not_active, public
from integrations.outbox.domain import OutboxStatus
from shops.use_cases import list_shops

from .access import StaffContext
from .site import StaffPage, render_staff, site

STALE_WEBHOOK = timedelta(days=2)
STALE_SWEEP = timedelta(hours=2)


class DashboardPage(StaffPage):
    slug = ""
    title = "Dashboard"
    nav_order = 0

    def get(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        c = ctx.container
        now = c.clock()
        state = c.sync_state.get("clickup")
        shops = [s for s in list_shops(shops=c.shops) if ctx.can_see_shop(s.slug)]
        most = max([s.open_tasks for s in shops] + [1])
        failed_events = c.inbox.failed(limit=100)
        pending_hours = c.volunteers.pending_hours(shops=None if ctx.is_staff else list(ctx.shops), limit=100)
        return render_staff(
            request,
            "staff/dashboard.html",
            {
                "title": "Dashboard",
                "state": state,
                "webhook_stale": state.last_event_at is None or now - state.last_event_at > STALE_WEBHOOK,
                # ClickUp's webhook health as the last check stored it (no secrets)
                "webhooks": [public(w) for w in state.webhooks],
                "webhooks_active": len(state.webhooks) - not_active(state.webhooks),
                "webhooks_not_active": not_active(state.webhooks),
                "sweep_stale": state.last_sweep_at is None or now - state.last_sweep_at > STALE_SWEEP,
                "failed_events": len(failed_events),
                "outbox_pending": len(c.outbox.list_by_status(OutboxStatus.PENDING, limit=100)),
                "outbox_failed": len(c.outbox.list_by_status(OutboxStatus.FAILED, limit=100)),
                "drift": sum(len(v) for v in state.drift.values()),
                "pending_hours": len(pending_hours),
                "shops": [(s, round(100 * s.open_tasks / most)) for s in shops],
            },
        )


site.register(DashboardPage())
