"""The fake ClickUp keeps ClickUp's contracts (reference: external-apis.md §1, asmbly.md §2)."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.clickup import FakeClickUp

PROBLEM_REPORTS = "901310067725"
PM_SCHEDULE = "901310894771"
WORKSPACE_FIELD = "f4923783-74db-42ca-bda3-82bbca58abfe"
DISCOURSE_FIELD = "2683fe02-e756-4bd1-9735-fe9b6d478714"
WORKSPACES = ["3D Printing", "Electronics", "Textiles", "Lasers", "Woodshop", "Metal-Shop"]
STATUSES = [("Open", "open"), ("in progress", "custom"), ("parts ordered", "custom"), ("Closed", "closed")]
# One TLS context for every client: httpx builds a new one per client otherwise (~30 ms each).
TLS = ssl.create_default_context()


class Clock:
    """A settable clock (seconds)."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_fake(**options: Any) -> FakeClickUp:
    fake = FakeClickUp(**options)
    fake.add_list(PROBLEM_REPORTS, name="Problem Reports", statuses=STATUSES)
    fake.add_list(PM_SCHEDULE, name="PM Schedule", statuses=[("to do", "open"), ("complete", "closed")])
    fake.add_field(
        {
            "id": WORKSPACE_FIELD,
            "name": "Workspace",
            "type": "drop_down",
            "type_config": {
                "options": [
                    {"id": f"opt-{index}", "name": name, "color": "#ffffff", "orderindex": index}
                    for index, name in enumerate(WORKSPACES)
                ]
            },
        }
    )
    fake.add_field({"id": DISCOURSE_FIELD, "name": "Discourse Post", "type": "url"})
    return fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clickup(clock: Clock) -> Iterator[FakeClickUp]:
    with make_fake() as fake:
        fake.clock = clock
        fake.add_user(1001, "Ada Lovelace", "ada@example.org")
        fake.add_task(
            "86abc",
            list_id=PROBLEM_REPORTS,
            name="Table Saw 2 - Sawstop - blade will not rise",
            status="Open",
            description="Problem Type: Equipment\nWorkspace:  Woodshop",
            priority=2,
            time_estimate_ms=3_600_000,
            custom_fields={WORKSPACE_FIELD: "Woodshop", DISCOURSE_FIELD: "https://yo.asmbly.org/t/x/1"},
        )
        yield fake


@pytest.fixture
def api(clickup: FakeClickUp) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=clickup.api_url, headers={"Authorization": clickup.token}, verify=TLS
    ) as client:
        yield client


def listing(api: httpx.Client, list_id: str = PROBLEM_REPORTS, **params: Any) -> dict[str, Any]:
    response = api.get(f"/list/{list_id}/task", params=params)
    assert response.status_code == 200, response.text
    return response.json()


# -- auth and routing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "pk_wrong"}, {"Authorization": "Bearer pk_test_token"}]
)
def test_the_api_needs_the_raw_personal_token(clickup: FakeClickUp, headers: dict[str, str]) -> None:
    response = httpx.get(f"{clickup.api_url}/task/86abc", headers=headers, verify=TLS)
    assert response.status_code == 401
    assert response.json() == {"err": "Token invalid", "ECODE": "OAUTH_025"}


def test_unknown_and_deleted_tasks_are_404(clickup: FakeClickUp, api: httpx.Client) -> None:
    assert api.get("/task/nope").json() == {"err": "Task not found, deleted", "ECODE": "ITEM_013"}
    clickup.delete_task("86abc")
    response = api.get("/task/86abc")
    assert (response.status_code, response.json()["ECODE"]) == (404, "ITEM_013")
    assert api.put("/task/86abc", json={"name": "x"}).status_code == 404
    assert api.get("/list/nope/task").status_code == 404
    assert api.get("/list/nope/task").json()["err"] == "List not found"


# -- task shape --------------------------------------------------------------------------------------


