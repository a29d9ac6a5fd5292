"""Shop use cases."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from voldash_site.errors import InvalidInput

if TYPE_CHECKING:
    from .announcements import AnnouncementRepository
    from .repository import ShopRepository
from .catalog import ASMBLY_SHOPS
from .domain import MAX_ANNOUNCEMENT_DAYS as MAX_DAYS
from .domain import Announcement, AnnouncementKind, Shop


def list_shops(*, shops: ShopRepository) -> list[Shop]:
    """Every shop with its task counters, in the catalog's order (unknown ones last)."""
    order = {s.slug: i for i, s in enumerate(ASMBLY_SHOPS)}
    return sorted(shops.list_all(), key=lambda s: (order.get(s.slug, len(order)), s.slug))


def install_default_shops(*, shops: ShopRepository) -> list[str]:
    """Write the Asmbly shops that are not in the table yet; never overwrite staff edits."""
    existing = {s.slug for s in shops.list_all()}
    added = []
    for shop in ASMBLY_SHOPS:
        if shop.slug not in existing:
            shops.save(shop)
            added.append(shop.slug)
    return added


def create_announcement(
    *,
    announcements: AnnouncementRepository,
    title: str,
    message: str,
    kind: str,
    days: int,
    shop: str | None,
    author: str,
    now: datetime,
) -> Announcement:
    title, message = title.strip(), message.strip()
    if not 3 <= len(title) <= 120:
        raise InvalidInput("title must be 3 to 120 characters", field="title")
    if not 1 <= len(message) <= 2000:
        raise InvalidInput("message must be 1 to 2000 characters", field="message")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_DAYS}", field="days")
    try:
        kind_value = AnnouncementKind(kind)
    except ValueError as exc:
        raise InvalidInput("kind must be info, warning or success", field="kind") from exc
    announcement = Announcement(
        id=uuid.uuid4().hex[:12],
        title=title,
        message=message,
        kind=kind_value,
        created_at=now,
        expires_at=now + timedelta(days=days),
        created_by=author,
        shop=shop or None,
    )
    announcements.save(announcement)
    return announcement


def active_announcements(
    *, announcements: AnnouncementRepository, now: datetime, shop: str | None = None
) -> list[Announcement]:
    """Active ones, newest first; with ``shop``, that shop's and the makerspace-wide ones."""
    return [a for a in announcements.all() if a.active(now) and (shop is None or a.shop in (None, shop))]
