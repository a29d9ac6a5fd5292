"""A fake Slack Web API (``chat.postMessage``, ``auth.test``, ``users.lookupByEmail``, ``users.info``)
served over real HTTP on 127.0.0.1, for tests.

It reproduces the contracts in ``shared/reference/external-apis.md`` §3 and ``asmbly.md`` §3:

- ``POST /api/chat.postMessage`` with ``Authorization: Bearer <bot token>`` (or a ``token`` form field),
  a JSON (``application/json; charset=utf-8``) or form-encoded body.
- Logical errors are HTTP 200 with ``{"ok": false, "error": ...}``: ``not_authed``, ``invalid_auth``,
  ``channel_not_found``, ``is_archived``, ``not_in_channel``, ``no_text``, ``msg_too_long``,
  ``invalid_blocks``, ``invalid_json``; JSON without ``charset`` succeeds with a ``missing_charset``
  warning, as Slack does.
- Success: ``{"ok": true, "channel", "ts", "message": {...}}`` with ``ts`` a unique, increasing string.
- Rate limiting (``rate_limit_next``): HTTP 429, ``Retry-After: <seconds>``, ``{"ok": false,
  "error": "ratelimited"}``.

- ``users.lookupByEmail`` (``email``; GET query or form body): ``{"ok": true, "user": {"id", "name",
  "real_name", "deleted", "profile": {"email", ...}}}``; unknown or deactivated e-mail:
  ``users_not_found``. ``users.info`` (``user``): the same user object, or ``user_not_found``.
- ``chat.postMessage`` with a user id (``U...``) as ``channel`` is a direct message from the bot:
  it lands in that user's DM channel (``D`` + the id's rest), which the answer names.

- Interactivity (Slack -> the app): ``block_actions_body`` builds the documented request a button
  click sends (form-encoded ``payload=<JSON>``: ``type``, ``user{id, username, team_id}``,
  ``api_app_id``, ``team``, ``container``, ``trigger_id``, ``response_url``, ``actions[{action_id,
  block_id, value, type, action_ts}]``) and ``signed_headers`` its ``X-Slack-Signature`` (v0 HMAC
  of ``v0:{timestamp}:{body}``) and ``X-Slack-Request-Timestamp``. ``response_url`` points at this
  fake (``POST /actions/{id}``); what the app posts there is in ``responses``.

Channels are given by id or by name (with or without ``#``). The default channels are Asmbly's area
channels plus ``stewards`` and ``facilities`` (``C063LH7MB45``, where problem reports go).

Test hooks beyond Slack: ``messages`` (successful posts), ``archived`` and ``not_in`` (channel ids or
names), ``clock`` (seconds; drives ``ts``), ``requests``, ``fail_next`` and ``delay_next``.

Usage::

    with FakeSlack() as slack:
        httpx.post(f"{slack.api_url}/chat.postMessage", json={"channel": "#woodshop", "text": "hi"},
                   headers={"Authorization": f"Bearer {slack.token}"})
        assert slack.messages[0]["channel"] == "C0WOOD001"
"""

from __future__ import annotations

import copy
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, Final

from tests.fakes._server import FakeServer, RecordedRequest, Response, json_response

MAX_TEXT_LENGTH: Final = 40_000
MAX_BLOCKS: Final = 50
BOT_ID: Final = "B0FAKE"

DEFAULT_CHANNELS: Final[dict[str, str]] = {
    "woodshop": "C0WOOD001",
    "metal-shop": "C0METL001",
    "electronics": "C0ELEC001",
    "lasers": "C0LASR001",
    "3d-printing": "C03DPR001",
    "textiles": "C0TEXT001",
    "ceramics": "C0CERA001",
    "stewards": "C0STEW001",
    "facilities": "C063LH7MB45",
}
_MESSAGE_FIELDS: Final = ("username", "icon_emoji", "icon_url", "thread_ts")


def _ok(payload: dict[str, Any]) -> Response:
    return json_response(200, {"ok": True, **payload})


def _error(error: str) -> Response:
    return json_response(200, {"ok": False, "error": error})


def _dm_channel(user_id: str) -> str:
    return "D" + user_id[1:]


