"""ClickUp webhooks end to end: signature, inbox, re-read, rules, deletions, retries."""

from __future__ import annotations

import random
from datetime import timedelta

from django.test import Client

from integrations.inbox.domain import InboxStatus
from tasks.domain import TaskStatus
from tests.integrations.helpers import (
    FREQUENCY,
    FREQUENCY_OPTIONS,
    LASERS,
    METAL,
    PM,
    PURCHASES,
    WORKSPACE,
    add_problem,
    post_webhook,
    process,
)
from voldash_site.container import get_container


def feed_ids(client: Client | None = None, **params) -> list[str]:
    return [
        t["id"] for t in (client or Client()).get("/api/v1/tasks", {"limit": 100, **params}).json()["items"]
    ]


def inbox_events() -> list:
    c = get_container()
    return c.inbox.due(c.clock() + timedelta(days=365), limit=100) + c.inbox.failed()


def test_a_signed_webhook_makes_the_task_appear(cast, clickup):
    add_problem(
        clickup, "86aaa0001", shop=METAL, priority=1, estimate_min=90, name="Lathe - Chuck key missing"
    )
    response = post_webhook(clickup, "taskCreated", "86aaa0001")
    assert response.status_code == 200 and response.json()["code"] == "stored"
    assert feed_ids() == []  # stored, not yet processed
    report = process()
    assert report.done == 1
    task = Client().get("/api/v1/tasks/86aaa0001").json()
    assert (task["title"], task["shop"], task["status"], task["urgency"], task["estimate_minutes"]) == (
        "Lathe - Chuck key missing",
        "metal-shop",
        "OPEN",
        "critical",
        90,
    )
    assert task["history"][0]["action"] == "created" and task["history"][0]["source"] == "clickup"
    assert feed_ids(shop="metal-shop") == ["86aaa0001"]
    assert get_container().shops.get("metal-shop").open_tasks == 1


def test_a_bad_or_missing_signature_is_401_and_stores_nothing(cast, clickup):
    add_problem(clickup, "86aaa0002")
    body = clickup.webhook_body("taskCreated", "86aaa0002")
    assert post_webhook(clickup, "taskCreated", "86aaa0002", body=body, signature="0" * 64).status_code == 401
    tampered = body.replace(b"86aaa0002", b"86aaa0003")
    assert post_webhook(clickup, "x", "x", body=tampered, signature=clickup.sign(body)).status_code == 401
    unsigned = Client().post("/webhooks/clickup", body, content_type="application/json")
    assert unsigned.status_code == 401
    assert inbox_events() == []


def test_the_same_delivery_twice_is_processed_once(cast, clickup):
    add_problem(clickup, "86aaa0004")
    body = clickup.webhook_body("taskCreated", "86aaa0004")
    first = post_webhook(clickup, "", "", body=body)
    second = post_webhook(clickup, "", "", body=body)
    assert (first.json()["code"], second.json()["code"]) == ("stored", "duplicate")
    assert process().done == 1
    assert process().processed == 0
    assert len(get_container().tasks.get_detail("86aaa0004").history) == 1


def test_events_are_hints_out_of_order_and_replayed_events_change_nothing(cast, clickup):
    add_problem(clickup, "86aaa0005", name="First name")
    created = clickup.webhook_body("taskCreated", "86aaa0005")
    clickup.update_task("86aaa0005", name="Second name")
    renamed = clickup.webhook_body("taskUpdated", "86aaa0005")
    clickup.update_task("86aaa0005", name="Third name", priority=2)
    latest = clickup.webhook_body("taskUpdated", "86aaa0005")
    for body in (latest, created, renamed):  # arrive newest first
        post_webhook(clickup, "", "", body=body)
    process()
    detail = get_container().tasks.get_detail("86aaa0005")
    assert detail.task.title == "Third name" and detail.task.urgency.value == "high"
    assert len(detail.history) == 1  # the later events re-read the same state: stale, no entries
    history_before = detail.history
    assert get_container().inbox.replay(_event_id_for(created), get_container().clock())  # staff replay
    assert process().done == 1
    assert get_container().tasks.get("86aaa0005").title == "Third name"
    assert get_container().tasks.get_detail("86aaa0005").history == history_before


