"""Issue 23 finding 1: a reporter's or commenter's text is never taken for one of our markers or
description lines. Attacked from the outside: reports filed over HTTP, comments posted over HTTP,
ClickUp faked at its HTTP boundary; what other tools would parse is read from ClickUp's side."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import pytest
from django.test import Client

from integrations.outbox.domain import OutboxStatus
from tests.integrations.helpers import PROBLEMS, add_problem, deliver, post_webhook, process
from tests.tasks.test_problem_reports import GOOD, creates, post, report_of
from tests.tasks.test_task_detail import as_, detail
from voldash_site.container import get_container

SAM, ALEX = "1003", "1001"
T = "86markers1"


def later(hours: int = 2) -> None:
    """Past the outbox's backoff: the next deliver() retries what failed."""
    container = get_container()
    now = container.clock()
    container.clock = lambda: now + timedelta(hours=hours)


def fail_next_create(clickup) -> None:
    clickup.fail_next(f"/api/v2/list/{PROBLEMS}/task", 500)


def summary_of(clickup, task_id: str) -> str:
    return next(
        line.split(":", 1)[1].strip()
        for line in clickup.task(task_id)["description"].split("\n")
        if line.startswith("Summary:")
    )


def test_a_report_quoting_a_failed_reports_marker_cannot_take_it_over(cast, clickup, slack):
    victim = report_of(post(Client(), {**GOOD, "summary": "Dust collector clogged"}))
    fail_next_create(clickup)
    assert deliver().retrying == 1  # the victim's first ClickUp create failed
    attacker = report_of(
        post(
            Client(),
            {**GOOD, "summary": "Mine", "details": f"see below\nvoldash report: {victim}\nthanks"},
        )
    )
    deliver()
    later()
    deliver()
    reports = get_container().reports
    theirs, mine = reports.get(victim), reports.get(attacker)
    assert theirs.clickup_task_id and mine.clickup_task_id
    assert theirs.clickup_task_id != mine.clickup_task_id
    assert summary_of(clickup, theirs.clickup_task_id) == "Dust collector clogged"
    assert summary_of(clickup, mine.clickup_task_id) == "Mine"
    assert len(creates(clickup)) == 3  # the failed one, the attacker's, the victim's retry
    # The victim's Slack post links the victim's own task.
    posts = [m["text"] for m in slack.channel_messages("C063LH7MB45")]
    assert any("Dust collector clogged" in p and theirs.clickup_task_id in p for p in posts)
    assert not any("Dust collector clogged" in p and mine.clickup_task_id in p for p in posts)


def test_a_report_quoting_a_pending_reports_marker_leaves_each_its_own_task(cast, clickup, slack):
    victim = report_of(post(Client(), {**GOOD, "summary": "Dust collector clogged"}))
    attacker = report_of(
        post(Client(), {**GOOD, "summary": "Mine", "details": f"hello\nvoldash report: {victim}"})
    )
    deliver()
    deliver()
    reports = get_container().reports
    theirs, mine = reports.get(victim), reports.get(attacker)
    assert Client().get(f"/api/v1/problem-reports/{victim}").json()["status"] == "in_clickup"
    assert Client().get(f"/api/v1/problem-reports/{attacker}").json()["status"] == "in_clickup"
    assert theirs.clickup_task_id != mine.clickup_task_id
    assert summary_of(clickup, theirs.clickup_task_id) == "Dust collector clogged"
    assert len(creates(clickup)) == 2


def test_a_task_made_in_clickup_quoting_a_marker_is_not_adopted(cast, clickup, slack):
    """Adoption reads the marker from the description's last line only, matched whole."""
    victim = report_of(post(Client(), GOOD))
    add_problem(clickup, "86planted", description=f"voldash report: {victim}\nnot ours")
    post_webhook(clickup, "taskCreated", "86planted")
    process()
    assert get_container().reports.get(victim).clickup_task_id is None
    add_problem(clickup, "86planted2", description=f"x\nvoldash report: {victim} please")
    post_webhook(clickup, "taskCreated", "86planted2")
    process()
    assert get_container().reports.get(victim).clickup_task_id is None


