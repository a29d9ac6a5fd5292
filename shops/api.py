from __future__ import annotations

from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router

from voldash_site.auth import dismissed_from_session, remember, session_auth
from voldash_site.container import get_container
from voldash_site.schemas import ErrorOut
from volunteers import use_cases as volunteer_use_cases

from . import use_cases
from .schemas import AnnouncementListOut, AnnouncementOut, ShopListOut, ShopOut, ShopParam

router = Router(tags=["shops"])
announcements_router = Router(tags=["announcements"])


@router.get("", response={200: ShopListOut, 503: ErrorOut}, summary="All shops with task counts")
def list_shops(request: HttpRequest):
    """One DynamoDB Query: shops and their per-status task counters share an item collection."""
    shops = use_cases.list_shops(shops=get_container().shops)
    return ShopListOut(items=[ShopOut.from_shop(s) for s in shops])


@announcements_router.get(
    "",
    response={200: AnnouncementListOut, 422: ErrorOut, 503: ErrorOut},
    summary="Active announcements (per shop and makerspace-wide)",
)
def active_announcements(
    request: HttpRequest,
    shop: ShopParam | None = Query(
        None, description="A shop slug: that shop's and the makerspace-wide announcements"
    ),
    include_dismissed: bool = Query(False, description="Also list the ones the viewer dismissed"),
):
    """What the dashboard shows now, newest first (one Query). For a logged-in viewer the ones
    they dismissed (on any device) are left out, unless ``include_dismissed``."""
    container = get_container()
    items = use_cases.active_announcements(
        announcements=container.announcements, now=container.clock(), shop=shop
    )
    dismissed = dismissed_from_session(request)
    return AnnouncementListOut(
        items=[
            AnnouncementOut(
                id=a.id,
                title=a.title,
                message=a.message,
                type=a.kind.value,
                shop=a.shop,
                date=a.created_at,
                expires_at=a.expires_at,
                dismissed=a.id in dismissed,
            )
            for a in items
            if include_dismissed or a.id not in dismissed
        ]
    )


@announcements_router.post(
    "/{announcement_id}/dismiss",
    auth=session_auth,
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    summary="Dismiss an announcement for me, on every device",
)
def dismiss_announcement(request: HttpRequest, announcement_id: str = Path(..., max_length=64)):
    """Stored on the profile (one UpdateItem, idempotent), so it sticks across devices."""
    container = get_container()
    active = use_cases.active_announcements(announcements=container.announcements, now=container.clock())
    dismissed = volunteer_use_cases.dismiss_announcement(
        neon_id=request.auth.neon_id,
        announcement_id=announcement_id,
        volunteers=container.volunteers,
        known_ids={a.id for a in active},
    )
    remember(request, replace(request.auth, dismissed_announcements=dismissed))
    return HttpResponse(status=204)
