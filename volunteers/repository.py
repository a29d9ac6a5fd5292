"""Volunteer profiles.

  PK=VOLUNTEER#{neon_id}  SK=PROFILE
  GSI1PK=VOLUNTEERS       GSI1SK={name lower-cased}#{neon_id}    (staff search by name)
The same partition will hold the volunteer's claims and hours log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from voldash_site.dynamodb import cursor as cursors
from voldash_site.dynamodb.items import INDEX_KEYS, TableItem, ensure_configured, query_page, storage_errors

from .domain import Role, Volunteer


@dataclass(frozen=True)
class VolunteerPage:
    items: list[Volunteer]
    next_cursor: str | None


class VolunteerRepository(Protocol):
    def get(self, neon_id: str) -> Volunteer | None: ...

    def save(self, volunteer: Volunteer) -> None: ...

    def list_by_name(
        self, *, prefix: str = "", limit: int = 50, cursor: str | None = None
    ) -> VolunteerPage: ...


class _VolunteerItem(TableItem, discriminator="Volunteer"):
    neon_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    membership_active = BooleanAttribute(default=False)
    membership_expires = UnicodeAttribute(null=True)  # ISO date
    roles = ListAttribute(of=UnicodeAttribute, default=list)
    lead_of = ListAttribute(of=UnicodeAttribute, default=list)
    certifications = ListAttribute(of=UnicodeAttribute, default=list)
    clickup_user_id = NumberAttribute(null=True)
    open_claims = NumberAttribute(default=0)
    updated_at = UTCDateTimeAttribute(null=True)

    @classmethod
    def from_volunteer(cls, v: Volunteer) -> _VolunteerItem:
        return cls(
            pk=f"VOLUNTEER#{v.neon_id}",
            sk="PROFILE",
            gsi1pk="VOLUNTEERS",
            gsi1sk=f"{v.name.lower()}#{v.neon_id}",
            neon_id=v.neon_id,
            name=v.name,
            email=v.email,
            membership_active=v.membership_active,
            membership_expires=v.membership_expires.isoformat() if v.membership_expires else None,
            roles=sorted(r.value for r in v.roles),
            lead_of=list(v.lead_of),
            certifications=sorted(v.certifications),
            clickup_user_id=v.clickup_user_id,
            open_claims=v.open_claims,
            updated_at=v.updated_at,
        )

    def to_volunteer(self) -> Volunteer:
        from datetime import date

        return Volunteer(
            neon_id=self.neon_id,
            name=self.name,
            email=self.email,
            membership_active=bool(self.membership_active),
            membership_expires=date.fromisoformat(self.membership_expires)
            if self.membership_expires
            else None,
            roles=frozenset(Role(r) for r in self.roles or ()),
            lead_of=tuple(self.lead_of or ()),
            certifications=frozenset(self.certifications or ()),
            clickup_user_id=int(self.clickup_user_id) if self.clickup_user_id is not None else None,
            open_claims=int(self.open_claims or 0),
            updated_at=self.updated_at,
        )


class DynamoVolunteerRepository:
    def __init__(self, *, cursor_secret: str) -> None:
        ensure_configured()
        self._secret = cursor_secret

    def get(self, neon_id: str) -> Volunteer | None:
        with storage_errors():
            try:
                return _VolunteerItem.get(f"VOLUNTEER#{neon_id}", "PROFILE").to_volunteer()
            except _VolunteerItem.DoesNotExist:
                return None

    def save(self, volunteer: Volunteer) -> None:
        with storage_errors():
            _VolunteerItem.from_volunteer(volunteer).save()

    def list_by_name(self, *, prefix: str = "", limit: int = 50, cursor: str | None = None) -> VolunteerPage:
        prefix = prefix.strip().lower()
        scope = f"volunteers|{prefix}"
        start = cursors.decode(cursor, scope=scope, secret=self._secret, allowed_keys=INDEX_KEYS["GSI1"])
        page = query_page(
            _VolunteerItem,
            "VOLUNTEERS",
            index="GSI1",
            range_key_condition=_VolunteerItem.gsi1sk.startswith(prefix) if prefix else None,
            start_key=start,
            limit=limit,
        )
        return VolunteerPage(
            items=[i.to_volunteer() for i in page.items],
            next_cursor=cursors.encode(page.last_key, scope=scope, secret=self._secret),
        )
