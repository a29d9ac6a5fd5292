"""No secret is committed, and logs carry no tokens, cookies or personal contact details."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client

from tests.fakes.neon import FakeNeon
from tests.integrations.helpers import CONTACT, add_problem, deliver, post_webhook, process
from voldash_site.container import set_container

ROOT = Path(__file__).resolve().parents[2]

# Shapes of real credentials (test fixtures use obviously fake ones that do not match).
SECRET_PATTERNS = {
    "AWS access key": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret key": re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "Slack token": re.compile(r"\bxox[abposr]-\d{6,}-[0-9A-Za-z-]{10,}"),
    "ClickUp token": re.compile(r"\bpk_\d{5,}_[A-Z0-9]{20,}\b"),
    "Discourse/API key assignment": re.compile(
        r"(API_KEY|SECRET|PASSWORD|TOKEN)\s*=\s*['\"][A-Za-z0-9_\-]{24,}['\"]"
    ),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
}


def scan(text: str) -> list[str]:
    return [name for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)]


def test_no_secret_is_committed():
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert len(files) > 50
    found = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [f"{name}: {kind}" for kind in scan(text)]
    assert found == []


# Built from pieces, so that this file itself does not hold anything the scan would flag.
PLANTED = [
    "AKIA" + "IOSFODNN7EXAMPL3",
    "aws_secret_access_key" + " = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYab",
    "-----BEGIN RSA " + "PRIVATE KEY-----",
    "xox" + "b-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "pk_" + "81234567_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
    "DISCOURSE_API_KEY" + ' = "' + "0123456789abcdef0123456789abcdef" + '"',
]


@pytest.mark.parametrize("planted", PLANTED)
def test_the_scanner_recognises_real_looking_secrets(planted):
    assert scan(f"x = 1\n{planted}\n")


@pytest.fixture
def captured_logs():
    """Everything logged, rendered by the app's own JSON formatter."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    spec = dict(settings.LOGGING["formatters"]["json"])
    formatter = import_string(spec.pop("()"))(**spec)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    for f in settings.LOGGING.get("filters", {}).values():
        handler.addFilter(import_string(f["()"])())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_logs_carry_no_tokens_cookies_or_contact_details(cast, clickup, slack, settings, captured_logs):
    with FakeNeon() as neon:
        settings.NEON_API_URL, settings.NEON_OAUTH_AUTHORIZE_URL = neon.api_url, neon.authorize_url
        settings.NEON_OAUTH_TOKEN_URL = neon.token_url
        settings.NEON_ORG_ID, settings.NEON_API_KEY = "asmbly", "neon-test-key"
        settings.NEON_OAUTH_CLIENT_ID, settings.NEON_OAUTH_CLIENT_SECRET = "voldash-client", "voldash-secret"
        settings.NEON_WEBHOOK_USERNAME, settings.NEON_WEBHOOK_PASSWORD = "neon-hook", "hook-password-123"
        set_container(None)
        neon.add_account(
            "2042",
            first_name="Ada",
            last_name="Lovelace",
            email="ada.private@example.org",
            individual_types=["Volunteer"],
            custom_fields={"84": "2026-01-01"},
            memberships=[
                FakeNeon.membership(
                    start=__import__("datetime").date(2026, 1, 1), end=__import__("datetime").date(2030, 1, 1)
                )
            ],
        )
        browser = Client()
        start = browser.get("/auth/neon/login")
        neon.next_login = "2042"
        back = httpx.get(start["Location"], follow_redirects=False)
        callback = urlsplit(back.headers["Location"])
        code = parse_qs(callback.query)["code"][0]
        browser.get(callback.path, parse_qs(callback.query))
        session_cookie = browser.cookies["voldash_session"].value
        add_problem(clickup, "86logs001", custom_fields={CONTACT: "Jamie, 512-555-0199"})
        body = clickup.webhook_body("taskCreated", "86logs001")
        post_webhook(clickup, "", "", body=body)
        bad = post_webhook(clickup, "", "", body=body, signature="f" * 64)
        assert bad.status_code == 401
        Client().post(
            "/webhooks/clickup?secret=automation-wrong-secret", b"{}", content_type="application/json"
        )
        Client().post(
            "/webhooks/neon",
            b"{}",
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic bmVvbi1ob29rOndyb25nLXBhc3N3b3Jk",
        )
        process()
        token = browser.get("/api/v1/csrf").json()["csrf_token"]
        assert browser.post("/api/v1/tasks/86logs001/claim", HTTP_X_CSRFTOKEN=token).status_code == 200
        slack.fail_next("/api/chat.postMessage", 500)
        deliver()
        browser.get("/api/v1/me/hours", {"format": "csv"})
        browser.get("/api/v1/tasks", {"cursor": "garbage"})

    logged = captured_logs.getvalue()
    assert "http.request" in logged and "webhook.clickup.rejected" in logged  # we did capture the run
    for line in logged.splitlines():
        json.loads(line)  # JSON lines, every one
    forbidden = {
        "session cookie": session_cookie,
        "CSRF token": token,
        "OAuth code": code,
        "OAuth client secret": "voldash-secret",
        "Neon API key": "neon-test-key",
        "Neon webhook password": "hook-password-123",
        "Basic credentials": "bmVvbi1ob29r",
        "ClickUp token": clickup.token,
        "ClickUp webhook secret": clickup.webhook_secret,
        "X-Signature": clickup.sign(body),
        "automation secret in the URL": "automation-wrong-secret",
        "Slack token": slack.token,
        "e-mail": "ada.private@example.org",
        "phone": "512-555-0199",
    }
    leaks = [
        f"{name}: {line[:300]}"
        for name, value in forbidden.items()
        for line in logged.splitlines()
        if value and value in line
    ]
    assert leaks == []
