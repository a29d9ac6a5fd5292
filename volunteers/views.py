"""Log in with Neon (OAuth authorization code), log out, and the local-only dev login.

Plain Django views: browsers are redirected here, not the SPA's fetch calls.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voldash_site.auth import log_in, log_out
from voldash_site.client_ip import client_address
from voldash_site.container import get_container
from voldash_site.errors import DomainError, NotFound
from voldash_site.http_errors import error_body, json_error
from voldash_site.outside_json import parse_json

from . import magic_link, use_cases
from .domain import MAKERSPACE_TZ, Viewer

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


# Every way a Neon login can fail, as the ``login_error`` the browser brings back to the SPA.
# The README lists them (Logging in); tests/volunteers/test_login_with_neon.py walks each.
LOGIN_ERRORS = {
    "invalid_state": "the login was not started here, was already used, or the session expired",
    "denied": "the member declined (or Neon refused) on Neon's login page",
    "missing_code": "Neon came back without an authorization code",
    "login_failed": "Neon refused the authorization code (spent, expired or not ours)",
    "no_account": "Neon has no account for the person who logged in",
    "neon_unavailable": "Neon could not be reached or answered with an error; try again later",
    "storage_unavailable": "our database could not be reached; nothing was stored, try again later",
    "invalid_link": "the e-mailed login link was already used, has expired, or is not one of ours",
    "login_error": "anything else that went wrong",
}


def _login_failed(code: str) -> HttpResponse:
    """Back to the SPA, never a bare JSON page: ``FRONTEND_URL?login_error=<code>``."""
    code = code if code in LOGIN_ERRORS else "login_error"
    base = settings.FRONTEND_URL
    separator = "&" if "?" in base else "?"
    return HttpResponseRedirect(f"{base}{separator}{urlencode({'login_error': code})}")


@require_GET
def neon_callback(request: HttpRequest) -> HttpResponse:
    expected = request.session.pop(STATE_KEY, None)
    next_url = request.session.pop(NEXT_KEY, settings.FRONTEND_URL)
    given = request.GET.get("state", "")
    if not expected or not hmac.compare_digest(given.encode(), str(expected).encode()):
        logger.warning("auth.neon.bad_state")
        return _login_failed("invalid_state")
    if request.GET.get("error"):
        logger.info("auth.neon.denied", extra={"error": request.GET.get("error")[:50]})
        return _login_failed("denied")
    code = request.GET.get("code", "")
    if not code or len(code) > 2048:
        return _login_failed("missing_code")
    return _log_in_or_fail(
        request,
        "neon",
        lambda deps: (
            use_cases.login_with_neon(code=code, redirect_uri=_callback_uri(request), **deps),
            next_url,
        ),
    )


def _log_in_or_fail(
    request: HttpRequest, via: str, attempt: Callable[[dict[str, Any]], tuple[Viewer, str]]
) -> HttpResponse:
    """Run a login (Neon OAuth, a magic link) with the profile dependencies, then start the
    session and go to ``next``; any failure goes back to the SPA as ``?login_error=``."""
    container = get_container()
    now = container.clock()
    deps = {
        "neon": container.neon,
        "volunteers": container.volunteers,
        "shops": container.shop_directory,
        "roles": container.roles,
        "now": now,
        "today": now.astimezone(MAKERSPACE_TZ).date(),
    }
    try:
        viewer, next_url = attempt(deps)
    except NotFound:
        logger.warning("auth.login.failed", extra={"code": "no_account", "via": via})
        return _login_failed("no_account")
    except DomainError as exc:
        logger.warning("auth.login.failed", extra={"code": exc.code, "via": via})
        return _login_failed(exc.code)
    except Exception:
        logger.exception("auth.login.error", extra={"via": via})
        return _login_failed("login_error")
    log_in(request, viewer)
    logger.info("auth.login", extra={"neon_id": viewer.neon_id, "via": via})
    return HttpResponseRedirect(next_url or settings.FRONTEND_URL)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """POST (with the CSRF token) ends the session. JSON callers get 204, browsers a redirect."""
    log_out(request)
    if "application/json" in request.headers.get("Accept", ""):
        return HttpResponse(status=204)
    return HttpResponseRedirect(settings.FRONTEND_URL)


def _posted(request: HttpRequest) -> Any:
    """A JSON body's object, or the form's fields; None for JSON that is not an object."""
    if request.content_type != "application/json":
        return request.POST
    try:
        data = parse_json(request.body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _not_an_object() -> JsonResponse:
    return JsonResponse(error_body("invalid_body", "The request body is not a JSON object."), status=400)


@require_http_methods(["GET", "POST"])
def dev_login(request: HttpRequest) -> HttpResponse:
    """Local only: pick a demo volunteer without Neon. 404 everywhere else."""
    if not settings.DEV_LOGIN_ENABLED:
        raise Http404("dev login is disabled")
    container = get_container()
    if request.method == "POST":
        # scripts and SPAs post JSON: {"neon_id": "1001"} -> 200 {neon_id, name} and the session
        as_json = request.content_type == "application/json"
        data = _posted(request)
        if data is None:
            return _not_an_object()
        try:
            viewer = use_cases.dev_login(
                neon_id=str(data.get("neon_id", "")),
                volunteers=container.volunteers,
                shops=container.shop_directory,
                now=container.clock(),
            )
        except DomainError as exc:
            return json_error(exc)
        log_in(request, viewer)
        logger.info("auth.login", extra={"neon_id": viewer.neon_id, "via": "dev"})
        if as_json:
            return JsonResponse({"neon_id": viewer.neon_id, "name": viewer.name})
        return HttpResponseRedirect(_safe_next(request, data.get("next")))
    people = container.volunteers.list_by_name(limit=100).items
    return render(
        request, "volunteers/dev_login.html", {"people": people, "next": request.GET.get("next", "")}
    )


def _link_url(request: HttpRequest, token: str) -> str:
    base = getattr(settings, "PUBLIC_BASE_URL", "") or ""
    path = reverse("magic-link-confirm", args=[token])
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


@require_POST
def magic_link_request(request: HttpRequest) -> HttpResponse:
    """POST ``{email, next?}`` (JSON or a form; CSRF header or field). The answer is the same
    whether or not the address is known: 202."""
    data = _posted(request)
    if data is None:
        return _not_an_object()
    email = data.get("email")
    container = get_container()
    try:
        magic_link.request_magic_link(
            email=email if isinstance(email, str) else "",
            client=client_address(request),
            next_url=_safe_next(request, data.get("next") if isinstance(data.get("next"), str) else None),
            neon=container.neon,
            links=container.login_links,
            limiter=container.rate_limiter,
            mailer=container.mailer,
            link_url=lambda token: _link_url(request, token),
            now=container.clock(),
            key_secret=settings.SECRET_KEY,
        )
    except DomainError as exc:
        return json_error(exc)
    return JsonResponse(
        {
            "status": "sent_if_known",
            "message": "If this address belongs to an Asmbly account, a login link is on its way. "
            "It works once, for 15 minutes.",
        },
        status=202,
    )


@require_http_methods(["GET", "POST"])
def magic_link_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners that open links must not spend them); POST spends
    the link and logs in like the Neon login, or sends the browser back with a login_error."""
    if request.method == "GET":
        response = render(request, "volunteers/magic_link.html")
        response["Cache-Control"] = "no-store"
        return response
    return _log_in_or_fail(
        request,
        "magic_link",
        lambda deps: magic_link.redeem_magic_link(token=token, links=get_container().login_links, **deps),
    )


@csrf_exempt  # the signed link is the authority; mail programs' one-click POST (RFC 8058) has no cookie
@require_http_methods(["GET", "POST"])
def notice_off(request: HttpRequest, token: str) -> HttpResponse:
    """The "stop these notices" link of a notice. GET shows what the button will turn off (a
    mail scanner opening the link changes nothing); POST turns that kind off."""
    from .domain import NOTICE_LABELS
    from .notice_links import read_notice_off_token

    found = read_notice_off_token(token)
    if found is None:
        response = render(request, "volunteers/notice_off.html", {"invalid": True}, status=404)
    else:
        neon_id, kind = found
        done = False
        if request.method == "POST":
            c = get_container()
            use_cases.turn_off_notice(
                neon_id=neon_id, kind=kind, volunteers=c.volunteers, shops=c.shop_directory, now=c.clock()
            )
            done = True
        response = render(
            request,
            "volunteers/notice_off.html",
            {"what": NOTICE_LABELS[kind], "done": done, "invalid": False},
        )
    response["Cache-Control"] = "no-store"
    return response