def test_a_task_comes_back_in_get_task_shape(clickup: FakeClickUp, api: httpx.Client, clock: Clock) -> None:
    response = api.get("/task/86abc")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    task = response.json()
    assert task["id"] == "86abc" and task["custom_id"] is None
    assert task["name"] == "Table Saw 2 - Sawstop - blade will not rise"
    assert task["description"] == task["text_content"] == "Problem Type: Equipment\nWorkspace:  Woodshop"
    assert task["status"] == {
        "id": task["status"]["id"],
        "status": "Open",
        "color": "#d3d3d3",
        "orderindex": 0,
        "type": "open",
    }
    assert task["date_created"] == task["date_updated"] == str(int(clock.now * 1000))
    assert task["date_closed"] is None and task["date_done"] is None and task["archived"] is False
    assert set(task["creator"]) == {"id", "username", "color", "email", "profilePicture"}
    assert task["assignees"] == task["watchers"] == task["checklists"] == task["tags"] == []
    assert task["parent"] is None and task["due_date"] is None and task["start_date"] is None
    assert task["priority"] == {"id": "2", "priority": "high", "color": "#ffcc00", "orderindex": "2"}
    assert task["time_estimate"] == 3_600_000 and task["time_spent"] is None and task["points"] is None
    assert task["list"] == {"id": PROBLEM_REPORTS, "name": "Problem Reports", "access": True}
    assert set(task["folder"]) == {"id", "name", "hidden", "access"} and "id" in task["space"]
    assert task["url"] == "https://app.clickup.com/t/86abc"
    fields = {f["id"]: f for f in task["custom_fields"]}
    assert fields[WORKSPACE_FIELD]["value"] == 4  # the option's orderindex, as the real API returns it
    assert fields[WORKSPACE_FIELD]["type_config"]["options"][4]["name"] == "Woodshop"
    assert fields[DISCOURSE_FIELD]["value"] == "https://yo.asmbly.org/t/x/1"
    assert {"name", "type", "type_config", "date_created", "hide_from_guests", "required"} <= set(
        fields[DISCOURSE_FIELD]
    )


def test_unset_custom_fields_have_no_value_key(clickup: FakeClickUp, api: httpx.Client) -> None:
    clickup.add_task("86def", list_id=PM_SCHEDULE, name="Blade cleaning", status="to do")
    task = api.get("/task/86def").json()
    assert [f["id"] for f in task["custom_fields"]] == [WORKSPACE_FIELD, DISCOURSE_FIELD]
    assert all("value" not in f for f in task["custom_fields"])
    assert task["priority"] is None and task["time_estimate"] is None


def test_priorities_map_to_their_names(clickup: FakeClickUp) -> None:
    names = {}
    for priority in (1, 2, 3, 4):
        task = clickup.update_task("86abc", priority=priority)
        names[priority] = (
            task["priority"]["id"],
            task["priority"]["priority"],
            task["priority"]["orderindex"],
        )
    assert names == {
        1: ("1", "urgent", "1"),
        2: ("2", "high", "2"),
        3: ("3", "normal", "3"),
        4: ("4", "low", "4"),
    }


def test_task_returns_a_copy(clickup: FakeClickUp) -> None:
    clickup.task("86abc")["name"] = "changed"
    assert clickup.task("86abc")["name"] != "changed"


def test_list_fields_returns_the_definitions(api: httpx.Client) -> None:
    response = api.get(f"/list/{PROBLEM_REPORTS}/field")
    assert response.status_code == 200
    fields = response.json()["fields"]
    assert [f["name"] for f in fields] == ["Workspace", "Discourse Post"]
    assert all("value" not in f for f in fields)


# -- Get Tasks ---------------------------------------------------------------------------------------


