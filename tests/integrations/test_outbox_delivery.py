"""Outbox delivery to the ClickUp, Slack and Discourse fakes: write-back, retries, no echoes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.outbox.domain import Channel, OutboxStatus
from tests.integrations.helpers import METAL, add_problem, deliver, post_webhook, process
from tests.tasks.test_lifecycle_api import ALEX, as_
from voldash_site.container import get_container


def pending() -> list:
    return get_container().outbox.list_by_status(OutboxStatus.PENDING)


def later(hours: float = 2) -> None:
    container = get_container()
    start = container.clock()
    container.clock = lambda: start + timedelta(hours=hours)


@pytest.fixture
def synced_task(cast, clickup):
    add_problem(clickup, "86ccc0001", name="Table Saw 2 - Fence will not lock")
    post_webhook(clickup, "taskCreated", "86ccc0001")
    process()
    return "86ccc0001"


def test_a_claim_reaches_clickup_and_slack(synced_task, clickup, slack):
    assert as_(ALEX).post(f"/api/v1/tasks/{synced_task}/claim").status_code == 200
    report = deliver()
    assert (report.sent, report.failed, report.retrying) == (2, 0, 0)
    assert clickup.task(synced_task)["status"]["status"] == "in progress"
    comments = clickup.comments(synced_task)
    assert len(comments) == 1 and "Alex Rivera claimed" in comments[0]["comment_text"]  # no ClickUp seat
    [message] = slack.messages
    assert message["channel"] == slack.channels["woodshop"] and "Alex Rivera claimed" in message["text"]
    assert pending() == []
    assert deliver().sent == 0  # nothing is sent twice


def test_our_own_write_back_echoing_back_notifies_nobody(synced_task, clickup, slack):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{synced_task}/claim")
    deliver()
    history_before = get_container().tasks.get_detail(synced_task).history
    post_webhook(clickup, "taskStatusUpdated", synced_task)
    assert process().done == 1
    after = get_container().tasks.get_detail(synced_task)
    assert after.history == history_before
    assert after.task.assignee.neon_id == ALEX and after.task.status.value == "IN_PROGRESS"
    assert pending() == []
    assert len(slack.messages) == 1


def test_a_claim_not_yet_written_back_survives_an_older_clickup_event(synced_task, clickup):
    clickup.update_task(synced_task, name="Table Saw 2 - Fence loose")
    body = clickup.webhook_body("taskUpdated", synced_task)  # ClickUp still says Open
    as_(ALEX).post(f"/api/v1/tasks/{synced_task}/claim")
    post_webhook(clickup, "", "", body=body)
    process()
    task = get_container().tasks.get(synced_task)
    assert task.title == "Table Saw 2 - Fence loose"
    assert task.status.value == "IN_PROGRESS" and task.assignee.neon_id == ALEX


def test_clickup_closing_a_held_task_completes_it_in_the_volunteers_name(synced_task, clickup):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{synced_task}/claim")
    clickup.update_task(synced_task, status="Closed")
    # ClickUp's clock must be later than our claim for its status to win
    post_webhook(clickup, "taskStatusUpdated", synced_task)
    process()
    task = get_container().tasks.get(synced_task)
    assert task.status.value == "DONE" and task.assignee.neon_id == ALEX
    hours = alex.get("/api/v1/me/hours").json()["items"]
    assert [(h["task_id"], h["status"], h["hours"]) for h in hours] == [(synced_task, "PENDING", 1.0)]
    assert alex.get("/api/v1/me").json()["open_claims"] == 0


def test_clickup_reopening_a_held_task_releases_the_claim(synced_task, clickup):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{synced_task}/claim")
    clickup.update_task(synced_task, status="in progress")
    clickup.update_task(synced_task, status="Open")
    post_webhook(clickup, "taskStatusUpdated", synced_task)
    process()
    task = get_container().tasks.get(synced_task)
    assert task.status.value == "OPEN" and task.assignee is None
    assert alex.get("/api/v1/me/tasks").json()["items"] == []
    assert get_container().tasks.get_detail(synced_task).history[0].action.value == "reopened"


def test_transient_failures_retry_with_backoff_then_deliver(synced_task, clickup, slack):
    as_(ALEX).post(f"/api/v1/tasks/{synced_task}/claim")
    clickup.fail_next("/api/v2/task/", 503, times=1)
    slack.rate_limit_next(retry_after=30)
    report = deliver()
    assert (report.sent, report.retrying) == (0, 2)
    waiting = {m.channel: m for m in pending()}
    assert "HTTP 503" in waiting[Channel.CLICKUP].last_error
    assert "HTTP 429" in waiting[Channel.SLACK].last_error
    assert waiting[Channel.SLACK].next_attempt_at - get_container().clock() >= timedelta(seconds=29)
    assert deliver().handled == 0  # not due yet
    later()
    assert deliver().sent == 2
    assert clickup.task(synced_task)["status"]["status"] == "in progress"
    assert len(slack.messages) == 1


def test_permanent_failures_are_parked_with_the_response_and_can_be_retried(synced_task, clickup, slack):
    as_(ALEX).post(f"/api/v1/tasks/{synced_task}/claim")
    slack.archived.add(slack.channels["woodshop"])
    report = deliver()
    assert (report.sent, report.failed) == (1, 1)
    [failed] = get_container().outbox.list_by_status(OutboxStatus.FAILED)
    assert failed.channel is Channel.SLACK and "is_archived" in failed.last_error
    assert '"ok": false' in failed.response.replace(" ", " ")
    slack.archived.clear()
    assert get_container().outbox.retry(failed.id, get_container().clock())
    assert deliver().sent == 1 and len(slack.messages) == 1


def test_a_channel_without_credentials_is_skipped_visibly(synced_task, clickup, settings):
    settings.SLACK_BOT_TOKEN = ""
    from voldash_site.container import set_container

    set_container(None)
    as_(ALEX).post(f"/api/v1/tasks/{synced_task}/claim")
    report = deliver()
    assert (report.sent, report.skipped) == (1, 1)
    [skipped] = get_container().outbox.list_by_status(OutboxStatus.SKIPPED)
    assert skipped.channel is Channel.SLACK and "no credentials" in skipped.last_error


def test_a_major_repair_gets_one_discourse_topic_even_when_retried(cast, clickup, discourse):
    add_problem(clickup, "86ccc0002", shop=METAL, priority=1, name="Tormach PCNC 1100 - Way covers damaged")
    post_webhook(clickup, "taskCreated", "86ccc0002")
    process()
    # With the topic, the news of a new urgent repair for the shop's watchers (nobody, here).
    [message] = [m for m in pending() if m.channel is not Channel.NOTICE]
    assert message.channel is Channel.DISCOURSE and message.payload["category"] == 59
    assert message.payload["external_id"] == "voldash-86ccc0002"
    assert deliver().sent == 2
    [topic] = discourse.topics
    task = get_container().tasks.get("86ccc0002")
    assert task.discourse_url == f"{discourse.base_url}/t/{topic['slug']}/{topic['id']}"
    # A retry (e.g. the worker died before recording success) must not make a second topic.
    get_container().outbox.mark(message, OutboxStatus.FAILED, get_container().clock(), detail="simulated")
    get_container().outbox.retry(message.id, get_container().clock())
    assert deliver().sent == 1
    assert len(discourse.topics) == 1


def test_minor_repairs_get_no_topic(cast, clickup, discourse):
    add_problem(clickup, "86ccc0003", priority=3)
    post_webhook(clickup, "taskCreated", "86ccc0003")
    process()
    assert pending() == []


def test_two_workers_at_once_send_each_message_exactly_once(cast, clickup, slack):
    """Two outbox workers get the same due messages at the same moment (one walks them in the
    other order); the leases DynamoDB grants decide who sends what, so nothing goes out twice."""
    import threading

    from integrations.outbox.delivery import deliver_due

    task_ids = [f"86two{i:04d}" for i in range(6)]
    for task_id in task_ids:
        add_problem(clickup, task_id, name=f"Bandsaw {task_id} - Guide bearing")
        post_webhook(clickup, "taskCreated", task_id)
    process()
    for i, task_id in enumerate(task_ids):
        assert as_(ALEX if i < 3 else "1005").post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    container = get_container()
    messages = pending()
    assert len(messages) == 2 * len(task_ids)

    barrier = threading.Barrier(2)

    class SameMomentOutbox:
        """The real repository; ``due`` waits until both workers hold the same batch."""

        def __init__(self, backwards: bool) -> None:
            self.backwards, self.calls = backwards, 0

        def __getattr__(self, name):
            return getattr(container.outbox, name)

        def due(self, now, *, limit=100):
            batch = container.outbox.due(now, limit=limit)
            self.calls += 1
            if self.calls == 1:
                barrier.wait(timeout=30)
            return list(reversed(batch)) if self.backwards else batch

    reports = []

    def worker(backwards: bool) -> None:
        reports.append(
            deliver_due(
                outbox=SameMomentOutbox(backwards), senders=container.senders(), clock=container.clock
            )
        )

    threads = [threading.Thread(target=worker, args=(b,)) for b in (False, True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    clickup.settle()
    slack.settle()
    assert sum(r.sent for r in reports) == len(messages)
    assert sum(r.busy for r in reports) >= 1  # they really met on the same messages
    assert len(slack.messages) == len(task_ids)
    for task_id in task_ids:
        puts = [r for r in clickup.requests if r.method == "PUT" and r.path == f"/api/v2/task/{task_id}"]
        assert len(puts) == 1, task_id
        assert len(clickup.comments(task_id)) == 1, task_id
    assert pending() == []
