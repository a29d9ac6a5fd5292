from django.http import HttpRequest, JsonResponse
from django.urls import URLResolver, path
from django.urls.resolvers import RoutePattern

from integrations.clickup.webhooks import clickup_webhook
from integrations.neon.webhooks import neon_webhook
from tasks.reports import views as report_views
from voldash_site.api import api
from volunteers import views as auth_views


def index(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"service": "voldash", "api": "/api/v1/", "docs": "/api/v1/docs"})


urlpatterns = [
    path("", index),
    path("api/v1/", api.urls),
    path("auth/neon/login", auth_views.neon_login, name="neon-login"),
    path("auth/neon/callback", auth_views.neon_callback, name="neon-callback"),
    path("auth/logout", auth_views.logout, name="logout"),
    path("auth/dev-login", auth_views.dev_login, name="dev-login"),
    path("webhooks/clickup", clickup_webhook, name="webhook-clickup"),
    path("webhooks/neon", neon_webhook, name="webhook-neon"),
    path("report/", report_views.report_page, name="report"),
    path("report/<str:report_id>/", report_views.report_status_page, name="report-status"),
    # Loaded on the first /staff/ request only: API calls never import the staff pages.
    URLResolver(RoutePattern("staff/"), "voldash_site.staff.urls"),
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


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return JsonResponse(
        {
            "code": "csrf_failed",
            "message": "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.",
            "detail": None,
        },
        status=403,
    )
