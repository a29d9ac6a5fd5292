"""Volunteer: a Neon account's profile as voldash sees it. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    SHOP_LEAD = "shop_lead"
    STAFF = "staff"


@dataclass(frozen=True)
class Volunteer:
    neon_id: str
    name: str
    email: str | None = None
    membership_active: bool = False
    membership_expires: date | None = None
    roles: frozenset[Role] = frozenset({Role.VOLUNTEER})
    lead_of: tuple[str, ...] = ()  # shop slugs this person leads
    certifications: frozenset[str] = frozenset()  # Neon custom field ids held
    clickup_user_id: int | None = None
    updated_at: datetime | None = None
    open_claims: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_staff(self) -> bool:
        return Role.STAFF in self.roles

    def leads_shop(self, shop: str) -> bool:
        return self.is_staff or (Role.SHOP_LEAD in self.roles and shop in self.lead_of)
