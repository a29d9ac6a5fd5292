"""The lead's dashboard, attention first: what needs them today, in the order to act on it.

A short "today" list on top (it fits a phone's first screen), then the same in detail:
1. critical and high tasks nobody holds, 2. overdue preventive maintenance, 3. hours to review
(never the viewer's own), 4. quiet claims, then claims held long, the sync (staff: every tile;
a lead: their shops' failures and what is hidden as staff-only), open tasks per shop.

Reads are bounded: one Query per shop the lead leads (staff: four Queries over the status
index), one for pending hours (one per shop for a lead), one BatchGetItem for names, and the
sync health's queues.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from integrations.clickup.webhook_admin import not_active, public
from integrations.health import sync_health
from integrations.staff import scoped_health
from shops.use_cases import list_shops
from tasks.domain import Task, TaskStatus, Urgency

from .access import StaffContext
from .display import age
from .site import StaffPage, render_staff, site

STALE_SWEEP = timedelta(hours=2)
URGENT = (Urgency.CRITICAL, Urgency.HIGH)
HELD = (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD)
URGENCY_RANK = {u: i for i, u in enumerate(Urgency)}


def stale_claim_days() -> int:
    return int(settings.STAFF_STALE_CLAIM_DAYS)


def _active_tasks(ctx: StaffContext) -> list[Task]:
    """Open and held tasks of the viewer's shops (not DONE), at most 100 per query."""
    tasks = ctx.container.tasks
    if ctx.is_staff:
        out = []
        for urgency in URGENT:
            out += tasks.list_by_status(TaskStatus.OPEN, urgency=urgency, limit=100).items
        for status in HELD:
            out += tasks.list_by_status(status, limit=100).items
        return out
    out = []
    for shop in ctx.shops:  # the shop index sorts OPEN, ON_HOLD, IN_PROGRESS before DONE
        out += [t for t in tasks.list_by_shop(shop, limit=100).items if t.status is not TaskStatus.DONE]
    return out


class DashboardPage(StaffPage):
    slug = ""
    title = "Dashboard"
    nav_order = 0

    def get(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        from tasks.upkeep.staff import upkeep_context  # PM due, quiet claims (issue 18)
        from volunteers.staff import hours_rows  # the volunteers app's view of pending hours

        c = ctx.container
        now = c.clock()
        active = _active_tasks(ctx)
        unheld = sorted(
            (t for t in active if t.status is TaskStatus.OPEN and t.assignee is None and t.urgency in URGENT),
            key=lambda t: (URGENCY_RANK[t.urgency], t.created_at),
        )
        limit = timedelta(days=stale_claim_days())
        held_long = sorted(
            (t for t in active if t.status in HELD and t.assignee is not None and now - t.updated_at > limit),
            key=lambda t: t.updated_at,
        )
        hours_page = hours_rows(ctx, limit=100)
        hours = [r for r in hours_page.rows if not r["mine"]]  # nobody reviews their own
        own_hours = len(hours_page.rows) - len(hours)
        health, hidden = scoped_health(ctx, sync_health(c))
        webhooks = c.sync_state.get("clickup").webhooks
        shops = [s for s in list_shops(shops=c.shops) if ctx.can_see_shop(s.slug)]
        most = max([s.open_tasks for s in shops] + [1])
        several = len(ctx.shops) > 1
        upkeep = upkeep_context(ctx, active, now, stale_after=limit)
        overdue = sum(len(m.overdue) for m in upkeep["maintenance"])
        critical = [t for t in unheld if t.urgency is Urgency.CRITICAL]
        quiet = len(upkeep["quiet_claims"]) + upkeep["quiet_more"]
        today = [
            (
                "needs-someone",
                f"{len(critical)} critical repair{'s' if len(critical) != 1 else ''} nobody holds"
                + (f" ({len(unheld) - len(critical)} high)" if len(unheld) > len(critical) else ""),
                len(unheld),
            ),
            ("maintenance-due", f"{overdue} preventive maintenance overdue", overdue),
            (
                "hours-review",
                f"{len(hours)}{'+' if hours_page.next_cursor else ''} time "
                f"entr{'y' if len(hours) == 1 else 'ies'} to review",
                len(hours),
            ),
            (
                "quiet-claims",
                f"{quiet} quiet claim{'s' if quiet != 1 else ''} near a reminder or release",
                quiet,
            ),
        ]
        return render_staff(
            request,
            "staff/dashboard.html",
            {
                "title": "Dashboard",
                "several_shops": several,
                "unheld": [(t, age(t.created_at, now)) for t in unheld[:20]],
                "unheld_more": max(0, len(unheld) - 20),
                "held_long": [(t, age(t.updated_at, now)) for t in held_long[:20]],
                "held_more": max(0, len(held_long) - 20),
                "stale_days": stale_claim_days(),
                "hours": hours[:5],
                "pending_hours": len(hours),
                "pending_more": bool(hours_page.next_cursor),
                "own_hours": own_hours,
                "today": today,
                "health": health,
                "hidden": hidden,
                # ClickUp's webhook health as the last check stored it (no secrets)
                "webhooks": [public(w) for w in webhooks],
                "webhooks_active": len(webhooks) - not_active(webhooks),
                "webhooks_not_active": not_active(webhooks),
                "sweep_stale": health.last_sweep_at is None or now - health.last_sweep_at > STALE_SWEEP,
                "shops": [(s, round(100 * s.open_tasks / most)) for s in shops],
                "attention": len(unheld) + len(held_long) + len(hours) + health.failing,
                **upkeep,
            },
        )


site.register(DashboardPage())
