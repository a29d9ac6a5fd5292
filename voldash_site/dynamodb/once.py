"""One-time keys: the first use of a key wins, every later use within its lifetime is refused.

One item per key, ``PK=ONCE#{scope}#{key}`` ``SK=ONCE``, put under ``attribute_not_exists``
(so two concurrent uses cannot both win) with ``expires_at`` for DynamoDB's TTL. Used for Slack
button presses (issue 23, finding 10): a signed request replayed inside Slack's five-minute
window finds its signature already spent. Callers hash keys that are credentials.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError

from .items import TableItem, storage_errors


class _OnceItem(TableItem, discriminator="OnceKey"):
    pass


def first_use(scope: str, key: str, *, expires_at: int) -> bool:
    """True for the first use of ``(scope, key)``; False when it was used before (and is not
    yet expired: DynamoDB's TTL deletes it some time after ``expires_at``)."""
    item = _OnceItem(pk=f"ONCE#{scope}#{key}", sk="ONCE", expires_at=expires_at)
    with storage_errors():
        try:
            item.save(condition=_OnceItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
    return True
