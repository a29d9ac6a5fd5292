"""Domain errors to HTTP, in one place (used by the API and by the plain Django views)."""

from __future__ import annotations

from django.http import JsonResponse

from voldash_site.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    StorageUnavailable,
)

STATUS_FOR: list[tuple[type[DomainError], int]] = [
    (InvalidInput, 400),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (StorageUnavailable, 503),
    (OutcomeUnknown, 503),
]
# Errors defined in apps (a dependency being down, a refused login) register here by code.
STATUS_FOR_CODE: dict[str, int] = {
    "neon_unavailable": 503,
    "clickup_unavailable": 503,
    "login_failed": 400,
    "conflict": 409,
    "not_authenticated": 401,
    "rate_limited": 429,
    "invalid_link": 400,
    "validation_error": 422,
}


def status_for(exc: DomainError) -> int:
    for cls, status in STATUS_FOR:
        if isinstance(exc, cls):
            return status
    return STATUS_FOR_CODE.get(exc.code, 400)


def error_body(code: str, message: str, detail: object = None) -> dict:
    return {"code": code, "message": message, "detail": detail}


def retry_after(status: int, detail: object) -> str | None:
    """The ``Retry-After`` header of an error answer: 503s say 5 seconds; a 429 says when its
    window lets the client in again (``detail.retry_after_seconds``), as the error table says."""
    if status == 503:
        return "5"
    if status == 429:
        seconds = detail.get("retry_after_seconds") if isinstance(detail, dict) else None
        return str(max(1, int(seconds))) if isinstance(seconds, int) else "60"
    return None


def json_error(exc: DomainError) -> JsonResponse:
    status = status_for(exc)
    response = JsonResponse(error_body(exc.code, exc.message, exc.detail), status=status)
    if (after := retry_after(status, exc.detail)) is not None:
        response["Retry-After"] = after
    return response
