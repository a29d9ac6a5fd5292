"""A fake Discourse forum API served over real HTTP on 127.0.0.1, for tests.

It reproduces the contracts in ``shared/reference/external-apis.md`` §4 and ``asmbly.md`` §4:

- ``Api-Key`` / ``Api-Username`` headers on every request (the username compared case-insensitively,
  as Discourse looks users up); otherwise 403 ``error_type: "invalid_access"``.
- ``POST /posts.json`` (JSON or form): a new topic with ``title``, ``raw``, ``category`` (id) and an
  optional ``external_id``, or a reply with ``topic_id`` (and ``reply_to_post_number``). Validation
  failures are 422 ``{"action": "create_post", "errors": [...]}``: title at least 15 characters and
  unique (case-insensitively), body at least 20 characters, ``external_id`` matching ``[\\w-]{1,50}``
  and unique case-insensitively. An unknown category is 400 ``invalid_parameters`` (Discourse raises
  ``InvalidParameters`` for it). Success is the post object.
- ``GET /t/external_id/{external_id}.json`` → 301 to ``/t/{slug}/{id}.json`` (relative ``Location``;
  exact-case lookup, as Discourse's ``find_by``), ``GET /t/{slug}/{id}.json`` and ``GET /t/{id}.json``
  → the topic with its ``post_stream``; ``GET /posts/{id}.json``; ``POST /solution/accept``.
  Unknown → 404 ``error_type: "not_found"``.
- ``rate_limit_next(wait)`` → 429, ``Retry-After``, ``error_type: "rate_limit"`` with ``extras``.

Test hooks beyond Discourse: ``topics`` and ``posts`` (dicts, in creation order), ``clock`` (seconds;
drives ``created_at``), ``requests``, ``fail_next`` and ``delay_next``.

Usage::

    with FakeDiscourse() as discourse:
        httpx.post(f"{discourse.base_url}/posts.json",
                   headers={"Api-Key": discourse.api_key, "Api-Username": discourse.api_username},
                   json={"title": "Woodshop - Table Saw 2 is broken", "raw": "The blade will not rise.",
                         "category": 59, "external_id": "clickup-86abc"})
"""

from __future__ import annotations

import copy
import datetime as dt
import hmac
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote, unquote

from tests.fakes._server import FakeServer, RecordedRequest, Response, json_response, reason

MIN_TITLE_LENGTH: Final = 15
MAX_TITLE_LENGTH: Final = 255
MIN_POST_LENGTH: Final = 20
BOT_USER_ID: Final = 7
DEFAULT_CATEGORIES: Final[dict[int, str]] = {59: "Problem Reports", 1: "General"}

_EXTERNAL_ID: Final = re.compile(r"[\w-]{1,50}", re.ASCII)
_EXTERNAL_ID_ROUTE: Final = re.compile(r"/t/external_id/([\w-]+?)(\.json)?", re.ASCII)
_TOPIC_ROUTE: Final = re.compile(r"/t/(?:([^/]+)/)?(\d+)(?:/\d+)?(\.json)?")
_POST_ROUTE: Final = re.compile(r"/posts/(\d+)(\.json)?")
_NOT_FOUND: Final = {
    "errors": ["The requested URL or resource could not be found."],
    "error_type": "not_found",
}
_INVALID_ACCESS: Final = {
    "errors": ["You are not permitted to view the requested resource. The API username or key is invalid."],
    "error_type": "invalid_access",
}


