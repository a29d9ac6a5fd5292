"""Reads and writes that span repositories, each in one DynamoDB request.

Repositories hand out opaque ``Load`` and ``Write`` objects; a use case gathers them and the
unit of work executes them together: ``load`` as one consistent BatchGetItem, ``commit`` as
one TransactWriteItems. A failed condition surfaces as ``WriteRefused`` naming the tags of the
writes whose conditions failed, so the use case can say why in domain terms.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pynamodb.exceptions import PynamoDBException, TransactWriteError

from voldash_site.errors import OutcomeUnknown, StorageUnavailable, WriteRefused

from .items import (
    TableItem,
    cancellation_codes,
    ensure_configured,
    low_level_connection,
    response_code,
    storage_errors,
    transaction,
)

logger = logging.getLogger("voldash.dynamodb")


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
    # The domain event this write records (a history entry, a comment), for the unit of work's
    # ``collect``: what follows from it (notices) is written in the same transaction.
    event: Any = None

    def apply(self, tx: Any) -> None:
        if self.kind == "put":
            tx.save(self.item, condition=self.condition)
        elif self.kind == "update":
            tx.update(self.item, actions=list(self.actions), condition=self.condition)
        elif self.kind == "check":
            tx.condition_check(type(self.item), self.item.pk, self.item.sk, condition=self.condition)
        else:
            tx.delete(self.item, condition=self.condition)


def put(item: Any, *, condition: Any = None, tag: str = "", event: Any = None) -> Write:
    return Write("put", item, condition=condition, tag=tag, event=event)


def update(item: Any, actions: list[Any], *, condition: Any = None, tag: str = "") -> Write:
    return Write("update", item, actions=tuple(actions), condition=condition, tag=tag)


def delete(item: Any, *, condition: Any = None, tag: str = "") -> Write:
    return Write("delete", item, condition=condition, tag=tag)


def check(item: Any, condition: Any, *, tag: str = "") -> Write:
    """Write nothing to ``item``; the transaction only goes through if ``condition`` holds."""
    return Write("check", item, condition=condition, tag=tag)


# After a lost answer, how long the unit of work keeps asking (the witness, then the same
# transaction again) before it says "unknown". A transaction DynamoDB is still working on when
# the answer is lost (a loaded table, contention) settles within this; the Lambda's 20 s timeout
# bounds it from above.
SETTLE_SECONDS = 8.0
_PAUSE_FIRST, _PAUSE_MAX = 0.1, 1.0


class DynamoUnitOfWork:
    def __init__(
        self,
        collect: Callable[[list[Any]], list[Write]] | None = None,
        *,
        settle_seconds: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # The events of a transaction's writes -> more writes for the same transaction (the
        # notices they cause go out through the outbox, exactly when the change is applied).
        self.collect = collect
        self._settle_seconds = settle_seconds
        self._clock = clock
        self._sleep = sleep

    def load(self, *loads: Load) -> list[Any]:
        """One strongly consistent BatchGetItem; ``None`` where an item does not exist."""
        ensure_configured()
        keys = [(ld.pk, ld.sk) for ld in loads]
        found: dict[tuple[str, str], TableItem] = {}
        with storage_errors():
            for item in TableItem.batch_get(keys, consistent_read=True):
                found[(item.pk, item.sk)] = item
        return [ld.parse(found[(ld.pk, ld.sk)]) if (ld.pk, ld.sk) in found else None for ld in loads]

    def commit(
        self,
        writes: Sequence[Write],
        *,
        idempotency_token: str | None = None,
        witness: Write | None = None,
    ) -> None:
        """One TransactWriteItems. Raises ``WriteRefused`` when a condition fails or another
        transaction touched the same items at the same moment (``conflict``).

        When the answer is lost (a read timeout, a dropped connection, a server error, a
        transaction still in progress), DynamoDB may have applied the transaction anyway, or may
        still be applying it, so "nothing was changed" would be a guess. Every transaction
        carries a ClientRequestToken (botocore's own retries resend the same one) and
        ``witness``, a put of a new item with a key no one else writes (the history entry),
        proves it: a transaction is all or nothing, so the witness exists exactly when the
        transaction was applied. After a lost answer the answer is *settled*, for up to
        ``settle_seconds``: the witness is read (consistent GetItem); if it is not there (or
        cannot be read) the transaction is sent again with the same token (DynamoDB applies a
        token at most once, and answers an applied one with success); an answer lost again, a
        token still in progress or a conflict with our own earlier attempt means "not settled
        yet": pause (growing, capped) and look again. A refusal of the witness's own condition,
        or any refusal while the witness is there, means an earlier attempt of ours was applied.
        Only what is still not settled at the deadline raises ``OutcomeUnknown``."""
        events = [w.event for w in writes if w.event is not None]
        if events and self.collect is not None:
            writes = [*writes, *self.collect(events)]
        sent = sorted(writes, key=lambda w: _SEND_ORDER.index(w.kind))
        token = idempotency_token or uuid.uuid4().hex
        try:
            self._send(sent, token)
            return
        except WriteRefused as refused:
            if _witnessed(refused, witness):
                return
            raise
        except _LostAnswer as lost:
            if witness is None:
                raise OutcomeUnknown(_UNKNOWN) from lost.__cause__
            first = lost
        self._settle(sent, token, witness, first)

    def _settle(self, sent: list[Write], token: str, witness: Write, first: _LostAnswer) -> None:
        deadline = self._clock() + self._settle_seconds
        pause, rounds, reason = _PAUSE_FIRST, 0, first.reason
        while True:
            rounds += 1
            if self._exists(witness):
                _confirmed("witness", rounds)
                return
            try:
                self._send(sent, token)
                _confirmed("resent", rounds)
                return
            except WriteRefused as refused:
                if _witnessed(refused, witness) or self._exists(witness):
                    _confirmed("witness", rounds)
                    return
                if not refused.conflict:
                    raise  # a condition failed, and our witness is not there: not applied
                reason = "conflict"  # perhaps with our own earlier attempt, still in flight
            except _LostAnswer as lost:
                reason = lost.reason
            if self._clock() + pause > deadline:
                break
            self._sleep(pause * (0.5 + random.random()))  # noqa: S311 - jitter, not a secret
            pause = min(pause * 2, _PAUSE_MAX)
        if self._exists(witness):
            _confirmed("witness", rounds)
            return
        logger.warning("dynamodb.transaction.outcome_unknown", extra={"error": reason, "rounds": rounds})
        raise OutcomeUnknown(_UNKNOWN, detail={"retry": "check the current state first"}) from first.__cause__

    def _send(self, sent: list[Write], token: str) -> None:
        try:
            with storage_errors(), transaction(token) as tx:
                for write in sent:
                    write.apply(tx)
        except StorageUnavailable as exc:
            raise _LostAnswer(type(exc.__cause__).__name__ if exc.__cause__ else "unreachable") from exc
        except TransactWriteError as exc:
            codes = cancellation_codes(exc)
            failed = {w.tag for w, code in zip(sent, codes, strict=False) if code == "ConditionalCheckFailed"}
            conflict = any(code == "TransactionConflict" for code in codes)
            code = response_code(exc)
            if not failed and not conflict and code != "TransactionConflictException":
                # Not a refusal: a server error, throttling, a token still in progress... the
                # transaction may or may not have been applied.
                raise _LostAnswer(str(code or type(exc).__name__)) from exc
            raise WriteRefused(failed, conflict=conflict or not failed) from exc

    def _exists(self, witness: Write) -> bool:
        """Whether the witness item is there (one consistent GetItem); False if that cannot be
        read either (the caller then keeps settling, and in the end reports the outcome as
        unknown, never as nothing)."""
        try:
            with storage_errors():
                found = low_level_connection().get_item(
                    witness.item.pk, range_key=witness.item.sk, consistent_read=True
                )
        except (StorageUnavailable, PynamoDBException):
            return False
        return bool(found.get("Item"))


def _confirmed(how: str, rounds: int) -> None:
    extra = {"after": "lost answer", "how": how, "rounds": rounds}
    logger.info("dynamodb.transaction.confirmed", extra=extra)


_UNKNOWN = (
    "The database did not confirm this change in time, so it may or may not have been saved. "
    "Reload the task to see its current state before trying again."
)


class _LostAnswer(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _witnessed(refused: WriteRefused, witness: Write | None) -> bool:
    """The witness's own condition (its key does not exist yet) failed: an earlier attempt of
    this very transaction (botocore's retry after a lost answer) was applied."""
    return witness is not None and bool(witness.tag) and witness.tag in refused.tags
