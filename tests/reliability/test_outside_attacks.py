"""Issue 23, findings 5, 6, 7, 9, 10, 12 and 13, each attacked from where it came from: HTTP
requests, signed webhooks, Slack presses. DynamoDB Local; ClickUp, Slack and Neon faked at their
HTTP boundary."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from integrations.outbox.domain import OutboxStatus
from tasks.domain import TaskStatus
from tests.fakes.neon import FakeNeon
from tests.integrations.helpers import add_problem, post_webhook, process
from tests.integrations.test_slack_interactivity import URL as SLACK_URL
from tests.integrations.test_slack_interactivity import buttons  # noqa: F401 - a fixture
from tests.reliability.test_secrets import captured_logs  # noqa: F401 - a fixture
from tests.tasks.test_problem_reports import GOOD, feed_ids, post, report_of
from tests.tasks.test_task_detail import as_, detail
from voldash_site.container import get_container, set_container

ALEX, SAM, CASEY = "1001", "1003", "1006"  # Casey Brooks: a lapsed member
T = "86outside1"
DEEP = b"[" * 50000


@pytest.fixture
def neon(cast, settings):
    with FakeNeon() as fake:
        settings.NEON_API_URL = fake.api_url
        settings.NEON_ORG_ID, settings.NEON_API_KEY = "asmbly", "neon-test-key"
        settings.NEON_WEBHOOK_USERNAME, settings.NEON_WEBHOOK_PASSWORD = "neon-hook", "hook-password-123"
        set_container(None)
        today = datetime.now(UTC).date()
        fake.add_account(
            "2042",
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            individual_types=["Volunteer"],
            memberships=[
                FakeNeon.membership(start=today - timedelta(days=30), end=today + timedelta(days=300))
            ],
        )
        yield fake
        set_container(None)


def ask_link(client: Client, email: str):
    return client.post("/auth/magic-link", {"email": email}, content_type="application/json")


# -- finding 5: anything anyone can send is a 4xx, never a 500 -------------------------------


def test_deeply_nested_json_to_the_clickup_webhook_is_a_4xx(cast, clickup):
    unsigned = Client().post("/webhooks/clickup", DEEP, content_type="application/json")
    assert unsigned.status_code == 401
    signed = post_webhook(clickup, "", "", body=DEEP)
    assert signed.status_code == 400 and signed.json()["code"] == "invalid_json"
    nested_object = b'{"webhook_id": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}"
    assert post_webhook(clickup, "", "", body=nested_object).status_code == 400


def test_deeply_nested_json_elsewhere_is_a_4xx(neon):
    assert Client().post("/auth/magic-link", DEEP, content_type="application/json").status_code == 400
    nested = b'{"email": ' + b"[" * 50000 + b"}"
    assert Client().post("/auth/magic-link", nested, content_type="application/json").status_code == 400
    report = Client().post("/api/v1/problem-reports", DEEP, content_type="application/json")
    assert report.status_code == 400 and report.json()["code"] == "invalid_body"
    huge = b'{"summary": "x", "forum": ' + b"9" * 5000 + b"}"
    assert Client().post("/api/v1/problem-reports", huge, content_type="application/json").status_code == 400
    auth = "Basic " + base64.b64encode(b"neon-hook:hook-password-123").decode()
    hook = Client().post("/webhooks/neon", DEEP, content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert hook.status_code == 400
    assert mail.outbox == []


@pytest.mark.parametrize("stamp", ["9" * 5000, "\u00b2\u00b3", "1" * 13, "-1", " 1"])
def test_an_absurd_slack_timestamp_is_a_401(buttons, stamp):  # noqa: F811
    body = buttons.block_actions_body("U0ALEX01", "voldash.claim", "86open01")
    signed = buttons.signed_headers(body, timestamp=0)
    response = Client().post(
        SLACK_URL,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=stamp,
        HTTP_X_SLACK_SIGNATURE=signed["X-Slack-Signature"],
    )
    assert response.status_code == 401
    assert get_container().tasks.get("86open01").status is TaskStatus.OPEN


# -- finding 6: tokens never reach a log line ----------------------------------------------------


def test_magic_link_and_calendar_tokens_are_not_logged(neon, captured_logs):  # noqa: F811
    assert ask_link(Client(), "ada@example.org").status_code == 202
    path = urlsplit(mail.outbox[0].body.split("http://testserver", 1)[1].split()[0]).path
    token = path.rsplit("/", 1)[1]
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(path).status_code == 200  # the page with the button: spends nothing
    assert browser.post(path).status_code == 403  # no CSRF token: Django's CSRF warning
    assert Client().get(path + "/").status_code == 404  # Django's "Not Found: <path>" warning
    done = Client().post(path)  # the GET and the refusals left the link unspent
    assert done.status_code == 302 and "login_error" not in done["Location"]

    alex = as_(ALEX)
    feed = alex.post("/api/v1/me/calendar").json()["url"]
    feed_path = urlsplit(feed).path
    calendar_token = feed_path.rsplit("/", 1)[1].removesuffix(".ics")
    assert Client().get(feed_path).status_code == 200
    wrong = feed_path.replace(calendar_token, calendar_token[::-1])
    assert Client().get(wrong).status_code == 404

    logged = captured_logs.getvalue()
    assert "/auth/magic-link/{token}" in logged and "/calendar/{feed}" in logged  # we did log them
    assert "Forbidden (CSRF" in logged  # Django's own warning was captured too
    for secret in (token, calendar_token, calendar_token[::-1]):
        assert secret not in logged


# -- finding 7: a cross-site simple request cannot file a report ---------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps(GOOD), "text/plain"),
        (json.dumps(GOOD), "text/plain;charset=UTF-8"),
        ("&".join(f"{k}={v}" for k, v in GOOD.items()), "application/x-www-form-urlencoded"),
        (
            "--b\r\nContent-Disposition: form-data; name=summary\r\n\r\nx\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
        ),
    ],
)
def test_a_report_must_be_sent_as_json(cast, body, content_type):
    response = Client().post("/api/v1/problem-reports", body, content_type=content_type)
    assert response.status_code == 415, response.content
    assert response.json()["code"] == "unsupported_media_type"
    assert feed_ids(Client()) == []
    assert get_container().outbox.list_by_status(OutboxStatus.PENDING) == []


def test_json_with_a_charset_is_still_json(cast):
    report_of(
        Client().post(
            "/api/v1/problem-reports", json.dumps(GOOD), content_type="application/json; charset=utf-8"
        )
    )


# -- finding 9: comments need an active membership and have a limit ------------------------------


@pytest.fixture
def task_t(cast, clickup):
    add_problem(clickup, T)
    assert post_webhook(clickup, "taskCreated", T).status_code == 200
    process()


def comment(who: Client, text: str = "Blade ordered"):
    return who.post(f"/api/v1/tasks/{T}/comments", {"text": text})


def users(task_id: str = T) -> list[dict]:
    return [a for a in detail(task_id)["activity"] if a["variant"] == "user"]


def test_a_lapsed_member_cannot_comment(task_t):
    refused = comment(as_(CASEY))
    assert refused.status_code == 403 and refused.json()["code"] == "membership_inactive"
    assert users() == [] and get_container().outbox.list_by_status(OutboxStatus.PENDING) == []


def test_a_membership_that_lapses_mid_session_stops_comments(task_t):
    sam = as_(SAM)
    assert comment(sam).status_code == 201
    volunteers = get_container().volunteers
    volunteers.save(replace(volunteers.get(SAM), membership_active=False))  # Neon says: lapsed
    refused = comment(sam, "again")
    assert refused.status_code == 403 and refused.json()["code"] == "membership_inactive"
    assert [u["text"] for u in users()] == ["Blade ordered"]


def test_comments_are_limited_per_member(task_t):
    from tasks.discussion import COMMENT_LIMIT

    sam = as_(SAM)
    for i in range(COMMENT_LIMIT):
        assert comment(sam, f"note {i}").status_code == 201
    limited = comment(sam, "one too many")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert 0 < int(limited["Retry-After"]) <= 3600
    assert comment(as_(ALEX), "someone else may").status_code == 201
    queued = [
        m for m in get_container().outbox.list_by_status(OutboxStatus.PENDING) if m.action == "task.comment"
    ]
    assert len(queued) == COMMENT_LIMIT + 1


# -- finding 10: a signed Slack press acts once ------------------------------------------------


def press(slack, user: str, action: str, task_id: str) -> tuple[bytes, dict[str, str]]:
    body = slack.block_actions_body(user, action, task_id)
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in slack.signed_headers(body).items()}
    return body, headers


def send(body: bytes, headers: dict[str, str]) -> int:
    return (
        Client()
        .post(SLACK_URL, body, content_type="application/x-www-form-urlencoded", **headers)
        .status_code
    )


def test_a_captured_claim_cannot_be_replayed_after_a_release(buttons):  # noqa: F811
    claim = press(buttons, "U0ALEX01", "voldash.claim", "86open01")
    assert send(*claim) == 200
    assert get_container().tasks.get("86open01").assignee.neon_id == ALEX
    assert send(*press(buttons, "U0ALEX01", "voldash.release", "86open01")) == 200
    assert get_container().tasks.get("86open01").status is TaskStatus.OPEN
    answers = len(buttons.responses)
    assert send(*claim) == 200  # Slack expects a 200; the replay does nothing
    task = get_container().tasks.get("86open01")
    assert task.status is TaskStatus.OPEN and task.assignee is None
    assert len(buttons.responses) == answers  # and tells nobody anything


# -- finding 12: Retry-After on a refused report; keyed rate-limit hashes; client first ----------


def test_a_refused_report_says_when_to_retry(cast, settings):
    settings.REPORT_LIMIT_PER_ADDRESS = 1
    set_container(None)
    report_of(post(Client(), GOOD))
    refused = post(Client(), GOOD)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 2 * settings.REPORT_RATE_WINDOW_SECONDS
    assert int(refused["Retry-After"]) == refused.json()["detail"]["retry_after_seconds"]


def _rate_items(scope: str, key: str) -> list[dict]:
    from voldash_site.dynamodb.connection import config_from_settings

    config = config_from_settings()
    found = config.boto3_client().query(
        TableName=config.table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"RATE#{scope}#{key}"}},
    )
    return found["Items"]


def test_rate_limit_keys_cannot_be_reversed_by_hashing_guesses(neon):
    assert ask_link(Client(), "ada@example.org").status_code == 202
    for scope, value in (("magic-link-client", "127.0.0.1"), ("magic-link-address", "ada@example.org")):
        unkeyed = hashlib.sha256(value.encode()).hexdigest()[:32]
        assert _rate_items(scope, unkeyed) == []  # what anyone could compute for every IPv4 address
    from django.conf import settings

    from volunteers.magic_link import private_key

    assert _rate_items(
        "magic-link-client", private_key(settings.SECRET_KEY, "magic-link-client", "127.0.0.1")
    )


def test_a_client_over_its_limit_cannot_lock_someone_elses_address_out(neon):
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    assert [ask_link(attacker, f"someone{i}@example.org").status_code for i in range(10)] == [202] * 10
    assert [ask_link(attacker, "ada@example.org").status_code for _ in range(5)] == [429] * 5
    assert ask_link(Client(REMOTE_ADDR="203.0.113.9"), "ada@example.org").status_code == 202
    assert len(mail.outbox) == 1


def test_anyone_can_see_a_report_is_awaiting_clickup(cast):
    task_id = post(Client(), GOOD).json()["task_id"]
    item = next(t for t in Client().get("/api/v1/tasks").json()["items"] if t["id"] == task_id)
    assert item["awaiting_clickup"] is True and item["viewer"] is None
    tags = Client().get(f"/api/v1/tasks/{task_id}").json()["tags"]
    assert {"label": "Awaiting ClickUp", "type": "info"} in tags


# -- finding 13: ClickUp comment edits, and one comment id stored once ---------------------------


def _comment_event(clickup, event: str, *, text: str | None = None, date_ms: int | None = None) -> bytes:
    payload = json.loads(clickup.webhook_body("taskCommentPosted", T))
    payload["event"] = event
    item = payload["history_items"][0]
    if text is not None:
        item["comment"]["text_content"] = text
        item["comment"]["comment"] = [{"text": text}]
    if date_ms is not None:
        item["date"] = str(date_ms)
        item["comment"]["date"] = str(date_ms)
        item["id"] = f"{item['id']}{date_ms}"
    return json.dumps(payload).encode()


def test_an_edited_clickup_comment_shows_its_new_text_once(task_t, clickup):
    clickup.add_user(777, "Pat Facilities", "pat@asmbly.org")
    posted = clickup.add_comment(T, "Blade is in bin A4", user_id=777)
    assert post_webhook(clickup, "", "", body=_comment_event(clickup, "taskCommentPosted")).status_code == 200
    process()
    edited = _comment_event(
        clickup, "taskCommentUpdated", text="Blade is in bin B2", date_ms=posted["date"] + 60_000
    )
    assert post_webhook(clickup, "", "", body=edited).status_code == 200
    process()
    assert [u["text"] for u in users()] == ["Blade is in bin B2"]
    # An older edit arriving late changes nothing.
    stale = _comment_event(
        clickup, "taskCommentUpdated", text="Blade is in bin C3", date_ms=posted["date"] + 30_000
    )
    post_webhook(clickup, "", "", body=stale)
    process()
    assert [u["text"] for u in users()] == ["Blade is in bin B2"]


def test_the_same_clickup_comment_with_another_date_is_stored_once(task_t, clickup):
    clickup.add_user(777, "Pat Facilities", "pat@asmbly.org")
    posted = clickup.add_comment(T, "Checked the fence", user_id=777)
    for shift in (0, 5_000, -86_400_000):
        body = _comment_event(clickup, "taskCommentPosted", date_ms=posted["date"] + shift)
        assert post_webhook(clickup, "", "", body=body).status_code == 200
        process()
    assert [u["text"] for u in users()] == ["Checked the fence"]
