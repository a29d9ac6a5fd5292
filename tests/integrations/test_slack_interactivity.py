"""Issue 18: Slack's buttons. Requests are verified (v0 signature, five-minute window), the
Slack user becomes a member through their e-mail, and the API's use cases run with its rules."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from urllib.parse import parse_qs, urlencode

import pytest
from django.core.management import call_command
from django.test import Client

from tasks.domain import Assignee, HistoryAction, HistorySource, TaskStatus
from tests.builders import a_task
from voldash_site.container import get_container
from volunteers.domain import Claim

ALEX, SAM = "1001", "1003"
URL = "/webhooks/slack/interactivity"


@pytest.fixture
def buttons(cast, slack, settings):
    settings.SLACK_SIGNING_SECRET = slack.signing_secret
    slack.add_user("U0ALEX01", "ALEX@example.org", name="Alex Rivera")
    slack.add_user("U0SAM001", "sam@example.org", name="Sam Okafor")
    slack.add_user("U0STRAN1", "stranger@example.org", name="Not a member")
    get_container().tasks.upsert(a_task(id="86open01", shop="woodshop", title="Planer - Knives"))
    return slack


def click(slack, user: str, action: str, task_id: str, **sign) -> int:
    body = slack.block_actions_body(user, action, task_id)
    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in slack.signed_headers(body, **sign).items()
    }
    return Client().post(URL, body, content_type="application/x-www-form-urlencoded", **headers).status_code


def task(task_id: str):
    return get_container().tasks.get_detail(task_id)


def test_claim_from_the_digest_runs_the_claim_use_case(buttons):
    assert click(buttons, "U0ALEX01", "voldash.claim", "86open01") == 200
    detail = task("86open01")
    assert detail.task.status is TaskStatus.IN_PROGRESS and detail.task.assignee.neon_id == ALEX
    assert (
        detail.history[0].action is HistoryAction.CLAIMED and detail.history[0].source is HistorySource.SLACK
    )
    assert get_container().volunteers.get(ALEX).open_claims == 1
    assert buttons.responses[-1]["response_type"] == "ephemeral"
    assert "You claimed" in buttons.responses[-1]["text"]


def test_the_same_rules_as_the_api(buttons):
    assert click(buttons, "U0SAM001", "voldash.claim", "86open01") == 200  # no woodshop certification
    assert task("86open01").task.status is TaskStatus.OPEN
    assert "certification" in buttons.responses[-1]["text"]
    click(buttons, "U0ALEX01", "voldash.claim", "86open01")
    click(buttons, "U0SAM001", "voldash.release", "86open01")  # not Sam's to release
    assert task("86open01").task.assignee.neon_id == ALEX
    assert "Only the volunteer holding this task" in buttons.responses[-1]["text"]
    click(buttons, "U0ALEX01", "voldash.release", "86open01")
    assert task("86open01").task.status is TaskStatus.OPEN


def test_still_on_it_restarts_the_quiet_period(buttons):
    c = get_container()
    quiet = a_task(
        id="86quiet1", shop="woodshop", status=TaskStatus.IN_PROGRESS, assignee=Assignee(ALEX, "Alex Rivera")
    ).with_changes(updated_at=datetime.now(UTC) - timedelta(days=8))
    c.tasks.upsert(quiet)
    c.uow.commit(
        c.volunteers.claim_writes(
            c.volunteers.get(ALEX),
            Claim(ALEX, quiet.id, quiet.title, "woodshop", quiet.created_at),
            limit=3,
            required=(),
            require_all=False,
        )
    )
    assert click(buttons, "U0ALEX01", "voldash.still_on_it", "86quiet1") == 200
    assert task("86quiet1").history[0].action is HistoryAction.STILL_ON_IT
    assert "still on" in buttons.responses[-1]["text"]
    out = StringIO()
    call_command("remind_stale_claims", stdout=out)
    assert "0 reminded" in out.getvalue()
    click(buttons, "U0SAM001", "voldash.still_on_it", "86quiet1")  # only the holder
    assert "Only the volunteer holding this task" in buttons.responses[-1]["text"]


def test_someone_slack_cannot_match_to_a_profile_changes_nothing(buttons):
    assert click(buttons, "U0STRAN1", "voldash.claim", "86open01") == 200
    assert task("86open01").task.status is TaskStatus.OPEN
    assert "could not match your Slack e-mail" in buttons.responses[-1]["text"]


@pytest.mark.parametrize(
    "sign",
    [
        {"secret": "not-the-secret"},
        {"timestamp": -301},  # replayed: older than five minutes (seconds from now)
        {"timestamp": +301},
    ],
)
def test_unsigned_forged_or_replayed_requests_are_refused(buttons, sign):
    if "timestamp" in sign:
        sign = {"timestamp": int(time.time()) + sign["timestamp"]}
    assert click(buttons, "U0ALEX01", "voldash.claim", "86open01", **sign) == 401
    assert task("86open01").task.status is TaskStatus.OPEN
    assert buttons.responses == []


def test_a_tampered_body_or_missing_secret_is_refused(buttons, settings):
    body = buttons.block_actions_body("U0ALEX01", "voldash.claim", "86open01")
    headers = buttons.signed_headers(body)
    tampered = body.replace(b"86open01", b"86open02")
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    assert (
        Client().post(URL, tampered, content_type="application/x-www-form-urlencoded", **meta).status_code
        == 401
    )
    settings.SLACK_SIGNING_SECRET = ""
    assert (
        Client().post(URL, body, content_type="application/x-www-form-urlencoded", **meta).status_code == 401
    )
    assert task("86open01").task.status is TaskStatus.OPEN


def test_bad_payloads_are_4xx_and_other_interactions_are_ignored(buttons):
    def post(form: dict) -> int:
        body = urlencode(form).encode()
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in buttons.signed_headers(body).items()}
        return Client().post(URL, body, content_type="application/x-www-form-urlencoded", **meta).status_code

    assert post({"payload": "{not json"}) == 400
    assert post({"payload": json.dumps({"type": "view_closed"})}) == 200
    raw = buttons.block_actions_body("U0ALEX01", "voldash.delete_all", "86open01").decode()
    bad = json.loads(parse_qs(raw)["payload"][0])
    assert post({"payload": json.dumps(bad)}) == 400
    assert task("86open01").task.status is TaskStatus.OPEN