def test_tasks_are_paged_by_100_from_zero(clickup: FakeClickUp, api: httpx.Client, clock: Clock) -> None:
    for number in range(1, 250):
        clock.now += 1
        clickup.add_task(f"t{number:03d}", list_id=PROBLEM_REPORTS, name=f"Task {number}", status="Open")
    pages = [listing(api, page=page) for page in range(4)]
    assert [len(p["tasks"]) for p in pages] == [100, 100, 50, 0]
    assert [p["last_page"] for p in pages] == [False, False, True, True]
    ids = [task["id"] for page in pages for task in page["tasks"]]
    assert len(set(ids)) == 250
    assert ids[0] == "t249" and ids[-1] == "86abc"  # newest first by default
    assert listing(api, page=0, reverse="true")["tasks"][0]["id"] == "86abc"


def test_closed_tasks_only_with_include_closed(clickup: FakeClickUp, api: httpx.Client) -> None:
    clickup.add_task("86cls", list_id=PROBLEM_REPORTS, name="Fixed already", status="closed")
    assert [t["id"] for t in listing(api)["tasks"]] == ["86abc"]
    assert sorted(t["id"] for t in listing(api, include_closed="true")["tasks"]) == ["86abc", "86cls"]


def test_archived_tasks_only_with_archived_true(clickup: FakeClickUp, api: httpx.Client) -> None:
    clickup.add_task("86arc", list_id=PROBLEM_REPORTS, name="Old", status="Open", archived=True)
    assert [t["id"] for t in listing(api, archived="false")["tasks"]] == ["86abc"]
    assert sorted(t["id"] for t in listing(api, archived="true")["tasks"]) == ["86abc", "86arc"]


def test_tasks_stay_in_their_home_list(clickup: FakeClickUp, api: httpx.Client) -> None:
    clickup.add_task("86pm1", list_id=PM_SCHEDULE, name="Blade cleaning", status="to do")
    assert [t["id"] for t in listing(api, PM_SCHEDULE)["tasks"]] == ["86pm1"]
    clickup.update_task("86pm1", list_id=PROBLEM_REPORTS)
    assert listing(api, PM_SCHEDULE)["tasks"] == []
    moved = api.get("/task/86pm1").json()
    assert moved["list"]["id"] == PROBLEM_REPORTS and moved["status"]["status"] == "Open"


def test_date_updated_filters_and_strictly_increasing_stamps(
    clickup: FakeClickUp, api: httpx.Client, clock: Clock
) -> None:
    # The clock stands still: updates within one millisecond still get distinct, increasing stamps.
    clickup.add_task("86b", list_id=PROBLEM_REPORTS, name="Second", status="Open")
    clickup.add_task("86c", list_id=PROBLEM_REPORTS, name="Third", status="in progress")
    stamps = [int(clickup.task(task_id)["date_updated"]) for task_id in ("86abc", "86b", "86c")]
    assert stamps == sorted(set(stamps))
    cursor = stamps[0]
    assert sorted(t["id"] for t in listing(api, date_updated_gt=cursor)["tasks"]) == ["86b", "86c"]
    assert [t["id"] for t in listing(api, date_updated_lt=stamps[1])["tasks"]] == ["86abc"]

    clock.now += 5
    bumped = int(clickup.update_task("86abc", name="Renamed")["date_updated"])
    assert bumped == int(clock.now * 1000) > stamps[-1]
    recent = listing(api, date_updated_gt=stamps[-1], order_by="updated", reverse="true")
    assert [t["id"] for t in recent["tasks"]] == ["86abc"]
    ordered = listing(api, order_by="updated", reverse="true")["tasks"]
    assert [t["id"] for t in ordered] == ["86b", "86c", "86abc"]


def test_bad_query_values_are_400(api: httpx.Client) -> None:
    assert api.get(f"/list/{PROBLEM_REPORTS}/task", params={"date_updated_gt": "soon"}).status_code == 400
    assert api.get(f"/list/{PROBLEM_REPORTS}/task", params={"order_by": "mood"}).status_code == 400


# -- Update Task -------------------------------------------------------------------------------------


