"""Slack Web API: chat.postMessage, users.lookupByEmail, users.info (reference/external-apis.md
section 3).

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
        """``channel``: a channel id or name, or a user id (a direct message from the bot)."""
        response = call(
            SERVICE,
            lambda: self._http.post(
                "/chat.postMessage",
                json={"channel": channel, "text": text, "unfurl_links": False, **extra},
                headers={"Content-Type": "application/json; charset=utf-8"},
            ),
        )
        return self._body("chat.postMessage", response)

    def lookup_user_by_email(self, email: str) -> str | None:
        """``users.lookupByEmail`` (scope ``users:read.email``): the Slack user id, or None when
        the workspace has no (active) user with that e-mail (``users_not_found``)."""
        response = call(SERVICE, lambda: self._http.get("/users.lookupByEmail", params={"email": email}))
        try:
            body = self._body("users.lookupByEmail", response)
        except IntegrationError as exc:
            if exc.permanent and "users_not_found" in str(exc):
                return None
            raise
        user = body.get("user") or {}
        if user.get("deleted") or not isinstance(user.get("id"), str):
            return None
        return str(user["id"])

    def user_email(self, user_id: str) -> str | None:
        """``users.info`` (scopes ``users:read`` and ``users:read.email``): the user's e-mail."""
        response = call(SERVICE, lambda: self._http.get("/users.info", params={"user": user_id}))
        body = self._body("users.info", response)
        email = ((body.get("user") or {}).get("profile") or {}).get("email")
        return email if isinstance(email, str) and email else None

    def _body(self, method: str, response: httpx.Response) -> dict[str, Any]:
        raise_for_status(SERVICE, response)
        body = response.json()
        if not body.get("ok"):
            error = str(body.get("error", "unknown_error"))
            raise IntegrationError(
                SERVICE,
                f"{method} failed: {error}",
                permanent=error not in TRANSIENT_ERRORS,
                status=response.status_code,
                body=response.text[:2000],
            )
        return body
