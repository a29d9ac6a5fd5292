"""Discourse: create a topic idempotently (reference/external-apis.md section 4).

``external_id`` makes creation idempotent: a second create with the same id is a 422, and the
existing topic is then found with ``GET /t/external_id/{id}.json``."""

from __future__ import annotations

from typing import Any

import httpx

from integrations.http import IntegrationError, call, make_client, raise_for_status

SERVICE = "discourse"


class DiscourseClient:
    def __init__(
        self, *, base_url: str, api_key: str, api_username: str, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.api_username = api_username
        self._http = make_client(
            self.base_url,
            headers={"Api-Key": api_key, "Api-Username": api_username, "Accept": "application/json"},
            transport=transport,
        )

    @property
    def configured(self) -> bool:
        return bool(self.api_key and self.api_username)

    def topic_url(self, slug: str, topic_id: int | str) -> str:
        return f"{self.base_url}/t/{slug}/{topic_id}"

    def create_topic(self, *, title: str, raw: str, category: int | None, external_id: str) -> str:
        """Create the topic (or find the one a previous try created); returns its URL."""
        body: dict[str, Any] = {"title": title, "raw": raw, "external_id": external_id}
        if category is not None:
            body["category"] = category
        response = call(SERVICE, lambda: self._http.post("/posts.json", json=body))
        if response.status_code == 422 and "external id" in response.text.lower():
            existing = self.find_by_external_id(external_id)
            if existing:
                return existing
        raise_for_status(SERVICE, response)
        post = response.json()
        return self.topic_url(post.get("topic_slug", "topic"), post["topic_id"])

    def find_by_external_id(self, external_id: str) -> str | None:
        response = call(SERVICE, lambda: self._http.get(f"/t/external_id/{external_id}.json"))
        if response.status_code in (301, 302, 303, 307, 308):
            location = response.headers.get("Location", "")
            response = call(SERVICE, lambda: self._http.get(location))
        if response.status_code == 404:
            return None
        raise_for_status(SERVICE, response)
        topic = response.json()
        if "id" not in topic:
            raise IntegrationError(SERVICE, "topic lookup returned no id", permanent=True)
        return self.topic_url(topic.get("slug", "topic"), topic["id"])
