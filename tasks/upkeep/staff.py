"""The lead's dashboard: PM due per shop, and what will happen to quiet claims (before it does).

Reads: one Query per shop the lead leads (staff: one per not-done status); the quiet claims
come from the tasks the dashboard has already read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tasks.domain import DUE_SOON, Task, TaskStatus

from .config import stale_policies
from .domain import group_due_maintenance, is_tracked_claim, upcoming
from .repository import UpkeepReads

# A quiet claim shows on the dashboard this long before its reminder is due.
HEADS_UP = timedelta(days=2)
SHOWN = 20


def upkeep_context(
    ctx: Any, active: list[Task], now: datetime, *, stale_after: timedelta = timedelta(days=7)
) -> dict[str, Any]:
    reads = UpkeepReads()
    until = now + DUE_SOON
    if ctx.is_staff:
        due = reads.due_everywhere(until)
    else:
        due = [t for shop in ctx.shops for t in reads.due_in_shop(shop, until)]
    policies = stale_policies()
    if ctx.is_staff:  # every shop: the quietest claims, one Query (the dashboard's own read is newest first)
        held = list(reads.quiet_claims(now - policies.shortest_remind + HEADS_UP, page_size=100, max_pages=1))
    else:
        held = active
    steps = sorted(
        (
            upcoming(t, policies.for_shop(t.shop))
            for t in held
            if is_tracked_claim(t) and ctx.can_see_shop(t.shop)
        ),
        key=lambda s: s.remind_at,
    )
    steps = [s for s in steps if now >= s.remind_at - HEADS_UP]
    # On-hold claims (parts ordered...) are never reminded nor released: said, not silently left out.
    on_hold = [
        t
        for t in active
        if t.status is TaskStatus.ON_HOLD
        and t.assignee is not None
        and not t.deleted
        and ctx.can_see_shop(t.shop)
    ]
    return {
        "maintenance": group_due_maintenance(due, now, ctx.shops),
        "quiet_claims": [
            {"step": s, "reminded": now >= s.remind_at, "released": now >= s.release_at, "task": s.task}
            for s in steps[:SHOWN]
        ],
        "on_hold_claims": len(on_hold),
        "on_hold_long": sum(1 for t in on_hold if now - t.updated_at > stale_after),
        "quiet_more": max(0, len(steps) - SHOWN),
    }
