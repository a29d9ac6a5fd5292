"""The read API end to end: Django + Ninja over DynamoDB Local."""

from __future__ import annotations

import pytest

from shops.repository import DynamoShopRepository
from shops.use_cases import install_default_shops
from tasks.domain import Assignee, TaskStatus, Urgency
from tests.builders import a_task
from voldash_site.container import get_container


@pytest.fixture
def store(table):
    install_default_shops(shops=DynamoShopRepository())
    return get_container().tasks


def test_health_reaches_the_table(client, table):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "table": table.table_name, "env": "test"}


def test_shops_carry_open_task_counts(client, store):
    store.upsert(a_task(shop="woodshop"))
    store.upsert(a_task(shop="woodshop", status=TaskStatus.IN_PROGRESS))
    body = client.get("/api/v1/shops").json()
    woodshop = next(s for s in body["items"] if s["slug"] == "woodshop")
    assert woodshop["open_tasks"] == 1
    assert woodshop["task_counts"]["IN_PROGRESS"] == 1
    assert woodshop["slack_channel"] == "woodshop"
    assert woodshop["required_certifications"] == [{"id": "84", "name": "Woodshop Safety"}]
    assert len(body["items"]) == 8


def test_a_task_carries_what_the_frontend_shows(client, store):
    task = a_task(
        urgency=Urgency.HIGH,
        estimate_minutes=90,
        status=TaskStatus.IN_PROGRESS,
        assignee=Assignee("1001", "Alex Rivera"),
        problem_type="Equipment",
        asset="Table Saw 2 - Sawstop",
        discourse_url="https://yo.asmbly.org/t/x/1",
        slack_url="https://asmbly-makerspace.slack.com/archives/C063LH7MB45/p1",
        contact_details="Jamie, 512-555-0100",
    )
    store.upsert(task)
    body = client.get(f"/api/v1/tasks/{task.id}").json()
    assert body == {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "shop": "woodshop",
        "status": "IN_PROGRESS",
        "urgency": "high",
        "task_type": "problem",
        "type": "problem",
        "problem_type": "Equipment",
        "summary": None,
        "details": None,
        "asset": "Table Saw 2 - Sawstop",
        "estimate_minutes": 90,
        "points": 50,  # high (30) + 2 started hours x 10
        "assignee": {"id": None, "name": "Alex Rivera"},  # anonymous: no Neon id
        "clickup_url": f"https://app.clickup.com/t/{task.id}",
        "discourse_url": "https://yo.asmbly.org/t/x/1",
        "slack_url": "https://asmbly-makerspace.slack.com/archives/C063LH7MB45/p1",
        "created_at": task.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": task.updated_at.isoformat().replace("+00:00", "Z"),
        "due_at": None,  # not a PM task
        "frequency": None,
        "due_state": None,
        "awaiting_clickup": False,
        "viewer": None,  # anonymous
        "history": [],
        "reporter": None,  # no ClickUp snapshot yet; the contact is for leads and staff only
        "attachments": [],
        "location": {"shop": "woodshop", "shop_name": "Woodshop", "asset": "Table Saw 2 - Sawstop"},
        "tags": [{"label": "Repair", "type": "info"}, {"label": "High Priority", "type": "warning"}],
        "warning": None,
        "checklist": [],
        "activity": [],
        "activity_next_cursor": None,
    }
    assert "512-555" not in str(body)  # reporter contact details never reach the public API


def test_the_default_list_is_the_open_feed_newest_first(client, store):
    older, newer = a_task(minutes_after_base=1), a_task(shop="lasers", minutes_after_base=2)
    store.upsert(older)
    store.upsert(newer)
    store.upsert(a_task(status=TaskStatus.DONE))
    body = client.get("/api/v1/tasks").json()
    assert [t["id"] for t in body["items"]] == [newer.id, older.id]
    assert body["next_cursor"] is None


def test_filters_by_shop_status_and_urgency(client, store):
    match = a_task(shop="lasers", urgency=Urgency.CRITICAL)
    store.upsert(match)
    store.upsert(a_task(shop="lasers", urgency=Urgency.LOW))
    store.upsert(a_task(shop="woodshop", urgency=Urgency.CRITICAL))
    store.upsert(a_task(shop="lasers", urgency=Urgency.CRITICAL, status=TaskStatus.DONE))
    body = client.get("/api/v1/tasks?shop=lasers&status=open&urgency=critical").json()
    assert [t["id"] for t in body["items"]] == [match.id]
    in_progress = client.get("/api/v1/tasks?status=in-progress").json()
    assert in_progress["items"] == []


def test_pages_follow_the_cursor(client, store):
    for i in range(5):
        store.upsert(a_task(minutes_after_base=i))
    first = client.get("/api/v1/tasks?limit=2").json()
    second = client.get("/api/v1/tasks", {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = client.get("/api/v1/tasks", {"limit": 2, "cursor": second["next_cursor"]}).json()
    ids = [t["id"] for page in (first, second, third) for t in page["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert third["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "status", "code", "says"),
    [
        ("limit=0", 422, "validation_error", "limit"),
        ("limit=101", 422, "validation_error", "limit"),
        ("limit=ten", 422, "validation_error", "limit"),
        ("shop=narnia", 422, "validation_error", "shop"),
        ("status=closed", 422, "validation_error", "status"),
        ("urgency=meh", 422, "validation_error", "urgency"),
        ("cursor=not-a-cursor", 400, "invalid_cursor", "cursor"),
        ("cursor=" + "A" * 3000, 422, "validation_error", "cursor"),
    ],
)
def test_bad_filters_get_a_clear_4xx(client, store, query, status, code, says):
    response = client.get(f"/api/v1/tasks?{query}")
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert says in body["message"].lower()


def test_a_cursor_from_another_filter_is_refused(client, store):
    for i in range(3):
        store.upsert(a_task(minutes_after_base=i))
    cursor = client.get("/api/v1/tasks?limit=1").json()["next_cursor"]
    response = client.get("/api/v1/tasks", {"limit": 1, "cursor": cursor, "shop": "woodshop"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_an_unknown_task_is_a_404_json(client, store):
    response = client.get("/api/v1/tasks/86nothere")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No task with id '86nothere'.",
        "detail": {"id": "86nothere"},
    }


def test_a_deleted_task_is_a_404(client, store):
    task = a_task()
    store.upsert(task.with_changes(deleted=True))
    assert client.get(f"/api/v1/tasks/{task.id}").status_code == 404


def test_a_malformed_task_id_is_a_422(client, store):
    response = client.get("/api/v1/tasks/bad%20id%3B%20DROP")
    assert response.status_code == 422
    assert "task_id" in response.json()["message"]


def test_unknown_paths_are_json_404s(client, table):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_swagger_ui_is_served(client, table):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_storage_outage_is_a_503_json(client, table, settings):
    from voldash_site.container import set_container
    from voldash_site.dynamodb import items
    from voldash_site.dynamodb.connection import TableConfig

    dead = TableConfig(table_name=table.table_name, region="us-east-1", endpoint_url="http://127.0.0.1:9")
    items.configure(dead)
    set_container(None)
    try:
        for path in ("/api/v1/tasks", "/api/v1/shops", "/api/v1/tasks/abc", "/api/v1/health"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.json()["code"] == "storage_unavailable"
            assert response["Retry-After"] == "5"
    finally:
        items.configure(table)
