from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from voldash_site.container import get_container
from voldash_site.schemas import ErrorOut

from . import use_cases
from .schemas import AnnouncementListOut, AnnouncementOut, ShopListOut, ShopOut

router = Router(tags=["shops"])
announcements_router = Router(tags=["announcements"])


@router.get("", response={200: ShopListOut, 503: ErrorOut}, summary="All shops with task counts")
def list_shops(request: HttpRequest):
    """One DynamoDB Query: shops and their per-status task counters share an item collection."""
    shops = use_cases.list_shops(shops=get_container().shops)
    return ShopListOut(items=[ShopOut.from_shop(s) for s in shops])


@announcements_router.get(
    "", response={200: AnnouncementListOut, 503: ErrorOut}, summary="Active announcements"
)
def active_announcements(request: HttpRequest):
    """What the dashboard shows now, newest first (one Query)."""
    container = get_container()
    items = use_cases.active_announcements(announcements=container.announcements, now=container.clock())
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
            )
            for a in items
        ]
    )