class FakeSlack(FakeServer):
    """Slack's Web API for a bot token, in memory, behind a real HTTP server."""

    thread_name = "fake-slack"

    def __init__(
        self,
        *,
        token: str = "fake-slack-bot-token",  # noqa: S107 - a test credential
        channels: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.channels: dict[str, str] = dict(DEFAULT_CHANNELS if channels is None else channels)
        self.messages: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}  # user id -> user object (add_user)
        self.responses: list[dict[str, Any]] = []  # bodies posted to response_url
        self.signing_secret = "fake-slack-signing-secret"
        self._interactions = 0
        self.archived: set[str] = set()
        self.not_in: set[str] = set()
        self.clock: Callable[[], float] = time.time
        self._rate_limits: list[list[Any]] = []  # [method, retry_after, remaining]
        self._last_ts = 0

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    def rate_limit_next(self, retry_after: int, times: int = 1, *, method: str = "chat.postMessage") -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._rate_limits.append([method, int(retry_after), times])

    def add_user(self, user_id: str, email: str, *, name: str = "", deleted: bool = False) -> None:
        """A workspace member (``users.lookupByEmail`` finds them by e-mail, case-insensitively)."""
        with self._lock:
            self.users[user_id] = {
                "id": user_id,
                "team_id": "T0ASMBLY1",
                "name": name or email.split("@")[0],
                "real_name": name,
                "deleted": deleted,
                "is_bot": False,
                "profile": {"email": email, "real_name": name, "display_name": name},
            }

    def block_actions_body(
        self, user_id: str, action_id: str, value: str, *, channel: str = "C0WOOD001"
    ) -> bytes:
        """The form-encoded body of a button click, as Slack sends it to the Request URL."""
        from urllib.parse import urlencode

        self._interactions += 1
        n = self._interactions
        ts = f"{int(self.clock())}.{n:06d}"
        payload = {
            "type": "block_actions",
            "user": {
                "id": user_id,
                "username": user_id.lower(),
                "name": user_id.lower(),
                "team_id": "T0ASMBLY1",
            },
            "api_app_id": "A0VOLDASH",
            "token": "deprecated-verification-token",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
            "trigger_id": f"{n}.1234.abcdef",
            "team": {"id": "T0ASMBLY1", "domain": "asmbly-makerspace"},
            "channel": {"id": channel, "name": channel.lower()},
            "response_url": f"{self.base_url}/actions/T0ASMBLY1/{n}/hook",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": f"b{n}",
                    "text": {"type": "plain_text", "text": action_id, "emoji": True},
                    "value": value,
                    "type": "button",
                    "action_ts": ts,
                }
            ],
        }
        return urlencode({"payload": json.dumps(payload)}).encode()

    def signed_headers(
        self, body: bytes, *, timestamp: int | None = None, secret: str | None = None
    ) -> dict[str, str]:
        import hashlib

        stamp = str(int(self.clock()) if timestamp is None else timestamp)
        key = (self.signing_secret if secret is None else secret).encode()
        digest = hmac.new(key, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}

    def direct_messages(self, user_id: str) -> list[dict[str, Any]]:
        """Messages the bot sent to this user directly."""
        return self.channel_messages(_dm_channel(user_id))

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages posted to a channel (by id or name)."""
        channel_id = self._channel_id(channel)
        with self._lock:
            return [copy.deepcopy(m) for m in self.messages if m["channel"] == channel_id]

    # -- request handling --------------------------------------------------------------------------

    def _error_body(self, status: int) -> object:
        return {"ok": False, "error": "ratelimited" if status == 429 else "fatal_error"}

    def _route(self, request: RecordedRequest) -> Response:
        if request.path.startswith("/actions/") and request.method == "POST":
            try:
                self.responses.append(json.loads(request.body or b"{}"))
            except ValueError:
                return Response(400, b"invalid_payload", "text/plain")
            return Response(200, b"ok", "text/plain")
        if not request.path.startswith("/api/"):
            return json_response(404, {"ok": False, "error": "unknown_method"})
        method = request.path.removeprefix("/api/")
        if method not in ("chat.postMessage", "auth.test", "users.lookupByEmail", "users.info"):
            return _error("unknown_method")
        limited = self._take_rate_limit(method)
        if limited is not None:
            return json_response(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(limited)})
        reading = method.startswith("users.")
        if request.method != "POST" and not (reading and request.method == "GET"):
            return _error("invalid_request")
        args, warning = self._arguments(request)
        if args is not None and request.method == "GET":
            args = {name: values[-1] for name, values in request.query.items()}
        if args is None:
            return _error(warning or "invalid_arguments")
        token = self._token(request, args)
        if token is None:
            return _error("not_authed")
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            return _error("invalid_auth")
        if method == "auth.test":
            response = _ok(
                {
                    "url": "https://asmbly-makerspace.slack.com/",
                    "team": "Asmbly",
                    "user": "maintenance-bot",
                    "team_id": "T0ASMBLY1",
                    "user_id": "U0MAINT01",
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                }
            )
        elif method == "users.lookupByEmail":
            response = self._lookup_by_email(args)
        elif method == "users.info":
            response = self._user_info(args)
        else:
            response = self._post_message(args)
        if warning is not None and json.loads(response.body).get("ok"):
            body = json.loads(response.body)
            body["warning"] = warning
            body["response_metadata"] = {"warnings": [warning]}
            response = _ok(body)
        return response

    def _take_rate_limit(self, method: str) -> int | None:
        for entry in self._rate_limits:
            if entry[0] == method:
                entry[2] -= 1
                if entry[2] == 0:
                    self._rate_limits.remove(entry)
                return int(entry[1])
        return None

    def _arguments(self, request: RecordedRequest) -> tuple[dict[str, Any] | None, str | None]:
        """(arguments, warning) or (None, error)."""
        content_type = request.content_type
        if content_type == "application/json":
            try:
                args = json.loads(request.body or b"{}")
            except ValueError:
                return None, "invalid_json"
            if not isinstance(args, dict):
                return None, "invalid_json"
            charset = "charset=" in request.headers.get("content-type", "").lower()
            return args, None if charset else "missing_charset"
        form = {name: values[-1] for name, values in request.form().items()} if request.body else {}
        return form, None

    def _token(self, request: RecordedRequest, args: dict[str, Any]) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if header:
            return credentials.strip() if scheme.lower() == "bearer" else ""
        if request.content_type != "application/json" and isinstance(args.get("token"), str):
            return str(args["token"])
        return None

    def _lookup_by_email(self, args: dict[str, Any]) -> Response:
        email = args.get("email")
        if not isinstance(email, str) or not email.strip():
            return _error("invalid_arguments")
        with self._lock:
            found = next(
                (
                    u
                    for u in self.users.values()
                    if u["profile"]["email"].lower() == email.strip().lower() and not u["deleted"]
                ),
                None,
            )
        return _ok({"user": copy.deepcopy(found)}) if found else _error("users_not_found")

    def _user_info(self, args: dict[str, Any]) -> Response:
        user = self.users.get(str(args.get("user") or ""))
        return _ok({"user": copy.deepcopy(user)}) if user else _error("user_not_found")

    def _channel_id(self, channel: str) -> str | None:
        name = channel.strip().removeprefix("#")
        if name in self.users and not self.users[name]["deleted"]:
            return _dm_channel(name)
        if name.startswith("D") and "U" + name[1:] in self.users:
            return name
        if name in self.channels.values():
            return name
        return self.channels.get(name)

    def _in(self, channel_id: str, names: set[str]) -> bool:
        aliases = {channel_id, *(n for n, cid in self.channels.items() if cid == channel_id)}
        return any(entry.strip().removeprefix("#") in aliases for entry in names)

    def _post_message(self, args: dict[str, Any]) -> Response:
        channel = args.get("channel")
        channel_id = self._channel_id(channel) if isinstance(channel, str) and channel.strip() else None
        if channel_id is None:
            return _error("channel_not_found")
        if self._in(channel_id, self.archived):
            return _error("is_archived")
        if self._in(channel_id, self.not_in):
            return _error("not_in_channel")
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks) if blocks.strip() else None
            except ValueError:
                return _error("invalid_blocks")
        if blocks is not None and (
            not isinstance(blocks, list)
            or len(blocks) > MAX_BLOCKS
            or not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks)
        ):
            return _error("invalid_blocks")
        text = args.get("text")
        text = text if isinstance(text, str) else "" if text is None else str(text)
        if not text.strip() and not blocks and not args.get("attachments"):
            return _error("no_text")
        if len(text) > MAX_TEXT_LENGTH:
            return _error("msg_too_long")
        ts = self._next_ts()
        message: dict[str, Any] = {"channel": channel_id, "text": text, "blocks": blocks, "ts": ts}
        for name in _MESSAGE_FIELDS:
            value = args.get(name)
            message[name] = str(value) if value is not None else None
        self.messages.append(message)
        reply: dict[str, Any] = {
            "text": text,
            "type": "message",
            "subtype": "bot_message",
            "ts": ts,
            "bot_id": BOT_ID,
        }
        if message["username"] is not None:
            reply["username"] = message["username"]
        if blocks:
            reply["blocks"] = copy.deepcopy(blocks)
        if message["thread_ts"] is not None:
            reply["thread_ts"] = message["thread_ts"]
        return _ok({"channel": channel_id, "ts": ts, "message": reply})

    def _next_ts(self) -> str:
        micros = max(round(self.clock() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
