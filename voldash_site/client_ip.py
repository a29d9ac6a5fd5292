"""Who is asking, for rate limits (problem reports, magic links).

Behind CloudFront every request comes from an edge address, so the viewer's address must come
from a header the edge sets: ``CLIENT_IP_HEADER`` (template.yaml sets
``CloudFront-Viewer-Address``, "ip:port"). That header is only trustworthy when requests cannot
go around CloudFront (``ORIGIN_VERIFY_SECRET``); unset, the connection's address is used.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        value = request.headers.get(header, "")
        if value:
            # CloudFront-Viewer-Address is "ip:port" (IPv6 without brackets: many colons);
            # X-Forwarded-For lists the client first.
            first = value.split(",")[0].strip()
            return first.rsplit(":", 1)[0] if first.count(":") == 1 else first
    return str(request.META.get("REMOTE_ADDR") or "unknown")