def slugify(title: str) -> str:
    """Discourse's ASCII slug: lower case, runs of other characters become one dash."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower().replace("'", "").replace("\u2019", "")).strip("-")
    return slug or "topic"


def _cook(raw: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", raw.strip()) if p.strip()]
    return "\n".join(
        f"<p>{'<br>'.join(html.escape(line) for line in p.splitlines())}</p>" for p in paragraphs
    )


def _unprocessable(*errors: str) -> Response:
    return json_response(422, {"action": "create_post", "errors": list(errors)})


class FakeDiscourse(FakeServer):
    """A Discourse forum (topics, posts, solutions), in memory, behind a real HTTP server."""

    thread_name = "fake-discourse"

    def __init__(
        self,
        *,
        api_key: str = "discourse-test-key",
        api_username: str = "facilities-bot",
        categories: dict[int, str] | None = None,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.api_username = api_username
        self.categories: dict[int, str] = dict(DEFAULT_CATEGORIES if categories is None else categories)
        self.topics: list[dict[str, Any]] = []
        self.posts: list[dict[str, Any]] = []
        self.clock: Callable[[], float] = time.time
        self._rate_limits: list[list[int]] = []  # [wait_seconds, remaining]
        self._topic_ids = itertools.count(16001)
        self._post_ids = itertools.count(80001)

    def rate_limit_next(self, wait_seconds: int, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 and ``Retry-After: wait_seconds``."""
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._rate_limits.append([int(wait_seconds), times])

    def topic(self, topic_id: int) -> dict[str, Any]:
        """A topic as ``GET /t/{id}.json`` returns it."""
        with self._lock:
            found = self._topic(topic_id)
            if found is None:
                raise KeyError(f"no topic {topic_id}")
            return self._topic_json(found)

    # -- request handling --------------------------------------------------------------------------

    def _error_body(self, status: int) -> object:
        return {"errors": [reason(status)], "error_type": "not_found" if status == 404 else "unknown"}

    def _route(self, request: RecordedRequest) -> Response:
        if self._rate_limits:
            entry = self._rate_limits[0]
            entry[1] -= 1
            if entry[1] == 0:
                self._rate_limits.pop(0)
            return self._rate_limited(entry[0])
        key = request.headers.get("api-key", "")
        username = request.headers.get("api-username", "")
        if not (
            hmac.compare_digest(key.encode(), self.api_key.encode())
            and username.casefold() == self.api_username.casefold()
        ):
            return json_response(403, _INVALID_ACCESS)
        path = request.path
        if request.method == "POST" and path in ("/posts.json", "/posts"):
            return self._create_post(request)
        if request.method == "POST" and path in ("/solution/accept.json", "/solution/accept"):
            return self._accept(request)
        if request.method != "GET":
            return json_response(404, _NOT_FOUND)
        if match := _EXTERNAL_ID_ROUTE.fullmatch(path):
            return self._by_external_id(unquote(match.group(1)), json_suffix=bool(match.group(2)))
        if match := _TOPIC_ROUTE.fullmatch(path):
            found = self._topic(int(match.group(2)))
            return json_response(200, self._topic_json(found)) if found else json_response(404, _NOT_FOUND)
        if match := _POST_ROUTE.fullmatch(path):
            post = self._post(int(match.group(1)))
            return json_response(200, copy.deepcopy(post)) if post else json_response(404, _NOT_FOUND)
        return json_response(404, _NOT_FOUND)

    def _rate_limited(self, wait: int) -> Response:
        body = {
            "errors": [
                "You\u2019ve performed this action too many times. "
                f"Please wait {wait} seconds before trying again."
            ],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": wait, "time_left": f"{wait} seconds"},
        }
        headers = {"Retry-After": str(wait), "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"}
        return json_response(429, body, headers)

    def _arguments(self, request: RecordedRequest) -> dict[str, Any] | None:
        if request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                return None
            return body if isinstance(body, dict) else None
        return {name: values[-1] for name, values in request.form().items()} if request.body else {}

    def _create_post(self, request: RecordedRequest) -> Response:
        args = self._arguments(request)
        if args is None:
            return json_response(
                400,
                {
                    "errors": ["You supplied invalid parameters to the request."],
                    "error_type": "invalid_parameters",
                },
            )
        raw = args.get("raw")
        raw = raw if isinstance(raw, str) else ""
        body_errors: list[str] = []
        if not raw.strip():
            body_errors.append("Body can't be blank")
        elif len(raw.strip()) < MIN_POST_LENGTH:
            body_errors.append(f"Body is too short (minimum is {MIN_POST_LENGTH} characters)")
        if args.get("topic_id") not in (None, ""):
            return self._reply(args, raw, body_errors)
        category = args.get("category")
        category_id: int | None = None
        if category not in (None, ""):
            if isinstance(category, int) and not isinstance(category, bool):
                category_id = category
            elif isinstance(category, str) and category.isdigit():
                category_id = int(category)
            if category_id not in self.categories:
                return json_response(
                    400,
                    {
                        "errors": ["You supplied invalid parameters to the request: category"],
                        "error_type": "invalid_parameters",
                    },
                )
        title = args.get("title")
        title = title.strip() if isinstance(title, str) else ""
        errors: list[str] = []
        if not title:
            errors.append("Title can't be blank")
        elif len(title) < MIN_TITLE_LENGTH:
            errors.append(f"Title must be at least {MIN_TITLE_LENGTH} characters")
        elif len(title) > MAX_TITLE_LENGTH:
            errors.append(f"Title is too long (maximum is {MAX_TITLE_LENGTH} characters)")
        elif any(t["title"].casefold() == title.casefold() for t in self.topics):
            errors.append("Title has already been used")
        external_id = args.get("external_id")
        external_id = str(external_id) if external_id not in (None, "") else None
        if external_id is not None:
            if len(external_id) > 50:
                errors.append("External ID is too long (maximum is 50 characters)")
            elif not _EXTERNAL_ID.fullmatch(external_id):
                errors.append("External ID is invalid")
            elif any((t["external_id"] or "").casefold() == external_id.casefold() for t in self.topics):
                errors.append("External ID has already been taken")
        errors += body_errors
        if errors:
            return _unprocessable(*errors)
        now = self._now()
        topic = {
            "id": next(self._topic_ids),
            "title": title,
            "fancy_title": html.escape(title),
            "slug": slugify(title),
            "posts_count": 0,
            "reply_count": 0,
            "category_id": category_id,
            "external_id": external_id,
            "created_at": now,
            "last_posted_at": now,
            "archetype": "regular",
            "visible": True,
            "closed": False,
            "archived": False,
            "user_id": BOT_USER_ID,
            "accepted_answer": None,
        }
        self.topics.append(topic)
        return json_response(200, self._add_post(topic, raw, reply_to=None, now=now))

    def _reply(self, args: dict[str, Any], raw: str, body_errors: list[str]) -> Response:
        try:
            topic = self._topic(int(args["topic_id"]))
        except (TypeError, ValueError):
            topic = None
        if topic is None:
            return json_response(404, _NOT_FOUND)
        if body_errors:
            return _unprocessable(*body_errors)
        reply_to: int | None = None
        if args.get("reply_to_post_number") not in (None, ""):
            try:
                reply_to = int(args["reply_to_post_number"])
            except (TypeError, ValueError):
                reply_to = None
        return json_response(200, self._add_post(topic, raw, reply_to=reply_to, now=self._now()))

    def _add_post(self, topic: dict[str, Any], raw: str, *, reply_to: int | None, now: str) -> dict[str, Any]:
        topic["posts_count"] += 1
        topic["last_posted_at"] = now
        if topic["posts_count"] > 1:
            topic["reply_count"] += 1
        for post in self.posts:
            if reply_to is not None and post["topic_id"] == topic["id"] and post["post_number"] == reply_to:
                post["reply_count"] += 1
        post = {
            "id": next(self._post_ids),
            "name": "Facilities Bot",
            "username": self.api_username,
            "avatar_template": f"/user_avatar/yo.asmbly.org/{quote(self.api_username)}/{{size}}/1_2.png",
            "created_at": now,
            "cooked": _cook(raw),
            "post_number": topic["posts_count"],
            "post_type": 1,
            "updated_at": now,
            "reply_count": 0,
            "reply_to_post_number": reply_to,
            "quote_count": 0,
            "incoming_link_count": 0,
            "reads": 0,
            "score": 0,
            "yours": True,
            "topic_id": topic["id"],
            "topic_slug": topic["slug"],
            "display_username": "Facilities Bot",
            "version": 1,
            "can_edit": True,
            "can_delete": False,
            "can_recover": False,
            "can_wiki": True,
            "raw": raw,
            "user_id": BOT_USER_ID,
            "draft_sequence": 0,
            "hidden": False,
            "trust_level": 1,
            "deleted_at": None,
            "user_deleted": False,
            "wiki": False,
            "accepted_answer": False,
        }
        self.posts.append(post)
        return copy.deepcopy(post)

    def _accept(self, request: RecordedRequest) -> Response:
        args = self._arguments(request) or {}
        try:
            post = self._post(int(args.get("id", "")))
        except (TypeError, ValueError):
            post = None
        if post is None:
            return json_response(404, _NOT_FOUND)
        topic = self._topic(post["topic_id"])
        assert topic is not None
        for other in self.posts:
            if other["topic_id"] == topic["id"]:
                other["accepted_answer"] = other is post
        accepted = {
            "post_number": post["post_number"],
            "username": post["username"],
            "excerpt": re.sub(r"<[^>]+>", "", post["cooked"])[:200],
            "name": post["name"],
        }
        topic["accepted_answer"] = accepted
        return json_response(200, {"success": "OK", "accepted_answer": accepted})

    def _by_external_id(self, external_id: str, *, json_suffix: bool) -> Response:
        for topic in self.topics:
            if topic["external_id"] == external_id:
                location = f"/t/{topic['slug']}/{topic['id']}" + (".json" if json_suffix else "")
                body = f'<html><body>You are being <a href="{location}">redirected</a>.</body></html>'
                return Response(
                    301,
                    body.encode(),
                    content_type="text/html; charset=utf-8",
                    headers={"Location": location},
                )
        return json_response(404, _NOT_FOUND)

    # -- helpers (called with the lock held) -------------------------------------------------------

    def _now(self) -> str:
        moment = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def _topic(self, topic_id: int) -> dict[str, Any] | None:
        return next((t for t in self.topics if t["id"] == topic_id), None)

    def _post(self, post_id: int) -> dict[str, Any] | None:
        return next((p for p in self.posts if p["id"] == post_id), None)

    def _topic_json(self, topic: dict[str, Any]) -> dict[str, Any]:
        posts = sorted(
            (p for p in self.posts if p["topic_id"] == topic["id"]), key=lambda p: p["post_number"]
        )
        return {
            **copy.deepcopy(topic),
            "post_stream": {"posts": copy.deepcopy(posts), "stream": [p["id"] for p in posts]},
        }