def test_status_updates_match_case_insensitively(
    clickup: FakeClickUp, api: httpx.Client, clock: Clock
) -> None:
    before = int(clickup.task("86abc")["date_updated"])
    clock.now += 1
    response = api.put("/task/86abc", json={"status": "IN PROGRESS"})
    assert response.status_code == 200
    task = response.json()
    assert task["status"]["status"] == "in progress" and task["status"]["type"] == "custom"
    assert int(task["date_updated"]) > before
    assert api.get("/task/86abc").json()["status"]["status"] == "in progress"

    closed = api.put("/task/86abc", json={"status": "closed"}).json()
    assert closed["status"]["type"] == "closed" and closed["date_closed"] is not None
    assert closed["date_done"] == closed["date_closed"]
    reopened = api.put("/task/86abc", json={"status": "Open"}).json()
    assert reopened["date_closed"] is None


def test_an_unknown_status_is_400_and_changes_nothing(clickup: FakeClickUp, api: httpx.Client) -> None:
    response = api.put("/task/86abc", json={"name": "New name", "status": "done-ish"})
    assert response.status_code == 400
    assert response.json() == {"err": "Status not found", "ECODE": "CRTSK_001"}
    assert clickup.task("86abc")["name"] != "New name"


def test_put_updates_fields(clickup: FakeClickUp, api: httpx.Client) -> None:
    body = {
        "name": "Renamed",
        "description": "More",
        "priority": 1,
        "time_estimate": 600_000,
        "archived": True,
    }
    task = api.put("/task/86abc", json=body).json()
    assert (task["name"], task["description"], task["time_estimate"], task["archived"]) == (
        "Renamed",
        "More",
        600_000,
        True,
    )
    assert task["priority"]["priority"] == "urgent"
    assert api.put("/task/86abc", json={"priority": None}).json()["priority"] is None
    for bad in ({"priority": 7}, {"priority": "high"}, {"name": ""}, {"time_estimate": "1h"}):
        assert api.put("/task/86abc", json=bad).status_code == 400, bad


def test_assignees_are_added_and_removed_by_user_id(clickup: FakeClickUp, api: httpx.Client) -> None:
    clickup.add_user(1002, "Grace Hopper", "grace@example.org")
    task = api.put("/task/86abc", json={"assignees": {"add": [1001, 1002], "rem": []}}).json()
    assert [a["id"] for a in task["assignees"]] == [1001, 1002]
    assert set(task["assignees"][0]) == {"id", "username", "color", "initials", "email", "profilePicture"}
    assert task["assignees"][0]["initials"] == "AL"
    task = api.put("/task/86abc", json={"assignees": {"add": [], "rem": [1001]}}).json()
    assert [a["id"] for a in task["assignees"]] == [1002]

    response = api.put("/task/86abc", json={"assignees": {"add": [424242]}})
    assert response.status_code == 400 and response.json()["err"] == "Assignee not found"
    assert [a["id"] for a in clickup.task("86abc")["assignees"]] == [1002]


def test_assignees_filter_tasks(clickup: FakeClickUp, api: httpx.Client) -> None:
    clickup.add_task(
        "86asg",
        list_id=PROBLEM_REPORTS,
        name="Mine",
        status="Open",
        assignees=[{"id": 1001, "username": "Ada"}],
    )
    assert [t["id"] for t in listing(api, **{"assignees[]": "1001"})["tasks"]] == ["86asg"]


def test_comments_are_kept_per_task(clickup: FakeClickUp, api: httpx.Client, clock: Clock) -> None:
    response = api.post("/task/86abc/comment", json={"comment_text": "Ordered a blade", "notify_all": False})
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["id"], str) and isinstance(body["hist_id"], str)
    assert body["date"] == int(clock.now * 1000)
    assert [c["comment_text"] for c in clickup.comments("86abc")] == ["Ordered a blade"]
    assert api.post("/task/86abc/comment", json={"notify_all": True}).status_code == 400
    assert api.post("/task/nope/comment", json={"comment_text": "x"}).status_code == 404


