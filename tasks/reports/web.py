"""What the report endpoint and the public page share: who is asking, from where."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from voldash_site.client_ip import client_address  # noqa: F401 - re-exported for the views

from .domain import ProblemReport, ReportState, task_name
from .use_cases import Reporter

DEVICE_COOKIE = "voldash_device"
DEVICE_MAX_AGE = 60 * 60 * 24 * 365


def device_id(request: HttpRequest) -> tuple[str, bool]:
    """The device cookie's value, or a new one (True: set it on the response)."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    if 16 <= len(value) <= 64 and value.isalnum():
        return value, False
    return secrets.token_hex(16), True


def set_device_cookie(response: HttpResponse, value: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def reporter_for(viewer: Any, container: Any) -> Reporter | None:
    """A logged-in member: name and contact from their profile (one GetItem)."""
    if viewer is None:
        return None
    profile = container.volunteers.get(viewer.neon_id)
    contact = ""
    if profile is not None:
        contact = getattr(profile, "email", "") or getattr(profile, "phone", "") or ""
    return Reporter(neon_id=viewer.neon_id, name=viewer.name, contact=contact)


def status_dict(report: ProblemReport) -> dict:
    closed = report.state is ReportState.SPAM
    return {
        "id": report.id,
        "status": report.public_status.value,
        "title": task_name(report),
        "shop": report.shop,
        "area": report.area,
        "created_at": report.created_at.isoformat(),
        "task_id": None if closed else report.task_id,
        "clickup_url": f"https://app.clickup.com/t/{report.clickup_task_id}"
        if report.clickup_task_id and not closed
        else None,
    }
