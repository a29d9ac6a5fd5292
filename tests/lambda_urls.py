"""The real URLs plus an echo view, so Lambda tests can prove bodies and headers pass through."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from voldash_site.urls import urlpatterns as real_urlpatterns


@csrf_exempt
def echo(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "method": request.method,
            "path": request.path,
            "query": {k: request.GET.getlist(k) for k in request.GET},
            "body": request.body.decode("utf-8"),
            "content_type": request.content_type,
            "x_signature": request.headers.get("X-Signature"),
            "cookie": request.COOKIES.get("sessionid"),
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "secure": request.is_secure(),
        }
    )


urlpatterns = [*real_urlpatterns, path("__echo", echo)]
