"""The one outbound HTTP layer: every integration client builds its httpx client here, so
timeouts are always set and errors say whether retrying can help."""

from __future__ import annotations

from typing import Any

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class IntegrationError(Exception):
    """A call to ClickUp, Neon, Slack or Discourse failed.

    ``permanent`` is True when retrying the same request cannot help (4xx other than 408/429);
    ``retry_after`` is the delay the service asked for, in seconds, when it said so.
    """

    def __init__(
        self,
        service: str,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        retry_after: float | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after
        self.body = body


def make_client(
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    auth: Any = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"User-Agent": "voldash/1 (+https://asmbly.org)", **(headers or {})},
        auth=auth,
        timeout=timeout,
        transport=transport,
        follow_redirects=False,
    )


def is_transient_status(status: int) -> bool:
    return status in (408, 425, 429) or status >= 500


def raise_for_status(service: str, response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    retry_after = None
    raw = response.headers.get("Retry-After")
    if raw and raw.strip().isdigit():
        retry_after = float(raw.strip())
    raise IntegrationError(
        service,
        f"HTTP {response.status_code} from {response.request.method} {response.request.url.path}",
        permanent=not is_transient_status(response.status_code),
        status=response.status_code,
        retry_after=retry_after,
        body=response.text[:2000],
    )


def call(service: str, send: Any) -> httpx.Response:
    """Run ``send()`` (an httpx call), turning network failures into transient errors."""
    try:
        return send()
    except httpx.TimeoutException as exc:
        raise IntegrationError(service, f"timed out ({exc.__class__.__name__})", permanent=False) from exc
    except httpx.TransportError as exc:
        raise IntegrationError(service, f"unreachable ({exc.__class__.__name__})", permanent=False) from exc
