"""Single-use magic-link tokens, kept in DynamoDB (the port and its implementation).

Only a hash of the token is stored (``PK=LOGINLINK#{sha256}``), so a read of the table cannot
be turned into a login. Redeeming is one ``DeleteItem`` conditioned on the link existing and not
having expired, returning the old item: of two clicks (or a mail scanner and the member) only
one can win. DynamoDB's TTL removes links nobody used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError

from voldash_site.dynamodb.items import TableItem, ensure_configured, response_code, storage_errors


@dataclass(frozen=True)
class LoginLink:
    neon_id: str
    expires_at: datetime
    next_url: str


class LoginLinkRepository(Protocol):
    def create(self, token: str, link: LoginLink) -> None: ...

    def redeem(self, token: str, *, now: datetime) -> LoginLink | None: ...


def _token_key(token: str) -> str:
    return "LOGINLINK#" + hashlib.sha256(token.encode()).hexdigest()


class _LoginLinkItem(TableItem, discriminator="LoginLink"):
    neon_id = UnicodeAttribute()
    next_url = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds: also the table's TTL attribute


class DynamoLoginLinkRepository:
    def __init__(self) -> None:
        ensure_configured()

    def create(self, token: str, link: LoginLink) -> None:
        item = _LoginLinkItem(
            pk=_token_key(token),
            sk="LINK",
            neon_id=link.neon_id,
            next_url=link.next_url,
            expires_at=int(link.expires_at.timestamp()),
        )
        with storage_errors():
            item.save(condition=_LoginLinkItem.pk.does_not_exist())

    def redeem(self, token: str, *, now: datetime) -> LoginLink | None:
        """Delete the link if it exists and is still valid; None when spent, expired or unknown."""
        valid = _LoginLinkItem.pk.exists() & (_LoginLinkItem.expires_at > int(now.timestamp()))
        with storage_errors():
            try:
                old = _LoginLinkItem._get_connection().delete_item(
                    _token_key(token), range_key="LINK", condition=valid, return_values="ALL_OLD"
                )
            except DeleteError as exc:
                if response_code(exc) == "ConditionalCheckFailedException":
                    return None
                raise
        attributes = (old or {}).get("Attributes") or {}
        if not attributes:
            return None
        return LoginLink(
            neon_id=attributes["neon_id"]["S"],
            next_url=attributes["next_url"]["S"],
            expires_at=datetime.fromtimestamp(int(attributes["expires_at"]["N"]), tz=now.tzinfo),
        )
