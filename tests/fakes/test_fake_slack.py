"""The fake Slack keeps Slack's Web API contracts (reference: external-apis.md §3, asmbly.md §3)."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.slack import FakeSlack

# One TLS context for every client: httpx builds a new one per client otherwise (~30 ms each).
TLS = ssl.create_default_context()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def api(slack: FakeSlack) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {slack.token}"}
    with httpx.Client(base_url=slack.api_url, headers=headers, verify=TLS) as client:
        yield client


def post(api: httpx.Client, **args: Any) -> dict[str, Any]:
    response = api.post(
        "/chat.postMessage",
        content=json.dumps(args).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_message_is_posted_by_channel_id(slack: FakeSlack, api: httpx.Client) -> None:
    body = post(api, channel="C063LH7MB45", text="New problem report", username="Problem Reporter Bot")
    assert body["ok"] is True and body["channel"] == "C063LH7MB45"
    assert body["message"] == {
        "text": "New problem report",
        "type": "message",
        "subtype": "bot_message",
        "ts": body["ts"],
        "bot_id": "B0FAKE",
        "username": "Problem Reporter Bot",
    }
    assert "warning" not in body
    (message,) = slack.messages
    assert message["channel"] == "C063LH7MB45" and message["ts"] == body["ts"]
    assert message["username"] == "Problem Reporter Bot" and message["blocks"] is None


@pytest.mark.parametrize("channel", ["woodshop", "#woodshop", "C0WOOD001"])
def test_channels_resolve_by_name_or_id(slack: FakeSlack, api: httpx.Client, channel: str) -> None:
    assert post(api, channel=channel, text="PM reminder")["channel"] == "C0WOOD001"
    assert slack.channel_messages("woodshop")[0]["text"] == "PM reminder"


def test_ts_values_are_unique_increasing_strings(api: httpx.Client, slack: FakeSlack) -> None:
    slack.clock = lambda: 1_700_000_000.0001
    stamps = [post(api, channel="lasers", text=f"n{i}")["ts"] for i in range(3)]
    assert stamps == ["1700000000.000100", "1700000000.000101", "1700000000.000102"]


def test_threads_blocks_and_form_bodies(slack: FakeSlack, api: httpx.Client) -> None:
    parent = post(api, channel="stewards", text="Weekly PM", icon_emoji=":hammer_and_wrench:")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Blade cleaning*"}}]
    reply = post(api, channel="stewards", text="fallback", blocks=blocks, thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"] and reply["message"]["blocks"] == blocks
    form = api.post("/chat.postMessage", data={"channel": "ceramics", "blocks": json.dumps(blocks)}).json()
    assert form["ok"] is True
    assert [m["thread_ts"] for m in slack.messages] == [None, parent["ts"], None]
    assert slack.messages[0]["icon_emoji"] == ":hammer_and_wrench:"
    assert slack.messages[2]["blocks"] == blocks and slack.messages[2]["text"] == ""


def test_form_bodies_may_carry_the_token(slack: FakeSlack) -> None:
    form = {"token": slack.token, "channel": "lasers", "text": "hi"}
    response = httpx.post(f"{slack.api_url}/chat.postMessage", data=form, verify=TLS)
    assert response.json()["ok"] is True


def test_json_without_charset_is_accepted_with_a_warning(api: httpx.Client) -> None:
    response = api.post("/chat.postMessage", json={"channel": "lasers", "text": "hi"})
    body = response.json()
    assert body["ok"] is True and body["warning"] == "missing_charset"


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "not_authed"),
        ({"Authorization": "Bearer wrong-slack-token"}, "invalid_auth"),
        ({"Authorization": "fake-slack-bot-token"}, "invalid_auth"),
    ],
)
def test_auth_errors_are_http_200_ok_false(slack: FakeSlack, headers: dict[str, str], error: str) -> None:
    response = httpx.post(
        f"{slack.api_url}/chat.postMessage",
        json={"channel": "lasers", "text": "x"},
        headers=headers,
        verify=TLS,
    )
    assert (response.status_code, response.json()) == (200, {"ok": False, "error": error})
    assert slack.messages == []


def test_logical_errors_are_http_200_ok_false(slack: FakeSlack, api: httpx.Client) -> None:
    slack.archived.add("textiles")
    slack.not_in.add("C0METL001")
    cases = {
        "channel_not_found": {"channel": "#nowhere", "text": "x"},
        "is_archived": {"channel": "C0TEXT001", "text": "x"},
        "not_in_channel": {"channel": "#metal-shop", "text": "x"},
        "no_text": {"channel": "lasers", "text": ""},
        "msg_too_long": {"channel": "lasers", "text": "x" * 40_001},
        "invalid_blocks": {"channel": "lasers", "text": "x", "blocks": [{"no": "type"}]},
    }
    for error, args in cases.items():
        assert post(api, **args) == {"ok": False, "error": error}
    assert post(api, channel="lasers", text="x" * 40_000)["ok"] is True
    assert len(slack.messages) == 1
    missing = api.post("/chat.postMessage", content=b"{", headers={"Content-Type": "application/json"})
    assert missing.json() == {"ok": False, "error": "invalid_json"}


def test_rate_limit_next_is_429_with_retry_after(slack: FakeSlack, api: httpx.Client) -> None:
    slack.rate_limit_next(7, times=2)
    assert api.post("/auth.test").json()["ok"] is True  # only chat.postMessage is limited
    for _ in range(2):
        response = api.post("/chat.postMessage", json={"channel": "lasers", "text": "a"})
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.json() == {"ok": False, "error": "ratelimited"}
    assert post(api, channel="lasers", text="a")["ok"] is True
    assert len(slack.messages) == 1


def test_auth_test_names_the_bot(slack: FakeSlack, api: httpx.Client) -> None:
    body = api.post("/auth.test").json()
    assert (body["ok"], body["team"], body["user"]) == (True, "Asmbly", "maintenance-bot")
    assert httpx.post(f"{slack.api_url}/auth.test", verify=TLS).json() == {"ok": False, "error": "not_authed"}


def test_fail_next_and_recording(slack: FakeSlack, api: httpx.Client) -> None:
    slack.fail_next("/api/chat.postMessage", 503, headers={"Retry-After": "2"})
    failed = api.post("/chat.postMessage", json={"channel": "lasers", "text": "a"})
    assert (failed.status_code, failed.headers["Retry-After"]) == (503, "2")
    assert failed.json() == {"ok": False, "error": "fatal_error"}
    assert post(api, channel="lasers", text="a")["ok"] is True
    assert [r.path for r in slack.requests] == ["/api/chat.postMessage"] * 2
    assert slack.requests[1].json() == {"channel": "lasers", "text": "a"}
    assert slack.requests[1].headers["authorization"] == "Bearer fake-slack-bot-token"


def test_custom_channels_replace_the_defaults() -> None:
    with FakeSlack(token="other-slack-token", channels={"general": "C0GEN0001"}) as fake:
        headers = {"Authorization": "Bearer other-slack-token"}
        url = f"{fake.api_url}/chat.postMessage"
        ok = httpx.post(url, json={"channel": "general", "text": "x"}, headers=headers, verify=TLS).json()
        gone = httpx.post(url, json={"channel": "woodshop", "text": "x"}, headers=headers, verify=TLS).json()
    assert ok["channel"] == "C0GEN0001" and gone == {"ok": False, "error": "channel_not_found"}


def test_users_are_found_by_email_and_get_direct_messages(slack: FakeSlack, api: httpx.Client) -> None:
    slack.add_user("U0ALEX01", "Alex@Example.org", name="Alex Rivera")
    slack.add_user("U0GONE01", "gone@example.org", deleted=True)
    found = api.get("/users.lookupByEmail", params={"email": "alex@example.org"}).json()
    assert found["ok"] and found["user"]["id"] == "U0ALEX01"
    assert found["user"]["profile"]["email"] == "Alex@Example.org"
    for email in ("nobody@example.org", "gone@example.org"):
        assert api.get("/users.lookupByEmail", params={"email": email}).json() == {
            "ok": False,
            "error": "users_not_found",
        }
    assert api.get("/users.info", params={"user": "U0ALEX01"}).json()["user"]["name"] == "Alex Rivera"
    assert api.get("/users.info", params={"user": "U0NOPE01"}).json()["error"] == "user_not_found"
    sent = post(api, channel="U0ALEX01", text="hello")
    assert sent["ok"] and sent["channel"] == "D0ALEX01"
    assert [m["text"] for m in slack.direct_messages("U0ALEX01")] == ["hello"]
    assert post(api, channel="U0GONE01", text="hi")["error"] == "channel_not_found"
