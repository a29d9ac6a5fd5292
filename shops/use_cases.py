"""Shop use cases."""

from __future__ import annotations

from .catalog import ASMBLY_SHOPS
from .domain import Shop
from .repository import ShopRepository


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
