"""``POST /api/v1/me/calendar`` (a new secret feed URL, replacing any earlier one) and
``DELETE /api/v1/me/calendar`` (revoke it)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema

from voldash_site.auth import session_auth
from voldash_site.container import get_container
from voldash_site.schemas import ErrorOut

router = Router(tags=["calendars"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 503: ErrorOut}


class CalendarOut(Schema):
    url: str  # secret: whoever has it sees the tasks you hold; POST again to replace it
    shop_urls: dict[str, str]  # each shop's PM calendar (public)


def _base(request: HttpRequest) -> str:
    return (settings.PUBLIC_BASE_URL or "").rstrip("/") or request.build_absolute_uri("/").rstrip("/")


@router.post(
    "/me/calendar",
    auth=session_auth,
    response={201: CalendarOut, **ERRORS},
    summary="Create (or replace) my calendar feed URL",
)
def create_calendar(request: HttpRequest):
    """One PutItem. The token is stored hashed; the previous URL stops working at once."""
    from shops.catalog import SHOP_SLUGS

    from .calendar_store import CalendarStore

    neon_id = request.auth.neon_id
    token = CalendarStore().issue(neon_id, get_container().clock())
    base = _base(request)
    body = CalendarOut(
        url=f"{base}/calendar/{neon_id}/{token}.ics",
        shop_urls={s: f"{base}/calendar/shops/{s}.ics" for s in SHOP_SLUGS},
    )
    response = JsonResponse(body.model_dump())
    response.status_code = 201
    response["Cache-Control"] = "no-store"  # the URL is a secret
    return response


@router.delete(
    "/me/calendar", auth=session_auth, response={204: None, **ERRORS}, summary="Revoke my calendar feed URL"
)
def revoke_calendar(request: HttpRequest):
    """One DeleteItem; idempotent."""
    from .calendar_store import CalendarStore

    CalendarStore().revoke(request.auth.neon_id)
    return HttpResponse(status=204)
