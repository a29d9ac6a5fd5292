"""Domain errors shared by every app.

Pure Python: domain and use-case modules raise these; one exception handler in
``voldash_site.api`` maps them to HTTP status codes and the ``{code, message, detail}`` body.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. ``code`` is stable (clients switch on it); ``message`` is for humans."""

    code: str = "error"

    def __init__(self, message: str, *, detail: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    """A value the client sent is refused. ``field`` names it as the client sent it (the API
    answers 422 ``validation_error`` with ``detail.fields``, the same code and shape as a value
    the request schema refuses; README: Error codes)."""

    code = "validation_error"

    def __init__(
        self, message: str, *, field: str | None = None, detail: Any = None, code: str | None = None
    ) -> None:
        super().__init__(message, detail=detail, code=code)
        self.field = field


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message, field="cursor", detail=detail)


class Conflict(DomainError):
    code = "conflict"


class Forbidden(DomainError):
    code = "forbidden"


class SessionEnded(DomainError):
    """The session's person signed out (everywhere) since the session started: its epoch is not
    the profile's any more. The API answers 401 and clears the cookie."""

    code = "not_authenticated"


class StorageUnavailable(DomainError):
    """The database could not be reached; nothing was changed. Safe to retry."""

    code = "storage_unavailable"


class OutcomeUnknown(DomainError):
    """A write was sent but its answer never came (a timeout, a dropped connection, a server
    error), and checking afterwards could not tell whether it was saved. Not "nothing changed":
    the caller must look before trying again."""

    code = "outcome_unknown"


class WriteRefused(DomainError):
    """A conditional write was refused: ``tags`` names the conditions that failed;
    ``conflict`` means a concurrent transaction got there first (retrying may succeed)."""

    code = "conflict"

    def __init__(self, tags: set[str], *, conflict: bool = False) -> None:
        super().__init__("The data changed while we were writing; nothing was changed.")
        self.tags = tags
        self.conflict = conflict
