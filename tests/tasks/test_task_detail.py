"""The task detail screen (issue 14 item 2), comments (item 3) and checklist ticks (issue 18
item 1), at the HTTP boundary against DynamoDB Local, with ClickUp faked at its HTTP boundary."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest
from django.test import Client

from integrations.outbox.domain import OutboxStatus
from tasks.domain import CRITICAL_WARNING, SAFETY_WARNING
from tests.conftest import login
from tests.integrations.helpers import CONTACT, add_problem, deliver, post_webhook, process
from voldash_site.container import get_container, set_container
from voldash_site.dynamodb.metrics import count_calls
from voldash_site.errors import WriteRefused

ALEX, SAM, JORDAN, MORGAN, RILEY = "1001", "1003", "1004", "1005", "1007"
T = "86detail1"


class JsonClient(Client):
    def post(self, path, data=None, **kw):
        return super().post(path, json.dumps(data) if data is not None else None, "application/json", **kw)

    def patch(self, path, data=None, **kw):
        return super().patch(path, json.dumps(data) if data is not None else None, "application/json", **kw)


def as_(neon_id: str | None) -> JsonClient:
    client = JsonClient()
    if neon_id:
        login(client, neon_id)
    return client


def sync(clickup, task_id: str = T, event: str = "taskUpdated") -> None:
    assert post_webhook(clickup, event, task_id).status_code == 200
    process()


def queued(action: str) -> list:
    return [m for m in get_container().outbox.list_by_status(OutboxStatus.PENDING) if m.action == action]


def detail(task_id: str = T, who: str | None = None) -> dict:
    response = as_(who).get(f"/api/v1/tasks/{task_id}")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def pm_task(cast, clickup):
    """A woodshop task with a two-step checklist, synced; returns the ClickUp item ids."""
    add_problem(clickup, T)
    checklist = clickup.add_checklist(T, "Blade Cleaning", ["Unplug Machine", "Spray Simple Green"])
    sync(clickup, event="taskCreated")
    return [item["id"] for item in checklist["items"]]


# -- the detail ------------------------------------------------------------------------------------


def test_the_detail_has_what_the_screen_shows(cast, clickup):
    clickup.add_user(555, "Jane Doe", "jane@asmbly.org")
    add_problem(clickup, T, priority=1, tags=["Safety", "blade"], creator_id=555)
    clickup.update_task(T, custom_fields={CONTACT: "Jane 512-555-0100"})
    clickup.add_checklist(T, "Blade Cleaning", ["Unplug Machine", "Spray Simple Green"])
    httpx.post(
        f"{clickup.api_url}/task/{T}/attachment",
        headers={"Authorization": clickup.token},
        files={"attachment": ("blade.jpg", b"\xff\xd8jpeg", "image/jpeg")},
    ).raise_for_status()
    # What a hostile or odd attachment would look like: never handed to the frontend.
    with clickup._lock:
        clickup._tasks[T].attachments += [
            dict(clickup._tasks[T].attachments[0], title="x", url="javascript:alert(1)"),
            dict(clickup._tasks[T].attachments[0], title="y", url="https://evil.example/a.png"),
            dict(clickup._tasks[T].attachments[0], title="z", url="http://t1.p.clickup-attachments.com/z"),
        ]
    sync(clickup, event="taskCreated")

    d = detail()
    assert d["reporter"] == {"name": "Jane Doe", "role": "Problem report form", "contact": None}
    assert [a["title"] for a in d["attachments"]] == ["blade.jpg"]
    assert d["attachments"][0]["is_image"] is True
    assert d["attachments"][0]["url"].startswith(f"https://t{clickup.team_id}.p.clickup-attachments.com/")
    assert d["location"] == {"shop": "woodshop", "shop_name": "Woodshop", "asset": "Table Saw 2"}
    assert d["tags"] == [
        {"label": "Repair", "type": "info"},
        {"label": "Critical", "type": "warning"},
        {"label": "Safety Critical", "type": "warning"},
        {"label": "blade", "type": "info"},
    ]
    assert d["warning"] == SAFETY_WARNING
    assert d["estimate_minutes"] == 60 and d["points"] == 60
    assert [(s["checklist"], s["name"], s["resolved"]) for s in d["checklist"]] == [
        ("Blade Cleaning", "Unplug Machine", False),
        ("Blade Cleaning", "Spray Simple Green", False),
    ]
    assert [a["variant"] for a in d["activity"]] == ["system"]  # created
    # The reporter's contact: the leads of the task's shop and staff only.
    assert detail(who=JORDAN)["reporter"]["contact"] == "Jane 512-555-0100"
    assert detail(who=MORGAN)["reporter"]["contact"] == "Jane 512-555-0100"
    for who in (ALEX, RILEY):
        assert detail(who=who)["reporter"]["contact"] is None


def test_a_critical_repair_warns_without_a_safety_tag(cast, clickup):
    add_problem(clickup, T, priority=1)
    sync(clickup, event="taskCreated")
    d = detail()
    assert d["warning"] == CRITICAL_WARNING
    assert {"label": "Safety Critical", "type": "warning"} not in d["tags"]
    add_problem(clickup, "86detail2", priority=3)
    sync(clickup, "86detail2", event="taskCreated")
    assert detail("86detail2")["warning"] is None


def test_the_detail_stays_one_request_with_comments_ticks_and_history(pm_task, clickup):
    alex = as_(ALEX)
    assert alex.post(f"/api/v1/tasks/{T}/claim").status_code == 200
    assert alex.post(f"/api/v1/tasks/{T}/checklist/{pm_task[0]}", {"resolved": True}).status_code == 200
    for i in range(30):
        assert alex.post(f"/api/v1/tasks/{T}/comments", {"text": f"note {i}"}).status_code == 201
    client = Client()
    with count_calls() as calls:
        response = client.get(f"/api/v1/tasks/{T}")
    assert response.status_code == 200
    assert dict(calls.by_operation) == {"Query": 1}
    d = response.json()
    assert d["checklist"][0]["resolved"] is True and d["reporter"]["name"] == "Maintenance Bot"
    assert len(d["activity"]) == 20 and d["activity_next_cursor"]
    with count_calls() as calls:
        page = client.get(f"/api/v1/tasks/{T}/activity", {"cursor": d["activity_next_cursor"]})
    assert dict(calls.by_operation) == {"Query": 1}
    assert page.status_code == 200, page.content


def test_the_activity_feed_mixes_comments_and_events_newest_first_and_pages(pm_task, clickup):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{T}/claim")
    for i in range(22):
        alex.post(f"/api/v1/tasks/{T}/comments", {"text": f"comment {i}"})
    alex.post(f"/api/v1/tasks/{T}/checklist/{pm_task[1]}", {"resolved": True})
    d = detail()
    first = d["activity"]
    assert first[0]["variant"] == "system" and first[0]["action"] == "step_checked"
    assert first[0]["text"] == "Alex Rivera ticked a step: Spray Simple Green"
    assert [a["text"] for a in first[1:20]] == [f"comment {i}" for i in range(21, 2, -1)]
    assert all(a["variant"] == "user" and a["author"] == "Alex Rivera" for a in first[1:20])
    seen, cursor = list(first), d["activity_next_cursor"]
    while cursor:
        page = as_(None).get(f"/api/v1/tasks/{T}/activity", {"cursor": cursor, "limit": 2}).json()
        seen += page["items"]
        cursor = page["next_cursor"]
    assert [a["text"] for a in seen[20:23]] == ["comment 2", "comment 1", "comment 0"]
    assert [a["action"] for a in seen[23:]] == ["claimed", "created"]
    assert [a["at"] for a in seen] == sorted((a["at"] for a in seen), reverse=True)
    assert len({a["id"] for a in seen}) == len(seen) == 25
    # The first page of /activity is the detail's activity.
    assert as_(None).get(f"/api/v1/tasks/{T}/activity").json()["items"] == first


def test_activity_of_a_missing_task_and_a_foreign_cursor(pm_task, clickup):
    assert as_(None).get("/api/v1/tasks/86nosuch/activity").status_code == 404
    add_problem(clickup, "86detail2")
    sync(clickup, "86detail2", event="taskCreated")
    alex = as_(ALEX)
    for i in range(21):
        alex.post("/api/v1/tasks/86detail2/comments", {"text": f"c{i}"})
    cursor = detail("86detail2")["activity_next_cursor"]
    response = as_(None).get(f"/api/v1/tasks/{T}/activity", {"cursor": cursor})
    assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"


# -- comments --------------------------------------------------------------------------------------


def comment_posts(clickup, task_id: str = T) -> list[str]:
    return [r.method for r in clickup.requests if r.path == f"/api/v2/task/{task_id}/comment"]


def test_a_comment_shows_at_once_and_reaches_clickup_exactly_once(pm_task, clickup):
    sam = as_(SAM)
    response = sam.post(f"/api/v1/tasks/{T}/comments", {"text": "  I'll look at <b>it</b> tomorrow\x07  "})
    assert response.status_code == 201, response.content
    item = response.json()["item"]
    assert item["variant"] == "user" and item["author"] == "Sam Okafor"
    assert item["text"] == "I'll look at <b>it</b> tomorrow"  # plain text: the frontend escapes it
    assert detail()["activity"][0] == item
    deliver()
    deliver()
    posted = clickup.comments(T)
    assert len(posted) == 1
    assert posted[0]["comment_text"].startswith("Sam Okafor (volunteer dashboard): I'll look at <b>it</b>")
    assert "[voldash:" in posted[0]["comment_text"]
    # ClickUp tells us about our own comment: it is not shown twice.
    sync(clickup, event="taskCommentPosted")
    users = [a for a in detail()["activity"] if a["variant"] == "user"]
    assert users == [item]


def test_a_comment_whose_answer_was_lost_is_not_posted_again(pm_task, clickup, settings):
    settings.HTTP_TIMEOUT_SECONDS = 0.5
    set_container(None)
    assert as_(SAM).post(f"/api/v1/tasks/{T}/comments", {"text": "Blade ordered"}).status_code == 201
    clickup.delay_next(f"/api/v2/task/{T}/comment", 1.5, method="POST")  # ClickUp acts, answers late
    deliver()
    clickup.settle()
    container = get_container()
    now = container.clock()
    container.clock = lambda: now + timedelta(hours=1)
    deliver()
    assert comment_posts(clickup).count("POST") == 1
    assert len(clickup.comments(T)) == 1
    assert [m.action for m in container.outbox.list_by_status(OutboxStatus.SENT)].count("task.comment") == 1


def test_clickup_comments_by_others_arrive_once(pm_task, clickup):
    clickup.add_user(777, "Pat Facilities", "pat@asmbly.org")
    clickup.add_comment(T, "New blade is in <script>alert(1)</script> bin A4", user_id=777)
    body = clickup.webhook_body("taskCommentPosted", T)
    for _ in range(2):  # ClickUp retries the same delivery
        post_webhook(clickup, "taskCommentPosted", T, body=body)
    process()
    sync(clickup, event="taskUpdated")
    comments = [a for a in detail()["activity"] if a["variant"] == "user"]
    assert len(comments) == 1
    assert comments[0]["author"] == "Pat Facilities" and comments[0]["source"] == "clickup"
    assert comments[0]["text"] == "New blade is in <script>alert(1)</script> bin A4"


def test_a_replayed_comment_event_stores_nothing_new(pm_task, clickup):
    clickup.add_user(777, "Pat Facilities", "pat@asmbly.org")
    clickup.add_comment(T, "Checked the fence", user_id=777)
    first = clickup.webhook_body("taskCommentPosted", T)
    post_webhook(clickup, "taskCommentPosted", T, body=first)
    process()
    # The same comment in a new delivery (new history item id): still one comment.
    payload = json.loads(first)
    payload["history_items"][0]["id"] = "999" + payload["history_items"][0]["id"]
    again = json.dumps(payload).encode()
    post_webhook(clickup, "taskCommentPosted", T, body=again)
    process()
    assert [a["text"] for a in detail()["activity"] if a["variant"] == "user"] == ["Checked the fence"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "   \n\t "}, 422, "validation_error"),
        ({"text": ""}, 422, "validation_error"),
        ({"text": "x" * 4001}, 422, "validation_error"),
        ({"text": 5}, 422, "validation_error"),
        ({}, 422, "validation_error"),
    ],
)
def test_bad_comments_are_refused_and_change_nothing(pm_task, clickup, body, status, code):
    response = as_(SAM).post(f"/api/v1/tasks/{T}/comments", body)
    assert response.status_code == status and response.json()["code"] == code
    assert [a for a in detail()["activity"] if a["variant"] == "user"] == []
    assert queued("task.comment") == []


def test_comments_need_a_session_and_a_task(pm_task, clickup):
    assert as_(None).post(f"/api/v1/tasks/{T}/comments", {"text": "hi"}).status_code == 401
    response = as_(SAM).post("/api/v1/tasks/86nosuch/comments", {"text": "hi"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert queued("task.comment") == []


# -- checklist ticks -------------------------------------------------------------------------------


def test_the_holder_ticks_a_step_and_clickup_follows_once(pm_task, clickup):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{T}/claim")
    response = alex.post(f"/api/v1/tasks/{T}/checklist/{pm_task[0]}", {"resolved": True})
    assert response.status_code == 200, response.content
    assert [s["resolved"] for s in response.json()["checklist"]] == [True, False]
    assert [s["resolved"] for s in detail()["checklist"]] == [True, False]  # stored at once
    assert clickup.checklist_item(T, pm_task[0])["resolved"] is False  # not yet in ClickUp
    deliver()
    deliver()
    assert clickup.checklist_item(T, pm_task[0])["resolved"] is True
    puts = [r for r in clickup.requests if r.path.startswith("/api/v2/checklist/")]
    assert len(puts) == 1 and json.loads(puts[0].body) == {"resolved": True}
    # PATCH unticks it the same way.
    response = alex.patch(f"/api/v1/tasks/{T}/checklist/{pm_task[0]}", {"resolved": False})
    assert response.status_code == 200 and response.json()["checklist"][0]["resolved"] is False
    deliver()
    assert clickup.checklist_item(T, pm_task[0])["resolved"] is False


def test_only_the_holder_ticks_and_only_while_in_progress(pm_task, clickup):
    url = f"/api/v1/tasks/{T}/checklist/{pm_task[0]}"
    alex, sam, jordan = as_(ALEX), as_(SAM), as_(JORDAN)
    assert as_(None).post(url, {"resolved": True}).status_code == 401
    response = alex.post(url, {"resolved": True})  # nobody holds it yet
    assert response.status_code == 403 and response.json()["code"] == "not_your_task"
    alex.post(f"/api/v1/tasks/{T}/claim")
    for other in (sam, jordan):
        response = other.post(url, {"resolved": True})
        assert response.status_code == 403 and response.json()["code"] == "not_your_task"
    response = alex.post(f"/api/v1/tasks/{T}/checklist/nosuchitem", {"resolved": True})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert alex.post(url, {"resolved": "maybe"}).status_code == 422
    clickup.update_task(T, status="parts ordered")  # ON_HOLD, still Alex's
    sync(clickup)
    response = alex.post(url, {"resolved": True})
    assert response.status_code == 409 and response.json()["code"] == "task_not_in_progress"
    assert [s["resolved"] for s in detail()["checklist"]] == [False, False]
    assert queued("task.checklist") == []


def test_a_tick_is_refused_by_dynamodb_once_the_holder_lost_the_task(pm_task, clickup):
    """The condition itself: a tick prepared while Alex held the task is refused after release."""
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{T}/claim")
    c = get_container()
    held = c.tasks.get_detail(T)
    alex.post(f"/api/v1/tasks/{T}/release", {})
    step = held.extras.checklist[0]
    writes = c.tasks.tick_writes(held.task, step, resolved=True, holder_id=ALEX, at_ms=1, by_name="Alex")
    with pytest.raises(WriteRefused) as refused:
        c.uow.commit(writes)
    assert "holder" in refused.value.tags
    assert [s.resolved for s in c.tasks.get_detail(T).extras.steps()] == [False, False]


def test_clickup_ticks_arrive_through_the_sync_and_win_when_newer(pm_task, clickup):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{T}/claim")
    alex.post(f"/api/v1/tasks/{T}/checklist/{pm_task[0]}", {"resolved": True})
    # A ClickUp snapshot older than our tick (our write-back not delivered yet) keeps ours.
    sync(clickup)
    assert [s["resolved"] for s in detail()["checklist"]] == [True, False]
    deliver()
    # Someone in ClickUp, later, unticks ours and ticks the other.
    later = time.time() + 5
    clickup.clock = lambda: later
    clickup.set_checklist_item(T, pm_task[0], resolved=False)
    clickup.set_checklist_item(T, pm_task[1], resolved=True)
    sync(clickup)
    assert [s["resolved"] for s in detail()["checklist"]] == [False, True]


def test_a_comment_event_waiting_with_other_events_is_not_folded_into_their_read(pm_task, clickup):
    """Events about one task share one re-read; a comment event carries its data, so it is
    handled on its own even when a newer event about the task waits with it."""
    clickup.add_user(777, "Pat Facilities", "pat@asmbly.org")
    clickup.add_comment(T, "Fence realigned", user_id=777)
    post_webhook(clickup, "taskCommentPosted", T)
    clickup.update_task(T, name="Table Saw 2 - Blade is dull (fence too)")
    post_webhook(clickup, "taskUpdated", T)
    process()
    d = detail()
    assert d["title"] == "Table Saw 2 - Blade is dull (fence too)"
    assert [a["text"] for a in d["activity"] if a["variant"] == "user"] == ["Fence realigned"]


def test_ticks_retried_out_of_order_leave_clickup_with_the_latest(pm_task, clickup):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{T}/claim")
    url = f"/api/v1/tasks/{T}/checklist/{pm_task[0]}"
    assert alex.post(url, {"resolved": True}).status_code == 200
    assert alex.post(url, {"resolved": False}).status_code == 200
    clickup.fail_next("/api/v2/checklist/", 500)  # the tick's write-back fails; the untick's lands
    deliver()
    assert clickup.checklist_item(T, pm_task[0])["resolved"] is False
    container = get_container()
    now = container.clock()
    container.clock = lambda: now + timedelta(hours=1)
    deliver()  # the tick's retry comes after the untick: it must not win
    assert clickup.checklist_item(T, pm_task[0])["resolved"] is False
    assert not queued("task.checklist")
    assert [s["resolved"] for s in detail()["checklist"]] == [False, False]
