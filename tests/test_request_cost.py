"""Every read endpoint costs exactly one DynamoDB request per call, whatever the table holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from voldash_site.container import get_container
from voldash_site.demo.data import build_demo_data
from voldash_site.dynamodb.metrics import count_calls

READS = [
    "/api/v1/health",
    "/api/v1/shops",
    "/api/v1/tasks",
    "/api/v1/tasks?limit=100",
    "/api/v1/tasks?shop=woodshop",
    "/api/v1/tasks?shop=woodshop&status=OPEN&limit=50",
    "/api/v1/tasks?status=DONE",
    "/api/v1/tasks?urgency=critical&limit=5",
    "/api/v1/tasks?shop=lasers&urgency=low",
    "/api/v1/tasks?sort=urgency",
    "/api/v1/tasks?sort=due&type=preventative",
    "/api/v1/tasks?type=facilities&sort=oldest",
    "/api/v1/tasks?shop=woodshop&status=OPEN&urgency=high&time=30_60&q=saw",
    "/api/v1/tasks/{id}",
    "/api/v1/tasks/doesnotexist",
    "/api/v1/tasks/{id}/activity",
    "/api/v1/tasks/doesnotexist/activity",
]


def _calls(client, path: str, task_id: str) -> dict[str, int]:
    with count_calls() as calls:
        response = client.get(path.replace("{id}", task_id))
    assert response.status_code in (200, 404), (path, response.content)
    return dict(calls.by_operation)


@pytest.mark.parametrize("tasks", [0, 12, 400])
def test_each_read_is_one_request(client, table, tasks):
    call_command("seed_demo", tasks=tasks, seed=7, stdout=None)
    feed = get_container().tasks.list_by_status
    from tasks.domain import TaskStatus

    first = feed(TaskStatus.OPEN, limit=1).items
    task_id = first[0].id if first else "none"
    for path in READS:
        calls = _calls(client, path, task_id)
        assert sum(calls.values()) == 1, (path, calls)


def test_following_cursors_stays_one_request_per_page(client, table):
    anchor = datetime(2026, 11, 26, tzinfo=UTC)
    call_command("seed_demo", tasks=150, seed=3, anchor=anchor)
    expected = [  # the list's one scope: OPEN tasks, whatever the filters (README: The task list)
        t.id
        for t in sorted(
            build_demo_data(tasks=150, seed=3, now=anchor).tasks, key=lambda t: t.created_at, reverse=True
        )
        if t.shop == "woodshop" and t.urgency.value == "high" and t.status.value == "OPEN"
    ]
    cursor, pages, seen = None, 0, []
    while True:
        params = {"shop": "woodshop", "urgency": "high", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        with count_calls() as calls:
            body = client.get("/api/v1/tasks", params).json()
        assert calls.total == 1
        pages += 1
        seen += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == expected
    assert pages >= len(expected) >= 1
