from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from voldash_site.schemas import lower_trimmed

from .catalog import SHOP_SLUGS
from .domain import AnnouncementKind, CertificationRule, Shop

ShopSlug = Literal[SHOP_SLUGS]  # type: ignore[valid-type]
# A shop in a query: case-insensitive and trimmed (README: one rule for case and spaces).
ShopParam = Annotated[ShopSlug, BeforeValidator(lower_trimmed)]  # type: ignore[valid-type]


class CertificationOut(Schema):
    id: str = Field(description="Neon account custom field id")
    name: str


class ShopOut(Schema):
    slug: ShopSlug
    name: str
    slack_channel: str
    color: str | None
    required_certifications: list[CertificationOut]
    certification_rule: CertificationRule = Field(
        description="any: one of them suffices; all: every one is needed"
    )
    open_tasks: int
    task_counts: dict[str, int] = Field(description="Tasks per status")

    @staticmethod
    def from_shop(shop: Shop) -> ShopOut:
        return ShopOut(
            slug=shop.slug,
            name=shop.name,
            slack_channel=shop.slack_channel,
            color=shop.color,
            required_certifications=[
                CertificationOut(id=c.neon_field_id, name=c.name) for c in shop.required_certifications
            ],
            certification_rule=shop.certification_rule.value,
            open_tasks=shop.open_tasks,
            task_counts={k: max(0, v) for k, v in shop.task_counts.items()},
        )


class ShopListOut(Schema):
    items: list[ShopOut]


class AnnouncementOut(Schema):
    id: str
    title: str
    message: str
    type: AnnouncementKind = Field(description="info, warning or success")
    shop: ShopSlug | None = Field(description="null: the whole makerspace")
    date: datetime
    expires_at: datetime
    dismissed: bool = Field(False, description="The viewer dismissed it (only listed with include_dismissed)")


class AnnouncementListOut(Schema):
    items: list[AnnouncementOut]
