"""Announcements shown on the volunteer dashboard.

  PK=ANNOUNCEMENTS  SK=ANN#{created}#{id}   expires_at (TTL) removes them some time after expiry
All of them are one item collection: the active ones are one Query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from voldash_site.dynamodb.items import TableItem, ensure_configured, query_page, storage_errors
from voldash_site.errors import NotFound

from .domain import Announcement, AnnouncementKind

PK = "ANNOUNCEMENTS"
KEEP_AFTER_EXPIRY_DAYS = 30


class AnnouncementRepository(Protocol):
    def save(self, announcement: Announcement) -> None: ...

    def all(self) -> list[Announcement]: ...

    def expire(self, announcement_id: str, now: datetime) -> None: ...


class _AnnouncementItem(TableItem, discriminator="Announcement"):
    announcement_id = UnicodeAttribute(attr_name="id")
    title = UnicodeAttribute()
    message = UnicodeAttribute()
    kind = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    shop = UnicodeAttribute(null=True)

    def to_domain(self) -> Announcement:
        return Announcement(
            id=self.announcement_id,
            title=self.title,
            message=self.message,
            kind=AnnouncementKind(self.kind),
            created_at=self.created_at,
            expires_at=self.ends_at,
            created_by=self.created_by,
            shop=self.shop,
        )


def _sk(a: Announcement) -> str:
    return f"ANN#{a.created_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{a.id}"


class DynamoAnnouncementRepository:
    def __init__(self) -> None:
        ensure_configured()

    def save(self, a: Announcement) -> None:
        item = _AnnouncementItem(
            pk=PK,
            sk=_sk(a),
            announcement_id=a.id,
            title=a.title,
            message=a.message,
            kind=a.kind.value,
            created_at=a.created_at,
            ends_at=a.expires_at,
            created_by=a.created_by,
            shop=a.shop,
            expires_at=int((a.expires_at + timedelta(days=KEEP_AFTER_EXPIRY_DAYS)).timestamp()),
        )
        with storage_errors():
            item.save()

    def all(self) -> list[Announcement]:
        """Newest first; one Query."""
        page = query_page(_AnnouncementItem, PK, newest_first=True, limit=200)
        return [i.to_domain() for i in page.items]

    def expire(self, announcement_id: str, now: datetime) -> None:
        for a in self.all():
            if a.id == announcement_id:
                self.save(Announcement(**{**a.__dict__, "expires_at": min(a.expires_at, now)}))
                return
        raise NotFound(f"No announcement {announcement_id}.")