def test_get_task_comments_lists_newest_first_in_the_documented_shape(
    clickup: FakeClickUp, api: httpx.Client, clock: Clock
) -> None:
    api.post("/task/86abc/comment", json={"comment_text": "first"})
    clock.now += 1
    clickup.add_comment("86abc", "second, by Ada", user_id=1001)
    comments = api.get("/task/86abc/comment").json()["comments"]
    assert [c["comment_text"] for c in comments] == ["second, by Ada", "first"]
    assert comments[0]["comment"] == [{"text": "second, by Ada"}]
    assert comments[0]["user"]["username"] == "Ada Lovelace" and comments[0]["resolved"] is False
    assert comments[0]["date"] == str(int(clock.now * 1000))  # epoch ms as a string


def test_a_comment_webhook_carries_the_comment_and_its_author(clickup: FakeClickUp) -> None:
    clickup.add_comment("86abc", "Blade is in", user_id=1001)
    body = json.loads(clickup.webhook_body("taskCommentPosted", "86abc"))
    item = body["history_items"][0]
    assert item["field"] == "comment" and item["after"] == item["comment"]["id"]
    assert item["comment"]["text_content"] == "Blade is in"
    assert item["comment"]["user"]["username"] == "Ada Lovelace"


def test_checklists_show_in_get_task_and_items_are_edited_by_put(
    clickup: FakeClickUp, api: httpx.Client, clock: Clock
) -> None:
    checklist = clickup.add_checklist("86abc", "Blade Cleaning", ["Unplug Machine", "Spray"])
    task = api.get("/task/86abc").json()
    assert [c["name"] for c in task["checklists"]] == ["Blade Cleaning"]
    items = task["checklists"][0]["items"]
    assert [(i["name"], i["resolved"], i["orderindex"]) for i in items] == [
        ("Unplug Machine", False, 0),
        ("Spray", False, 1),
    ]
    before = int(task["date_updated"])
    clock.now += 1
    url = f"/checklist/{checklist['id']}/checklist_item/{items[0]['id']}"
    response = api.put(url, json={"resolved": True})
    assert response.status_code == 200
    assert response.json()["checklist"]["items"][0]["resolved"] is True
    assert response.json()["checklist"]["resolved"] == 1
    assert int(clickup.task("86abc")["date_updated"]) > before
    assert api.put(url, json={"resolved": "yes"}).status_code == 400
    assert (
        api.put(f"/checklist/{checklist['id']}/checklist_item/nope", json={"resolved": True}).status_code
        == 404
    )
    assert (
        api.put(f"/checklist/nope/checklist_item/{items[0]['id']}", json={"resolved": True}).status_code
        == 404
    )


def test_tags_and_attachments_in_get_task(clickup: FakeClickUp, api: httpx.Client) -> None:
    clickup.add_task(
        "86tag", list_id=PROBLEM_REPORTS, name="x", status="Open", tags=["safety"], creator_id=1001
    )
    api.post("/task/86tag/attachment", files={"attachment": ("a.png", b"png", "image/png")})
    task = api.get("/task/86tag").json()
    assert [t["name"] for t in task["tags"]] == ["safety"]
    assert task["creator"]["username"] == "Ada Lovelace"
    assert task["attachments"][0]["url"].startswith(f"https://t{clickup.team_id}.p.clickup-attachments.com/")
    assert task["attachments"][0]["mimetype"] == "image/png"


def test_tasks_can_be_created_and_fields_set_over_the_api(clickup: FakeClickUp, api: httpx.Client) -> None:
    created = api.post(f"/list/{PROBLEM_REPORTS}/task", json={"name": "Laser - Dorian - no fire"}).json()
    assert created["status"]["status"] == "Open"
    response = api.post(f"/task/{created['id']}/field/{WORKSPACE_FIELD}", json={"value": "opt-3"})
    assert response.status_code == 200
    fields = {f["id"]: f for f in clickup.task(created["id"])["custom_fields"]}
    assert fields[WORKSPACE_FIELD]["value"] == 3
    bad = api.post(f"/task/{created['id']}/field/{WORKSPACE_FIELD}", json={"value": "Lasers"})
    assert bad.status_code == 400


