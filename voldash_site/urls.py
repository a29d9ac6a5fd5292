from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLResolver, path
from django.urls.resolvers import RoutePattern

from voldash_site.api import api


def index(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"service": "voldash", "api": "/api/v1/", "docs": "/api/v1/docs"})


urlpatterns = [
    path("", index),
    path("api/v1/", api.urls),
    # Each loaded on its first request only: API reads never import the login views, the
    # webhooks (and the integrations behind them) or the staff pages.
    URLResolver(RoutePattern("auth/"), "volunteers.urls"),
    URLResolver(RoutePattern("webhooks/"), "integrations.urls"),
    URLResolver(RoutePattern("report/"), "tasks.reports.urls"),
    URLResolver(RoutePattern("staff/"), "voldash_site.staff.urls"),
    URLResolver(RoutePattern("calendar/"), "tasks.upkeep.urls"),
]


def json_404(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse(
        {"code": "not_found", "message": f"Nothing at {request.path}.", "detail": None}, status=404
    )


def json_500(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"code": "internal_error", "message": "Something went wrong on our side.", "detail": None},
        status=500,
    )


handler404 = json_404
handler500 = json_500


def _same_site(request: HttpRequest) -> bool:
    """A Referer from this site's staff pages (the only place a "go back" link may point)."""
    referer = request.headers.get("Referer", "")
    return referer.startswith(request.build_absolute_uri("/staff/"))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # A staff form posted by a browser: a staff page. API clients (and scripts) keep the JSON.
    if request.path.startswith("/staff/") and "text/html" in request.headers.get("Accept", ""):
        from django.shortcuts import render

        return render(
            request,
            "staff/stale_form.html",
            {"back": request.headers.get("Referer", "") if _same_site(request) else ""},
            status=403,
        )
    return JsonResponse(
        {
            "code": "csrf_failed",
            "message": "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.",
            "detail": None,
        },
        status=403,
    )
