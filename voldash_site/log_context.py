"""Ids that every log line of a unit of work carries (a request, a worker run, one event).

``bind(...)`` puts fields in a context variable for the duration of a ``with`` block;
``ContextFilter`` (installed on the stdout handler in settings.LOGGING) copies them onto each
record, so a line logged anywhere below (a repository, an integration client) carries the
Lambda request id, API Gateway's request id, or the event/message id it was working on.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_fields: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "voldash_log_fields", default=None
)


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (None values dropped) to every log line inside the block."""
    current = _fields.get() or {}
    token = _fields.set({**current, **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _fields.reset(token)


def current() -> dict[str, Any]:
    return dict(_fields.get() or {})


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_fields.get() or {}).items():
            if not hasattr(record, key):  # an explicit extra= wins
                setattr(record, key, value)
        return True


def lambda_request_id(context: Any) -> str | None:
    """The Lambda invocation's request id (None outside Lambda)."""
    return getattr(context, "aws_request_id", None)
