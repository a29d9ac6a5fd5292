"""Who is asking, for rate limits (problem reports, magic links, photo uploads).

Behind CloudFront every request comes from an edge address, so the viewer's address must come
from a header the edge sets: ``CLIENT_IP_HEADER`` (template.yaml sets
``CloudFront-Viewer-Address``, "ip:port"). That header is only trustworthy when requests cannot
go around CloudFront, so it is read only while ``ORIGIN_VERIFY_SECRET`` is set (the middleware
then refuses requests without CloudFront's secret; the settings refuse to start with the header
and no secret outside local and test). Otherwise the connection's address is used.

One person is one *address*, as counted here:

- the port is never part of it (CloudFront-Viewer-Address gives one per connection:
  ``198.51.100.7:46532``, and IPv6 unbracketed, ``2001:db8::1:46532``: the port is after the
  last colon; ``[2001:db8::1]:443`` is read too);
- an IPv6 address counts by its /64 network, which is what one subscriber or host gets (any
  machine can pick a new address inside its /64 for every request); an IPv4-mapped IPv6
  address is its IPv4 address;
- a combined header (``a, b, c``: a proxy appends what it saw) counts by its last value, the one
  our edge wrote; earlier values are whatever the client sent.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

IPV6_PREFIX = 64
UNKNOWN = "unknown"


def client_address(request: HttpRequest) -> str:
    """The address rate limits count ``request`` under (an IPv4 address or an IPv6 /64)."""
    verified = bool(getattr(settings, "ORIGIN_VERIFY_SECRET", ""))
    header = getattr(settings, "CLIENT_IP_HEADER", "") if verified else ""
    if header:
        value = request.headers.get(header, "")
        if value.strip():
            found = normalize(_without_port(value.split(",")[-1]))
            if found is not None:
                return found
    return normalize(str(request.META.get("REMOTE_ADDR") or "")) or UNKNOWN


def normalize(address: str) -> str | None:
    """``address`` as counted: IPv4 as is, IPv6 as its /64 network; None if not an address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def _without_port(value: str) -> str:
    """The host part of ``ip``, ``ip:port``, ``[ipv6]:port`` or CloudFront's ``ipv6:port``."""
    value = value.strip()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:  # IPv4 with a port
        return value.split(":", 1)[0]
    if value.count(":") > 1:  # CloudFront's unbracketed IPv6 with a port: split on the last colon
        host, _, port = value.rpartition(":")
        if port.isdigit() and _is_address(host):
            return host
    return value


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
