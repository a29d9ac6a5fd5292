"""ClickUp API v2 client (reference/external-apis.md section 1).

Personal token in ``Authorization`` (no "Bearer"). Rate limit: 100 requests/minute/token on
Asmbly's plan, so requests are spaced to stay under ``per_minute``; a 429 waits until
``X-RateLimit-Reset`` and tries again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from integrations.http import IntegrationError, call, make_client, raise_for_status

SERVICE = "clickup"
MAX_RATE_LIMIT_WAITS = 3


class RateLimiter:
    """Spaces requests evenly so that at most ``per_minute`` start in any minute."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # 1% slack: evenly spaced at exactly 60/N seconds, N+1 starts fit in a closed minute.
        self.interval = 60.0 / per_minute * 1.01 if per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


class ClickUpClient:
    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        per_minute: int = 90,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self._http = make_client(api_url.rstrip("/"), headers={"Authorization": token}, transport=transport)
        self._limiter = RateLimiter(per_minute, sleep=sleep)
        self._sleep = sleep
        self._wall_clock = wall_clock
        self.requests_made = 0

    @property
    def configured(self) -> bool:
        return bool(self.token)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self.configured:
            raise IntegrationError(SERVICE, "CLICKUP_API_TOKEN is not configured", permanent=True)
        for _ in range(MAX_RATE_LIMIT_WAITS + 1):
            self._limiter.wait()
            self.requests_made += 1
            response = call(SERVICE, lambda: self._http.request(method, path, **kwargs))
            if response.status_code != 429:
                return response
            self._sleep(self._reset_wait(response))
        raise IntegrationError(SERVICE, "still rate limited after waiting", permanent=False, status=429)

    def _reset_wait(self, response: httpx.Response) -> float:
        raw = response.headers.get("X-RateLimit-Reset", "")
        try:
            reset = float(raw)
        except ValueError:
            return 60.0
        if reset > 1e12:  # milliseconds (the docs do not say which; be defensive)
            reset /= 1000
        return min(max(0.0, reset - self._wall_clock()) + 0.5, 65.0)

    def get_task(self, task_id: str) -> dict[str, Any] | None:
        """The task, or None when ClickUp says it does not exist (deleted)."""
        response = self._send("GET", f"/task/{task_id}")
        if response.status_code == 404:
            return None
        raise_for_status(SERVICE, response)
        try:
            data = response.json()
        except ValueError as exc:
            raise IntegrationError(
                SERVICE, "GET /task answered with a body that is not JSON", permanent=False
            ) from exc
        if not isinstance(data, dict):
            raise IntegrationError(
                SERVICE, "GET /task answered with a body that is not an object", permanent=False
            )
        return data

    def list_tasks(
        self,
        list_id: str,
        *,
        page: int,
        updated_after_ms: int | None = None,
        include_closed: bool = True,
        archived: bool = False,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page (100 tasks) of a list, oldest update first; returns (tasks, last_page)."""
        params: dict[str, Any] = {
            "page": page,
            "include_closed": str(include_closed).lower(),
            "archived": str(archived).lower(),
            "subtasks": "true",
            "order_by": "updated",
            "reverse": "false",
        }
        if updated_after_ms is not None:
            params["date_updated_gt"] = updated_after_ms
        response = self._send("GET", f"/list/{list_id}/task", params=params)
        raise_for_status(SERVICE, response)
        body = response.json()
        tasks = list(body.get("tasks") or [])
        return tasks, bool(body.get("last_page", len(tasks) < 100))

    def update_task(self, task_id: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._send("PUT", f"/task/{task_id}", json=body)
        raise_for_status(SERVICE, response)
        return response.json()

    def comment(self, task_id: str, text: str) -> dict[str, Any]:
        response = self._send(
            "POST", f"/task/{task_id}/comment", json={"comment_text": text, "notify_all": False}
        )
        raise_for_status(SERVICE, response)
        return response.json()

    def comments(self, task_id: str) -> list[dict[str, Any]]:
        """The task's comments (newest first, as ClickUp lists them)."""
        response = self._send("GET", f"/task/{task_id}/comment")
        raise_for_status(SERVICE, response)
        return list(response.json().get("comments") or [])

    def update_checklist_item(self, checklist_id: str, item_id: str, *, resolved: bool) -> dict[str, Any]:
        """``PUT /checklist/{checklist_id}/checklist_item/{checklist_item_id}`` with ``resolved``."""
        response = self._send(
            "PUT", f"/checklist/{checklist_id}/checklist_item/{item_id}", json={"resolved": resolved}
        )
        raise_for_status(SERVICE, response)
        return response.json()

    # -- webhooks (POST/GET /team/{team_id}/webhook, PUT /webhook/{id}) ------------------------

    def create_webhook(
        self, team_id: str, *, endpoint: str, events: list[str], list_id: str | None = None
    ) -> dict[str, Any]:
        """The created webhook (ClickUp answers ``{"id", "webhook": {..., "secret", "health"}}``)."""
        body: dict[str, Any] = {"endpoint": endpoint, "events": events}
        if list_id is not None:
            body["list_id"] = int(list_id)
        response = self._send("POST", f"/team/{team_id}/webhook", json=body)
        raise_for_status(SERVICE, response)
        return dict(response.json().get("webhook") or {})

    def webhooks(self, team_id: str) -> list[dict[str, Any]]:
        """The Workspace's webhooks made with this token, each with ``health`` {status, fail_count}."""
        response = self._send("GET", f"/team/{team_id}/webhook")
        raise_for_status(SERVICE, response)
        return list(response.json().get("webhooks") or [])

    def update_webhook(self, webhook_id: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._send("PUT", f"/webhook/{webhook_id}", json=body)
        raise_for_status(SERVICE, response)
        return dict(response.json().get("webhook") or {})

    def create_task(self, list_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /list/{list_id}/task``: returns the new task (the Get Task shape)."""
        response = self._send("POST", f"/list/{list_id}/task", json=body)
        raise_for_status(SERVICE, response)
        return response.json()

    def list_fields(self, list_id: str) -> list[dict[str, Any]]:
        """``GET /list/{list_id}/field``: the custom fields usable in the list (with options)."""
        response = self._send("GET", f"/list/{list_id}/field")
        raise_for_status(SERVICE, response)
        return list(response.json().get("fields") or [])

    def set_field(self, task_id: str, field_id: str, value: Any) -> None:
        """``POST /task/{task_id}/field/{field_id}`` (custom fields cannot be set by Update Task)."""
        response = self._send("POST", f"/task/{task_id}/field/{field_id}", json={"value": value})
        raise_for_status(SERVICE, response)

    def attach(self, task_id: str, filename: str, data: bytes, content_type: str) -> dict[str, Any]:
        """``POST /task/{task_id}/attachment`` (multipart/form-data, the file as ``attachment``)."""
        response = self._send(
            "POST", f"/task/{task_id}/attachment", files={"attachment": (filename, data, content_type)}
        )
        raise_for_status(SERVICE, response)
        return response.json()
