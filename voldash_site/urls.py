from django.http import HttpRequest, JsonResponse
from django.urls import path

from voldash_site.api import api


def index(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"service": "voldash", "api": "/api/v1/", "docs": "/api/v1/docs"})


urlpatterns = [
    path("", index),
    path("api/v1/", api.urls),
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
