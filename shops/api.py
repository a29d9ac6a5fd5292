from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from voldash_site.container import get_container
from voldash_site.schemas import ErrorOut

from . import use_cases
from .schemas import ShopListOut, ShopOut

router = Router(tags=["shops"])


@router.get("", response={200: ShopListOut, 503: ErrorOut}, summary="All shops with task counts")
def list_shops(request: HttpRequest):
    """One DynamoDB Query: shops and their per-status task counters share an item collection."""
    shops = use_cases.list_shops(shops=get_container().shops)
    return ShopListOut(items=[ShopOut.from_shop(s) for s in shops])
