"""How the staff pages show times, ages and badges: one time zone (Austin), always labelled."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.html import format_html
from django.utils.safestring import SafeString

from volunteers.domain import MAKERSPACE_TZ

TIME_ZONE_LABEL = "Austin time (America/Chicago)"


def local_time(value: datetime | None, *, date_only: bool = False) -> SafeString | str:
    """``2026-11-29 20:50 CST`` in a <time> element (the UTC instant in ``datetime``)."""
    if value is None:
        return "—"
    local = value.astimezone(MAKERSPACE_TZ)
    text = local.strftime("%Y-%m-%d") if date_only else local.strftime("%Y-%m-%d %H:%M %Z")
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), TIME_ZONE_LABEL, text)


def plain_time(value: datetime) -> str:
    """``2026-12-14 16:03 CST``: Austin time, labelled, as text (messages, sentences)."""
    return value.astimezone(MAKERSPACE_TZ).strftime("%Y-%m-%d %H:%M %Z")


def age(since: datetime | None, now: datetime) -> str:
    """A short, readable duration: ``45 min``, ``5 h``, ``3 days``."""
    if since is None:
        return "—"
    delta = max(now - since, timedelta(0))
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} min"
    if delta < timedelta(days=2):
        return f"{int(delta.total_seconds() // 3600)} h"
    return f"{delta.days} days"


def badge(value: str) -> SafeString:
    return format_html('<span class="badge {}">{}</span>', value, value.replace("_", " ").lower())
