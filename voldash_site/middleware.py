"""One JSON log line per request: method, path, status, duration. No query strings, no
headers, no bodies: those can carry cursors, tokens and personal data."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("voldash.request")


class RequestContextMiddleware:
    """Outermost: every log line of the request carries the Lambda request id
    (``aws_request_id``) and API Gateway's (``apigw_request_id``, the requestId of the HTTP
    API's access log), taken from what apig-wsgi puts in the WSGI environ."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from voldash_site.log_context import bind, lambda_request_id

        request_context = request.META.get("apig_wsgi.request_context") or {}
        apigw_id = request_context.get("requestId") if isinstance(request_context, dict) else None
        with bind(
            aws_request_id=lambda_request_id(request.META.get("apig_wsgi.context")),
            apigw_request_id=apigw_id,
        ):
            return self.get_response(request)


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from voldash_site.log_filters import redact_path

        started = time.perf_counter()
        response = self.get_response(request)
        logger.info(
            "http.request",
            extra={
                "method": request.method,
                "path": redact_path(request.path),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response


class BadRequestBodyMiddleware:
    """A body Django cannot parse (a multipart without boundary, too large) is the client's
    fault: a JSON 400/413, never a 500. (The API has the same mapping in its handlers.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        from django.core.exceptions import RequestDataTooBig
        from django.http import JsonResponse, UnreadablePostError
        from django.http.multipartparser import MultiPartParserError

        if isinstance(exc, RequestDataTooBig):
            return JsonResponse(
                {"code": "too_large", "message": "The request body is too large.", "detail": None}, status=413
            )
        if isinstance(exc, MultiPartParserError | UnreadablePostError):
            return JsonResponse(
                {"code": "invalid_body", "message": "The request body could not be parsed.", "detail": None},
                status=400,
            )
        return storage_unavailable(request, exc)


def storage_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse | None:
    """DynamoDB unreachable, throttling or failing (a call site that did not wrap its call in
    ``storage_errors``): the documented 503 with Retry-After, never a 500. A webhook sender
    (ClickUp, Neon) retries on it."""
    from voldash_site.dynamodb.items import is_storage_failure
    from voldash_site.errors import OutcomeUnknown

    if isinstance(exc, OutcomeUnknown):
        from voldash_site.http_errors import json_error

        return json_error(exc)
    if not is_storage_failure(exc):
        return None
    from django.http import JsonResponse

    logging.getLogger("voldash.storage").warning(
        "storage.unavailable", extra={"path": request.path, "error": type(exc).__name__}
    )
    response = JsonResponse(
        {
            "code": "storage_unavailable",
            "message": "The database could not be reached; try again shortly.",
            "detail": None,
        },
        status=503,
    )
    response["Retry-After"] = "5"
    return response


class OriginVerifyMiddleware:
    """In the cloud, CloudFront adds a secret ``X-Origin-Verify`` header to every request it
    forwards; with ORIGIN_VERIFY_SECRET set, a request without it (someone calling the API
    Gateway URL directly, around CloudFront) gets a 403 and reaches nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.conf import settings

        self.get_response = get_response
        self.secret = (getattr(settings, "ORIGIN_VERIFY_SECRET", "") or "").encode()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.secret:
            import hmac

            given = request.headers.get("X-Origin-Verify", "").encode()
            if not hmac.compare_digest(given, self.secret):
                from django.http import JsonResponse

                logger.warning("http.origin_not_verified", extra={"path": request.path})
                return JsonResponse(
                    {"code": "forbidden", "message": "Use the site's address.", "detail": None}, status=403
                )
        return self.get_response(request)


# --- security headers (README: Security headers) ------------------------------------------------

PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), usb=()"
)
# The staff pages run only their own script (progressive enhancement: the bulk bar, the
# reassign picker, the QR sheet's Print); style attributes (QR SVGs) are allowed, no inline code.
STAFF_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Public server-rendered pages (/report/, the magic-link confirmation): no script at all; their
# own inline stylesheet; forms post to this site only.
PAGE_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Swagger UI: its own bundle and init script from /static/, the schema from this origin.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The local-only dev login page has an inline <style>.
DEV_LOGIN_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# JSON and redirects: nothing may load or frame them.
API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
# API responses about the caller (also any API response to a request that carries a session).
PERSONAL_API_PREFIXES = ("/api/v1/me", "/api/v1/leaderboard", "/api/v1/activity", "/api/v1/csrf")


def content_security_policy(path: str) -> str | None:
    if path.startswith("/static/"):
        return None
    if path.startswith("/staff/"):
        return STAFF_CSP
    if path.startswith("/api/v1/docs"):
        return DOCS_CSP
    if path.startswith("/auth/dev-login"):
        return DEV_LOGIN_CSP
    if path.startswith(("/report/", "/auth/magic-link/")):
        return PAGE_CSP
    return API_CSP


def must_not_be_stored(request: HttpRequest) -> bool:
    path = request.path
    if path.startswith(("/staff/", "/auth/")) or path.startswith(PERSONAL_API_PREFIXES):
        return True
    from django.conf import settings

    return path.startswith("/api/") and settings.SESSION_COOKIE_NAME in request.COOKIES


class SecurityHeadersMiddleware:
    """Content-Security-Policy per kind of page, Permissions-Policy everywhere, and
    ``Cache-Control: no-store`` on staff, auth and personal API responses."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        csp = content_security_policy(request.path)
        if csp and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if must_not_be_stored(request):
            response["Cache-Control"] = "no-store, private"
        return response
