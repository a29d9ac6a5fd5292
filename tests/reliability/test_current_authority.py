"""Issue 23, finding 2: authority and visibility from current data on every request, reads
included. A lead removed from a shop mid-session stops reading its personal data (the reporter's
contact, notes people wrote) on the very next request with the same cookie; the check costs no
extra DynamoDB request (it rides on the session check's GetItem of the profile)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.test import Client

from tasks.domain import HistoryAction, HistoryEntry, HistorySource, TaskStatus
from tests.conftest import login
from tests.integrations.helpers import CONTACT, add_problem, post_webhook, process
from voldash_site.container import get_container
from voldash_site.dynamodb.metrics import count_calls
from volunteers.domain import Role

ALEX, JORDAN, MORGAN = "1001", "1004", "1005"  # a volunteer, the woodshop's lead, staff
T = "86authnow1"
PHONE = "Jane 512-555-0100"
NOTE = "completion note: the spare key is under the mat"


def as_(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


@pytest.fixture
def reported(cast, clickup):
    """A woodshop problem report with the reporter's contact, and a note a person wrote."""
    add_problem(clickup, T)
    clickup.update_task(T, custom_fields={CONTACT: PHONE})
    assert post_webhook(clickup, "taskCreated", T).status_code == 200
    process()
    c = get_container()
    entry = HistoryEntry(
        task_id=T,
        at=datetime(2026, 3, 1, 12, tzinfo=UTC),
        action=HistoryAction.RELEASED,
        source=HistorySource.API,
        actor_id=ALEX,
        actor_name="Alex Rivera",
        from_status=TaskStatus.IN_PROGRESS,
        to_status=TaskStatus.OPEN,
        assignee_id=ALEX,
        assignee_name="Alex Rivera",
        note=NOTE,
        event_id="authnow-note",
        task_title="Table Saw 2 - Blade is dull",
        shop="woodshop",
    )
    c.uow.commit([c.tasks.history_write(entry)])


def personal(client: Client) -> tuple[str | None, bool, bool]:
    """(the reporter's contact, the note in the history, the note in the activity feed)."""
    body = client.get(f"/api/v1/tasks/{T}").json()
    activity = client.get(f"/api/v1/tasks/{T}/activity").json()
    return (
        body["reporter"]["contact"],
        NOTE in {h["note"] for h in body["history"]},
        NOTE in json.dumps(activity),
    )


def edit_woodshop_leads(leads: list[str]) -> None:
    response = as_(MORGAN).post(
        "/staff/shops/woodshop/edit",
        {"name": "Woodshop", "slack_channel": "woodshop", "leads": leads, "certification_rule": "any"},
    )
    assert response.status_code == 302, response.content


def test_a_lead_removed_mid_session_stops_reading_the_shops_personal_data_at_once(reported):
    jordan = as_(JORDAN)  # signed in while leading the woodshop
    assert personal(jordan) == (PHONE, True, True)
    edit_woodshop_leads([])  # staff takes the woodshop from Jordan, in another browser
    assert personal(jordan) == (None, False, False)  # the same cookie, the next request
    assert jordan.get("/staff/").status_code == 403
    edit_woodshop_leads([JORDAN])  # and back: at once too
    assert personal(jordan) == (PHONE, True, True)


def test_the_shop_and_the_profiles_copy_change_in_one_transaction(reported):
    with count_calls() as calls:
        edit_woodshop_leads([])
    assert calls.by_operation["TransactWriteItems"] == 1
    assert "PutItem" not in calls.by_operation and "UpdateItem" not in calls.by_operation
    c = get_container()
    assert c.shops.get("woodshop").leads == ()
    assert "woodshop" not in c.volunteers.get(JORDAN).lead_of


def test_staff_demoted_in_neon_stops_reading_at_once(reported):
    morgan = as_(MORGAN)
    assert personal(morgan) == (PHONE, True, True)
    c = get_container()
    profile = c.volunteers.get(MORGAN)
    c.volunteers.save(replace(profile, roles=frozenset({Role.VOLUNTEER}), lead_of=()))  # a Neon refresh
    assert personal(morgan) == (None, False, False)


def test_a_signed_in_read_still_costs_the_session_check_and_the_read(reported):
    """Before and after the fix: one GetItem (the session's profile, which now also gives the
    authority) and the read's own Query."""
    jordan = as_(JORDAN)
    jordan.get(f"/api/v1/tasks/{T}")  # warm
    with count_calls() as calls:
        assert jordan.get(f"/api/v1/tasks/{T}").status_code == 200
    assert dict(calls.by_operation) == {"GetItem": 1, "Query": 1}
    with count_calls() as calls:
        assert jordan.get(f"/api/v1/tasks/{T}/activity").status_code == 200
    assert dict(calls.by_operation) == {"GetItem": 1, "Query": 1}


def test_authority_comes_from_the_profile_read_now():
    """The rule itself, without a database (also what the mutation run checks)."""
    from voldash_site.auth import with_current_authority
    from volunteers.domain import Viewer, Volunteer

    snapshot = Viewer(
        neon_id=JORDAN,
        name="Jordan Lee",
        roles=frozenset({Role.VOLUNTEER, Role.SHOP_LEAD}),
        lead_of=("woodshop",),
        membership_active=True,
        open_claims=1,
        missing_by_shop={"lasers": ("Laser",)},
        refreshed_at=datetime(2026, 11, 1, tzinfo=UTC),
        session_epoch=3,
        dismissed_announcements=frozenset({"a1"}),
    )
    now = Volunteer(
        neon_id=JORDAN,
        name="Jordan Lee",
        membership_active=False,
        roles=frozenset({Role.VOLUNTEER}),
        lead_of=("lasers",),
        session_epoch=3,
    )
    current = with_current_authority(snapshot, now)
    assert current.roles == frozenset({Role.VOLUNTEER})
    assert current.lead_of == ("lasers",)
    assert current.membership_active is False
    assert current.leads_shop("lasers") and not current.leads_shop("woodshop")
    # What only the session knows stays as it was.
    assert (current.neon_id, current.name, current.open_claims, current.session_epoch) == (
        JORDAN,
        "Jordan Lee",
        1,
        3,
    )
    assert current.missing_by_shop == {"lasers": ("Laser",)} and current.dismissed_announcements == {"a1"}
    staff = with_current_authority(snapshot, replace(now, roles=frozenset({Role.STAFF}), lead_of=()))
    assert staff.is_staff and staff.leads_shop("woodshop")