def test_update_task_rejects_unknown_keywords(clickup: FakeClickUp) -> None:
    with pytest.raises(TypeError):
        clickup.update_task("86abc", colour="red")
    with pytest.raises(ValueError, match="no status"):
        clickup.update_task("86abc", status="nonsense")


# -- rate limit --------------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_reset_headers(clock: Clock) -> None:
    with make_fake(rate_limit_per_minute=3) as fake, httpx.Client(verify=TLS) as http:
        fake.clock = clock
        fake.add_task("86abc", list_id=PROBLEM_REPORTS, name="Saw", status="Open")
        headers = {"Authorization": fake.token}
        url = f"{fake.api_url}/task/86abc"
        first = http.get(url, headers=headers)
        assert first.status_code == 200
        reset = int(first.headers["X-RateLimit-Reset"])
        assert reset == math.ceil(clock.now + 60)
        assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == ("3", "2")
        clock.now += 10
        assert [http.get(url, headers=headers).status_code for _ in range(2)] == [200, 200]
        limited = http.get(url, headers=headers)
        assert limited.status_code == 429
        assert limited.json() == {"err": "Rate limit reached", "ECODE": "APP_002"}
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert int(limited.headers["X-RateLimit-Reset"]) == reset
        assert fake.max_requests_in_any_minute == 4

        clock.now = reset  # the window is over
        again = http.get(url, headers=headers)
        assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "2"
        assert http.get(url).status_code == 401  # unauthenticated requests are not counted


def test_without_a_limit_there_are_no_rate_limit_headers(api: httpx.Client) -> None:
    assert "X-RateLimit-Limit" not in api.get("/task/86abc").headers


# -- webhooks ----------------------------------------------------------------------------------------


