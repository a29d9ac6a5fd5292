"""Shop storage. All shops, with their task counters, are one item collection:

  PK=SHOPS  SK=SHOP#{slug}          the shop's configuration
  PK=SHOPS  SK=SHOP#{slug}#COUNTS   its task counters (written by the task repository)

so listing every shop with its open-task count is a single Query.
"""

from __future__ import annotations

from typing import Protocol

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute

from voldash_site.dynamodb.counters import SHOPS_PK, ShopTaskCountsItem
from voldash_site.dynamodb.items import TableItem, ensure_configured, query_page, storage_errors
from voldash_site.dynamodb.unit_of_work import Write, put

from .domain import Certification, CertificationRule, Shop


class ShopRepository(Protocol):
    def list_all(self) -> list[Shop]: ...

    def get(self, slug: str) -> Shop | None: ...

    def save(self, shop: Shop) -> None: ...

    def save_writes(self, shop: Shop) -> list[Write]: ...


class _CertificationMap(MapAttribute):
    neon_field_id = UnicodeAttribute()
    name = UnicodeAttribute()


class _ShopItem(TableItem, discriminator="Shop"):
    slug = UnicodeAttribute()
    name = UnicodeAttribute()
    slack_channel = UnicodeAttribute()
    certification_rule = UnicodeAttribute(default=CertificationRule.ANY.value)
    required_certifications = ListAttribute(of=_CertificationMap, default=list)
    leads = ListAttribute(of=UnicodeAttribute, default=list)
    clickup_workspace_options = ListAttribute(of=UnicodeAttribute, default=list)
    color = UnicodeAttribute(null=True)

    @classmethod
    def from_shop(cls, shop: Shop) -> _ShopItem:
        return cls(
            pk=SHOPS_PK,
            sk=f"SHOP#{shop.slug}",
            slug=shop.slug,
            name=shop.name,
            slack_channel=shop.slack_channel,
            certification_rule=shop.certification_rule.value,
            required_certifications=[
                _CertificationMap(neon_field_id=c.neon_field_id, name=c.name)
                for c in shop.required_certifications
            ],
            leads=list(shop.leads),
            clickup_workspace_options=list(shop.clickup_workspace_options),
            color=shop.color,
        )

    def to_shop(self, counts: dict[str, int]) -> Shop:
        return Shop(
            slug=self.slug,
            name=self.name,
            slack_channel=self.slack_channel,
            certification_rule=CertificationRule(self.certification_rule),
            required_certifications=tuple(
                Certification(neon_field_id=c.neon_field_id, name=c.name)
                for c in self.required_certifications or []
            ),
            leads=tuple(self.leads or ()),
            clickup_workspace_options=tuple(self.clickup_workspace_options or ()),
            color=self.color,
            task_counts=counts,
        )


class DynamoShopRepository:
    def __init__(self) -> None:
        ensure_configured()

    def list_all(self) -> list[Shop]:
        """Every shop with its counters: one Query (shops are a few dozen items at most)."""
        page = query_page(TableItem, SHOPS_PK, limit=500)
        return _assemble(page.items)

    def get(self, slug: str) -> Shop | None:
        page = query_page(
            TableItem, SHOPS_PK, limit=2, range_key_condition=TableItem.sk.startswith(f"SHOP#{slug}")
        )
        shops = [s for s in _assemble(page.items) if s.slug == slug]
        return shops[0] if shops else None

    def save(self, shop: Shop) -> None:
        """Write the configuration; counters are separate items and are never clobbered."""
        with storage_errors():
            _ShopItem.from_shop(shop).save()

    def save_writes(self, shop: Shop) -> list[Write]:
        """``save`` as a write for a transaction (with the profiles of the leads it changes)."""
        return [put(_ShopItem.from_shop(shop))]


def _assemble(items: list[TableItem]) -> list[Shop]:
    counts: dict[str, dict[str, int]] = {}
    configs: list[_ShopItem] = []
    for item in items:
        if isinstance(item, ShopTaskCountsItem) and item.slug:
            counts[item.slug] = item.counts()
        elif isinstance(item, _ShopItem):
            configs.append(item)
    return [cfg.to_shop(counts.get(cfg.slug, {})) for cfg in configs]
