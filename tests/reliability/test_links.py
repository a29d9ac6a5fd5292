"""Links from outside (ClickUp's "Discourse post" / "Slack post" fields, its task url) are only
stored, returned and rendered when they are plain https URLs on their expected hosts."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tasks.domain import https_url
from tests.builders import a_task
from tests.conftest import login
from tests.integrations.helpers import add_problem, post_webhook, process
from voldash_site.container import get_container

DISCOURSE_POST = "2683fe02-e756-4bd1-9735-fe9b6d478714"
SLACK_POST = "5bfc5aac-d5cd-44d5-ac27-71016046e63c"
HOSTILE = [
    "javascript:alert(1)//",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "http://yo.asmbly.org/t/x/1",
    "//evil.example/x",
    "/relative/path",
    "https://user:pw@evil.example/",
    'https://yo.asmbly.org/"onmouseover="alert(1)',
    "https://yo.asmbly.org/<script>",
    "https:///nohost",
    "https://[::1",
    "",
]


def unsafe_hrefs(page: str) -> list[str]:
    hrefs = re.findall(r"""(?:href|src|action)\s*=\s*["']?([^"'\s>]*)""", page, flags=re.IGNORECASE)
    has_scheme = re.compile(r"^\s*[a-zA-Z][a-zA-Z0-9+.\-]*:")
    return [h for h in hrefs if h.startswith("//") or (has_scheme.match(h) and not h.startswith("https://"))]


@pytest.mark.parametrize("url", HOSTILE)
def test_only_plain_https_urls_pass(url):
    assert https_url(url) is None


def test_https_urls_pass_and_hosts_are_checked():
    assert https_url("https://yo.asmbly.org/t/saw/123") == "https://yo.asmbly.org/t/saw/123"
    assert https_url("HTTPS://yo.asmbly.org/t/1") == "HTTPS://yo.asmbly.org/t/1"
    slack = "https://asmbly-makerspace.slack.com/archives/C1/p1700000000000100"
    assert https_url(slack, host_suffix="slack.com") == slack
    assert https_url("https://evil.example/slack.com", host_suffix="slack.com") is None
    assert https_url("https://evilslack.com/x", host_suffix="slack.com") is None
    assert https_url("https://slack.com.evil.example/x", host_suffix="slack.com") is None


def _sync_with_links(clickup, task_id: str, discourse: str, slack: str, url: str | None = None) -> None:
    clickup.add_field({"id": DISCOURSE_POST, "name": "Discourse Post", "type": "url", "type_config": {}})
    clickup.add_field({"id": SLACK_POST, "name": "Slack Post", "type": "url", "type_config": {}})
    add_problem(clickup, task_id, custom_fields={DISCOURSE_POST: discourse, SLACK_POST: slack})
    assert post_webhook(clickup, "taskCreated", task_id).status_code == 200
    process()


@pytest.mark.parametrize("hostile", ["javascript:alert(1)//", "data:text/html,x", "http://yo.asmbly.org/t/1"])
def test_hostile_links_from_clickup_are_neither_stored_returned_nor_rendered(cast, clickup, hostile):
    _sync_with_links(clickup, "86link001", hostile, hostile)
    task = get_container().tasks.get("86link001")
    assert task is not None and task.discourse_url is None and task.slack_url is None
    body = Client().get("/api/v1/tasks/86link001").json()
    assert body["discourse_url"] is None and body["slack_url"] is None
    listed = Client().get("/api/v1/tasks").content.decode()
    assert "86link001" in listed and hostile.split(":")[0] + ":" not in listed.replace("https:", "")
    staff = Client()
    login(staff, "1005")
    page = staff.get("/staff/tasks/86link001/").content.decode()
    assert "forum topic" not in page and "Slack post" not in page
    assert unsafe_hrefs(page) == []  # (the raw ClickUp snapshot is shown as escaped text)


def test_good_links_from_clickup_are_kept_and_rendered(cast, clickup):
    forum = "https://yo.asmbly.org/t/table-saw/4242"
    slack = "https://asmbly-makerspace.slack.com/archives/C01/p1700000000000100"
    _sync_with_links(clickup, "86link002", forum, slack)
    body = Client().get("/api/v1/tasks/86link002").json()
    assert body["discourse_url"] == forum and body["slack_url"] == slack
    staff = Client()
    login(staff, "1005")
    page = staff.get("/staff/tasks/86link002/").content.decode()
    assert f'href="{forum}"' in page and f'href="{slack}"' in page


def test_a_slack_link_outside_slack_is_dropped(cast, clickup):
    _sync_with_links(clickup, "86link003", "https://yo.asmbly.org/t/x/1", "https://evil.example/verify")
    body = Client().get("/api/v1/tasks/86link003").json()
    assert body["discourse_url"] == "https://yo.asmbly.org/t/x/1" and body["slack_url"] is None


def test_links_stored_before_the_rule_are_not_served(cast, ddb_client, table):
    get_container().tasks.upsert(a_task(id="86link004", shop="woodshop"))
    ddb_client.update_item(
        TableName=table.table_name,
        Key={"PK": {"S": "TASK#86link004"}, "SK": {"S": "TASK"}},
        UpdateExpression="SET discourse_url = :d, slack_url = :s, clickup_url = :c",
        ExpressionAttributeValues={
            ":d": {"S": "javascript:alert(1)//"},
            ":s": {"S": "javascript:alert(2)//"},
            ":c": {"S": "javascript:alert(3)//"},
        },
    )
    body = Client().get("/api/v1/tasks/86link004").json()
    assert (body["discourse_url"], body["slack_url"], body["clickup_url"]) == (None, None, None)
    listed = Client().get("/api/v1/tasks").content.decode()
    assert "86link004" in listed and "javascript" not in listed
    staff = Client()
    login(staff, "1005")
    page = staff.get("/staff/tasks/86link004/").content.decode()
    assert unsafe_hrefs(page) == [] and "javascript" not in page


def test_staff_actions_do_not_redirect_off_site(cast, clickup):
    get_container().tasks.upsert(a_task(id="86link005", shop="woodshop"))
    staff = Client()
    login(staff, "1005")
    for evil in ("https://evil.example/", "//evil.example/", "/staff//evil.example", "javascript:alert(1)"):
        response = staff.post("/staff/tasks/86link005/resync", {"next": evil})
        assert response.status_code == 302 and response["Location"] == "/staff/tasks/86link005/", evil
    ok = staff.post("/staff/tasks/86link005/resync", {"next": "/staff/tasks/?shop=woodshop"})
    assert ok["Location"] == "/staff/tasks/?shop=woodshop"


def test_plain_http_is_only_accepted_for_a_forum_on_this_machine():
    assert https_url("http://127.0.0.1:8123/t/x/1") == "http://127.0.0.1:8123/t/x/1"
    assert https_url("http://127.0.0.1/x", host_suffix="slack.com") is None
    assert https_url("http://yo.asmbly.org/t/x/1") is None