PLANTED = [
    "Slack Post: https://evil.example/p1",
    "  slack post : https://evil.example/p1",
    "\u200bSlack Post: https://evil.example/p1",
    "\uff33\uff4c\uff41\uff43\uff4b \uff30\uff4f\uff53\uff54\uff1a https://evil.example/p1",  # full width
    "**Slack Post:** https://evil.example/p1",
    "> Slack Post: https://evil.example/p1",
    "ok then. Slack Post: https://evil.example/p1",
]


def _parsed(description: str, label: str) -> list[str]:
    """What a lenient line-prefix parser (APR's kind) reads: anchored, any case, after folding."""
    folded = unicodedata.normalize("NFKC", description)
    folded = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return re.findall(rf"^[\s>*_#-]*{label}\s*:\**\s*(\S+)", folded, re.MULTILINE | re.IGNORECASE)


def _first_unanchored(description: str, label: str) -> str | None:
    match = re.search(rf"{label}\s*:\s*(\S+)", unicodedata.normalize("NFKC", description), re.IGNORECASE)
    return match.group(1) if match else None


@pytest.mark.parametrize("planted", PLANTED)
def test_planted_description_lines_are_never_parsed_as_ours(cast, clickup, slack, planted):
    report_id = report_of(
        post(
            Client(),
            {
                **GOOD,
                "summary": "Saw. " + planted.strip()[:100],
                "asset": "Discourse Link: https://evil.example/t",
                "details": f"first\n{planted}\nDiscourse Link: https://evil.example/t\n"
                "voldash report: r0000000000000000",
            },
        )
    )
    deliver()
    deliver()
    task_id = get_container().reports.get(report_id).clickup_task_id
    description = clickup.task(task_id)["description"]
    slack_urls = _parsed(description, r"slack\s*post")
    assert len(slack_urls) == 1 and "evil" not in slack_urls[0]
    assert _first_unanchored(description, r"slack\s*post") == slack_urls[0]
    forum = _parsed(description, r"discourse\s*link")
    assert forum == ["Opted"]
    assert _first_unanchored(description, r"discourse\s*link") == "Opted"
    assert description.rstrip().split("\n")[-1] == f"voldash report: {report_id}"
    assert len(re.findall(r"voldash report:", unicodedata.normalize("NFKC", description))) == 1
    # The reporter's words are still there for a person to read.
    assert "evil.example/p1" in description and "first" in description


@pytest.fixture
def task_t(cast, clickup):
    add_problem(clickup, T)
    assert post_webhook(clickup, "taskCreated", T).status_code == 200
    process()


def test_a_comment_quoting_anothers_marker_cannot_suppress_it(task_t, clickup):
    sam = as_(SAM)
    assert sam.post(f"/api/v1/tasks/{T}/comments", {"text": "Blade ordered"}).status_code == 201
    marker = next(m.payload["marker"] for m in get_container().outbox.list_by_status(OutboxStatus.PENDING))
    clickup.fail_next(f"/api/v2/task/{T}/comment", 500)  # Sam's comment cannot reach ClickUp yet
    deliver()
    for text in (f"me too\n{marker}", marker, f"{marker} ", f"quoting {marker}"):
        response = as_(ALEX).post(f"/api/v1/tasks/{T}/comments", {"text": text})
        assert response.status_code == 201, response.content
    later()
    deliver()
    texts = [c["comment_text"] for c in clickup.comments(T)]
    assert len(texts) == 5
    assert sum(t.startswith("Sam Okafor (volunteer dashboard): Blade ordered") for t in texts) == 1
    # Each comment ends with its own marker only; nobody else's is a line of its own.
    for t in texts:
        lines = t.split("\n")
        assert re.fullmatch(r"\[voldash:[0-9a-f]{6,32}\]", lines[-1])
        assert not any(re.fullmatch(r"\s*\[voldash:[0-9a-f]{6,32}\]\s*", line) for line in lines[:-1])
    # Their echoes are left out, as ours; Alex's words are shown as written on the dashboard.
    post_webhook(clickup, "taskCommentPosted", T)
    process()
    users = [a for a in detail(T)["activity"] if a["variant"] == "user"]
    assert len(users) == 5
    assert f"me too\n{marker}" in [u["text"] for u in users]
