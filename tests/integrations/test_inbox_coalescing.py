"""Events for the same task waiting together in the inbox are satisfied by one fresh read of
``GET /task/{id}`` (issue 12, defect 4): a burst costs ClickUp reads per task, not per event."""

from __future__ import annotations

from datetime import timedelta

from integrations.clickup.mapping import normalize_task
from integrations.inbox.domain import InboxStatus
from tests.integrations.helpers import add_problem, post_webhook, process
from voldash_site.container import get_container

TASKS, PER_TASK = 30, 5  # 150 events: more than one batch of 100


def _reads(clickup, since: int) -> list[str]:
    return [
        r.path for r in clickup.requests[since:] if r.method == "GET" and r.path.startswith("/api/v2/task/")
    ]


def _storm(clickup) -> tuple[list[str], list[bytes]]:
    ids = [f"86coal{i:03d}" for i in range(TASKS)]
    for task_id in ids:
        add_problem(clickup, task_id)
    bodies = [clickup.webhook_body("taskCreated", task_id) for task_id in ids]
    for round_ in range(1, PER_TASK):
        for task_id in ids:  # round-robin: each batch of 100 holds many different tasks
            clickup.update_task(task_id, name=f"Table Saw 2 - revision {round_}")
            bodies.append(clickup.webhook_body("taskUpdated", task_id))
    for body in bodies:
        assert post_webhook(clickup, "", "", body=body).status_code == 200
    return ids, bodies


def test_a_storm_of_five_events_per_task_costs_one_read_per_task(cast, clickup):
    ids, bodies = _storm(clickup)
    start = len(clickup.requests)
    report = process()
    reads = _reads(clickup, start)
    assert report.done == len(bodies) and report.failed == 0
    assert len(reads) == TASKS, f"{len(reads)} reads for {len(bodies)} events"
    assert len(reads) / len(bodies) <= 0.3
    container = get_container()
    for task_id in ids:
        ours = container.tasks.get(task_id)
        theirs = normalize_task(clickup.task(task_id), container.mapping, now=container.clock()).task
        assert ours.title == theirs.title == f"Table Saw 2 - revision {PER_TASK - 1}"
        assert ours.source_updated_ms == theirs.source_updated_ms
        assert len(container.tasks.get_detail(task_id).history) == 1  # created once, from the fresh read


def test_an_event_after_the_read_gets_its_own_read(cast, clickup):
    ids, _ = _storm(clickup)
    process()
    clickup.update_task(ids[0], name="Table Saw 2 - after the burst")
    post_webhook(clickup, "taskUpdated", ids[0])
    start = len(clickup.requests)
    assert process().done == 1
    assert _reads(clickup, start) == [f"/api/v2/task/{ids[0]}"]
    assert get_container().tasks.get(ids[0]).title == "Table Saw 2 - after the burst"


def test_a_failed_read_fails_every_event_it_stood_for_and_one_read_retries_them(cast, clickup):
    add_problem(clickup, "86coalf01")
    post_webhook(clickup, "taskCreated", "86coalf01")
    for i in range(3):
        clickup.update_task("86coalf01", name=f"Lathe - chuck key lost {i}")
        post_webhook(clickup, "taskUpdated", "86coalf01")
    clickup.fail_next("/api/v2/task/86coalf01", 500, times=1)
    container = get_container()
    report = process()
    assert report.failed == 4 and report.done == 0
    assert {e.status for e in container.inbox.failed()} == {InboxStatus.FAILED}
    start = len(clickup.requests)
    now = container.clock()
    container.clock = lambda: now + timedelta(hours=2)
    assert process().done == 4
    assert len(_reads(clickup, start)) == 1
    assert container.tasks.get("86coalf01").title == "Lathe - chuck key lost 2"