def _event_id_for(body: bytes) -> str:
    import json

    from integrations.clickup.webhooks import dedup_key

    return dedup_key(json.loads(body), body)


def test_deleted_and_moved_away_tasks_leave_the_feeds_but_are_kept(cast, clickup):
    add_problem(clickup, "86aaa0006")
    add_problem(clickup, "86aaa0007")
    for task_id in ("86aaa0006", "86aaa0007"):
        post_webhook(clickup, "taskCreated", task_id)
    process()
    assert sorted(feed_ids()) == ["86aaa0006", "86aaa0007"]
    clickup.delete_task("86aaa0006")
    post_webhook(clickup, "taskDeleted", "86aaa0006")
    clickup.update_task("86aaa0007", list_id=PURCHASES)
    post_webhook(clickup, "taskMoved", "86aaa0007")
    report = process()
    assert report.done == 2
    assert feed_ids() == []
    assert Client().get("/api/v1/tasks/86aaa0006").status_code == 404
    kept = get_container().tasks.get_detail("86aaa0006")
    assert kept.task.deleted and kept.history[0].action.value == "deleted"
    assert get_container().shops.get("woodshop").open_tasks == 0


def test_events_for_lists_we_do_not_sync_are_ignored(cast, clickup):
    clickup.add_task("86aaa0008", list_id=PURCHASES, name="Buy glue", status="in review")
    post_webhook(clickup, "taskCreated", "86aaa0008")
    report = process()
    assert report.ignored == 1
    assert get_container().tasks.get("86aaa0008") is None


def test_preventative_maintenance_tasks_sync_with_their_list_statuses(cast, clickup):
    clickup.add_task(
        "86aaa0009",
        list_id=PM,
        name="PM: Dorian - Clean mirrors",
        status="to do",
        custom_fields={"f4923783-74db-42ca-bda3-82bbca58abfe": LASERS},
    )
    post_webhook(clickup, "taskCreated", "86aaa0009")
    process()
    task = get_container().tasks.get("86aaa0009")
    assert (task.shop, task.status, task.task_type.value) == ("lasers", TaskStatus.OPEN, "preventative")
    assert task.due_at is None and task.frequency is None


def test_pm_due_dates_and_frequency_sync_and_show_as_overdue_or_due_soon(cast, clickup):
    now = get_container().clock()
    day_ms = 86_400_000
    now_ms = int(now.timestamp() * 1000)
    clickup.add_task(
        "86aaa0019",
        list_id=PM,
        name="PM: Dorian - Clean mirrors",
        status="to do",
        due_date_ms=now_ms - 2 * day_ms,
        custom_fields={WORKSPACE: LASERS, FREQUENCY: FREQUENCY_OPTIONS.index("Monthly")},
    )
    clickup.add_task(
        "86aaa0020",
        list_id=PM,
        name="PM: Fusion - Lens check",
        status="to do",
        due_date_ms=now_ms + 3 * day_ms,
        custom_fields={WORKSPACE: LASERS, FREQUENCY: FREQUENCY_OPTIONS.index("Quarterly")},
    )
    for task_id in ("86aaa0019", "86aaa0020"):
        post_webhook(clickup, "taskCreated", task_id)
    process()
    overdue = Client().get("/api/v1/tasks/86aaa0019").json()
    assert (overdue["frequency"], overdue["due_state"]) == ("Monthly", "overdue")
    assert overdue["due_at"].startswith((now - timedelta(days=2)).date().isoformat())
    page = Client().get("/api/v1/tasks", {"shop": "lasers"}).json()["items"]
    listed = {t["id"]: t["due_state"] for t in page}
    assert listed == {"86aaa0019": "overdue", "86aaa0020": "due_soon"}

    # ClickUp moves the date a month out: no longer due this week; a new history entry says so.
    clickup.update_task("86aaa0020", due_date_ms=now_ms + 30 * day_ms)
    post_webhook(clickup, "taskDueDateUpdated", "86aaa0020")
    process()
    later = Client().get("/api/v1/tasks/86aaa0020").json()
    assert later["due_state"] is None and later["due_at"] is not None
    assert later["history"][0]["action"] == "updated"


