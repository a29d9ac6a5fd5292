"""The one outbound HTTP layer: every integration client builds its httpx client here, so
timeouts are always set and errors say whether retrying can help."""

from __future__ import annotations

import functools
import ssl
import threading
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


def configured_timeout() -> httpx.Timeout:
    """``HTTP_TIMEOUT_SECONDS`` from the settings (default 10 s; connecting gets at most 5 s)."""
    try:
        from django.conf import settings

        seconds = float(getattr(settings, "HTTP_TIMEOUT_SECONDS", 10.0))
    except Exception:  # outside Django (a script): the default
        return DEFAULT_TIMEOUT
    return httpx.Timeout(seconds, connect=min(5.0, seconds))


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """One TLS context (certifi's CA bundle, loaded once) shared by every client."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class LazyClient:
    """An httpx.Client built on first use: a Lambda that never calls Slack never pays for it."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def _get(self) -> httpx.Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    kwargs = dict(self._kwargs)
                    if kwargs.get("timeout") is None:
                        kwargs["timeout"] = configured_timeout()
                    if kwargs.get("transport") is None:
                        kwargs["verify"] = _tls_context()
                    self._client = httpx.Client(**kwargs)
        return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


def make_client(
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    auth: Any = None,
    timeout: httpx.Timeout | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Any:
    """An httpx client (built lazily) with timeouts always set and no redirects followed."""
    return LazyClient(
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
