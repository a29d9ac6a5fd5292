"""Counts DynamoDB API calls, so tests and the benchmark can hold every endpoint to its budget."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_calls: Counter[str] = Counter()
_instrumented: set[int] = set()


def _on_call(model: Any, **_: Any) -> None:
    with _lock:
        _calls[model.name] += 1


def instrument(client: Any) -> None:
    """Attach the counter to a botocore client once (idempotent, cheap to call on every use)."""
    key = id(client)
    if key in _instrumented:
        return
    client.meta.events.register("before-call.dynamodb.*", _on_call)
    _instrumented.add(key)


def snapshot() -> Counter[str]:
    with _lock:
        return Counter(_calls)


class CallLog:
    def __init__(self) -> None:
        self.by_operation: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())


@contextlib.contextmanager
def count_calls() -> Iterator[CallLog]:
    """``with count_calls() as log: ...`` then ``log.total`` / ``log.by_operation``."""
    log = CallLog()
    before = snapshot()
    try:
        yield log
    finally:
        after = snapshot()
        after.subtract(before)
        log.by_operation = Counter({op: n for op, n in after.items() if n})
