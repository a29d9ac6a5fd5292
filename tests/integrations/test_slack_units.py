"""The Slack interactivity module's checks, unit by unit (the mutation run's tests for it; the
HTTP-level attacks are in test_slack_interactivity.py and reliability/test_outside_attacks.py)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from integrations.slack.interactivity import REPLAY_WINDOW_SECONDS, _response_url_ok, signature_ok

SIGNING = "test-signing-value"
BODY = b"payload=%7B%22type%22%3A%22block_actions%22%7D"
NOW = 1_800_000_000


def sign(timestamp: str, body: bytes = BODY, secret: str = SIGNING) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def test_a_fresh_correct_signature_is_accepted():
    stamp = str(NOW)
    assert signature_ok(SIGNING, stamp, BODY, sign(stamp), NOW)


@pytest.mark.parametrize("age", [-REPLAY_WINDOW_SECONDS, REPLAY_WINDOW_SECONDS, 0, 1])
def test_the_window_is_five_minutes_either_way(age):
    stamp = str(NOW - age)
    assert signature_ok(SIGNING, stamp, BODY, sign(stamp), NOW)


@pytest.mark.parametrize("age", [-REPLAY_WINDOW_SECONDS - 1, REPLAY_WINDOW_SECONDS + 1, NOW])
def test_outside_the_window_is_refused(age):
    stamp = str(NOW - age)
    assert not signature_ok(SIGNING, stamp, BODY, sign(stamp), NOW)


@pytest.mark.parametrize(
    "stamp", ["", "9" * 5000, "\u00b2", "\u0661\u0662", "1" * 13, "-1", " 1", "1.5", "1e3", "\uff10"]
)
def test_a_timestamp_that_is_not_a_few_ascii_digits_is_refused(stamp):
    assert not signature_ok(SIGNING, stamp, BODY, sign(stamp), NOW)


def test_the_signature_covers_the_secret_the_timestamp_and_the_body():
    stamp = str(NOW)
    assert not signature_ok(SIGNING, stamp, BODY + b"x", sign(stamp), NOW)
    assert not signature_ok(SIGNING, stamp, BODY, sign(str(NOW - 1)), NOW)
    assert not signature_ok(SIGNING, stamp, BODY, sign(stamp, secret="other"), NOW)
    assert not signature_ok(SIGNING, stamp, BODY, sign(stamp)[3:], NOW)  # without "v0="
    assert not signature_ok("", stamp, BODY, sign(stamp, secret=""), NOW)  # not configured


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.slack.com/actions/T0/1/x", True),
        ("http://hooks.slack.com/actions/T0/1/x", False),
        ("https://hooks.slack.com.evil.example/x", False),
        ("https://evil.example/hooks.slack.com", False),
        ("https://user@hooks.slack.com@evil.example/x", False),
        ("", False),
    ],
)
def test_answers_go_to_slacks_own_hooks_only(url, ok, settings):
    settings.SLACK_API_URL = "https://slack.com/api"
    assert _response_url_ok(url) is ok


def test_the_fake_slack_host_is_allowed_only_when_it_is_local(settings):
    settings.SLACK_API_URL = "http://127.0.0.1:9999/api"
    assert _response_url_ok("http://127.0.0.1:9999/actions/x")
    assert not _response_url_ok("http://127.0.0.1:9998/actions/x")
    settings.SLACK_API_URL = "http://localhost:9999/api"
    assert _response_url_ok("http://localhost:9999/actions/x")
    settings.SLACK_API_URL = "http://slack.internal:9999/api"
    assert not _response_url_ok("http://slack.internal:9999/actions/x")
