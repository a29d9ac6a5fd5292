"""Upkeep settings read from Django settings (README: Settings)."""

from __future__ import annotations

from django.conf import settings

from .domain import StalePolicies, StalePolicy, parse_shop_policies


def stale_policies() -> StalePolicies:
    default = StalePolicy(int(settings.STALE_CLAIM_REMIND_DAYS), int(settings.STALE_CLAIM_RELEASE_DAYS))
    return StalePolicies(default, parse_shop_policies(settings.STALE_CLAIM_SHOP_DAYS, default))


def dashboard_base() -> str:
    """The volunteers' dashboard as an absolute URL (FRONTEND_URL, or relative to
    PUBLIC_BASE_URL), without a trailing slash; links in Slack and calendars start here."""
    front = (settings.FRONTEND_URL or "/").strip()
    if not front.startswith(("https://", "http://")):
        front = (settings.PUBLIC_BASE_URL or "").rstrip("/") + "/" + front.lstrip("/")
    return front.rstrip("/")


def task_link(task_id: str) -> str:
    return f"{dashboard_base()}/tasks/{task_id}"
