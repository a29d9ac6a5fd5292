"""Problem reports: accepted at once (anonymous or as a member), shown in the feeds, then
delivered to ClickUp exactly once, merged with ClickUp's webhook, posted to Slack and the forum."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client

from integrations.outbox.domain import OutboxStatus
from tests.conftest import login
from tests.integrations.helpers import PROBLEMS, deliver, post_webhook, process
from voldash_site.container import get_container, set_container

ALEX = "1001"
SLACK_FIELD = "5bfc5aac-d5cd-44d5-ac27-71016046e63c"
DISCOURSE_FIELD = "2683fe02-e756-4bd1-9735-fe9b6d478714"
CONTACT_FIELD = "2ed17517-4b05-46cc-a112-74c0a691b0df"
GOOD = {
    "problem_type": "Equipment",
    "area": "Woodshop",
    "asset": "Table Saw 2 - Sawstop",
    "summary": "Blade guard cracked",
    "details": "The guard has a crack <b>near</b> the riving knife & wobbles. @everyone *careful*",
    "contact": "Pat 512-555-0100",
}


def post(client: Client, body: dict, **kw):
    return client.post("/api/v1/problem-reports", body, content_type="application/json", **kw)


def report_of(response) -> str:
    assert response.status_code == 201, response.content
    return response.json()["id"]


def creates(fake) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == f"/api/v2/list/{PROBLEMS}/task"]


def feed_ids(client: Client, query: str = "") -> list[str]:
    return [t["id"] for t in client.get(f"/api/v1/tasks{query}").json()["items"]]


@pytest.fixture
def links(clickup):
    clickup.add_field({"id": SLACK_FIELD, "name": "Slack Post", "type": "url", "type_config": {}})
    clickup.add_field({"id": DISCOURSE_FIELD, "name": "Discourse Post", "type": "url", "type_config": {}})
    return clickup


def test_an_anonymous_report_is_in_the_feeds_at_once_and_awaits_clickup(cast):
    client = Client()
    response = post(client, GOOD)
    report_id = report_of(response)
    body = response.json()
    assert body["status"] == "received"
    assert body["status_url"] == f"/api/v1/problem-reports/{report_id}"
    task_id = body["task_id"]
    assert task_id in feed_ids(client)
    assert task_id in feed_ids(client, "?shop=woodshop")
    task = client.get(f"/api/v1/tasks/{task_id}").json()
    assert task["title"] == "Table Saw 2 - Sawstop - Blade guard cracked"
    assert "Pat" not in str(task)  # contact details never in the public API
    assert get_container().shops.get("woodshop").task_counts["OPEN"] == 1
    status = client.get(body["status_url"]).json()
    assert status["status"] == "received" and status["task_id"] == task_id
    pending = get_container().outbox.list_by_status(OutboxStatus.PENDING)
    assert [m.action for m in pending] == ["report.create_task"]
    assert response.cookies["voldash_device"]["httponly"]


def test_a_provisional_task_cannot_be_claimed(cast):
    task_id = post(Client(), GOOD).json()["task_id"]
    alex = Client()
    login(alex, ALEX)
    token = alex.get("/api/v1/csrf").json()["csrf_token"]
    response = alex.post(f"/api/v1/tasks/{task_id}/claim", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 409, response.content


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"area": "Moon Base"}, "area"),
        ({"problem_type": "Vibes"}, "problem_type"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 121}, "summary"),
        ({"details": "x" * 4001}, "details"),
        ({"contact": "x" * 201}, "contact"),
        ({"forum": 0}, "forum"),  # JSON booleans only (schemathesis found 0 accepted as false)
        ({"photos": ["x"]}, "photos"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_stored(cast, change, field):
    response = post(Client(), {**GOOD, **change})
    assert response.status_code == 422, response.content
    assert field in response.json()["message"]
    assert get_container().outbox.list_by_status(OutboxStatus.PENDING) == []
    assert feed_ids(Client()) == []


def test_a_summary_of_only_spaces_is_refused_by_the_use_case(cast):
    response = post(Client(), {**GOOD, "summary": "   \u200b  "})
    assert response.status_code == 422
    assert response.json()["message"].startswith("summary")


def test_a_logged_in_member_gets_name_filled_in_and_needs_csrf(cast):
    alex = Client()
    login(alex, ALEX)
    alex.handler.enforce_csrf_checks = True
    refused = post(alex, {**GOOD, "contact": ""})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    token = alex.get("/api/v1/csrf").json()["csrf_token"]
    report_id = report_of(post(alex, {**GOOD, "contact": ""}, HTTP_X_CSRFTOKEN=token))
    report = get_container().reports.get(report_id)
    assert report.reporter_id == ALEX
    assert report.contact.startswith("Alex Rivera")


def test_an_anonymous_post_needs_no_csrf_token(cast):
    report_of(post(Client(enforce_csrf_checks=True), GOOD))


def test_unknown_report_is_404_and_malformed_id_422(cast):
    assert Client().get("/api/v1/problem-reports/r0123456789abcdef").status_code == 404
    assert Client().get("/api/v1/problem-reports/nope").status_code == 422


def test_delivery_creates_the_clickup_task_once_in_todays_format(cast, links, slack):
    client = Client()
    report_id = report_of(post(client, GOOD))
    provisional = f"report-{report_id}"
    deliver()
    created = [r for r in links.requests if r.method == "POST" and r.path == f"/api/v2/list/{PROBLEMS}/task"]
    assert len(created) == 1
    status = client.get(f"/api/v1/problem-reports/{report_id}").json()
    assert status["status"] == "in_clickup"
    task_id = status["task_id"]
    raw = links.task(task_id)
    assert raw["name"] == "Table Saw 2 - Sawstop - Blade guard cracked"
    lines = raw["description"].split("\n")
    assert lines[:5] == [
        "Problem Type: Equipment",
        "Workspace:  Woodshop",
        "Asset:  Table Saw 2 - Sawstop",
        "Summary:  Blade guard cracked",
        "Additional Info:  " + GOOD["details"],
    ]
    assert lines[6] == "Discourse Link: Opted Out. Slack notification Only."
    assert lines[7].startswith("Slack Post: https://asmbly-makerspace.slack.com/archives/C063LH7MB45/p")
    assert lines[-1] == f"voldash report: {report_id}"
    fields = {f["id"]: f.get("value") for f in raw["custom_fields"]}
    assert fields[CONTACT_FIELD] == "Pat 512-555-0100"
    assert fields[SLACK_FIELD].startswith("https://asmbly-makerspace.slack.com/archives/C063LH7MB45/p")
    workspace = next(f for f in raw["custom_fields"] if f["name"] == "Workspace")
    assert workspace["type_config"]["options"][workspace["value"]]["name"] == "Woodshop"
    # One voldash task, the ClickUp one; the provisional one left the feeds; counters exact.
    assert feed_ids(client) == [task_id]
    assert client.get(f"/api/v1/tasks/{provisional}").status_code == 404
    assert get_container().shops.get("woodshop").task_counts["OPEN"] == 1
    # Slack: the problem-report channel (as today's bot) and the shop's channel, escaped.
    main = slack.channel_messages("C063LH7MB45")
    shop = slack.channel_messages("woodshop")
    assert len(main) == 1 and len(shop) == 1
    assert main[0]["username"] == "Problem Reporter Bot" and main[0]["icon_emoji"] == ":warning:"
    assert "&lt;b&gt;near&lt;/b&gt;" in main[0]["text"] and " &amp; " in main[0]["text"]
    assert f"https://app.clickup.com/t/{task_id}" in main[0]["text"]
    # ClickUp's webhook for the task we made merges into the same task: no twin.
    post_webhook(links, "taskCreated", task_id)
    process()
    deliver()
    assert feed_ids(client) == [task_id]
    assert get_container().shops.get("woodshop").task_counts["OPEN"] == 1
    assert len(slack.channel_messages("C063LH7MB45")) == 1
    assert (
        len([r for r in links.requests if r.path == f"/api/v2/list/{PROBLEMS}/task" and r.method == "POST"])
        == 1
    )


def test_the_webhook_arriving_first_adopts_the_task_too(cast, links, slack):
    """ClickUp can call us before our own create call has returned: the marker in the
    description makes the webhook's task the report's task, and our delivery then finds it."""
    report_id = report_of(post(Client(), GOOD))
    container = get_container()
    report = container.reports.get(report_id)
    from tasks.reports.domain import description, task_name

    made = links.add_task(
        "86bwhk1",
        list_id=PROBLEMS,
        name=task_name(report),
        status="Open",
        description=description(report),
        custom_fields={"Workspace": "Woodshop"},
    )
    post_webhook(links, "taskCreated", made["id"])
    process()
    assert container.reports.get(report_id).clickup_task_id == "86bwhk1"
    assert feed_ids(Client()) == ["86bwhk1"]
    deliver()  # the create message sees the report already linked
    assert not [r for r in links.requests if r.path == f"/api/v2/list/{PROBLEMS}/task" and r.method == "POST"]
    assert feed_ids(Client()) == ["86bwhk1"]
    assert len(slack.channel_messages("C063LH7MB45")) == 1


def test_a_retry_after_a_timeout_finds_the_task_instead_of_making_another(cast, links, slack, settings):
    settings.HTTP_TIMEOUT_SECONDS = 0.5
    set_container(None)
    report_id = report_of(post(Client(), GOOD))
    links.delay_next(f"/api/v2/list/{PROBLEMS}/task", 1.5)  # ClickUp creates it, too late for us
    first = deliver()
    assert first.retrying == 1
    for _ in range(100):  # wait (bounded) until the held request has reached ClickUp's side
        if links.list_task_ids(PROBLEMS):
            break
        time.sleep(0.05)
    assert len(links.list_task_ids(PROBLEMS)) == 1
    container = get_container()
    now = container.clock()
    container.clock = lambda: now + timedelta(hours=2)
    deliver()
    posts = [r for r in links.requests if r.path == f"/api/v2/list/{PROBLEMS}/task" and r.method == "POST"]
    assert len(posts) == 1
    report = container.reports.get(report_id)
    assert report.clickup_task_id is not None
    assert feed_ids(Client()) == [report.clickup_task_id]
    assert len(slack.channel_messages("C063LH7MB45")) == 1


def test_a_forum_topic_only_when_asked_with_its_link_written_back(cast, links, slack, discourse):
    quiet = report_of(post(Client(), {**GOOD, "summary": "Dust collector clogged"}))
    loud = report_of(post(Client(), {**GOOD, "summary": "Sawstop brake fired", "forum": True}))
    deliver()
    deliver()
    topics = [r for r in discourse.requests if r.method == "POST" and r.path == "/posts.json"]
    assert len(topics) == 1
    sent = topics[0].json()
    assert sent["category"] == 59
    assert sent["external_id"] == f"voldash-report-{loud}"
    assert " - Woodshop - Table Saw 2 - Sawstop" in sent["title"]
    assert "@\u200beveryone" in sent["raw"] and "\\*careful\\*" in sent["raw"]
    container = get_container()
    loud_report = container.reports.get(loud)
    assert loud_report.discourse_url and loud_report.discourse_url.startswith(discourse.base_url)
    raw = links.task(loud_report.clickup_task_id)
    assert f"Discourse Link: {loud_report.discourse_url}" in raw["description"]
    assert {f["id"]: f.get("value") for f in raw["custom_fields"]}[
        DISCOURSE_FIELD
    ] == loud_report.discourse_url
    assert container.tasks.get(loud_report.clickup_task_id).discourse_url == loud_report.discourse_url
    assert container.reports.get(quiet).discourse_url is None
    assert container.outbox.list_by_status(OutboxStatus.PENDING) == []
    assert container.outbox.list_by_status(OutboxStatus.FAILED) == []


def test_status_follows_the_task_through_claim_and_clickup_closing_it(cast, links, slack):
    client = Client()
    report_id = report_of(post(client, GOOD))
    deliver()
    task_id = client.get(f"/api/v1/problem-reports/{report_id}").json()["task_id"]
    alex = Client()
    login(alex, ALEX)
    token = alex.get("/api/v1/csrf").json()["csrf_token"]
    assert alex.post(f"/api/v1/tasks/{task_id}/claim", HTTP_X_CSRFTOKEN=token).status_code == 200
    assert client.get(f"/api/v1/problem-reports/{report_id}").json()["status"] == "in_progress"
    links.update_task(task_id, status="Closed")
    post_webhook(links, "taskStatusUpdated", task_id)
    process()
    assert client.get(f"/api/v1/problem-reports/{report_id}").json()["status"] == "fixed"


def test_the_status_is_one_dynamodb_request(cast):
    from voldash_site.dynamodb.metrics import count_calls

    report_id = report_of(post(Client(), GOOD))
    with count_calls() as calls:
        assert Client().get(f"/api/v1/problem-reports/{report_id}").status_code == 200
    assert sum(calls.by_operation.values()) == 1


def test_accepting_a_report_is_one_read_of_the_limits_and_one_transaction(cast):
    from voldash_site.dynamodb.metrics import count_calls

    get_container().shop_directory.all()  # the shop cache, as in a warm process
    with count_calls() as calls:
        report_of(post(Client(), GOOD))
    assert dict(calls.by_operation) == {"BatchGetItem": 1, "TransactWriteItems": 1}
