"""Slack Web API: chat.postMessage (reference/external-apis.md section 3).

Slack answers logical errors with HTTP 200 and ``{"ok": false, "error": ...}``; rate limits
with 429 and ``Retry-After`` seconds."""

from __future__ import annotations

from typing import Any

import httpx

from integrations.http import IntegrationError, call, make_client, raise_for_status

SERVICE = "slack"
# ok:false errors that another try may fix; every other one is permanent.
TRANSIENT_ERRORS = {
    "ratelimited",
    "rate_limited",
    "fatal_error",
    "internal_error",
    "request_timeout",
    "service_unavailable",
}


class SlackClient:
    def __init__(self, *, api_url: str, token: str, transport: httpx.BaseTransport | None = None) -> None:
        self.token = token
        self._http = make_client(
            api_url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, transport=transport
        )

    @property
    def configured(self) -> bool:
        return bool(self.token)

    def post_message(self, *, channel: str, text: str, **extra: Any) -> dict[str, Any]:
        response = call(
            SERVICE,
            lambda: self._http.post(
                "/chat.postMessage",
                json={"channel": channel, "text": text, "unfurl_links": False, **extra},
                headers={"Content-Type": "application/json; charset=utf-8"},
            ),
        )
        raise_for_status(SERVICE, response)
        body = response.json()
        if not body.get("ok"):
            error = str(body.get("error", "unknown_error"))
            raise IntegrationError(
                SERVICE,
                f"chat.postMessage failed: {error}",
                permanent=error not in TRANSIENT_ERRORS,
                status=response.status_code,
                body=response.text[:2000],
            )
        return body
