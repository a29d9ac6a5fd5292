"""Staff pages through Django's test client (the browser tests are in test_browser.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from integrations.outbox.domain import OutboxStatus
from tasks.domain import TaskStatus
from tests.builders import a_task, store_held_task
from tests.conftest import login
from voldash_site.container import get_container

ALEX, SAM, JORDAN, MORGAN, CASEY, RILEY = "1001", "1003", "1004", "1005", "1006", "1007"


def as_(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


@pytest.fixture
def tasks(cast):
    store = get_container().tasks
    wood = a_task(shop="woodshop", title="Planer - Replace blades", contact_details="Jamie, 512-555-0142")
    laser = a_task(shop="lasers", title="Dorian - Mirror dirty")
    for t in (wood, laser):
        store.upsert(t)
    held = store_held_task("86heldjnt", holder_id=ALEX, holder_name="Alex Rivera", title="Jointer - Knives")
    return {"wood": wood, "laser": laser, "held": held}


@pytest.mark.parametrize(
    "path",
    [
        "/staff/",
        "/staff/tasks/",
        "/staff/sync/",
        "/staff/volunteers/",
        "/staff/hours/",
        "/staff/shops/",
        "/staff/announcements/",
    ],
)
def test_who_gets_in(tasks, path):
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/staff/login?next=")
    assert as_(ALEX).get(path).status_code == 403  # a volunteer
    assert as_(CASEY).get(path).status_code == 403
    assert as_(JORDAN).get(path).status_code == 200  # woodshop lead
    assert as_(MORGAN).get(path).status_code == 200  # staff


def test_a_lead_sees_only_their_shops(tasks):
    jordan = as_(JORDAN)
    listing = jordan.get("/staff/tasks/").content.decode()
    assert tasks["wood"].id in listing and tasks["laser"].id not in listing
    assert jordan.get(f"/staff/tasks/{tasks['laser'].id}/").status_code == 404
    assert jordan.get("/staff/tasks/?shop=lasers").content.decode().count(tasks["laser"].id) == 0
    riley = as_(RILEY)
    assert riley.get(f"/staff/tasks/{tasks['wood'].id}/").status_code == 404
    staff = as_(MORGAN).get("/staff/tasks/?shop=lasers").content.decode()
    assert tasks["laser"].id in staff


def test_task_detail_shows_contact_details_and_history_to_the_lead(tasks):
    page = as_(JORDAN).get(f"/staff/tasks/{tasks['wood'].id}/").content.decode()
    assert "512-555-0142" in page and "Planer - Replace blades" in page
    assert 'action="/staff/tasks/' in page and "Re-sync from ClickUp now" in page


def test_search_by_title_and_by_id(tasks):
    jordan = as_(JORDAN)
    by_title = jordan.get("/staff/tasks/", {"q": "planer"}).content.decode()
    assert tasks["wood"].id in by_title and tasks["held"].id not in by_title
    by_id = jordan.get("/staff/tasks/", {"q": tasks["held"].id}).content.decode()
    assert tasks["held"].id in by_id and tasks["wood"].id not in by_id


def test_reassign_checks_eligibility_and_records_the_override(tasks):
    jordan = as_(JORDAN)
    url = f"/staff/tasks/{tasks['wood'].id}/reassign"
    refused = jordan.post(url, {"assignee": SAM, "reason": ""}, follow=True).content.decode()
    assert "Woodshop Safety" in refused
    assert get_container().tasks.get(tasks["wood"].id).assignee is None
    no_reason = jordan.post(url, {"assignee": SAM, "override": "on"}, follow=True).content.decode()
    assert "needs a reason" in no_reason
    done = jordan.post(
        url, {"assignee": SAM, "override": "on", "reason": "Sam is training with me"}, follow=True
    )
    assert "now with Sam Okafor" in done.content.decode()
    detail = get_container().tasks.get_detail(tasks["wood"].id)
    assert detail.task.assignee.neon_id == SAM and detail.task.status is TaskStatus.IN_PROGRESS
    entry = detail.history[0]
    assert (entry.action.value, entry.source.value, entry.actor_name) == ("reassigned", "staff", "Jordan Lee")
    assert entry.note == "override (missing_certifications): Sam is training with me"
    channels = {m.channel.value for m in get_container().outbox.list_by_status(OutboxStatus.PENDING)}
    assert channels == {"clickup", "slack", "notice"}  # the write-back, the shop's note, Sam's notice
    assert get_container().volunteers.get(SAM).open_claims == 1


def test_bulk_release_and_csrf_on_forms(tasks):
    browser = Client(enforce_csrf_checks=True)
    token = browser.get("/auth/dev-login").cookies["csrftoken"].value
    browser.post("/auth/dev-login", {"neon_id": JORDAN, "csrfmiddlewaretoken": token})
    no_token = browser.post("/staff/tasks/bulk", {"action": "release", "ids": [tasks["held"].id]})
    assert no_token.status_code == 403
    done = browser.post(
        "/staff/tasks/bulk",
        {
            "action": "release",
            "ids": [tasks["held"].id, tasks["laser"].id],
            "release-reason": "Alex is away",
            "release-confirm": "on",
            "csrfmiddlewaretoken": token,
        },
        follow=True,
    )
    text = done.content.decode()
    assert "done for 1 (Jointer - Knives)" in text
    assert "1 selected row(s) not found or not in your shops" in text  # not Jordan's shop
    task = get_container().tasks.get_detail(tasks["held"].id)
    assert task.task.assignee is None and task.history[0].note == "Alex is away"
    assert get_container().volunteers.get(ALEX).open_claims == 0


def test_hours_review_from_the_volunteer_page(tasks):
    alex = as_(ALEX)
    alex.post(f"/api/v1/tasks/{tasks['held'].id}/complete", {"hours": 2}, content_type="application/json")
    jordan = as_(JORDAN)
    page = jordan.get(f"/staff/volunteers/{ALEX}/").content.decode()
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    queue = jordan.get("/staff/hours/").content.decode()
    assert queue.count("<tr data-id=") == 1 and "Jointer - Knives" in queue
    reject_without_reason = jordan.post(
        f"/staff/volunteers/{ALEX}/review", {"key": key, "decision": "reject"}, follow=True
    ).content.decode()
    assert "needs a reason" in reject_without_reason
    jordan.post(f"/staff/volunteers/{ALEX}/review", {"key": key, "decision": "approve"})
    stats = alex.get("/api/v1/me/stats").json()
    assert stats["pending_hours"] == 0 and stats["hours_lifetime"] == 2
    assert alex.get("/api/v1/me/hours").json()["items"][0]["status"] == "APPROVED"
    again = jordan.post(f"/staff/volunteers/{ALEX}/review", {"key": key, "decision": "approve"}, follow=True)
    assert "already approved" in again.content.decode()
    history = get_container().tasks.get_detail(tasks["held"].id).history
    assert history[0].action.value == "hours_approved" and history[0].actor_name == "Jordan Lee"


def test_a_lead_of_another_shop_cannot_review(tasks):
    as_(ALEX).post(
        f"/api/v1/tasks/{tasks['held'].id}/complete", {"hours": 1}, content_type="application/json"
    )
    key = get_container().volunteers.hours(ALEX).items[0].key
    response = as_(RILEY).post(
        f"/staff/volunteers/{ALEX}/review", {"key": key, "decision": "approve"}, follow=True
    )
    assert "Only a lead of this shop" in response.content.decode()
    assert get_container().volunteers.hours(ALEX).items[0].status.value == "PENDING"


def test_shops_are_editable_by_staff_only(tasks):
    form = {
        "name": "Wood Shop",
        "slack_channel": "C0WOOD001",
        "leads": ["1004", "1001"],
        "certification_rule": "any",
        "required_certifications": ["84"],
    }
    refused = as_(JORDAN).post("/staff/shops/woodshop/edit", form)
    assert refused.status_code == 404
    assert as_(MORGAN).post("/staff/shops/woodshop/edit", form).status_code == 302
    shop = get_container().shops.get("woodshop")
    assert shop.name == "Wood Shop" and shop.leads == ("1004", "1001") and shop.slack_channel == "C0WOOD001"
    bad = as_(MORGAN).post(
        "/staff/shops/woodshop/edit", {**form, "slack_channel": "#bad channel!"}, follow=True
    )
    # The refusal itself (the form's field names are on the page anyway), and nothing saved.
    assert "Slack channel: Enter a valid value." in bad.content.decode()
    assert get_container().shops.get("woodshop").slack_channel == "C0WOOD001"


def test_announcements_are_created_served_and_expired(tasks):
    morgan = as_(MORGAN)
    morgan.post(
        "/staff/announcements/",
        {
            "title": "Woodshop closed Sunday",
            "message": "Floor refinishing.",
            "kind": "warning",
            "days": 3,
            "shop": "woodshop",
        },
    )
    served = Client().get("/api/v1/announcements").json()["items"]
    assert [(a["title"], a["type"], a["shop"]) for a in served] == [
        ("Woodshop closed Sunday", "warning", "woodshop")
    ]
    morgan.post("/staff/announcements/", {"expire": served[0]["id"]})
    assert Client().get("/api/v1/announcements").json()["items"] == []
    refused = as_(JORDAN).post(
        "/staff/announcements/",
        {"title": "x", "message": "y", "kind": "info", "days": 1, "shop": "lasers"},
        follow=True,
    )
    # The refusal itself (the word "shop" is on the page anyway), and nothing published.
    assert "shop: Select a valid choice. lasers is not one of the available choices." in (
        refused.content.decode()
    )
    assert Client().get("/api/v1/announcements").json()["items"] == []


def test_dashboard_shows_sync_health_and_open_tasks(tasks):
    page = as_(MORGAN).get("/staff/").content.decode()
    assert 'data-tile="failed-events">0<' in page
    assert "Woodshop" in page and "Lasers" in page
    lead_page = as_(JORDAN).get("/staff/").content.decode()
    assert "Lasers" not in lead_page