def test_a_processing_failure_is_kept_retried_and_replayable(cast, clickup):
    container = get_container()
    add_problem(clickup, "86aaa0010")
    clickup.fail_next("/api/v2/task/86aaa0010", 500, times=1)
    post_webhook(clickup, "taskCreated", "86aaa0010")
    report = process()
    assert report.failed == 1
    failed = container.inbox.failed()
    assert len(failed) == 1 and failed[0].status is InboxStatus.FAILED
    assert "HTTP 500" in failed[0].last_error and failed[0].next_attempt_at is not None
    assert process().processed == 0  # not due yet
    start = container.clock()
    container.clock = lambda: start + timedelta(hours=2)
    assert process().done == 1
    assert container.tasks.get("86aaa0010") is not None
    assert container.inbox.failed() == []


def test_automation_payloads_need_the_automation_secret(cast, clickup):
    add_problem(clickup, "86aaa0011", shop=LASERS)
    body = clickup.automation_body("86aaa0011")
    wrong = Client().post(
        "/webhooks/clickup", body, content_type="application/json", HTTP_X_VOLDASH_SECRET="nope"
    )
    assert wrong.status_code == 401
    ok = Client().post("/webhooks/clickup?secret=automation-secret", body, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["code"] == "stored"
    ping = Client().post(
        "/webhooks/clickup",
        clickup.automation_body("86aaa0011", trigger_id=None),
        content_type="application/json",
        HTTP_X_VOLDASH_SECRET="automation-secret",
    )
    assert ping.status_code == 200 and ping.json()["code"] == "ping"
    process()
    assert get_container().tasks.get("86aaa0011").shop == "lasers"


def test_webhook_bad_input_is_a_clear_4xx(cast, clickup):
    garbage = b"{not json"
    response = post_webhook(clickup, "", "", body=garbage)
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"
    not_a_task = b'{"event": "listUpdated", "list_id": "1", "webhook_id": "w"}'
    assert post_webhook(clickup, "", "", body=not_a_task).json()["code"] == "ignored"
    assert Client().get("/webhooks/clickup").status_code == 405
    assert inbox_events() == []


def test_a_burst_of_duplicated_shuffled_events_ends_in_clickups_state(cast, clickup):
    rng = random.Random(7)
    bodies = []
    ids = [f"86burst{i:02d}" for i in range(12)]
    for task_id in ids:
        add_problem(clickup, task_id, shop=rng.choice([3, 4, 5]))
        bodies.append(clickup.webhook_body("taskCreated", task_id))
    for _ in range(30):
        task_id = rng.choice(ids)
        change = rng.choice(
            [
                {"name": f"Renamed {rng.randint(0, 999)}"},
                {"priority": rng.randint(1, 4)},
                {"status": rng.choice(["Open", "parts ordered", "Closed"])},
            ]
        )
        clickup.update_task(task_id, **change)
        bodies.append(clickup.webhook_body("taskUpdated", task_id))
    deliveries = [b for b in bodies for _ in range(rng.randint(1, 3))]
    rng.shuffle(deliveries)
    for body in deliveries:
        assert post_webhook(clickup, "", "", body=body).status_code == 200
    process()
    from integrations.clickup.mapping import normalize_task

    container = get_container()
    for task_id in ids:
        ours = container.tasks.get(task_id)
        theirs = normalize_task(clickup.task(task_id), container.mapping, now=container.clock()).task
        assert (ours.title, ours.status, ours.urgency, ours.shop) == (
            theirs.title,
            theirs.status,
            theirs.urgency,
            theirs.shop,
        )
        assert ours.source_updated_ms == theirs.source_updated_ms
