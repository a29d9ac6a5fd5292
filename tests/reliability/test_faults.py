"""Faults: the database going away mid-run, and every outside service misbehaving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from integrations.outbox.domain import OutboxStatus
from tasks.domain import TaskStatus
from tests.builders import a_task
from tests.conftest import _load_launcher, login
from tests.integrations.helpers import METAL, add_problem, deliver, post_webhook, process
from voldash_site.container import get_container, set_container
from voldash_site.dynamodb import items
from voldash_site.dynamodb.connection import TableConfig
from voldash_site.dynamodb.provision import ensure_table

ALEX = "1001"


@pytest.fixture
def restartable_dynamodb(table_config, settings, tmp_path):
    """A second DynamoDB Local that keeps its data on disk, so it can be stopped and restarted."""
    launcher = _load_launcher()
    port = launcher.free_port()
    state = {"proc": launcher.start(port, db_path=tmp_path)}
    config = TableConfig(
        table_name="voldash-faults", region="us-east-1", endpoint_url=f"http://127.0.0.1:{port}"
    )
    ensure_table(config)
    items.configure(config)
    settings.DYNAMODB_ENDPOINT_URL = config.endpoint_url
    settings.DYNAMODB_TABLE = config.table_name
    set_container(None)

    def stop() -> None:
        launcher.stop(state["proc"])

    def restart() -> None:
        state["proc"] = launcher.start(port, db_path=tmp_path)

    try:
        yield stop, restart
    finally:
        launcher.stop(state["proc"])
        items.configure(table_config)
        set_container(None)


def test_the_database_going_away_is_a_503_and_leaves_nothing_half_written(restartable_dynamodb, clickup):
    stop, restart = restartable_dynamodb
    from shops.use_cases import install_default_shops
    from voldash_site.demo.data import demo_volunteers

    container = get_container()
    install_default_shops(shops=container.shops)
    now = container.clock()
    for v in demo_volunteers(now.date(), now):
        container.volunteers.save(v)
    task = a_task(shop="woodshop")
    container.tasks.upsert(task)
    add_problem(clickup, "86fault01")
    alex = Client()
    login(alex, ALEX)

    stop()
    for path in (
        "/api/v1/health",
        "/api/v1/tasks",
        f"/api/v1/tasks/{task.id}",
        "/api/v1/shops",
        "/api/v1/me/stats",
    ):
        response = alex.get(path)
        assert response.status_code == 503, path
        assert response.json()["code"] == "storage_unavailable" and response["Retry-After"]
    claim = alex.post(f"/api/v1/tasks/{task.id}/claim")
    assert claim.status_code == 503 and claim.json()["code"] == "storage_unavailable"
    hook = post_webhook(clickup, "taskCreated", "86fault01")
    assert hook.status_code == 503  # not stored, so ClickUp must retry: never a 2xx
    restart()

    set_container(None)
    container = get_container()
    detail = container.tasks.get_detail(task.id)
    assert detail.task.status is TaskStatus.OPEN and detail.task.assignee is None and detail.history == ()
    assert container.volunteers.get(ALEX).open_claims == 0
    assert container.outbox.list_by_status(OutboxStatus.PENDING) == []
    assert process().processed == 0  # the refused webhook was not half-stored either
    assert post_webhook(clickup, "taskCreated", "86fault01").json()["code"] == "stored"  # ClickUp's retry
    assert process().done == 1
    assert alex.post(f"/api/v1/tasks/{task.id}/claim").status_code == 200


def advance(minutes: float) -> None:
    container = get_container()
    now = container.clock()
    container.clock = lambda: now + timedelta(minutes=minutes)


def test_outside_services_failing_then_recovering_get_everything_exactly_once(
    cast, clickup, slack, discourse, settings
):
    settings.HTTP_TIMEOUT_SECONDS = 0.5
    set_container(None)
    add_problem(
        clickup, "86fault10", shop=METAL, priority=1, name="Tormach PCNC 1100 - Spindle stalls"
    )  # major
    post_webhook(clickup, "taskCreated", "86fault10")
    tasks = []
    for i in range(4):
        tasks.append(f"86fault2{i}")
        add_problem(clickup, tasks[-1], name=f"Jointer {i} - Knives dull")
        post_webhook(clickup, "taskCreated", tasks[-1])
    process()
    alex = Client()
    login(alex, ALEX)
    for task_id in tasks[:3]:
        assert alex.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    jordan = Client()
    login(jordan, "1004")
    assert jordan.post(f"/api/v1/tasks/{tasks[3]}/claim").status_code == 200
    expected = len(get_container().outbox.list_by_status(OutboxStatus.PENDING))
    assert expected == 1 + 2 * 4  # one forum topic, and ClickUp + Slack for each claim

    clickup.fail_next("/api/v2/task/", 500, times=2)
    # ClickUp posts the comment, but answers too late for us (the POST, not the GET that a retry
    # uses to look for it first).
    clickup.delay_next("/api/v2/task/86fault21/comment", 1.5, method="POST")
    slack.fail_next("/api/chat.postMessage", 500)
    slack.rate_limit_next(retry_after=20)
    discourse.fail_next("/posts.json", 502)
    rounds = 0
    while get_container().outbox.list_by_status(OutboxStatus.PENDING) and rounds < 12:
        deliver()
        # A retry comes minutes later in real life: by then the comment ClickUp was still
        # working on when we gave up has landed. Wait for it, so the retry must find it.
        clickup.settle()
        advance(60 * (rounds + 1))
        rounds += 1
    comment_calls = [r.method for r in clickup.requests if r.path == "/api/v2/task/86fault21/comment"]
    assert comment_calls.count("POST") == 1 and comment_calls[-1] == "GET", comment_calls  # looked, found
    assert get_container().outbox.list_by_status(OutboxStatus.PENDING) == []
    assert get_container().outbox.list_by_status(OutboxStatus.FAILED) == []
    assert len(get_container().outbox.list_by_status(OutboxStatus.SENT, limit=100)) == expected
    assert len(slack.messages) == 4  # one per claim, none twice
    assert len(discourse.topics) == 1
    for fake in (clickup, slack, discourse):
        fake.settle()  # nothing still on its way that could add a second note after the asserts
    for task_id in tasks:
        assert clickup.task(task_id)["status"]["status"] == "in progress"
        assert len(clickup.comments(task_id)) == 1, task_id  # even the one that timed out
    assert rounds >= 2  # it really had to retry
