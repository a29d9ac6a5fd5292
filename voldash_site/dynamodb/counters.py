"""Per-shop task counters: a shared item written by the task repository (in the same
transaction as every task write) and read by the shop repository, so the shop list with its
open-task counts is one Query over the ``PK=SHOPS`` item collection.

  PK=SHOPS  SK=SHOP#{slug}#COUNTS  count_OPEN, count_IN_PROGRESS, count_ON_HOLD, count_DONE,
                                   and the facet cells f{status}{type}{urgency}{time}{due}
                                   of the task list (tasks/feed.py), e.g. fOrh2n
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from .items import TableItem

SHOPS_PK = "SHOPS"
STATUSES = ("OPEN", "IN_PROGRESS", "ON_HOLD", "DONE")


def counts_sk(slug: str) -> str:
    return f"SHOP#{slug}#COUNTS"


class ShopTaskCountsItem(TableItem, discriminator="ShopTaskCounts"):
    slug = UnicodeAttribute(null=True)
    count_OPEN = NumberAttribute(null=True)
    count_IN_PROGRESS = NumberAttribute(null=True)
    count_ON_HOLD = NumberAttribute(null=True)
    count_DONE = NumberAttribute(null=True)

    def counts(self) -> dict[str, int]:
        return {status: int(getattr(self, f"count_{status}") or 0) for status in STATUSES}


def counter_update_actions(
    slug: str, deltas: dict[str, int], cells: dict[str, int] | None = None
) -> list[Any]:
    """UpdateItem actions that move the counters of ``slug`` by ``deltas`` (status -> +/-n) and
    the facet ``cells`` (cell name -> +/-n)."""
    actions: list[Any] = [
        ShopTaskCountsItem.slug.set(slug),
        ShopTaskCountsItem.item_type.set(ShopTaskCountsItem),
    ]
    for status, delta in deltas.items():
        if delta:
            actions.append(getattr(ShopTaskCountsItem, f"count_{status}").add(delta))
    for name, delta in sorted((cells or {}).items()):
        if delta:
            actions.append(NumberAttribute(attr_name=name).add(delta))
    return actions


def counter_key(slug: str) -> ShopTaskCountsItem:
    return ShopTaskCountsItem(pk=SHOPS_PK, sk=counts_sk(slug))
