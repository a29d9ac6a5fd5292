"""Domain errors to HTTP, in one place (used by the API and by the plain Django views)."""

from __future__ import annotations

from django.http import JsonResponse

from voldash_site.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidCursor,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    StorageUnavailable,
)

STATUS_FOR: list[tuple[type[DomainError], int]] = [
    (InvalidCursor, 400),
    (InvalidInput, 422),
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
    "photos_disabled": 400,
    "method_not_allowed": 405,
    "too_large": 413,
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


def field_error(field: str, code: str, message: str) -> dict:
    return {"field": field, "code": code, "message": message}


def error_detail(exc: DomainError) -> object:
    """``detail`` of a domain error: an InvalidInput always carries ``fields`` (README: Error
    codes), one ``{field, code, message}`` naming the field as the client sent it."""
    if not isinstance(exc, InvalidInput):
        return exc.detail
    extra = dict(exc.detail) if isinstance(exc.detail, dict) else {}
    field = exc.field or extra.pop("field", None) or extra.pop("param", None) or "body"
    return {
        **extra,
        "fields": [
            field_error(field, "invalid" if exc.code == "validation_error" else exc.code, exc.message)
        ],
    }


def json_error(exc: DomainError) -> JsonResponse:
    status = status_for(exc)
    response = JsonResponse(error_body(exc.code, exc.message, error_detail(exc)), status=status)
    if (after := retry_after(status, exc.detail)) is not None:
        response["Retry-After"] = after
    return response


# What an answer under /api/ that Django or Ninja made without our handlers (an unknown path, a
# trailing slash, a method the operation does not take, Django's own 400/413/500 pages, DEBUG's
# technical 404) is called, so every answer under /api/ has the one JSON shape.
CODE_FOR_STATUS: dict[int, tuple[str, str]] = {
    400: ("invalid_body", "The request could not be read."),
    403: ("forbidden", "You may not do this."),
    404: ("not_found", "Nothing at {path}: the operations are listed in /api/v1/openapi.json."),
    405: ("method_not_allowed", "{method} is not allowed on {path}; use {allowed}."),
    413: ("too_large", "The request body is too large (1 MB at most)."),
    500: ("internal_error", "Something went wrong on our side."),
}


class ApiErrorShapeMiddleware:
    """Under /api/, an error answer that is not JSON becomes ``{code, message, detail}``
    (README: Errors). Answers our handlers made are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        allowed = [m.strip() for m in response.get("Allow", "").split(",") if m.strip()]
        code, template = CODE_FOR_STATUS.get(status, ("http_error", "The request failed ({status})."))
        message = template.format(
            path=request.path,
            method=request.method,
            allowed=", ".join(allowed) or "another method",
            status=status,
        )
        shaped = JsonResponse(
            error_body(code, message, {"allowed": allowed} if status == 405 else None), status=status
        )
        for header in ("Allow", "Retry-After", "Vary"):
            if header in response:
                shaped[header] = response[header]
        shaped.cookies = response.cookies
        return shaped
