"""The fake Discourse keeps Discourse's API contracts (reference: external-apis.md §4, asmbly.md §4)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.discourse import FakeDiscourse, slugify

TITLE = "9/10/2026 18:02 - Woodshop - Table Saw 2 - Sawstop"
RAW = "The blade will not rise.\n\nReported through the problem-report form."
# One TLS context for every client: httpx builds a new one per client otherwise (~30 ms each).
TLS = ssl.create_default_context()


@pytest.fixture
def discourse() -> Iterator[FakeDiscourse]:
    with FakeDiscourse() as fake:
        fake.clock = lambda: 1_767_225_600.0  # 2026-01-01T00:00:00Z
        yield fake


@pytest.fixture
def api(discourse: FakeDiscourse) -> Iterator[httpx.Client]:
    headers = {"Api-Key": discourse.api_key, "Api-Username": discourse.api_username}
    with httpx.Client(base_url=discourse.base_url, headers=headers, verify=TLS) as client:
        yield client


def create(api: httpx.Client, **overrides: Any) -> httpx.Response:
    body: dict[str, Any] = {"title": TITLE, "raw": RAW, "category": 59, "external_id": "clickup-86abc"}
    body.update(overrides)
    return api.post("/posts.json", json={k: v for k, v in body.items() if v is not None})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Api-Key": "discourse-test-key"},
        {"Api-Key": "wrong", "Api-Username": "facilities-bot"},
        {"Api-Key": "discourse-test-key", "Api-Username": "someone-else"},
    ],
)
def test_every_request_needs_key_and_username(discourse: FakeDiscourse, headers: dict[str, str]) -> None:
    response = httpx.post(f"{discourse.base_url}/posts.json", json={"raw": RAW}, headers=headers, verify=TLS)
    assert response.status_code == 403
    assert response.json()["error_type"] == "invalid_access"
    assert response.json()["errors"][0].startswith("You are not permitted")
    assert discourse.topics == []


def test_a_new_topic_returns_its_first_post(discourse: FakeDiscourse, api: httpx.Client) -> None:
    response = create(api)
    assert response.status_code == 200
    post = response.json()
    assert post["post_number"] == 1 and post["post_type"] == 1
    assert post["topic_slug"] == "9-10-2026-18-02-woodshop-table-saw-2-sawstop"
    assert post["username"] == "facilities-bot" and isinstance(post["user_id"], int)
    assert post["created_at"] == "2026-01-01T00:00:00.000Z"
    assert (
        post["cooked"] == "<p>The blade will not rise.</p>\n<p>Reported through the problem-report form.</p>"
    )
    assert (post["raw"], post["reply_count"], post["version"]) == (RAW, 0, 1)
    assert {"id", "topic_id", "name"} <= set(post)
    (topic,) = discourse.topics
    assert (topic["id"], topic["category_id"], topic["external_id"]) == (
        post["topic_id"],
        59,
        "clickup-86abc",
    )
    assert discourse.posts == [post]


def test_form_bodies_work_too(api: httpx.Client) -> None:
    response = api.post("/posts.json", data={"title": TITLE, "raw": RAW, "category": "59"})
    assert response.status_code == 200
    assert response.json()["topic_slug"] == slugify(TITLE)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"title": "Too short"}, "Title must be at least 15 characters"),
        ({"title": None}, "Title can't be blank"),
        ({"raw": "Broken."}, "Body is too short (minimum is 20 characters)"),
        ({"external_id": "has spaces in it"}, "External ID is invalid"),
        ({"external_id": "x" * 51}, "External ID is too long (maximum is 50 characters)"),
    ],
)
def test_validation_failures_are_422(
    discourse: FakeDiscourse, api: httpx.Client, overrides: dict[str, Any], error: str
) -> None:
    response = create(api, **overrides)
    assert response.status_code == 422
    assert response.json() == {"action": "create_post", "errors": [error]}
    assert discourse.topics == [] and discourse.posts == []


def test_an_unknown_category_is_rejected(api: httpx.Client) -> None:
    response = create(api, category=12345)
    assert response.status_code == 400
    assert response.json()["error_type"] == "invalid_parameters"


def test_external_ids_make_creation_idempotent(discourse: FakeDiscourse, api: httpx.Client) -> None:
    first = create(api).json()
    again = create(api, title="A different title for the same task", external_id="CLICKUP-86ABC")
    assert again.status_code == 422
    assert again.json() == {"action": "create_post", "errors": ["External ID has already been taken"]}
    duplicate_title = create(api, external_id="clickup-86xyz")
    assert duplicate_title.json()["errors"] == ["Title has already been used"]
    assert len(discourse.topics) == 1

    redirect = api.get("/t/external_id/clickup-86abc.json")
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == f"/t/{first['topic_slug']}/{first['topic_id']}.json"
    topic = api.get("/t/external_id/clickup-86abc.json", follow_redirects=True)
    assert topic.status_code == 200
    body = topic.json()
    assert (body["id"], body["title"], body["slug"]) == (first["topic_id"], TITLE, first["topic_slug"])
    assert (body["posts_count"], body["category_id"], body["external_id"]) == (1, 59, "clickup-86abc")
    assert [p["id"] for p in body["post_stream"]["posts"]] == [first["id"]]

    missing = api.get("/t/external_id/clickup-nope.json")
    assert missing.status_code == 404
    assert missing.json() == {
        "errors": ["The requested URL or resource could not be found."],
        "error_type": "not_found",
    }


def test_replies_are_numbered_and_topics_readable_by_id(discourse: FakeDiscourse, api: httpx.Client) -> None:
    first = create(api).json()
    reply = api.post(
        "/posts.json",
        json={
            "topic_id": first["topic_id"],
            "raw": "Someone has started working on this.",
            "reply_to_post_number": 1,
        },
    )
    assert reply.status_code == 200
    assert (reply.json()["post_number"], reply.json()["reply_to_post_number"]) == (2, 1)
    for path in (f"/t/{first['topic_id']}.json", f"/t/{first['topic_slug']}/{first['topic_id']}.json"):
        topic = api.get(path).json()
        assert topic["posts_count"] == 2
        assert [p["post_number"] for p in topic["post_stream"]["posts"]] == [1, 2]
    assert discourse.topic(first["topic_id"])["post_stream"]["posts"][0]["reply_count"] == 1
    assert api.get("/t/99999.json").status_code == 404
    short = api.post("/posts.json", json={"topic_id": first["topic_id"], "raw": "ok"})
    assert short.status_code == 422
    assert api.post("/posts.json", json={"topic_id": 99999, "raw": RAW}).status_code == 404


def test_a_reply_can_be_accepted_as_the_solution(discourse: FakeDiscourse, api: httpx.Client) -> None:
    first = create(api).json()
    text = "Someone has finished work on this and called it done."
    reply = api.post("/posts.json", json={"topic_id": first["topic_id"], "raw": text}).json()
    accepted = api.post("/solution/accept", json={"id": reply["id"]})
    assert accepted.status_code == 200 and accepted.json()["success"] == "OK"
    assert [p["accepted_answer"] for p in discourse.posts] == [False, True]
    assert api.post("/solution/accept", json={"id": 1}).status_code == 404


def test_rate_limit_next_is_429_with_retry_after(discourse: FakeDiscourse, api: httpx.Client) -> None:
    discourse.rate_limit_next(12)
    limited = create(api)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "12"
    body = limited.json()
    assert body["error_type"] == "rate_limit"
    assert body["extras"] == {"wait_seconds": 12, "time_left": "12 seconds"}
    assert "too many times" in body["errors"][0]
    assert discourse.topics == []
    assert create(api).status_code == 200


def test_fail_next_and_recording(discourse: FakeDiscourse, api: httpx.Client) -> None:
    discourse.fail_next("/posts", 502, times=2)
    assert [create(api).status_code for _ in range(3)] == [502, 502, 200]
    assert len(discourse.topics) == 1
    assert [r.path for r in discourse.requests] == ["/posts.json"] * 3
    assert discourse.requests[0].json()["external_id"] == "clickup-86abc"
    assert discourse.requests[0].headers["api-username"] == "facilities-bot"


def test_slugs() -> None:
    assert slugify("Woodshop: Jointer\u2019s fence is loose!") == "woodshop-jointers-fence-is-loose"
    assert slugify("!!!") == "topic"
