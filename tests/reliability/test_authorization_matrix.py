"""Every endpoint and staff page against every kind of caller, and CSRF on every unsafe method.

Callers: anonymous; a non-member (Casey, lapsed); a volunteer (Alex, woodshop-certified); a
lead of another shop (Riley, lasers); the lead of the shop (Jordan, woodshop); staff (Morgan).
Each case runs on a fresh table: a woodshop task held by Alex and an open woodshop task.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from tests.builders import a_task, store_held_task
from voldash_site.container import get_container

ROLES = ["anonymous", "non_member", "volunteer", "other_lead", "lead", "staff"]
NEON_IDS = {"non_member": "1006", "volunteer": "1001", "other_lead": "1007", "lead": "1004", "staff": "1005"}
OPEN, HELD = "86authopen", "86authheld"
STEP = "stepmatrix1"  # a checklist step of the held task
CONTACT = "Pat 512-555-0199"  # the open task's reporter contact (leads of the shop and staff)


EVENT, MESSAGE, WOOD_NOTICE = "ev-matrix-wood", "msgmatrixwood", "annwood0001"
# Yesterday in Austin: never in the future, whenever the suite runs.
_YESTERDAY = (datetime.now(ZoneInfo("America/Chicago")) - timedelta(days=1)).date().isoformat()
SELF_REPORT = {"kind": "general", "date": _YESTERDAY, "hours": 1, "shop": "woodshop", "description": "matrix"}


@pytest.fixture
def world(cast):
    from datetime import timedelta

    from integrations.inbox.domain import InboxEvent, Source
    from integrations.outbox.domain import Channel, OutboxMessage, OutboxStatus
    from shops.domain import Announcement, AnnouncementKind
    from tasks.domain import ChecklistStep, TaskExtras

    c = get_container()
    c.tasks.upsert(a_task(id=OPEN, shop="woodshop", contact_details=CONTACT))
    store_held_task(HELD, holder_id="1001", holder_name="Alex Rivera")
    steps = (ChecklistStep(STEP, "cl1", "Blade Cleaning", "Unplug Machine", False),)
    c.uow.commit([c.tasks.extras_write(HELD, TaskExtras(checklist=steps))])
    now = c.clock()
    # A failed webhook event and a failed outbox message about the woodshop task (/staff/sync/).
    event = InboxEvent(EVENT, Source.CLICKUP, "taskUpdated", OPEN, "{}", now)
    c.inbox.store(event)
    c.inbox.fail(c.inbox.get(EVENT), "matrix", None, now)
    message = OutboxMessage(Channel.CLICKUP, "task.claimed", OPEN, {}, now, id=MESSAGE)
    c.uow.commit(c.outbox.enqueue_writes([message]))
    c.outbox.mark(message, OutboxStatus.FAILED, now, detail="matrix")
    # A woodshop announcement.
    c.announcements.save(
        Announcement(
            id=WOOD_NOTICE,
            title="Woodshop closed Sunday",
            message="Floor refinishing.",
            kind=AnnouncementKind.WARNING,
            created_at=now,
            expires_at=now + timedelta(days=3),
            created_by="Jordan Lee",
            shop="woodshop",
        )
    )


def caller(role: str) -> Client:
    """A browser-like client: CSRF enforced, token taken from the cookie like the SPA does."""
    client = Client(enforce_csrf_checks=True)
    token = client.get("/api/v1/csrf").json()["csrf_token"]
    if role != "anonymous":
        client.post("/auth/dev-login", {"neon_id": NEON_IDS[role], "csrfmiddlewaretoken": token})
        token = client.cookies["csrftoken"].value
    client.defaults["HTTP_X_CSRFTOKEN"] = token
    return client


def call(client: Client, method: str, path: str, body: dict | None = None):
    if method == "GET":
        return client.get(path)
    if method == "PATCH":
        return client.patch(path, json.dumps(body or {}), content_type="application/json")
    if path.startswith("/api/"):
        return client.post(path, json.dumps(body or {}), content_type="application/json")
    return client.post(path, body or {})


MEMBER_ONLY = {
    "anonymous": 401,
    "non_member": 200,
    "volunteer": 200,
    "other_lead": 200,
    "lead": 200,
    "staff": 200,
}
EVERYONE = dict.fromkeys(ROLES, 200)
# Commenting needs an active membership (issue 23, finding 9): a lapsed member is refused.
MEMBER_WRITE = {**MEMBER_ONLY, **{r: 201 for r in ROLES if r != "anonymous"}, "non_member": 403}
HOLDER_ONLY = {
    "anonymous": 401,
    "non_member": 403,
    "volunteer": 200,
    "other_lead": 403,
    "lead": 403,  # leads release or complete; ticking steps is the holder's own
    "staff": 403,
}
HOLDER_OR_LEAD = {
    "anonymous": 401,
    "non_member": 403,
    "volunteer": 200,
    "other_lead": 403,
    "lead": 200,
    "staff": 200,
}
STAFF_PAGE = {
    "anonymous": 302,
    "non_member": 403,
    "volunteer": 403,
    "other_lead": 200,
    "lead": 200,
    "staff": 200,
}
SHOP_PAGE = {
    "anonymous": 302,
    "non_member": 403,
    "volunteer": 403,
    "other_lead": 404,
    "lead": 200,
    "staff": 200,
}
SHOP_ACTION = {
    "anonymous": 302,
    "non_member": 403,
    "volunteer": 403,
    "other_lead": 404,
    "lead": 302,
    "staff": 302,
}
STAFF_ONLY_ACTION = {
    "anonymous": 302,
    "non_member": 403,
    "volunteer": 403,
    "other_lead": 404,
    "lead": 404,
    "staff": 302,
}

SYNC_ACTION = SHOP_ACTION  # a lead of another shop: 404, whether the item exists or not

MATRIX = [
    ("GET", "/api/v1/health", None, EVERYONE),
    ("GET", "/api/v1/shops", None, EVERYONE),
    ("GET", "/api/v1/tasks", None, EVERYONE),
    ("GET", "/api/v1/tasks?type=problem&sort=urgency&counts=true&q=saw", None, EVERYONE),
    ("GET", f"/api/v1/tasks/{OPEN}", None, EVERYONE),
    ("GET", f"/api/v1/tasks/{OPEN}/activity", None, EVERYONE),
    ("POST", f"/api/v1/tasks/{OPEN}/comments", {"text": "matrix"}, MEMBER_WRITE),
    ("POST", f"/api/v1/tasks/{HELD}/checklist/{STEP}", {"resolved": True}, HOLDER_ONLY),
    ("PATCH", f"/api/v1/tasks/{HELD}/checklist/{STEP}", {"resolved": False}, HOLDER_ONLY),
    ("GET", "/api/v1/announcements", None, EVERYONE),
    ("GET", "/api/v1/csrf", None, EVERYONE),
    ("GET", "/api/v1/me", None, MEMBER_ONLY),
    ("GET", "/api/v1/me/stats", None, MEMBER_ONLY),
    ("GET", "/api/v1/me/tasks", None, MEMBER_ONLY),
    ("GET", "/api/v1/me/hours", None, MEMBER_ONLY),
    ("GET", "/api/v1/me/hours/summary", None, MEMBER_ONLY),
    (
        "POST",
        "/api/v1/me/hours",
        SELF_REPORT,
        {"anonymous": 401, "non_member": 403, "volunteer": 201, "other_lead": 201, "lead": 201, "staff": 201},
    ),
    ("GET", "/api/v1/leaderboard", None, MEMBER_ONLY),
    ("GET", "/api/v1/activity", None, MEMBER_ONLY),
    (
        "POST",
        f"/api/v1/tasks/{OPEN}/claim",
        None,
        {"anonymous": 401, "non_member": 403, "volunteer": 200, "other_lead": 403, "lead": 200, "staff": 200},
    ),
    ("POST", f"/api/v1/tasks/{HELD}/release", {}, HOLDER_OR_LEAD),
    ("POST", f"/api/v1/tasks/{HELD}/complete", {"hours": 1}, HOLDER_OR_LEAD),
    ("POST", "/auth/logout", {}, dict.fromkeys(ROLES, 302)),
    ("GET", "/staff/", None, STAFF_PAGE),
    ("GET", "/staff/tasks/", None, STAFF_PAGE),
    ("GET", f"/staff/tasks/{HELD}/", None, SHOP_PAGE),
    ("GET", "/staff/sync/", None, STAFF_PAGE),
    ("GET", "/staff/volunteers/", None, STAFF_PAGE),
    ("GET", "/staff/volunteers/1001/", None, STAFF_PAGE),
    ("GET", "/staff/hours/", None, STAFF_PAGE),
    ("GET", "/staff/shops/", None, STAFF_PAGE),
    ("GET", "/staff/shops/woodshop/", None, STAFF_PAGE),
    ("GET", "/staff/announcements/", None, STAFF_PAGE),
    ("GET", "/staff/rewards/", None, {**STAFF_PAGE, "other_lead": 403, "lead": 403}),
    (
        "POST",
        "/staff/rewards/",
        {"monthly_goal_hours": "20", "programs": "[]"},
        {"anonymous": 302, "non_member": 403, "volunteer": 403, "other_lead": 403, "lead": 403, "staff": 302},
    ),
    ("POST", f"/staff/tasks/{HELD}/release", {"reason": "matrix", "confirm": "on"}, SHOP_ACTION),
    ("POST", f"/staff/tasks/{OPEN}/reassign", {"assignee": "1004", "reason": "matrix"}, SHOP_ACTION),
    ("POST", f"/staff/tasks/{HELD}/resync", {}, SHOP_ACTION),
    ("POST", "/staff/sync/", {"replay": EVENT}, SYNC_ACTION),
    ("POST", "/staff/sync/", {"retry": MESSAGE}, SYNC_ACTION),
    ("POST", "/staff/volunteers/1001/signout", {}, STAFF_ONLY_ACTION),
    (
        "POST",
        "/staff/shops/woodshop/edit",
        {"name": "Woodshop", "slack_channel": "woodshop", "leads": "1004", "certification_rule": "any"},
        STAFF_ONLY_ACTION,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
def test_who_may_do_what(world, clickup, role, method, path, body, expected):
    response = call(caller(role), method, path, body)
    assert response.status_code == expected[role], (role, method, path, response.content[:300])
    if response.status_code == 302 and role == "anonymous" and path.startswith("/staff/"):
        assert response["Location"].startswith("/staff/login")


UNSAFE = [(m, p, b) for m, p, b, _ in MATRIX if m in ("POST", "PATCH")] + [
    ("POST", "/staff/announcements/", {"title": "Closed Sunday", "message": "x", "kind": "info", "days": 1}),
    ("POST", "/staff/volunteers/1001/review", {"key": "x", "decision": "approve"}),
    ("POST", "/staff/tasks/bulk", {"action": "release", "ids": [HELD]}),
    ("POST", "/staff/sync/", {"replay": "x"}),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), UNSAFE, ids=[f"{p} {sorted(b or {})}" for _, p, b in UNSAFE]
)
def test_every_unsafe_method_needs_the_csrf_token(world, clickup, method, path, body):
    staff = caller("staff")
    del staff.defaults["HTTP_X_CSRFTOKEN"]
    response = call(staff, method, path, body)
    assert response.status_code == 403, (path, response.content[:200])
    assert json.loads(response.content)["code"] == "csrf_failed"
    task = get_container().tasks.get(HELD)
    assert task.assignee.neon_id == "1001"  # nothing happened


def test_webhooks_refuse_bad_credentials(world, clickup, settings):
    settings.NEON_WEBHOOK_USERNAME, settings.NEON_WEBHOOK_PASSWORD = "neon", "s3cret"
    body = b'{"event": "taskCreated", "task_id": "86x", "history_items": [{"id": "1"}]}'
    assert Client().post("/webhooks/clickup", body, content_type="application/json").status_code == 401
    assert (
        Client()
        .post("/webhooks/clickup", body, content_type="application/json", HTTP_X_SIGNATURE="00")
        .status_code
        == 401
    )
    assert (
        Client().post("/webhooks/clickup?secret=wrong", body, content_type="application/json").status_code
        == 401
    )
    assert Client().post("/webhooks/neon", b"{}", content_type="application/json").status_code == 401
    assert (
        Client()
        .post(
            "/webhooks/neon",
            b"{}",
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic bmVvbjp3cm9uZw==",
        )
        .status_code
        == 401
    )


# --- who sees which field of a task's detail (README: Who sees what) -------------------------

READERS = {**NEON_IDS, "member": "1003"}  # Sam: a member with no part in the task
PERSON_NOTES = ("completion note: key under the mat", "rejection: no hours on a Sunday", "release: stuck")
MACHINE_NOTE = "taskUpdated: title"


@pytest.fixture
def private_history(world):
    from datetime import UTC, datetime, timedelta

    from tasks.domain import HistoryAction, HistoryEntry, HistorySource, TaskStatus

    c = get_container()
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def entry(n, action, source, actor_id, actor_name, note, hours=None):
        return HistoryEntry(
            task_id=HELD,
            at=at + timedelta(minutes=n),
            action=action,
            source=source,
            actor_id=actor_id,
            actor_name=actor_name,
            from_status=TaskStatus.IN_PROGRESS,
            to_status=TaskStatus.IN_PROGRESS,
            assignee_id="1001",
            assignee_name="Alex Rivera",
            note=note,
            hours=hours,
            event_id=f"vis{n}",
            task_title="Held",
            shop="woodshop",
        )

    entries = [
        entry(1, HistoryAction.COMPLETED, HistorySource.API, "1001", "Alex Rivera", PERSON_NOTES[0], 2.5),
        entry(
            2, HistoryAction.HOURS_REJECTED, HistorySource.STAFF, "1004", "Jordan Lee", PERSON_NOTES[1], 2.5
        ),
        entry(3, HistoryAction.RELEASED, HistorySource.API, "1001", "Alex Rivera", PERSON_NOTES[2]),
        entry(4, HistoryAction.UPDATED, HistorySource.CLICKUP, None, "ClickUp", MACHINE_NOTE),
    ]
    c.uow.commit([c.tasks.history_write(e) for e in entries])


# reader -> (sees notes people wrote, sees machine notes and hours and Neon ids)
VISIBILITY = {
    "anonymous": (False, False),
    "non_member": (False, True),
    "member": (False, True),
    "volunteer": (True, True),  # the person the entries are about
    "other_lead": (False, True),
    "lead": (True, True),
    "staff": (True, True),
}


@pytest.mark.parametrize("reader", list(VISIBILITY))
def test_who_sees_which_field_of_a_task(private_history, reader):
    client = Client()
    if reader != "anonymous":
        client.post("/auth/dev-login", {"neon_id": READERS[reader]})
    body = client.get(f"/api/v1/tasks/{HELD}").json()
    people_notes, signed_in = VISIBILITY[reader]
    notes = {h["note"] for h in body["history"]} - {None}
    hours = [h["hours"] for h in body["history"] if h["hours"] is not None]
    assert len(body["history"]) == 4
    assert (set(PERSON_NOTES) <= notes) is people_notes and not (
        set(PERSON_NOTES) & notes and not people_notes
    )
    assert (MACHINE_NOTE in notes) is signed_in
    assert (hours == [2.5, 2.5]) is signed_in and (hours == []) is (not signed_in)
    assert (body["assignee"]["id"] == "1001") is signed_in and (body["assignee"]["id"] is None) is (
        not signed_in
    )
    assert body["assignee"]["name"] == "Alex Rivera"  # who holds a task is public
    listed = next(
        t for t in client.get("/api/v1/tasks", {"status": "IN_PROGRESS"}).json()["items"] if t["id"] == HELD
    )
    assert (listed["assignee"]["id"] == "1001") is signed_in
    # the filtered, sorted, counted list (tasks/feed.py) shows the same fields to the same readers
    filtered = client.get(
        "/api/v1/tasks", {"status": "IN_PROGRESS", "sort": "urgency", "type": "problem", "counts": "true"}
    ).json()
    listed_too = next(t for t in filtered["items"] if t["id"] == HELD)
    assert (listed_too["assignee"]["id"] == "1001") is signed_in
    assert listed_too["assignee"]["name"] == "Alex Rivera"
    if reader == "anonymous":
        raw = json.dumps(body)
        assert "1001" not in raw and "1004" not in raw and not any(n in raw for n in PERSON_NOTES)


# --- logout ends sessions server-side ----------------------------------------------------------


def _copy_of(client: Client) -> Client:
    thief = Client()
    thief.cookies["voldash_session"] = client.cookies["voldash_session"].value
    return thief


def test_a_session_cookie_copied_before_logout_no_longer_works(private_history):
    alex = caller("volunteer")
    copy = _copy_of(alex)
    assert copy.get("/api/v1/me").status_code == 200  # the copy works while the session lives
    assert alex.post("/auth/logout", HTTP_ACCEPT="application/json").status_code == 204
    assert copy.get("/api/v1/me").status_code == 401
    assert copy.get("/api/v1/me/hours").status_code == 401
    detail = copy.get(f"/api/v1/tasks/{HELD}").json()  # read as anonymous now
    assert detail["viewer"] is None and all(h["note"] is None for h in detail["history"])
    # A fresh login works again.
    again = caller("volunteer")
    assert again.get("/api/v1/me").status_code == 200


def test_a_lead_session_copied_before_logout_cannot_open_the_staff_pages(world):
    jordan = caller("lead")
    copy = _copy_of(jordan)
    assert copy.get("/staff/").status_code == 200
    jordan.post("/auth/logout", HTTP_ACCEPT="application/json")
    response = copy.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login")
    assert copy.post(f"/staff/tasks/{HELD}/release", {"reason": "x"}).status_code in (302, 403)
    assert get_container().tasks.get(HELD).assignee.neon_id == "1001"


def test_a_stale_session_cannot_sign_the_person_out_again(world):
    alex = caller("volunteer")
    stale = _copy_of(alex)
    alex.post("/auth/logout", HTTP_ACCEPT="application/json")
    fresh = caller("volunteer")
    token = stale.get("/api/v1/csrf").json()["csrf_token"]
    stale.post("/auth/logout", HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN=token)
    assert fresh.get("/api/v1/me").status_code == 200


def test_staff_sign_a_person_out_everywhere(world):
    phone, laptop = caller("volunteer"), caller("volunteer")
    assert phone.get("/api/v1/me").status_code == 200 and laptop.get("/api/v1/me").status_code == 200
    refused = caller("lead").post("/staff/volunteers/1001/signout", {})
    assert refused.status_code == 404  # leads cannot
    assert phone.get("/api/v1/me").status_code == 200
    done = caller("staff").post("/staff/volunteers/1001/signout", {})
    assert done.status_code == 302
    assert phone.get("/api/v1/me").status_code == 401 and laptop.get("/api/v1/me").status_code == 401
    assert caller("volunteer").get("/api/v1/me").status_code == 200


def test_the_session_check_costs_anonymous_readers_nothing(world):
    from voldash_site.dynamodb import metrics

    with metrics.count_calls() as calls:
        assert Client().get("/api/v1/tasks").status_code == 200
    assert calls.total == 1
    alex = caller("volunteer")
    with metrics.count_calls() as calls:
        assert alex.get("/api/v1/tasks").status_code == 200
    assert calls.total == 2  # the page, and the profile that proves the session is still valid


# --- GET on every action URL: never acts ------------------------------------------------------

ACTION_URLS = sorted({p for _, p, _ in UNSAFE})


def _get_expected(role: str, path: str) -> set[int]:
    if path == "/api/v1/me/hours":  # a GET there is the member's hours log
        return {401} if role == "anonymous" else {200}
    if not path.startswith("/staff/"):
        return {405}
    if role == "anonymous":
        return {302}
    if role in ("non_member", "volunteer"):
        return {403}
    if path == "/staff/rewards/":  # the page you GET; staff only
        return {200} if role == "staff" else {403}
    if path in ("/staff/sync/", "/staff/announcements/"):
        return {200}  # these pages are also the list you GET
    return {404, 405}  # not yours (404) or wrong method (405)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ACTION_URLS)
def test_get_on_an_action_url_changes_nothing(world, clickup, role, path):
    c = get_container()
    before = (c.tasks.get(HELD), c.tasks.get(OPEN), c.inbox.get(EVENT).status, c.outbox.get(MESSAGE).status)
    response = caller(role).get(path)
    assert response.status_code in _get_expected(role, path), (role, path, response.status_code)
    if response.status_code == 302:
        assert response["Location"].startswith("/staff/login")
    after = (c.tasks.get(HELD), c.tasks.get(OPEN), c.inbox.get(EVENT).status, c.outbox.get(MESSAGE).status)
    assert after == before


# --- announcements: a lead expires their own shop's only --------------------------------------


@pytest.mark.parametrize(
    ("role", "expired"),
    [("other_lead", False), ("lead", True), ("staff", True), ("volunteer", False), ("anonymous", False)],
)
def test_expiring_another_shops_announcement_is_refused(world, role, expired):
    response = caller(role).post("/staff/announcements/", {"expire": WOOD_NOTICE}, follow=role != "anonymous")
    served = [a["id"] for a in Client().get("/api/v1/announcements").json()["items"]]
    assert (WOOD_NOTICE not in served) is expired
    if role == "other_lead":
        assert "No such announcement that you may change." in response.content.decode()


@pytest.mark.parametrize("reader", list(VISIBILITY))
def test_who_sees_the_reporter_contact(world, reader):
    client = Client()
    if reader != "anonymous":
        client.post("/auth/dev-login", {"neon_id": READERS[reader]})
    body = client.get(f"/api/v1/tasks/{OPEN}").json()
    contact = (body["reporter"] or {}).get("contact")
    assert (contact == CONTACT) is (reader in ("lead", "staff")), (reader, body["reporter"])
    if reader not in ("lead", "staff"):
        assert CONTACT not in json.dumps(body)
