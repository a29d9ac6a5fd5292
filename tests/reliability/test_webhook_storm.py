"""1,000 ClickUp events over 100 tasks, each delivered one to three times, shuffled, 5% with
bad signatures: the copy ends equal to ClickUp, no duplicate history, nothing stored from a
bad signature."""

from __future__ import annotations

import random
from collections import Counter

from integrations.clickup.mapping import normalize_task
from tests.integrations.helpers import add_problem, post_webhook, process
from voldash_site.container import get_container

TASKS = 100
EVENTS = 1000


def stored_inbox_bodies(ddb_client, table_name: str) -> list[str]:
    """Test-only Scan: every inbox event in the table, whatever its state."""
    bodies = []
    for page in ddb_client.get_paginator("scan").paginate(TableName=table_name):
        bodies += [i["body"]["S"] for i in page["Items"] if i["PK"]["S"].startswith("INBOX#")]
    return bodies


def test_a_webhook_storm_ends_in_clickups_state(cast, clickup, ddb_client, table):
    rng = random.Random(2026)
    ids = [f"86storm{i:03d}" for i in range(TASKS)]
    events: list[bytes] = []
    for task_id in ids:
        add_problem(clickup, task_id, shop=rng.choice([0, 1, 3, 4, 5, 6, 14]))
        events.append(clickup.webhook_body("taskCreated", task_id))
    while len(events) < EVENTS:
        task_id = rng.choice(ids)
        change = rng.choice(
            [
                {"name": f"Repair {rng.randint(0, 99999)}"},
                {"priority": rng.randint(1, 4)},
                {"status": rng.choice(["Open", "in progress", "parts ordered", "Closed"])},
                {"time_estimate_ms": rng.randint(1, 8) * 1_800_000},
            ]
        )
        clickup.update_task(task_id, **change)
        events.append(clickup.webhook_body("taskUpdated", task_id))
    deliveries = [body for body in events for _ in range(rng.randint(1, 3))]
    rng.shuffle(deliveries)
    forged = set(rng.sample(range(len(deliveries)), k=len(deliveries) // 20))  # 5%
    answers: Counter[int] = Counter()
    delivered: set[bytes] = set()
    for n, body in enumerate(deliveries):
        if n in forged:  # altered in transit: the signature is of the original bytes
            tampered = body.replace(b'"history_items"', b'"history_items" ', 1)
            answers[
                post_webhook(clickup, "", "", body=tampered, signature=clickup.sign(body)).status_code
            ] += 1
        else:
            answers[post_webhook(clickup, "", "", body=body).status_code] += 1
            delivered.add(body)
    assert answers == {200: len(deliveries) - len(forged), 401: len(forged)}
    stored = stored_inbox_bodies(ddb_client, table.table_name)
    assert sorted(stored) == sorted(b.decode() for b in delivered)  # each genuine event once, no forgery

    container = get_container()
    report = process()
    assert report.failed == 0
    assert report.done + report.ignored == len(delivered)

    for task_id in ids:
        ours = container.tasks.get_detail(task_id)
        theirs = normalize_task(clickup.task(task_id), container.mapping, now=container.clock()).task
        for field in ("title", "status", "urgency", "shop", "estimate_minutes", "source_updated_ms"):
            assert getattr(ours.task, field) == getattr(theirs, field), (task_id, field)
        event_ids = [h.event_id for h in ours.history]
        assert len(event_ids) == len(set(event_ids))
        # every history entry is a real change: never two identical consecutive snapshots
        assert all(h.action.value in {"created", "updated", "reopened", "completed"} for h in ours.history)
    counts = Counter()
    for shop in container.shops.list_all():
        for status, n in shop.task_counts.items():
            counts[status] += n
    expected = Counter(container.tasks.get(t).status.value for t in ids)
    assert {k: v for k, v in counts.items() if v} == dict(expected)
