"""Reads and writes that span repositories, each in one DynamoDB request.

Repositories hand out opaque ``Load`` and ``Write`` objects; a use case gathers them and the
unit of work executes them together: ``load`` as one consistent BatchGetItem, ``commit`` as
one TransactWriteItems. A failed condition surfaces as ``WriteRefused`` naming the tags of the
writes whose conditions failed, so the use case can say why in domain terms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pynamodb.exceptions import TransactWriteError

from voldash_site.errors import WriteRefused

from .items import TableItem, cancellation_codes, ensure_configured, storage_errors, transaction


@dataclass(frozen=True)
class Load:
    pk: str
    sk: str
    parse: Callable[[Any], Any]  # TableItem -> domain object


# PynamoDB sends a transaction's actions grouped in this order; DynamoDB reports cancellation
# reasons in the order it received them.
_SEND_ORDER = ("check", "delete", "put", "update")


@dataclass(frozen=True)
class Write:
    """One action of a transaction: ``put`` an item, ``update`` it with ``actions``, ``delete``
    it, or only ``check`` a condition on it; optionally under ``condition``. ``tag`` names the
    condition for ``WriteRefused``."""

    kind: Literal["put", "update", "delete", "check"]
    item: Any  # a TableItem subclass instance (the key at least)
    actions: tuple[Any, ...] = ()
    condition: Any = None
    tag: str = ""

    def apply(self, tx: Any) -> None:
        if self.kind == "put":
            tx.save(self.item, condition=self.condition)
        elif self.kind == "update":
            tx.update(self.item, actions=list(self.actions), condition=self.condition)
        elif self.kind == "check":
            tx.condition_check(type(self.item), self.item.pk, self.item.sk, condition=self.condition)
        else:
            tx.delete(self.item, condition=self.condition)


def put(item: Any, *, condition: Any = None, tag: str = "") -> Write:
    return Write("put", item, condition=condition, tag=tag)


def update(item: Any, actions: list[Any], *, condition: Any = None, tag: str = "") -> Write:
    return Write("update", item, actions=tuple(actions), condition=condition, tag=tag)


def delete(item: Any, *, condition: Any = None, tag: str = "") -> Write:
    return Write("delete", item, condition=condition, tag=tag)


def check(item: Any, condition: Any, *, tag: str = "") -> Write:
    """Write nothing to ``item``; the transaction only goes through if ``condition`` holds."""
    return Write("check", item, condition=condition, tag=tag)


class DynamoUnitOfWork:
    def load(self, *loads: Load) -> list[Any]:
        """One strongly consistent BatchGetItem; ``None`` where an item does not exist."""
        ensure_configured()
        keys = [(ld.pk, ld.sk) for ld in loads]
        found: dict[tuple[str, str], TableItem] = {}
        with storage_errors():
            for item in TableItem.batch_get(keys, consistent_read=True):
                found[(item.pk, item.sk)] = item
        return [ld.parse(found[(ld.pk, ld.sk)]) if (ld.pk, ld.sk) in found else None for ld in loads]

    def commit(self, writes: Sequence[Write], *, idempotency_token: str | None = None) -> None:
        """One TransactWriteItems. Raises ``WriteRefused`` when a condition fails or another
        transaction touched the same items at the same moment (``conflict``)."""
        sent = sorted(writes, key=lambda w: _SEND_ORDER.index(w.kind))
        try:
            with storage_errors(), transaction(idempotency_token) as tx:
                for write in sent:
                    write.apply(tx)
        except TransactWriteError as exc:
            codes = cancellation_codes(exc)
            failed = {w.tag for w, code in zip(sent, codes, strict=False) if code == "ConditionalCheckFailed"}
            conflict = any(code == "TransactionConflict" for code in codes)
            if not failed and not conflict and exc.cause_response_code != "TransactionConflictException":
                raise
            raise WriteRefused(failed, conflict=conflict or not failed) from exc