def test_webhook_bodies_verify_with_their_signature(clickup: FakeClickUp) -> None:
    body = clickup.webhook_body("taskCreated", "86abc")
    expected = hmac.new(b"whsec_test", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(clickup.sign(body), expected)
    assert not hmac.compare_digest(clickup.sign(body + b" "), expected)


def test_task_created_has_a_status_and_a_creation_item(clickup: FakeClickUp) -> None:
    payload = json.loads(clickup.webhook_body("taskCreated", "86abc"))
    assert set(payload) == {"event", "task_id", "webhook_id", "history_items"}
    assert (payload["event"], payload["task_id"]) == ("taskCreated", "86abc")
    status, creation = payload["history_items"]
    keys = {"id", "type", "date", "field", "parent_id", "data", "source", "user", "before", "after"}
    assert set(status) == set(creation) == keys
    assert status["field"] == "status" and creation["field"] == "task_creation"
    assert status["parent_id"] == PROBLEM_REPORTS and status["source"] is None
    assert status["date"] == clickup.task("86abc")["date_created"]
    assert status["data"] == {"status_type": "open"}
    assert status["before"] == {"status": None, "color": "#000000", "type": "removed", "orderindex": -1}
    assert status["after"]["status"] == "Open" and status["after"]["type"] == "open"
    assert set(status["user"]) == {"id", "username", "email", "color", "initials", "profilePicture"}
    assert status["id"] != creation["id"]


def test_status_updated_has_before_and_after(clickup: FakeClickUp) -> None:
    clickup.update_task("86abc", status="parts ordered")
    (item,) = json.loads(clickup.webhook_body("taskStatusUpdated", "86abc"))["history_items"]
    assert item["field"] == "status" and item["data"] == {"status_type": "custom"}
    assert (item["before"]["status"], item["after"]["status"]) == ("Open", "parts ordered")
    assert item["date"] == clickup.task("86abc")["date_updated"]


def test_other_events_have_realistic_items(clickup: FakeClickUp) -> None:
    clickup.update_task("86abc", list_id=PM_SCHEDULE)
    (moved,) = json.loads(clickup.webhook_body("taskMoved", "86abc"))["history_items"]
    assert moved["field"] == "section_moved" and moved["parent_id"] == PM_SCHEDULE
    assert (moved["before"]["id"], moved["after"]["id"]) == (PROBLEM_REPORTS, PM_SCHEDULE)

    clickup.update_task("86abc", custom_fields={"Workspace": "Lasers"})
    (changed,) = json.loads(clickup.webhook_body("taskUpdated", "86abc"))["history_items"]
    assert changed["field"] == "custom_field" and changed["after"] == "opt-3"  # webhooks carry the UUID
    assert changed["custom_field"]["id"] == WORKSPACE_FIELD

    clickup.update_task("86abc", priority=1)
    (priority,) = json.loads(clickup.webhook_body("taskPriorityUpdated", "86abc"))["history_items"]
    assert priority["before"]["priority"] == "high" and priority["after"]["priority"] == "urgent"

    clickup.update_task("86abc", assignees=[{"id": 1001}])
    (assigned,) = json.loads(clickup.webhook_body("taskAssigneeUpdated", "86abc"))["history_items"]
    assert assigned["field"] == "assignee_add" and assigned["after"]["id"] == 1001

    custom = [{"id": "1", "field": "name"}]
    assert (
        json.loads(clickup.webhook_body("taskUpdated", "86abc", history_items=custom))["history_items"]
        == custom
    )


def test_task_deleted_has_no_history_items(clickup: FakeClickUp) -> None:
    clickup.delete_task("86abc")
    payload = json.loads(clickup.webhook_body("taskDeleted", "86abc"))
    assert payload == {"event": "taskDeleted", "task_id": "86abc", "webhook_id": clickup.webhook_id}
    with pytest.raises(ValueError, match="unknown task event"):
        clickup.webhook_body("taskExploded", "86abc")


def test_automation_bodies_carry_the_full_task(clickup: FakeClickUp) -> None:
    payload = json.loads(clickup.automation_body("86abc"))
    assert payload["trigger_id"] == "trig-1" and payload["id"].endswith(":main") and payload["auto_id"]
    assert payload["date"] == "2026-01-01T00:00:00.000Z"
    assert payload["payload"] == clickup.task("86abc")
    assert "trigger_id" not in json.loads(clickup.automation_body("86abc", trigger_id=None))


# -- injected failures and recording -----------------------------------------------------------------


def test_fail_next_comes_before_auth_and_counts_down(clickup: FakeClickUp, api: httpx.Client) -> None:
    clickup.fail_next("/api/v2/task/86abc", 503, times=2, headers={"Retry-After": "1"})
    first = httpx.get(f"{clickup.api_url}/task/86abc", verify=TLS)
    assert first.status_code == 503 and first.headers["Retry-After"] == "1"
    assert first.json() == {"err": "Service Unavailable", "ECODE": "FAKE_503"}
    assert api.get("/task/86abc").status_code == 503
    assert api.get("/task/86abc").status_code == 200
    clickup.fail_next("/api/v2/list/", 500, body={"err": "boom", "ECODE": "X"})
    assert api.get(f"/list/{PROBLEM_REPORTS}/task").json() == {"err": "boom", "ECODE": "X"}


def test_delay_next_makes_a_client_time_out(clickup: FakeClickUp, api: httpx.Client) -> None:
    clickup.delay_next("/api/v2/task/", 2.0)
    with pytest.raises(httpx.ReadTimeout):
        api.get("/task/86abc", timeout=0.1)
    assert api.get("/task/86abc", timeout=2).status_code == 200


def test_every_request_is_recorded(clickup: FakeClickUp, api: httpx.Client) -> None:
    api.put("/task/86abc", json={"status": "in progress"})
    (put,) = clickup.requests
    assert (put.method, put.path, put.json()) == ("PUT", "/api/v2/task/86abc", {"status": "in progress"})
    assert put.headers["authorization"] == "pk_test_token"
