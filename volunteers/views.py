"""Log in with Neon (OAuth authorization code), log out, and the local-only dev login.

Plain Django views: browsers are redirected here, not the SPA's fetch calls.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voldash_site.auth import log_in, log_out
from voldash_site.container import get_container
from voldash_site.errors import DomainError
from voldash_site.http_errors import error_body, json_error

from . import use_cases
from .domain import MAKERSPACE_TZ

logger = logging.getLogger("voldash.auth")
STATE_KEY = "oauth_state"
NEXT_KEY = "oauth_next"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return settings.FRONTEND_URL


def _callback_uri(request: HttpRequest) -> str:
    base = getattr(settings, "PUBLIC_BASE_URL", "") or ""
    path = reverse("neon-callback")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


@require_GET
def neon_login(request: HttpRequest) -> HttpResponse:
    """Send the browser to Neon's login page with a one-time ``state`` kept in the session."""
    state = secrets.token_urlsafe(32)
    request.session[STATE_KEY] = state
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    url = get_container().neon.authorize_url(redirect_uri=_callback_uri(request), state=state)
    return HttpResponseRedirect(url)


@require_GET
def neon_callback(request: HttpRequest) -> HttpResponse:
    expected = request.session.pop(STATE_KEY, None)
    next_url = request.session.pop(NEXT_KEY, settings.FRONTEND_URL)
    given = request.GET.get("state", "")
    if not expected or not hmac.compare_digest(given.encode(), str(expected).encode()):
        logger.warning("auth.neon.bad_state")
        return JsonResponse(
            error_body("invalid_state", "This login link is stale or was not started here; log in again."),
            status=400,
        )
    if request.GET.get("error"):
        logger.info("auth.neon.denied", extra={"error": request.GET.get("error")[:50]})
        return HttpResponseRedirect(f"{settings.FRONTEND_URL}?login_error=denied")
    code = request.GET.get("code", "")
    if not code or len(code) > 2048:
        return JsonResponse(error_body("invalid_request", "Neon sent no authorization code."), status=400)
    container = get_container()
    now = container.clock()
    try:
        viewer = use_cases.login_with_neon(
            code=code,
            redirect_uri=_callback_uri(request),
            neon=container.neon,
            volunteers=container.volunteers,
            shops=container.shop_directory,
            roles=container.roles,
            now=now,
            today=now.astimezone(MAKERSPACE_TZ).date(),
        )
    except DomainError as exc:
        logger.warning("auth.neon.failed", extra={"code": exc.code})
        return json_error(exc)
    log_in(request, viewer)
    logger.info("auth.login", extra={"neon_id": viewer.neon_id, "via": "neon"})
    return HttpResponseRedirect(next_url)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """POST (with the CSRF token) ends the session. JSON callers get 204, browsers a redirect."""
    log_out(request)
    if "application/json" in request.headers.get("Accept", ""):
        return HttpResponse(status=204)
    return HttpResponseRedirect(settings.FRONTEND_URL)


@require_http_methods(["GET", "POST"])
def dev_login(request: HttpRequest) -> HttpResponse:
    """Local only: pick a demo volunteer without Neon. 404 everywhere else."""
    if not settings.DEV_LOGIN_ENABLED:
        raise Http404("dev login is disabled")
    container = get_container()
    if request.method == "POST":
        try:
            viewer = use_cases.dev_login(
                neon_id=request.POST.get("neon_id", ""),
                volunteers=container.volunteers,
                shops=container.shop_directory,
                now=container.clock(),
            )
        except DomainError as exc:
            return json_error(exc)
        log_in(request, viewer)
        logger.info("auth.login", extra={"neon_id": viewer.neon_id, "via": "dev"})
        return HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
    people = container.volunteers.list_by_name(limit=100).items
    return render(
        request, "volunteers/dev_login.html", {"people": people, "next": request.GET.get("next", "")}
    )
