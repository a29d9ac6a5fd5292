"""The calendar feeds: ``/calendar/{neon_id}/{token}.ics`` (a member's, secret) and
``/calendar/shops/{shop}.ics`` (a shop's PM due dates, public like the task feed). A shop's is one
DynamoDB Query; a member's one Query and one BatchGetItem of the tasks they hold (as they are
now); an unknown or revoked URL is a 404 that says nothing more."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from shops.catalog import ASMBLY_SHOPS, SHOP_SLUGS
from voldash_site.container import get_container

from .calendar_store import CalendarStore
from .calendars import ical
from .config import task_link

CACHE = "private, max-age=300"
# A shop's feed is the same for everyone: shared caches (CloudFront) may keep it 15 minutes
# (the build itself is a few ms per 1,000 events since issue 26: bench/bench_calendar.py).
SHOP_CACHE = "public, max-age=900"


def _not_found() -> JsonResponse:
    return JsonResponse(
        {
            "code": "calendar_not_found",
            "message": "No such calendar (the link may have been revoked).",
            "detail": None,
        },
        status=404,
    )


def _feed(body: bytes, cache: str = CACHE) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = cache
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def personal_feed(request: HttpRequest, neon_id: str, token: str) -> HttpResponse:
    if not neon_id.isdigit() or len(neon_id) > 20 or not 20 <= len(token) <= 100:
        return _not_found()
    items = CalendarStore().personal(neon_id, token)
    if items is None:
        return _not_found()
    now = get_container().clock()
    return _feed(ical("My Asmbly volunteer tasks", items, now=now, link=task_link))


@require_GET
def shop_feed(request: HttpRequest, shop: str) -> HttpResponse:
    if shop not in SHOP_SLUGS:
        return _not_found()
    name = next(s.name for s in ASMBLY_SHOPS if s.slug == shop)
    items = CalendarStore().shop_pm(shop)
    body = ical(f"{name}: preventive maintenance", items, now=get_container().clock(), link=task_link)
    return _feed(body, SHOP_CACHE)
