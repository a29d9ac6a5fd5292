"""The NinjaAPI root for /api/v1/: routers, and the one place domain errors become HTTP."""

from __future__ import annotations

import logging
from typing import Any, Literal

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from voldash_site.dynamodb.items import ping
from voldash_site.errors import DomainError
from voldash_site.http_errors import error_detail, field_error, retry_after, status_for
from voldash_site.outside_json import parse_json
from voldash_site.schemas import ErrorOut, field_error_code

logger = logging.getLogger("voldash.api")


class UnsupportedMediaType(Exception):
    pass


class JsonBodyParser(Parser):
    """Request bodies are JSON, declared as such. A body sent as ``text/plain`` or a form is
    what another site's page can make a browser send without a CORS preflight, so it is
    refused (415) before it is read (issue 23, finding 7); hostile JSON (deep nesting, huge
    numbers) is a 400 through the one outside-JSON parse."""

    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type != "application/json":
            raise UnsupportedMediaType(request.content_type)
        return parse_json(request.body)


api = NinjaAPI(
    parser=JsonBodyParser(),
    title="voldash API",
    version="1",
    description=(
        "Backend of the Asmbly Volunteer Dashboard: the task list mirrored from ClickUp (filters, "
        "sorts, facets), task detail, claims, comments, checklists, completion with hours, "
        "self-reported hours and their review, rewards, badges, points and the leaderboard, "
        "announcements, problem reports and calendar feeds. **The task list's scope**: tasks of "
        "one status, OPEN unless `status` names another, for every combination of filters and "
        "sorts (`shop` included); `total` and `facets` count that same scope. Enumerated query "
        "values are matched case-insensitively after trimming spaces. **Errors** share one JSON "
        "body `{code, message, detail}` (every answer under /api/, 404/405/413 and CSRF "
        "refusals included); a refused field is always 422 `validation_error` with "
        "`detail.fields: [{field, code, message}]` naming the field as sent. Dates are Austin "
        "dates (America/Chicago)."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
)


def error_response(request: HttpRequest, status: int, code: str, message: str, detail=None) -> HttpResponse:
    response = api.create_response(
        request, {"code": code, "message": message, "detail": detail}, status=status
    )
    if (after := retry_after(status, detail)) is not None:
        response["Retry-After"] = after
    return response


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = status_for(exc)
    if status >= 500:
        logger.warning("api.dependency_unavailable", extra={"path": request.path, "code": exc.code})
    return error_response(request, status, exc.code, exc.message, error_detail(exc))


def client_field(loc: tuple | list) -> str:
    """The field as the client sent it: Ninja's ``loc`` starts with the source (query, path,
    body, form) and, for a schema body, the function parameter (always ``body`` here), which
    the client never wrote. ``body`` alone is the request body as a whole."""
    parts = [str(p) for p in loc]
    if parts[:1] in (["query"], ["path"], ["body"], ["form"], ["file"], ["header"], ["cookie"]):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [
        field_error(
            client_field(e.get("loc", ())),
            field_error_code(str(e.get("type") or "")),
            str(e.get("msg") or "invalid value"),
        )
        for e in exc.errors
    ]
    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "The request is invalid."
    return error_response(request, 422, "validation_error", message, {"fields": fields})


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", str(exc) or "Not found.")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "not_authenticated", "Log in first.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and "CSRF" in str(exc):
        return error_response(
            request,
            403,
            "csrf_failed",
            "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.",
        )
    if isinstance(exc.__cause__, UnsupportedMediaType):
        return error_response(
            request, 415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."
        )
    if exc.status_code == 400 and "parse" in str(exc).lower():
        return error_response(request, 400, "invalid_body", "The request body is not valid JSON.")
    return error_response(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 400, "invalid_body", f"The request body could not be parsed: {exc}")


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 413, "too_large", "The request body is too large (1 MB at most).")


@api.exception_handler(UnreadablePostError)
def on_unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 400, "invalid_body", "The request body could not be read.")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("api.unhandled_error", extra={"path": request.path})
    return error_response(request, 500, "internal_error", "Something went wrong on our side.")


health_router = Router(tags=["health"])


class HealthOut(Schema):
    status: Literal["ok"]
    table: str
    env: str


@health_router.get("", response={200: HealthOut, 503: ErrorOut}, summary="Liveness and table reachability")
def health(request: HttpRequest):
    """One GetItem against the table; 503 when DynamoDB cannot be reached."""
    from django.conf import settings

    table = ping()
    return {"status": "ok", "table": table, "env": settings.VOLDASH_ENV}


api.add_router("/health", health_router)
api.add_router("/shops", "shops.api.router")
api.add_router("/tasks", "tasks.api.router")
api.add_router("/activity", "tasks.api.activity_router")
api.add_router("/announcements", "shops.api.announcements_router")
api.add_router("/problem-reports", "tasks.reports.api.router")
api.add_router("", "volunteers.api.router")
api.add_router("", "tasks.upkeep.api.router")  # /me/calendar
