"""Leads act on their shops only, on current data: removing a lead revokes at once, the sync
page shows and acts on a lead's shops only, contact details follow work in the lead's shops,
and nobody reviews their own hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.test import Client

from integrations.inbox.domain import InboxEvent, InboxStatus, Source
from integrations.outbox.domain import Channel, OutboxMessage, OutboxStatus
from tests.builders import a_task, store_held_task
from tests.conftest import login
from voldash_site.container import get_container
from volunteers.domain import HoursEntry, HoursStatus

ALEX, SAM, JORDAN, MORGAN, RILEY = "1001", "1003", "1004", "1005", "1007"
HELD = "86scopeheld"


def as_(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


def api_post(client: Client, path: str, body: str = "{}"):
    token = client.get("/api/v1/csrf").json()["csrf_token"]
    return client.post(path, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)


@pytest.fixture
def held(cast):
    return store_held_task(HELD, holder_id=ALEX, holder_name="Alex Rivera")


# --- item 5: authority from current shop data ---------------------------------------------


def test_a_lead_removed_from_a_shops_leads_loses_access_at_once(held):
    jordan = as_(JORDAN)  # logged in while still a lead
    assert jordan.get("/staff/").status_code == 200
    morgan = as_(MORGAN)
    edit = morgan.post(
        "/staff/shops/woodshop/edit",
        {"name": "Woodshop", "slack_channel": "woodshop", "leads": [], "certification_rule": "any"},
    )
    assert edit.status_code == 302
    assert get_container().shops.get("woodshop").leads == ()
    assert jordan.get("/staff/").status_code == 403
    assert jordan.get(f"/staff/tasks/{HELD}/").status_code == 403
    assert jordan.post(f"/staff/tasks/{HELD}/release", {"reason": "x"}).status_code == 403
    refused = api_post(jordan, f"/api/v1/tasks/{HELD}/release")
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_task"
    assert get_container().tasks.get(HELD).assignee.neon_id == ALEX


def test_staff_pages_read_the_shops_not_the_profiles_copy(held):
    """Even when the profile still says "lead" (a change made elsewhere), the shop decides."""
    jordan = as_(JORDAN)
    c = get_container()
    c.shops.save(replace(c.shops.get("woodshop"), leads=()))
    assert "woodshop" in c.volunteers.get(JORDAN).lead_of  # the profile's copy is stale
    assert jordan.get("/staff/").status_code == 403
    assert jordan.post(f"/staff/tasks/{HELD}/release", {"reason": "x"}).status_code == 403
    assert c.tasks.get(HELD).assignee.neon_id == ALEX


def test_a_lead_added_to_a_shop_gets_access_at_once(held):
    sam = as_(SAM)
    assert sam.get("/staff/").status_code == 403
    as_(MORGAN).post(
        "/staff/shops/woodshop/edit",
        {
            "name": "Woodshop",
            "slack_channel": "woodshop",
            "leads": [JORDAN, SAM],
            "certification_rule": "any",
        },
    )
    assert sam.get("/staff/").status_code == 200
    assert sam.get(f"/staff/tasks/{HELD}/").status_code == 200
    assert api_post(sam, f"/api/v1/tasks/{HELD}/release").status_code == 200


# --- item 9: nobody reviews their own hours -------------------------------------------------


def _pending_hours(neon_id: str, name: str, task_id: str) -> str:
    c = get_container()
    entry = HoursEntry(
        neon_id=neon_id,
        task_id=task_id,
        task_title="Own work",
        shop="woodshop",
        hours=3.0,
        points=30,
        completed_at=datetime(2026, 11, 3, 12, tzinfo=UTC),
    )
    c.uow.commit(c.volunteers.complete_writes(neon_id, name, entry, recorded=False))  # no claim held
    [stored] = c.volunteers.hours(neon_id, limit=5).items
    return stored.key


@pytest.mark.parametrize(("who", "name"), [(JORDAN, "Jordan Lee"), (MORGAN, "Morgan Chen")])
def test_nobody_approves_their_own_hours(cast, who, name):
    key = _pending_hours(who, name, "86ownhours")
    me = as_(who)
    page = me.post(f"/staff/volunteers/{who}/review", {"key": key, "decision": "approve"}, follow=True)
    assert "Nobody reviews their own hours" in page.content.decode()
    [entry] = get_container().volunteers.hours(who, limit=5).items
    assert entry.status is HoursStatus.PENDING
    bulk = me.post("/staff/hours/bulk", {"action": "approve", "ids": [f"{who}~{key}"]}, follow=True)
    assert "Nobody reviews their own hours" in bulk.content.decode()
    assert get_container().volunteers.hours(who, limit=5).items[0].status is HoursStatus.PENDING
    other = MORGAN if who == JORDAN else JORDAN
    as_(other).post(f"/staff/volunteers/{who}/review", {"key": key, "decision": "approve"})
    assert get_container().volunteers.hours(who, limit=5).items[0].status is HoursStatus.APPROVED


# --- item 8: the sync page and contact details, by shop -------------------------------------


@pytest.fixture
def sync_items(cast):
    c = get_container()
    now = c.clock()
    wood, laser = a_task(id="86syncwood", shop="woodshop"), a_task(id="86synclaser", shop="lasers")
    for t in (wood, laser):
        c.tasks.upsert(t)
    events = {}
    for name, subject, source in (
        ("wood", wood.id, Source.CLICKUP),
        ("laser", laser.id, Source.CLICKUP),
        ("neon", "2042", Source.NEON),
    ):
        event = InboxEvent(
            id=f"ev-{name}", source=source, kind="taskUpdated", subject_id=subject, body="{}", received_at=now
        )
        c.inbox.store(event)
        c.inbox.fail(c.inbox.get(event.id), f"boom-{name}", None, now)
        events[name] = event.id
    messages = {}
    for name, task in (("wood", wood), ("laser", laser)):
        message = OutboxMessage(
            channel=Channel.CLICKUP, action="task.claimed", task_id=task.id, payload={}, created_at=now
        )
        c.uow.commit(c.outbox.enqueue_writes([message]))
        c.outbox.mark(message, OutboxStatus.FAILED, now, detail=f"fail-{name}")
        messages[name] = message.id
    return events, messages


def test_a_lead_sees_only_their_shops_items_on_the_sync_page(sync_items):
    page = as_(RILEY).get("/staff/sync/").content.decode()  # lasers lead
    assert "boom-laser" in page and "fail-laser" in page
    assert "boom-wood" not in page and "fail-wood" not in page and "boom-neon" not in page
    staff = as_(MORGAN).get("/staff/sync/").content.decode()
    assert all(f in staff for f in ("boom-laser", "boom-wood", "boom-neon", "fail-laser", "fail-wood"))


def test_a_lead_cannot_replay_or_retry_another_shops_items(sync_items, clickup):
    events, messages = sync_items
    riley = as_(RILEY)
    c = get_container()
    for body in (
        {"replay": events["wood"]},
        {"replay": events["neon"]},
        {"retry": messages["wood"]},
        {"replay": "no-such-event"},
    ):
        assert riley.post("/staff/sync/", body).status_code == 404, body
    assert c.inbox.get(events["wood"]).status is InboxStatus.FAILED
    assert c.inbox.get(events["neon"]).status is InboxStatus.FAILED
    assert c.outbox.get(messages["wood"]).status is OutboxStatus.FAILED
    # Their own shop's item: allowed.
    assert riley.post("/staff/sync/", {"retry": messages["laser"]}).status_code == 302
    assert c.outbox.get(messages["laser"]).status is OutboxStatus.SENT


def test_contact_details_only_for_leads_of_a_shop_where_the_person_has_work(held):
    email = get_container().volunteers.get(ALEX).email
    assert email
    assert email in as_(JORDAN).get(f"/staff/volunteers/{ALEX}/").content.decode()  # woodshop lead
    assert email in as_(MORGAN).get(f"/staff/volunteers/{ALEX}/").content.decode()  # staff
    assert email not in as_(RILEY).get(f"/staff/volunteers/{ALEX}/").content.decode()  # lasers lead
    sam_email = get_container().volunteers.get(SAM).email
    assert sam_email not in as_(JORDAN).get(f"/staff/volunteers/{SAM}/").content.decode()  # no work
