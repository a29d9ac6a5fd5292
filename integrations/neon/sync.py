"""Neon in: webhook events and the `sync_neon` sweep both refresh profiles through the API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from integrations.inbox.domain import InboxEvent, InboxStatus
from volunteers.domain import MAKERSPACE_TZ
from volunteers.use_cases import refresh_from_neon

logger = logging.getLogger("voldash.sync.neon")


@dataclass
class NeonSyncDeps:
    neon: Any
    volunteers: Any
    shops: Any  # ShopDirectory
    roles: Any
    clock: Callable[[], datetime]


def _refresh(account_id: str, deps: NeonSyncDeps) -> None:
    now = deps.clock()
    refresh_from_neon(
        account_id=account_id,
        neon=deps.neon,
        volunteers=deps.volunteers,
        shops=deps.shops,
        roles=deps.roles,
        now=now,
        today=now.astimezone(MAKERSPACE_TZ).date(),
    )


def handle_neon_event(event: InboxEvent, deps: NeonSyncDeps) -> tuple[InboxStatus, str]:
    """Only volunteers we know are refreshed; anyone else gets a profile when they log in."""
    if deps.volunteers.get(event.subject_id) is None:
        return InboxStatus.IGNORED, "not a dashboard volunteer"
    _refresh(event.subject_id, deps)
    return InboxStatus.DONE, "profile refreshed"


@dataclass
class NeonSweepReport:
    refreshed: int = 0
    gone: int = 0
    failed: list[str] = field(default_factory=list)


def sync_neon(deps: NeonSyncDeps, *, progress: Callable[[int], None] | None = None) -> NeonSweepReport:
    """Refresh every known volunteer, one at a time: Neon limits concurrent requests per org
    (searches to one at a time), so this never runs two Neon calls at once."""
    from voldash_site.errors import NotFound

    report = NeonSweepReport()
    cursor = None
    while True:
        page = deps.volunteers.list_by_name(limit=100, cursor=cursor)
        for volunteer in page.items:
            try:
                _refresh(volunteer.neon_id, deps)
                report.refreshed += 1
            except NotFound:
                report.gone += 1  # deleted or merged in Neon: the profile stays, unrefreshed
            except Exception as exc:  # keep going; report what failed
                report.failed.append(f"{volunteer.neon_id}: {type(exc).__name__}: {exc}")
            if progress:
                progress(1)
        cursor = page.next_cursor
        if not cursor:
            return report
