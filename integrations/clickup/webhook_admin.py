"""The ClickUp webhook lifecycle (issue 13): register one webhook per synced list, watch its
health, reactivate it. ClickUp drops an event after 5 failed deliveries, suspends a webhook
at 100 failures (or at once on a 410), and tells nobody (reference/external-apis.md 1.6).

What ClickUp returns is kept in the sync state item (``SYNC#clickup``, ``webhooks``): the id,
list, health and the secret that signs the deliveries (X-Signature), so no secret passes
through an operator's terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.sync_state import SyncStateRepository

SERVICE = "clickup"
# What the sync reacts to (integrations/clickup/sync.py re-reads the task for any of them).
SYNC_EVENTS = [
    "taskCreated",
    "taskUpdated",
    "taskDeleted",
    "taskStatusUpdated",
    "taskAssigneeUpdated",
    "taskPriorityUpdated",
    "taskMoved",
    "taskTimeEstimateUpdated",
    "taskCommentPosted",  # comments carry their text (integrations/clickup/sync.py stores them)
    "taskCommentUpdated",
]


@dataclass(frozen=True)
class WebhookAdmin:
    client: Any  # ClickUpClient
    state: SyncStateRepository
    team_id: str
    endpoint: str
    list_ids: list[str]
    clock: Any

    def _ours(self) -> dict[str, dict[str, Any]]:
        """ClickUp's webhooks for our endpoint, by list id."""
        found: dict[str, dict[str, Any]] = {}
        for hook in self.client.webhooks(self.team_id):
            if hook.get("endpoint") == self.endpoint and hook.get("list_id") is not None:
                found[str(hook["list_id"])] = hook
        return found

    def _entry(self, hook: dict[str, Any], known: dict[str, Any] | None) -> dict[str, Any]:
        health = hook.get("health") or {}
        return {
            "id": str(hook["id"]),
            "list_id": str(hook.get("list_id")),
            "endpoint": hook.get("endpoint"),
            "status": str(health.get("status") or "unknown"),
            "fail_count": int(health.get("fail_count") or 0),
            "checked_at": self.clock().isoformat(),
            "secret": hook.get("secret") or (known or {}).get("secret") or "",
        }

    def _save(self, hooks: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        known = {h["id"]: h for h in self.state.get(SERVICE).webhooks}
        entries = [self._entry(hook, known.get(str(hook["id"]))) for hook in hooks.values()]
        for list_id in self.list_ids:
            if list_id not in hooks:
                entries.append({"id": "", "list_id": list_id, "status": "missing", "fail_count": 0})
        entries.sort(key=lambda e: e["list_id"])
        self.state.record_webhooks(SERVICE, entries)
        return entries

    def register(self) -> tuple[list[str], list[dict[str, Any]]]:
        """Create the webhooks that are missing (idempotent); returns (created list ids, entries)."""
        hooks = self._ours()
        created = []
        for list_id in self.list_ids:
            if list_id not in hooks:
                hooks[list_id] = self.client.create_webhook(
                    self.team_id, endpoint=self.endpoint, events=SYNC_EVENTS, list_id=list_id
                )
                created.append(list_id)
        return created, self._save(hooks)

    def status(self) -> list[dict[str, Any]]:
        return self._save(self._ours())

    def reactivate(self) -> tuple[list[str], list[dict[str, Any]]]:
        hooks = self._ours()
        changed = []
        for list_id, hook in hooks.items():
            if (hook.get("health") or {}).get("status") != "active":
                hooks[list_id] = {**hook, **self.client.update_webhook(str(hook["id"]), {"status": "active"})}
                changed.append(list_id)
        return changed, self._save(hooks)


def not_active(entries: list[dict[str, Any]]) -> int:
    """How many lists have no active webhook (failing, suspended, inactive or missing)."""
    return sum(1 for e in entries if e.get("status") != "active")


def secret_for(webhook_id: str, entries: list[dict[str, Any]]) -> str:
    for entry in entries:
        if entry.get("id") and entry.get("id") == webhook_id:
            return str(entry.get("secret") or "")
    return ""


def public(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry without its secret (for pages, logs and command output)."""
    return {k: v for k, v in entry.items() if k != "secret"}


def checked_at(entry: dict[str, Any]) -> datetime | None:
    raw = entry.get("checked_at")
    return datetime.fromisoformat(raw) if raw else None
