"""Claim, release and complete through the API, against DynamoDB Local."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.outbox.domain import Channel, OutboxStatus
from tasks.domain import Assignee, TaskStatus, Urgency
from tests.builders import a_task
from tests.conftest import login
from voldash_site.container import get_container
from voldash_site.dynamodb.metrics import count_calls

ALEX, PRIYA, SAM, JORDAN, MORGAN, CASEY, RILEY = "1001", "1002", "1003", "1004", "1005", "1006", "1007"


@pytest.fixture
def store(cast):
    return get_container().tasks


@pytest.fixture
def woodshop_task(store):
    task = a_task(
        shop="woodshop",
        urgency=Urgency.HIGH,
        estimate_minutes=60,
        title="Planer - Replace blades",
        list_id="901310067725",
    )
    store.upsert(task)
    return task


class JsonClient(Client):
    """Posts JSON (or nothing) like the SPA does."""

    def post(self, path, data=None, **kw):
        kw.setdefault("content_type", "application/json")
        return super().post(path, data, **kw)


def as_(neon_id: str) -> Client:
    client = JsonClient()
    login(client, neon_id)
    return client


def outbox(status: OutboxStatus = OutboxStatus.PENDING):
    return get_container().outbox.list_by_status(status)


def counts(shop: str) -> dict[str, int]:
    shop_obj = get_container().shops.get(shop)
    return {k: v for k, v in shop_obj.task_counts.items() if v}


def test_a_certified_member_claims_an_open_task(woodshop_task):
    alex = as_(ALEX)
    response = alex.post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["task"]["status"] == "IN_PROGRESS"
    assert body["task"]["assignee"] == {"id": ALEX, "name": "Alex Rivera"}
    assert body["task"]["viewer"]["is_mine"] is True
    assert body["open_claims"] == 1
    detail = alex.get(f"/api/v1/tasks/{woodshop_task.id}").json()
    assert [
        (h["action"], h["actor"], h["source"], h["from_status"], h["to_status"]) for h in detail["history"]
    ] == [("claimed", "Alex Rivera", "api", "OPEN", "IN_PROGRESS")]
    assert counts("woodshop") == {"IN_PROGRESS": 1}
    assert [c["task_id"] for c in alex.get("/api/v1/me/tasks").json()["items"]] == [woodshop_task.id]
    messages = {m.channel: m for m in outbox()}
    assert set(messages) == {Channel.CLICKUP, Channel.SLACK}
    assert messages[Channel.CLICKUP].payload["status"] == "IN_PROGRESS"
    assert messages[Channel.CLICKUP].payload["assignee"] == {
        "neon_id": ALEX,
        "name": "Alex Rivera",
        "clickup_user_id": None,
    }
    assert messages[Channel.CLICKUP].payload["list_id"] == "901310067725"
    assert messages[Channel.SLACK].payload["channel"] == "woodshop"
    assert "Alex Rivera claimed" in messages[Channel.SLACK].payload["text"]


def unchanged(task_id: str, store) -> None:
    task = store.get(task_id)
    assert task.status is TaskStatus.OPEN and task.assignee is None
    detail = store.get_detail(task_id)
    assert detail.history == ()
    assert outbox() == []


def test_anonymous_cannot_claim(woodshop_task, store):
    response = Client().post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    unchanged(woodshop_task.id, store)


def test_a_lapsed_member_is_refused(woodshop_task, store):
    response = as_(CASEY).post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    assert response.status_code == 403
    assert response.json()["code"] == "membership_inactive"
    unchanged(woodshop_task.id, store)


def test_a_member_without_the_certification_is_told_which_one(woodshop_task, store):
    response = as_(SAM).post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "missing_certifications"
    assert body["detail"] == {"missing_certifications": ["Woodshop Safety"]}
    assert "Woodshop Safety" in body["message"]
    unchanged(woodshop_task.id, store)


def test_the_open_claim_limit_holds(store):
    alex = as_(ALEX)
    tasks = [a_task(shop="general") for _ in range(4)]
    for t in tasks:
        store.upsert(t)
    for t in tasks[:3]:
        assert alex.post(f"/api/v1/tasks/{t.id}/claim").status_code == 200
    fourth = alex.post(f"/api/v1/tasks/{tasks[3].id}/claim")
    assert fourth.status_code == 403
    assert fourth.json()["code"] == "claim_limit_reached"
    assert get_container().volunteers.get(ALEX).open_claims == 3


def test_a_claimed_task_cannot_be_claimed_again(woodshop_task):
    assert as_(ALEX).post(f"/api/v1/tasks/{woodshop_task.id}/claim").status_code == 200
    second = as_(JORDAN).post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    assert second.status_code == 409
    assert second.json()["code"] == "task_not_open"


def test_an_unknown_task_is_404(cast):
    response = as_(ALEX).post("/api/v1/tasks/86nope/claim")
    assert response.status_code == 404


def test_the_holder_releases(woodshop_task, store):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    response = alex.post(f"/api/v1/tasks/{woodshop_task.id}/release", {"reason": "Need a part"})
    assert response.status_code == 200, response.content
    assert response.json()["task"]["status"] == "OPEN" and response.json()["task"]["assignee"] is None
    assert response.json()["open_claims"] == 0
    history = store.get_detail(woodshop_task.id).history
    assert [(h.action.value, h.note) for h in history] == [("released", "Need a part"), ("claimed", None)]
    assert get_container().volunteers.get(ALEX).open_claims == 0
    assert alex.get("/api/v1/me/tasks").json()["items"] == []
    assert counts("woodshop") == {"OPEN": 1}
    assert [m.payload["status"] for m in outbox() if m.channel is Channel.CLICKUP].count("OPEN") == 1


def test_someone_else_cannot_release_but_the_shop_lead_can(woodshop_task, store):
    as_(ALEX).post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    refused = as_(PRIYA).post(f"/api/v1/tasks/{woodshop_task.id}/release")
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_task"
    other_lead = as_(RILEY).post(f"/api/v1/tasks/{woodshop_task.id}/release")
    assert other_lead.status_code == 403
    lead = as_(JORDAN).post(f"/api/v1/tasks/{woodshop_task.id}/release")
    assert lead.status_code == 200
    assert store.get_detail(woodshop_task.id).history[0].actor_name == "Jordan Lee"
    assert get_container().volunteers.get(ALEX).open_claims == 0


def test_releasing_an_open_task_is_a_conflict(woodshop_task):
    response = as_(ALEX).post(f"/api/v1/tasks/{woodshop_task.id}/release")
    assert response.status_code == 409 and response.json()["code"] == "task_not_claimed"


@pytest.mark.parametrize("hours", [0, -1, 12.01, "many"])
def test_complete_needs_hours_between_0_and_12(woodshop_task, store, hours):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    response = alex.post(
        f"/api/v1/tasks/{woodshop_task.id}/complete", {"hours": hours}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "hours" in response.json()["message"]
    assert store.get(woodshop_task.id).status is TaskStatus.IN_PROGRESS


def test_completing_credits_points_and_logs_pending_hours(woodshop_task, store):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    response = alex.post(
        f"/api/v1/tasks/{woodshop_task.id}/complete",
        {"hours": 1.5, "note": "Swapped both knives"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["task"]["status"] == "DONE"
    assert response.json()["task"]["assignee"]["id"] == ALEX
    hours = alex.get("/api/v1/me/hours").json()
    assert [(h["task_id"], h["hours"], h["points"], h["status"], h["note"]) for h in hours["items"]] == [
        (woodshop_task.id, 1.5, 40, "PENDING", "Swapped both knives")
    ]
    stats = alex.get("/api/v1/me/stats").json()
    assert stats["points"] == 40 and stats["points_this_month"] == 40
    assert stats["tasks_completed"] == 1 and stats["pending_hours"] == 1.5
    assert stats["hours_this_month"] == 1.5 and stats["current_streak_days"] == 1
    board = alex.get("/api/v1/leaderboard").json()
    assert board["items"][0] == {
        "rank": 1,
        "name": "Alex Rivera",
        "points": 40,
        "hours": 1.5,
        "tasks": 1,
        "is_me": True,
    }
    assert counts("woodshop") == {"DONE": 1}
    assert get_container().volunteers.get(ALEX).open_claims == 0
    activity = alex.get("/api/v1/activity").json()["items"]
    assert [(a["action"], a["volunteer"], a["badge"]) for a in activity] == [
        ("badge_earned", "Alex Rivera", "First Fix"),  # earned in the completion's transaction
        ("completed", "Alex Rivera", None),
        ("claimed", "Alex Rivera", None),
    ]


def test_a_lead_completing_credits_the_holder(woodshop_task):
    as_(ALEX).post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    jordan = as_(JORDAN)
    assert (
        jordan.post(
            f"/api/v1/tasks/{woodshop_task.id}/complete", {"hours": 2}, content_type="application/json"
        ).status_code
        == 200
    )
    assert jordan.get("/api/v1/me/stats").json()["points"] == 0
    assert as_(ALEX).get("/api/v1/me/stats").json()["points"] == 40


def test_list_says_per_task_whether_the_viewer_can_claim(store):
    wood = a_task(shop="woodshop")
    electronics = a_task(shop="electronics")
    mine = a_task(shop="general", status=TaskStatus.IN_PROGRESS, assignee=Assignee(SAM, "Sam Okafor"))
    for t in (wood, electronics, mine):
        store.upsert(t)
    sam = as_(SAM)
    items = {t["id"]: t["viewer"] for t in sam.get("/api/v1/tasks?limit=50").json()["items"]}
    assert items[wood.id]["can_claim"] is False
    assert items[wood.id]["reason"] == "missing_certifications"
    assert items[wood.id]["missing_certifications"] == ["Woodshop Safety"]
    assert items[electronics.id] == {
        "can_claim": True,
        "reason": None,
        "message": None,
        "missing_certifications": [],
        "is_mine": False,
        "can_manage": False,
    }
    detail = sam.get(f"/api/v1/tasks/{mine.id}").json()["viewer"]
    assert detail["is_mine"] is True and detail["can_claim"] is False and detail["reason"] == "task_not_open"
    anonymous = Client().get("/api/v1/tasks").json()["items"]
    assert all(t["viewer"] is None for t in anonymous)


def test_unsafe_methods_need_the_csrf_token(woodshop_task, store):
    browser = Client(enforce_csrf_checks=True)
    login_page = browser.get("/auth/dev-login")
    token = login_page.cookies["csrftoken"].value
    browser.post("/auth/dev-login", {"neon_id": ALEX, "csrfmiddlewaretoken": token})
    refused = browser.post(f"/api/v1/tasks/{woodshop_task.id}/claim")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    unchanged(woodshop_task.id, store)
    token = browser.get("/api/v1/csrf").json()["csrf_token"]
    accepted = browser.post(f"/api/v1/tasks/{woodshop_task.id}/claim", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200


def test_a_claim_costs_two_requests_and_my_pages_one(woodshop_task):
    alex = as_(ALEX)
    get_container().shop_directory.all()  # warm the shop cache, as any running process has it
    with count_calls() as calls:
        assert alex.post(f"/api/v1/tasks/{woodshop_task.id}/claim").status_code == 200
    # The session's epoch is checked on the profile the claim reads with the task (issue 26):
    # no GetItem of its own.
    assert calls.by_operation == {"BatchGetItem": 1, "TransactWriteItems": 1}
    sam = as_(SAM)
    with count_calls() as calls:
        assert sam.post(f"/api/v1/tasks/{woodshop_task.id}/claim").status_code == 409
    assert calls.by_operation == {"BatchGetItem": 1}  # a lost race costs one read
    for path in (
        "/api/v1/me",
        "/api/v1/me/stats",
        "/api/v1/me/tasks",
        "/api/v1/me/hours",
        "/api/v1/me/hours?format=csv",
        "/api/v1/leaderboard",
        "/api/v1/activity",
        f"/api/v1/tasks/{woodshop_task.id}",
        "/api/v1/tasks?shop=woodshop",
    ):
        with count_calls() as calls:
            assert alex.get(path).status_code == 200, path
        assert calls.total == 2, (path, calls.by_operation)  # the page + the session check


def test_an_ended_session_cannot_claim_release_or_complete(woodshop_task, store):
    """The task actions check the session on the profile they read with the task: a session
    copied before logout is refused (401, cookie cleared) and nothing is written."""
    alex = as_(ALEX)
    assert alex.post(f"/api/v1/tasks/{woodshop_task.id}/claim").status_code == 200
    copy = JsonClient()
    stolen = copy.cookies["voldash_session"] = alex.cookies["voldash_session"].value
    other = a_task(shop="woodshop", title="Lathe - Belt")
    store.upsert(other)
    assert alex.post("/auth/logout", HTTP_ACCEPT="application/json").status_code == 204
    before = (store.get(woodshop_task.id), store.get(other.id), outbox())
    for path, body in (
        (f"/api/v1/tasks/{other.id}/claim", None),
        (f"/api/v1/tasks/{woodshop_task.id}/release", {}),
        (f"/api/v1/tasks/{woodshop_task.id}/complete", {"hours": 1}),
        ("/api/v1/tasks/doesnotexist/claim", None),  # not a 404: who asks comes first
    ):
        response = copy.post(path, body)
        assert response.status_code == 401, (path, response.content)
        assert response.json()["code"] == "not_authenticated"
        assert copy.cookies["voldash_session"].value == ""  # the cookie is cleared
        copy.cookies["voldash_session"] = stolen
    assert (store.get(woodshop_task.id), store.get(other.id), outbox()) == before
