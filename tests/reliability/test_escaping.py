"""Outside text is escaped for where it goes: Slack mrkdwn, Discourse markdown, CSV cells."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from tests.conftest import login
from tests.integrations.helpers import METAL, add_problem, deliver, post_webhook, process
from voldash_site.container import get_container
from voldash_site.escaping import csv_cell, discourse_text, slack_link, slack_text

EVIL_NAME = "<!channel> <https://evil.example|verify> & <@U0123>"


def test_slack_text_escapes_its_three_control_characters():
    assert slack_text(EVIL_NAME) == (
        "&lt;!channel&gt; &lt;https://evil.example|verify&gt; &amp; &lt;@U0123&gt;"
    )
    assert slack_link("https://app.clickup.com/t/1?a=1&b=<x>|y", "Open | now") == (
        "<https://app.clickup.com/t/1?a=1&amp;b=&lt;x&gt;%7Cy|Open ¦ now>"
    )


def test_a_hostile_volunteer_name_cannot_ping_the_channel_or_plant_a_link(cast, clickup, slack):
    c = get_container()
    from dataclasses import replace

    alex = c.volunteers.get("1001")
    c.volunteers.save(replace(alex, name=EVIL_NAME))
    add_problem(clickup, "86esc0001", name="Saw <!here> & <https://evil.example|fix>")
    post_webhook(clickup, "taskCreated", "86esc0001")
    process()
    client = Client()
    login(client, "1001")
    token = client.get("/api/v1/csrf").json()["csrf_token"]
    assert client.post("/api/v1/tasks/86esc0001/claim", HTTP_X_CSRFTOKEN=token).status_code == 200
    deliver()
    [message] = slack.messages
    text = message["text"]
    # The only Slack control sequence left is our own link to ClickUp, at the end.
    ours = "<https://app.clickup.com/t/86esc0001|Open in ClickUp>"
    assert text.endswith(ours)
    body = text[: -len(ours)]
    assert "<" not in body and ">" not in body
    assert "&lt;!channel&gt;" in body and "&lt;https://evil.example|verify&gt;" in body


def test_discourse_text_shows_outside_text_as_itself():
    raw = discourse_text(
        "**Hi** @everyone [x](javascript:1) <img src=x onerror=alert(1)> # h\n![i](https://e/x.png)"
    )
    assert "<" not in raw and "@everyone" not in raw and "[x](" not in raw and "![i]" not in raw
    assert "\\*\\*Hi\\*\\*" in raw and "&lt;img" in raw and "@\u200beveryone" in raw


def test_a_forum_topic_quotes_the_report_without_markdown_or_mentions(cast, clickup, discourse):
    add_problem(
        clickup,
        "86esc0002",
        shop=METAL,
        priority=1,
        name="Lathe @staff [click](https://evil.example) <b>now</b>",
        description="Broken. @everyone see ![x](https://evil.example/p.png) <script>alert(1)</script>",
    )
    post_webhook(clickup, "taskCreated", "86esc0002")
    process()
    assert deliver().sent == 2  # the topic, and the urgent repair's notice to the shop's watchers (none)
    [topic] = discourse.topics
    raw = discourse.posts[0]["raw"]
    assert "@staff" not in raw and "@everyone" not in raw
    assert "](" not in raw.split("Track it in ClickUp")[0] and "<script>" not in raw and "<b>" not in raw
    assert "https://app.clickup.com/t/86esc0002" in raw  # our own link stays a link
    assert topic["title"]


OWASP = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =1", "\t @x", "\n=1", "\uff1d1", "  +cmd"]


@pytest.mark.parametrize("value", OWASP)
def test_every_owasp_leading_character_is_neutralised(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["ok", "Fixed the fence", " ok", "1.5", "", "a=b"])
def test_ordinary_cells_are_unchanged(value):
    assert csv_cell(value) == value
    assert csv_cell(2.5) == 2.5


def test_the_hours_export_neutralises_notes_and_titles(cast):
    from datetime import UTC, datetime

    from volunteers.domain import HoursEntry, HoursStatus

    c = get_container()
    for i, (title, note) in enumerate([("\t=cmd|' /C calc'!A0", '\r=HYPERLINK("x")'), ("@title", " =1+1")]):
        entry = HoursEntry(
            neon_id="1001",
            task_id=f"86csv{i}",
            task_title=title,
            shop="woodshop",
            hours=1.0,
            points=10,
            completed_at=datetime(2026, 11, 2 + i, 12, tzinfo=UTC),
            status=HoursStatus.PENDING,
            note=note,
        )
        c.uow.commit(c.volunteers.complete_writes("1001", "Alex Rivera", entry, recorded=False))
    client = Client()
    login(client, "1001")
    response = client.get("/api/v1/me/hours", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))[1:]
    assert len(rows) == 2
    for row in rows:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") and not cell.lstrip().startswith("=")
