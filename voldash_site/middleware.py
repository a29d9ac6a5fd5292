"""One JSON log line per request: method, path, status, duration. No query strings, no
headers, no bodies: those can carry cursors, tokens and personal data."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("voldash.request")


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        logger.info(
            "http.request",
            extra={
                "method": request.method,
                "path": request.path,
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
        return None
